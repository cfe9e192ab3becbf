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

use crate::codec::{impl_to_bytes, number, unknown};
use crate::{DecodeError, Writer, msg};

/// Any connection-layer message: numbers 80-82 and 90-100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionMessage<'a> {
    /// SSH_MSG_GLOBAL_REQUEST.
    GlobalRequest(GlobalRequest<'a>),
    /// SSH_MSG_REQUEST_SUCCESS.
    RequestSuccess(RequestSuccess<'a>),
    /// SSH_MSG_REQUEST_FAILURE.
    RequestFailure(RequestFailure),
    /// SSH_MSG_CHANNEL_OPEN.
    ChannelOpen(ChannelOpen<'a>),
    /// SSH_MSG_CHANNEL_OPEN_CONFIRMATION.
    ChannelOpenConfirmation(ChannelOpenConfirmation<'a>),
    /// SSH_MSG_CHANNEL_OPEN_FAILURE.
    ChannelOpenFailure(ChannelOpenFailure<'a>),
    /// SSH_MSG_CHANNEL_WINDOW_ADJUST.
    ChannelWindowAdjust(ChannelWindowAdjust),
    /// SSH_MSG_CHANNEL_DATA.
    ChannelData(ChannelData<'a>),
    /// SSH_MSG_CHANNEL_EXTENDED_DATA.
    ChannelExtendedData(ChannelExtendedData<'a>),
    /// SSH_MSG_CHANNEL_EOF.
    ChannelEof(ChannelEof),
    /// SSH_MSG_CHANNEL_CLOSE.
    ChannelClose(ChannelClose),
    /// SSH_MSG_CHANNEL_REQUEST.
    ChannelRequest(ChannelRequest<'a>),
    /// SSH_MSG_CHANNEL_SUCCESS.
    ChannelSuccess(ChannelSuccess),
    /// SSH_MSG_CHANNEL_FAILURE.
    ChannelFailure(ChannelFailure),
}

impl<'a> ConnectionMessage<'a> {
    /// Decodes a whole payload by its first byte; numbers outside this layer are
    /// `UnknownMessage`, and trailing bytes are an error.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(match number(payload, "connection message")? {
            msg::GLOBAL_REQUEST => Self::GlobalRequest(GlobalRequest::decode(payload)?),
            msg::REQUEST_SUCCESS => Self::RequestSuccess(RequestSuccess::decode(payload)?),
            msg::REQUEST_FAILURE => Self::RequestFailure(RequestFailure::decode(payload)?),
            msg::CHANNEL_OPEN => Self::ChannelOpen(ChannelOpen::decode(payload)?),
            msg::CHANNEL_OPEN_CONFIRMATION => {
                Self::ChannelOpenConfirmation(ChannelOpenConfirmation::decode(payload)?)
            }
            msg::CHANNEL_OPEN_FAILURE => {
                Self::ChannelOpenFailure(ChannelOpenFailure::decode(payload)?)
            }
            msg::CHANNEL_WINDOW_ADJUST => {
                Self::ChannelWindowAdjust(ChannelWindowAdjust::decode(payload)?)
            }
            msg::CHANNEL_DATA => Self::ChannelData(ChannelData::decode(payload)?),
            msg::CHANNEL_EXTENDED_DATA => {
                Self::ChannelExtendedData(ChannelExtendedData::decode(payload)?)
            }
            msg::CHANNEL_EOF => Self::ChannelEof(ChannelEof::decode(payload)?),
            msg::CHANNEL_CLOSE => Self::ChannelClose(ChannelClose::decode(payload)?),
            msg::CHANNEL_REQUEST => Self::ChannelRequest(ChannelRequest::decode(payload)?),
            msg::CHANNEL_SUCCESS => Self::ChannelSuccess(ChannelSuccess::decode(payload)?),
            msg::CHANNEL_FAILURE => Self::ChannelFailure(ChannelFailure::decode(payload)?),
            other => return Err(unknown("connection message", other)),
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        match self {
            Self::GlobalRequest(m) => m.encode(w),
            Self::RequestSuccess(m) => m.encode(w),
            Self::RequestFailure(m) => m.encode(w),
            Self::ChannelOpen(m) => m.encode(w),
            Self::ChannelOpenConfirmation(m) => m.encode(w),
            Self::ChannelOpenFailure(m) => m.encode(w),
            Self::ChannelWindowAdjust(m) => m.encode(w),
            Self::ChannelData(m) => m.encode(w),
            Self::ChannelExtendedData(m) => m.encode(w),
            Self::ChannelEof(m) => m.encode(w),
            Self::ChannelClose(m) => m.encode(w),
            Self::ChannelRequest(m) => m.encode(w),
            Self::ChannelSuccess(m) => m.encode(w),
            Self::ChannelFailure(m) => m.encode(w),
        }
    }

    /// The message number.
    pub fn number(&self) -> u8 {
        match self {
            Self::GlobalRequest(_) => msg::GLOBAL_REQUEST,
            Self::RequestSuccess(_) => msg::REQUEST_SUCCESS,
            Self::RequestFailure(_) => msg::REQUEST_FAILURE,
            Self::ChannelOpen(_) => msg::CHANNEL_OPEN,
            Self::ChannelOpenConfirmation(_) => msg::CHANNEL_OPEN_CONFIRMATION,
            Self::ChannelOpenFailure(_) => msg::CHANNEL_OPEN_FAILURE,
            Self::ChannelWindowAdjust(_) => msg::CHANNEL_WINDOW_ADJUST,
            Self::ChannelData(_) => msg::CHANNEL_DATA,
            Self::ChannelExtendedData(_) => msg::CHANNEL_EXTENDED_DATA,
            Self::ChannelEof(_) => msg::CHANNEL_EOF,
            Self::ChannelClose(_) => msg::CHANNEL_CLOSE,
            Self::ChannelRequest(_) => msg::CHANNEL_REQUEST,
            Self::ChannelSuccess(_) => msg::CHANNEL_SUCCESS,
            Self::ChannelFailure(_) => msg::CHANNEL_FAILURE,
        }
    }
}

impl_to_bytes!(ConnectionMessage<'_>);
