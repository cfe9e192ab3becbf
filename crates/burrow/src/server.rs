//! `Server`: accept connections (MaxStartups, LoginGraceTime), authenticate them through the
//! caller's `ServerHandler`, run their channels, and stop gracefully.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use burrow_connection::ConnectionConfig;
use burrow_keys::{KeyPair, PublicKey};
use burrow_transport::{HostKeySigner, Transport, TransportConfig};
use rand_core::RngCore;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::core::{Incoming, SessionCore};
use crate::driver::{Driver, Shared, in_span, now};
use crate::error::{Error, ErrorKind, Phase};
use crate::incoming::{IncomingChannel, IncomingGlobalRequest, WeakSession};
use crate::keepalive::Keepalive;
use crate::quickack::QuickAck;
use crate::startups::{MaxStartups, StartupCounter, StartupGuard};

/// Who is on the other end of an authenticated connection.
#[derive(Debug)]
pub struct ConnectionInfo<P> {
    /// The peer address.
    pub peer: String,
    /// The user it authenticated as.
    pub user: String,
    /// What the handler granted at authentication.
    pub permissions: P,
    /// The session, to open `forwarded-tcpip` channels for remote forwards.
    pub session: WeakSession,
    /// The USERAUTH_REQUEST payload that completed authentication (a privilege-separated
    /// server's monitor checks its signature again).
    pub userauth_request: Vec<u8>,
}

/// The server application's decisions: authentication, channel opens, global requests.
/// Methods run on the connection's task without locks held and must not block.
pub trait ServerHandler: Send + Sync + 'static {
    /// What a successful login grants (e.g. authorized_keys options).
    type Permissions: Send + Sync + 'static;

    /// Whether `key` may log in as `user` from `peer` (see [`crate::AuthorizedKeysFile`]).
    /// `peer` is the client's address as accepted, an IPv4-mapped IPv6 address given as
    /// IPv4 (a dual-stack listener's IPv4 clients match IPv4 `from=` patterns, as in sshd).
    fn auth_publickey(
        &self,
        peer: SocketAddr,
        user: &str,
        key: &PublicKey,
    ) -> Option<Self::Permissions>;

    /// Whether the user certificate `cert` (CA signature already verified against
    /// CASignatureAlgorithms) may log in as `user` from `peer`: a trusted CA, principals,
    /// validity, critical options. The default refuses every certificate.
    fn auth_certificate(
        &self,
        peer: SocketAddr,
        user: &str,
        cert: &burrow_keys::Certificate,
    ) -> Option<Self::Permissions> {
        let _ = (peer, user, cert);
        None
    }

    /// Whether `password` is right (only asked when the userauth config enables passwords).
    fn auth_password(
        &self,
        peer: SocketAddr,
        user: &str,
        password: &str,
    ) -> Option<Self::Permissions> {
        let _unused = (peer, user, password);
        None
    }

    /// The client has proved its identity; runs once, before any of its channel opens or
    /// global requests reaches the handler (burrowd drops privileges here). An `Err` ends
    /// the connection.
    fn authenticated(&self, conn: &ConnectionInfo<Self::Permissions>) -> std::io::Result<()> {
        let _unused = conn;
        Ok(())
    }

    /// The client wants a channel (`direct-tcpip`, `session`, ...). Dropping it refuses.
    fn channel_open(&self, conn: &ConnectionInfo<Self::Permissions>, channel: IncomingChannel);

    /// The client sent a global request (`tcpip-forward`, ...). Dropping it refuses.
    fn global_request(
        &self,
        conn: &ConnectionInfo<Self::Permissions>,
        request: IncomingGlobalRequest,
    ) {
        let _unused = conn;
        drop(request);
    }
}

/// Everything a server needs.
#[derive(Clone)]
pub struct ServerConfig {
    /// The host keys (at most one per key type is used: the first).
    pub host_keys: Arc<[KeyPair]>,
    /// When set, signs the exchange hashes instead of `host_keys` (keys held by another
    /// process).
    pub host_key_signer: Option<Arc<dyn HostKeySigner>>,
    /// Algorithms and rekey limits.
    pub transport: Arc<TransportConfig>,
    /// Channel limits and window sizes.
    pub connection: ConnectionConfig,
    /// Methods offered, MaxAuthTries, LoginGraceTime, banner.
    pub userauth: burrow_userauth::ServerConfig,
    /// MaxStartups.
    pub max_startups: MaxStartups,
    /// ClientAliveInterval (`None`: off).
    pub client_alive_interval: Option<Duration>,
    /// ClientAliveCountMax.
    pub client_alive_count_max: u32,
}

impl ServerConfig {
    /// Defaults (OpenSSH's) with this host key.
    pub fn new(host_key: KeyPair) -> Self {
        Self::with_host_keys(vec![host_key])
    }

    /// Defaults (OpenSSH's) with several host keys, offered in the transport's
    /// HostKeyAlgorithms order.
    pub fn with_host_keys(host_keys: Vec<KeyPair>) -> Self {
        Self {
            host_keys: host_keys.into(),
            host_key_signer: None,
            transport: Arc::new(TransportConfig::default()),
            connection: crate::core::default_connection_config(),
            userauth: burrow_userauth::ServerConfig::default(),
            max_startups: MaxStartups::default(),
            client_alive_interval: None,
            client_alive_count_max: 3,
        }
    }
}

/// Live connections and the stop signal, shared by the accept loop and `ServerStop`.
#[derive(Default)]
struct ServerState {
    conns: Mutex<Vec<Weak<Shared>>>,
    stop: Notify,
    stopped: std::sync::atomic::AtomicBool,
    startups: StartupCounter,
}

/// Stops a running server: no new connections; connections still authenticating end now,
/// the others once their channels are closed or at the grace deadline.
#[derive(Clone)]
pub struct ServerStop(Arc<ServerState>);

impl ServerStop {
    /// A handle for connections served one by one with [`Server::serve_stream_stoppable`]
    /// (an inetd-style or per-connection process).
    pub fn standalone() -> Self {
        Self(Arc::default())
    }

    /// Stops accepting and drains connections for at most `grace`.
    pub fn stop(&self, grace: Duration) {
        self.0
            .stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.0.stop.notify_waiters();
        let deadline = now().checked_add(grace).unwrap_or_else(now);
        let conns = self
            .0
            .conns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        for shared in conns.iter().filter_map(Weak::upgrade) {
            {
                let mut core = shared.lock();
                match core.phase {
                    Phase::Connection => core.drain_deadline = Some(deadline),
                    _ => core.disconnect_requested = true,
                }
            }
            shared.notify.notify_one();
        }
    }
}

/// An SSH server on a TCP listener.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::net::SocketAddr;
/// use burrow::{AuthorizedKeysFile, ConnectionInfo, IncomingChannel, KeyOptions, Server,
///     ServerConfig, ServerHandler, KeyPair, PublicKey};
///
/// struct Keys(AuthorizedKeysFile);
///
/// impl ServerHandler for Keys {
///     type Permissions = KeyOptions;
///     fn auth_publickey(&self, peer: SocketAddr, _user: &str, key: &PublicKey) -> Option<KeyOptions> {
///         self.0.lookup(key, peer.ip())
///     }
///     fn channel_open(&self, _conn: &ConnectionInfo<KeyOptions>, channel: IncomingChannel) {
///         // Decide from channel.channel_type() and conn.permissions; dropping refuses.
///         drop(channel);
///     }
/// }
///
/// let host_key = KeyPair::from_ed25519_seed(&[7; 32]);
/// let handler = Keys(AuthorizedKeysFile::new("/etc/burrow/authorized_keys".into()));
/// let server = Server::bind("127.0.0.1:2222", ServerConfig::new(host_key), handler).await?;
/// let stop = server.stopper();
/// tokio::spawn(async move {
///     tokio::signal::ctrl_c().await.ok();
///     stop.stop(std::time::Duration::from_secs(10));
/// });
/// server.run().await?;
/// # Ok(()) }
/// ```
pub struct Server<H: ServerHandler> {
    listener: TcpListener,
    config: Arc<ServerConfig>,
    handler: Arc<H>,
    state: Arc<ServerState>,
}

impl<H: ServerHandler> Server<H> {
    /// Binds `addr` and returns a server ready to `run`.
    pub async fn bind(
        addr: impl ToSocketAddrs,
        config: ServerConfig,
        handler: H,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self::serve(listener, config, handler))
    }

    /// A server on an already bound listener.
    pub fn serve(listener: TcpListener, config: ServerConfig, handler: H) -> Self {
        Self {
            listener,
            config: Arc::new(config),
            handler: Arc::new(handler),
            state: Arc::new(ServerState::default()),
        }
    }

    /// The listening address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that stops `run`.
    pub fn stopper(&self) -> ServerStop {
        ServerStop(self.state.clone())
    }

    /// Accepts connections until stopped, then waits for the live ones to finish.
    pub async fn run(self) -> std::io::Result<()> {
        let mut tasks = JoinSet::new();
        loop {
            // Registered before the flag is read, so a stop between the two is not missed; and
            // preferred over a connection that is ready at the same moment.
            let stopped = self.state.stop.notified();
            if self.state.stopped.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let accepted = tokio::select! {
                biased;
                () = stopped => break,
                r = self.listener.accept() => r,
            };
            while tasks.try_join_next().is_some() {}
            let (stream, addr) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let n = self.state.startups.current();
            let roll = rand_core::OsRng.next_u32() % 100;
            if self.config.max_startups.should_drop(n, roll) {
                tracing::info!(peer = %addr, unauthenticated = n, "drop connection: MaxStartups");
                drop(stream);
                continue;
            }
            // Counted here, before the task exists: a burst accepted before any task runs
            // sees every earlier connection of the burst.
            let startup = self.state.startups.enter();
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
            let (config, handler, state) = (
                self.config.clone(),
                self.handler.clone(),
                self.state.clone(),
            );
            tasks.spawn(async move {
                let stream = QuickAck::new(stream);
                let r = serve_connection(stream, addr, config, handler, state, startup).await;
                if let Err(e) = r {
                    tracing::info!(error = %e, "connection ended");
                }
            });
        }
        // Refuse new connections at once while the live ones drain.
        drop(self.listener);
        while tasks.join_next().await.is_some() {}
        Ok(())
    }

    /// Serves one connection over any byte stream until it ends (for tests and inetd-style
    /// use); `peer` is the other end's address.
    pub async fn serve_stream<S>(
        stream: S,
        peer: SocketAddr,
        config: Arc<ServerConfig>,
        handler: Arc<H>,
    ) -> Result<(), Arc<Error>>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let state = Arc::<ServerState>::default();
        let startup = state.startups.enter();
        serve_connection(stream, peer, config, handler, state, startup).await
    }

    /// [`Server::serve_stream`] that `stop` drains as it drains a listening server.
    pub async fn serve_stream_stoppable<S>(
        stream: S,
        peer: SocketAddr,
        config: Arc<ServerConfig>,
        handler: Arc<H>,
        stop: &ServerStop,
    ) -> Result<(), Arc<Error>>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let startup = stop.0.startups.enter();
        serve_connection(stream, peer, config, handler, stop.0.clone(), startup).await
    }
}

/// The client's address as sshd logs and matches it: IPv4-mapped IPv6 (a dual-stack
/// listener's IPv4 client) as plain IPv4.
fn canonical_peer(peer: SocketAddr) -> SocketAddr {
    SocketAddr::new(peer.ip().to_canonical(), peer.port())
}

async fn serve_connection<S, H>(
    stream: S,
    peer: SocketAddr,
    config: Arc<ServerConfig>,
    handler: Arc<H>,
    state: Arc<ServerState>,
    startup: StartupGuard,
) -> Result<(), Arc<Error>>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
    H: ServerHandler,
{
    let peer_addr = canonical_peer(peer);
    let peer = peer_addr.to_string();
    let span = tracing::info_span!("ssh", side = "server", peer = %peer);
    let rng = crate::rng::connection_rng();
    let transport = match &config.host_key_signer {
        Some(signer) => {
            Transport::server_with_signer(config.transport.clone(), signer.clone(), rng, now())
        }
        None => Transport::server(
            config.transport.clone(),
            config.host_keys.clone(),
            rng,
            now(),
        ),
    };
    let core = SessionCore::new(peer.clone(), transport, config.connection.clone(), None);
    let shared = Shared::new(core, span.clone());
    {
        let mut conns = state
            .conns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        conns.retain(|w| w.strong_count() > 0);
        conns.push(Arc::downgrade(&shared));
    }
    let mut driver = Driver::new(shared.clone(), stream);
    let grace = config.userauth.login_grace_time;
    let handshake = in_span(
        span.clone(),
        crate::server_auth::authenticate(&mut driver, &config, &*handler, peer_addr),
    );
    // LoginGraceTime 0 is no limit (sshd).
    let outcome = if grace.is_zero() {
        handshake.await
    } else {
        match tokio::time::timeout(grace, handshake).await {
            Ok(r) => r,
            Err(_) => Err(shared.lock().error(ErrorKind::LoginGraceTimeExpired {
                seconds: grace.as_secs(),
            })),
        }
    };
    drop(startup);
    let (user, permissions, userauth_request) = match outcome {
        Ok(x) => x,
        Err(e) => {
            driver.abort(&e).await;
            return Err(Arc::new(e));
        }
    };
    tracing::debug!(parent: &span, user = %crate::auth_log::printable(&user), "authenticated");
    if let Some(interval) = config.client_alive_interval {
        shared.lock().keepalive = Some(Keepalive::new(
            interval,
            config.client_alive_count_max,
            now(),
        ));
    }
    let info = ConnectionInfo {
        peer,
        user,
        permissions,
        session: WeakSession::new(&shared),
        userauth_request,
    };
    if let Err(e) = handler.authenticated(&info) {
        let err = shared.lock().error(ErrorKind::Io(e));
        driver.abort(&err).await;
        return Err(Arc::new(err));
    }
    let run = driver.run(move |shared, incoming| match incoming {
        Incoming::Channel(id, t) => {
            handler.channel_open(&info, IncomingChannel::new(shared.clone(), id, t));
        }
        Incoming::Global(id, want_reply, r) => {
            let request = IncomingGlobalRequest::new(shared.clone(), id, want_reply, r);
            handler.global_request(&info, request);
        }
    });
    match in_span(span, run).await {
        Some(e) if !ends_cleanly(&e) => Err(e),
        _ => Ok(()),
    }
}

/// True for a session that ended by either side's choice rather than by a failure.
fn ends_cleanly(e: &Error) -> bool {
    match &*e.kind {
        ErrorKind::LocallyClosed | ErrorKind::PeerClosedSocket => true,
        ErrorKind::PeerDisconnected { reason, .. } => {
            *reason == burrow_wire::DisconnectReason::ByApplication
        }
        _ => false,
    }
}
