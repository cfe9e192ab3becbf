//! burrow-transport: the sans-IO SSH-2 transport layer (RFC 4253): version exchange,
//! binary packet protocol, ciphers and MACs, key exchange (ML-KEM and sntrup761 hybrids, X25519,
//! NIST ECDH, DH groups), strict kex and rekeying.
//!
//! The cargo feature `internals` (unstable, for this crate's tests and benches and the fuzz
//! targets only; no semver promise) makes the building blocks public: the `cipher`, `packet`,
//! `kex` and `negotiate` modules, with their secret-holding types such as
//! `cipher::DirectionKeys`, and `Transport::fuzz_send_raw`. Without it they stay private.
#![forbid(unsafe_code)]

/// Declares modules that are public only with the `internals` feature.
macro_rules! internal_modules {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[cfg(feature = "internals")]
        pub mod $name;
        #[cfg(not(feature = "internals"))]
        mod $name;
    )*};
}

mod admission;
mod client;
pub mod config;
mod dispatch;
mod error;
mod event;
mod handshake;
mod host_key;
pub mod rekey;
mod server;
internal_modules! {
    /// Packet ciphers and MACs (unstable: `internals` feature).
    cipher;
    /// Key exchange methods, exchange hash and key derivation (unstable: `internals` feature).
    kex;
    /// Algorithm negotiation from two KEXINITs (unstable: `internals` feature).
    negotiate;
    /// The binary packet protocol (unstable: `internals` feature).
    packet;
}
pub mod service;
mod transport;
pub mod version;

pub use cipher::{CipherAlg, MacAlg};
pub use config::{HostCerts, TransportConfig};
pub use error::{AlgorithmKind, TransportError};
pub use event::{HostKeyVerdict, KexInfo, TransportEvent};
pub use host_key::{HostKeySigner, HostKeys};
pub use kex::KexAlg;
pub use packet::{MAX_PACKET_LEN, PacketError};
pub use rekey::RekeyLimit;
pub use transport::Transport;
