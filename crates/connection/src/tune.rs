//! Receive-window autotuning for one channel, as TCP's dynamic right-sizing: the round trip and
//! the delivery rate are measured from times the caller passes in (this crate reads no clock).
//!
//! The round trip is the time from sending a WINDOW_ADJUST to the arrival of the first byte
//! that needed it (the peer could not have sent that byte before the adjust reached it); the
//! smallest sample is kept. Every round trip the bytes the application consumed are counted:
//! a sender limited by the window moves at least the window less one adjust's worth
//! ([`crate::ADJUST_DIVISOR`]) per round trip; when the bytes reach 3/4 of that (room for
//! jitter), the window was the limit and should double. A sender limited by anything else
//! stops the growth once the window is about twice its bytes per round trip, as TCP's
//! receive autotuning. A channel that received nothing for [`IDLE_AFTER_US`] is idle.

/// A channel that received no data for this long (microseconds) is idle: its window goes
/// back to the configured initial size, and must grow again from measurements.
pub const IDLE_AFTER_US: u32 = 1_000_000;

/// Microseconds from `then` to `now` on the connection's wrapping microsecond clock.
fn since(now: u32, then: u32) -> u32 {
    now.wrapping_sub(then)
}

/// Measurements of one channel's receive side, in 32-bit counters that wrap (only
/// differences are used: times within 71 minutes, byte counts within 2 GiB), so that a
/// channel stays small. Empty until the caller passes times in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tuner {
    /// Data bytes received so far (wrapping).
    received: u32,
    /// The adjust being timed: when it was sent, and the received count past which data
    /// could only have been sent after it arrived.
    probe: Option<(u32, u32)>,
    /// The smallest round trip measured, in microseconds.
    rtt: Option<u32>,
    /// When the current round started, and the bytes consumed in it.
    round: Option<(u32, u32)>,
    /// When data last arrived.
    last_data: Option<u32>,
}

impl Tuner {
    /// The smallest round trip measured so far, in microseconds.
    pub fn rtt_us(&self) -> Option<u32> {
        self.rtt
    }

    /// `len` data bytes arrived at `now`. Returns true when the channel had been idle for
    /// [`IDLE_AFTER_US`] before them (the caller shrinks the window back).
    pub fn on_data(&mut self, len: u32, now: u32) -> bool {
        self.received = self.received.wrapping_add(len);
        if let Some((sent, mark)) = self.probe {
            // Past the mark (within half the counter's range).
            if self.received.wrapping_sub(mark).wrapping_sub(1) < 1 << 31 {
                let sample = since(now, sent);
                self.rtt = Some(self.rtt.map_or(sample, |r| r.min(sample)));
                self.probe = None;
            }
        }
        let idle = self
            .last_data
            .is_some_and(|t| since(now, t) >= IDLE_AFTER_US);
        self.last_data = Some(now);
        if idle {
            self.round = None;
        }
        idle
    }

    /// An adjust went out at `now` while the peer still held `granted` bytes of credit: the
    /// first byte past those is timed, unless another adjust is being timed already.
    pub fn on_adjust(&mut self, granted: u32, now: u32) {
        if self.probe.is_none() {
            self.probe = Some((now, self.received.wrapping_add(granted)));
        }
    }

    /// The application consumed `n` bytes at `now` from a window of `size`. Returns true
    /// once per round trip in which the window was the limit (the caller doubles it).
    pub fn on_consumed(&mut self, n: u32, size: u32, now: u32) -> bool {
        let (start, bytes) = self.round.get_or_insert((now, 0));
        *bytes = bytes.saturating_add(n);
        let Some(rtt) = self.rtt else {
            return false;
        };
        let elapsed = since(now, *start);
        if elapsed < rtt.max(1) {
            return false;
        }
        // Bytes per round trip, from the bytes of a round that may have lasted longer.
        let per_rtt = u64::from(*bytes) * u64::from(rtt) / u64::from(elapsed);
        self.round = Some((now, 0));
        let least = u64::from(size - size / crate::ADJUST_DIVISOR);
        per_rtt * 4 >= least * 3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: u32, ms: u32) -> u32 {
        base.wrapping_add(ms * 1000)
    }

    #[test]
    fn rtt_is_time_from_adjust_to_first_byte_that_needed_it() {
        let t = u32::MAX - 50_000; // wraps during the test
        let mut tu = Tuner::default();
        tu.on_data(100, t);
        tu.on_adjust(50, at(t, 10));
        tu.on_data(50, at(t, 20)); // credit the peer held already
        assert_eq!(tu.rtt_us(), None);
        tu.on_data(1, at(t, 110));
        assert_eq!(tu.rtt_us(), Some(100_000));
        // A later, slower sample does not raise the minimum.
        tu.on_adjust(0, at(t, 200));
        tu.on_data(1, at(t, 500));
        assert_eq!(tu.rtt_us(), Some(100_000));
    }

    #[test]
    fn window_limited_round_asks_to_grow_and_slow_reader_does_not() {
        let t = u32::MAX - 50_000; // wraps during the test
        let mut tu = Tuner::default();
        tu.on_adjust(0, t);
        tu.on_data(1, at(t, 100));
        assert!(!tu.on_consumed(1, 1000, at(t, 100)));
        // 700 of a 1000-byte window within one round trip: the window was the limit.
        assert!(!tu.on_consumed(300, 1000, at(t, 150)));
        assert!(tu.on_consumed(400, 1000, at(t, 200)));
        // 400 bytes per round trip of a 1000-byte window: something else is the limit.
        assert!(!tu.on_consumed(400, 1000, at(t, 300)));
        // 700 bytes over two round trips is 350 per round trip.
        assert!(!tu.on_consumed(700, 1000, at(t, 500)));
    }

    #[test]
    fn no_growth_without_a_round_trip_and_idle_after_a_pause() {
        let t = u32::MAX - 50_000; // wraps during the test
        let mut tu = Tuner::default();
        assert!(!tu.on_consumed(1 << 20, 1000, t));
        assert!(!tu.on_data(10, t));
        assert!(!tu.on_data(10, at(t, 999)));
        assert!(tu.on_data(10, at(t, 1999)));
    }
}
