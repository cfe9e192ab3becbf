//! Opening channels (RFC 4254 §5.1, §6.1, §7.2; OpenSSH PROTOCOL §2.4): CHANNEL_OPEN with its
//! type-specific fields, OPEN_CONFIRMATION and OPEN_FAILURE.

use std::borrow::Cow;

use crate::codec::{impl_to_bytes, open};
use crate::field::Rest;
use crate::message::{wire_kind, wire_message};
use crate::{DecodeError, OpenFailureReason, Writer, msg};

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

/// SSH_MSG_CHANNEL_OPEN (RFC 4254 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelOpen<'a> {
    /// The opener's id for the channel.
    pub sender_channel: u32,
    /// Bytes the opener lets the peer send before a WINDOW_ADJUST.
    pub initial_window_size: u32,
    /// Largest data packet the opener accepts.
    pub maximum_packet_size: u32,
    /// The channel type and its type-specific fields.
    pub channel_type: ChannelOpenType<'a>,
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

impl<'a> ChannelOpen<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::CHANNEL_OPEN, "CHANNEL_OPEN")?;
        let name = r.utf8("CHANNEL_OPEN.channel_type")?;
        let sender_channel = r.uint32("CHANNEL_OPEN.sender_channel")?;
        let initial_window_size = r.uint32("CHANNEL_OPEN.initial_window_size")?;
        let maximum_packet_size = r.uint32("CHANNEL_OPEN.maximum_packet_size")?;
        let channel_type = ChannelOpenType::read_body(name, &mut r)?;
        r.finish("CHANNEL_OPEN")?;
        Ok(Self {
            sender_channel,
            initial_window_size,
            maximum_packet_size,
            channel_type,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::CHANNEL_OPEN)
            .utf8(self.channel_type.name())
            .uint32(self.sender_channel)
            .uint32(self.initial_window_size)
            .uint32(self.maximum_packet_size);
        self.channel_type.write_body(w);
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

impl_to_bytes!(ChannelOpen<'_>);
