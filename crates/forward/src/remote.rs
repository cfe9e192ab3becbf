//! Client remote listeners (`-R`): asking the server to listen and routing its forwarded-tcpip
//! and forwarded-streamlocal channels to the right listener.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use burrow::{Channel, ChannelOpenType, Handler, IncomingChannel, OpenFailureReason, Session};
use tokio::sync::mpsc;

use crate::error::ForwardError;
use crate::net::Originator;

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

    /// The session the listener belongs to.
    pub fn session(&self) -> &Session {
        &self.session
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
