//! Client remote forwards (`-R`): asking the server to listen, routing its forwarded-tcpip
//! and forwarded-streamlocal channels to the right listener, and serving them (to a fixed
//! target, or as SOCKS for reverse dynamic forwarding).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use burrow::{Channel, ChannelOpenType, Handler, IncomingChannel, OpenFailureReason, Session};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::bind::remote_request_host;
use crate::error::ForwardError;
use crate::local::{ForwardOptions, negotiate, socks_reply_for};
use crate::net::{Originator, connect};
use crate::pump::{Origin, join};
use crate::socks::SocksReply;
use crate::spec::{Connect, Listen};
use crate::stats::ForwardStats;

/// Forwarded connections waiting for their listener's `accept` (per listener).
const QUEUE: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Route {
    Tcp(u32),
    Unix(String),
}

/// Routes the server's forwarded channels to [`RemoteListener`]s. Install it as the
/// session's handler (`ClientConfig::handler`) before connecting; channels nobody listens
/// for are refused.
#[derive(Debug, Default)]
pub struct RemoteForwards {
    routes: Mutex<HashMap<Route, mpsc::Sender<ForwardedConnection>>>,
}

impl RemoteForwards {
    /// An empty routing table.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn routes(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<Route, mpsc::Sender<ForwardedConnection>>> {
        self.routes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Handler for RemoteForwards {
    fn channel_open(&self, channel: IncomingChannel) {
        let (route, originator) = match channel.channel_type() {
            ChannelOpenType::ForwardedTcpip {
                port_that_was_connected,
                originator_address,
                originator_port,
                ..
            } => (
                Route::Tcp(*port_that_was_connected),
                Originator {
                    address: originator_address.to_string(),
                    port: u16::try_from(*originator_port).unwrap_or(0),
                },
            ),
            ChannelOpenType::ForwardedStreamlocal { socket_path, .. } => (
                Route::Unix(socket_path.to_string()),
                Originator {
                    address: String::new(),
                    port: 0,
                },
            ),
            other => {
                tracing::info!(channel_type = ?other, "refused channel open");
                channel.reject(
                    OpenFailureReason::UnknownChannelType,
                    "unknown channel type",
                );
                return;
            }
        };
        let sender = self.routes().get(&route).cloned();
        let Some(sender) = sender else {
            tracing::info!(?route, "forwarded connection for a port we did not ask for");
            channel.reject(
                OpenFailureReason::AdministrativelyProhibited,
                "no such remote forward",
            );
            return;
        };
        if let Err(e) = sender.try_send(ForwardedConnection {
            channel,
            originator,
        }) {
            let conn = match e {
                mpsc::error::TrySendError::Full(c) | mpsc::error::TrySendError::Closed(c) => c,
            };
            conn.reject(
                OpenFailureReason::ResourceShortage,
                "too many pending connections",
            );
        }
    }
}

/// A connection the server received on one of our remote listeners, not answered yet.
#[derive(Debug)]
pub struct ForwardedConnection {
    channel: IncomingChannel,
    /// Where it came from, as the server reported (empty for unix sockets).
    pub originator: Originator,
}

impl ForwardedConnection {
    /// Confirms the channel and returns it as a stream.
    pub fn accept(self) -> Result<Channel, ForwardError> {
        Ok(self.channel.accept()?)
    }

    /// Refuses it with a reason and description for the server.
    pub fn reject(self, reason: OpenFailureReason, description: &str) {
        self.channel.reject(reason, description);
    }
}

/// A listener on the server side. Dropping it stops routing and cancels it on the server.
#[derive(Debug)]
pub struct RemoteListener {
    routes: Arc<RemoteForwards>,
    route: Route,
    rx: mpsc::Receiver<ForwardedConnection>,
    session: Session,
    request_host: String,
    port: u16,
}

impl RemoteListener {
    /// Asks the server to listen on `bind_host:port` (tcpip-forward; port 0 lets it pick).
    ///
    /// ```no_run
    /// # async fn f(session: burrow::Session, routes: std::sync::Arc<burrow_forward::RemoteForwards>)
    /// # -> Result<(), Box<dyn std::error::Error>> {
    /// use burrow_forward::RemoteListener;
    /// // `routes` was installed as the ClientConfig handler before connecting.
    /// let mut listener = RemoteListener::tcp(&session, &routes, "localhost", 0).await?;
    /// println!("server listens on port {}", listener.port());
    /// while let Some(conn) = listener.accept().await {
    ///     println!("from {}:{}", conn.originator.address, conn.originator.port);
    ///     let channel = conn.accept()?;
    ///     // read and write `channel`...
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn tcp(
        session: &Session,
        routes: &Arc<RemoteForwards>,
        bind_host: &str,
        port: u16,
    ) -> Result<Self, ForwardError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        if port != 0 {
            routes
                .routes()
                .insert(Route::Tcp(u32::from(port)), tx.clone());
        }
        let refused = || ForwardError::RemoteForwardRefused {
            listen: format!("port {port}"),
        };
        let bound = match session
            .request_remote_forward(bind_host, u32::from(port))
            .await
        {
            Ok(b) => b,
            Err(e) => {
                if port != 0 {
                    routes.routes().remove(&Route::Tcp(u32::from(port)));
                }
                return Err(match *e.kind {
                    burrow::ErrorKind::RequestRefused { .. } => refused(),
                    _ => ForwardError::Session(e),
                });
            }
        };
        let bound = if port == 0 { bound } else { u32::from(port) };
        let Ok(bound_port) = u16::try_from(bound) else {
            return Err(refused());
        };
        if port == 0 {
            routes.routes().insert(Route::Tcp(bound), tx);
        }
        Ok(Self {
            routes: routes.clone(),
            route: Route::Tcp(bound),
            rx,
            session: session.clone(),
            request_host: bind_host.to_owned(),
            port: bound_port,
        })
    }

    /// Asks the server to listen on the unix socket `path` (streamlocal-forward@openssh.com).
    pub async fn unix(
        session: &Session,
        routes: &Arc<RemoteForwards>,
        path: &str,
    ) -> Result<Self, ForwardError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let route = Route::Unix(path.to_owned());
        routes.routes().insert(route.clone(), tx);
        if let Err(e) = session.request_remote_streamlocal_forward(path).await {
            routes.routes().remove(&route);
            return Err(match *e.kind {
                burrow::ErrorKind::RequestRefused { .. } => ForwardError::RemoteForwardRefused {
                    listen: format!("path {path}"),
                },
                _ => ForwardError::Session(e),
            });
        }
        Ok(Self {
            routes: routes.clone(),
            route,
            rx,
            session: session.clone(),
            request_host: String::new(),
            port: 0,
        })
    }

    /// The port the server listens on (the allocated one after asking for 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The next forwarded connection, or `None` once the SSH connection has ended.
    pub async fn accept(&mut self) -> Option<ForwardedConnection> {
        tokio::select! {
            c = self.rx.recv() => c,
            _ = self.session.closed() => None,
        }
    }

    /// Cancels the listener on the server and waits for its answer.
    pub async fn cancel(self) -> Result<(), ForwardError> {
        self.routes.routes().remove(&self.route);
        match &self.route {
            Route::Tcp(port) => {
                self.session
                    .cancel_remote_forward(&self.request_host, *port)
                    .await?
            }
            Route::Unix(path) => self.session.cancel_remote_streamlocal_forward(path).await?,
        }
        Ok(())
    }
}

impl Drop for RemoteListener {
    fn drop(&mut self) {
        let mut routes = self.routes.routes();
        // `cancel` removed the route already; otherwise cancel on the server in the background.
        if routes.remove(&self.route).is_none() || self.session.is_closed() {
            return;
        }
        drop(routes);
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (session, route, host) = (
            self.session.clone(),
            self.route.clone(),
            self.request_host.clone(),
        );
        rt.spawn(async move {
            let r = match &route {
                Route::Tcp(port) => session.cancel_remote_forward(&host, *port).await,
                Route::Unix(path) => session.cancel_remote_streamlocal_forward(path).await,
            };
            if let Err(e) = r {
                tracing::debug!(error = %e, "remote forward cancel failed");
            }
        });
    }
}

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
    pub async fn run(mut self) -> ForwardError {
        let mut tasks = JoinSet::new();
        while let Some(conn) = self.listener.accept().await {
            while tasks.try_join_next().is_some() {}
            let (connect, stats, opts) =
                (self.connect.clone(), self.stats.clone(), self.opts.clone());
            tasks.spawn(async move {
                let _active = stats.connection_started();
                let from = conn.originator.clone();
                let r = match connect {
                    Some(target) => serve_fixed(conn, &target, &stats, &opts).await,
                    None => serve_socks(conn, &stats, &opts).await,
                };
                if let Err(e) = r {
                    tracing::info!(from = %from.address, port = from.port, error = %e, "forwarded connection ended");
                }
            });
        }
        ForwardError::SessionClosed(self.listener.session.closed().await)
    }
}

/// Connects to the target first; only then confirms the channel (as ssh does).
async fn serve_fixed(
    conn: ForwardedConnection,
    target: &Connect,
    stats: &Arc<ForwardStats>,
    opts: &ForwardOptions,
) -> Result<(), ForwardError> {
    let stream = match connect(target, opts.connect_timeout).await {
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
    let channel = conn.accept()?;
    join(stream, channel, stats, Origin::Channel).await?;
    Ok(())
}

/// Reverse dynamic: confirm, read SOCKS from the channel, connect here, reply, join.
async fn serve_socks(
    conn: ForwardedConnection,
    stats: &Arc<ForwardStats>,
    opts: &ForwardOptions,
) -> Result<(), ForwardError> {
    let mut channel = conn.accept()?;
    let (request, leftover) = negotiate(&mut channel).await?;
    let target = Connect::Tcp {
        host: request.host(),
        port: request.port,
    };
    let mut stream = match connect(&target, opts.connect_timeout).await {
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
    join(stream, channel, stats, Origin::Channel).await?;
    Ok(())
}
