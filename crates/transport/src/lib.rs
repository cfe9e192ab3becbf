//! burrow-transport: the sans-IO SSH-2 transport layer (RFC 4253): version exchange,
//! binary packet protocol, ciphers and MACs, curve25519 key exchange, strict kex and rekeying.
#![forbid(unsafe_code)]

mod error;
pub mod kex;
pub mod prefs;

pub use error::{AlgorithmKind, TransportError};
