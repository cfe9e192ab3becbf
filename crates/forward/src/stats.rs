//! Per-forward counters (connections, failures, bytes each way, time blocked on the peer's
//! window, connect times) and the hook told when each forwarded channel opens and closes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::latency::{Latency, LatencySnapshot};

/// Told when a forward's channels open and close (the CLI writes `--events` lines). Called
/// on the forwarding task: implementations must return at once, never wait.
pub trait ChannelObserver: Send + Sync + std::fmt::Debug {
    /// Channel `id` of `forward` is open and its bytes start to flow.
    fn channel_open(&self, forward: &str, id: u64);
    /// Channel `id` ended after `duration`; `bytes_in`/`bytes_out` were delivered (same
    /// directions as [`StatsSnapshot`]).
    fn channel_close(
        &self,
        forward: &str,
        id: u64,
        bytes_in: u64,
        bytes_out: u64,
        duration: Duration,
    );
}

/// Where a server keeps counters per user and forward (burrowd's metrics); the forward is
/// named as `direct-tcpip host:port`, `tcpip-forward address:port` and the like.
pub trait StatsLedger: Send + Sync + std::fmt::Debug {
    /// The counters of `forward` for `user`, created on first use.
    fn stats_for(&self, user: &str, forward: &str) -> Arc<ForwardStats>;
}

/// Channel ids handed to observers, unique in the process.
static NEXT_CHANNEL: AtomicU64 = AtomicU64::new(1);

/// Live counters of one forward, shared with the caller through [`ForwardStats::snapshot`].
#[derive(Debug, Default)]
pub struct ForwardStats {
    connections: AtomicU64,
    active: AtomicU64,
    failed: AtomicU64,
    bytes_out: AtomicU64,
    bytes_in: AtomicU64,
    window_blocked_micros: AtomicU64,
    /// Channels waiting for the window now, and the sum of their start times
    /// ([`micros_now`]): their time so far shows in snapshots before the wait ends.
    waiting: AtomicU64,
    waiting_since: AtomicU64,
    connect: Latency,
    /// The forward's label and who is told about its channels.
    observer: OnceLock<(String, Arc<dyn ChannelObserver>)>,
}

/// One observed channel: its id and when it opened.
pub(crate) struct ChannelRecord {
    id: u64,
    opened: Instant,
}

/// A copy of the counters at one moment (`-O stats` shows it as JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// Connections accepted (or channels received) so far.
    pub connections: u64,
    /// Connections currently being forwarded.
    pub active: u64,
    /// Connections that ended because the channel open or the target connect failed.
    pub failed: u64,
    /// Bytes from the connecting side to the target (for `-L`: local client → SSH server).
    pub bytes_out: u64,
    /// Bytes from the target back to the connecting side.
    pub bytes_in: u64,
    /// Time, in microseconds, writes to the channel waited for the peer's window (or the
    /// connection's send budget) with data ready.
    pub window_blocked_micros: u64,
    /// How long reaching the target took: the channel open (`-L`, `-D`, a server's
    /// remote-forward listener) or the connect here (`-R`, direct-tcpip on the server).
    pub connect: LatencySnapshot,
}

impl ForwardStats {
    /// Fresh counters.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            connections: self.connections.load(Ordering::Relaxed),
            active: self.active.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            window_blocked_micros: self.window_blocked_micros(),
            connect: self.connect.snapshot(),
        }
    }

    /// Tells `observer` about every channel of this forward from now on, naming the forward
    /// `label`; a second call is ignored.
    pub fn observe(&self, label: String, observer: Arc<dyn ChannelObserver>) {
        if self.observer.set((label, observer)).is_err() {
            tracing::debug!("forward already observed");
        }
    }

    /// A channel opened: tells the observer and returns the channel's record, if there is
    /// an observer (boxed: a join without one keeps a null pointer, not the record).
    pub(crate) fn channel_opened(&self) -> Option<Box<ChannelRecord>> {
        let (label, o) = self.observer.get()?;
        let id = NEXT_CHANNEL.fetch_add(1, Ordering::Relaxed);
        o.channel_open(label, id);
        Some(Box::new(ChannelRecord {
            id,
            opened: Instant::now(),
        }))
    }

    /// The channel of `record` ended having delivered `bytes_in` and `bytes_out`.
    pub(crate) fn channel_closed(&self, record: ChannelRecord, bytes_in: u64, bytes_out: u64) {
        if let Some((label, o)) = self.observer.get() {
            o.channel_close(
                label,
                record.id,
                bytes_in,
                bytes_out,
                record.opened.elapsed(),
            );
        }
    }

    pub(crate) fn connection_started(self: &Arc<Self>) -> ActiveGuard {
        self.connections.fetch_add(1, Ordering::Relaxed);
        self.active.fetch_add(1, Ordering::Relaxed);
        ActiveGuard(self.clone())
    }

    pub(crate) fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_out(&self, n: u64) {
        self.bytes_out.fetch_add(n, Ordering::Relaxed);
    }

    /// Reaching the target took `took` (successful or not).
    pub(crate) fn connect_took(&self, took: Duration) {
        self.connect.record(took);
    }

    /// Writes to a channel start waiting for the peer's window; the wait ends when the
    /// returned guard is dropped.
    pub(crate) fn window_wait(self: &Arc<Self>) -> WindowWait {
        let since = micros_now();
        self.waiting_since.fetch_add(since, Ordering::Relaxed);
        self.waiting.fetch_add(1, Ordering::Relaxed);
        WindowWait {
            stats: self.clone(),
            since,
        }
    }

    /// Ended waits, plus the waits going on so far.
    fn window_blocked_micros(&self) -> u64 {
        let ended = self.window_blocked_micros.load(Ordering::Relaxed);
        let n = self.waiting.load(Ordering::Relaxed);
        let since = self.waiting_since.load(Ordering::Relaxed);
        let ongoing = n.wrapping_mul(micros_now()).wrapping_sub(since);
        // A wait ending between the loads can make `ongoing` meaningless: leave it out then.
        ended.saturating_add(if ongoing > n.saturating_mul(1 << 40) {
            0
        } else {
            ongoing
        })
    }

    pub(crate) fn add_in(&self, n: u64) {
        self.bytes_in.fetch_add(n, Ordering::Relaxed);
    }
}

/// Microseconds since the first call in this process: the common origin of wait times.
fn micros_now() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let elapsed = ORIGIN.get_or_init(Instant::now).elapsed();
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}

/// A channel waiting for the peer's window; the wait is counted when dropped.
pub(crate) struct WindowWait {
    stats: Arc<ForwardStats>,
    since: u64,
}

impl Drop for WindowWait {
    fn drop(&mut self) {
        let waited = micros_now().saturating_sub(self.since);
        let s = &self.stats;
        s.window_blocked_micros.fetch_add(waited, Ordering::Relaxed);
        s.waiting.fetch_sub(1, Ordering::Relaxed);
        s.waiting_since.fetch_sub(self.since, Ordering::Relaxed);
    }
}

/// Counts one connection as active until dropped.
pub(crate) struct ActiveGuard(Arc<ForwardStats>);

impl ActiveGuard {
    /// The counters this connection counts in.
    pub(crate) fn stats(&self) -> &Arc<ForwardStats> {
        &self.0
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_wait_counts_while_it_lasts_and_once_it_ended() {
        let stats = ForwardStats::new();
        let wait = stats.window_wait();
        std::thread::sleep(Duration::from_millis(30));
        let during = stats.snapshot().window_blocked_micros;
        assert!(during >= 30_000, "{during}");
        drop(wait);
        let after = stats.snapshot().window_blocked_micros;
        assert!(after >= during, "{after} < {during}");
        std::thread::sleep(Duration::from_millis(10));
        assert_eq!(
            stats.snapshot().window_blocked_micros,
            after,
            "no wait goes on"
        );
        assert_eq!(stats.waiting.load(Ordering::Relaxed), 0);
    }
}
