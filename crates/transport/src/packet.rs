//! The binary packet protocol (RFC 4253 §6): framing, padding and sequence numbers around the
//! ciphers of [`crate::cipher`], sealing into and opening from the driver's buffers in place.
//!
//! Packet layout: `uint32 packet_length || byte padding_length || payload || padding || tag`.
//! `packet_length + 4` (or just `packet_length` for AEAD ciphers and ETM MACs, whose length
//! field is not encrypted with the body, as OpenSSH does) is a multiple of the larger of 8 and
//! the cipher block size; the padding is random and at least 4 bytes.

mod error;

use bytes::{BufMut, Bytes, BytesMut};
use rand_core::CryptoRngCore;

use crate::cipher::{DirectionKeys, PacketCipher};

pub use error::PacketError;

/// The largest `packet_length` we accept or send (OpenSSH's PACKET_MAX_SIZE). RFC 4253 §6.1
/// requires at least 35000.
pub const MAX_PACKET_LEN: usize = 256 * 1024;

/// The smallest `packet_length`: the padding length byte and 4 bytes of padding.
pub const MIN_PACKET_LEN: usize = 5;

/// Minimum bytes of random padding (RFC 4253 §6).
const MIN_PADDING: usize = 4;

/// Sequence number and volume counters shared by both directions.
#[derive(Debug, Clone, Default)]
struct Counters {
    seq: u32,
    packets: u64,
    bytes: u64,
}

impl Counters {
    fn record(&mut self, wire_len: usize) {
        self.seq = self.seq.wrapping_add(1);
        self.packets = self.packets.saturating_add(1);
        self.bytes = self
            .bytes
            .saturating_add(u64::try_from(wire_len).unwrap_or(u64::MAX));
    }

    fn rekeyed(&mut self) {
        self.packets = 0;
        self.bytes = 0;
    }
}

/// Outgoing packets: pads, encrypts and MACs payloads into the output buffer.
#[derive(Debug)]
pub struct PacketSealer {
    cipher: PacketCipher,
    counters: Counters,
}

impl Default for PacketSealer {
    fn default() -> Self {
        Self::new()
    }
}

impl PacketSealer {
    /// A sealer in the initial, unencrypted state, at sequence number 0.
    pub fn new() -> Self {
        Self {
            cipher: PacketCipher::Clear,
            counters: Counters::default(),
        }
    }

    /// Switches to new keys (after sending NEWKEYS) from the next packet on, and restarts the
    /// volume counters. The sequence number runs on (see [`Self::reset_sequence_number`]).
    pub fn set_keys(&mut self, keys: &DirectionKeys) -> Result<(), PacketError> {
        self.cipher = PacketCipher::new(keys)?;
        self.counters.rekeyed();
        Ok(())
    }

    /// The sequence number the next packet gets.
    #[cfg(any(test, feature = "internals"))]
    pub fn sequence_number(&self) -> u32 {
        self.counters.seq
    }

    /// Sets the sequence number to 0, as strict kex does after each NEWKEYS.
    pub fn reset_sequence_number(&mut self) {
        self.counters.seq = 0;
    }

    /// Test hook: jumps to any sequence number (to test the wrap).
    #[cfg(test)]
    pub(crate) fn set_sequence_number(&mut self, seq: u32) {
        self.counters.seq = seq;
    }

    /// Packets sealed since the last [`Self::set_keys`] (or since the start).
    pub fn packets_sealed(&self) -> u64 {
        self.counters.packets
    }

    /// Bytes put on the wire since the last [`Self::set_keys`] (or since the start).
    pub fn bytes_sealed(&self) -> u64 {
        self.counters.bytes
    }

    /// The largest payload one packet can carry with the current cipher.
    pub fn max_payload_len(&self) -> usize {
        // Worst case: MIN_PADDING + block - 1 bytes of padding; the length field's
        // alignment only lowers the padding needed.
        MAX_PACKET_LEN - 1 - MIN_PADDING - (self.cipher.block_size() - 1)
    }

    /// Appends one packet carrying `payload` to `out`, encrypted in place there, with random
    /// padding from `rng`. On error nothing is appended and the sequence number is unchanged.
    pub fn seal(
        &mut self,
        payload: &[u8],
        out: &mut BytesMut,
        rng: &mut (impl CryptoRngCore + ?Sized),
    ) -> Result<(), PacketError> {
        self.seal_parts(&[payload], out, rng)
    }

    /// [`Self::seal`] for a payload given in pieces (a CHANNEL_DATA header and the data, say),
    /// copied once, straight into the packet in `out`.
    pub fn seal_parts(
        &mut self,
        parts: &[&[u8]],
        out: &mut BytesMut,
        rng: &mut (impl CryptoRngCore + ?Sized),
    ) -> Result<(), PacketError> {
        let payload_len = parts
            .iter()
            .try_fold(0usize, |sum, part| sum.checked_add(part.len()))
            .unwrap_or(usize::MAX);
        let too_large = PacketError::PayloadTooLarge {
            len: payload_len,
            limit: self.max_payload_len(),
        };
        if payload_len > self.max_payload_len() {
            return Err(too_large);
        }
        let block = self.cipher.block_size();
        let aligned = if self.cipher.aligns_length_field() {
            4 + 1 + payload_len
        } else {
            1 + payload_len
        };
        let mut padding = block - aligned % block;
        if padding < MIN_PADDING {
            padding += block;
        }
        let packet_length = 1 + payload_len + padding;
        let (Ok(length_field), Ok(padding_byte)) =
            (u32::try_from(packet_length), u8::try_from(padding))
        else {
            return Err(too_large);
        };
        let total = 4 + packet_length + self.cipher.tag_len();
        let start = out.len();
        out.reserve(total);
        out.put_u32(length_field);
        out.put_u8(padding_byte);
        for part in parts {
            out.extend_from_slice(part);
        }
        let padding_start = out.len();
        out.resize(start + total, 0);
        if let Some(pad) = out.get_mut(padding_start..padding_start + padding) {
            rng.fill_bytes(pad);
        }
        let sealed = match out.get_mut(start..) {
            Some(packet) => self.cipher.seal(self.counters.seq, packet),
            None => Err(PacketError::Truncated { len: 0 }),
        };
        if let Err(e) = sealed {
            out.truncate(start);
            return Err(e);
        }
        self.counters.record(total);
        Ok(())
    }
}

/// Incoming packets: finds, authenticates and decrypts whole packets at the front of the
/// driver's read buffer.
#[derive(Debug)]
pub struct PacketOpener {
    cipher: PacketCipher,
    counters: Counters,
    /// The checked `packet_length` of the packet at the front of the input, once known.
    pending_len: Option<usize>,
    /// Wire bytes of the last packet opened.
    last_total: usize,
}

impl Default for PacketOpener {
    fn default() -> Self {
        Self::new()
    }
}

impl PacketOpener {
    /// An opener in the initial, unencrypted state, at sequence number 0.
    pub fn new() -> Self {
        Self {
            cipher: PacketCipher::Clear,
            counters: Counters::default(),
            pending_len: None,
            last_total: 0,
        }
    }

    /// Switches to new keys (after receiving NEWKEYS) from the next packet on, and restarts the
    /// volume counters. The sequence number runs on.
    pub fn set_keys(&mut self, keys: &DirectionKeys) -> Result<(), PacketError> {
        self.cipher = PacketCipher::new(keys)?;
        self.counters.rekeyed();
        self.pending_len = None;
        Ok(())
    }

    /// The sequence number the next packet gets.
    pub fn sequence_number(&self) -> u32 {
        self.counters.seq
    }

    /// Sets the sequence number to 0, as strict kex does after each NEWKEYS.
    pub fn reset_sequence_number(&mut self) {
        self.counters.seq = 0;
        self.pending_len = None;
    }

    /// Test hook: jumps to any sequence number (to test the wrap).
    #[cfg(test)]
    pub(crate) fn set_sequence_number(&mut self, seq: u32) {
        self.counters.seq = seq;
        self.pending_len = None;
    }

    /// Packets opened since the last [`Self::set_keys`] (or since the start).
    pub fn packets_opened(&self) -> u64 {
        self.counters.packets
    }

    /// Bytes taken off the wire since the last [`Self::set_keys`] (or since the start).
    pub fn bytes_opened(&self) -> u64 {
        self.counters.bytes
    }

    /// Wire bytes of the packet at the front of the input once its length is read, else of the
    /// last packet opened (0 before any): the room the caller's buffer needs for reads to end
    /// on packet boundaries (bulk packets all have the same size).
    pub fn packet_size_hint(&self) -> usize {
        match self.pending_len {
            Some(len) => 4 + len + self.cipher.tag_len(),
            None => self.last_total,
        }
    }

    /// If a whole packet is at the front of `input`, authenticates and decrypts it in place,
    /// removes it from `input` and returns its payload (a view into the same memory).
    /// `Ok(None)` means more bytes are needed; `input` must then only be appended to before the
    /// next call (the caller sizes it, see [`Self::packet_size_hint`]). The length is checked
    /// as soon as it is readable, before more is buffered.
    /// Any error is fatal for the connection.
    pub fn open(&mut self, input: &mut BytesMut) -> Result<Option<Bytes>, PacketError> {
        let len = match self.pending_len {
            Some(len) => len,
            None => {
                let Some(head) = input.get(..self.cipher.length_prefix_len()) else {
                    return Ok(None);
                };
                let len = self.cipher.decrypt_length(self.counters.seq, head)?;
                let len = self.check_length(len)?;
                self.pending_len = Some(len);
                len
            }
        };
        let total = 4 + len + self.cipher.tag_len();
        if input.len() < total {
            return Ok(None);
        }
        let seq = self.counters.seq;
        let packet = input
            .get_mut(..total)
            .ok_or(PacketError::Truncated { len: total })?;
        self.cipher.open(seq, packet)?;
        let padding = usize::from(packet.get(4).copied().unwrap_or(0));
        if padding < MIN_PADDING || padding >= len {
            return Err(PacketError::BadPadding {
                padding_length: u8::try_from(padding).unwrap_or(u8::MAX),
                packet_length: u32::try_from(len).unwrap_or(u32::MAX),
            });
        }
        // 5 <= 5 + payload_len = 4 + len - padding < 4 + len <= total.
        let payload_end = 4 + len - padding;
        self.pending_len = None;
        self.last_total = total;
        self.counters.record(total);
        let packet = input.split_to(total).freeze();
        Ok(Some(packet.slice(5..payload_end)))
    }

    /// Checks an announced `packet_length` against the limits and the block alignment.
    fn check_length(&self, len: u32) -> Result<usize, PacketError> {
        let too_large = PacketError::PacketTooLarge {
            len,
            limit: MAX_PACKET_LEN,
        };
        let as_usize = usize::try_from(len).map_err(|_| too_large.clone())?;
        if as_usize > MAX_PACKET_LEN {
            return Err(too_large);
        }
        if as_usize < MIN_PACKET_LEN {
            return Err(PacketError::PacketTooShort { len });
        }
        let block_size = self.cipher.block_size();
        let aligned = if self.cipher.aligns_length_field() {
            as_usize + 4
        } else {
            as_usize
        };
        if aligned % block_size != 0 {
            return Err(PacketError::BadLength { len, block_size });
        }
        Ok(as_usize)
    }
}

#[cfg(test)]
mod tests;
