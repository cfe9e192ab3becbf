//! ECDSA over NIST P-256, P-384 and P-521 (RFC 5656): points, the `mpint r, mpint s`
//! signature encoding, signing and verification.

use burrow_wire::{Mpint, Reader, Writer};
use bytes::BytesMut;
use p256::ecdsa::signature::{RandomizedSigner, Verifier};
use zeroize::Zeroizing;

use crate::KeyError;
use crate::error::input_name;
use crate::public_key::unsigned;

/// An ECDSA public key on one of the three curves.
#[derive(Clone)]
pub(crate) enum EcdsaPublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

/// An ECDSA secret key; each type zeroizes itself on drop.
#[derive(Clone)]
pub(crate) enum EcdsaSecret {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

impl EcdsaPublicKey {
    /// The key of type `key_type` (`ecdsa-sha2-<curve>`) from the blob's curve name and its
    /// SEC1 point; the curve name must agree with the type, the point must be on the curve.
    pub(crate) fn from_parts(
        key_type: &[u8],
        curve: &[u8],
        point: &[u8],
    ) -> Result<Self, KeyError> {
        let bad = |_| KeyError::InvalidPublicKey;
        let key = match (key_type, curve) {
            (b"ecdsa-sha2-nistp256", b"nistp256") => {
                Self::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
            }
            (b"ecdsa-sha2-nistp384", b"nistp384") => {
                Self::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
            }
            (b"ecdsa-sha2-nistp521", b"nistp521") => {
                Self::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
            }
            _ => {
                return Err(KeyError::KeyTypeMismatch {
                    text: input_name(key_type),
                    blob: input_name(curve),
                });
            }
        };
        Ok(key)
    }

    /// `ecdsa-sha2-<curve>`.
    pub(crate) fn key_type(&self) -> &'static str {
        match self {
            Self::P256(_) => "ecdsa-sha2-nistp256",
            Self::P384(_) => "ecdsa-sha2-nistp384",
            Self::P521(_) => "ecdsa-sha2-nistp521",
        }
    }

    /// The uncompressed SEC1 point.
    fn point(&self) -> Vec<u8> {
        match self {
            Self::P256(k) => k.to_encoded_point(false).as_bytes().to_vec(),
            Self::P384(k) => k.to_encoded_point(false).as_bytes().to_vec(),
            Self::P521(k) => k.to_encoded_point(false).as_bytes().to_vec(),
        }
    }

    /// Writes `string curve, string point` (the blob after the type name).
    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        let curve = self.key_type().trim_start_matches("ecdsa-sha2-");
        w.utf8(curve).string(&self.point());
    }

    /// Verifies the inner signature (`mpint r, mpint s`) over `message`, hashed with the
    /// curve's hash (SHA-256, SHA-384, SHA-512).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        match self {
            Self::P256(k) => verify_rs::<p256::ecdsa::Signature>(k, 32, message, signature),
            Self::P384(k) => verify_rs::<p384::ecdsa::Signature>(k, 48, message, signature),
            Self::P521(k) => verify_rs::<p521::ecdsa::Signature>(k, 66, message, signature),
        }
    }
}

/// Reads `mpint r, mpint s`, left-pads both to `size` bytes and verifies.
fn verify_rs<S>(
    key: &impl Verifier<S>,
    size: usize,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyError>
where
    S: for<'a> TryFrom<&'a [u8]>,
{
    let mut r = Reader::new(signature);
    let mut raw = vec![0u8; 2 * size];
    for (chunk, what) in raw
        .chunks_mut(size)
        .zip(["ecdsa signature r", "ecdsa signature s"])
    {
        let magnitude = unsigned(&mut r, what)?;
        let start = size
            .checked_sub(magnitude.len())
            .ok_or(KeyError::SignatureVerificationFailed)?;
        if let Some(tail) = chunk.get_mut(start..) {
            tail.copy_from_slice(magnitude);
        }
    }
    r.finish("ecdsa signature")?;
    let sig = S::try_from(&raw).map_err(|_| KeyError::SignatureVerificationFailed)?;
    key.verify(message, &sig)
        .map_err(|_| KeyError::SignatureVerificationFailed)
}

impl EcdsaSecret {
    /// The secret for `public` from the private key file's `mpint d`.
    pub(crate) fn from_scalar(public: &EcdsaPublicKey, d: &[u8]) -> Result<Self, KeyError> {
        let size = match public {
            EcdsaPublicKey::P256(_) => 32,
            EcdsaPublicKey::P384(_) => 48,
            EcdsaPublicKey::P521(_) => 66,
        };
        let mut padded = Zeroizing::new(vec![0u8; size]);
        let start = size.checked_sub(d.len()).ok_or(KeyError::KeyMismatch)?;
        if let Some(tail) = padded.get_mut(start..) {
            tail.copy_from_slice(d);
        }
        let bad = |_| KeyError::KeyMismatch;
        let secret = match public {
            EcdsaPublicKey::P256(_) => {
                Self::P256(p256::ecdsa::SigningKey::from_slice(&padded).map_err(bad)?)
            }
            EcdsaPublicKey::P384(_) => {
                Self::P384(p384::ecdsa::SigningKey::from_slice(&padded).map_err(bad)?)
            }
            EcdsaPublicKey::P521(_) => {
                Self::P521(p521::ecdsa::SigningKey::from_slice(&padded).map_err(bad)?)
            }
        };
        if secret.public_key().point() != public.point() {
            return Err(KeyError::KeyMismatch);
        }
        Ok(secret)
    }

    /// The public half.
    pub(crate) fn public_key(&self) -> EcdsaPublicKey {
        match self {
            Self::P256(k) => EcdsaPublicKey::P256(*k.verifying_key()),
            Self::P384(k) => EcdsaPublicKey::P384(*k.verifying_key()),
            Self::P521(k) => EcdsaPublicKey::P521(k.into()),
        }
    }

    /// The secret scalar, big-endian (for writing key files).
    pub(crate) fn scalar(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(match self {
            Self::P256(k) => k.to_bytes().to_vec(),
            Self::P384(k) => k.to_bytes().to_vec(),
            Self::P521(k) => k.to_bytes().to_vec(),
        })
    }

    /// Signs `message` (RFC 6979 nonces hedged with `rng`; P-521 nonces from `rng`) and
    /// returns `mpint r, mpint s`.
    pub(crate) fn sign(
        &self,
        message: &[u8],
        rng: &mut dyn rand_core::CryptoRngCore,
    ) -> Result<Vec<u8>, KeyError> {
        let mut rng = rng;
        let (r, s) = match self {
            Self::P256(k) => {
                split(sign_with::<p256::ecdsa::Signature>(k, &mut rng, message)?.split_bytes())
            }
            Self::P384(k) => {
                split(sign_with::<p384::ecdsa::Signature>(k, &mut rng, message)?.split_bytes())
            }
            Self::P521(k) => {
                split(sign_with::<p521::ecdsa::Signature>(k, &mut rng, message)?.split_bytes())
            }
        };
        let mut buf = BytesMut::new();
        Writer::new(&mut buf)
            .mpint(&Mpint::from_unsigned_be(&r))
            .mpint(&Mpint::from_unsigned_be(&s));
        Ok(buf.to_vec())
    }
}

fn sign_with<S>(
    key: &impl RandomizedSigner<S>,
    rng: &mut &mut dyn rand_core::CryptoRngCore,
    message: &[u8],
) -> Result<S, KeyError> {
    key.try_sign_with_rng(rng, message)
        .map_err(|_| KeyError::SigningFailed)
}

fn split<A: AsRef<[u8]>>((r, s): (A, A)) -> (Vec<u8>, Vec<u8>) {
    (r.as_ref().to_vec(), s.as_ref().to_vec())
}
