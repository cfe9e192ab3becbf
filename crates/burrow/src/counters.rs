//! What a session counts for metrics: key re-exchanges and the last keepalive round trip.

use std::time::{Duration, Instant};

use burrow_connection::GlobalRequestId;

/// A copy of a session's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionCounters {
    /// Key exchanges after the first one (rekeys, either side starting them).
    pub rekeys: u64,
    /// Round trip of the last answered keepalive (ServerAliveInterval/ClientAliveInterval);
    /// `None` before the first answer.
    pub keepalive_rtt: Option<Duration>,
    /// The session has ended (these are its last values).
    pub closed: bool,
}

/// The live counters inside a session, with the keepalive waiting for its answer.
#[derive(Debug, Default)]
pub(crate) struct Counting {
    pub(crate) counters: SessionCounters,
    keepalive_sent: Option<(GlobalRequestId, Instant)>,
}

impl Counting {
    /// A keepalive went out as request `id` at `now`.
    pub(crate) fn keepalive_sent(&mut self, id: GlobalRequestId, now: Instant) {
        self.keepalive_sent = Some((id, now));
    }

    /// Global request `id` was answered at `now`: the round trip, if it was the keepalive.
    pub(crate) fn global_answered(&mut self, id: GlobalRequestId, now: Instant) {
        if let Some((_, at)) = self.keepalive_sent.filter(|(sent, _)| *sent == id) {
            self.counters.keepalive_rtt = Some(now.saturating_duration_since(at));
            self.keepalive_sent = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_keepalive_reply_sets_the_round_trip() {
        let t0 = Instant::now();
        let mut c = Counting::default();
        c.keepalive_sent(GlobalRequestId(7), t0);
        c.global_answered(GlobalRequestId(6), t0 + Duration::from_millis(5));
        assert_eq!(c.counters.keepalive_rtt, None, "another request's reply");
        c.global_answered(GlobalRequestId(7), t0 + Duration::from_millis(30));
        assert_eq!(c.counters.keepalive_rtt, Some(Duration::from_millis(30)));
        // Answered once: a late duplicate changes nothing.
        c.global_answered(GlobalRequestId(7), t0 + Duration::from_secs(9));
        assert_eq!(c.counters.keepalive_rtt, Some(Duration::from_millis(30)));
    }
}
