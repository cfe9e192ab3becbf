//! MaxStartups (`start:rate:full`): how many unauthenticated connections a server keeps, and
//! the random early drop between `start` and `full` (OpenSSH sshd.c `drop_connection`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// OpenSSH's MaxStartups: below `start` unauthenticated connections all are kept; from
/// `start` on, a new one is dropped with probability `rate`% rising linearly to 100% at
/// `full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxStartups {
    /// Connections always accepted.
    pub start: usize,
    /// Drop percentage at `start`.
    pub rate: u32,
    /// Connections at which every new one is dropped.
    pub full: usize,
}

impl Default for MaxStartups {
    /// OpenSSH's default, `10:30:100`.
    fn default() -> Self {
        Self {
            start: 10,
            rate: 30,
            full: 100,
        }
    }
}

impl MaxStartups {
    /// Parses `start:rate:full` or a single `start` (then rate 100, full = start).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(':');
        let start = parts.next()?.trim().parse().ok()?;
        let (rate, full) = match (parts.next(), parts.next(), parts.next()) {
            (None, None, None) => (100, start),
            (Some(r), Some(f), None) => (r.trim().parse().ok()?, f.trim().parse().ok()?),
            _ => return None,
        };
        (rate <= 100 && start <= full).then_some(Self { start, rate, full })
    }

    /// The drop probability in percent with `n` unauthenticated connections already open.
    pub fn drop_percent(&self, n: usize) -> u32 {
        if n < self.start {
            return 0;
        }
        if n >= self.full {
            return 100;
        }
        let span = self.full.saturating_sub(self.start).max(1) as u64;
        let over = n.saturating_sub(self.start) as u64;
        let extra = u64::from(100u32.saturating_sub(self.rate)).saturating_mul(over) / span;
        self.rate
            .saturating_add(u32::try_from(extra).unwrap_or(100))
            .min(100)
    }

    /// Whether to drop a new connection, given `n` open ones and a uniform `roll` in 0..100.
    pub fn should_drop(&self, n: usize, roll: u32) -> bool {
        roll < self.drop_percent(n)
    }
}

/// Counts unauthenticated connections; the guard decrements when authentication ends.
#[derive(Debug, Default, Clone)]
pub(crate) struct StartupCounter(Arc<AtomicUsize>);

/// One unauthenticated connection, counted until dropped.
#[derive(Debug)]
pub(crate) struct StartupGuard(Arc<AtomicUsize>);

impl StartupCounter {
    pub(crate) fn current(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn enter(&self) -> StartupGuard {
        self.0.fetch_add(1, Ordering::Relaxed);
        StartupGuard(self.0.clone())
    }
}

impl Drop for StartupGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_openssh_forms() {
        let m = MaxStartups::parse("10:30:100").unwrap();
        assert_eq!((m.start, m.rate, m.full), (10, 30, 100));
        let m = MaxStartups::parse("5").unwrap();
        assert_eq!((m.start, m.rate, m.full), (5, 100, 5));
        assert!(MaxStartups::parse("10:130:100").is_none());
        assert!(MaxStartups::parse("100:30:10").is_none());
        assert!(MaxStartups::parse("1:2").is_none());
    }

    #[test]
    fn drop_rate_rises_linearly_from_start_to_full() {
        let m = MaxStartups::parse("10:30:100").unwrap();
        assert_eq!(m.drop_percent(9), 0);
        assert_eq!(m.drop_percent(10), 30);
        assert_eq!(m.drop_percent(55), 65);
        assert_eq!(m.drop_percent(100), 100);
        assert!(!m.should_drop(9, 0));
        assert!(m.should_drop(100, 99));
        assert!(m.should_drop(10, 29));
        assert!(!m.should_drop(10, 30));
    }

    #[test]
    fn guard_counts_until_dropped() {
        let c = StartupCounter::default();
        let g1 = c.enter();
        let g2 = c.enter();
        assert_eq!(c.current(), 2);
        drop(g1);
        assert_eq!(c.current(), 1);
        drop(g2);
        assert_eq!(c.current(), 0);
    }
}
