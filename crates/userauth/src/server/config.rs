//! Server-side userauth configuration and the caller's decisions (key lookup, password check).

use std::time::Duration;

use burrow_keys::{Certificate, PublicKey, SigAlg};

use crate::method::Method;

/// What the server offers and how strict it is.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Offer `publickey`. Default on.
    pub publickey: bool,
    /// PubkeyAcceptedAlgorithms: the signature algorithms a user key may use.
    pub pubkey_algorithms: Vec<SigAlg>,
    /// CASignatureAlgorithms: the algorithms a CA may sign a user certificate with.
    pub ca_algorithms: Vec<SigAlg>,
    /// Offer `password` (checked by [`AuthPolicy::password`]). Default off.
    pub password: bool,
    /// OpenSSH AuthenticationMethods: empty means any one offered method suffices; otherwise
    /// the client must complete every method of one chain, in order (partial success between).
    pub authentication_methods: Vec<Vec<Method>>,
    /// MaxAuthTries: failed attempts before DISCONNECT "Too many authentication failures".
    pub max_auth_tries: u32,
    /// LoginGraceTime: time from the start of userauth until the server gives up; zero means
    /// no limit, as in sshd.
    pub login_grace_time: Duration,
    /// Every refused request is answered no sooner than this after it
    /// arrived...
    pub failure_delay: Duration,
    /// ...plus a random extra of up to this much (from the injected RNG).
    pub failure_jitter: Duration,
    /// Text sent as SSH_MSG_USERAUTH_BANNER before the first reply.
    pub banner: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            publickey: true,
            pubkey_algorithms: SigAlg::DEFAULT_PUBKEY.to_vec(),
            ca_algorithms: SigAlg::DEFAULT_PUBKEY.to_vec(),
            password: false,
            authentication_methods: Vec::new(),
            max_auth_tries: 6,
            login_grace_time: Duration::from_secs(120),
            failure_delay: Duration::from_millis(100),
            failure_jitter: Duration::from_millis(200),
            banner: None,
        }
    }
}

impl ServerConfig {
    /// The enabled methods, in the order they are offered.
    pub(crate) fn enabled(&self) -> Vec<Method> {
        let mut out = Vec::new();
        if self.publickey {
            out.push(Method::Publickey);
        }
        if self.password {
            out.push(Method::Password);
        }
        out
    }
}

/// The caller's decisions. The server calls these for known and unknown users alike, so an
/// implementation should take the same time for both (look the user up, then answer `None`).
pub trait AuthPolicy {
    /// What a successful login grants (e.g. authorized_keys options as forwarding
    /// permissions); ends up in [`crate::Authenticated`].
    type Permissions;

    /// Whether `key` may log in as `user` (an authorized_keys lookup); `None` refuses.
    /// Called for the PK_OK query and again for the signed request.
    fn public_key(&mut self, user: &str, key: &PublicKey) -> Option<Self::Permissions>;

    /// Whether the user certificate `cert` (its CA signature already verified) may log in as
    /// `user`: a trusted CA, principals, validity, critical options. `None`, the default,
    /// refuses every certificate.
    fn certificate(&mut self, user: &str, cert: &Certificate) -> Option<Self::Permissions> {
        let _ = (user, cert);
        None
    }

    /// Whether `password` is right for `user`; `None` refuses. Only called when
    /// [`ServerConfig::password`] is on.
    fn password(&mut self, user: &str, password: &str) -> Option<Self::Permissions>;
}
