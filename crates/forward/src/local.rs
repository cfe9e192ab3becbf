//! Client forwards that listen locally: `-L` (each connection opens a direct-tcpip or
//! direct-streamlocal channel) and `-D` (each connection speaks SOCKS first).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow::{Channel, ErrorKind, OpenFailureReason, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::bind::client_bind_addr;
use crate::error::ForwardError;
use crate::net::{LocalListener, LocalStream, Originator};
use crate::policy::PermitList;
use crate::pump::{Origin, join_observed};
use crate::session_slot::SessionSlot;
use crate::socks::{SocksReply, SocksServer, Step};
use crate::spec::{Connect, Listen};
use crate::stats::{ActiveGuard, ChannelObserver, ForwardStats};

/// How long a SOCKS client may take to send its request.
const SOCKS_TIMEOUT: Duration = Duration::from_secs(30);

/// Local connections one listener holds while its [`SessionSlot`] is down (reconnecting);
/// past it a new connection is closed at once.
pub const MAX_WAITING: usize = 64;

/// Options shared by the client's forwards (ssh_config names).
#[derive(Debug, Clone)]
pub struct ForwardOptions {
    /// GatewayPorts: listeners without an address bind every interface.
    pub gateway_ports: bool,
    /// StreamLocalBindUnlink: remove a stale unix socket before binding.
    pub stream_local_bind_unlink: bool,
    /// How long connecting to a local target (for `-R`) may take.
    pub connect_timeout: Duration,
    /// PermitRemoteOpen (client): where a reverse dynamic (`-R port` SOCKS) forward may
    /// connect; `any` unless set.
    pub permit_remote_open: PermitList,
    /// Told when each forwarded channel opens and closes (by [`start_forwards`]).
    ///
    /// [`start_forwards`]: crate::start_forwards
    pub observer: Option<Arc<dyn ChannelObserver>>,
}

impl Default for ForwardOptions {
    fn default() -> Self {
        Self {
            gateway_ports: false,
            stream_local_bind_unlink: false,
            connect_timeout: Duration::from_secs(30),
            permit_remote_open: PermitList::Any,
            observer: None,
        }
    }
}

/// Opens a channel on which the server connects to `target` (direct-tcpip for host:port,
/// direct-streamlocal@openssh.com for a path), naming `originator` as the source.
///
/// ```no_run
/// # async fn f(session: burrow::Session) -> Result<(), Box<dyn std::error::Error>> {
/// use burrow_forward::{Connect, open_direct};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// let target = Connect::Tcp { host: "localhost".into(), port: 80 };
/// let mut stream = open_direct(&session, &target, None).await?;
/// stream.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
/// let mut page = Vec::new();
/// stream.read_to_end(&mut page).await?;
/// # Ok(()) }
/// ```
pub async fn open_direct(
    session: &Session,
    target: &Connect,
    originator: Option<&Originator>,
) -> Result<Channel, ForwardError> {
    let (addr, port) = originator.map_or(("127.0.0.1", 0), |o| (o.address.as_str(), o.port));
    let channel = match target {
        Connect::Tcp { host, port: p } => session.open_direct_tcpip(host, *p, addr, port).await?,
        Connect::Unix(path) => session.open_direct_streamlocal(path).await?,
    };
    Ok(channel)
}

/// What each accepted connection does.
#[derive(Debug, Clone)]
enum Mode {
    /// `-L`: a channel to this target.
    Direct(Connect),
    /// `-D`: SOCKS decides the target.
    Socks,
}

/// A running local listener (`-L` or `-D`). Dropping it closes the listener and every
/// connection it forwards.
#[derive(Debug)]
pub struct LocalForward {
    listener: LocalListener,
    slot: SessionSlot,
    /// Permits for connections waiting for a session ([`MAX_WAITING`]).
    waiting: Arc<Semaphore>,
    mode: Mode,
    stats: Arc<ForwardStats>,
    describe: String,
}

async fn bind_listen(
    listen: &Listen,
    opts: &ForwardOptions,
) -> Result<LocalListener, ForwardError> {
    let r = match listen {
        Listen::Tcp { bind, port } => {
            let addr = client_bind_addr(bind.as_deref(), opts.gateway_ports);
            LocalListener::bind_tcp(&addr, *port).await
        }
        Listen::Unix(path) => {
            LocalListener::bind_unix(path.as_ref(), opts.stream_local_bind_unlink)
        }
    };
    r.map_err(|source| ForwardError::Bind {
        listen: listen.clone(),
        source,
    })
}

impl LocalForward {
    /// Binds a `-L` listener: each connection is forwarded to `connect` through `session`
    /// (a [`Session`], or a [`SessionSlot`] for a listener that outlives connections).
    ///
    /// ```no_run
    /// # async fn f(session: burrow::Session) -> Result<(), burrow_forward::ForwardError> {
    /// use burrow_forward::{ForwardOptions, ForwardSpec, LocalForward};
    /// let ForwardSpec::Local(spec) = ForwardSpec::parse_local("8080:intranet:80")? else {
    ///     unreachable!()
    /// };
    /// let fwd = LocalForward::local(&session, &spec.listen, spec.connect, &ForwardOptions::default()).await?;
    /// let stats = fwd.stats();
    /// let why = fwd.run().await; // serves until the SSH connection ends
    /// eprintln!("{why}; {} connections", stats.snapshot().connections);
    /// # Ok(()) }
    /// ```
    pub async fn local(
        session: impl Into<SessionSlot>,
        listen: &Listen,
        connect: Connect,
        opts: &ForwardOptions,
    ) -> Result<Self, ForwardError> {
        let listener = bind_listen(listen, opts).await?;
        Ok(Self {
            describe: format!("{listen} -> {connect}"),
            listener,
            slot: session.into(),
            waiting: Arc::new(Semaphore::new(MAX_WAITING)),
            mode: Mode::Direct(connect),
            stats: ForwardStats::new(),
        })
    }

    /// Binds a `-D` listener: a SOCKS4/4a/5 server whose CONNECTs go through `session`.
    pub async fn dynamic(
        session: impl Into<SessionSlot>,
        listen: &Listen,
        opts: &ForwardOptions,
    ) -> Result<Self, ForwardError> {
        let listener = bind_listen(listen, opts).await?;
        Ok(Self {
            describe: format!("{listen} (socks)"),
            listener,
            slot: session.into(),
            waiting: Arc::new(Semaphore::new(MAX_WAITING)),
            mode: Mode::Socks,
            stats: ForwardStats::new(),
        })
    }

    /// The bound TCP port (useful after binding port 0); 0 for unix sockets.
    pub fn port(&self) -> u16 {
        self.listener.port()
    }

    /// The bound TCP addresses.
    pub fn local_addrs(&self) -> Vec<std::net::SocketAddr> {
        self.listener.local_addrs()
    }

    /// The counters of this forward.
    pub fn stats(&self) -> Arc<ForwardStats> {
        self.stats.clone()
    }

    /// Serves connections until the SSH connection ends (for a swappable [`SessionSlot`]:
    /// until it is ended), then closes the listener and every forwarded socket and returns
    /// why ([`ForwardError::SessionClosed`]), or returns an accept error.
    pub async fn run(self) -> ForwardError {
        self.run_until(std::future::pending()).await
    }

    /// [`run`](Self::run) until `stop` completes: then the listener is closed (new
    /// connections are refused) and the connections already open are served to their end.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()>) -> ForwardError {
        let mut tasks = JoinSet::new();
        let slot = self.slot.clone();
        let closed = slot.ended();
        tokio::pin!(closed, stop);
        loop {
            while tasks.try_join_next().is_some() {}
            let accepted = tokio::select! {
                e = &mut closed => return ForwardError::SessionClosed(e),
                () = &mut stop => {
                    drop(self.listener);
                    return drain(tasks, closed).await;
                }
                a = self.listener.accept() => a,
            };
            let (stream, originator) = match accepted {
                Ok(x) => x,
                Err(e) if is_transient(&e) => {
                    tracing::warn!(forward = %self.describe, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                Err(e) => return ForwardError::Io(e),
            };
            let from = peer_of(&originator);
            let opening = Opening {
                slot: self.slot.clone(),
                waiting: self.waiting.clone(),
                mode: self.mode.clone(),
                stream,
                originator,
                stats: self.stats.clone(),
            };
            let active = self.stats.connection_started();
            tasks.spawn(serve(
                Box::pin(opening.open()),
                Origin::Stream,
                from,
                active,
            ));
        }
    }
}

/// What an accepted connection needs until its channel is open. Its future is boxed, so
/// that none of it stays in the task of an open connection.
struct Opening {
    slot: SessionSlot,
    waiting: Arc<Semaphore>,
    mode: Mode,
    stream: LocalStream,
    originator: Originator,
    stats: Arc<ForwardStats>,
}

/// One forwarded connection (`-L`, `-D`, `-R`): opens its channel, then joins. The opening
/// (SOCKS, the channel open or confirmation, a target connect) is a boxed future freed
/// before the join, so an open connection's task holds only the join: no SOCKS buffer, no
/// timer, no target name. `from` is the peer, for the line logged if the join fails.
pub(crate) async fn serve(
    opening: Pin<Box<impl Future<Output = Option<(LocalStream, Channel)>>>>,
    origin: Origin,
    from: Option<SocketAddr>,
    active: ActiveGuard,
) {
    let Some((stream, channel)) = opening.await else {
        return;
    };
    if let Err(e) = join_observed(stream, channel, active.stats(), origin).await {
        let (address, port) = from.map_or((String::new(), 0), |a| (a.ip().to_string(), a.port()));
        ended(&Originator { address, port }, &e.into());
    }
}

pub(crate) fn ended(originator: &Originator, e: &ForwardError) {
    tracing::info!(from = %originator.address, port = originator.port, error = %e, "forwarded connection ended");
}

/// The peer of a TCP connection as an address without heap text (none for unix sockets),
/// kept by an open connection's task for the line logged at its end.
pub(crate) fn peer_of(o: &Originator) -> Option<SocketAddr> {
    let ip = o.address.parse().ok()?;
    Some(SocketAddr::new(ip, o.port))
}

impl Opening {
    /// The channel and the stream to join it to; a failure is logged.
    async fn open(self) -> Option<(LocalStream, Channel)> {
        let Self {
            slot,
            waiting,
            mode,
            stream,
            originator,
            stats,
        } = self;
        let opened = match mode {
            Mode::Direct(target) => open_channel(&slot, &waiting, &originator, &target, &stats)
                .await
                .map(|channel| (stream, channel)),
            Mode::Socks => open_socks(&slot, &waiting, stream, &originator, &stats).await,
        };
        opened.inspect_err(|e| ended(&originator, e)).ok()
    }
}

/// Waits for the connections in `tasks` to end (or the SSH connection, which ends them).
pub(crate) async fn drain(
    mut tasks: JoinSet<()>,
    closed: impl std::future::Future<Output = Arc<burrow::Error>>,
) -> ForwardError {
    let all = async { while tasks.join_next().await.is_some() {} };
    tokio::select! {
        e = closed => ForwardError::SessionClosed(e),
        () = all => ForwardError::Io(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "forward stopped; its connections have ended",
        )),
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionAborted | K::ConnectionReset | K::Interrupted | K::WouldBlock
    ) || e.raw_os_error().is_some_and(|c| c == 24 || c == 23) // EMFILE, ENFILE
}

/// The session to open a channel on: the current one, or (holding one of `waiting`'s
/// permits) the next one while the slot is down; an error when [`MAX_WAITING`] connections
/// wait already or no session will come.
async fn session_for(
    slot: &SessionSlot,
    waiting: &Arc<Semaphore>,
) -> Result<Session, ForwardError> {
    if let Some(s) = slot.current() {
        return Ok(s);
    }
    let Ok(_permit) = waiting.try_acquire() else {
        return Err(ForwardError::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            format!("no SSH connection and {MAX_WAITING} connections wait already"),
        )));
    };
    tracing::debug!("no SSH connection now; the local connection waits for the next one");
    slot.session().await.map_err(ForwardError::SessionClosed)
}

/// The channel to `target` (for `-L`, or a SOCKS request); an error closes the socket.
async fn open_channel(
    slot: &SessionSlot,
    waiting: &Arc<Semaphore>,
    originator: &Originator,
    target: &Connect,
    stats: &Arc<ForwardStats>,
) -> Result<Channel, ForwardError> {
    let opened = match session_for(slot, waiting).await {
        Ok(session) => {
            let started = Instant::now();
            let opened = open_direct(&session, target, Some(originator)).await;
            stats.connect_took(started.elapsed());
            opened
        }
        Err(e) => Err(e),
    };
    opened.inspect_err(|e| {
        stats.failed();
        tracing::info!(target = %target, error = %e, "channel open failed; closing the local connection");
    })
}

/// The SOCKS reply for a failed channel open.
pub(crate) fn socks_reply_for(e: &ForwardError) -> SocksReply {
    match e {
        ForwardError::Session(err) => match &*err.kind {
            ErrorKind::ChannelOpenFailed { reason, .. } => match reason {
                OpenFailureReason::AdministrativelyProhibited => SocksReply::NotAllowed,
                OpenFailureReason::ConnectFailed => SocksReply::ConnectionRefused,
                _ => SocksReply::GeneralFailure,
            },
            _ => SocksReply::GeneralFailure,
        },
        ForwardError::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => SocksReply::ConnectionRefused,
            std::io::ErrorKind::TimedOut => SocksReply::TtlExpired,
            _ => SocksReply::HostUnreachable,
        },
        _ => SocksReply::GeneralFailure,
    }
}

/// Reads a SOCKS request from `stream`, sending the negotiation replies; returns the request
/// and any bytes that followed it.
pub(crate) async fn negotiate<S>(
    stream: &mut S,
) -> Result<(crate::socks::SocksRequest, Vec<u8>), ForwardError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let work = async {
        let mut socks = SocksServer::new();
        let mut buf = [0u8; 512];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Err(ForwardError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            let mut out = Vec::new();
            let step = socks.feed(buf.get(..n).unwrap_or_default(), &mut out);
            if !out.is_empty() {
                stream.write_all(&out).await?;
            }
            if let Step::Request { request, leftover } = step? {
                return Ok((request, leftover));
            }
        }
    };
    match tokio::time::timeout(SOCKS_TIMEOUT, work).await {
        Ok(r) => r,
        Err(_) => Err(ForwardError::Io(std::io::ErrorKind::TimedOut.into())),
    }
}

/// `-D`: SOCKS, then a direct-tcpip channel to the requested target.
async fn open_socks(
    slot: &SessionSlot,
    waiting: &Arc<Semaphore>,
    mut stream: LocalStream,
    originator: &Originator,
    stats: &Arc<ForwardStats>,
) -> Result<(LocalStream, Channel), ForwardError> {
    let (request, leftover) = negotiate(&mut stream).await?;
    let target = Connect::Tcp {
        host: request.host(),
        port: request.port,
    };
    let mut channel = match open_channel(slot, waiting, originator, &target, stats).await {
        Ok(c) => c,
        Err(e) => {
            stream
                .write_all(&request.reply(socks_reply_for(&e)))
                .await?;
            return Err(e);
        }
    };
    stream
        .write_all(&request.reply(SocksReply::Succeeded))
        .await?;
    if !leftover.is_empty() {
        channel.write_all(&leftover).await?;
    }
    Ok((stream, channel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_connections_task_holds_little_more_than_the_join() {
        let opened = Box::pin(async { None::<(LocalStream, Channel)> });
        let active = ForwardStats::new().connection_started();
        let task = serve(opened, Origin::Stream, None, active);
        let size = std::mem::size_of_val(&task);
        eprintln!("client task future: {size} bytes");
        assert!(size <= 360, "{size}");
    }
}
