//! `TransportError`: everything that ends a transport, and the DISCONNECT reason it maps to.

use core::fmt;

use burrow_wire::{DecodeError, DisconnectReason};

use crate::packet::PacketError;
use crate::version::VersionError;

/// The algorithm category a negotiation failed in (RFC 4253 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgorithmKind {
    /// `kex_algorithms`
    Kex,
    /// `server_host_key_algorithms`
    HostKey,
    /// `encryption_algorithms_client_to_server`
    EncryptionClientToServer,
    /// `encryption_algorithms_server_to_client`
    EncryptionServerToClient,
    /// `mac_algorithms_client_to_server`
    MacClientToServer,
    /// `mac_algorithms_server_to_client`
    MacServerToClient,
    /// `compression_algorithms_client_to_server`
    CompressionClientToServer,
    /// `compression_algorithms_server_to_client`
    CompressionServerToClient,
}

impl fmt::Display for AlgorithmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlgorithmKind::Kex => "key exchange",
            AlgorithmKind::HostKey => "host key",
            AlgorithmKind::EncryptionClientToServer => "cipher client to server",
            AlgorithmKind::EncryptionServerToClient => "cipher server to client",
            AlgorithmKind::MacClientToServer => "mac client to server",
            AlgorithmKind::MacServerToClient => "mac server to client",
            AlgorithmKind::CompressionClientToServer => "compression client to server",
            AlgorithmKind::CompressionServerToClient => "compression server to client",
        })
    }
}

/// Why the transport failed. Variants say what the peer (or the local caller) did.
#[derive(Debug)]
#[non_exhaustive]
pub enum TransportError {
    /// A message from the peer could not be decoded.
    Decode(DecodeError),
    /// The two KEXINITs share no algorithm in one category.
    NoCommonAlgorithm {
        /// The category.
        kind: AlgorithmKind,
        /// Our list, comma-separated.
        ours: String,
        /// The peer's list, as it sent it.
        theirs: String,
    },
    /// The peer's key exchange value (ephemeral key, KEM key or ciphertext, DH value) has the
    /// wrong length or is not a valid element.
    BadEphemeralKey {
        /// What it should have been (`x25519`, `ecdh-sha2-nistp256`, ...).
        kex: &'static str,
        /// Its length.
        len: usize,
    },
    /// X25519 with the peer's key gave all zeros (a low-order point, RFC 8731 §3).
    AllZeroSharedSecret,
    /// The server's host key blob is not an ssh-ed25519 key we can parse.
    BadHostKey,
    /// The server's signature over the exchange hash does not verify.
    HostKeySignatureInvalid,
    /// The caller's host-key check refused the server's key.
    HostKeyRejected,
    /// Strict kex: the peer's first KEXINIT was not its first packet.
    KexInitNotFirst {
        /// The sequence number the KEXINIT arrived with.
        seq: u32,
    },
    /// A rekey presented a different host key than the first key exchange.
    HostKeyChanged,
    /// A chosen algorithm has no implementation (cannot happen with lists we built).
    UnsupportedChoice,
    /// We were asked to send a message the transport itself owns (KEXINIT, kex messages).
    NotAServicePayload {
        /// Its message number (0 for an empty payload).
        number: u8,
    },
    /// The peer's version line was not acceptable.
    Version(VersionError),
    /// A packet from the peer broke the binary packet protocol (or failed to decrypt).
    Packet(PacketError),
    /// The peer sent a message that is not allowed in the current phase.
    UnexpectedMessage {
        /// Its message number.
        number: u8,
        /// The phase we were in.
        phase: &'static str,
    },
    /// Strict kex: the first packet from the peer was not KEXINIT (it was `number`).
    StrictKexViolation {
        /// The message number that broke strict kex.
        number: u8,
    },
    /// The peer closed with SSH_MSG_DISCONNECT.
    PeerDisconnected {
        /// Its reason code.
        reason: DisconnectReason,
        /// Its description (text from the peer).
        description: String,
    },
    /// The payload to send is larger than a packet can carry.
    PayloadTooLarge {
        /// The payload length.
        len: usize,
        /// The most we send.
        limit: usize,
    },
    /// Payloads are held during a rekey, and the hold queue is full.
    HoldQueueFull {
        /// The queue's bound in bytes.
        limit: usize,
    },
    /// The transport is closed; nothing more can be sent or received.
    Closed,
    /// A configuration value is not valid (text from the local configuration).
    InvalidConfig {
        /// The option (`Ciphers`, `RekeyLimit`, ...).
        option: &'static str,
        /// The offending value.
        value: String,
    },
}

impl TransportError {
    /// The reason code our DISCONNECT carries when this error ends the connection.
    pub fn disconnect_reason(&self) -> DisconnectReason {
        match self {
            TransportError::Decode(_) => DisconnectReason::ProtocolError,
            TransportError::NoCommonAlgorithm { .. } => DisconnectReason::KeyExchangeFailed,
            TransportError::BadEphemeralKey { .. } => DisconnectReason::KeyExchangeFailed,
            TransportError::AllZeroSharedSecret => DisconnectReason::KeyExchangeFailed,
            TransportError::BadHostKey => DisconnectReason::KeyExchangeFailed,
            TransportError::HostKeySignatureInvalid => DisconnectReason::KeyExchangeFailed,
            TransportError::HostKeyRejected => DisconnectReason::HostKeyNotVerifiable,
            TransportError::KexInitNotFirst { .. } => DisconnectReason::ProtocolError,
            TransportError::HostKeyChanged => DisconnectReason::HostKeyNotVerifiable,
            TransportError::UnsupportedChoice => DisconnectReason::KeyExchangeFailed,
            TransportError::NotAServicePayload { .. } => DisconnectReason::ByApplication,
            TransportError::Version(e) => e.disconnect_reason(),
            TransportError::Packet(e) => e.disconnect_reason(),
            TransportError::UnexpectedMessage { .. } => DisconnectReason::ProtocolError,
            TransportError::StrictKexViolation { .. } => DisconnectReason::ProtocolError,
            TransportError::PeerDisconnected { .. } => DisconnectReason::ByApplication,
            TransportError::PayloadTooLarge { .. } => DisconnectReason::ProtocolError,
            TransportError::HoldQueueFull { .. } => DisconnectReason::ByApplication,
            TransportError::Closed => DisconnectReason::ByApplication,
            TransportError::InvalidConfig { .. } => DisconnectReason::ByApplication,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Decode(e) => write!(f, "peer sent a malformed message: {e}"),
            TransportError::NoCommonAlgorithm { kind, ours, theirs } => write!(
                f,
                "no common {kind} algorithm: we offer [{ours}], peer offers [{theirs}]"
            ),
            TransportError::BadEphemeralKey { kex, len } => {
                write!(
                    f,
                    "peer's {kex} key exchange value ({len} bytes) is invalid"
                )
            }
            TransportError::AllZeroSharedSecret => {
                f.write_str("x25519 shared secret is all zeros (low-order peer key)")
            }
            TransportError::BadHostKey => {
                f.write_str("server host key is not a valid ssh-ed25519 key")
            }
            TransportError::HostKeySignatureInvalid => {
                f.write_str("server's signature over the exchange hash does not verify")
            }
            TransportError::HostKeyRejected => f.write_str("server host key was rejected"),
            TransportError::KexInitNotFirst { seq } => write!(
                f,
                "strict kex: peer's KEXINIT arrived as packet {seq}, not as its first packet"
            ),
            TransportError::HostKeyChanged => {
                f.write_str("server presented a different host key in a rekey")
            }
            TransportError::UnsupportedChoice => {
                f.write_str("negotiated an algorithm with no implementation")
            }
            TransportError::NotAServicePayload { number } => write!(
                f,
                "message {number} is the transport's own, not a service payload"
            ),
            TransportError::Version(e) => write!(f, "peer version exchange: {e}"),
            TransportError::Packet(e) => write!(f, "peer packet: {e}"),
            TransportError::UnexpectedMessage { number, phase } => {
                write!(f, "peer sent message {number}, not allowed during {phase}")
            }
            TransportError::StrictKexViolation { number } => write!(
                f,
                "strict kex: peer sent message {number} during the initial key exchange"
            ),
            TransportError::PeerDisconnected {
                reason,
                description,
            } => write!(
                f,
                "peer disconnected: {reason} ({}): {description:?}",
                reason.code()
            ),
            TransportError::PayloadTooLarge { len, limit } => {
                write!(f, "payload of {len} bytes is over the {limit}-byte limit")
            }
            TransportError::HoldQueueFull { limit } => {
                write!(f, "rekey hold queue is full ({limit} bytes)")
            }
            TransportError::Closed => f.write_str("transport is closed"),
            TransportError::InvalidConfig { option, value } => {
                write!(f, "invalid {option} value {value:?}")
            }
        }
    }
}

impl std::error::Error for TransportError {}

impl From<VersionError> for TransportError {
    fn from(e: VersionError) -> Self {
        TransportError::Version(e)
    }
}

impl From<PacketError> for TransportError {
    fn from(e: PacketError) -> Self {
        TransportError::Packet(e)
    }
}

impl From<DecodeError> for TransportError {
    fn from(e: DecodeError) -> Self {
        TransportError::Decode(e)
    }
}
