//! Per-channel flow-control windows (RFC 4254 §5.2) as small pure types over `u32`.
//!
//! [`SendWindow`] is our right to send; [`RecvWindow`] is the peer's right to send to us plus
//! the credit we owe back once the application has read. All arithmetic is checked; nothing
//! here does I/O or knows about channels.

use core::fmt;

/// An adjust is sent once the credit owed back reaches `size / ADJUST_DIVISOR`.
///
/// At most `size / ADJUST_DIVISOR` is ever held back, so a sender that always uses its window
/// moves at least `size - size / ADJUST_DIVISOR` per round trip, whatever the phase of the
/// adjusts (with 2, data and adjusts settle into one half-window burst per round trip after
/// a window change, and a long path gets half the window's rate). 4 keeps 3/4 of the window
/// moving for one 16-byte adjust per quarter window. OpenSSH and Go adjust at half.
pub const ADJUST_DIVISOR: u32 = 4;

/// What a peer did wrong with a window (the connection adds the channel id to make an
/// [`crate::Error`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowViolation {
    /// It sent `len` data bytes with only `granted` bytes of window left.
    Overrun {
        /// Data bytes in the packet.
        len: u32,
        /// Window the peer had left.
        granted: u32,
    },
    /// It sent `len` data bytes in one packet, more than the maximum packet size `max`.
    PacketTooLarge {
        /// Data bytes in the packet.
        len: u32,
        /// Our maximum packet size.
        max: u32,
    },
    /// Its WINDOW_ADJUST of `add` would take our send window of `remaining` past 2^32-1.
    AdjustOverflow {
        /// Send window before the adjust.
        remaining: u32,
        /// Bytes the peer added.
        add: u32,
    },
}

impl fmt::Display for WindowViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Overrun { len, granted } => {
                write!(f, "peer sent {len} bytes with {granted} left in its window")
            }
            Self::PacketTooLarge { len, max } => write!(
                f,
                "peer sent {len} bytes in one packet, over the maximum packet size of {max}"
            ),
            Self::AdjustOverflow { remaining, add } => write!(
                f,
                "peer added {add} bytes to a window of {remaining}, past 2^32-1"
            ),
        }
    }
}

/// Our right to send on one channel (RFC 4254 §5.2): the peer's grants minus what we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendWindow {
    remaining: u32,
    max_packet: u32,
}

impl SendWindow {
    /// The window and maximum packet size from the peer's CHANNEL_OPEN or CONFIRMATION.
    pub fn new(initial_window: u32, max_packet: u32) -> Self {
        Self {
            remaining: initial_window,
            max_packet,
        }
    }

    /// Bytes the peer still allows us to send.
    pub fn remaining(&self) -> u32 {
        self.remaining
    }

    /// The largest data length of one CHANNEL_DATA packet.
    pub fn max_packet(&self) -> u32 {
        self.max_packet
    }

    /// Bytes the next packet may carry: `min(remaining, max_packet)`.
    pub fn sendable(&self) -> u32 {
        self.remaining.min(self.max_packet)
    }

    /// Takes up to `want` bytes for one packet (at most [`Self::sendable`]) and returns how
    /// many were taken. Sending can therefore never go past the window or the packet size.
    pub fn take(&mut self, want: u32) -> u32 {
        let n = want.min(self.sendable());
        self.remaining = self.remaining.saturating_sub(n);
        n
    }

    /// The peer's WINDOW_ADJUST: adds `add` bytes; past 2^32-1 is a protocol error
    /// (RFC 4254 §5.2) and leaves the window unchanged.
    pub fn on_adjust(&mut self, add: u32) -> Result<(), WindowViolation> {
        match self.remaining.checked_add(add) {
            Some(sum) => {
                self.remaining = sum;
                Ok(())
            }
            None => Err(WindowViolation::AdjustOverflow {
                remaining: self.remaining,
                add,
            }),
        }
    }
}

/// The peer's right to send to us, and the credit we owe back once the application has read.
///
/// Invariant: `granted + buffered + owed == size + excess`. Data moves `granted -> buffered`
/// ([`Self::on_data`]), reading moves `buffered -> owed` ([`Self::on_consumed`]) and an adjust
/// moves `owed -> granted` ([`Self::take_adjust`]). `excess` is credit the peer still holds
/// beyond a window that was shrunk: consumption pays it off before anything is owed again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecvWindow {
    size: u32,
    granted: u32,
    buffered: u32,
    owed: u32,
    excess: u32,
    max_packet: u32,
}

impl RecvWindow {
    /// A window of `size` bytes, all granted, with packets of at most `max_packet` data bytes.
    pub fn new(size: u32, max_packet: u32) -> Self {
        Self {
            size,
            granted: size,
            buffered: 0,
            owed: 0,
            excess: 0,
            max_packet,
        }
    }

    /// The window size we aim to keep granted.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Bytes the peer may still send before our next adjust.
    pub fn granted(&self) -> u32 {
        self.granted
    }

    /// Bytes received and not yet consumed by the application.
    pub fn buffered(&self) -> u32 {
        self.buffered
    }

    /// Bytes consumed but not yet granted back.
    pub fn owed(&self) -> u32 {
        self.owed
    }

    /// Credit beyond `size` the peer still holds after a shrink.
    pub fn excess(&self) -> u32 {
        self.excess
    }

    /// Our maximum packet size (data bytes per CHANNEL_DATA).
    pub fn max_packet(&self) -> u32 {
        self.max_packet
    }

    /// `len` data bytes arrived: checks the packet size and the window, then counts them as
    /// buffered. On error nothing changes. Any overrun is an error (no tolerance).
    pub fn on_data(&mut self, len: u32) -> Result<(), WindowViolation> {
        if len > self.max_packet {
            return Err(WindowViolation::PacketTooLarge {
                len,
                max: self.max_packet,
            });
        }
        let Some(granted) = self.granted.checked_sub(len) else {
            return Err(WindowViolation::Overrun {
                len,
                granted: self.granted,
            });
        };
        // Cannot overflow: granted + buffered <= size + excess, both u32 terms of one sum.
        self.buffered = self.buffered.saturating_add(len);
        self.granted = granted;
        Ok(())
    }

    /// The application consumed up to `n` buffered bytes; returns how many were counted
    /// (never more than [`Self::buffered`]). They become owed credit.
    pub fn on_consumed(&mut self, n: u32) -> u32 {
        let n = n.min(self.buffered);
        self.buffered -= n;
        let paid = n.min(self.excess);
        self.excess -= paid;
        self.owed = self.owed.saturating_add(n - paid);
        n
    }

    /// Up to `n` buffered bytes will never be read (the channel is closing, or the data went
    /// to an event); they are credited at once. Same accounting as [`Self::on_consumed`].
    pub fn on_discarded(&mut self, n: u32) -> u32 {
        self.on_consumed(n)
    }

    /// Moves the owed credit into `granted` once it reaches `size / ADJUST_DIVISOR`, and
    /// returns the bytes to send in a WINDOW_ADJUST.
    #[must_use]
    pub fn take_adjust(&mut self) -> Option<u32> {
        let threshold = self.size / ADJUST_DIVISOR;
        if self.owed == 0 || self.owed < threshold {
            return None;
        }
        let add = self.owed;
        self.owed = 0;
        self.granted = self.granted.saturating_add(add);
        Some(add)
    }

    /// Changes the window size while the channel is open. Growing owes the extra bytes to the
    /// peer at once (the next [`Self::take_adjust`] grants them); shrinking cancels owed
    /// credit first and keeps the rest as `excess`, paid off by later consumption, because
    /// credit already granted cannot be taken back.
    pub fn resize(&mut self, new_size: u32) {
        if new_size >= self.size {
            let grow = new_size - self.size;
            let paid = grow.min(self.excess);
            self.excess -= paid;
            self.owed = self.owed.saturating_add(grow - paid);
        } else {
            let shrink = self.size - new_size;
            let cancel = shrink.min(self.owed);
            self.owed -= cancel;
            self.excess = self.excess.saturating_add(shrink - cancel);
        }
        self.size = new_size;
    }
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
