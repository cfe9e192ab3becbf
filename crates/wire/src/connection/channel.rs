//! Messages on an open channel (RFC 4254 §5.2-5.4): WINDOW_ADJUST, DATA, EXTENDED_DATA, EOF,
//! CLOSE, CHANNEL_SUCCESS and CHANNEL_FAILURE.

use std::borrow::Cow;

use crate::message::wire_message;
use crate::{Writer, msg};

/// `data_type_code` of stderr in CHANNEL_EXTENDED_DATA (SSH_EXTENDED_DATA_STDERR).
pub const EXTENDED_DATA_STDERR: u32 = 1;

wire_message! {
    /// SSH_MSG_CHANNEL_WINDOW_ADJUST (RFC 4254 §5.2).
    pub struct ChannelWindowAdjust = CHANNEL_WINDOW_ADJUST {
        /// The receiver's id for the channel.
        recipient_channel: u32,
        /// Bytes added to the receiver's send window.
        bytes_to_add: u32,
    }
}

wire_message! {
    /// SSH_MSG_CHANNEL_DATA (RFC 4254 §5.2).
    pub struct ChannelData<'a> = CHANNEL_DATA {
        /// The receiver's id for the channel.
        recipient_channel: u32,
        /// The data (borrowed from the payload when decoded).
        data: Cow<'a, [u8]>,
    }
}

/// Writes the head of a CHANNEL_DATA (number, recipient channel, data length) so that the
/// caller appends `data_len` bytes of data itself, without building a [`ChannelData`].
pub fn encode_channel_data_header(recipient_channel: u32, data_len: u32, w: &mut Writer<'_>) {
    w.byte(msg::CHANNEL_DATA)
        .uint32(recipient_channel)
        .uint32(data_len);
}

wire_message! {
    /// SSH_MSG_CHANNEL_EXTENDED_DATA (RFC 4254 §5.2).
    pub struct ChannelExtendedData<'a> = CHANNEL_EXTENDED_DATA {
        /// The receiver's id for the channel.
        recipient_channel: u32,
        /// The kind of data; 1 ([`EXTENDED_DATA_STDERR`]) is stderr.
        data_type_code: u32,
        /// The data.
        data: Cow<'a, [u8]>,
    }
}

wire_message! {
    /// SSH_MSG_CHANNEL_EOF (RFC 4254 §5.3): the sender will send no more data.
    pub struct ChannelEof = CHANNEL_EOF {
        /// The receiver's id for the channel.
        recipient_channel: u32,
    }
}

wire_message! {
    /// SSH_MSG_CHANNEL_CLOSE (RFC 4254 §5.3).
    pub struct ChannelClose = CHANNEL_CLOSE {
        /// The receiver's id for the channel.
        recipient_channel: u32,
    }
}

wire_message! {
    /// SSH_MSG_CHANNEL_SUCCESS (RFC 4254 §5.4): a channel request succeeded.
    pub struct ChannelSuccess = CHANNEL_SUCCESS {
        /// The receiver's id for the channel.
        recipient_channel: u32,
    }
}

wire_message! {
    /// SSH_MSG_CHANNEL_FAILURE (RFC 4254 §5.4): a channel request failed.
    pub struct ChannelFailure = CHANNEL_FAILURE {
        /// The receiver's id for the channel.
        recipient_channel: u32,
    }
}
