//! `aes128-gcm@openssh.com` and `aes256-gcm@openssh.com`: AES-GCM per RFC 5647 as OpenSSH uses
//! it. The 4-byte length field is sent in clear and authenticated as associated data; the
//! 12-byte nonce is a 4-byte fixed field and an 8-byte invocation counter, both from the
//! derived IV, and the counter goes up by one after every packet (RFC 5647 §7.1).

use aes_gcm::aead::consts::U12;
use aes_gcm::{AeadInOut, Aes128Gcm, Aes256Gcm, KeyInit, Nonce, Tag};

use super::{CipherAlg, check_len, split_packet};
use crate::packet::PacketError;

/// Bytes of GCM tag.
pub(super) const TAG_LEN: usize = 16;

/// The AES key schedule, by key size.
enum Key {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
}

/// AES-GCM state of one direction: the key and the nonce of the next packet.
pub struct AesGcm {
    key: Key,
    /// The fixed field of the nonce (IV bytes 0..4).
    fixed: [u8; 4],
    /// The invocation counter (IV bytes 4..12), big-endian.
    invocation: u64,
}

impl AesGcm {
    /// Keys AES-GCM from the derived key and 12-byte IV.
    pub(super) fn new(alg: CipherAlg, key: &[u8], iv: &[u8]) -> Result<Self, PacketError> {
        check_len("aes-gcm key", alg.key_len(), key)?;
        check_len("aes-gcm iv", alg.iv_len(), iv)?;
        let bad_key = PacketError::KeyLength {
            what: "aes-gcm key",
            expected: alg.key_len(),
            got: key.len(),
        };
        let key = match alg {
            CipherAlg::Aes256Gcm => Key::Aes256(Box::new(
                Aes256Gcm::new_from_slice(key).map_err(|_| bad_key)?,
            )),
            CipherAlg::Aes128Gcm
            | CipherAlg::Chacha20Poly1305
            | CipherAlg::Aes128Ctr
            | CipherAlg::Aes256Ctr => Key::Aes128(Box::new(
                Aes128Gcm::new_from_slice(key).map_err(|_| bad_key)?,
            )),
        };
        let (fixed, invocation) = iv.split_at(4);
        let fixed: [u8; 4] = fixed.try_into().map_err(|_| PacketError::KeyLength {
            what: "aes-gcm iv",
            expected: 12,
            got: iv.len(),
        })?;
        let invocation: [u8; 8] = invocation.try_into().map_err(|_| PacketError::KeyLength {
            what: "aes-gcm iv",
            expected: 12,
            got: iv.len(),
        })?;
        Ok(Self {
            key,
            fixed,
            invocation: u64::from_be_bytes(invocation),
        })
    }

    /// Which of the two GCM ciphers this is.
    pub fn alg(&self) -> CipherAlg {
        match self.key {
            Key::Aes128(_) => CipherAlg::Aes128Gcm,
            Key::Aes256(_) => CipherAlg::Aes256Gcm,
        }
    }

    /// The nonce of the next packet; then steps the invocation counter.
    fn next_nonce(&mut self) -> Nonce<U12> {
        let mut nonce = [0u8; 12];
        let (fixed, invocation) = nonce.split_at_mut(4);
        fixed.copy_from_slice(&self.fixed);
        invocation.copy_from_slice(&self.invocation.to_be_bytes());
        self.invocation = self.invocation.wrapping_add(1);
        nonce.into()
    }

    /// Encrypts the body, authenticating the clear length field, and writes the tag.
    pub(super) fn seal(&mut self, seq: u32, packet: &mut [u8]) -> Result<(), PacketError> {
        let nonce = self.next_nonce();
        let (data, tag) = split_packet(packet, TAG_LEN)?;
        let (length, body) = data.split_at_mut(4);
        let result = match &self.key {
            Key::Aes128(k) => k.encrypt_inout_detached(&nonce, length, body.into()),
            Key::Aes256(k) => k.encrypt_inout_detached(&nonce, length, body.into()),
        };
        let computed = result.map_err(|_| PacketError::CipherRefused { seq })?;
        tag.copy_from_slice(&computed);
        Ok(())
    }

    /// Checks the tag (in constant time, inside `aes-gcm`) and only then decrypts the body.
    pub(super) fn open(&mut self, seq: u32, packet: &mut [u8]) -> Result<(), PacketError> {
        let nonce = self.next_nonce();
        let (data, tag) = split_packet(packet, TAG_LEN)?;
        let (length, body) = data.split_at_mut(4);
        let tag = Tag::try_from(&*tag).map_err(|_| PacketError::MacMismatch { seq })?;
        let result = match &self.key {
            Key::Aes128(k) => k.decrypt_inout_detached(&nonce, length, body.into(), &tag),
            Key::Aes256(k) => k.decrypt_inout_detached(&nonce, length, body.into(), &tag),
        };
        result.map_err(|_| PacketError::MacMismatch { seq })
    }
}
