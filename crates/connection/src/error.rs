//! The crate's one error type: what the peer (or, for a few variants, the application) did.

use core::fmt;

use burrow_wire::{DecodeError, DisconnectReason};

use crate::id::LocalChannelId;
use crate::window::WindowViolation;

/// A connection-layer error. Variants up to `TooManyChannelRequests` are protocol errors by the
/// peer (the connection must end with [`Error::disconnect_reason`]); the rest are misuse by the
/// local application and leave the connection usable ([`Error::is_peer_error`] tells them apart).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer sent a connection-layer message that does not decode.
    Decode(DecodeError),
    /// The peer sent message `message` for channel `channel`, which we never opened or
    /// already freed.
    UnknownChannel {
        /// The `recipient_channel` the peer used.
        channel: u32,
        /// The message number.
        message: u8,
    },
    /// The peer sent message `message` for a channel in a state where it makes no sense
    /// (a CONFIRMATION for an open channel, DATA before the open completed...).
    UnexpectedMessage {
        /// Our channel id.
        channel: LocalChannelId,
        /// The message number.
        message: u8,
        /// The channel's state, as [`crate::ChannelState::name`] gives it.
        state: &'static str,
    },
    /// The peer sent data after its EOF.
    DataAfterEof {
        /// Our channel id.
        channel: LocalChannelId,
    },
    /// The peer sent a second EOF.
    SecondEof {
        /// Our channel id.
        channel: LocalChannelId,
    },
    /// The peer sent a second CLOSE.
    SecondClose {
        /// Our channel id.
        channel: LocalChannelId,
    },
    /// The peer sent message `message` on a channel after its own CLOSE.
    MessageAfterClose {
        /// Our channel id.
        channel: LocalChannelId,
        /// The message number.
        message: u8,
    },
    /// The peer sent `len` data bytes with only `granted` left in its window.
    WindowOverrun {
        /// Our channel id.
        channel: LocalChannelId,
        /// Data bytes in the packet.
        len: u32,
        /// Window the peer had left.
        granted: u32,
    },
    /// The peer sent `len` data bytes in one packet, over our maximum packet size `max`.
    PacketTooLarge {
        /// Our channel id.
        channel: LocalChannelId,
        /// Data bytes in the packet.
        len: u32,
        /// Our maximum packet size.
        max: u32,
    },
    /// The peer's WINDOW_ADJUST of `add` would take our send window of `remaining` past 2^32-1.
    AdjustOverflow {
        /// Our channel id.
        channel: LocalChannelId,
        /// Send window before the adjust.
        remaining: u32,
        /// Bytes the peer added.
        add: u32,
    },
    /// The peer sent REQUEST_SUCCESS or REQUEST_FAILURE with no global request outstanding.
    UnexpectedGlobalReply {
        /// The message number.
        message: u8,
    },
    /// The peer sent CHANNEL_SUCCESS or CHANNEL_FAILURE with no channel request outstanding.
    UnexpectedChannelReply {
        /// Our channel id.
        channel: LocalChannelId,
        /// The message number.
        message: u8,
    },
    /// The peer has more than `limit` global requests waiting for our reply.
    TooManyGlobalRequests {
        /// The configured limit.
        limit: usize,
    },
    /// The peer has more than `limit` requests on one channel waiting for our reply.
    TooManyChannelRequests {
        /// Our channel id.
        channel: LocalChannelId,
        /// The configured limit.
        limit: usize,
    },
    /// The application named a channel that is not in the table.
    NoSuchChannel {
        /// The id it used.
        channel: LocalChannelId,
    },
    /// The application asked for something the channel's state does not allow (writing after
    /// EOF or CLOSE, accepting a channel that is already open...).
    ChannelStateMismatch {
        /// Our channel id.
        channel: LocalChannelId,
        /// What was asked.
        action: &'static str,
        /// The channel's state.
        state: &'static str,
    },
    /// The application tried to open more than `limit` channels.
    TooManyChannels {
        /// The configured limit.
        limit: u32,
    },
    /// Another channel's receive window would pass the connection's window budget.
    WindowBudgetExhausted {
        /// The configured budget in bytes.
        budget: u64,
    },
    /// The application has `limit` requests of its own waiting for replies already.
    TooManyOutstandingRequests {
        /// The configured limit.
        limit: usize,
    },
    /// The application answered a request that is not waiting for an answer.
    NoSuchRequest {
        /// The request id it used.
        id: u64,
    },
}

impl Error {
    /// Turns a window violation on `channel` into an error.
    pub fn from_window(channel: LocalChannelId, violation: WindowViolation) -> Self {
        match violation {
            WindowViolation::Overrun { len, granted } => Self::WindowOverrun {
                channel,
                len,
                granted,
            },
            WindowViolation::PacketTooLarge { len, max } => {
                Self::PacketTooLarge { channel, len, max }
            }
            WindowViolation::AdjustOverflow { remaining, add } => Self::AdjustOverflow {
                channel,
                remaining,
                add,
            },
        }
    }

    /// The reason to send in SSH_MSG_DISCONNECT for this error (one arm per variant).
    pub fn disconnect_reason(&self) -> DisconnectReason {
        match self {
            Self::Decode(_)
            | Self::UnknownChannel { .. }
            | Self::UnexpectedMessage { .. }
            | Self::DataAfterEof { .. }
            | Self::SecondEof { .. }
            | Self::SecondClose { .. }
            | Self::MessageAfterClose { .. }
            | Self::WindowOverrun { .. }
            | Self::PacketTooLarge { .. }
            | Self::AdjustOverflow { .. }
            | Self::UnexpectedGlobalReply { .. }
            | Self::UnexpectedChannelReply { .. }
            | Self::TooManyGlobalRequests { .. }
            | Self::TooManyChannelRequests { .. } => DisconnectReason::ProtocolError,
            Self::NoSuchChannel { .. }
            | Self::ChannelStateMismatch { .. }
            | Self::TooManyChannels { .. }
            | Self::WindowBudgetExhausted { .. }
            | Self::TooManyOutstandingRequests { .. }
            | Self::NoSuchRequest { .. } => DisconnectReason::ByApplication,
        }
    }

    /// True when the peer broke the protocol (the connection must end); false for local misuse.
    /// Read off [`Self::disconnect_reason`]: peer errors are exactly the protocol errors.
    pub fn is_peer_error(&self) -> bool {
        self.disconnect_reason() == DisconnectReason::ProtocolError
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "undecodable connection message: {e}"),
            Self::UnknownChannel { channel, message } => write!(
                f,
                "peer sent message {message} for channel {channel}, which is not open"
            ),
            Self::UnexpectedMessage {
                channel,
                message,
                state,
            } => write!(
                f,
                "channel {channel}: peer sent message {message} while {state}"
            ),
            Self::DataAfterEof { channel } => {
                write!(f, "channel {channel}: peer sent data after its eof")
            }
            Self::SecondEof { channel } => write!(f, "channel {channel}: peer sent a second eof"),
            Self::SecondClose { channel } => {
                write!(f, "channel {channel}: peer sent a second close")
            }
            Self::MessageAfterClose { channel, message } => write!(
                f,
                "channel {channel}: peer sent message {message} after its close"
            ),
            Self::WindowOverrun {
                channel,
                len,
                granted,
            } => {
                let v = WindowViolation::Overrun {
                    len: *len,
                    granted: *granted,
                };
                write!(f, "channel {channel}: {v}")
            }
            Self::PacketTooLarge { channel, len, max } => {
                let v = WindowViolation::PacketTooLarge {
                    len: *len,
                    max: *max,
                };
                write!(f, "channel {channel}: {v}")
            }
            Self::AdjustOverflow {
                channel,
                remaining,
                add,
            } => {
                let v = WindowViolation::AdjustOverflow {
                    remaining: *remaining,
                    add: *add,
                };
                write!(f, "channel {channel}: {v}")
            }
            Self::UnexpectedGlobalReply { message } => write!(
                f,
                "peer sent global reply {message} with no global request outstanding"
            ),
            Self::UnexpectedChannelReply { channel, message } => write!(
                f,
                "channel {channel}: peer sent reply {message} with no request outstanding"
            ),
            Self::TooManyGlobalRequests { limit } => write!(
                f,
                "peer has more than {limit} global requests waiting for a reply"
            ),
            Self::TooManyChannelRequests { channel, limit } => write!(
                f,
                "channel {channel}: peer has more than {limit} requests waiting for a reply"
            ),
            Self::NoSuchChannel { channel } => write!(f, "no channel {channel}"),
            Self::ChannelStateMismatch {
                channel,
                action,
                state,
            } => write!(f, "channel {channel}: cannot {action} while {state}"),
            Self::TooManyChannels { limit } => {
                write!(f, "cannot open more than {limit} channels")
            }
            Self::WindowBudgetExhausted { budget } => {
                write!(f, "receive window budget of {budget} bytes is committed")
            }
            Self::TooManyOutstandingRequests { limit } => {
                write!(f, "{limit} requests are already waiting for replies")
            }
            Self::NoSuchRequest { id } => write!(f, "request {id} is not waiting for a reply"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrun_display_gives_channel_and_numbers() {
        let e = Error::from_window(
            LocalChannelId(7),
            WindowViolation::Overrun {
                len: 40000,
                granted: 32768,
            },
        );
        assert_eq!(
            e.to_string(),
            "channel 7: peer sent 40000 bytes with 32768 left in its window"
        );
        assert_eq!(e.disconnect_reason(), DisconnectReason::ProtocolError);
        assert!(e.is_peer_error());
    }

    #[test]
    fn adjust_overflow_display_gives_numbers() {
        let e = Error::from_window(
            LocalChannelId(3),
            WindowViolation::AdjustOverflow {
                remaining: 10,
                add: u32::MAX,
            },
        );
        assert_eq!(
            e.to_string(),
            format!(
                "channel 3: peer added {} bytes to a window of 10, past 2^32-1",
                u32::MAX
            )
        );
    }

    #[test]
    fn local_misuse_is_not_a_peer_error() {
        let e = Error::NoSuchChannel {
            channel: LocalChannelId(1),
        };
        assert!(!e.is_peer_error());
        assert_eq!(e.disconnect_reason(), DisconnectReason::ByApplication);
    }

    #[test]
    fn too_many_requests_from_the_peer_is_a_peer_error() {
        let e = Error::TooManyGlobalRequests { limit: 4 };
        assert!(e.is_peer_error());
        assert_eq!(e.disconnect_reason(), DisconnectReason::ProtocolError);
    }

    #[test]
    fn display_is_lowercase() {
        let e = Error::SecondClose {
            channel: LocalChannelId(2),
        };
        assert_eq!(e.to_string(), "channel 2: peer sent a second close");
    }
}
