//! What a server signs its exchange hashes with: its own host keys, or another process
//! that holds them (a privilege-separated server's monitor).

use std::sync::Arc;

use burrow_keys::{KeyError, KeyPair, PublicKey, SigAlg};
use rand_core::CryptoRngCore;

/// A server's host keys, seen as public keys and a signing operation.
pub trait HostKeySigner: Send + Sync {
    /// The public host key of `key_type` (`ssh-ed25519`, `ssh-rsa`, ...), if there is one.
    fn public_key(&self, key_type: &str) -> Option<&PublicKey>;

    /// The certificate blob (PROTOCOL.certkeys) for the host key of `key_type`, if it has
    /// one: the server then also offers the `-cert-v01@openssh.com` algorithm names.
    fn certificate(&self, _key_type: &str) -> Option<&[u8]> {
        None
    }

    /// Signs `data` (an exchange hash) with the host key of `alg`'s type; returns the
    /// signature blob (`string alg, string sig`).
    fn sign(
        &self,
        alg: SigAlg,
        data: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, KeyError>;
}

/// Host keys held in this process (the first key of each type is used).
pub struct HostKeys(pub Arc<[KeyPair]>);

impl HostKeys {
    fn find(&self, key_type: &str) -> Option<&KeyPair> {
        self.0
            .iter()
            .find(|k| k.public_key().key_type() == key_type)
    }
}

impl HostKeySigner for HostKeys {
    fn public_key(&self, key_type: &str) -> Option<&PublicKey> {
        self.find(key_type).map(KeyPair::public_key)
    }

    fn sign(
        &self,
        alg: SigAlg,
        data: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, KeyError> {
        match self.find(alg.key_type()) {
            Some(k) => k.sign(alg, data, rng),
            None => Err(KeyError::SignatureAlgorithmMismatch {
                found: alg.name().to_owned(),
                expected: "a host key of that type",
            }),
        }
    }
}
