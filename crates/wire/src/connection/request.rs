//! SSH_MSG_CHANNEL_REQUEST (RFC 4254 §5.4, §6.5, §6.10; OpenSSH PROTOCOL §2.1 for eow).

use std::borrow::Cow;

use crate::message::{wire_kind, wire_message};

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

wire_message! {
    /// SSH_MSG_CHANNEL_REQUEST (RFC 4254 §5.4).
    pub struct ChannelRequest<'a> = CHANNEL_REQUEST {
        /// The receiver's id for the channel.
        recipient_channel: u32,
        @request_type {
            /// Whether the sender wants CHANNEL_SUCCESS / CHANNEL_FAILURE back.
            want_reply: bool,
        }
        /// The request type and its type-specific fields.
        request: ChannelRequestKind<'a>,
    }
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
