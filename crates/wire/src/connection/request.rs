//! SSH_MSG_CHANNEL_REQUEST (RFC 4254 §5.4, §6.5, §6.10; OpenSSH PROTOCOL §2.1 for eow).

use std::borrow::Cow;

use crate::codec::{impl_to_bytes, open};
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

/// The request type of a CHANNEL_REQUEST with its type-specific fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelRequestKind<'a> {
    /// `exec` (RFC 4254 §6.5): run a command.
    Exec {
        /// The command line, bytes as sent.
        command: Cow<'a, [u8]>,
    },
    /// `env` (RFC 4254 §6.4): set an environment variable.
    Env {
        /// Variable name.
        name: Cow<'a, str>,
        /// Variable value.
        value: Cow<'a, [u8]>,
    },
    /// `exit-status` (RFC 4254 §6.10).
    ExitStatus {
        /// The command's exit status.
        exit_status: u32,
    },
    /// `exit-signal` (RFC 4254 §6.10).
    ExitSignal {
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
    Eow,
    /// Any other request type, data kept raw. Never holds one of the names above.
    Unknown {
        /// The request type.
        request_type: Cow<'a, str>,
        /// Everything after `want_reply`.
        data: Cow<'a, [u8]>,
    },
}

impl ChannelRequestKind<'_> {
    /// The request type on the wire.
    pub fn name(&self) -> &str {
        match self {
            Self::Exec { .. } => EXEC,
            Self::Env { .. } => ENV,
            Self::ExitStatus { .. } => EXIT_STATUS,
            Self::ExitSignal { .. } => EXIT_SIGNAL,
            Self::Eow => EOW,
            Self::Unknown { request_type, .. } => request_type,
        }
    }
}

impl<'a> ChannelRequest<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::CHANNEL_REQUEST, "CHANNEL_REQUEST")?;
        let recipient_channel = r.uint32("CHANNEL_REQUEST.recipient_channel")?;
        let request_type = r.utf8("CHANNEL_REQUEST.request_type")?;
        let want_reply = r.boolean("CHANNEL_REQUEST.want_reply")?;
        let request = match request_type.as_ref() {
            EXEC => ChannelRequestKind::Exec {
                command: r.bytes("exec.command")?,
            },
            ENV => ChannelRequestKind::Env {
                name: r.utf8("env.name")?,
                value: r.bytes("env.value")?,
            },
            EXIT_STATUS => ChannelRequestKind::ExitStatus {
                exit_status: r.uint32("exit-status.exit_status")?,
            },
            EXIT_SIGNAL => ChannelRequestKind::ExitSignal {
                signal_name: r.utf8("exit-signal.signal_name")?,
                core_dumped: r.boolean("exit-signal.core_dumped")?,
                error_message: r.utf8("exit-signal.error_message")?,
                language_tag: r.utf8("exit-signal.language_tag")?,
            },
            EOW => ChannelRequestKind::Eow,
            _ => ChannelRequestKind::Unknown {
                request_type,
                data: Cow::Borrowed(r.rest()),
            },
        };
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
        match &self.request {
            ChannelRequestKind::Exec { command } => {
                w.string(command);
            }
            ChannelRequestKind::Env { name, value } => {
                w.utf8(name).string(value);
            }
            ChannelRequestKind::ExitStatus { exit_status } => {
                w.uint32(*exit_status);
            }
            ChannelRequestKind::ExitSignal {
                signal_name,
                core_dumped,
                error_message,
                language_tag,
            } => {
                w.utf8(signal_name)
                    .boolean(*core_dumped)
                    .utf8(error_message)
                    .utf8(language_tag);
            }
            ChannelRequestKind::Eow => {}
            ChannelRequestKind::Unknown { data, .. } => {
                w.raw(data);
            }
        }
    }
}

impl_to_bytes!(ChannelRequest<'_>);
