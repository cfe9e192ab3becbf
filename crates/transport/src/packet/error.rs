//! What can be wrong with a packet, and the DISCONNECT reason each calls for.

use core::fmt;

use burrow_wire::DisconnectReason;

use super::MIN_PACKET_LEN;

/// A packet the peer sent (or we were asked to send) that breaks RFC 4253 §6.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketError {
    /// The peer announced a `packet_length` over [`MAX_PACKET_LEN`](crate::packet::MAX_PACKET_LEN).
    PacketTooLarge {
        /// The announced length.
        len: u32,
        /// The limit.
        limit: usize,
    },
    /// The peer announced a `packet_length` below 5 (the padding length byte and 4 bytes of
    /// padding).
    PacketTooShort {
        /// The announced length.
        len: u32,
    },
    /// The peer's packet is not a multiple of the cipher block size.
    BadLength {
        /// The announced `packet_length`.
        len: u32,
        /// The block size the packet must align to.
        block_size: usize,
    },
    /// The authenticated packet's padding is under 4 bytes or leaves no room for it.
    BadPadding {
        /// The `padding_length` byte.
        padding_length: u8,
        /// The `packet_length`.
        packet_length: u32,
    },
    /// The packet's tag or MAC did not verify.
    MacMismatch {
        /// The sequence number of the packet.
        seq: u32,
    },
    /// We were asked to send a payload too large for one packet.
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
        /// The largest payload that fits.
        limit: usize,
    },
    /// A key or IV handed to a cipher has the wrong length.
    KeyLength {
        /// Which key.
        what: &'static str,
        /// The length the algorithm needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A cipher that needs a separate MAC was given none.
    MacRequired {
        /// The cipher's name.
        cipher: &'static str,
    },
    /// A buffer handed to a cipher was shorter than its framing needs.
    Truncated {
        /// The buffer's length.
        len: usize,
    },
    /// A cipher refused a packet (the AES-GCM length limit).
    CipherRefused {
        /// The sequence number of the packet.
        seq: u32,
    },
    /// A stream cipher ran out of keystream (not reachable with packets under the limit).
    KeystreamExhausted,
}

impl PacketError {
    /// The reason code for the DISCONNECT this error calls for.
    pub fn disconnect_reason(&self) -> DisconnectReason {
        match self {
            Self::MacMismatch { .. } => DisconnectReason::MacError,
            Self::PacketTooLarge { .. }
            | Self::PacketTooShort { .. }
            | Self::BadLength { .. }
            | Self::BadPadding { .. }
            | Self::PayloadTooLarge { .. }
            | Self::Truncated { .. }
            | Self::CipherRefused { .. }
            | Self::KeystreamExhausted => DisconnectReason::ProtocolError,
            Self::KeyLength { .. } | Self::MacRequired { .. } => {
                DisconnectReason::KeyExchangeFailed
            }
        }
    }
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PacketTooLarge { len, limit } => {
                write!(
                    f,
                    "peer sent packet length {len}, over the limit of {limit}"
                )
            }
            Self::PacketTooShort { len } => write!(
                f,
                "peer sent packet length {len}, under the minimum of {MIN_PACKET_LEN}"
            ),
            Self::BadLength { len, block_size } => write!(
                f,
                "peer sent packet length {len}, not aligned to the {block_size}-byte block"
            ),
            Self::BadPadding {
                padding_length,
                packet_length,
            } => write!(
                f,
                "peer sent padding length {padding_length} in a packet of length {packet_length}"
            ),
            Self::MacMismatch { seq } => write!(f, "packet {seq}: bad mac"),
            Self::PayloadTooLarge { len, limit } => {
                write!(f, "payload of {len} bytes is over the limit of {limit}")
            }
            Self::KeyLength {
                what,
                expected,
                got,
            } => write!(f, "{what} is {got} bytes, expected {expected}"),
            Self::MacRequired { cipher } => write!(f, "cipher {cipher} needs a mac"),
            Self::Truncated { len } => write!(f, "buffer of {len} bytes is too short for a packet"),
            Self::CipherRefused { seq } => write!(f, "packet {seq}: cipher refused the packet"),
            Self::KeystreamExhausted => f.write_str("cipher keystream exhausted"),
        }
    }
}

impl std::error::Error for PacketError {}
