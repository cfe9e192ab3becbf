//! The packet ciphers and MACs of the transport layer, named as in SSH algorithm negotiation and
//! dispatched through the closed [`PacketCipher`] enum.
//!
//! Every cipher works in place on one whole packet, `packet_length || encrypted body || tag`,
//! with the sequence number passed in; the packet layer (`crate::packet`) does the framing.

mod aes_ctr_hmac;
mod aes_gcm;
mod chacha20_poly1305;
mod mac;

use core::fmt;

use zeroize::Zeroizing;

use crate::packet::PacketError;

pub use aes_ctr_hmac::CtrHmac;
pub use aes_gcm::AesGcm;
pub use chacha20_poly1305::ChaChaPoly;

/// An encryption algorithm (RFC 4253 §6.3 and OpenSSH's extensions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CipherAlg {
    /// `chacha20-poly1305@openssh.com` (OpenSSH PROTOCOL.chacha20poly1305).
    Chacha20Poly1305,
    /// `aes128-gcm@openssh.com` (RFC 5647 as OpenSSH uses it).
    Aes128Gcm,
    /// `aes256-gcm@openssh.com`.
    Aes256Gcm,
    /// `aes128-ctr` (RFC 4344), with a separate MAC.
    Aes128Ctr,
    /// `aes256-ctr` (RFC 4344), with a separate MAC.
    Aes256Ctr,
}

impl CipherAlg {
    /// Every cipher, in our default order of preference.
    pub const ALL: [CipherAlg; 5] = [
        CipherAlg::Chacha20Poly1305,
        CipherAlg::Aes128Gcm,
        CipherAlg::Aes256Gcm,
        CipherAlg::Aes128Ctr,
        CipherAlg::Aes256Ctr,
    ];

    /// The cipher with this negotiation name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The name used in KEXINIT.
    pub fn name(self) -> &'static str {
        match self {
            Self::Chacha20Poly1305 => "chacha20-poly1305@openssh.com",
            Self::Aes128Gcm => "aes128-gcm@openssh.com",
            Self::Aes256Gcm => "aes256-gcm@openssh.com",
            Self::Aes128Ctr => "aes128-ctr",
            Self::Aes256Ctr => "aes256-ctr",
        }
    }

    /// Bytes of encryption key to derive (RFC 4253 §7.2 letters C/D). For chacha20-poly1305
    /// this is both of its 32-byte keys.
    pub fn key_len(self) -> usize {
        match self {
            Self::Chacha20Poly1305 => 64,
            Self::Aes128Gcm | Self::Aes128Ctr => 16,
            Self::Aes256Gcm | Self::Aes256Ctr => 32,
        }
    }

    /// Bytes of IV to derive (letters A/B): 0 for chacha20-poly1305, whose nonce is the
    /// sequence number, 12 for AES-GCM, 16 for AES-CTR.
    pub fn iv_len(self) -> usize {
        match self {
            Self::Chacha20Poly1305 => 0,
            Self::Aes128Gcm | Self::Aes256Gcm => 12,
            Self::Aes128Ctr | Self::Aes256Ctr => 16,
        }
    }

    /// The cipher's block size, to which packets are padded (at least 8 is used).
    pub fn block_size(self) -> usize {
        match self {
            Self::Chacha20Poly1305 => 8,
            Self::Aes128Gcm | Self::Aes256Gcm | Self::Aes128Ctr | Self::Aes256Ctr => 16,
        }
    }

    /// True if the cipher authenticates packets itself, so no MAC is negotiated for it.
    pub fn is_aead(self) -> bool {
        match self {
            Self::Chacha20Poly1305 | Self::Aes128Gcm | Self::Aes256Gcm => true,
            Self::Aes128Ctr | Self::Aes256Ctr => false,
        }
    }
}

/// A MAC algorithm (RFC 6668, and OpenSSH's encrypt-then-MAC variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacAlg {
    /// `hmac-sha2-256-etm@openssh.com`: MAC over the ciphertext, length sent in clear.
    HmacSha256Etm,
    /// `hmac-sha2-512-etm@openssh.com`.
    HmacSha512Etm,
    /// `hmac-sha2-256` (RFC 6668): MAC over the plaintext packet.
    HmacSha256,
    /// `hmac-sha2-512` (RFC 6668).
    HmacSha512,
}

impl MacAlg {
    /// Every MAC, in our default order of preference.
    pub const ALL: [MacAlg; 4] = [
        MacAlg::HmacSha256Etm,
        MacAlg::HmacSha512Etm,
        MacAlg::HmacSha256,
        MacAlg::HmacSha512,
    ];

    /// The MAC with this negotiation name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The name used in KEXINIT.
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha256Etm => "hmac-sha2-256-etm@openssh.com",
            Self::HmacSha512Etm => "hmac-sha2-512-etm@openssh.com",
            Self::HmacSha256 => "hmac-sha2-256",
            Self::HmacSha512 => "hmac-sha2-512",
        }
    }

    /// Bytes of MAC key to derive (letters E/F).
    pub fn key_len(self) -> usize {
        match self {
            Self::HmacSha256Etm | Self::HmacSha256 => 32,
            Self::HmacSha512Etm | Self::HmacSha512 => 64,
        }
    }

    /// Bytes of MAC at the end of each packet.
    pub fn tag_len(self) -> usize {
        self.key_len()
    }

    /// True for encrypt-then-MAC: the length is in clear and the MAC covers the ciphertext.
    pub fn is_etm(self) -> bool {
        match self {
            Self::HmacSha256Etm | Self::HmacSha512Etm => true,
            Self::HmacSha256 | Self::HmacSha512 => false,
        }
    }
}

/// The keys for one direction, derived by the key exchange (RFC 4253 §7.2) with exactly the
/// lengths [`CipherAlg::key_len`], [`CipherAlg::iv_len`] and [`MacAlg::key_len`] give.
/// Zeroized on drop; its `Debug` shows the algorithms only.
#[derive(Clone)]
pub struct DirectionKeys {
    /// The negotiated cipher.
    pub cipher: CipherAlg,
    /// The negotiated MAC; `None` (and ignored) for an AEAD cipher.
    pub mac: Option<MacAlg>,
    /// Encryption key (letter C or D).
    pub enc_key: Zeroizing<Vec<u8>>,
    /// Initial IV (letter A or B); empty for chacha20-poly1305.
    pub iv: Zeroizing<Vec<u8>>,
    /// MAC key (letter E or F); empty for an AEAD cipher.
    pub mac_key: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for DirectionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectionKeys")
            .field("cipher", &self.cipher)
            .field("mac", &self.mac)
            .finish_non_exhaustive()
    }
}

/// Checks that a key has exactly the length its algorithm needs.
fn check_len(what: &'static str, expected: usize, key: &[u8]) -> Result<(), PacketError> {
    if key.len() == expected {
        Ok(())
    } else {
        Err(PacketError::KeyLength {
            what,
            expected,
            got: key.len(),
        })
    }
}

/// The packet protection in force for one direction.
pub enum PacketCipher {
    /// No encryption and no MAC: before the first NEWKEYS.
    Clear,
    /// `chacha20-poly1305@openssh.com`.
    ChaCha(ChaChaPoly),
    /// `aes128-gcm@openssh.com` or `aes256-gcm@openssh.com`.
    AesGcm(AesGcm),
    /// `aes128-ctr` or `aes256-ctr` with an HMAC.
    CtrHmac(CtrHmac),
}

impl fmt::Debug for PacketCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Clear => f.write_str("Clear"),
            Self::ChaCha(_) => f.write_str("ChaCha(..)"),
            Self::AesGcm(c) => write!(f, "AesGcm({})", c.alg().name()),
            Self::CtrHmac(c) => write!(f, "CtrHmac({}, {})", c.alg().name(), c.mac_alg().name()),
        }
    }
}

impl PacketCipher {
    /// Builds the cipher (and MAC) for `keys`, checking every key length.
    pub fn new(keys: &DirectionKeys) -> Result<Self, PacketError> {
        match keys.cipher {
            CipherAlg::Chacha20Poly1305 => {
                ChaChaPoly::new(&keys.enc_key, &keys.iv).map(Self::ChaCha)
            }
            CipherAlg::Aes128Gcm | CipherAlg::Aes256Gcm => {
                AesGcm::new(keys.cipher, &keys.enc_key, &keys.iv).map(Self::AesGcm)
            }
            CipherAlg::Aes128Ctr | CipherAlg::Aes256Ctr => {
                let mac = keys.mac.ok_or(PacketError::MacRequired {
                    cipher: keys.cipher.name(),
                })?;
                CtrHmac::new(keys.cipher, &keys.enc_key, &keys.iv, mac, &keys.mac_key)
                    .map(Self::CtrHmac)
            }
        }
    }

    /// The unit packets are padded to: the larger of 8 and the cipher block (RFC 4253 §6).
    pub fn block_size(&self) -> usize {
        match self {
            Self::Clear => 8,
            Self::ChaCha(_) => CipherAlg::Chacha20Poly1305.block_size(),
            Self::AesGcm(c) => c.alg().block_size(),
            Self::CtrHmac(c) => c.alg().block_size(),
        }
    }

    /// Bytes of tag or MAC after each packet.
    pub fn tag_len(&self) -> usize {
        match self {
            Self::Clear => 0,
            Self::ChaCha(_) => chacha20_poly1305::TAG_LEN,
            Self::AesGcm(_) => aes_gcm::TAG_LEN,
            Self::CtrHmac(c) => c.mac_alg().tag_len(),
        }
    }

    /// True if the 4-byte length field counts towards the block alignment. OpenSSH leaves it
    /// out for AEAD ciphers and ETM MACs, whose length field is not part of the encrypted body.
    pub fn aligns_length_field(&self) -> bool {
        match self {
            Self::Clear => true,
            Self::ChaCha(_) | Self::AesGcm(_) => false,
            Self::CtrHmac(c) => !c.mac_alg().is_etm(),
        }
    }

    /// Bytes needed at the start of a packet before its length can be read: 4, or a whole
    /// cipher block for AES-CTR with a non-ETM MAC (the length is encrypted inside it).
    pub fn length_prefix_len(&self) -> usize {
        match self {
            Self::Clear | Self::ChaCha(_) | Self::AesGcm(_) => 4,
            Self::CtrHmac(c) => c.length_prefix_len(),
        }
    }

    /// Reads the packet length from `head` (at least [`Self::length_prefix_len`] bytes)
    /// without changing it or the cipher's position.
    pub fn decrypt_length(&mut self, seq: u32, head: &[u8]) -> Result<u32, PacketError> {
        match self {
            Self::Clear | Self::AesGcm(_) => clear_length(head),
            Self::ChaCha(c) => c.decrypt_length(seq, head),
            Self::CtrHmac(c) => c.decrypt_length(head),
        }
    }

    /// Encrypts and authenticates one packet in place. `packet` is the length field, the
    /// plaintext body and [`Self::tag_len`] bytes of room for the tag at the end.
    pub fn seal(&mut self, seq: u32, packet: &mut [u8]) -> Result<(), PacketError> {
        match self {
            Self::Clear => Ok(()),
            Self::ChaCha(c) => c.seal(seq, packet),
            Self::AesGcm(c) => c.seal(seq, packet),
            Self::CtrHmac(c) => c.seal(seq, packet),
        }
    }

    /// Authenticates one whole received packet (length field, body, tag) and, only if that
    /// succeeds, decrypts its body in place. Fails with [`PacketError::MacMismatch`].
    pub fn open(&mut self, seq: u32, packet: &mut [u8]) -> Result<(), PacketError> {
        match self {
            Self::Clear => Ok(()),
            Self::ChaCha(c) => c.open(seq, packet),
            Self::AesGcm(c) => c.open(seq, packet),
            Self::CtrHmac(c) => c.open(seq, packet),
        }
    }
}

/// The big-endian length in the first 4 bytes.
fn clear_length(head: &[u8]) -> Result<u32, PacketError> {
    let bytes: [u8; 4] = head
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(PacketError::Truncated { len: head.len() })?;
    Ok(u32::from_be_bytes(bytes))
}

/// Splits `packet` into its data (4-byte length field and body) and its `tag_len`-byte tag.
fn split_packet(packet: &mut [u8], tag_len: usize) -> Result<(&mut [u8], &mut [u8]), PacketError> {
    let truncated = PacketError::Truncated { len: packet.len() };
    let data_end = packet
        .len()
        .checked_sub(tag_len)
        .filter(|&end| end >= 4)
        .ok_or(truncated)?;
    Ok(packet.split_at_mut(data_end))
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
