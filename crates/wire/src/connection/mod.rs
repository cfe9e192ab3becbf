//! Connection-layer messages (RFC 4254, OpenSSH PROTOCOL) and the `ConnectionMessage` enum.

mod channel;
mod global;
mod open;
mod request;
#[cfg(test)]
mod tests;

pub use channel::{
    ChannelClose, ChannelData, ChannelEof, ChannelExtendedData, ChannelFailure, ChannelSuccess,
    ChannelWindowAdjust, EXTENDED_DATA_STDERR, encode_channel_data_header,
};
pub use global::{
    CANCEL_STREAMLOCAL_FORWARD, CANCEL_TCPIP_FORWARD, GlobalRequest, GlobalRequestKind, HOSTKEYS,
    KEEPALIVE, MAX_HOSTKEYS, NO_MORE_SESSIONS, RequestFailure, RequestSuccess, STREAMLOCAL_FORWARD,
    TCPIP_FORWARD,
};
pub use open::{
    ChannelOpen, ChannelOpenConfirmation, ChannelOpenFailure, ChannelOpenType, DIRECT_STREAMLOCAL,
    DIRECT_TCPIP, FORWARDED_STREAMLOCAL, FORWARDED_TCPIP, SESSION,
};
pub use request::{ChannelRequest, ChannelRequestKind, ENV, EOW, EXEC, EXIT_SIGNAL, EXIT_STATUS};

use crate::message::layer_message;

layer_message! {
    /// Any connection-layer message: numbers 80-82 and 90-100.
    pub enum ConnectionMessage<'a> decode as "connection message" {
        /// SSH_MSG_GLOBAL_REQUEST.
        GlobalRequest(GlobalRequest<'a>) = GLOBAL_REQUEST,
        /// SSH_MSG_REQUEST_SUCCESS.
        RequestSuccess(RequestSuccess<'a>) = REQUEST_SUCCESS,
        /// SSH_MSG_REQUEST_FAILURE.
        RequestFailure(RequestFailure) = REQUEST_FAILURE,
        /// SSH_MSG_CHANNEL_OPEN.
        ChannelOpen(ChannelOpen<'a>) = CHANNEL_OPEN,
        /// SSH_MSG_CHANNEL_OPEN_CONFIRMATION.
        ChannelOpenConfirmation(ChannelOpenConfirmation<'a>) = CHANNEL_OPEN_CONFIRMATION,
        /// SSH_MSG_CHANNEL_OPEN_FAILURE.
        ChannelOpenFailure(ChannelOpenFailure<'a>) = CHANNEL_OPEN_FAILURE,
        /// SSH_MSG_CHANNEL_WINDOW_ADJUST.
        ChannelWindowAdjust(ChannelWindowAdjust) = CHANNEL_WINDOW_ADJUST,
        /// SSH_MSG_CHANNEL_DATA.
        ChannelData(ChannelData<'a>) = CHANNEL_DATA,
        /// SSH_MSG_CHANNEL_EXTENDED_DATA.
        ChannelExtendedData(ChannelExtendedData<'a>) = CHANNEL_EXTENDED_DATA,
        /// SSH_MSG_CHANNEL_EOF.
        ChannelEof(ChannelEof) = CHANNEL_EOF,
        /// SSH_MSG_CHANNEL_CLOSE.
        ChannelClose(ChannelClose) = CHANNEL_CLOSE,
        /// SSH_MSG_CHANNEL_REQUEST.
        ChannelRequest(ChannelRequest<'a>) = CHANNEL_REQUEST,
        /// SSH_MSG_CHANNEL_SUCCESS.
        ChannelSuccess(ChannelSuccess) = CHANNEL_SUCCESS,
        /// SSH_MSG_CHANNEL_FAILURE.
        ChannelFailure(ChannelFailure) = CHANNEL_FAILURE,
    }
}
