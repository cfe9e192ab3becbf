//! The generic transport messages (RFC 4253 §10-11): DISCONNECT, IGNORE, UNIMPLEMENTED, DEBUG,
//! SERVICE_REQUEST and SERVICE_ACCEPT.

use std::borrow::Cow;

use crate::DisconnectReason;
use crate::message::wire_message;

wire_message! {
    /// SSH_MSG_DISCONNECT (RFC 4253 §11.1).
    pub struct Disconnect<'a> = DISCONNECT {
        /// Why the sender disconnects.
        reason_code: DisconnectReason,
        /// Human-readable description.
        description: Cow<'a, str>,
        /// RFC 3066 language tag, usually empty.
        language_tag: Cow<'a, str>,
    }
}

wire_message! {
    /// SSH_MSG_IGNORE (RFC 4253 §11.2).
    pub struct Ignore<'a> = IGNORE {
        /// Arbitrary data, to be ignored.
        data: Cow<'a, [u8]>,
    }
}

wire_message! {
    /// SSH_MSG_UNIMPLEMENTED (RFC 4253 §11.4).
    pub struct Unimplemented = UNIMPLEMENTED {
        /// Sequence number of the packet that was not understood.
        sequence_number: u32,
    }
}

wire_message! {
    /// SSH_MSG_DEBUG (RFC 4253 §11.3).
    pub struct Debug<'a> = DEBUG {
        /// Whether the receiver should show the message to the user unasked.
        always_display: bool,
        /// The debug text.
        message: Cow<'a, str>,
        /// RFC 3066 language tag, usually empty.
        language_tag: Cow<'a, str>,
    }
}

wire_message! {
    /// SSH_MSG_SERVICE_REQUEST (RFC 4253 §10).
    pub struct ServiceRequest<'a> = SERVICE_REQUEST {
        /// The service asked for, e.g. `ssh-userauth`.
        service_name: Cow<'a, str>,
    }
}

wire_message! {
    /// SSH_MSG_SERVICE_ACCEPT (RFC 4253 §10).
    pub struct ServiceAccept<'a> = SERVICE_ACCEPT {
        /// The service granted.
        service_name: Cow<'a, str>,
    }
}
