//! Server-side forwarding for burrowd: answers direct-tcpip / direct-streamlocal opens
//! (connect with a timeout) and tcpip-forward / streamlocal-forward requests, all behind the
//! [`ForwardPolicy`] with denial logs.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use burrow::{
    Channel, ChannelOpenType, GlobalRequestKind, IncomingChannel, IncomingGlobalRequest,
    OpenFailureReason, WeakSession,
};
use burrow_keyfiles::KeyOptions;

use crate::net::LocalStream;
use crate::policy::{Decision, ForwardPolicy, ForwardRequest, denial_log_line};
use crate::pump::{Origin, join};
use crate::server_listen::{
    BindSlot, ListenKey, OpenKind, SessionForwards, answer_cancel, register,
};
use crate::sockets::{Direct, Sockets};
use crate::spec::Connect;
use crate::stats::{ActiveGuard, ForwardStats, StatsLedger};

/// Who asked, for policy decisions and log lines.
#[derive(Debug, Clone, Copy)]
pub struct Requester<'a> {
    /// The authenticated user.
    pub user: &'a str,
    /// The fingerprint of the key they logged in with (`SHA256:...`), or a method name.
    pub key_fingerprint: &'a str,
    /// The key's authorized_keys options (`KeyOptions::unrestricted()` for other methods).
    pub key: &'a KeyOptions,
}

/// The default bound on remote-forward listeners one connection may hold (OpenSSH counts
/// them among its channels, at most 16384 per connection).
pub const DEFAULT_MAX_LISTENERS: usize = 1024;

/// The forwarding side of a server: answers channel opens and global requests.
#[derive(Debug, Clone)]
pub struct ForwardServer {
    policy: Arc<ForwardPolicy>,
    connect_timeout: Duration,
    stats: Arc<ForwardStats>,
    ledger: Option<Arc<dyn StatsLedger>>,
    max_listeners: usize,
    sockets: Arc<dyn Sockets>,
}

/// The io error text without Rust's " (os error N)" suffix, as sshd's strerror.
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s.get(..i).unwrap_or(&s).to_owned(),
        None => s,
    }
}

impl ForwardServer {
    /// A server applying `policy`, giving target connects `connect_timeout`.
    pub fn new(policy: ForwardPolicy, connect_timeout: Duration) -> Self {
        Self {
            policy: Arc::new(policy),
            connect_timeout,
            stats: ForwardStats::new(),
            ledger: None,
            max_listeners: DEFAULT_MAX_LISTENERS,
            sockets: Arc::new(Direct),
        }
    }

    /// Opens every socket through `sockets` (default [`Direct`]: this process does it).
    pub fn with_sockets(mut self, sockets: Arc<dyn Sockets>) -> Self {
        self.sockets = sockets;
        self
    }

    /// Bounds the remote-forward listeners of one connection (default
    /// [`DEFAULT_MAX_LISTENERS`]), counting those still binding; requests past it are
    /// refused.
    pub fn with_max_listeners(mut self, max: usize) -> Self {
        self.max_listeners = max;
        self
    }

    /// Counts each user's forwards in `ledger` instead of [`ForwardServer::stats`].
    pub fn with_ledger(mut self, ledger: Arc<dyn StatsLedger>) -> Self {
        self.ledger = Some(ledger);
        self
    }

    /// The counters for `forward` of `who`.
    fn stats_for(&self, who: &Requester<'_>, forward: &dyn std::fmt::Display) -> Arc<ForwardStats> {
        match &self.ledger {
            Some(l) => l.stats_for(who.user, &forward.to_string()),
            None => self.stats.clone(),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &ForwardPolicy {
        &self.policy
    }

    /// Counters over every forwarded connection of this server (without a ledger).
    pub fn stats(&self) -> Arc<ForwardStats> {
        self.stats.clone()
    }

    fn decide(&self, who: &Requester<'_>, request: &ForwardRequest<'_>) -> bool {
        match self.policy.check(who.key, request) {
            Decision::Allow => true,
            Decision::Deny(denial) => {
                let line = denial_log_line(who.user, who.key_fingerprint, request, denial);
                tracing::info!("{line}");
                false
            }
        }
    }

    /// Answers a channel open: direct-tcpip and direct-streamlocal are checked, connected
    /// (in a spawned task) and joined; anything else is refused as an unknown channel type.
    pub fn channel_open(&self, who: &Requester<'_>, channel: IncomingChannel) {
        let target = match channel.channel_type() {
            ChannelOpenType::DirectTcpip {
                host_to_connect,
                port_to_connect,
                ..
            } => {
                let request = ForwardRequest::DirectTcpip {
                    host: host_to_connect,
                    port: *port_to_connect,
                };
                if !self.decide(who, &request) {
                    channel.reject(OpenFailureReason::AdministrativelyProhibited, "open failed");
                    return;
                }
                let Ok(port) = u16::try_from(*port_to_connect) else {
                    channel.reject(OpenFailureReason::AdministrativelyProhibited, "open failed");
                    return;
                };
                Connect::Tcp {
                    host: host_to_connect.to_string(),
                    port,
                }
            }
            ChannelOpenType::DirectStreamlocal { socket_path, .. } => {
                let request = ForwardRequest::DirectStreamlocal { path: socket_path };
                if !self.decide(who, &request) {
                    channel.reject(OpenFailureReason::AdministrativelyProhibited, "open failed");
                    return;
                }
                Connect::Unix(socket_path.to_string())
            }
            other => {
                tracing::info!(user = who.user, channel_type = ?other, "refused channel open");
                channel.reject(
                    OpenFailureReason::UnknownChannelType,
                    "unknown channel type",
                );
                return;
            }
        };
        let label = match &target {
            Connect::Tcp { .. } => format!("direct-tcpip {target}"),
            Connect::Unix(_) => format!("direct-streamlocal {target}"),
        };
        let (timeout, stats) = (self.connect_timeout, self.stats_for(who, &label));
        let opening = Connecting {
            sockets: self.sockets.clone(),
            target,
            timeout,
            channel,
            stats,
        };
        tokio::spawn(serve_opened(Box::pin(opening.connect()), Origin::Channel));
    }

    /// Answers a global request: tcpip-forward and streamlocal-forward (and their cancels)
    /// open and close listeners recorded in `forwards`; anything else is refused.
    pub fn global_request(
        &self,
        who: &Requester<'_>,
        forwards: &Arc<SessionForwards>,
        session: WeakSession,
        request: IncomingGlobalRequest,
    ) {
        match request.request().clone() {
            GlobalRequestKind::TcpipForward {
                address_to_bind,
                port_to_bind,
            } => {
                let check = ForwardRequest::TcpipForward {
                    host: &address_to_bind,
                    port: port_to_bind,
                    want_reply: true,
                };
                let slot = match self.decide(who, &check) {
                    true => self.bind_slot(who, forwards),
                    false => None,
                };
                let Some(slot) = slot else {
                    request.reject();
                    return;
                };
                let label = format!("tcpip-forward {address_to_bind}:{port_to_bind}");
                self.spawn_tcp_listener(
                    (forwards, slot),
                    self.stats_for(who, &label),
                    session,
                    request,
                    address_to_bind.to_string(),
                    port_to_bind,
                );
            }
            GlobalRequestKind::CancelTcpipForward {
                address_to_bind,
                port_to_bind,
            } => {
                let key = ListenKey::Tcp(address_to_bind.to_string(), port_to_bind);
                answer_cancel(forwards, &key, request);
            }
            GlobalRequestKind::StreamlocalForward { socket_path } => {
                let check = ForwardRequest::StreamlocalForward { path: &socket_path };
                let slot = match self.decide(who, &check) {
                    true => self.bind_slot(who, forwards),
                    false => None,
                };
                let Some(slot) = slot else {
                    request.reject();
                    return;
                };
                let path = socket_path.to_string();
                let stats = self.stats_for(who, &format!("streamlocal-forward {path}"));
                self.spawn_unix_listener((forwards, slot), stats, session, request, path);
            }
            GlobalRequestKind::CancelStreamlocalForward { socket_path } => {
                answer_cancel(forwards, &ListenKey::Unix(socket_path.to_string()), request);
            }
            _ => request.reject(),
        }
    }

    /// A slot for one more listener while the connection holds (or is binding) fewer than
    /// allowed; logs a refusal.
    fn bind_slot(&self, who: &Requester<'_>, forwards: &Arc<SessionForwards>) -> Option<BindSlot> {
        let open = forwards.claimed();
        if open < self.max_listeners {
            return Some(forwards.bind_slot());
        }
        tracing::info!(
            user = who.user,
            open,
            limit = self.max_listeners,
            "remote forward refused: too many listeners"
        );
        None
    }

    fn spawn_tcp_listener(
        &self,
        (forwards, slot): (&Arc<SessionForwards>, BindSlot),
        stats: Arc<ForwardStats>,
        session: WeakSession,
        request: IncomingGlobalRequest,
        address: String,
        port: u32,
    ) {
        let bind = self.policy.bind_for(&address);
        let forwards = Arc::downgrade(forwards);
        let sockets = self.sockets.clone();
        tokio::spawn(async move {
            // Counted until the listener is registered or the bind failed.
            let _slot = slot;
            let Ok(port16) = u16::try_from(port) else {
                request.reject();
                return;
            };
            let listener = match sockets.bind_tcp(&bind.addr, port16).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::info!(address = %address, port, error = %e, "remote forward bind failed");
                    request.reject();
                    return;
                }
            };
            if let Some(msg) = &bind.overridden {
                tracing::debug!("{msg}");
            }
            let bound = u32::from(listener.port());
            // Keyed by the bound port: cancels name the allocated port (as sshd matches them).
            let key = ListenKey::Tcp(address.clone(), bound);
            let open = OpenKind::Tcp {
                address,
                port: bound,
            };
            if register(&forwards, key, listener, session, open, stats, None) {
                request.accept((port == 0).then_some(bound));
            } else {
                request.reject();
            }
        });
    }

    fn spawn_unix_listener(
        &self,
        (forwards, slot): (&Arc<SessionForwards>, BindSlot),
        stats: Arc<ForwardStats>,
        session: WeakSession,
        request: IncomingGlobalRequest,
        path: String,
    ) {
        let unlink = self.policy.stream_local_bind_unlink;
        let forwards = Arc::downgrade(forwards);
        let sockets = self.sockets.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let listener = match sockets.bind_unix(path.as_ref(), unlink).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::info!(path = %path, error = %e, "remote streamlocal bind failed");
                    request.reject();
                    return;
                }
            };
            let key = ListenKey::Unix(path.clone());
            let unlink_path = Some((PathBuf::from(&path), sockets));
            if register(
                &forwards,
                key,
                listener,
                session,
                OpenKind::Unix(path),
                stats,
                unlink_path,
            ) {
                request.accept(None);
            } else {
                request.reject();
            }
        });
    }
}

/// What a direct-tcpip or direct-streamlocal open needs until it is joined. Its future is
/// boxed, so that none of it stays in the task of an open channel.
struct Connecting {
    sockets: Arc<dyn Sockets>,
    target: Connect,
    timeout: Duration,
    channel: IncomingChannel,
    stats: Arc<ForwardStats>,
}

/// One forwarded channel of the server (direct-tcpip, or a connection to a remote-forward
/// listener): opens it, then joins. The opening (a target connect with its timer, the open
/// request, the target name) is a boxed future freed before the join, so an open channel's
/// task holds only the join.
pub(crate) async fn serve_opened(
    opening: Pin<Box<impl Future<Output = Option<(LocalStream, Channel, ActiveGuard)>>>>,
    origin: Origin,
) {
    let Some((stream, channel, active)) = opening.await else {
        return;
    };
    if let Err(e) = join(stream, channel, active.stats(), origin).await {
        tracing::debug!(error = %e, "forwarded connection ended");
    }
}

impl Connecting {
    /// Connects to the target and accepts the channel (counted as active), or rejects it
    /// with the connect error.
    async fn connect(self) -> Option<(LocalStream, Channel, ActiveGuard)> {
        let Self {
            sockets,
            target,
            timeout,
            channel,
            stats,
        } = self;
        let started = std::time::Instant::now();
        let connected = sockets.connect(&target, timeout).await;
        stats.connect_took(started.elapsed());
        let stream = match connected {
            Ok(s) => s,
            Err(e) => {
                stats.failed();
                tracing::info!(target = %target, error = %e, "connect failed");
                channel.reject(OpenFailureReason::ConnectFailed, &strerror(&e));
                return None;
            }
        };
        let active = stats.connection_started();
        match channel.accept() {
            Ok(ch) => Some((stream, ch, active)),
            Err(e) => {
                tracing::debug!(error = %e, "channel accept failed");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_channels_task_holds_little_more_than_the_join() {
        let connected = Box::pin(async { None::<(LocalStream, Channel, ActiveGuard)> });
        let task = serve_opened(connected, Origin::Channel);
        let size = std::mem::size_of_val(&task);
        eprintln!("server task future: {size} bytes");
        assert!(size <= 280, "{size}");
    }
}
