//! Key exchange as pure functions: curve25519 agreement, the exchange hash and key derivation.

mod curve25519;
mod derive;
mod hash;

pub use curve25519::{EphemeralKey, KexAlg, SharedSecret};
pub use derive::{KeyLetter, derive_key};
pub use hash::{ExchangeHashInput, exchange_hash};

/// Length of the SHA-256 exchange hash H and of the session id derived from it.
pub const HASH_LEN: usize = 32;

#[cfg(test)]
mod tests;
