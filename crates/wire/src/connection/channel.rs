//! Messages on an open channel (RFC 4254 §5.2-5.4): WINDOW_ADJUST, DATA, EXTENDED_DATA, EOF,
//! CLOSE, CHANNEL_SUCCESS and CHANNEL_FAILURE.

use std::borrow::Cow;

use crate::codec::{impl_to_bytes, open};
use crate::{DecodeError, Writer, msg};

/// `data_type_code` of stderr in CHANNEL_EXTENDED_DATA (SSH_EXTENDED_DATA_STDERR).
pub const EXTENDED_DATA_STDERR: u32 = 1;

/// SSH_MSG_CHANNEL_WINDOW_ADJUST (RFC 4254 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelWindowAdjust {
    /// The receiver's id for the channel.
    pub recipient_channel: u32,
    /// Bytes added to the receiver's send window.
    pub bytes_to_add: u32,
}

impl ChannelWindowAdjust {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::CHANNEL_WINDOW_ADJUST, "CHANNEL_WINDOW_ADJUST")?;
        let recipient_channel = r.uint32("CHANNEL_WINDOW_ADJUST.recipient_channel")?;
        let bytes_to_add = r.uint32("CHANNEL_WINDOW_ADJUST.bytes_to_add")?;
        r.finish("CHANNEL_WINDOW_ADJUST")?;
        Ok(Self {
            recipient_channel,
            bytes_to_add,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::CHANNEL_WINDOW_ADJUST)
            .uint32(self.recipient_channel)
            .uint32(self.bytes_to_add);
    }
}

/// SSH_MSG_CHANNEL_DATA (RFC 4254 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// The receiver's id for the channel.
    pub recipient_channel: u32,
    /// The data (borrowed from the payload when decoded).
    pub data: Cow<'a, [u8]>,
}

impl<'a> ChannelData<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::CHANNEL_DATA, "CHANNEL_DATA")?;
        let recipient_channel = r.uint32("CHANNEL_DATA.recipient_channel")?;
        let data = r.bytes("CHANNEL_DATA.data")?;
        r.finish("CHANNEL_DATA")?;
        Ok(Self {
            recipient_channel,
            data,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::CHANNEL_DATA)
            .uint32(self.recipient_channel)
            .string(&self.data);
    }
}

/// Writes the head of a CHANNEL_DATA (number, recipient channel, data length) so that the
/// caller appends `data_len` bytes of data itself, without building a [`ChannelData`].
pub fn encode_channel_data_header(recipient_channel: u32, data_len: u32, w: &mut Writer<'_>) {
    w.byte(msg::CHANNEL_DATA)
        .uint32(recipient_channel)
        .uint32(data_len);
}

/// SSH_MSG_CHANNEL_EXTENDED_DATA (RFC 4254 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelExtendedData<'a> {
    /// The receiver's id for the channel.
    pub recipient_channel: u32,
    /// The kind of data; 1 ([`EXTENDED_DATA_STDERR`]) is stderr.
    pub data_type_code: u32,
    /// The data.
    pub data: Cow<'a, [u8]>,
}

impl<'a> ChannelExtendedData<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::CHANNEL_EXTENDED_DATA, "CHANNEL_EXTENDED_DATA")?;
        let recipient_channel = r.uint32("CHANNEL_EXTENDED_DATA.recipient_channel")?;
        let data_type_code = r.uint32("CHANNEL_EXTENDED_DATA.data_type_code")?;
        let data = r.bytes("CHANNEL_EXTENDED_DATA.data")?;
        r.finish("CHANNEL_EXTENDED_DATA")?;
        Ok(Self {
            recipient_channel,
            data_type_code,
            data,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::CHANNEL_EXTENDED_DATA)
            .uint32(self.recipient_channel)
            .uint32(self.data_type_code)
            .string(&self.data);
    }
}

/// Defines a message whose only field is `recipient_channel`.
macro_rules! channel_id_message {
    ($(#[$doc:meta])* $name:ident, $number:path, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            /// The receiver's id for the channel.
            pub recipient_channel: u32,
        }

        impl $name {
            /// Decodes a whole payload, message number included.
            pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
                let mut r = open(payload, $number, $what)?;
                let recipient_channel = r.uint32(concat!($what, ".recipient_channel"))?;
                r.finish($what)?;
                Ok(Self { recipient_channel })
            }

            /// Encodes the message, number included.
            pub fn encode(&self, w: &mut Writer<'_>) {
                w.byte($number).uint32(self.recipient_channel);
            }
        }
    };
}

channel_id_message!(
    /// SSH_MSG_CHANNEL_EOF (RFC 4254 §5.3): the sender will send no more data.
    ChannelEof,
    msg::CHANNEL_EOF,
    "CHANNEL_EOF"
);
channel_id_message!(
    /// SSH_MSG_CHANNEL_CLOSE (RFC 4254 §5.3).
    ChannelClose,
    msg::CHANNEL_CLOSE,
    "CHANNEL_CLOSE"
);
channel_id_message!(
    /// SSH_MSG_CHANNEL_SUCCESS (RFC 4254 §5.4): a channel request succeeded.
    ChannelSuccess,
    msg::CHANNEL_SUCCESS,
    "CHANNEL_SUCCESS"
);
channel_id_message!(
    /// SSH_MSG_CHANNEL_FAILURE (RFC 4254 §5.4): a channel request failed.
    ChannelFailure,
    msg::CHANNEL_FAILURE,
    "CHANNEL_FAILURE"
);

impl_to_bytes!(
    ChannelWindowAdjust,
    ChannelData<'_>,
    ChannelExtendedData<'_>,
    ChannelEof,
    ChannelClose,
    ChannelSuccess,
    ChannelFailure,
);
