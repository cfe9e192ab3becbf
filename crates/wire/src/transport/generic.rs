//! The generic transport messages (RFC 4253 §10-11): DISCONNECT, IGNORE, UNIMPLEMENTED, DEBUG,
//! SERVICE_REQUEST and SERVICE_ACCEPT.

use std::borrow::Cow;

use crate::codec::{impl_to_bytes, open};
use crate::{DecodeError, DisconnectReason, Writer, msg};

/// SSH_MSG_DISCONNECT (RFC 4253 §11.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disconnect<'a> {
    /// Why the sender disconnects.
    pub reason_code: DisconnectReason,
    /// Human-readable description.
    pub description: Cow<'a, str>,
    /// RFC 3066 language tag, usually empty.
    pub language_tag: Cow<'a, str>,
}

impl<'a> Disconnect<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::DISCONNECT, "DISCONNECT")?;
        let reason_code = DisconnectReason::from_code(r.uint32("DISCONNECT.reason_code")?);
        let description = r.utf8("DISCONNECT.description")?;
        let language_tag = r.utf8("DISCONNECT.language_tag")?;
        r.finish("DISCONNECT")?;
        Ok(Self {
            reason_code,
            description,
            language_tag,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::DISCONNECT)
            .uint32(self.reason_code.code())
            .utf8(&self.description)
            .utf8(&self.language_tag);
    }
}

/// SSH_MSG_IGNORE (RFC 4253 §11.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore<'a> {
    /// Arbitrary data, to be ignored.
    pub data: Cow<'a, [u8]>,
}

impl<'a> Ignore<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::IGNORE, "IGNORE")?;
        let data = r.bytes("IGNORE.data")?;
        r.finish("IGNORE")?;
        Ok(Self { data })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::IGNORE).string(&self.data);
    }
}

/// SSH_MSG_UNIMPLEMENTED (RFC 4253 §11.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unimplemented {
    /// Sequence number of the packet that was not understood.
    pub sequence_number: u32,
}

impl Unimplemented {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::UNIMPLEMENTED, "UNIMPLEMENTED")?;
        let sequence_number = r.uint32("UNIMPLEMENTED.sequence_number")?;
        r.finish("UNIMPLEMENTED")?;
        Ok(Self { sequence_number })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::UNIMPLEMENTED).uint32(self.sequence_number);
    }
}

/// SSH_MSG_DEBUG (RFC 4253 §11.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debug<'a> {
    /// Whether the receiver should show the message to the user unasked.
    pub always_display: bool,
    /// The debug text.
    pub message: Cow<'a, str>,
    /// RFC 3066 language tag, usually empty.
    pub language_tag: Cow<'a, str>,
}

impl<'a> Debug<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::DEBUG, "DEBUG")?;
        let always_display = r.boolean("DEBUG.always_display")?;
        let message = r.utf8("DEBUG.message")?;
        let language_tag = r.utf8("DEBUG.language_tag")?;
        r.finish("DEBUG")?;
        Ok(Self {
            always_display,
            message,
            language_tag,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::DEBUG)
            .boolean(self.always_display)
            .utf8(&self.message)
            .utf8(&self.language_tag);
    }
}

/// SSH_MSG_SERVICE_REQUEST (RFC 4253 §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequest<'a> {
    /// The service asked for, e.g. `ssh-userauth`.
    pub service_name: Cow<'a, str>,
}

impl<'a> ServiceRequest<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::SERVICE_REQUEST, "SERVICE_REQUEST")?;
        let service_name = r.utf8("SERVICE_REQUEST.service_name")?;
        r.finish("SERVICE_REQUEST")?;
        Ok(Self { service_name })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::SERVICE_REQUEST).utf8(&self.service_name);
    }
}

/// SSH_MSG_SERVICE_ACCEPT (RFC 4253 §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccept<'a> {
    /// The service granted.
    pub service_name: Cow<'a, str>,
}

impl<'a> ServiceAccept<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::SERVICE_ACCEPT, "SERVICE_ACCEPT")?;
        let service_name = r.utf8("SERVICE_ACCEPT.service_name")?;
        r.finish("SERVICE_ACCEPT")?;
        Ok(Self { service_name })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::SERVICE_ACCEPT).utf8(&self.service_name);
    }
}

impl_to_bytes!(
    Disconnect<'_>,
    Ignore<'_>,
    Unimplemented,
    Debug<'_>,
    ServiceRequest<'_>,
    ServiceAccept<'_>,
);
