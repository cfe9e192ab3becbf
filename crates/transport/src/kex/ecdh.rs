//! ecdh-sha2-nistp256/384/521 (RFC 5656 §4): ephemeral keys on the NIST curves, one generic
//! path over the RustCrypto curves.

use p256::elliptic_curve::ecdh::EphemeralSecret;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ModulusSize, ToEncodedPoint};
use p256::elliptic_curve::{AffinePoint, CurveArithmetic, FieldBytesSize, PublicKey};
use rand_core::CryptoRngCore;

use super::SharedSecret;
use crate::TransportError;

/// Our ephemeral secret on one of the curves; zeroized on drop by the curve crates.
pub enum EcdhSecret {
    /// NIST P-256.
    P256(EphemeralSecret<p256::NistP256>),
    /// NIST P-384.
    P384(EphemeralSecret<p384::NistP384>),
    /// NIST P-521.
    P521(EphemeralSecret<p521::NistP521>),
}

/// A fresh secret and its public point, SEC1 uncompressed (Q_C or Q_S).
pub(super) fn generate<C>(mut rng: &mut dyn CryptoRngCore) -> (EphemeralSecret<C>, Vec<u8>)
where
    C: CurveArithmetic,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let secret = EphemeralSecret::<C>::random(&mut rng);
    let public = secret
        .public_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    (secret, public)
}

/// K: the x coordinate of our secret times the peer's point, as an `mpint`. The point must
/// decode (SEC1) and lie on the curve; the identity cannot be encoded as a public key.
fn agree<C>(
    secret: &EphemeralSecret<C>,
    peer: &[u8],
    kex: &'static str,
) -> Result<SharedSecret, TransportError>
where
    C: CurveArithmetic,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let point =
        PublicKey::<C>::from_sec1_bytes(peer).map_err(|_| TransportError::BadEphemeralKey {
            kex,
            len: peer.len(),
        })?;
    let shared = secret.diffie_hellman(&point);
    Ok(SharedSecret::mpint(shared.raw_secret_bytes()))
}

impl EcdhSecret {
    /// K with the peer's public point.
    pub fn agree(&self, peer: &[u8]) -> Result<SharedSecret, TransportError> {
        match self {
            EcdhSecret::P256(s) => agree(s, peer, "ecdh-sha2-nistp256"),
            EcdhSecret::P384(s) => agree(s, peer, "ecdh-sha2-nistp384"),
            EcdhSecret::P521(s) => agree(s, peer, "ecdh-sha2-nistp521"),
        }
    }
}
