//! HMAC-SHA2 packet MACs (RFC 6668): `MAC(key, sequence_number || data)`, compared in
//! constant time.

use hmac::{Hmac, Mac as _};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{MacAlg, check_len};
use crate::packet::PacketError;

/// Longest tag of any MAC we support (HMAC-SHA-512).
const MAX_TAG_LEN: usize = 64;

/// A MAC algorithm and its key. The keyed HMAC state is rebuilt for every packet from the
/// zeroized key, so no key-equivalent state outlives a packet unzeroized.
pub(super) struct PacketMac {
    alg: MacAlg,
    key: Zeroizing<Vec<u8>>,
}

impl PacketMac {
    /// Checks the key length and keeps a copy of the key.
    pub(super) fn new(alg: MacAlg, key: &[u8]) -> Result<Self, PacketError> {
        check_len("mac key", alg.key_len(), key)?;
        Ok(Self {
            alg,
            key: Zeroizing::new(key.to_vec()),
        })
    }

    /// The algorithm.
    pub(super) fn alg(&self) -> MacAlg {
        self.alg
    }

    /// Computes the MAC of `seq || data` into a buffer; returns it and its length.
    fn compute(&self, seq: u32, data: &[u8]) -> Result<([u8; MAX_TAG_LEN], usize), PacketError> {
        let mut out = [0u8; MAX_TAG_LEN];
        let bad_key = |_| PacketError::KeyLength {
            what: "mac key",
            expected: self.alg.key_len(),
            got: self.key.len(),
        };
        let len = match self.alg {
            MacAlg::HmacSha256 | MacAlg::HmacSha256Etm => {
                let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).map_err(bad_key)?;
                mac.update(&seq.to_be_bytes());
                mac.update(data);
                copy_tag(&mut out, &mac.finalize().into_bytes())
            }
            MacAlg::HmacSha512 | MacAlg::HmacSha512Etm => {
                let mut mac = Hmac::<Sha512>::new_from_slice(&self.key).map_err(bad_key)?;
                mac.update(&seq.to_be_bytes());
                mac.update(data);
                copy_tag(&mut out, &mac.finalize().into_bytes())
            }
        };
        Ok((out, len))
    }

    /// Writes the MAC of `seq || data` into `tag` (exactly [`MacAlg::tag_len`] bytes).
    pub(super) fn sign(&self, seq: u32, data: &[u8], tag: &mut [u8]) -> Result<(), PacketError> {
        let (out, len) = self.compute(seq, data)?;
        let computed = out.get(..len).unwrap_or_default();
        if tag.len() != computed.len() {
            return Err(PacketError::Truncated { len: tag.len() });
        }
        tag.copy_from_slice(computed);
        Ok(())
    }

    /// True if `tag` is the MAC of `seq || data`, compared in constant time.
    pub(super) fn verify(&self, seq: u32, data: &[u8], tag: &[u8]) -> Result<bool, PacketError> {
        let (out, len) = self.compute(seq, data)?;
        let computed = out.get(..len).unwrap_or_default();
        Ok(bool::from(computed.ct_eq(tag)))
    }
}

/// Copies a finished tag into `out`, returning its length.
fn copy_tag(out: &mut [u8; MAX_TAG_LEN], tag: &[u8]) -> usize {
    let len = tag.len().min(MAX_TAG_LEN);
    if let (Some(dst), Some(src)) = (out.get_mut(..len), tag.get(..len)) {
        dst.copy_from_slice(src);
    }
    len
}
