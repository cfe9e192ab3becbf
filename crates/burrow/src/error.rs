//! `Error`: what ended a session or refused an operation, with the peer and phase it happened in.

use std::fmt;

use burrow_connection::Error as ConnectionError;
use burrow_transport::TransportError;
use burrow_userauth::UserauthError;
use burrow_wire::{DisconnectReason, OpenFailureReason};

/// Where in its life a session was when something went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connecting the socket.
    Connect,
    /// Version exchange and the first key exchange.
    KeyExchange,
    /// User authentication.
    Authentication,
    /// Channels and requests (the session is up).
    Connection,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connect => "connect",
            Phase::KeyExchange => "key exchange",
            Phase::Authentication => "authentication",
            Phase::Connection => "connection",
        })
    }
}

/// What went wrong, without the context.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The socket failed.
    Io(std::io::Error),
    /// The transport layer failed (bad packet, failed key exchange, ...).
    Transport(TransportError),
    /// The peer broke the connection protocol.
    Connection(ConnectionError),
    /// User authentication failed or the peer broke its protocol.
    Userauth(UserauthError),
    /// Our host key check refused the server's key.
    HostKeyRejected {
        /// The key's fingerprint (`SHA256:...`).
        fingerprint: String,
    },
    /// The server refused every authentication method we could try.
    AuthenticationFailed {
        /// The methods the server would still accept.
        methods_left: Vec<String>,
    },
    /// The peer sent SSH_MSG_DISCONNECT.
    PeerDisconnected {
        /// Its reason code.
        reason: DisconnectReason,
        /// Its description (peer text).
        description: String,
    },
    /// The peer closed the socket without a DISCONNECT.
    PeerClosedSocket,
    /// The peer answered none of `count` keepalives in a row.
    KeepaliveTimeout {
        /// Unanswered keepalives.
        count: u32,
    },
    /// The client did not authenticate within LoginGraceTime.
    LoginGraceTimeExpired {
        /// The limit in seconds.
        seconds: u64,
    },
    /// The server is at MaxStartups and dropped this connection.
    TooManyStartups,
    /// We ended the session (`Session::disconnect`, server stop).
    LocallyClosed,
    /// The session had already ended, for this reason, when the operation was tried.
    SessionClosed(std::sync::Arc<Error>),
    /// The peer refused to open a channel.
    ChannelOpenFailed {
        /// The RFC 4254 reason code.
        reason: OpenFailureReason,
        /// The peer's description (peer text).
        description: String,
    },
    /// The peer refused a global or channel request.
    RequestRefused {
        /// The request (`tcpip-forward`, `exec`, ...).
        request: &'static str,
    },
    /// Too many channels or outstanding requests on our side.
    LocalLimit(ConnectionError),
}

/// An error with the peer it concerns and the phase it happened in.
#[derive(Debug)]
pub struct Error {
    /// The peer (`host:port` or a description of the stream).
    pub peer: String,
    /// Where the session was.
    pub phase: Phase,
    /// What happened (boxed: results stay small on the data path).
    pub kind: Box<ErrorKind>,
}

impl Error {
    /// An error about `peer` in `phase`.
    pub fn new(peer: &str, phase: Phase, kind: ErrorKind) -> Self {
        Self {
            peer: peer.to_owned(),
            phase,
            kind: Box::new(kind),
        }
    }

    /// The reason code a DISCONNECT for this error carries (one arm per kind, no wildcard).
    pub fn disconnect_reason(&self) -> DisconnectReason {
        match &*self.kind {
            ErrorKind::Io(_) | ErrorKind::PeerClosedSocket => DisconnectReason::ConnectionLost,
            ErrorKind::Transport(e) => e.disconnect_reason(),
            ErrorKind::Connection(e) => e.disconnect_reason(),
            ErrorKind::Userauth(e) => e.disconnect_reason(),
            ErrorKind::HostKeyRejected { .. } => DisconnectReason::HostKeyNotVerifiable,
            ErrorKind::AuthenticationFailed { .. } => DisconnectReason::NoMoreAuthMethodsAvailable,
            ErrorKind::PeerDisconnected { reason, .. } => *reason,
            ErrorKind::KeepaliveTimeout { .. } => DisconnectReason::ConnectionLost,
            ErrorKind::LoginGraceTimeExpired { .. } => DisconnectReason::ProtocolError,
            ErrorKind::TooManyStartups => DisconnectReason::TooManyConnections,
            ErrorKind::LocallyClosed => DisconnectReason::ByApplication,
            ErrorKind::SessionClosed(e) => e.disconnect_reason(),
            ErrorKind::ChannelOpenFailed { .. }
            | ErrorKind::RequestRefused { .. }
            | ErrorKind::LocalLimit(_) => DisconnectReason::ByApplication,
        }
    }

    /// True when the session is over (as opposed to one refused operation).
    pub fn is_fatal(&self) -> bool {
        !matches!(
            *self.kind,
            ErrorKind::ChannelOpenFailed { .. }
                | ErrorKind::RequestRefused { .. }
                | ErrorKind::LocalLimit(_)
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(e) => write!(f, "i/o error: {e}"),
            ErrorKind::Transport(e) => write!(f, "transport: {e}"),
            ErrorKind::Connection(e) => write!(f, "connection protocol: {e}"),
            ErrorKind::Userauth(e) => write!(f, "authentication: {e}"),
            ErrorKind::HostKeyRejected { fingerprint } => {
                write!(f, "host key {fingerprint} was not accepted")
            }
            ErrorKind::AuthenticationFailed { methods_left } => {
                write!(f, "permission denied ({})", methods_left.join(","))
            }
            ErrorKind::PeerDisconnected {
                reason,
                description,
            } => write!(
                f,
                "peer disconnected ({reason}, code {}): {}",
                reason.code(),
                crate::peer_text::line(description)
            ),
            ErrorKind::PeerClosedSocket => f.write_str("peer closed the connection"),
            ErrorKind::KeepaliveTimeout { count } => {
                write!(f, "peer answered none of {count} keepalives")
            }
            ErrorKind::LoginGraceTimeExpired { seconds } => {
                write!(f, "no authentication within {seconds} s")
            }
            ErrorKind::TooManyStartups => f.write_str("too many unauthenticated connections"),
            ErrorKind::LocallyClosed => f.write_str("session closed locally"),
            ErrorKind::SessionClosed(e) => write!(f, "session already ended: {}", e.kind),
            ErrorKind::ChannelOpenFailed {
                reason,
                description,
            } => write!(
                f,
                "channel open refused ({reason}, code {}): {}",
                reason.code(),
                crate::peer_text::line(description)
            ),
            ErrorKind::RequestRefused { request } => write!(f, "peer refused {request}"),
            ErrorKind::LocalLimit(e) => write!(f, "local limit: {e}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.peer, self.phase, self.kind)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.kind {
            ErrorKind::Io(e) => Some(e),
            ErrorKind::Transport(e) => Some(e),
            ErrorKind::Connection(e) | ErrorKind::LocalLimit(e) => Some(e),
            ErrorKind::Userauth(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        let kind = match *e.kind {
            ErrorKind::Io(ref io) => io.kind(),
            ErrorKind::PeerClosedSocket
            | ErrorKind::LocallyClosed
            | ErrorKind::SessionClosed(_) => std::io::ErrorKind::ConnectionAborted,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_peer_phase_and_numbers() {
        let e = Error::new(
            "127.0.0.1:22",
            Phase::Connection,
            ErrorKind::KeepaliveTimeout { count: 3 },
        );
        assert_eq!(
            e.to_string(),
            "127.0.0.1:22 (connection): peer answered none of 3 keepalives"
        );
        assert_eq!(e.disconnect_reason(), DisconnectReason::ConnectionLost);
        assert!(e.is_fatal());
    }

    #[test]
    fn refused_open_is_not_fatal() {
        let e = Error::new(
            "p",
            Phase::Connection,
            ErrorKind::ChannelOpenFailed {
                reason: OpenFailureReason::ConnectFailed,
                description: "nope".into(),
            },
        );
        assert!(!e.is_fatal());
        assert!(e.to_string().contains("code 2"));
    }
}
