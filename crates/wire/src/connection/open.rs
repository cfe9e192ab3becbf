//! Opening channels (RFC 4254 §5.1, §6.1, §7.2; OpenSSH PROTOCOL §2.4): CHANNEL_OPEN with its
//! type-specific fields, OPEN_CONFIRMATION and OPEN_FAILURE.

use std::borrow::Cow;

use crate::OpenFailureReason;
use crate::field::Rest;
use crate::message::{wire_kind, wire_message};

/// Channel type of [`ChannelOpenType::Session`].
pub const SESSION: &str = "session";
/// Channel type of [`ChannelOpenType::DirectTcpip`].
pub const DIRECT_TCPIP: &str = "direct-tcpip";
/// Channel type of [`ChannelOpenType::ForwardedTcpip`].
pub const FORWARDED_TCPIP: &str = "forwarded-tcpip";
/// Channel type of [`ChannelOpenType::DirectStreamlocal`].
pub const DIRECT_STREAMLOCAL: &str = "direct-streamlocal@openssh.com";
/// Channel type of [`ChannelOpenType::ForwardedStreamlocal`].
pub const FORWARDED_STREAMLOCAL: &str = "forwarded-streamlocal@openssh.com";

wire_message! {
    /// SSH_MSG_CHANNEL_OPEN (RFC 4254 §5.1).
    pub struct ChannelOpen<'a> = CHANNEL_OPEN {
        @channel_type {
            /// The opener's id for the channel.
            sender_channel: u32,
            /// Bytes the opener lets the peer send before a WINDOW_ADJUST.
            initial_window_size: u32,
            /// Largest data packet the opener accepts.
            maximum_packet_size: u32,
        }
        /// The channel type and its type-specific fields.
        channel_type: ChannelOpenType<'a>,
    }
}

wire_kind! {
    /// The channel type of a CHANNEL_OPEN with its type-specific fields.
    pub enum ChannelOpenType<'a> {
        /// Any other channel type (x11, auth-agent...), data kept raw. Never holds one of the
        /// known names.
        Unknown {
            /// The channel type name.
            channel_type,
            /// Everything after `maximum_packet_size`.
            data,
        },
        /// `session` (RFC 4254 §6.1): no fields.
        Session = SESSION,
        /// `direct-tcpip` (RFC 4254 §7.2): the client asks the server to connect out (`-L`,
        /// `-W`).
        DirectTcpip = DIRECT_TCPIP "direct-tcpip" {
            /// Host the server should connect to.
            host_to_connect: Cow<'a, str>,
            /// Port the server should connect to.
            port_to_connect: u32,
            /// Address the original connection came from.
            originator_address: Cow<'a, str>,
            /// Port the original connection came from.
            originator_port: u32,
        },
        /// `forwarded-tcpip` (RFC 4254 §7.2): a connection arrived on a `tcpip-forward`
        /// listener.
        ForwardedTcpip = FORWARDED_TCPIP "forwarded-tcpip" {
            /// The listening address that was connected.
            address_that_was_connected: Cow<'a, str>,
            /// The listening port that was connected.
            port_that_was_connected: u32,
            /// Address the connection came from.
            originator_address: Cow<'a, str>,
            /// Port the connection came from.
            originator_port: u32,
        },
        /// `direct-streamlocal@openssh.com` (PROTOCOL §2.4): connect to a Unix socket.
        DirectStreamlocal = DIRECT_STREAMLOCAL "direct-streamlocal" {
            /// Unix socket path to connect to.
            socket_path: Cow<'a, str>,
            /// Reserved string (OpenSSH sends "").
            reserved: Cow<'a, str>,
            /// Reserved uint32 (OpenSSH sends 0).
            reserved_port: u32,
        },
        /// `forwarded-streamlocal@openssh.com` (PROTOCOL §2.4): a connection arrived on a
        /// `streamlocal-forward` listener.
        ForwardedStreamlocal = FORWARDED_STREAMLOCAL "forwarded-streamlocal" {
            /// The listening socket path that was connected.
            socket_path: Cow<'a, str>,
            /// Reserved for future use (OpenSSH sends "").
            reserved: Cow<'a, str>,
        },
    }
}

wire_message! {
    /// SSH_MSG_CHANNEL_OPEN_CONFIRMATION (RFC 4254 §5.1).
    pub struct ChannelOpenConfirmation<'a> = CHANNEL_OPEN_CONFIRMATION {
        /// The opener's id (its `sender_channel`).
        recipient_channel: u32,
        /// The confirmer's id for the channel.
        sender_channel: u32,
        /// Bytes the confirmer lets the opener send before a WINDOW_ADJUST.
        initial_window_size: u32,
        /// Largest data packet the confirmer accepts.
        maximum_packet_size: u32,
        /// Channel-type-specific data; empty for every type burrow uses.
        data: Cow<'a, [u8]> as Rest,
    }
}

wire_message! {
    /// SSH_MSG_CHANNEL_OPEN_FAILURE (RFC 4254 §5.1).
    pub struct ChannelOpenFailure<'a> = CHANNEL_OPEN_FAILURE {
        /// The opener's id (its `sender_channel`).
        recipient_channel: u32,
        /// Why the open was refused.
        reason_code: OpenFailureReason,
        /// Human-readable description.
        description: Cow<'a, str>,
        /// RFC 3066 language tag, usually empty.
        language_tag: Cow<'a, str>,
    }
}
