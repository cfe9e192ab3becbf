//! Opening channels (RFC 4254 §5.1, §6.1, §7.2; OpenSSH PROTOCOL §2.4): CHANNEL_OPEN with its
//! type-specific fields, OPEN_CONFIRMATION and OPEN_FAILURE.

use std::borrow::Cow;

use crate::codec::{impl_to_bytes, open};
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

/// The channel type of a CHANNEL_OPEN with its type-specific fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelOpenType<'a> {
    /// `session` (RFC 4254 §6.1): no fields.
    Session,
    /// `direct-tcpip` (RFC 4254 §7.2): the client asks the server to connect out (`-L`, `-W`).
    DirectTcpip {
        /// Host the server should connect to.
        host_to_connect: Cow<'a, str>,
        /// Port the server should connect to.
        port_to_connect: u32,
        /// Address the original connection came from.
        originator_address: Cow<'a, str>,
        /// Port the original connection came from.
        originator_port: u32,
    },
    /// `forwarded-tcpip` (RFC 4254 §7.2): a connection arrived on a `tcpip-forward` listener.
    ForwardedTcpip {
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
    DirectStreamlocal {
        /// Unix socket path to connect to.
        socket_path: Cow<'a, str>,
        /// Reserved string (OpenSSH sends "").
        reserved: Cow<'a, str>,
        /// Reserved uint32 (OpenSSH sends 0).
        reserved_port: u32,
    },
    /// `forwarded-streamlocal@openssh.com` (PROTOCOL §2.4): a connection arrived on a
    /// `streamlocal-forward` listener.
    ForwardedStreamlocal {
        /// The listening socket path that was connected.
        socket_path: Cow<'a, str>,
        /// Reserved for future use (OpenSSH sends "").
        reserved: Cow<'a, str>,
    },
    /// Any other channel type (x11, auth-agent...), data kept raw. Never holds one of the
    /// names above.
    Unknown {
        /// The channel type name.
        channel_type: Cow<'a, str>,
        /// Everything after `maximum_packet_size`.
        data: Cow<'a, [u8]>,
    },
}

impl ChannelOpenType<'_> {
    /// The channel type name on the wire.
    pub fn name(&self) -> &str {
        match self {
            Self::Session => SESSION,
            Self::DirectTcpip { .. } => DIRECT_TCPIP,
            Self::ForwardedTcpip { .. } => FORWARDED_TCPIP,
            Self::DirectStreamlocal { .. } => DIRECT_STREAMLOCAL,
            Self::ForwardedStreamlocal { .. } => FORWARDED_STREAMLOCAL,
            Self::Unknown { channel_type, .. } => channel_type,
        }
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
        let channel_type = match name.as_ref() {
            SESSION => ChannelOpenType::Session,
            DIRECT_TCPIP => ChannelOpenType::DirectTcpip {
                host_to_connect: r.utf8("direct-tcpip.host_to_connect")?,
                port_to_connect: r.uint32("direct-tcpip.port_to_connect")?,
                originator_address: r.utf8("direct-tcpip.originator_address")?,
                originator_port: r.uint32("direct-tcpip.originator_port")?,
            },
            FORWARDED_TCPIP => ChannelOpenType::ForwardedTcpip {
                address_that_was_connected: r.utf8("forwarded-tcpip.address_that_was_connected")?,
                port_that_was_connected: r.uint32("forwarded-tcpip.port_that_was_connected")?,
                originator_address: r.utf8("forwarded-tcpip.originator_address")?,
                originator_port: r.uint32("forwarded-tcpip.originator_port")?,
            },
            DIRECT_STREAMLOCAL => ChannelOpenType::DirectStreamlocal {
                socket_path: r.utf8("direct-streamlocal.socket_path")?,
                reserved: r.utf8("direct-streamlocal.reserved")?,
                reserved_port: r.uint32("direct-streamlocal.reserved_port")?,
            },
            FORWARDED_STREAMLOCAL => ChannelOpenType::ForwardedStreamlocal {
                socket_path: r.utf8("forwarded-streamlocal.socket_path")?,
                reserved: r.utf8("forwarded-streamlocal.reserved")?,
            },
            _ => ChannelOpenType::Unknown {
                channel_type: name,
                data: Cow::Borrowed(r.rest()),
            },
        };
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
        match &self.channel_type {
            ChannelOpenType::Session => {}
            ChannelOpenType::DirectTcpip {
                host_to_connect: host,
                port_to_connect: port,
                originator_address,
                originator_port,
            }
            | ChannelOpenType::ForwardedTcpip {
                address_that_was_connected: host,
                port_that_was_connected: port,
                originator_address,
                originator_port,
            } => {
                w.utf8(host)
                    .uint32(*port)
                    .utf8(originator_address)
                    .uint32(*originator_port);
            }
            ChannelOpenType::DirectStreamlocal {
                socket_path,
                reserved,
                reserved_port,
            } => {
                w.utf8(socket_path).utf8(reserved).uint32(*reserved_port);
            }
            ChannelOpenType::ForwardedStreamlocal {
                socket_path,
                reserved,
            } => {
                w.utf8(socket_path).utf8(reserved);
            }
            ChannelOpenType::Unknown { data, .. } => {
                w.raw(data);
            }
        }
    }
}

/// SSH_MSG_CHANNEL_OPEN_CONFIRMATION (RFC 4254 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelOpenConfirmation<'a> {
    /// The opener's id (its `sender_channel`).
    pub recipient_channel: u32,
    /// The confirmer's id for the channel.
    pub sender_channel: u32,
    /// Bytes the confirmer lets the opener send before a WINDOW_ADJUST.
    pub initial_window_size: u32,
    /// Largest data packet the confirmer accepts.
    pub maximum_packet_size: u32,
    /// Channel-type-specific data; empty for every type burrow uses.
    pub data: Cow<'a, [u8]>,
}

impl<'a> ChannelOpenConfirmation<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(
            payload,
            msg::CHANNEL_OPEN_CONFIRMATION,
            "CHANNEL_OPEN_CONFIRMATION",
        )?;
        Ok(Self {
            recipient_channel: r.uint32("CHANNEL_OPEN_CONFIRMATION.recipient_channel")?,
            sender_channel: r.uint32("CHANNEL_OPEN_CONFIRMATION.sender_channel")?,
            initial_window_size: r.uint32("CHANNEL_OPEN_CONFIRMATION.initial_window_size")?,
            maximum_packet_size: r.uint32("CHANNEL_OPEN_CONFIRMATION.maximum_packet_size")?,
            data: Cow::Borrowed(r.rest()),
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::CHANNEL_OPEN_CONFIRMATION)
            .uint32(self.recipient_channel)
            .uint32(self.sender_channel)
            .uint32(self.initial_window_size)
            .uint32(self.maximum_packet_size)
            .raw(&self.data);
    }
}

/// SSH_MSG_CHANNEL_OPEN_FAILURE (RFC 4254 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelOpenFailure<'a> {
    /// The opener's id (its `sender_channel`).
    pub recipient_channel: u32,
    /// Why the open was refused.
    pub reason_code: OpenFailureReason,
    /// Human-readable description.
    pub description: Cow<'a, str>,
    /// RFC 3066 language tag, usually empty.
    pub language_tag: Cow<'a, str>,
}

impl<'a> ChannelOpenFailure<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::CHANNEL_OPEN_FAILURE, "CHANNEL_OPEN_FAILURE")?;
        let recipient_channel = r.uint32("CHANNEL_OPEN_FAILURE.recipient_channel")?;
        let reason_code =
            OpenFailureReason::from_code(r.uint32("CHANNEL_OPEN_FAILURE.reason_code")?);
        let description = r.utf8("CHANNEL_OPEN_FAILURE.description")?;
        let language_tag = r.utf8("CHANNEL_OPEN_FAILURE.language_tag")?;
        r.finish("CHANNEL_OPEN_FAILURE")?;
        Ok(Self {
            recipient_channel,
            reason_code,
            description,
            language_tag,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::CHANNEL_OPEN_FAILURE)
            .uint32(self.recipient_channel)
            .uint32(self.reason_code.code())
            .utf8(&self.description)
            .utf8(&self.language_tag);
    }
}

impl_to_bytes!(
    ChannelOpen<'_>,
    ChannelOpenConfirmation<'_>,
    ChannelOpenFailure<'_>
);
