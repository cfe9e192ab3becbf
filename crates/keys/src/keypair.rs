//! `KeyPair`: a private key of any signing type (ssh-ed25519, ssh-rsa, ecdsa-sha2-*), its
//! signatures, and its fields in an openssh-key-v1 private section.

use core::fmt;

use burrow_wire::{Mpint, Reader, Writer};
use bytes::BytesMut;
use rsa::RsaPrivateKey;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::ecdsa::EcdsaSecret;
use crate::ed25519::Ed25519KeyPair;
use crate::error::input_name;
use crate::public_key::{Key, unsigned};
use crate::{KeyError, PublicKey, SigAlg};

/// The secret half; every variant zeroizes itself on drop.
#[derive(Clone)]
enum Secret {
    Ed25519(Ed25519KeyPair),
    Rsa(RsaPrivateKey),
    Ecdsa(EcdsaSecret),
}

/// A key pair that can sign. The secret is zeroized on drop and never printed.
#[derive(Clone)]
pub struct KeyPair {
    public: PublicKey,
    secret: Box<Secret>,
}

impl ZeroizeOnDrop for KeyPair {}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    fn ed25519(pair: Ed25519KeyPair) -> Self {
        Self {
            public: PublicKey::from_key(Key::Ed25519(pair.public_key())),
            secret: Box::new(Secret::Ed25519(pair)),
        }
    }

    /// The ssh-ed25519 key pair from its 32-byte secret seed (RFC 8032 private key).
    pub fn from_ed25519_seed(seed: &[u8; 32]) -> Self {
        Self::ed25519(Ed25519KeyPair::from_seed(seed))
    }

    /// A fresh ssh-ed25519 key pair from `rng`.
    pub fn generate_ed25519(rng: &mut dyn rand_core::CryptoRngCore) -> Self {
        Self::ed25519(Ed25519KeyPair::generate(rng))
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The algorithms this key signs with, in OpenSSH's preference order.
    pub fn algorithms(&self) -> impl Iterator<Item = SigAlg> + '_ {
        self.public.algorithms()
    }

    /// Signs `message` with `alg` and returns the signature blob (`string alg, string sig`).
    /// `rng` blinds RSA signatures; the other types are deterministic.
    pub fn sign(
        &self,
        alg: SigAlg,
        message: &[u8],
        rng: &mut dyn rand_core::CryptoRngCore,
    ) -> Result<Vec<u8>, KeyError> {
        if alg.key_type() != self.public.key_type() {
            return Err(KeyError::SignatureAlgorithmMismatch {
                found: alg.name().to_owned(),
                expected: self.public.key_type(),
            });
        }
        let sig = match &*self.secret {
            Secret::Ed25519(k) => k.sign_raw(message).to_vec(),
            Secret::Rsa(k) => crate::rsa_key::sign(k, alg, message, rng)?,
            Secret::Ecdsa(k) => k.sign(message, rng)?,
        };
        let mut buf = BytesMut::with_capacity(sig.len() + alg.name().len() + 8);
        Writer::new(&mut buf).utf8(alg.name()).string(&sig);
        Ok(buf.to_vec())
    }

    /// Reads a private section's key fields (after the check-ints, before the comment) and
    /// checks them against `header`, the public key of the file header.
    pub fn read_private(r: &mut Reader<'_>, header: &PublicKey) -> Result<Self, KeyError> {
        let key_type = r.string("private key type")?;
        if key_type != header.key_type().as_bytes() {
            return Err(KeyError::KeyMismatch);
        }
        let secret = match header.key() {
            Key::Ed25519(_) => {
                let public = r.string("ssh-ed25519 private key public part")?;
                let secret = r.string("ssh-ed25519 private key secret part")?;
                let (seed, secret_public) = secret
                    .split_first_chunk::<32>()
                    .filter(|(_, rest)| rest.len() == 32)
                    .ok_or(KeyError::WrongLength {
                        what: "ssh-ed25519 secret key",
                        expected: 64,
                        found: secret.len(),
                    })?;
                if public != secret_public {
                    return Err(KeyError::KeyMismatch);
                }
                Secret::Ed25519(Ed25519KeyPair::from_seed(&Zeroizing::new(*seed)))
            }
            Key::Rsa(_) => Secret::Rsa(crate::rsa_key::read_private(r)?),
            Key::Ecdsa(public) => {
                r.string("ecdsa private key curve")?;
                r.string("ecdsa private key point")?;
                let d = unsigned(r, "ecdsa private key d")?;
                Secret::Ecdsa(EcdsaSecret::from_scalar(public, d)?)
            }
            Key::SkEd25519(..) | Key::SkEcdsa(..) => {
                return Err(KeyError::UnsupportedKeyType {
                    name: input_name(key_type),
                });
            }
        };
        let pair = Self::from_secret(secret);
        if pair.public != *header {
            return Err(KeyError::KeyMismatch);
        }
        Ok(pair)
    }

    fn from_secret(secret: Secret) -> Self {
        let public = PublicKey::from_key(match &secret {
            Secret::Ed25519(k) => Key::Ed25519(k.public_key()),
            Secret::Rsa(k) => Key::Rsa(k.to_public_key()),
            Secret::Ecdsa(k) => Key::Ecdsa(k.public_key()),
        });
        Self {
            public,
            secret: Box::new(secret),
        }
    }

    /// Writes the private section's key fields (type name through the secret parts).
    pub fn write_private(&self, w: &mut Writer<'_>) -> Result<(), KeyError> {
        w.utf8(self.public.key_type());
        match (&*self.secret, self.public.key()) {
            (Secret::Ed25519(k), Key::Ed25519(public)) => {
                w.string(public.as_bytes());
                w.uint32(64).raw(k.seed()).raw(public.as_bytes());
            }
            (Secret::Rsa(k), _) => crate::rsa_key::write_private(k, w)?,
            (Secret::Ecdsa(k), Key::Ecdsa(public)) => {
                public.write(w);
                w.mpint(&Mpint::from_unsigned_be(&k.scalar()));
            }
            _ => return Err(KeyError::KeyMismatch),
        }
        Ok(())
    }
}
