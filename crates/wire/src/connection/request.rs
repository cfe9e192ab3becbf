//! SSH_MSG_CHANNEL_REQUEST (RFC 4254 §5.4, §6.5, §6.10; OpenSSH PROTOCOL §2.1 for eow).

use std::borrow::Cow;

use crate::codec::{impl_to_bytes, open};
use crate::message::wire_kind;
use crate::{DecodeError, Writer, msg};

/// Request type of [`ChannelRequestKind::Exec`].
pub const EXEC: &str = "exec";
/// Request type of [`ChannelRequestKind::Env`].
pub const ENV: &str = "env";
/// Request type of [`ChannelRequestKind::ExitStatus`].
pub const EXIT_STATUS: &str = "exit-status";
/// Request type of [`ChannelRequestKind::ExitSignal`].
pub const EXIT_SIGNAL: &str = "exit-signal";
/// Request type of [`ChannelRequestKind::Eow`].
pub const EOW: &str = "eow@openssh.com";

/// SSH_MSG_CHANNEL_REQUEST (RFC 4254 §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRequest<'a> {
    /// The receiver's id for the channel.
    pub recipient_channel: u32,
    /// Whether the sender wants CHANNEL_SUCCESS / CHANNEL_FAILURE back.
    pub want_reply: bool,
    /// The request type and its type-specific fields.
    pub request: ChannelRequestKind<'a>,
}

wire_kind! {
    /// The request type of a CHANNEL_REQUEST with its type-specific fields.
    pub enum ChannelRequestKind<'a> {
        /// Any other request type, data kept raw. Never holds one of the known names.
        Unknown {
            /// The request type.
            request_type,
            /// Everything after `want_reply`.
            data,
        },
        /// `exec` (RFC 4254 §6.5): run a command.
        Exec = EXEC "exec" {
            /// The command line, bytes as sent.
            command: Cow<'a, [u8]>,
        },
        /// `env` (RFC 4254 §6.4): set an environment variable.
        Env = ENV "env" {
            /// Variable name.
            name: Cow<'a, str>,
            /// Variable value.
            value: Cow<'a, [u8]>,
        },
        /// `exit-status` (RFC 4254 §6.10).
        ExitStatus = EXIT_STATUS "exit-status" {
            /// The command's exit status.
            exit_status: u32,
        },
        /// `exit-signal` (RFC 4254 §6.10).
        ExitSignal = EXIT_SIGNAL "exit-signal" {
            /// Signal name without the "SIG" prefix.
            signal_name: Cow<'a, str>,
            /// Whether a core was dumped.
            core_dumped: bool,
            /// Error message.
            error_message: Cow<'a, str>,
            /// RFC 3066 language tag.
            language_tag: Cow<'a, str>,
        },
        /// `eow@openssh.com` (PROTOCOL §2.1): end of writing, no fields.
        Eow = EOW,
    }
}

impl<'a> ChannelRequest<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::CHANNEL_REQUEST, "CHANNEL_REQUEST")?;
        let recipient_channel = r.uint32("CHANNEL_REQUEST.recipient_channel")?;
        let request_type = r.utf8("CHANNEL_REQUEST.request_type")?;
        let want_reply = r.boolean("CHANNEL_REQUEST.want_reply")?;
        let request = ChannelRequestKind::read_body(request_type, &mut r)?;
        r.finish("CHANNEL_REQUEST")?;
        Ok(Self {
            recipient_channel,
            want_reply,
            request,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::CHANNEL_REQUEST)
            .uint32(self.recipient_channel)
            .utf8(self.request.name())
            .boolean(self.want_reply);
        self.request.write_body(w);
    }
}

impl_to_bytes!(ChannelRequest<'_>);
