//! The post-quantum hybrids, mlkem768x25519-sha256 (draft-ietf-sshm-mlkem-hybrid-kex) and
//! sntrup761x25519-sha512 (draft-josefsson-ntruprime-ssh): a KEM beside X25519, the two
//! halves concatenated on the wire, K = HASH(K_PQ || K_CL) sent as a `string`.

use ml_kem::kem::{Decapsulate, DecapsulationKey, EncapsulationKey};
use ml_kem::{EncapsulateDeterministic, EncodedSizeUser, KemCore, MlKem768, MlKem768Params};
use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::{EphemeralKey, KexHash, SharedSecret, X25519_LEN};
use crate::TransportError;

/// ML-KEM-768 encapsulation key length (FIPS 203 §8).
const MLKEM768_KEY: usize = 1184;
/// sntrup761 public key length.
const SNTRUP761_KEY: usize = 1158;

/// The post-quantum half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kem {
    /// ML-KEM-768 (FIPS 203).
    MlKem768,
    /// Streamlined NTRU Prime 761.
    Sntrup761,
}

enum KemSecret {
    MlKem(Box<DecapsulationKey<MlKem768Params>>),
    Sntrup(Box<sntrup761::DecapsulationKey>),
}

/// The client's secrets for one hybrid exchange; zeroized on drop by their crates.
pub struct HybridSecret {
    kem: KemSecret,
    x25519: EphemeralKey,
    hash: KexHash,
    kex: &'static str,
}

/// 32 secret bytes from `rng`.
fn seed(rng: &mut dyn CryptoRngCore) -> Zeroizing<[u8; 32]> {
    let mut s = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(s.as_mut());
    s
}

/// K = HASH(K_PQ || K_CL), encoded as a `string`.
fn combine(hash: KexHash, kem_secret: &[u8], x25519_secret: &[u8]) -> SharedSecret {
    SharedSecret::string(&Zeroizing::new(hash.digest(&[kem_secret, x25519_secret])))
}

/// FIPS 203 §7.2 modulus check of an ML-KEM-768 encapsulation key: every 12-bit coefficient
/// of its encoded vector is below q = 3329.
fn mlkem_key_is_valid(key: &[u8]) -> bool {
    key.len() == MLKEM768_KEY
        && key.get(..MLKEM768_KEY - 32).is_some_and(|t| {
            t.chunks_exact(3).all(|c| match c {
                [a, b, c] => {
                    let low = u16::from(*a) | (u16::from(*b & 0x0f) << 8);
                    let high = (u16::from(*b) >> 4) | (u16::from(*c) << 4);
                    low < 3329 && high < 3329
                }
                _ => false,
            })
        })
}

impl Kem {
    /// Length of the KEM's public key.
    fn key_len(self) -> usize {
        match self {
            Kem::MlKem768 => MLKEM768_KEY,
            Kem::Sntrup761 => SNTRUP761_KEY,
        }
    }

    /// Server: encapsulates to the client's KEM public key: (ciphertext, K_PQ).
    fn encapsulate(
        self,
        key: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Option<(Vec<u8>, Zeroizing<[u8; 32]>)> {
        match self {
            Kem::MlKem768 => {
                if !mlkem_key_is_valid(key) {
                    return None;
                }
                let key = EncapsulationKey::<MlKem768Params>::from_bytes(key.try_into().ok()?);
                let m = seed(rng);
                let (ct, ss) = key.encapsulate_deterministic(&(*m).into()).ok()?;
                Some((ct.to_vec(), Zeroizing::new(ss.into())))
            }
            Kem::Sntrup761 => {
                let key = sntrup761::EncapsulationKey::try_from(key).ok()?;
                let (ct, ss) = key.encapsulate_deterministic(*seed(rng));
                let ss: [u8; 32] = ss.as_ref().try_into().ok()?;
                Some((ct.as_ref().to_vec(), Zeroizing::new(ss)))
            }
        }
    }
}

impl HybridSecret {
    /// Client: fresh secrets and C_INIT = KEM public key || X25519 public key.
    pub fn generate(
        kem: Kem,
        hash: KexHash,
        kex: &'static str,
        rng: &mut dyn CryptoRngCore,
    ) -> (Self, Vec<u8>) {
        let (secret, mut init) = match kem {
            Kem::MlKem768 => {
                let (d, z) = (seed(rng), seed(rng));
                let (dk, ek) = MlKem768::generate_deterministic(&(*d).into(), &(*z).into());
                (KemSecret::MlKem(Box::new(dk)), ek.as_bytes().to_vec())
            }
            Kem::Sntrup761 => {
                let (pk, sk) = sntrup761::generate_key_from_seed(*seed(rng));
                (KemSecret::Sntrup(Box::new(sk)), pk.as_ref().to_vec())
            }
        };
        let x25519 = EphemeralKey::generate(rng);
        init.extend_from_slice(x25519.public_key());
        let secret = Self {
            kem: secret,
            x25519,
            hash,
            kex,
        };
        (secret, init)
    }

    /// Client: K from S_REPLY = KEM ciphertext || X25519 public key.
    pub fn agree(&self, reply: &[u8]) -> Result<SharedSecret, TransportError> {
        let bad = || TransportError::BadEphemeralKey {
            kex: self.kex,
            len: reply.len(),
        };
        let ct_len = reply.len().checked_sub(X25519_LEN).ok_or_else(bad)?;
        let (ct, x_public) = reply.split_at(ct_len);
        let kem_secret: Zeroizing<[u8; 32]> = match &self.kem {
            KemSecret::MlKem(dk) => {
                let ct = ct.try_into().map_err(|_| bad())?;
                Zeroizing::new(dk.decapsulate(ct).map_err(|()| bad())?.into())
            }
            KemSecret::Sntrup(sk) => {
                let ct = sntrup761::Ciphertext::try_from(ct).map_err(|_| bad())?;
                let ss = sk.decapsulate(&ct);
                Zeroizing::new(ss.as_ref().try_into().map_err(|_| bad())?)
            }
        };
        let x25519_secret = self.x25519.agree(x_public)?;
        Ok(combine(
            self.hash,
            kem_secret.as_ref(),
            x25519_secret.as_ref(),
        ))
    }
}

/// Server: S_REPLY and K for the client's C_INIT.
pub fn reply(
    kem: Kem,
    hash: KexHash,
    kex: &'static str,
    init: &[u8],
    rng: &mut dyn CryptoRngCore,
) -> Result<(Vec<u8>, SharedSecret), TransportError> {
    let bad = || TransportError::BadEphemeralKey {
        kex,
        len: init.len(),
    };
    let key_len = kem.key_len();
    if init.len() != key_len + X25519_LEN {
        return Err(bad());
    }
    let (key, x_public) = init.split_at(key_len);
    let (mut out, kem_secret) = kem.encapsulate(key, rng).ok_or_else(bad)?;
    let x25519 = EphemeralKey::generate(rng);
    let x25519_secret = x25519.agree(x_public)?;
    out.extend_from_slice(x25519.public_key());
    Ok((
        out,
        combine(hash, kem_secret.as_ref(), x25519_secret.as_ref()),
    ))
}
