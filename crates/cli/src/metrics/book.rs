//! The counters a metrics page shows: the live sessions (their rekeys and keepalive round
//! trips), reconnects, and each forward's [`ForwardStats`], per user for burrowd.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use burrow::{SessionCounters, WeakSession};
use burrow_forward::{ForwardStats, LatencySnapshot, StatsLedger, StatsSnapshot};
use serde::{Deserialize, Serialize};

/// Most (user, forward) series kept; past it new forwards are counted under [`OTHER`].
pub const MAX_SERIES: usize = 1024;
/// The forward label of everything past [`MAX_SERIES`].
pub const OTHER: &str = "(other)";
/// Most forwards one connection process's report may hold (the rest are dropped).
pub const MAX_REPORTED: usize = 128;
/// Longest label value kept (user names and forwards come from the peer).
const MAX_LABEL: usize = 200;

/// Shared by the forwarding tasks (which count) and the metrics page (which reads).
#[derive(Debug, Default)]
pub struct Metrics {
    reconnects: AtomicU64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    sessions: Vec<Tracked>,
    /// Rekeys of sessions that ended, per user (`""` in the client).
    ended_rekeys: BTreeMap<String, u64>,
    forwards: BTreeMap<(String, String), Series>,
    /// burrowd as root: the last report of each connection process, with its user.
    reported: BTreeMap<u64, (String, Snapshot)>,
    /// Sessions alive at the last [`State::refresh`].
    live: usize,
}

/// A live session, with its counters as last read.
#[derive(Debug)]
struct Tracked {
    user: String,
    session: WeakSession,
    last: SessionCounters,
}

/// The counters of one forward: those still in use, and what ended ones had counted.
#[derive(Debug, Default)]
struct Series {
    live: Vec<Arc<ForwardStats>>,
    ended: StatsSnapshot,
}

/// The counters of one user (`""` in the client) at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserSnapshot {
    /// The authenticated user (burrowd), empty in the client.
    pub user: String,
    /// Connections up.
    pub connections_up: u64,
    /// Key re-exchanges, over live and ended connections.
    pub rekeys: u64,
    /// The longest last keepalive round trip of the live connections, in seconds.
    pub keepalive_rtt_seconds: Option<f64>,
}

/// One forward's counters at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForwardSnapshot {
    /// The authenticated user (burrowd), empty in the client.
    pub user: String,
    /// The forward as given (`-L 8080:localhost:80` is `8080:localhost:80`), or for burrowd
    /// `direct-tcpip host:port`, `tcpip-forward address:port` and the like.
    pub forward: String,
    /// Its counters.
    #[serde(flatten)]
    pub stats: StatsSnapshot,
}

/// Everything at one moment (`-O stats` prints it as JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Reconnections made (`Reconnect=yes`).
    pub reconnects: u64,
    /// Per user (one entry, user `""`, in the client).
    pub users: Vec<UserSnapshot>,
    /// Per forward.
    pub forwards: Vec<ForwardSnapshot>,
}

/// A label value from possibly hostile text: control characters replaced, length cut.
fn label(s: &str) -> String {
    s.chars()
        .take(MAX_LABEL)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn add(a: &mut StatsSnapshot, b: &StatsSnapshot) {
    a.connections = a.connections.saturating_add(b.connections);
    a.active = a.active.saturating_add(b.active);
    a.failed = a.failed.saturating_add(b.failed);
    a.bytes_out = a.bytes_out.saturating_add(b.bytes_out);
    a.bytes_in = a.bytes_in.saturating_add(b.bytes_in);
    a.window_blocked_micros = a
        .window_blocked_micros
        .saturating_add(b.window_blocked_micros);
    add_latency(&mut a.connect, &b.connect);
}

fn add_latency(a: &mut LatencySnapshot, b: &LatencySnapshot) {
    for (x, y) in a.counts.iter_mut().zip(b.counts.iter()) {
        *x = x.saturating_add(*y);
    }
    a.sum_micros = a.sum_micros.saturating_add(b.sum_micros);
}

impl Metrics {
    /// Empty counters.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The hook for `Reconnect=yes`: one more reconnection was made.
    pub fn reconnected(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection of `user` (`""` in the client) is up; it counts until it ends.
    pub fn session_up(&self, user: &str, session: WeakSession) {
        let last = session.counters().unwrap_or_default();
        let mut state = self.state();
        // Without scrapes, ended sessions would pile up: fold them in now and then.
        if state.sessions.len() >= state.live.saturating_mul(2).saturating_add(16) {
            state.refresh();
        }
        state.sessions.push(Tracked {
            user: label(user),
            session,
            last,
        });
    }

    /// Counts `stats` under `forward` of `user` from now on, added to what the forward
    /// counted before (a forward set up again after a reconnect keeps counting up).
    pub fn add_forward(&self, user: &str, forward: &str, stats: Arc<ForwardStats>) {
        let mut state = self.state();
        let key = state.key(user, forward);
        let series = state.forwards.entry(key).or_default();
        // Counters nobody else holds any more can change no more: fold them in.
        let (done, live): (Vec<_>, Vec<_>) = std::mem::take(&mut series.live)
            .into_iter()
            .partition(|s| Arc::strong_count(s) == 1);
        for d in done {
            add(&mut series.ended, &d.snapshot());
        }
        series.live = live;
        series.live.push(stats);
    }

    /// burrowd as root: connection process `conn` of `user` (as its monitor verified the
    /// login) reported `report`; the user names inside the report are not trusted.
    pub fn report(&self, conn: u64, user: &str, mut report: Snapshot) {
        report.forwards.truncate(MAX_REPORTED);
        report.users.truncate(1);
        self.state().reported.insert(conn, (label(user), report));
    }

    /// Connection process `conn` ended: what it reported last stays counted.
    pub fn report_ended(&self, conn: u64) {
        let mut state = self.state();
        let Some((user, report)) = state.reported.remove(&conn) else {
            return;
        };
        let rekeys = report
            .users
            .iter()
            .fold(0u64, |a, u| a.saturating_add(u.rekeys));
        let total = state.ended_rekeys.entry(user.clone()).or_default();
        *total = total.saturating_add(rekeys);
        for f in report.forwards {
            let key = state.key(&user, &f.forward);
            let ended = &mut state.forwards.entry(key).or_default().ended;
            add(
                ended,
                &StatsSnapshot {
                    active: 0,
                    ..f.stats
                },
            );
        }
    }

    /// Reads every counter now.
    pub fn snapshot(&self) -> Snapshot {
        let mut state = self.state();
        state.refresh();
        let mut users: BTreeMap<String, UserSnapshot> = BTreeMap::new();
        for (user, &rekeys) in &state.ended_rekeys {
            users.entry(user.clone()).or_default().rekeys = rekeys;
        }
        for t in &state.sessions {
            let u = users.entry(t.user.clone()).or_default();
            u.connections_up += 1;
            u.rekeys = u.rekeys.saturating_add(t.last.rekeys);
            if let Some(rtt) = t.last.keepalive_rtt.map(|d| d.as_secs_f64()) {
                let longest = u.keepalive_rtt_seconds.map_or(rtt, |r| r.max(rtt));
                u.keepalive_rtt_seconds = Some(longest);
            }
        }
        for (user, report) in state.reported.values() {
            let u = users.entry(user.clone()).or_default();
            for r in &report.users {
                u.connections_up = u.connections_up.saturating_add(r.connections_up);
                u.rekeys = u.rekeys.saturating_add(r.rekeys);
                if let Some(rtt) = r.keepalive_rtt_seconds {
                    let longest = u.keepalive_rtt_seconds.map_or(rtt, |l| l.max(rtt));
                    u.keepalive_rtt_seconds = Some(longest);
                }
            }
        }
        if users.is_empty() {
            users.insert(String::new(), UserSnapshot::default());
        }
        let users = users
            .into_iter()
            .map(|(user, u)| UserSnapshot { user, ..u })
            .collect();
        let mut merged: BTreeMap<(String, String), StatsSnapshot> = BTreeMap::new();
        for (key, series) in &state.forwards {
            let stats = merged.entry(key.clone()).or_default();
            add(stats, &series.ended);
            for s in &series.live {
                add(stats, &s.snapshot());
            }
        }
        for (user, report) in state.reported.values() {
            for f in &report.forwards {
                add(
                    merged.entry(state.key(user, &f.forward)).or_default(),
                    &f.stats,
                );
            }
        }
        let forwards = merged
            .into_iter()
            .map(|((user, forward), stats)| ForwardSnapshot {
                user,
                forward,
                stats,
            })
            .collect();
        Snapshot {
            reconnects: self.reconnects.load(Ordering::Relaxed),
            users,
            forwards,
        }
    }
}

impl State {
    /// Reads the live sessions' counters; those that ended leave their rekeys in the totals.
    fn refresh(&mut self) {
        let sessions = std::mem::take(&mut self.sessions);
        for mut t in sessions {
            match t.session.counters() {
                Some(c) if !c.closed => {
                    t.last = c;
                    self.sessions.push(t);
                }
                ended => {
                    t.last = ended.unwrap_or(t.last);
                    let n = self.ended_rekeys.entry(t.user).or_default();
                    *n = n.saturating_add(t.last.rekeys);
                }
            }
        }
        self.live = self.sessions.len();
    }

    /// The series key of `forward` of `user`, or [`OTHER`] once there are too many.
    fn key(&self, user: &str, forward: &str) -> (String, String) {
        let key = (label(user), label(forward));
        if self.forwards.len() < MAX_SERIES || self.forwards.contains_key(&key) {
            key
        } else {
            (key.0, OTHER.to_owned())
        }
    }
}

impl StatsLedger for Metrics {
    fn stats_for(&self, user: &str, forward: &str) -> Arc<ForwardStats> {
        let mut state = self.state();
        let key = state.key(user, forward);
        let series = state.forwards.entry(key).or_default();
        match series.live.first() {
            Some(s) => s.clone(),
            None => {
                let s = ForwardStats::new();
                series.live.push(s.clone());
                s
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn stats(bytes_in: u64, active: u64) -> StatsSnapshot {
        StatsSnapshot {
            connections: 1,
            active,
            bytes_in,
            ..StatsSnapshot::default()
        }
    }

    #[test]
    fn series_past_the_cap_are_other_and_labels_are_cleaned() {
        let m = Metrics::new();
        for i in 0..MAX_SERIES {
            m.stats_for("u", &format!("direct-tcpip h:{i}"));
        }
        let first = m.stats_for("u", "direct-tcpip h:0");
        assert!(Arc::ptr_eq(&first, &m.stats_for("u", "direct-tcpip h:0")));
        m.stats_for("u", "one too many");
        m.stats_for("u\u{1b}[31m", &"x".repeat(500));
        let s = m.snapshot();
        // Past the cap, one (other) series per user.
        assert_eq!(s.forwards.len(), MAX_SERIES + 2);
        let last = s.forwards.iter().find(|f| f.forward == OTHER);
        assert_eq!(last.map(|f| f.user.as_str()), Some("u"));
        let other = s.forwards.iter().find(|f| f.user != "u");
        assert_eq!(other.map(|f| f.user.as_str()), Some("u?[31m"));
        assert_eq!(other.map(|f| f.forward.len()), Some(OTHER.len()));
    }

    #[test]
    fn reported_counters_stay_after_the_connection_ends() {
        let m = Metrics::new();
        let report = |bytes_in, up| Snapshot {
            reconnects: 0,
            users: vec![UserSnapshot {
                user: "forged".into(),
                connections_up: up,
                rekeys: 2,
                keepalive_rtt_seconds: Some(0.5),
            }],
            forwards: vec![ForwardSnapshot {
                user: "forged".into(),
                forward: "direct-tcpip h:1".into(),
                stats: stats(bytes_in, 1),
            }],
        };
        m.report(1, "alice", report(10, 1));
        m.report(2, "alice", report(5, 1));
        m.report(1, "alice", report(20, 1));
        let s = m.snapshot();
        assert_eq!(s.users.len(), 1);
        assert_eq!(
            (s.users[0].user.as_str(), s.users[0].connections_up),
            ("alice", 2)
        );
        assert_eq!(s.users[0].rekeys, 4);
        assert_eq!(s.forwards.len(), 1);
        assert_eq!(
            (s.forwards[0].stats.bytes_in, s.forwards[0].stats.active),
            (25, 2)
        );
        m.report_ended(1);
        m.report_ended(2);
        let s = m.snapshot();
        assert_eq!((s.users[0].connections_up, s.users[0].rekeys), (0, 4));
        assert_eq!(s.users[0].keepalive_rtt_seconds, None);
        let f = &s.forwards[0];
        assert_eq!(
            (f.user.as_str(), f.stats.bytes_in, f.stats.active),
            ("alice", 25, 0)
        );
        assert_eq!(f.stats.connections, 2);
    }

    #[test]
    fn a_forward_set_up_again_keeps_counting_up() {
        let m = Metrics::new();
        let old = ForwardStats::new();
        m.add_forward("", "-R 0:h:1", old.clone());
        drop(old);
        m.add_forward("", "-R 0:h:1", ForwardStats::new());
        let s = m.snapshot();
        assert_eq!(s.forwards.len(), 1);
        assert_eq!(s.users[0].connections_up, 0);
    }
}
