//! `aes128-ctr` and `aes256-ctr` (RFC 4344) with an HMAC-SHA2 MAC, in either order:
//! encrypt-then-MAC (OpenSSH `-etm@openssh.com`: length in clear, MAC over
//! `seq || length || ciphertext`) or RFC 4253 MAC-then-encrypt (MAC over
//! `seq || plaintext packet`, length encrypted in the first block).
//!
//! The counter is one 128-bit big-endian block counter that runs on across packets, starting
//! from the derived IV.

use aes::{Aes128, Aes256};
use ctr::Ctr128BE;
use ctr::cipher::{self, KeyIvInit, StreamCipher, StreamCipherSeek};

use super::mac::PacketMac;
use super::{CipherAlg, MacAlg, check_len, split_packet};
use crate::packet::PacketError;

/// AES block size.
const BLOCK: usize = 16;

/// The keystream, by key size.
enum Stream {
    Aes128(Box<Ctr128BE<Aes128>>),
    Aes256(Box<Ctr128BE<Aes256>>),
}

impl Stream {
    fn apply(&mut self, data: &mut [u8]) -> Result<(), PacketError> {
        let result = match self {
            Stream::Aes128(s) => s.try_apply_keystream(data),
            Stream::Aes256(s) => s.try_apply_keystream(data),
        };
        result.map_err(|_| PacketError::KeystreamExhausted)
    }

    /// Applies the keystream to `data`, then seeks back, leaving our position where it was.
    fn peek(&mut self, data: &mut [u8]) -> Result<(), PacketError> {
        fn peek_in<S: StreamCipher + StreamCipherSeek>(
            s: &mut S,
            data: &mut [u8],
        ) -> Result<(), cipher::StreamCipherError> {
            let pos: u64 = s.try_current_pos().map_err(|_| cipher::StreamCipherError)?;
            s.try_apply_keystream(data)?;
            s.try_seek(pos).map_err(|_| cipher::StreamCipherError)
        }
        let result = match self {
            Stream::Aes128(s) => peek_in(&mut **s, data),
            Stream::Aes256(s) => peek_in(&mut **s, data),
        };
        result.map_err(|_| PacketError::KeystreamExhausted)
    }
}

/// AES-CTR and HMAC state of one direction.
pub struct CtrHmac {
    stream: Stream,
    mac: PacketMac,
}

impl CtrHmac {
    /// Keys AES-CTR from the derived key and 16-byte IV, and the MAC from its key.
    pub(super) fn new(
        alg: CipherAlg,
        key: &[u8],
        iv: &[u8],
        mac: MacAlg,
        mac_key: &[u8],
    ) -> Result<Self, PacketError> {
        check_len("aes-ctr key", alg.key_len(), key)?;
        check_len("aes-ctr iv", alg.iv_len(), iv)?;
        let bad_key = |_| PacketError::KeyLength {
            what: "aes-ctr key",
            expected: alg.key_len(),
            got: key.len(),
        };
        let stream = match alg {
            CipherAlg::Aes256Ctr => Stream::Aes256(Box::new(
                Ctr128BE::<Aes256>::new_from_slices(key, iv).map_err(bad_key)?,
            )),
            CipherAlg::Aes128Ctr
            | CipherAlg::Chacha20Poly1305
            | CipherAlg::Aes128Gcm
            | CipherAlg::Aes256Gcm => Stream::Aes128(Box::new(
                Ctr128BE::<Aes128>::new_from_slices(key, iv).map_err(bad_key)?,
            )),
        };
        Ok(Self {
            stream,
            mac: PacketMac::new(mac, mac_key)?,
        })
    }

    /// Which of the two CTR ciphers this is.
    pub fn alg(&self) -> CipherAlg {
        match self.stream {
            Stream::Aes128(_) => CipherAlg::Aes128Ctr,
            Stream::Aes256(_) => CipherAlg::Aes256Ctr,
        }
    }

    /// The MAC in use.
    pub fn mac_alg(&self) -> MacAlg {
        self.mac.alg()
    }

    /// 4 for ETM (length in clear), else the first cipher block, which holds the length.
    pub(super) fn length_prefix_len(&self) -> usize {
        if self.mac.alg().is_etm() { 4 } else { BLOCK }
    }

    /// Reads the length: in clear for ETM; otherwise by decrypting a copy of the first block
    /// and seeking the keystream back, so neither the input nor our counter changes.
    pub(super) fn decrypt_length(&mut self, head: &[u8]) -> Result<u32, PacketError> {
        let truncated = PacketError::Truncated { len: head.len() };
        if self.mac.alg().is_etm() {
            return super::clear_length(head);
        }
        let mut first: [u8; BLOCK] = head
            .get(..BLOCK)
            .and_then(|b| b.try_into().ok())
            .ok_or(truncated)?;
        self.stream.peek(&mut first)?;
        super::clear_length(&first)
    }

    /// Encrypts and MACs one packet in the order the MAC calls for.
    pub(super) fn seal(&mut self, seq: u32, packet: &mut [u8]) -> Result<(), PacketError> {
        let (data, tag) = split_packet(packet, self.mac.alg().tag_len())?;
        if self.mac.alg().is_etm() {
            let (_, body) = data.split_at_mut(4);
            self.stream.apply(body)?;
            self.mac.sign(seq, data, tag)
        } else {
            self.mac.sign(seq, data, tag)?;
            self.stream.apply(data)
        }
    }

    /// ETM: checks the MAC over the ciphertext, then decrypts the body. Otherwise decrypts the
    /// whole packet and checks the MAC over the plaintext before anything of it is used.
    pub(super) fn open(&mut self, seq: u32, packet: &mut [u8]) -> Result<(), PacketError> {
        let (data, tag) = split_packet(packet, self.mac.alg().tag_len())?;
        if self.mac.alg().is_etm() {
            if !self.mac.verify(seq, data, tag)? {
                return Err(PacketError::MacMismatch { seq });
            }
            let (_, body) = data.split_at_mut(4);
            self.stream.apply(body)
        } else {
            self.stream.apply(data)?;
            if !self.mac.verify(seq, data, tag)? {
                return Err(PacketError::MacMismatch { seq });
            }
            Ok(())
        }
    }
}
