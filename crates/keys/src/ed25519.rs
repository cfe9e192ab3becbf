//! ssh-ed25519 key material (RFC 8709): the 32-byte public key with ed25519-dalek's strict
//! verification, and the secret seed that signs.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::KeyError;

/// Length of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 public key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Ed25519PublicKey {
    key: VerifyingKey,
}

impl Ed25519PublicKey {
    /// Builds a key from a raw 32-byte slice, checking the length and the point.
    pub(crate) fn from_slice(key: &[u8]) -> Result<Self, KeyError> {
        let key: &[u8; PUBLIC_KEY_LEN] = key.try_into().map_err(|_| KeyError::WrongLength {
            what: "ssh-ed25519 public key",
            expected: PUBLIC_KEY_LEN,
            found: key.len(),
        })?;
        VerifyingKey::from_bytes(key)
            .map(|key| Self { key })
            .map_err(|_| KeyError::InvalidPublicKey)
    }

    /// The 32 raw key bytes.
    pub(crate) fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        self.key.as_bytes()
    }

    /// Verifies a raw 64-byte signature with strict verification (no small-order keys,
    /// canonical S).
    pub(crate) fn verify_raw(&self, message: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        let sig: &[u8; SIGNATURE_LEN] = sig.try_into().map_err(|_| KeyError::WrongLength {
            what: "ssh-ed25519 signature",
            expected: SIGNATURE_LEN,
            found: sig.len(),
        })?;
        self.key
            .verify_strict(message, &Signature::from_bytes(sig))
            .map_err(|_| KeyError::SignatureVerificationFailed)
    }
}

/// An Ed25519 secret key; `SigningKey` zeroizes itself on drop.
#[derive(Clone)]
pub(crate) struct Ed25519KeyPair {
    key: SigningKey,
}

impl Ed25519KeyPair {
    /// The key pair from its 32-byte secret seed (RFC 8032 private key).
    pub(crate) fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// A fresh key pair from `rng`.
    pub(crate) fn generate(rng: &mut dyn rand_core::CryptoRngCore) -> Self {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut *seed);
        Self::from_seed(&seed)
    }

    /// The public half.
    pub(crate) fn public_key(&self) -> Ed25519PublicKey {
        Ed25519PublicKey {
            key: self.key.verifying_key(),
        }
    }

    /// The 32-byte secret seed, for writing key files.
    pub(crate) fn seed(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }

    /// The raw 64-byte signature over `message`.
    pub(crate) fn sign_raw(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.key.sign(message).to_bytes()
    }
}
