//! What the transport reports to its caller: events, and the host-key verdict it asks for.

use burrow_wire::DisconnectReason;
use bytes::Bytes;

use crate::cipher::{CipherAlg, MacAlg};
use crate::kex::KexAlg;

/// Something the caller must look at, from [`crate::Transport::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportEvent {
    /// A service-layer payload (message number 5, 6 or 50-255), message number first.
    Payload(Bytes),
    /// Client only: the server proved it holds this host key. Decide whether to trust it and
    /// call [`crate::Transport::answer_host_key`]; nothing is sent until then.
    VerifyHostKey {
        /// The public key blob.
        host_key: Bytes,
        /// Its fingerprint as OpenSSH prints it (`SHA256:...`).
        fingerprint: String,
    },
    /// A key exchange finished; new keys protect both directions.
    KexDone(KexInfo),
    /// The peer sent SSH_MSG_DISCONNECT; the transport is closed.
    Disconnected {
        /// Its reason code.
        reason: DisconnectReason,
        /// Its description (text from the peer).
        description: String,
    },
}

/// What a finished key exchange agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KexInfo {
    /// True for the first key exchange of the connection.
    pub initial: bool,
    /// The method.
    pub kex: KexAlg,
    /// Cipher client to server.
    pub cipher_client_to_server: CipherAlg,
    /// Cipher server to client.
    pub cipher_server_to_client: CipherAlg,
    /// MAC client to server (`None` with an AEAD cipher).
    pub mac_client_to_server: Option<MacAlg>,
    /// MAC server to client.
    pub mac_server_to_client: Option<MacAlg>,
    /// Strict kex is in force.
    pub strict_kex: bool,
}

/// The caller's answer to [`TransportEvent::VerifyHostKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyVerdict {
    /// The key is trusted: the key exchange continues.
    Accept,
    /// The key is not trusted: the transport disconnects with HOST_KEY_NOT_VERIFIABLE.
    Reject,
}
