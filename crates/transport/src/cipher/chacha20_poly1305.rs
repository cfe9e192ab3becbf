//! `chacha20-poly1305@openssh.com` (OpenSSH PROTOCOL.chacha20poly1305): ChaCha20 with a 64-bit
//! nonce under two keys, one for the length field and one for the body, and a Poly1305 tag.
//!
//! The 64-byte key is K_2 (bytes 0..32, body and Poly1305 key) followed by K_1 (bytes 32..64,
//! length field). The nonce of both is the sequence number as a big-endian uint64. The
//! Poly1305 key is the first 32 bytes of K_2's keystream block 0; the body is encrypted from
//! block 1; the tag covers the encrypted length and the encrypted body.

use chacha20::ChaCha20Legacy;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use poly1305::universal_hash::{KeyInit, UniversalHash};
use poly1305::{Block, Poly1305};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{CipherAlg, check_len, split_packet};
use crate::packet::PacketError;

/// Bytes of Poly1305 tag.
pub(super) const TAG_LEN: usize = 16;

/// Where the body's keystream starts: block 1 of 64 bytes.
const BODY_KEYSTREAM_OFFSET: u64 = 64;

/// Poly1305 of `data`: the whole 16-byte blocks through the hash's parallel path (four
/// blocks per step with AVX2), then the unpadded rest.
fn poly1305_tag(mut mac: Poly1305, data: &[u8]) -> poly1305::Tag {
    let (blocks, rest) = Block::slice_as_chunks(data);
    mac.update(blocks);
    mac.compute_unpadded(rest)
}

/// The two ChaCha20 keys of one direction.
pub struct ChaChaPoly {
    /// K_2: body encryption and Poly1305 keys.
    main_key: Zeroizing<[u8; 32]>,
    /// K_1: length field encryption.
    header_key: Zeroizing<[u8; 32]>,
}

impl ChaChaPoly {
    /// Splits the 64-byte key into K_2 (first half) and K_1 (second half). The IV must be
    /// empty: the nonce is the sequence number.
    pub(super) fn new(key: &[u8], iv: &[u8]) -> Result<Self, PacketError> {
        let alg = CipherAlg::Chacha20Poly1305;
        check_len("chacha20-poly1305 key", alg.key_len(), key)?;
        check_len("chacha20-poly1305 iv", alg.iv_len(), iv)?;
        let mut main_key = Zeroizing::new([0u8; 32]);
        let mut header_key = Zeroizing::new([0u8; 32]);
        let (k2, k1) = key.split_at(32);
        main_key.copy_from_slice(k2);
        header_key.copy_from_slice(k1);
        Ok(Self {
            main_key,
            header_key,
        })
    }

    fn stream(key: &[u8; 32], seq: u32) -> ChaCha20Legacy {
        let nonce = u64::from(seq).to_be_bytes();
        ChaCha20Legacy::new(key.into(), &nonce.into())
    }

    /// K_2's stream for `seq`, positioned at block 1, and the Poly1305 instance keyed from
    /// block 0.
    fn body_stream_and_mac(&self, seq: u32) -> Result<(ChaCha20Legacy, Poly1305), PacketError> {
        let mut stream = Self::stream(&self.main_key, seq);
        let mut poly_key = Zeroizing::new([0u8; 32]);
        stream
            .try_apply_keystream(poly_key.as_mut())
            .map_err(|_| PacketError::KeystreamExhausted)?;
        stream
            .try_seek(BODY_KEYSTREAM_OFFSET)
            .map_err(|_| PacketError::KeystreamExhausted)?;
        let mac = Poly1305::new((&*poly_key).into());
        Ok((stream, mac))
    }

    /// Decrypts the 4-byte length field at the start of `head` with K_1.
    pub(super) fn decrypt_length(&self, seq: u32, head: &[u8]) -> Result<u32, PacketError> {
        let mut len: [u8; 4] = head
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(PacketError::Truncated { len: head.len() })?;
        Self::stream(&self.header_key, seq)
            .try_apply_keystream(&mut len)
            .map_err(|_| PacketError::KeystreamExhausted)?;
        Ok(u32::from_be_bytes(len))
    }

    /// Encrypts the length field and body, then writes the tag.
    pub(super) fn seal(&mut self, seq: u32, packet: &mut [u8]) -> Result<(), PacketError> {
        let (data, tag) = split_packet(packet, TAG_LEN)?;
        let (length, body) = data.split_at_mut(4);
        Self::stream(&self.header_key, seq)
            .try_apply_keystream(length)
            .map_err(|_| PacketError::KeystreamExhausted)?;
        let (mut stream, mac) = self.body_stream_and_mac(seq)?;
        stream
            .try_apply_keystream(body)
            .map_err(|_| PacketError::KeystreamExhausted)?;
        tag.copy_from_slice(&poly1305_tag(mac, data));
        Ok(())
    }

    /// Checks the tag over the encrypted length and body, then decrypts the body (the length
    /// field stays encrypted; the caller has it from [`Self::decrypt_length`]).
    pub(super) fn open(&mut self, seq: u32, packet: &mut [u8]) -> Result<(), PacketError> {
        let (data, tag) = split_packet(packet, TAG_LEN)?;
        let (mut stream, mac) = self.body_stream_and_mac(seq)?;
        let expected = poly1305_tag(mac, data);
        if !bool::from(expected.as_slice().ct_eq(tag)) {
            return Err(PacketError::MacMismatch { seq });
        }
        let (_, body) = data.split_at_mut(4);
        stream
            .try_apply_keystream(body)
            .map_err(|_| PacketError::KeystreamExhausted)
    }
}
