//! The per-connection process of a root burrowd (`--session`): the monitor. It loads the
//! host keys, starts the sandboxed protocol process with the connection, and serves its
//! broker requests until the connection ends.

use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::process::Stdio;

use super::broker::{Reply, Request};
use super::monitor::{Monitor, open_socket, send_reply};
use super::{EXIT_FAILURE, fdpass, privdrop, settings};
use crate::args::ServerArgs;

/// The per-connection process (`--session`), run by the root listener: the monitor. It
/// loads the host keys, starts the sandboxed protocol process (`--sandbox`) with the
/// connection, and answers its broker requests: signatures and login checks as root, then,
/// once it has verified a login and become the user for good, that user's sockets.
pub fn run_session(args: &ServerArgs) -> i32 {
    if let Err(e) = privdrop::harden_session_process() {
        eprintln!("burrowd: {e}");
        return EXIT_FAILURE;
    }
    let opts = match settings::read_options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_FAILURE;
        }
    };
    crate::logging::init(settings::log_level(args, &opts));
    let me = crate::sys::current_user();
    let prepared = settings::host_keys(args, &opts, &me).and_then(|keys| {
        let keys: Vec<_> = keys.into_iter().map(|(_, k)| k).collect();
        let config = settings::server_config(&opts, Vec::new())?;
        Ok((keys, config))
    });
    let (keys, config) = match prepared {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("{e}");
            return EXIT_FAILURE;
        }
    };
    let started = stdin_stream().and_then(|(stream, peer)| {
        let (ours, theirs) = fdpass::pair()?;
        let argv = std::env::args().skip(1).filter(|a| a != "--session");
        let child = tokio::process::Command::new(std::env::current_exe()?)
            .args(argv)
            .arg("--sandbox")
            .stdin(Stdio::from(OwnedFd::from(stream)))
            .stdout(Stdio::from(theirs))
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn_with_runtime()?;
        Ok((peer, ours, child))
    });
    let (peer, channel, runtime, child) = match started {
        Ok((peer, channel, (runtime, child))) => (peer, channel, runtime, child),
        Err(e) => {
            tracing::error!("cannot start the protocol process: {e}");
            return EXIT_FAILURE;
        }
    };
    // Only the protocol process holds the connection now.
    if let Err(e) = std::fs::File::open("/dev/null").and_then(|n| Ok(nix::unistd::dup2_stdin(n)?)) {
        tracing::error!("cannot close the connection's descriptor: {e}");
        return EXIT_FAILURE;
    }
    let login = settings::current(&opts, &me).login;
    let monitor = Monitor::new(
        keys,
        login,
        peer,
        config.userauth.pubkey_algorithms.clone(),
        config.userauth.ca_algorithms.clone(),
    );
    let grace = config.userauth.login_grace_time;
    let stop = match std::os::unix::net::UnixStream::pair() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("socketpair: {e}");
            return EXIT_FAILURE;
        }
    };
    match runtime.block_on(monitor_loop(monitor, channel, child, grace, stop)) {
        Ok(()) => 0,
        Err(e) => {
            tracing::info!(peer = %peer, error = %e, "monitor ended");
            0
        }
    }
}

/// The connection on stdin, and the client's address as sshd logs and matches it.
pub(super) fn stdin_stream() -> std::io::Result<(std::net::TcpStream, SocketAddr)> {
    let stream = std::net::TcpStream::from(std::io::stdin().as_fd().try_clone_to_owned()?);
    let peer = stream.peer_addr()?;
    Ok((
        stream,
        SocketAddr::new(peer.ip().to_canonical(), peer.port()),
    ))
}

/// A current-thread runtime, and the command spawned within it.
trait SpawnWithRuntime {
    fn spawn_with_runtime(
        &mut self,
    ) -> std::io::Result<(tokio::runtime::Runtime, tokio::process::Child)>;
}

impl SpawnWithRuntime for tokio::process::Command {
    fn spawn_with_runtime(
        &mut self,
    ) -> std::io::Result<(tokio::runtime::Runtime, tokio::process::Child)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let child = {
            let _in = runtime.enter();
            self.spawn()?
        };
        Ok((runtime, child))
    }
}

/// Serves broker requests until the protocol process closes the channel. SIGTERM is passed
/// on as a byte on the `stop` socket, whose other end goes with the host keys (the protocol
/// process drains); a process still unauthenticated past LoginGraceTime (plus a margin: it
/// enforces the grace itself) is killed.
async fn monitor_loop(
    mut monitor: Monitor,
    channel: OwnedFd,
    mut child: tokio::process::Child,
    grace: std::time::Duration,
    (stop_read, mut stop): (
        std::os::unix::net::UnixStream,
        std::os::unix::net::UnixStream,
    ),
) -> std::io::Result<()> {
    let mut stop_read = Some(OwnedFd::from(stop_read));
    let channel = fdpass::registered(channel)?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let _hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let deadline = (!grace.is_zero())
        .then(|| tokio::time::Instant::now() + grace + std::time::Duration::from_secs(5));
    loop {
        tokio::select! {
            got = fdpass::recv_async(&channel) => {
                match got {
                    Ok(Some((msg, mut fds))) => {
                        if let Some(reply_to) = fds.pop() {
                            serve_request(&mut monitor, &msg, reply_to, &mut stop_read);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => tracing::debug!("broker request dropped: {e}"),
                }
            }
            _ = term.recv() => {
                use std::io::Write;
                if let Err(e) = stop.write_all(b"T") {
                    tracing::debug!("drain request not passed on: {e}");
                }
            }
            () = async {
                match deadline {
                    Some(at) if monitor.user.is_none() => tokio::time::sleep_until(at).await,
                    _ => std::future::pending().await,
                }
            } => {
                tracing::info!("protocol process for {} past LoginGraceTime; killed", monitor.peer);
                let _ignored = child.start_kill();
                break;
            }
        }
    }
    child.wait().await?;
    Ok(())
}

/// Answers one request on its reply socket; the user's socket requests run as tasks. The
/// first host-key reply carries `stop_read`.
fn serve_request(
    monitor: &mut Monitor,
    msg: &[u8],
    reply_to: OwnedFd,
    stop_read: &mut Option<OwnedFd>,
) {
    let req = match Request::decode(msg) {
        Ok(r) => r,
        Err(e) => {
            send_reply(&reply_to, &Reply::Refused(format!("bad request: {e}")), &[]);
            return;
        }
    };
    match monitor.answer(&req) {
        Some(reply) if matches!(reply, Reply::Keys(_)) => {
            let fds: Vec<OwnedFd> = stop_read.take().into_iter().collect();
            send_reply(&reply_to, &reply, &fds);
        }
        Some(reply) => send_reply(&reply_to, &reply, &[]),
        None => {
            tokio::spawn(async move {
                match open_socket(req).await {
                    Ok(fds) => send_reply(&reply_to, &Reply::Done, &fds),
                    Err(e) => send_reply(&reply_to, &Reply::failed(&e), &[]),
                }
            });
        }
    }
}
