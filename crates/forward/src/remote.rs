//! Client remote listeners (`-R`): asking the server to listen and routing its forwarded-tcpip
//! and forwarded-streamlocal channels to the right listener.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use burrow::{Channel, ChannelOpenType, Handler, IncomingChannel, OpenFailureReason, Session};
use tokio::sync::mpsc;

use crate::error::ForwardError;
use crate::net::Originator;
use crate::spec::Listen;

/// Forwarded connections waiting for their listener's `accept` (per listener).
const QUEUE: usize = 64;
/// Connections for a port not known yet, kept while a port-0 request awaits its reply (the
/// server may deliver one before we learn the allocated port).
const MAX_PARKED: usize = 16;

/// What a forwarded channel must name to reach a listener: the address as we asked for it
/// and the port as the server granted it (OpenSSH matches both), or the socket path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Route {
    Tcp(String, u32),
    Unix(String),
}

/// Routes the server's forwarded channels to [`RemoteListener`]s. Install it as the
/// session's handler (`ClientConfig::handler`) before connecting; channels nobody listens
/// for are refused.
#[derive(Debug, Default)]
pub struct RemoteForwards {
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    routes: HashMap<Route, mpsc::Sender<ForwardedConnection>>,
    /// Port-0 requests sent and not answered yet.
    allocating: usize,
    /// Connections that arrived for an unknown route while `allocating > 0` (≤ MAX_PARKED).
    parked: Vec<(Route, ForwardedConnection)>,
}

impl RemoteForwards {
    /// An empty routing table.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn insert(&self, route: Route, tx: mpsc::Sender<ForwardedConnection>) {
        self.table().routes.insert(route, tx);
    }

    fn remove(&self, route: &Route) -> bool {
        self.table().routes.remove(route).is_some()
    }

    /// Ends one port-0 request: routes `bound` to `tx` (with any connection parked for it)
    /// and, once no request is outstanding, refuses what is still parked.
    fn allocation_done(&self, bound: Option<(Route, mpsc::Sender<ForwardedConnection>)>) {
        let mut refused = Vec::new();
        {
            let mut t = self.table();
            t.allocating = t.allocating.saturating_sub(1);
            if let Some((route, tx)) = bound {
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut t.parked)
                    .into_iter()
                    .partition(|(r, _)| *r == route);
                t.parked = rest;
                for (_, conn) in mine {
                    if let Err(e) = tx.try_send(conn) {
                        refused.push(unsent(e));
                    }
                }
                t.routes.insert(route, tx);
            }
            if t.allocating == 0 {
                refused.extend(std::mem::take(&mut t.parked).into_iter().map(|(_, c)| c));
            }
        }
        for conn in refused {
            conn.reject(
                OpenFailureReason::AdministrativelyProhibited,
                "no such remote forward",
            );
        }
    }
}

fn unsent(e: mpsc::error::TrySendError<ForwardedConnection>) -> ForwardedConnection {
    match e {
        mpsc::error::TrySendError::Full(c) | mpsc::error::TrySendError::Closed(c) => c,
    }
}

impl Handler for RemoteForwards {
    fn channel_open(&self, channel: IncomingChannel) {
        let (route, originator) = match channel.channel_type() {
            ChannelOpenType::ForwardedTcpip {
                address_that_was_connected,
                port_that_was_connected,
                originator_address,
                originator_port,
            } => (
                Route::Tcp(
                    address_that_was_connected.to_string(),
                    *port_that_was_connected,
                ),
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
        let conn = ForwardedConnection {
            channel,
            originator,
        };
        let sender = {
            let mut t = self.table();
            match (t.routes.get(&route).cloned(), &route) {
                (Some(s), _) => s,
                (None, Route::Tcp(..)) if t.allocating > 0 && t.parked.len() < MAX_PARKED => {
                    t.parked.push((route, conn));
                    return;
                }
                (None, _) => {
                    drop(t);
                    tracing::info!(
                        ?route,
                        "refused a forwarded connection for a listener we did not ask for"
                    );
                    conn.reject(
                        OpenFailureReason::AdministrativelyProhibited,
                        "no such remote forward",
                    );
                    return;
                }
            }
        };
        if let Err(e) = sender.try_send(conn) {
            unsent(e).reject(
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

/// A refused global request is `refused`; anything else is a session error.
fn remote_error(e: burrow::Error, refused: ForwardError) -> ForwardError {
    match *e.kind {
        burrow::ErrorKind::RequestRefused { .. } => refused,
        _ => ForwardError::Session(e),
    }
}

/// One outstanding port-0 request; ends it (routing the allocated port, if any) on drop,
/// also when the request's future is cancelled.
struct Allocation<'a> {
    routes: &'a RemoteForwards,
    outcome: Option<(Route, mpsc::Sender<ForwardedConnection>)>,
}

impl Drop for Allocation<'_> {
    fn drop(&mut self) {
        self.routes.allocation_done(self.outcome.take());
    }
}

/// A listener on the server side. Dropping it stops routing and cancels it on the server.
#[derive(Debug)]
pub struct RemoteListener {
    routes: Arc<RemoteForwards>,
    route: Route,
    rx: mpsc::Receiver<ForwardedConnection>,
    session: Session,
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
        let refused = || ForwardError::RemoteForwardRefused {
            listen: Listen::Tcp {
                bind: Some(bind_host.to_owned()),
                port,
            },
        };
        let bound = if port == 0 {
            // Connections may arrive before the reply is processed: park them meanwhile.
            routes.table().allocating += 1;
            let mut pending = Allocation {
                routes,
                outcome: None,
            };
            let bound = session
                .request_remote_forward(bind_host, 0)
                .await
                .map_err(|e| remote_error(e, refused()))?;
            // A success without a port (or with 0, or one that is not a port) is malformed:
            // a protocol error that ends the connection, as in ssh.
            let Some(bound16) = u16::try_from(bound).ok().filter(|&p| p != 0) else {
                session.disconnect().await;
                return Err(ForwardError::MalformedReply {
                    request: "tcpip-forward",
                    problem: if bound == 0 {
                        "no port in the reply to a request for port 0".to_owned()
                    } else {
                        format!("invalid allocated port {bound}")
                    },
                });
            };
            pending.outcome = Some((Route::Tcp(bind_host.to_owned(), bound), tx));
            bound16
        } else {
            let route = Route::Tcp(bind_host.to_owned(), u32::from(port));
            routes.insert(route.clone(), tx);
            if let Err(e) = session
                .request_remote_forward(bind_host, u32::from(port))
                .await
            {
                routes.remove(&route);
                return Err(remote_error(e, refused()));
            }
            port
        };
        Ok(Self {
            routes: routes.clone(),
            route: Route::Tcp(bind_host.to_owned(), u32::from(bound)),
            rx,
            session: session.clone(),
            port: bound,
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
        routes.insert(route.clone(), tx);
        if let Err(e) = session.request_remote_streamlocal_forward(path).await {
            routes.remove(&route);
            let refused = ForwardError::RemoteForwardRefused {
                listen: Listen::Unix(path.to_owned()),
            };
            return Err(remote_error(e, refused));
        }
        Ok(Self {
            routes: routes.clone(),
            route,
            rx,
            session: session.clone(),
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
        self.routes.remove(&self.route);
        match &self.route {
            Route::Tcp(host, port) => self.session.cancel_remote_forward(host, *port).await?,
            Route::Unix(path) => self.session.cancel_remote_streamlocal_forward(path).await?,
        }
        Ok(())
    }
}

impl Drop for RemoteListener {
    fn drop(&mut self) {
        // `cancel` removed the route already; otherwise cancel on the server in the background.
        if !self.routes.remove(&self.route) || self.session.is_closed() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (session, route) = (self.session.clone(), self.route.clone());
        rt.spawn(async move {
            let r = match &route {
                Route::Tcp(host, port) => session.cancel_remote_forward(host, *port).await,
                Route::Unix(path) => session.cancel_remote_streamlocal_forward(path).await,
            };
            if let Err(e) = r {
                tracing::debug!(error = %e, "remote forward cancel failed");
            }
        });
    }
}
