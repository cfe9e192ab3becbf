//! A ready-made `-R` forward on the client: the server's listener plus where each forwarded
//! connection goes (a fixed target, or SOCKS answered on the channel for reverse dynamic).

use std::sync::Arc;
use std::time::Instant;

use burrow::{Channel, OpenFailureReason, Session};
use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;

use crate::bind::remote_request_host;
use crate::error::ForwardError;
use crate::local::{ForwardOptions, drain, ended, negotiate, peer_of, serve, socks_reply_for};
use crate::net::{LocalStream, connect};
use crate::pump::Origin;
use crate::remote::{ForwardedConnection, RemoteForwards, RemoteListener};
use crate::socks::SocksReply;
use crate::spec::{Connect, Listen};
use crate::stats::ForwardStats;

/// A running `-R` forward: the server's listener plus where its connections go (`None`:
/// reverse dynamic, answer SOCKS on each channel).
#[derive(Debug)]
pub struct RemoteForward {
    listener: RemoteListener,
    connect: Option<Connect>,
    requested_port: Option<u16>,
    stats: Arc<ForwardStats>,
    opts: ForwardOptions,
}

impl RemoteForward {
    /// Asks the server for the listener of a `-R` spec; `connect` is `None` for reverse
    /// dynamic forwarding.
    pub async fn start(
        session: &Session,
        routes: &Arc<RemoteForwards>,
        listen: &Listen,
        connect: Option<Connect>,
        opts: &ForwardOptions,
    ) -> Result<Self, ForwardError> {
        let (listener, requested_port) = match listen {
            Listen::Tcp { bind, port } => {
                let host = remote_request_host(bind.as_deref());
                (
                    RemoteListener::tcp(session, routes, host, *port).await?,
                    Some(*port),
                )
            }
            Listen::Unix(path) => (RemoteListener::unix(session, routes, path).await?, None),
        };
        Ok(Self {
            listener,
            connect,
            requested_port,
            stats: ForwardStats::new(),
            opts: opts.clone(),
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.listener.port()
    }

    /// ssh's line for a forward that asked for port 0:
    /// `Allocated port N for remote forward to host:hostport`.
    pub fn allocated_message(&self) -> Option<String> {
        if self.requested_port != Some(0) {
            return None;
        }
        let to = match &self.connect {
            Some(Connect::Tcp { host, port }) => format!("{host}:{port}"),
            Some(Connect::Unix(path)) => format!("{path}:0"),
            None => "socks:0".to_owned(),
        };
        Some(format!(
            "Allocated port {} for remote forward to {to}",
            self.port()
        ))
    }

    /// The counters of this forward.
    pub fn stats(&self) -> Arc<ForwardStats> {
        self.stats.clone()
    }

    /// Serves forwarded connections until the SSH connection ends (then every forwarded
    /// socket is closed and [`ForwardError::SessionClosed`] returned).
    pub async fn run(self) -> ForwardError {
        self.run_until(std::future::pending()).await
    }

    /// [`run`](Self::run) until `stop` completes: then the forward is cancelled on the
    /// server and the connections already open are served to their end.
    pub async fn run_until(mut self, stop: impl std::future::Future<Output = ()>) -> ForwardError {
        let mut tasks = JoinSet::new();
        tokio::pin!(stop);
        loop {
            let next = tokio::select! {
                () = &mut stop => None,
                c = self.listener.accept() => Some(c),
            };
            let Some(accepted) = next else {
                let session = self.listener.session().clone();
                if let Err(e) = self.listener.cancel().await {
                    tracing::debug!(error = %e, "remote forward cancel failed");
                }
                return drain(tasks, session.closed()).await;
            };
            let Some(conn) = accepted else {
                break;
            };
            while tasks.try_join_next().is_some() {}
            let from = peer_of(&conn.originator);
            let active = self.stats.connection_started();
            let opening = Opening {
                conn,
                connect: self.connect.clone(),
                stats: self.stats.clone(),
                opts: self.opts.clone(),
            };
            tasks.spawn(serve(
                Box::pin(opening.open()),
                Origin::Channel,
                from,
                active,
            ));
        }
        ForwardError::SessionClosed(self.listener.session().closed().await)
    }
}

/// What a forwarded connection needs until it is joined. Its future is boxed, so that none
/// of it (the options, the target, a SOCKS buffer) stays in the task of an open connection.
struct Opening {
    conn: ForwardedConnection,
    connect: Option<Connect>,
    stats: Arc<ForwardStats>,
    opts: ForwardOptions,
}

impl Opening {
    /// The stream and the confirmed channel to join; a failure is logged.
    async fn open(self) -> Option<(LocalStream, Channel)> {
        let Self {
            conn,
            connect,
            stats,
            opts,
        } = self;
        let from = conn.originator.clone();
        let opened = match connect {
            Some(target) => open_fixed(conn, &target, &stats, &opts).await,
            None => open_socks(conn, &stats, &opts).await,
        };
        opened.inspect_err(|e| ended(&from, e)).ok()
    }
}

/// Connects to the target first; only then confirms the channel (as ssh does).
async fn open_fixed(
    conn: ForwardedConnection,
    target: &Connect,
    stats: &Arc<ForwardStats>,
    opts: &ForwardOptions,
) -> Result<(LocalStream, Channel), ForwardError> {
    let started = Instant::now();
    let connected = connect(target, opts.connect_timeout).await;
    stats.connect_took(started.elapsed());
    let stream = match connected {
        Ok(s) => s,
        Err(e) => {
            stats.failed();
            tracing::info!(target = %target, error = %e, "connect failed");
            conn.reject(
                OpenFailureReason::ConnectFailed,
                &format!("connect failed: {e}"),
            );
            return Err(ForwardError::Io(e));
        }
    };
    Ok((stream, conn.accept()?))
}

/// Reverse dynamic: confirm, read SOCKS from the channel, connect here, reply.
async fn open_socks(
    conn: ForwardedConnection,
    stats: &Arc<ForwardStats>,
    opts: &ForwardOptions,
) -> Result<(LocalStream, Channel), ForwardError> {
    let mut channel = conn.accept()?;
    let (request, leftover) = negotiate(&mut channel).await?;
    let target = Connect::Tcp {
        host: request.host(),
        port: request.port,
    };
    // As ssh's PermitRemoteOpen: exact host (or `*`) and port (or `*`).
    if !opts
        .permit_remote_open
        .allows_open(&request.host(), request.port)
    {
        stats.failed();
        tracing::debug!(target = %target, "requested forward not permitted (PermitRemoteOpen)");
        channel
            .write_all(&request.reply(SocksReply::NotAllowed))
            .await?;
        return Err(ForwardError::Io(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("{target} is not permitted by PermitRemoteOpen"),
        )));
    }
    let started = Instant::now();
    let connected = connect(&target, opts.connect_timeout).await;
    stats.connect_took(started.elapsed());
    let mut stream = match connected {
        Ok(s) => s,
        Err(e) => {
            stats.failed();
            let e = ForwardError::Io(e);
            channel
                .write_all(&request.reply(socks_reply_for(&e)))
                .await?;
            return Err(e);
        }
    };
    channel
        .write_all(&request.reply(SocksReply::Succeeded))
        .await?;
    if !leftover.is_empty() {
        stream.write_all(&leftover).await?;
    }
    Ok((stream, channel))
}
