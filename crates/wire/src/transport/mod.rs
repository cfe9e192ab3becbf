//! Transport-layer messages (RFC 4253, RFC 8308) and the `TransportMessage` enum over them.

mod ext_info;
mod generic;
mod kex;
#[cfg(test)]
mod tests;

pub use ext_info::{ExtInfo, MAX_EXTENSIONS, SERVER_SIG_ALGS};
pub use generic::{Debug, Disconnect, Ignore, ServiceAccept, ServiceRequest, Unimplemented};
pub use kex::{KexEcdhInit, KexEcdhReply, KexInit, NewKeys};

use crate::codec::{impl_to_bytes, number, unknown};
use crate::{DecodeError, Writer, msg};

/// Any transport-layer message: numbers 1-7, 20-21 and 30-31.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportMessage<'a> {
    /// SSH_MSG_DISCONNECT.
    Disconnect(Disconnect<'a>),
    /// SSH_MSG_IGNORE.
    Ignore(Ignore<'a>),
    /// SSH_MSG_UNIMPLEMENTED.
    Unimplemented(Unimplemented),
    /// SSH_MSG_DEBUG.
    Debug(Debug<'a>),
    /// SSH_MSG_SERVICE_REQUEST.
    ServiceRequest(ServiceRequest<'a>),
    /// SSH_MSG_SERVICE_ACCEPT.
    ServiceAccept(ServiceAccept<'a>),
    /// SSH_MSG_EXT_INFO.
    ExtInfo(ExtInfo<'a>),
    /// SSH_MSG_KEXINIT.
    KexInit(KexInit<'a>),
    /// SSH_MSG_NEWKEYS.
    NewKeys(NewKeys),
    /// SSH_MSG_KEX_ECDH_INIT.
    KexEcdhInit(KexEcdhInit<'a>),
    /// SSH_MSG_KEX_ECDH_REPLY.
    KexEcdhReply(KexEcdhReply<'a>),
}

impl<'a> TransportMessage<'a> {
    /// Decodes a whole payload by its first byte; numbers outside this layer are
    /// `UnknownMessage`, and trailing bytes are an error.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(match number(payload, "transport message")? {
            msg::DISCONNECT => Self::Disconnect(Disconnect::decode(payload)?),
            msg::IGNORE => Self::Ignore(Ignore::decode(payload)?),
            msg::UNIMPLEMENTED => Self::Unimplemented(Unimplemented::decode(payload)?),
            msg::DEBUG => Self::Debug(Debug::decode(payload)?),
            msg::SERVICE_REQUEST => Self::ServiceRequest(ServiceRequest::decode(payload)?),
            msg::SERVICE_ACCEPT => Self::ServiceAccept(ServiceAccept::decode(payload)?),
            msg::EXT_INFO => Self::ExtInfo(ExtInfo::decode(payload)?),
            msg::KEXINIT => Self::KexInit(KexInit::decode(payload)?),
            msg::NEWKEYS => Self::NewKeys(NewKeys::decode(payload)?),
            msg::KEX_ECDH_INIT => Self::KexEcdhInit(KexEcdhInit::decode(payload)?),
            msg::KEX_ECDH_REPLY => Self::KexEcdhReply(KexEcdhReply::decode(payload)?),
            other => return Err(unknown("transport message", other)),
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        match self {
            Self::Disconnect(m) => m.encode(w),
            Self::Ignore(m) => m.encode(w),
            Self::Unimplemented(m) => m.encode(w),
            Self::Debug(m) => m.encode(w),
            Self::ServiceRequest(m) => m.encode(w),
            Self::ServiceAccept(m) => m.encode(w),
            Self::ExtInfo(m) => m.encode(w),
            Self::KexInit(m) => m.encode(w),
            Self::NewKeys(m) => m.encode(w),
            Self::KexEcdhInit(m) => m.encode(w),
            Self::KexEcdhReply(m) => m.encode(w),
        }
    }

    /// The message number.
    pub fn number(&self) -> u8 {
        match self {
            Self::Disconnect(_) => msg::DISCONNECT,
            Self::Ignore(_) => msg::IGNORE,
            Self::Unimplemented(_) => msg::UNIMPLEMENTED,
            Self::Debug(_) => msg::DEBUG,
            Self::ServiceRequest(_) => msg::SERVICE_REQUEST,
            Self::ServiceAccept(_) => msg::SERVICE_ACCEPT,
            Self::ExtInfo(_) => msg::EXT_INFO,
            Self::KexInit(_) => msg::KEXINIT,
            Self::NewKeys(_) => msg::NEWKEYS,
            Self::KexEcdhInit(_) => msg::KEX_ECDH_INIT,
            Self::KexEcdhReply(_) => msg::KEX_ECDH_REPLY,
        }
    }
}

impl_to_bytes!(TransportMessage<'_>);
