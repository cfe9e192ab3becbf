//! `Client`: connect over TCP or any byte stream, check the host key, authenticate (key pairs,
//! ssh-agent, password and keyboard-interactive callbacks), and hand back a `Session`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use burrow_connection::ConnectionConfig;
use burrow_keys::{Certificate, KeyPair, PublicKey, SigAlg};
use burrow_transport::{HostCerts, Transport, TransportConfig};
use burrow_userauth::{Method, PromptLine};
use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncRead, AsyncWrite};

use tokio::net::{TcpSocket, TcpStream};

use crate::agent::Agent;
use crate::core::{Incoming, SessionCore};
use crate::driver::{Driver, Shared, in_span, now};
use crate::error::{Error, ErrorKind, Phase};
use crate::handler::{Handler, RejectAll};
use crate::incoming::{IncomingChannel, IncomingGlobalRequest};
use crate::keepalive::Keepalive;
use crate::session::Session;

/// Decides whether to trust a server's host key (after its signature verified).
pub trait HostKeyCheck: Send + Sync {
    /// True to go on with `key` for `host:port`.
    fn check(&self, host: &str, port: u16, key: &PublicKey) -> bool;

    /// The key types already trusted for `host:port` (known_hosts): their host key
    /// algorithms are asked for first, as OpenSSH does. None by default.
    fn known_key_types(&self, host: &str, port: u16) -> Vec<String> {
        let _unused = (host, port);
        Vec::new()
    }

    /// True when a certificate authority is trusted for `host:port` (an `@cert-authority`
    /// line): host certificate algorithms are then asked for first, as OpenSSH does.
    fn knows_certificate_authority(&self, host: &str, port: u16) -> bool {
        let _unused = (host, port);
        false
    }

    /// True to go on with the host certificate `cert` (its CA signature is verified, the
    /// server proved its key). By default only the certified key is checked, as ssh does
    /// when no CA matches.
    fn check_certificate(&self, host: &str, port: u16, cert: &Certificate) -> bool {
        self.check(host, port, &cert.key)
    }

    /// True when `check` accepted a key it does not trust (a changed key under
    /// `StrictHostKeyChecking no`): the client then offers only publickey authentication,
    /// as ssh does, so that no password reaches a possible impostor.
    fn untrusted(&self) -> bool {
        false
    }
}

impl<F: Fn(&str, u16, &PublicKey) -> bool + Send + Sync> HostKeyCheck for F {
    fn check(&self, host: &str, port: u16, key: &PublicKey) -> bool {
        self(host, port, key)
    }
}

/// Answers password and keyboard-interactive prompts.
pub trait AuthPrompt: Send + Sync {
    /// The password for `prompt` (`user@host's password: `), or `None` to give up on it.
    fn password(&self, prompt: &str) -> Option<String> {
        let _unused = prompt;
        None
    }

    /// One answer per prompt, or `None` to give up on keyboard-interactive.
    fn keyboard_interactive(
        &self,
        name: &str,
        instruction: &str,
        prompts: &[PromptLine],
    ) -> Option<Vec<String>> {
        let _unused = (name, instruction, prompts);
        None
    }

    /// The server's banner, as sent (peer bytes: see [`crate::peer_text::escape`]).
    fn banner(&self, message: &[u8]) {
        let text = crate::peer_text::escape(message, false, crate::peer_text::MAX_LINE);
        tracing::info!(banner = %text, "server banner");
    }
}

/// Everything a client connection needs.
#[derive(Clone)]
pub struct ClientConfig {
    /// The user to log in as.
    pub user: String,
    /// Algorithms and rekey limits.
    pub transport: Arc<TransportConfig>,
    /// Channel limits and window sizes.
    pub connection: ConnectionConfig,
    /// The host key check (see [`crate::KnownHostsFile`]).
    pub host_key_check: Arc<dyn HostKeyCheck>,
    /// Private keys to offer, in order.
    pub keys: Vec<KeyPair>,
    /// Certificates (CertificateFile, `<identity>-cert.pub`): each is offered, before the plain
    /// key, for the key of `keys` it certifies; one for no key of `keys` is skipped.
    pub certificates: Vec<Certificate>,
    /// ssh-agent socket whose keys are offered after `keys`.
    pub agent: Option<PathBuf>,
    /// PubkeyAcceptedAlgorithms: the signature algorithms our keys may use, in order.
    pub pubkey_algorithms: Vec<SigAlg>,
    /// IdentitiesOnly: when set, only the agent's keys in this list are offered.
    pub agent_only_keys: Option<Vec<PublicKey>>,
    /// RequiredRSASize: RSA host keys, their CA keys and agent keys under this many bits
    /// are refused ([`burrow_keys::MIN_RSA_BITS`], OpenSSH's default, unless set).
    pub required_rsa_size: usize,
    /// Password and keyboard-interactive answers.
    pub prompt: Option<Arc<dyn AuthPrompt>>,
    /// Methods to try, in order (PreferredAuthentications).
    pub methods: Vec<Method>,
    /// Answers the server's channel opens (`forwarded-tcpip`) and global requests.
    pub handler: Arc<dyn Handler>,
    /// ServerAliveInterval (`None`: off).
    pub server_alive_interval: Option<Duration>,
    /// ServerAliveCountMax.
    pub server_alive_count_max: u32,
    /// How long the TCP connect, key exchange and authentication may take together.
    pub connect_timeout: Option<Duration>,
    /// Which of the host's addresses [`Client::connect`] may use (ssh's AddressFamily).
    pub ip_family: IpFamily,
    /// The local address to connect from (ssh's BindAddress, `-b`).
    pub bind_address: Option<IpAddr>,
    /// SO_KEEPALIVE on the TCP connection (ssh's TCPKeepAlive, on by default).
    pub tcp_keepalive: bool,
}

/// Which addresses of a host to connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpFamily {
    /// IPv4 and IPv6, in the resolver's order.
    #[default]
    Any,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

impl IpFamily {
    fn allows(self, addr: &SocketAddr) -> bool {
        match self {
            Self::Any => true,
            Self::V4 => addr.is_ipv4(),
            Self::V6 => addr.is_ipv6(),
        }
    }
}

impl ClientConfig {
    /// Defaults for `user` with the given host key check: all algorithms, publickey then
    /// keyboard-interactive then password, no agent, keepalives off.
    pub fn new(user: impl Into<String>, host_key_check: Arc<dyn HostKeyCheck>) -> Self {
        Self {
            user: user.into(),
            transport: Arc::new(TransportConfig::default()),
            connection: crate::core::default_connection_config(),
            host_key_check,
            keys: Vec::new(),
            certificates: Vec::new(),
            agent: None,
            pubkey_algorithms: SigAlg::DEFAULT_PUBKEY.to_vec(),
            agent_only_keys: None,
            required_rsa_size: burrow_keys::MIN_RSA_BITS,
            prompt: None,
            methods: vec![
                Method::Publickey,
                Method::KeyboardInteractive,
                Method::Password,
            ],
            handler: Arc::new(RejectAll),
            server_alive_interval: None,
            server_alive_count_max: 3,
            connect_timeout: None,
            ip_family: IpFamily::Any,
            bind_address: None,
            tcp_keepalive: true,
        }
    }

    /// Offers the keys of the ssh-agent named by `SSH_AUTH_SOCK` (if set), as ssh does.
    pub fn use_env_agent(&mut self) {
        self.agent = Agent::env_path();
    }

    /// Loads an OpenSSH private key file (decrypting it with `passphrase` if it is encrypted)
    /// and adds it to `keys`.
    pub fn add_key_file(
        &mut self,
        path: &std::path::Path,
        passphrase: Option<&[u8]>,
    ) -> Result<(), std::io::Error> {
        let text = std::fs::read_to_string(path)?;
        let invalid = |e: burrow_keyfiles::KeyFileError| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        };
        let file = burrow_keyfiles::PrivateKeyFile::parse(&text).map_err(invalid)?;
        let key = file
            .decrypt(passphrase.unwrap_or_default())
            .map_err(invalid)?;
        self.keys.push(key.into_keypair());
        Ok(())
    }
}

/// Opens client sessions.
#[derive(Debug)]
pub struct Client;

impl Client {
    /// Connects to `host:port` over TCP (with TCP_NODELAY) and sets up a session.
    pub async fn connect(host: &str, port: u16, config: ClientConfig) -> Result<Session, Error> {
        let peer = format!("{host}:{port}");
        let timeout = config.connect_timeout;
        let fut = async {
            let stream = tcp_connect(host, port, &config)
                .await
                .map_err(|e| Error::new(&peer, Phase::Connect, ErrorKind::Io(e)))?;
            Self::setup(stream, host, port, config).await
        };
        match timeout {
            Some(t) => tokio::time::timeout(t, fut).await.unwrap_or_else(|_| {
                Err(Error::new(
                    &peer,
                    Phase::Connect,
                    ErrorKind::Io(std::io::ErrorKind::TimedOut.into()),
                ))
            }),
            None => fut.await,
        }
    }

    /// Sets up a session over any byte stream (a `direct-tcpip` channel of another session
    /// for ProxyJump, a pipe, ...). `host` and `port` are what the host key check sees.
    pub async fn connect_stream<S>(
        stream: S,
        host: &str,
        port: u16,
        config: ClientConfig,
    ) -> Result<Session, Error>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        Self::setup(stream, host, port, config).await
    }

    async fn setup<S>(
        stream: S,
        host: &str,
        port: u16,
        config: ClientConfig,
    ) -> Result<Session, Error>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let peer = format!("{host}:{port}");
        let span = tracing::info_span!("ssh", side = "client", peer = %peer);
        let rng = crate::rng::connection_rng();
        // known_hosts reads: on a blocking thread, as the check itself.
        let (check, h) = (config.host_key_check.clone(), host.to_owned());
        let known_types = tokio::task::spawn_blocking(move || {
            let ca = check.knows_certificate_authority(&h, port);
            (check.known_key_types(&h, port), ca)
        })
        .await
        .unwrap_or_default();
        let mut transport_config = config.transport.clone();
        let (known_types, ca) = known_types;
        if !known_types.is_empty() {
            Arc::make_mut(&mut transport_config).prefer_host_key_types(&known_types);
        }
        if ca && transport_config.host_certs != HostCerts::Never {
            Arc::make_mut(&mut transport_config).host_certs = HostCerts::First;
        }
        let transport = Transport::client(transport_config, rng, now());
        let check = config.host_key_check.clone();
        let (h, p, min_rsa) = (host.to_owned(), port, config.required_rsa_size);
        let host_key_fn = Arc::new(move |k: &PublicKey, cert: Option<&Certificate>| {
            let keys = [
                Some(k),
                cert.map(|c| &c.key),
                cert.map(|c| &c.signature_key),
            ];
            if let Some(e) = keys
                .into_iter()
                .flatten()
                .find_map(|k| k.check_rsa_size(min_rsa).err())
            {
                tracing::error!("Bad server host key: {e}");
                return false;
            }
            match cert {
                Some(cert) => check.check_certificate(&h, p, cert),
                None => check.check(&h, p, k),
            }
        });
        let core = SessionCore::new(
            peer,
            transport,
            config.connection.clone(),
            Some(host_key_fn),
        );
        let shared = Shared::new(core, span.clone());
        let mut driver = Driver::new(shared.clone(), stream);
        let handshake = in_span(
            span.clone(),
            crate::client_auth::authenticate(&mut driver, &config, host),
        );
        if let Err(e) = handshake.await {
            tracing::debug!(parent: &span, error = %e, "handshake failed");
            driver.abort(&e).await;
            return Err(e);
        }
        if let Some(interval) = config.server_alive_interval {
            shared.lock().keepalive = Some(Keepalive::new(
                interval,
                config.server_alive_count_max,
                now(),
            ));
        }
        let handler = config.handler.clone();
        tokio::spawn(in_span(
            span,
            driver.run(move |shared, incoming| dispatch(&*handler, shared, incoming)),
        ));
        Ok(Session::new(shared))
    }
}

/// Resolves `host` and connects to the first of its addresses (of the configured family)
/// that answers, from the configured local address, with TCP_NODELAY and SO_KEEPALIVE as set.
async fn tcp_connect(host: &str, port: u16, config: &ClientConfig) -> std::io::Result<TcpStream> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await?
        .filter(|a| config.ip_family.allows(a))
        .collect();
    if addrs.is_empty() {
        // Worded as the resolver's own failures, so that ssh's message is printed.
        return Err(std::io::Error::other(
            "failed to lookup address information: Address family for hostname not supported",
        ));
    }
    let mut last = None;
    for addr in addrs {
        let attempt = async {
            let socket = match addr {
                SocketAddr::V4(_) => TcpSocket::new_v4()?,
                SocketAddr::V6(_) => TcpSocket::new_v6()?,
            };
            socket.set_keepalive(config.tcp_keepalive)?;
            socket.set_nodelay(true)?;
            if let Some(ip) = config.bind_address {
                socket.bind(SocketAddr::new(ip, 0))?;
            }
            socket.connect(addr).await
        };
        match attempt.await {
            Ok(s) => return Ok(s),
            Err(e) => {
                tracing::debug!(%addr, error = %e, "connect failed");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| std::io::ErrorKind::NotConnected.into()))
}

/// Hands one peer request to the client's handler.
fn dispatch(handler: &dyn Handler, shared: &Arc<Shared>, incoming: Incoming) {
    match incoming {
        Incoming::Channel(id, t) => {
            handler.channel_open(IncomingChannel::new(shared.clone(), id, t));
        }
        Incoming::Global(id, want_reply, r) => {
            handler.global_request(IncomingGlobalRequest::new(
                shared.clone(),
                id,
                want_reply,
                r,
            ));
        }
    }
}
