//! A fixed-bucket histogram of connect-to-target times, kept in atomics so the forwarding
//! tasks record without a lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Upper bounds (seconds) of the connect-time buckets; one more bucket counts the rest.
pub const CONNECT_BUCKETS: [f64; 10] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// Bucket count including the last, unbounded one.
const SLOTS: usize = CONNECT_BUCKETS.len() + 1;

/// Live histogram of connect times.
#[derive(Debug, Default)]
pub(crate) struct Latency {
    /// Per bucket (not cumulative): times at most its bound and above the previous one.
    counts: [AtomicU64; SLOTS],
    sum_micros: AtomicU64,
}

/// A copy of a connect-time histogram (see [`CONNECT_BUCKETS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LatencySnapshot {
    /// Connects per bucket of [`CONNECT_BUCKETS`] (not cumulative); the last counts those
    /// slower than every bound.
    pub counts: [u64; SLOTS],
    /// All connect times added up, in microseconds.
    pub sum_micros: u64,
}

impl LatencySnapshot {
    /// Connects recorded.
    pub fn count(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.saturating_add(c))
    }
}

impl Latency {
    /// Records one connect that took `took`.
    pub(crate) fn record(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let slot = CONNECT_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(CONNECT_BUCKETS.len());
        if let Some(c) = self.counts.get(slot) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> LatencySnapshot {
        LatencySnapshot {
            counts: std::array::from_fn(|i| {
                self.counts.get(i).map_or(0, |c| c.load(Ordering::Relaxed))
            }),
            sum_micros: self.sum_micros.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_land_in_the_first_bucket_that_holds_them() {
        let l = Latency::default();
        l.record(Duration::from_micros(500));
        l.record(Duration::from_millis(1));
        l.record(Duration::from_millis(30));
        l.record(Duration::from_secs(9));
        let s = l.snapshot();
        assert_eq!(s.counts, [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
        assert_eq!(s.count(), 4);
        assert_eq!(s.sum_micros, 500 + 1_000 + 30_000 + 9_000_000);
    }
}
