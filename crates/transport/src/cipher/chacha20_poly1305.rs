//! `chacha20-poly1305@openssh.com` (OpenSSH PROTOCOL.chacha20poly1305): ChaCha20 with a 64-bit
//! nonce under two keys, one for the length field and one for the body, and a Poly1305 tag.
//!
//! The 64-byte key is K_2 (bytes 0..32, body and Poly1305 key) followed by K_1 (bytes 32..64,
//! length field). The nonce of both is the sequence number as a big-endian uint64. The
//! Poly1305 key is the first 32 bytes of K_2's keystream block 0; the body is encrypted from
//! block 1; the tag covers the encrypted length and the encrypted body.
//!
//! The construction is `ring`'s (`chacha20_poly1305_openssh`, SIMD ChaCha20 and Poly1305),
//! about 1.5 times faster per byte than RustCrypto's `chacha20` + `poly1305` here. Its keys
//! are not zeroized on drop (SECURITY.md).

use ring::aead::chacha20_poly1305_openssh::{KEY_LEN, OpeningKey, SealingKey};

use super::{CipherAlg, check_len, split_packet};
use crate::packet::PacketError;

/// Bytes of Poly1305 tag.
pub(super) const TAG_LEN: usize = 16;

/// The keys of one direction, for whichever way it is used.
pub struct ChaChaPoly {
    seal: SealingKey,
    open: OpeningKey,
}

impl ChaChaPoly {
    /// Keys both halves from the 64-byte key (K_2 then K_1). The IV must be empty: the nonce
    /// is the sequence number.
    pub(super) fn new(key: &[u8], iv: &[u8]) -> Result<Self, PacketError> {
        let alg = CipherAlg::Chacha20Poly1305;
        check_len("chacha20-poly1305 key", alg.key_len(), key)?;
        check_len("chacha20-poly1305 iv", alg.iv_len(), iv)?;
        let key: &[u8; KEY_LEN] = key.try_into().map_err(|_| PacketError::KeyLength {
            what: "chacha20-poly1305 key",
            expected: KEY_LEN,
            got: key.len(),
        })?;
        Ok(Self {
            seal: SealingKey::new(key),
            open: OpeningKey::new(key),
        })
    }

    /// Decrypts the 4-byte length field at the start of `head` with K_1.
    pub(super) fn decrypt_length(&self, seq: u32, head: &[u8]) -> Result<u32, PacketError> {
        let len: [u8; 4] = head
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(PacketError::Truncated { len: head.len() })?;
        Ok(u32::from_be_bytes(self.open.decrypt_packet_length(seq, len)))
    }

    /// Encrypts the length field and body, then writes the tag.
    pub(super) fn seal(&mut self, seq: u32, packet: &mut [u8]) -> Result<(), PacketError> {
        let len = packet.len();
        let (data, tag) = split_packet(packet, TAG_LEN)?;
        let tag: &mut [u8; TAG_LEN] = tag.try_into().map_err(|_| PacketError::Truncated { len })?;
        self.seal.seal_in_place(seq, data, tag);
        Ok(())
    }

    /// Checks the tag over the encrypted length and body (in constant time, inside `ring`),
    /// then decrypts the body (the length field stays encrypted; the caller has it from
    /// [`Self::decrypt_length`]).
    pub(super) fn open(&mut self, seq: u32, packet: &mut [u8]) -> Result<(), PacketError> {
        let len = packet.len();
        let (data, tag) = split_packet(packet, TAG_LEN)?;
        let tag: &[u8; TAG_LEN] = (&*tag)
            .try_into()
            .map_err(|_| PacketError::Truncated { len })?;
        self.open
            .open_in_place(seq, data, tag)
            .map(|_| ())
            .map_err(|_| PacketError::MacMismatch { seq })
    }
}
