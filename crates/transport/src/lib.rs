//! burrow-transport: the sans-IO SSH-2 transport layer (RFC 4253): version exchange,
//! binary packet protocol, ciphers and MACs, key exchange (ML-KEM and sntrup761 hybrids, X25519,
//! NIST ECDH, DH groups), strict kex and rekeying.
#![forbid(unsafe_code)]

mod admission;
pub mod cipher;
mod client;
pub mod config;
mod dispatch;
mod error;
mod event;
mod handshake;
mod host_key;
pub mod kex;
pub mod negotiate;
pub mod packet;
pub mod rekey;
mod server;
pub mod service;
mod transport;
pub mod version;

pub use config::{HostCerts, TransportConfig};
pub use error::{AlgorithmKind, TransportError};
pub use event::{HostKeyVerdict, KexInfo, TransportEvent};
pub use host_key::{HostKeySigner, HostKeys};
pub use rekey::RekeyLimit;
pub use transport::Transport;
