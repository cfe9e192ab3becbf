//! Global requests (RFC 4254 §4, §7; OpenSSH PROTOCOL §2.4-2.5, §4.2): GLOBAL_REQUEST,
//! REQUEST_SUCCESS and REQUEST_FAILURE.

use std::borrow::Cow;

use crate::field::{Codec, Rest};
use crate::message::{wire_kind, wire_message};
use crate::{DecodeError, DecodeErrorKind, Reader, Writer};

/// Most host keys one `hostkeys-00@openssh.com` request may list (OpenSSH sends one per key
/// type, a handful).
pub const MAX_HOSTKEYS: usize = 256;

/// Request name of [`GlobalRequestKind::TcpipForward`].
pub const TCPIP_FORWARD: &str = "tcpip-forward";
/// Request name of [`GlobalRequestKind::CancelTcpipForward`].
pub const CANCEL_TCPIP_FORWARD: &str = "cancel-tcpip-forward";
/// Request name of [`GlobalRequestKind::StreamlocalForward`].
pub const STREAMLOCAL_FORWARD: &str = "streamlocal-forward@openssh.com";
/// Request name of [`GlobalRequestKind::CancelStreamlocalForward`].
pub const CANCEL_STREAMLOCAL_FORWARD: &str = "cancel-streamlocal-forward@openssh.com";
/// Request name of [`GlobalRequestKind::Keepalive`].
pub const KEEPALIVE: &str = "keepalive@openssh.com";
/// Request name of [`GlobalRequestKind::NoMoreSessions`].
pub const NO_MORE_SESSIONS: &str = "no-more-sessions@openssh.com";
/// Request name of [`GlobalRequestKind::HostKeys`].
pub const HOSTKEYS: &str = "hostkeys-00@openssh.com";

wire_message! {
    /// SSH_MSG_GLOBAL_REQUEST (RFC 4254 §4).
    pub struct GlobalRequest<'a> = GLOBAL_REQUEST {
        @request_name {
            /// Whether the sender wants REQUEST_SUCCESS / REQUEST_FAILURE back.
            want_reply: bool,
        }
        /// The request name and its type-specific data.
        request: GlobalRequestKind<'a>,
    }
}

wire_kind! {
    /// The request name of a GLOBAL_REQUEST with its type-specific fields.
    pub enum GlobalRequestKind<'a> {
        /// Any other request name, data kept raw. Never holds one of the known names.
        Unknown {
            /// The request name.
            request_name,
            /// Everything after `want_reply`.
            data,
        },
        /// `tcpip-forward` (RFC 4254 §7.1): listen on the server side and forward back.
        TcpipForward = TCPIP_FORWARD "tcpip-forward" {
            /// Address to listen on ("" = all, "localhost", or an address).
            address_to_bind: Cow<'a, str>,
            /// Port to listen on; 0 lets the server pick (the reply then carries it).
            port_to_bind: u32,
        },
        /// `cancel-tcpip-forward` (RFC 4254 §7.1).
        CancelTcpipForward = CANCEL_TCPIP_FORWARD "cancel-tcpip-forward" {
            /// Address of the forwarding to cancel.
            address_to_bind: Cow<'a, str>,
            /// Port of the forwarding to cancel.
            port_to_bind: u32,
        },
        /// `streamlocal-forward@openssh.com` (OpenSSH PROTOCOL §2.4).
        StreamlocalForward = STREAMLOCAL_FORWARD "streamlocal-forward" {
            /// Unix socket path to listen on.
            socket_path: Cow<'a, str>,
        },
        /// `cancel-streamlocal-forward@openssh.com`.
        CancelStreamlocalForward = CANCEL_STREAMLOCAL_FORWARD "cancel-streamlocal-forward" {
            /// Unix socket path of the forwarding to cancel.
            socket_path: Cow<'a, str>,
        },
        /// `keepalive@openssh.com`: no data, answered with REQUEST_FAILURE by OpenSSH.
        Keepalive = KEEPALIVE,
        /// `no-more-sessions@openssh.com` (PROTOCOL §2.2): no data.
        NoMoreSessions = NO_MORE_SESSIONS,
        /// `hostkeys-00@openssh.com` (PROTOCOL §2.5): public key blobs, at most
        /// [`MAX_HOSTKEYS`].
        HostKeys = HOSTKEYS "hostkeys-00" {
            /// One public key blob per host key.
            keys: Vec<Cow<'a, [u8]>> as HostKeyBlobs,
        },
    }
}

/// The key blobs of a hostkeys-00 request: strings until the payload ends, at most
/// [`MAX_HOSTKEYS`].
struct HostKeyBlobs;

impl<'a> Codec<'a, Vec<Cow<'a, [u8]>>> for HostKeyBlobs {
    fn read(r: &mut Reader<'a>, what: &'static str) -> Result<Vec<Cow<'a, [u8]>>, DecodeError> {
        let mut keys = Vec::new();
        while !r.is_empty() {
            if keys.len() >= MAX_HOSTKEYS {
                return Err(DecodeError::new(
                    what,
                    DecodeErrorKind::TooLong {
                        len: keys.len().saturating_add(1),
                        limit: MAX_HOSTKEYS,
                    },
                ));
            }
            keys.push(r.bytes("hostkeys-00.key")?);
        }
        Ok(keys)
    }

    fn write(keys: &Vec<Cow<'a, [u8]>>, w: &mut Writer<'_>) {
        for key in keys {
            w.string(key);
        }
    }
}

wire_message! {
    /// SSH_MSG_REQUEST_SUCCESS (RFC 4254 §4): request-specific data, usually empty.
    #[derive(Default)]
    pub struct RequestSuccess<'a> = REQUEST_SUCCESS {
        /// Request-specific data; for `tcpip-forward` with port 0, the bound port as a uint32.
        data: Cow<'a, [u8]> as Rest,
    }
}

impl RequestSuccess<'_> {
    /// The port the server bound for a `tcpip-forward` with port 0 (RFC 4254 §7.1): the data
    /// read as a uint32 when it is exactly 4 bytes.
    pub fn bound_port(&self) -> Option<u32> {
        let bytes: [u8; 4] = self.data.as_ref().try_into().ok()?;
        Some(u32::from_be_bytes(bytes))
    }

    /// A reply carrying the bound port.
    pub fn with_bound_port(port: u32) -> RequestSuccess<'static> {
        RequestSuccess {
            data: Cow::Owned(port.to_be_bytes().to_vec()),
        }
    }
}

wire_message! {
    /// SSH_MSG_REQUEST_FAILURE (RFC 4254 §4): no fields.
    pub struct RequestFailure = REQUEST_FAILURE;
}
