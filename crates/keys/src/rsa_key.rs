//! RSA keys (RFC 4253 §6.6, RFC 8332): `ssh-rsa` blobs, PKCS#1 v1.5 signatures with
//! SHA-512, SHA-256 or SHA-1, and the private key file fields. Private-key operations use
//! RustCrypto `rsa`, which carries RUSTSEC-2023-0071 (see SECURITY.md); signing is blinded.

use burrow_wire::{Mpint, Reader, Writer};
use rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};
use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest as _, Sha256, Sha512};

use crate::public_key::unsigned;
use crate::{KeyError, SigAlg};

/// The smallest modulus read at all, in bits (OpenSSH's SSH_RSA_MINIMUM_MODULUS_SIZE, also
/// the default `RequiredRSASize`); [`crate::PublicKey::check_rsa_size`] applies a larger one.
pub const MIN_RSA_BITS: usize = 1024;
/// The largest modulus accepted, in bits (OpenSSH's SSHBUF_MAX_BIGNUM).
pub const MAX_RSA_BITS: usize = 16384;

/// The key from the blob fields `mpint e, mpint n`, refusing moduli outside
/// [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`].
pub(crate) fn public_key(r: &mut Reader<'_>) -> Result<RsaPublicKey, KeyError> {
    let e = BigUint::from_bytes_be(unsigned(r, "ssh-rsa e")?);
    let n = BigUint::from_bytes_be(unsigned(r, "ssh-rsa n")?);
    let bits = n.bits();
    if bits < MIN_RSA_BITS {
        return Err(KeyError::RsaKeyTooSmall {
            bits,
            min: MIN_RSA_BITS,
        });
    }
    RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS).map_err(|_| KeyError::InvalidPublicKey)
}

/// Writes `mpint e, mpint n` (the blob after the type name).
pub(crate) fn write_public(key: &RsaPublicKey, w: &mut Writer<'_>) {
    w.mpint(&Mpint::from_unsigned_be(&key.e().to_bytes_be()))
        .mpint(&Mpint::from_unsigned_be(&key.n().to_bytes_be()));
}

/// The PKCS#1 v1.5 scheme and the message digest for `alg`.
fn scheme(alg: SigAlg, message: &[u8]) -> (Pkcs1v15Sign, Vec<u8>) {
    match alg {
        SigAlg::RsaSha512 => (
            Pkcs1v15Sign::new::<Sha512>(),
            Sha512::digest(message).to_vec(),
        ),
        SigAlg::RsaSha1 => (
            Pkcs1v15Sign::new::<sha1::Sha1>(),
            sha1::Sha1::digest(message).to_vec(),
        ),
        _ => (
            Pkcs1v15Sign::new::<Sha256>(),
            Sha256::digest(message).to_vec(),
        ),
    }
}

/// Verifies the raw signature `sig` over `message`. A signature shorter than the modulus
/// is left-padded with zeros first, as OpenSSH does; a longer one fails.
pub(crate) fn verify(
    key: &RsaPublicKey,
    alg: SigAlg,
    message: &[u8],
    sig: &[u8],
) -> Result<(), KeyError> {
    let size = key.size();
    let start = size
        .checked_sub(sig.len())
        .ok_or(KeyError::SignatureVerificationFailed)?;
    let mut padded = vec![0u8; size];
    if let Some(tail) = padded.get_mut(start..) {
        tail.copy_from_slice(sig);
    }
    let (scheme, digest) = scheme(alg, message);
    key.verify(scheme, &digest, &padded)
        .map_err(|_| KeyError::SignatureVerificationFailed)
}

/// Signs `message` with blinding from `rng`; returns the raw signature (modulus length).
pub(crate) fn sign(
    key: &RsaPrivateKey,
    alg: SigAlg,
    message: &[u8],
    rng: &mut dyn rand_core::CryptoRngCore,
) -> Result<Vec<u8>, KeyError> {
    let (scheme, digest) = scheme(alg, message);
    key.sign_with_rng(&mut &mut *rng, scheme, &digest)
        .map_err(|_| KeyError::SigningFailed)
}

/// Reads the private key file fields `mpint n, e, d, iqmp, p, q` and checks the key.
pub(crate) fn read_private(r: &mut Reader<'_>) -> Result<RsaPrivateKey, KeyError> {
    let mut next = |what| unsigned(r, what).map(BigUint::from_bytes_be);
    let n = next("ssh-rsa private n")?;
    let e = next("ssh-rsa private e")?;
    let d = next("ssh-rsa private d")?;
    let _iqmp = next("ssh-rsa private iqmp")?;
    let p = next("ssh-rsa private p")?;
    let q = next("ssh-rsa private q")?;
    RsaPrivateKey::from_components(n, e, d, vec![p, q]).map_err(|_| KeyError::KeyMismatch)
}

/// Writes `mpint n, e, d, iqmp, p, q`.
pub(crate) fn write_private(key: &RsaPrivateKey, w: &mut Writer<'_>) -> Result<(), KeyError> {
    let [p, q] = key.primes() else {
        return Err(KeyError::KeyMismatch);
    };
    let iqmp = key.crt_coefficient().ok_or(KeyError::KeyMismatch)?;
    for n in [key.n(), key.e(), key.d(), &iqmp, p, q] {
        w.mpint(&Mpint::from_unsigned_be(&n.to_bytes_be()));
    }
    Ok(())
}
