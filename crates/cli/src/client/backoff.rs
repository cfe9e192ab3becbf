//! Reconnect backoff: waits of 1 s doubling up to a maximum, each jittered down by up to
//! half so that many clients cut off together do not come back together.

use std::time::Duration;

/// The first wait before jitter.
pub const FIRST: Duration = Duration::from_secs(1);

/// Jittered exponential backoff; pure (the jitter comes from the caller).
#[derive(Debug, Clone)]
pub struct Backoff {
    /// The wait before jitter for the next attempt.
    next: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// Starts at [`FIRST`] (or `max` when smaller), doubling up to `max`.
    pub fn new(max: Duration) -> Self {
        Self {
            next: FIRST.min(max),
            max,
            attempt: 0,
        }
    }

    /// The attempts begun so far (the one [`next_delay`](Self::next_delay) last began).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Begins the next attempt and returns its wait: between half and all of the current
    /// step, placed by `jitter` (0: half, `u32::MAX`: all); the step then doubles up to max.
    pub fn next_delay(&mut self, jitter: u32) -> Duration {
        self.attempt = self.attempt.saturating_add(1);
        let step = self.next;
        self.next = step.saturating_mul(2).min(self.max);
        let half = step / 2;
        half + half.mul_f64(f64::from(jitter) / f64::from(u32::MAX))
    }

    /// [`next_delay`](Self::next_delay) with a random jitter.
    pub fn next_random(&mut self) -> Duration {
        use rand_core::RngCore;
        self.next_delay(rand_core::OsRng.next_u32())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn waits_double_from_one_second_to_the_max_within_the_jitter() {
        let mut b = Backoff::new(Duration::from_secs(60));
        let steps = [1, 2, 4, 8, 16, 32, 60, 60, 60];
        for (i, step) in steps.into_iter().enumerate() {
            // The longest wait (jitter at its top) is the whole step, in tokio's paused time.
            let before = Instant::now();
            tokio::time::sleep(b.next_delay(u32::MAX)).await;
            assert_eq!(
                before.elapsed(),
                Duration::from_secs(step),
                "attempt {}",
                i + 1
            );
            assert_eq!(b.attempt(), u32::try_from(i + 1).unwrap());
        }
        let mut b = Backoff::new(Duration::from_secs(60));
        assert_eq!(
            b.next_delay(0),
            Duration::from_millis(500),
            "jitter 0: half"
        );
        assert_eq!(b.next_delay(0), Duration::from_secs(1));
        for _ in 0..100 {
            let d = Backoff::new(Duration::from_secs(60)).next_random();
            assert!(d >= Duration::from_millis(500) && d <= FIRST, "{d:?}");
        }
    }

    #[test]
    fn a_max_below_one_second_caps_the_first_wait() {
        let mut b = Backoff::new(Duration::from_millis(200));
        assert_eq!(b.next_delay(u32::MAX), Duration::from_millis(200));
        assert_eq!(b.next_delay(u32::MAX), Duration::from_millis(200));
    }
}
