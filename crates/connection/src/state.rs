//! The per-channel state machine (RFC 4254 §5.1-5.3, after OpenSSH `nchan.c`).

use burrow_wire::msg;

use crate::error::Error;
use crate::id::LocalChannelId;

/// Where one channel is in its life. The id is freed only when CLOSE has gone both ways.
///
/// ```text
///   open_channel()                               peer CHANNEL_OPEN
///        |                                              |
///        v                                              v
///    Opening --peer OPEN_FAILURE--> freed          Offered --reject_channel()--> freed
///        | peer OPEN_CONFIRMATION                       | accept_channel()
///        | (if close() came first: send CLOSE,          |
///        |  go to Closing { close_sent })               |
///        v                                              v
///        +--------------> Open { eof_sent, eof_rcvd } <-+
///                          |  eof():    eof_sent = true, send EOF (once)
///                          |  peer EOF: eof_rcvd = true (twice: error; DATA after: error)
///          close():        |                           peer CLOSE:
///          send CLOSE      |                           (the application reads what is
///        +-----------------+-----------------+          left, then calls close())
///        v                                   v
///   Closing { close_sent }            Closing { close_rcvd }
///   (peer DATA still counted           (any peer message now: error)
///    against the window, then                |
///    dropped; replies not sent)              |
///        | peer CLOSE                        | close(): send CLOSE
///        +-------------> freed <-------------+
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelState {
    /// We sent CHANNEL_OPEN and wait for CONFIRMATION or FAILURE. `abandoned`: the application
    /// closed the channel meanwhile, so a CONFIRMATION is answered with CLOSE.
    Opening {
        /// The application called `close` before the peer answered.
        abandoned: bool,
    },
    /// The peer sent CHANNEL_OPEN; the application has not accepted or rejected it yet.
    Offered,
    /// Both sides may send.
    Open {
        /// We sent EOF: no more data from us.
        eof_sent: bool,
        /// The peer sent EOF: no more data from it.
        eof_rcvd: bool,
    },
    /// At least one CLOSE went; the id is freed when both have.
    Closing {
        /// We sent CLOSE.
        close_sent: bool,
        /// The peer sent CLOSE.
        close_rcvd: bool,
        /// The peer sent EOF before its CLOSE.
        eof_rcvd: bool,
    },
}

/// What to do with a DATA or EXTENDED_DATA packet that passed the state check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataFate {
    /// Buffer it for the application.
    Buffer,
    /// We sent CLOSE already: count it against the window, then drop it.
    Discard,
}

/// What the peer's CLOSE did to the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerCloseFate {
    /// We had not sent CLOSE: the channel stays until the application calls `close`.
    Keep,
    /// CLOSE has gone both ways: free the id.
    Free,
}

/// What the application's `close` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocalCloseAction {
    /// Send CLOSE and keep the channel until the peer's CLOSE.
    SendAndKeep,
    /// Send CLOSE and free the id (the peer closed first).
    SendAndFree,
    /// The open is still pending; CLOSE goes out when it is confirmed.
    Deferred,
    /// CLOSE was sent already.
    Nothing,
}

impl ChannelState {
    /// A short lowercase name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Opening { .. } => "opening",
            Self::Offered => "offered",
            Self::Open {
                eof_sent: false,
                eof_rcvd: false,
            } => "open",
            Self::Open {
                eof_sent: true,
                eof_rcvd: false,
            } => "open (eof sent)",
            Self::Open {
                eof_sent: false,
                eof_rcvd: true,
            } => "open (eof received)",
            Self::Open { .. } => "open (eof both ways)",
            Self::Closing {
                close_rcvd: true, ..
            } => "closed by peer",
            Self::Closing { .. } => "closing",
        }
    }

    /// True when the application may write data (open, no EOF or CLOSE sent).
    pub fn can_send_data(self) -> bool {
        matches!(
            self,
            Self::Open {
                eof_sent: false,
                ..
            }
        )
    }

    /// True when the peer will send no more data (its EOF or CLOSE came).
    pub fn peer_finished(self) -> bool {
        matches!(
            self,
            Self::Open { eof_rcvd: true, .. }
                | Self::Closing { eof_rcvd: true, .. }
                | Self::Closing {
                    close_rcvd: true,
                    ..
                }
        )
    }

    /// True when we may still send messages about this channel to the peer.
    pub fn can_send_messages(self) -> bool {
        matches!(self, Self::Open { .. })
    }

    fn unexpected(self, id: LocalChannelId, message: u8) -> Error {
        Error::UnexpectedMessage {
            channel: id,
            message,
            state: self.name(),
        }
    }

    fn local(self, id: LocalChannelId, action: &'static str) -> Error {
        Error::ChannelStateMismatch {
            channel: id,
            action,
            state: self.name(),
        }
    }

    /// Checks that the peer may send `message` (a message addressed to an established channel)
    /// now. Ok(true): act on it; Ok(false): we sent CLOSE, ignore it.
    pub(crate) fn check_peer_message(self, id: LocalChannelId, message: u8) -> Result<bool, Error> {
        match self {
            Self::Open { .. } => Ok(true),
            Self::Closing {
                close_rcvd: true, ..
            } => Err(Error::MessageAfterClose {
                channel: id,
                message,
            }),
            Self::Closing { .. } => Ok(false),
            Self::Opening { .. } | Self::Offered => Err(self.unexpected(id, message)),
        }
    }

    /// The peer's OPEN_CONFIRMATION. Returns true when CLOSE must go out at once (the
    /// application abandoned the open).
    pub(crate) fn on_confirmation(&mut self, id: LocalChannelId) -> Result<bool, Error> {
        match *self {
            Self::Opening { abandoned: false } => {
                *self = Self::Open {
                    eof_sent: false,
                    eof_rcvd: false,
                };
                Ok(false)
            }
            Self::Opening { abandoned: true } => {
                *self = Self::Closing {
                    close_sent: true,
                    close_rcvd: false,
                    eof_rcvd: false,
                };
                Ok(true)
            }
            other => Err(other.unexpected(id, msg::CHANNEL_OPEN_CONFIRMATION)),
        }
    }

    /// The peer's OPEN_FAILURE: only valid while opening; the caller frees the id.
    pub(crate) fn on_open_failure(self, id: LocalChannelId) -> Result<(), Error> {
        match self {
            Self::Opening { .. } => Ok(()),
            other => Err(other.unexpected(id, msg::CHANNEL_OPEN_FAILURE)),
        }
    }

    /// The peer's DATA or EXTENDED_DATA (`message`).
    pub(crate) fn on_peer_data(self, id: LocalChannelId, message: u8) -> Result<DataFate, Error> {
        match self {
            Self::Open { eof_rcvd: true, .. }
            | Self::Closing {
                eof_rcvd: true,
                close_rcvd: false,
                ..
            } => Err(Error::DataAfterEof { channel: id }),
            _ => match self.check_peer_message(id, message)? {
                true => Ok(DataFate::Buffer),
                false => Ok(DataFate::Discard),
            },
        }
    }

    /// The peer's EOF.
    pub(crate) fn on_peer_eof(&mut self, id: LocalChannelId) -> Result<(), Error> {
        self.check_peer_message(id, msg::CHANNEL_EOF)?;
        match self {
            Self::Open { eof_rcvd, .. } | Self::Closing { eof_rcvd, .. } => {
                if *eof_rcvd {
                    return Err(Error::SecondEof { channel: id });
                }
                *eof_rcvd = true;
                Ok(())
            }
            Self::Opening { .. } | Self::Offered => Err(self.unexpected(id, msg::CHANNEL_EOF)),
        }
    }

    /// The peer's CLOSE.
    pub(crate) fn on_peer_close(&mut self, id: LocalChannelId) -> Result<PeerCloseFate, Error> {
        match *self {
            Self::Open { eof_rcvd, .. } => {
                *self = Self::Closing {
                    close_sent: false,
                    close_rcvd: true,
                    eof_rcvd,
                };
                Ok(PeerCloseFate::Keep)
            }
            Self::Closing {
                close_rcvd: true, ..
            } => Err(Error::SecondClose { channel: id }),
            Self::Closing { eof_rcvd, .. } => {
                *self = Self::Closing {
                    close_sent: true,
                    close_rcvd: true,
                    eof_rcvd,
                };
                Ok(PeerCloseFate::Free)
            }
            other => Err(other.unexpected(id, msg::CHANNEL_CLOSE)),
        }
    }

    /// The application accepts an offered channel.
    pub(crate) fn accept(&mut self, id: LocalChannelId) -> Result<(), Error> {
        match self {
            Self::Offered => {
                *self = Self::Open {
                    eof_sent: false,
                    eof_rcvd: false,
                };
                Ok(())
            }
            other => Err(other.local(id, "accept")),
        }
    }

    /// The application rejects an offered channel; the caller frees the id.
    pub(crate) fn reject(self, id: LocalChannelId) -> Result<(), Error> {
        match self {
            Self::Offered => Ok(()),
            other => Err(other.local(id, "reject")),
        }
    }

    /// The application's EOF. Returns true when EOF must be sent (the first time, while open).
    pub(crate) fn on_local_eof(&mut self, id: LocalChannelId) -> Result<bool, Error> {
        match self {
            Self::Open { eof_sent, .. } => Ok(!core::mem::replace(eof_sent, true)),
            Self::Closing { .. } => Ok(false),
            other => Err(other.local(id, "send eof")),
        }
    }

    /// The application's `close`.
    pub(crate) fn on_local_close(&mut self, id: LocalChannelId) -> Result<LocalCloseAction, Error> {
        match *self {
            Self::Opening { .. } => {
                *self = Self::Opening { abandoned: true };
                Ok(LocalCloseAction::Deferred)
            }
            Self::Open { eof_rcvd, .. } => {
                *self = Self::Closing {
                    close_sent: true,
                    close_rcvd: false,
                    eof_rcvd,
                };
                Ok(LocalCloseAction::SendAndKeep)
            }
            Self::Closing {
                close_sent: false,
                eof_rcvd,
                ..
            } => {
                *self = Self::Closing {
                    close_sent: true,
                    close_rcvd: true,
                    eof_rcvd,
                };
                Ok(LocalCloseAction::SendAndFree)
            }
            Self::Closing { .. } => Ok(LocalCloseAction::Nothing),
            Self::Offered => Err(self.local(id, "close (reject it instead)")),
        }
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
