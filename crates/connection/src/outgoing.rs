//! Payloads for the transport (`Connection::poll_message`): channel data kept as `Bytes`, every
//! other message already encoded.

use burrow_wire::Writer;
use burrow_wire::connection::encode_channel_data_header;
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
    fn message_encodes_as_is() {
        let o = Outgoing::Message(Bytes::from_static(&[97, 0, 0, 0, 1]));
        let mut out = BytesMut::new();
        o.encode(&mut out);
        assert_eq!(&out[..], &[97, 0, 0, 0, 1]);
        assert!(!o.is_empty());
    }
}
