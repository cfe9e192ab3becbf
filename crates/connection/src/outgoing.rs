//! Payloads for the transport (`Connection::poll_message`): channel data kept as `Bytes`, every
//! other message already encoded.

use burrow_wire::connection::encode_channel_data_header;
use burrow_wire::{Writer, msg};
use bytes::{Bytes, BytesMut};

use crate::id::RemoteChannelId;

/// One connection-layer payload to send, in order.
///
/// Channel data is not encoded here: the application's `Bytes` travels untouched to the
/// transport, which copies it once, into the packet buffer it encrypts in place. For that,
/// pass [`Outgoing::Data`]'s 9-byte header (`encode_channel_data_header`) and its data as
/// two parts to burrow-transport's `Transport::send_payload_parts`; [`Outgoing::encode`]
/// makes one contiguous payload instead, at the cost of a second copy of the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// SSH_MSG_CHANNEL_DATA to the peer's channel `recipient`; `data` fits its window and
    /// maximum packet size.
    Data {
        /// The peer's id for the channel.
        recipient: RemoteChannelId,
        /// The data, never longer than the peer's maximum packet size.
        data: Bytes,
    },
    /// Any other message, encoded with its number byte.
    Message(Bytes),
}

impl Outgoing {
    /// The payload's length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Self::Data { data, .. } => data.len().saturating_add(9),
            Self::Message(m) => m.len(),
        }
    }

    /// True for an empty payload (never produced).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the whole payload (number byte first) to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Self::Data { recipient, data } => {
                let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
                encode_channel_data_header(recipient.0, len, &mut Writer::new(out));
                out.extend_from_slice(data);
            }
            Self::Message(m) => out.extend_from_slice(m),
        }
    }
}

/// The first 9 bytes of a CHANNEL_DATA payload carrying `len` bytes to `recipient`, for a
/// transport that takes the header and the data as separate pieces.
pub fn channel_data_header(recipient: RemoteChannelId, len: u32) -> [u8; 9] {
    let mut header = [msg::CHANNEL_DATA, 0, 0, 0, 0, 0, 0, 0, 0];
    let (_, fields) = header.split_at_mut(1);
    let (channel, length) = fields.split_at_mut(4);
    channel.copy_from_slice(&recipient.0.to_be_bytes());
    length.copy_from_slice(&len.to_be_bytes());
    header
}

/// One CHANNEL_DATA packet the caller sends itself ([`crate::Connection::claim_data`]): the
/// 9-byte payload header, then `len` bytes of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataClaim {
    header: [u8; 9],
    len: usize,
}

impl DataClaim {
    pub(crate) fn new(recipient: RemoteChannelId, len: u32) -> Self {
        Self {
            header: channel_data_header(recipient, len),
            len: len as usize,
        }
    }

    /// The payload's first 9 bytes: message number, recipient channel, data length.
    pub fn header(&self) -> &[u8; 9] {
        &self.header
    }

    /// Data bytes the packet must carry (taken from the send window already).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: a claim is for at least one byte.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use burrow_wire::connection::{ChannelData, ConnectionMessage};

    use super::*;

    #[test]
    fn data_encodes_as_channel_data() {
        let o = Outgoing::Data {
            recipient: RemoteChannelId(3),
            data: Bytes::from_static(b"hi"),
        };
        let mut out = BytesMut::new();
        o.encode(&mut out);
        assert_eq!(out.len(), o.len());
        assert_eq!(&out[..], &[94, 0, 0, 0, 3, 0, 0, 0, 2, b'h', b'i']);
        assert!(matches!(
            ConnectionMessage::decode(&out).unwrap(),
            ConnectionMessage::ChannelData(ChannelData { recipient_channel: 3, ref data }) if &data[..] == b"hi"
        ));
    }

    #[test]
    fn claim_header_matches_the_encoded_data_message() {
        let claim = DataClaim::new(RemoteChannelId(0x0102_0304), 5);
        let mut out = BytesMut::new();
        Outgoing::Data {
            recipient: RemoteChannelId(0x0102_0304),
            data: Bytes::from_static(b"hello"),
        }
        .encode(&mut out);
        assert_eq!(&out[..9], claim.header());
        assert_eq!(claim.len(), 5);
    }

    #[test]
    fn message_encodes_as_is() {
        let o = Outgoing::Message(Bytes::from_static(&[97, 0, 0, 0, 1]));
        let mut out = BytesMut::new();
        o.encode(&mut out);
        assert_eq!(&out[..], &[97, 0, 0, 0, 1]);
        assert!(!o.is_empty());
    }
}
