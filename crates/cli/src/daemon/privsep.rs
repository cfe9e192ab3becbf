//! Privilege separation when burrowd runs as root: the listener accepts and runs burrowd
//! again for each connection (the socket as stdin, as sshd runs sshd-session). That
//! process is a monitor: it runs the SSH protocol in a sandboxed child (`sandbox`) and
//! serves its broker requests (`monitor`), becoming the logged-in user for good once it
//! has verified the login, before a single forward is served. The listener counts unauthenticated connections (MaxStartups,
//! PerSourceMaxStartups) until the process reports the login with one byte on a pipe.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};

use burrow::{MaxStartups, Server, ServerStop};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rand_core::RngCore;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::broker::{Reply, Request};
use super::brokered::{Broker, BrokeredSockets};
use super::handler::DaemonHandler;
use super::monitor::{Monitor, open_socket, send_reply};
use super::{DRAIN_GRACE, EXIT_FAILURE, fdpass, privdrop, sandbox, settings};
use crate::args::ServerArgs;
use crate::sys::lookup_user;

/// The byte a per-connection process writes to its stdout once the client authenticated.
const LOGGED_IN: u8 = b'A';

/// What the listener enforces before handing a connection on; SIGHUP replaces it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// MaxStartups.
    pub max_startups: MaxStartups,
    /// PerSourceMaxStartups: unauthenticated connections per source address (`None`: no limit).
    pub per_source: Option<u32>,
}

/// Unauthenticated connections, in total and per source address.
#[derive(Default)]
struct Startups {
    total: usize,
    per_source: HashMap<IpAddr, u32>,
}

/// Shared by the accept loops and the per-child tasks.
struct Listener {
    exe: PathBuf,
    argv: Vec<String>,
    limits: Mutex<Limits>,
    startups: Mutex<Startups>,
}

/// One unauthenticated connection counted; dropping it uncounts it.
struct Startup {
    listener: Arc<Listener>,
    ip: IpAddr,
}

impl Drop for Startup {
    fn drop(&mut self) {
        let mut s = self
            .listener
            .startups
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        s.total = s.total.saturating_sub(1);
        if let Some(n) = s.per_source.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                s.per_source.remove(&self.ip);
            }
        }
    }
}

impl Listener {
    /// Counts a new connection from `peer`, or says why it is dropped.
    fn admit(self: &Arc<Self>, peer: SocketAddr) -> Result<Startup, String> {
        let ip = canonical(peer.ip());
        let limits = *self.limits.lock().unwrap_or_else(PoisonError::into_inner);
        let mut s = self.startups.lock().unwrap_or_else(PoisonError::into_inner);
        let roll = rand_core::OsRng.next_u32() % 100;
        if limits.max_startups.should_drop(s.total, roll) {
            return Err(format!("past MaxStartups ({} unauthenticated)", s.total));
        }
        let mine = s.per_source.get(&ip).copied().unwrap_or(0);
        if limits.per_source.is_some_and(|max| mine >= max) {
            return Err(format!("past PerSourceMaxStartups ({mine} from {ip})"));
        }
        s.total = s.total.saturating_add(1);
        s.per_source.insert(ip, mine.saturating_add(1));
        Ok(Startup {
            listener: self.clone(),
            ip,
        })
    }
}

/// IPv4-mapped IPv6 addresses count as their IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Runs the root listener on `listeners` until SIGTERM/SIGINT; `argv` (without the program
/// name) is what each per-connection burrowd gets, plus `--session`.
pub async fn listen(
    listeners: Vec<TcpListener>,
    argv: Vec<String>,
    limits: Limits,
    reload: impl Fn() -> Option<Limits>,
) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("cannot find burrowd's own executable: {e}");
            return EXIT_FAILURE;
        }
    };
    let listener = Arc::new(Listener {
        exe,
        argv,
        limits: Mutex::new(limits),
        startups: Mutex::new(Startups::default()),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut loops = JoinSet::new();
    for l in listeners {
        loops.spawn(accept_loop(l, listener.clone(), stop_rx.clone()));
    }
    let sig = super::wait_for_stop(|| {
        if let Some(l) = reload() {
            *listener
                .limits
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = l;
        }
    })
    .await;
    tracing::info!("Received signal {sig}; terminating.");
    let _ignored = stop_tx.send(true);
    // Each loop ends once its children have drained.
    while loops.join_next().await.is_some() {}
    0
}

async fn accept_loop(tcp: TcpListener, listener: Arc<Listener>, mut stop: watch::Receiver<bool>) {
    let mut children = JoinSet::new();
    // Kept open so that `accept` can always take a connection off the queue to close it,
    // even when the process has no descriptor left (EMFILE).
    let mut reserve = std::fs::File::open("/dev/null").ok();
    loop {
        let accepted = tokio::select! {
            r = tcp.accept() => r,
            _ = stop.changed() => break,
        };
        while children.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) if matches!(e.raw_os_error(), Some(24 | 23)) => {
                drop(reserve.take());
                if let Ok((s, peer)) = tcp.accept().await {
                    tracing::error!("accept: {e}; dropped the connection from {peer}");
                    drop(s);
                }
                reserve = std::fs::File::open("/dev/null").ok();
                continue;
            }
            Err(e) => {
                tracing::warn!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let startup = match listener.admit(peer) {
            Ok(s) => s,
            Err(why) => {
                tracing::info!(
                    "drop connection from {} port {}: {why}",
                    peer.ip(),
                    peer.port()
                );
                continue;
            }
        };
        match spawn_session(&listener, stream) {
            Ok(child) => {
                children.spawn(watch_child(child, startup, stop.clone()));
            }
            Err(e) => tracing::error!("cannot start a process for {peer}: {e}"),
        }
    }
    drop(tcp);
    while children.join_next().await.is_some() {}
}

/// Runs `burrowd <argv> --session` with the socket as its stdin and a pipe as its stdout.
fn spawn_session(
    listener: &Listener,
    stream: tokio::net::TcpStream,
) -> std::io::Result<tokio::process::Child> {
    let std_stream = stream.into_std()?;
    std_stream.set_nonblocking(false)?;
    let fd: OwnedFd = std_stream.into();
    tokio::process::Command::new(&listener.exe)
        .args(&listener.argv)
        .arg("--session")
        .stdin(Stdio::from(fd))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(false)
        .spawn()
}

/// Uncounts the connection when the child reports the login (or ends), reaps it, and
/// passes SIGTERM on when the listener stops.
async fn watch_child(
    mut child: tokio::process::Child,
    startup: Startup,
    mut stop: watch::Receiver<bool>,
) {
    let mut startup = Some(startup);
    let pid = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .map(Pid::from_raw);
    let mut out = child.stdout.take();
    let mut buf = [0u8; 16];
    let mut stopping = false;
    // A process that outlives its drain (stopped, or ignoring SIGTERM: after the drop its
    // user may signal it) is killed, so that the listener always exits.
    let mut kill_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            r = async {
                match out.as_mut() {
                    Some(o) => o.read(&mut buf).await,
                    None => std::future::pending().await,
                }
            } => match r {
                Ok(n) if n > 0 => {
                    if buf.get(..n).is_some_and(|b| b.contains(&LOGGED_IN)) {
                        startup = None;
                    }
                }
                _ => {
                    out = None;
                    startup = None;
                }
            },
            _ = child.wait() => break,
            r = stop.changed(), if !stopping => {
                stopping = true;
                if r.is_ok() {
                    if let Some(pid) = pid {
                        // The child is not reaped before `wait` returns, so the pid is its.
                        let _ignored = kill(pid, Signal::SIGTERM);
                    }
                    let grace = DRAIN_GRACE.saturating_add(std::time::Duration::from_secs(2));
                    kill_at = Some(tokio::time::Instant::now() + grace);
                }
            }
            () = async {
                match kill_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => {
                kill_at = None;
                tracing::info!("connection process {pid:?} still running after the drain; killed");
                let _ignored = child.start_kill();
            }
        }
    }
    drop(startup);
}

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
    let monitor = Monitor::new(keys, login, peer, config.userauth.pubkey_algorithms.clone());
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
fn stdin_stream() -> std::io::Result<(std::net::TcpStream, SocketAddr)> {
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

/// The sandboxed protocol process (`--sandbox`): the connection on stdin, the broker on
/// stdout. Reads its configuration, locks itself in the sandbox, then runs the whole SSH
/// protocol with host-key signatures, logins and sockets through the monitor.
pub fn run_sandbox(args: &ServerArgs) -> i32 {
    let opts = match settings::read_options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_FAILURE;
        }
    };
    crate::logging::init(settings::log_level(args, &opts));
    let me = crate::sys::current_user();
    let prepared = (|| {
        let (stream, peer) = stdin_stream()?;
        let channel = std::io::stdout().as_fd().try_clone_to_owned()?;
        // Nothing printed may reach the broker channel.
        nix::unistd::dup2_stdout(std::fs::File::open("/dev/null")?)?;
        let config = settings::server_config(&opts, Vec::new()).map_err(std::io::Error::other)?;
        sandbox::enter(&sandbox::helper_account()?)?;
        Ok::<_, std::io::Error>((stream, peer, channel, config))
    })();
    let (stream, peer, channel, mut config) = match prepared {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("sandbox: {e}");
            return EXIT_FAILURE;
        }
    };
    let broker = Broker::new(channel);
    let drain = match broker.host_keys() {
        Ok((keys, drain)) => {
            config.host_key_signer = Some(Arc::new(keys));
            drain
        }
        Err(e) => {
            tracing::error!("host keys from the monitor: {e}");
            return EXIT_FAILURE;
        }
    };
    let mut current = settings::current(&opts, &me);
    current.forwards = current
        .forwards
        .with_sockets(Arc::new(BrokeredSockets(broker.clone())));
    let handler = DaemonHandler::new(current).brokered(broker);
    serve_one(stream, peer, config, handler, drain)
}

/// Serves the one connection until it ends; SIGTERM, or a byte (or the end) on the
/// monitor's `drain` socket, drains it.
fn serve_one(
    stream: std::net::TcpStream,
    peer: SocketAddr,
    config: burrow::ServerConfig,
    handler: DaemonHandler,
    drain: Option<OwnedFd>,
) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return EXIT_FAILURE;
        }
    };
    let shown = peer;
    runtime
        .block_on(async move {
            stream.set_nonblocking(true)?;
            let stream = tokio::net::TcpStream::from_std(stream)?;
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!("TCP_NODELAY not set: {e}");
            }
            let stop = ServerStop::standalone();
            let serve = Server::serve_stream_stoppable(
                stream,
                peer,
                Arc::new(config),
                Arc::new(handler),
                &stop,
            );
            tokio::pin!(serve);
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            // A hangup of the listener's terminal or process group must not end connections.
            let _hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
            let drain = drain
                .map(|fd| {
                    let s = std::os::unix::net::UnixStream::from(fd);
                    s.set_nonblocking(true)?;
                    tokio::net::UnixStream::from_std(s)
                })
                .transpose()?;
            let asked = async {
                let mut byte = [0u8; 1];
                match drain {
                    Some(mut d) => {
                        use tokio::io::AsyncReadExt;
                        let _any = d.read(&mut byte).await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = &mut serve => return Ok::<_, std::io::Error>(r),
                _ = term.recv() => {}
                () = asked => {}
            }
            // As the one-process server drains: a connection still authenticating ends now,
            // a logged-in one once its channels are closed, or at DRAIN_GRACE.
            stop.stop(DRAIN_GRACE);
            let fallback = DRAIN_GRACE.saturating_add(std::time::Duration::from_secs(1));
            if let Ok(r) = tokio::time::timeout(fallback, serve).await {
                return Ok(r);
            }
            Ok(Ok(()))
        })
        .map_or_else(
            |e| {
                tracing::error!("{shown}: {e}");
                EXIT_FAILURE
            },
            |r| {
                if let Err(e) = r {
                    tracing::info!(peer = %shown, error = %e, "connection ended");
                }
                0
            },
        )
}

/// After authentication in a per-connection process: becomes `user` for good, then tells
/// the listener the connection no longer counts as unauthenticated.
pub fn become_logged_in_user(user: &str) -> std::io::Result<()> {
    let account =
        lookup_user(user).ok_or_else(|| std::io::Error::other(format!("no user {user:?}")))?;
    privdrop::become_user(&account)?;
    tracing::debug!(
        "serving {user} as uid {} gid {} from now on",
        account.uid,
        account.gid
    );
    use std::io::Write;
    let mut out = std::io::stdout();
    if let Err(e) = out.write_all(&[LOGGED_IN]).and_then(|()| out.flush()) {
        tracing::debug!("cannot report the login to the listener: {e}");
    }
    Ok(())
}
