//! Keepalive timing (ServerAliveInterval/CountMax, ClientAliveInterval/CountMax): after an
//! interval with no input, send `keepalive@openssh.com`; after CountMax unanswered, give up.

use std::time::{Duration, Instant};

/// What the driver must do at a keepalive deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Not due.
    Nothing,
    /// Send a keepalive request (want_reply).
    Send,
    /// This many keepalives went unanswered: the peer is dead.
    Dead(u32),
}

/// Keepalive state of one connection.
#[derive(Debug, Clone)]
pub(crate) struct Keepalive {
    interval: Duration,
    count_max: u32,
    next: Instant,
    missed: u32,
}

impl Keepalive {
    /// Starts the first interval at `now`.
    pub(crate) fn new(interval: Duration, count_max: u32, now: Instant) -> Self {
        Self {
            interval,
            count_max,
            next: now.checked_add(interval).unwrap_or(now),
            missed: 0,
        }
    }

    /// When `on_timeout` is due.
    pub(crate) fn deadline(&self) -> Instant {
        self.next
    }

    /// Any input proves the peer alive.
    pub(crate) fn on_input(&mut self, now: Instant) {
        self.missed = 0;
        self.next = now.checked_add(self.interval).unwrap_or(now);
    }

    /// At or after the deadline: send another keepalive, or declare the peer dead.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> Action {
        if now < self.next {
            return Action::Nothing;
        }
        self.next = now.checked_add(self.interval).unwrap_or(now);
        if self.missed >= self.count_max {
            return Action::Dead(self.missed);
        }
        self.missed = self.missed.saturating_add(1);
        Action::Send
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_peer_is_dead_after_count_max_keepalives() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut k = Keepalive::new(s, 3, t0);
        assert_eq!(k.on_timeout(t0), Action::Nothing);
        assert_eq!(k.on_timeout(t0 + s), Action::Send);
        assert_eq!(k.on_timeout(t0 + 2 * s), Action::Send);
        assert_eq!(k.on_timeout(t0 + 3 * s), Action::Send);
        assert_eq!(k.on_timeout(t0 + 4 * s), Action::Dead(3));
    }

    #[test]
    fn input_resets_the_count() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut k = Keepalive::new(s, 1, t0);
        assert_eq!(k.on_timeout(t0 + s), Action::Send);
        k.on_input(t0 + s + s / 2);
        assert_eq!(k.on_timeout(t0 + 2 * s), Action::Nothing);
        assert_eq!(k.deadline(), t0 + 2 * s + s / 2);
        assert_eq!(k.on_timeout(t0 + 3 * s), Action::Send);
        assert_eq!(k.on_timeout(t0 + 4 * s), Action::Dead(1));
    }
}
