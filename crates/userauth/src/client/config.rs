//! Client-side userauth configuration, the identities it can use, and the events it reports.

use burrow_keys::{Certificate, KeyPair, PublicKey, SigAlg};

use crate::Method;

/// Who to log in as and which methods to try, in order.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The user name on the server.
    pub user: String,
    /// The host name as the user gave it (for prompts and `Permission denied` messages).
    pub host: String,
    /// Methods to try, in order (PreferredAuthentications). Default: publickey,
    /// keyboard-interactive, password.
    pub methods: Vec<Method>,
    /// How many times to try password and keyboard-interactive each
    /// (NumberOfPasswordPrompts, default 3).
    pub password_attempts: u32,
    /// PubkeyAcceptedAlgorithms: the signature algorithms we may use, in order.
    pub pubkey_algorithms: Vec<SigAlg>,
}

impl ClientConfig {
    /// Defaults for `user` at `host`.
    pub fn new(user: impl Into<String>, host: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            host: host.into(),
            methods: vec![
                Method::Publickey,
                Method::KeyboardInteractive,
                Method::Password,
            ],
            password_attempts: 3,
            pubkey_algorithms: SigAlg::DEFAULT_PUBKEY.to_vec(),
        }
    }
}

/// A key the client may authenticate with.
#[derive(Debug)]
pub enum Identity {
    /// The private key is at hand: the signed request goes out directly (no PK_OK round trip).
    KeyPair(KeyPair),
    /// The key is held elsewhere (ssh-agent): a PK_OK query first, then a
    /// [`ClientEvent::SignRequest`] answered by `provide_signature`.
    External(PublicKey),
    /// A certificate for the key of `key` (a file's `-cert.pub`, or one the agent holds):
    /// offered as `<alg>-cert-v01@openssh.com`, signed by that key.
    Certified {
        /// The key that signs.
        key: Box<Identity>,
        /// The certificate offered.
        cert: Box<Certificate>,
    },
}

impl Identity {
    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        match self {
            Self::KeyPair(k) => k.public_key(),
            Self::External(k) => k,
            Self::Certified { key, .. } => key.public_key(),
        }
    }

    /// The blob offered in USERAUTH_REQUEST (and, for the agent, the one it signs with).
    pub(crate) fn offered_blob(&self) -> Vec<u8> {
        match self {
            Self::Certified { cert, .. } => cert.blob().to_vec(),
            other => other.public_key().to_blob(),
        }
    }

    /// The algorithm name offered for signatures made with `alg`.
    pub(crate) fn offered_name(&self, alg: SigAlg) -> &'static str {
        match self {
            Self::Certified { .. } => alg.cert_name(),
            _ => alg.name(),
        }
    }

    /// The identity that makes the signature: the private key at hand, or the agent's.
    pub(crate) fn signer(&self) -> &Identity {
        match self {
            Self::Certified { key, .. } => key.signer(),
            other => other,
        }
    }
}

/// One keyboard-interactive prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptLine {
    /// The prompt text (peer text).
    pub text: String,
    /// Whether the answer may be echoed as typed.
    pub echo: bool,
}

/// What the client reports to its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// SSH_MSG_USERAUTH_BANNER: print it (ssh prints to stderr).
    Banner {
        /// The banner text as sent (peer bytes, not necessarily UTF-8: escape before display).
        message: Vec<u8>,
    },
    /// Sign `data` with the external key `key_blob` (ssh-agent SIGN_REQUEST), then call
    /// `provide_signature` (or `signing_failed`).
    SignRequest {
        /// The public key blob to sign with.
        key_blob: Vec<u8>,
        /// The signature algorithm (RSA keys: the agent's SHA-2 flag, see `agent::sign_flags`).
        algorithm: SigAlg,
        /// The RFC 4252 §7 data to sign.
        data: Vec<u8>,
    },
    /// keyboard-interactive prompts: call `answer_prompts` with one answer per prompt.
    Prompt {
        /// The request's name (peer text, may be empty).
        name: String,
        /// The request's instruction (peer text, may be empty).
        instruction: String,
        /// The prompts.
        prompts: Vec<PromptLine>,
    },
    /// Ask the user for a password (`prompt` is ssh's `user@host's password: `), then call
    /// `answer_password`.
    PasswordPrompt {
        /// The text to show.
        prompt: String,
    },
    /// A method was refused (or partially succeeded); the client goes on by itself.
    Failure {
        /// The method that was tried.
        method: Method,
        /// The server's "authentications that can continue" (peer text).
        methods_left: Vec<String>,
        /// Partial success: the method worked but more are required.
        partial: bool,
    },
    /// USERAUTH_SUCCESS: the connection layer may start.
    Success,
}
