//! Key exchange as pure functions: the methods (X25519, NIST ECDH, the ML-KEM and sntrup761
//! hybrids, fixed DH groups), the exchange hash and key derivation.

mod alg;
mod curve25519;
mod derive;
mod dh;
mod ecdh;
mod hash;
mod hybrid;
mod method;

pub use alg::{KexAlg, KexHash};
pub use curve25519::{EphemeralKey, X25519_LEN};
pub use derive::{KeyLetter, derive_key};
pub use hash::{ExchangeHashInput, exchange_hash};
pub use method::KexSecret;

use zeroize::Zeroizing;

/// The shared secret K as it enters the exchange hash and key derivation: an `mpint` for
/// (EC)DH (RFC 4253 §8, RFC 5656 §4), a `string` for the hybrids (their K is a hash).
/// Zeroized on drop, no `Debug`.
pub struct SharedSecret(Zeroizing<Vec<u8>>);

impl SharedSecret {
    /// K as an `mpint` of the unsigned big-endian `value`.
    pub fn mpint(value: &[u8]) -> Self {
        Self::string(&mpint_body(value))
    }

    /// K as a `string` of `bytes`.
    pub fn string(bytes: &[u8]) -> Self {
        let mut out = Zeroizing::new(Vec::with_capacity(4 + bytes.len()));
        out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(bytes);
        Self(out)
    }

    /// The encoding hashed into H and the keys.
    pub fn encoded(&self) -> &[u8] {
        &self.0
    }
}

/// The body of an `mpint` for an unsigned big-endian value (RFC 4251 §5): no leading zeros,
/// plus one zero byte when the top bit is set. Zeroized on drop: it may hold K.
pub(crate) fn mpint_body(value: &[u8]) -> Zeroizing<Vec<u8>> {
    let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    let digits = value.get(start..).unwrap_or_default();
    let mut out = Zeroizing::new(Vec::with_capacity(digits.len() + 1));
    if digits.first().is_some_and(|&b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(digits);
    out
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vector_tests;
