//! The sandboxed protocol process of a root burrowd (`--sandbox`): the whole SSH protocol
//! for one connection, with host-key signatures, logins and the user's sockets through the
//! monitor.

use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use burrow::{QuickAck, Server, ServerStop};

use super::broker::Request;
use super::brokered::{Broker, BrokeredSockets};
use super::handler::DaemonHandler;
use super::session::stdin_stream;
use super::{DRAIN_GRACE, EXIT_FAILURE, sandbox, settings};
use crate::args::ServerArgs;
use crate::metrics::Metrics;

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
        let certs = super::hostcert::load_all(&opts.host_certificates);
        sandbox::enter(&sandbox::helper_account()?)?;
        Ok::<_, std::io::Error>((stream, peer, channel, config, certs))
    })();
    let (stream, peer, channel, mut config, certs) = match prepared {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("sandbox: {e}");
            return EXIT_FAILURE;
        }
    };
    let broker = Broker::new(channel);
    let drain = match broker.host_keys() {
        Ok((keys, drain)) => {
            config.host_key_signer = Some(super::hostcert::certify(Arc::new(keys), certs));
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
    let mut handler = DaemonHandler::new(current).brokered(broker.clone());
    // MetricsListen: counted here, reported through the monitor to the listener.
    let report = opts.metrics_listen.flatten().map(|_| {
        let metrics = Metrics::new();
        handler = handler.clone().counted(metrics.clone());
        (broker, metrics)
    });
    serve_one(stream, peer, config, (handler, report), drain)
}

/// MetricsListen in the protocol process: the counters and the way to the monitor.
type Reporting = (Arc<Broker>, Arc<Metrics>);

/// How often the counters go to the listener.
const REPORT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Sends the counters to the monitor once the login is done (before, it has no user).
async fn send_report((broker, metrics): &Reporting) {
    let mut snapshot = metrics.snapshot();
    if snapshot.users.iter().all(|u| u.user.is_empty()) {
        return;
    }
    snapshot.forwards.truncate(crate::metrics::MAX_REPORTED);
    let json = match serde_json::to_string(&snapshot) {
        Ok(j) => j,
        Err(e) => return tracing::debug!("counters not encoded: {e}"),
    };
    if let Err(e) = broker.call_async(&Request::Report { json }).await {
        tracing::debug!("counters not reported: {e}");
    }
}

/// Serves the one connection until it ends; SIGTERM, or a byte (or the end) on the
/// monitor's `drain` socket, drains it.
fn serve_one(
    stream: std::net::TcpStream,
    peer: SocketAddr,
    config: burrow::ServerConfig,
    (handler, report): (DaemonHandler, Option<Reporting>),
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
    let served = runtime.block_on(async {
        stream.set_nonblocking(true)?;
        let stream = tokio::net::TcpStream::from_std(stream)?;
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY not set: {e}");
        }
        if let Some(r) = report.clone() {
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(REPORT_EVERY).await;
                    send_report(&r).await;
                }
            });
        }
        let stop = ServerStop::standalone();
        let serving = stop.clone();
        // A task of its own, not the `block_on` future: a wake from a forwarding task then
        // needs no extra `epoll_wait` before the session's next write (one per round trip).
        let serve = tokio::spawn(async move {
            let stream = QuickAck::new(stream);
            let (config, handler) = (Arc::new(config), Arc::new(handler));
            Server::serve_stream_stoppable(stream, peer, config, handler, &serving).await
        });
        let serve = async move {
            serve.await.unwrap_or_else(|e| {
                // The task panicked (nothing in it should) or the runtime is going away.
                let kind = burrow::ErrorKind::Io(std::io::Error::other(e));
                let phase = burrow::Phase::Connection;
                Err(Arc::new(burrow::Error::new(
                    &shown.to_string(),
                    phase,
                    kind,
                )))
            })
        };
        tokio::pin!(serve);
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
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
    });
    // The last counters, with every channel closed.
    if let Some(r) = &report {
        runtime.block_on(send_report(r));
    }
    served.map_or_else(
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
