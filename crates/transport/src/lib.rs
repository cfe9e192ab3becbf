//! burrow-transport: the sans-IO SSH-2 transport layer (RFC 4253): version exchange,
//! binary packet protocol, ciphers and MACs, curve25519 key exchange, strict kex and rekeying.
#![forbid(unsafe_code)]

pub mod cipher;
mod error;
pub mod kex;
pub mod packet;
pub mod prefs;
pub mod version;

pub use error::{AlgorithmKind, TransportError};
