//! `--events PATH`: one JSON object per line for scripts (`connected`, `forward_ready`,
//! `forward_failed`, `channel_open`, `channel_close`, `disconnected`, `reconnecting`), each
//! with its `event` name and an RFC 3339 UTC `time`.
//!
//! Events go through a bounded queue to one writer task, so a slow or stuck reader never
//! blocks a tunnel: when [`QUEUE_LEN`] lines wait already, a new event is dropped and
//! counted, and the count is logged when the client ends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use burrow_forward::{ChannelObserver, ReadyForward};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Most event lines waiting for the writer; past it events are dropped (and counted).
pub const QUEUE_LEN: usize = 1024;

/// How long the client waits at exit for the writer to flush what is queued.
const FLUSH_WAIT: Duration = Duration::from_secs(2);

/// The sending side of the event stream; a disabled one (no `--events`) does nothing.
#[derive(Debug, Clone, Default)]
pub struct Events {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    /// Taken out (dropped) by [`Events::finish`], which ends the writer.
    tx: Mutex<Option<mpsc::Sender<String>>>,
    dropped: AtomicU64,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Events {
    /// Opens `path` for appending (`-` is standard output) and starts the writer task.
    pub fn open(path: &str) -> std::io::Result<Self> {
        let out: Box<dyn tokio::io::AsyncWrite + Send + Unpin> = if path == "-" {
            Box::new(tokio::io::stdout())
        } else {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            Box::new(tokio::fs::File::from_std(file))
        };
        let (tx, rx) = mpsc::channel(QUEUE_LEN);
        let writer = tokio::spawn(write_lines(rx, out));
        Ok(Self {
            inner: Some(Arc::new(Inner {
                tx: Mutex::new(Some(tx)),
                dropped: AtomicU64::new(0),
                writer: Mutex::new(Some(writer)),
            })),
        })
    }

    /// `connected {host, port}`: the connection is up and authenticated.
    pub fn connected(&self, host: &str, port: u16) {
        self.send("connected", json!({ "host": host, "port": port }));
    }

    /// `forward_ready {spec, listen, allocated_port}`.
    pub fn forward_ready(&self, ready: &ReadyForward) {
        self.send(
            "forward_ready",
            json!({
                "spec": ready.spec.to_string(),
                "listen": ready.listen,
                "allocated_port": ready.port,
            }),
        );
    }

    /// `forward_failed {spec, reason}`; `reason` may hold peer text and is escaped and cut.
    pub fn forward_failed(&self, spec: &burrow_forward::ForwardSpec, reason: &str) {
        self.send(
            "forward_failed",
            json!({ "spec": spec.to_string(), "reason": burrow::peer_text::line(reason) }),
        );
    }

    /// `disconnected {reason}`; `reason` is escaped and cut.
    pub fn disconnected(&self, reason: &str) {
        self.send(
            "disconnected",
            json!({ "reason": burrow::peer_text::line(reason) }),
        );
    }

    /// `reconnecting {attempt, delay_ms}`: attempt `attempt` (from 1) starts after `delay`.
    pub fn reconnecting(&self, attempt: u32, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.send(
            "reconnecting",
            json!({ "attempt": attempt, "delay_ms": ms }),
        );
    }

    /// Queues one line without waiting: dropped and counted when the queue is full.
    fn send(&self, event: &str, fields: Value) {
        let Some(inner) = &self.inner else {
            return;
        };
        let line = event_line(event, &jiff::Timestamp::now().to_string(), fields);
        let sent = match inner.tx.lock() {
            Ok(tx) => tx.as_ref().is_some_and(|tx| tx.try_send(line).is_ok()),
            Err(_) => false,
        };
        if !sent {
            inner.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Ends the stream: what is queued is written (waiting at most two seconds), and the
    /// number of dropped events is logged.
    pub async fn finish(&self) {
        let Some(inner) = &self.inner else {
            return;
        };
        if let Ok(mut tx) = inner.tx.lock() {
            tx.take();
        }
        let writer = inner.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = writer {
            if tokio::time::timeout(FLUSH_WAIT, w).await.is_err() {
                tracing::warn!("events: the writer did not finish in time");
            }
        }
        let dropped = inner.dropped.load(Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!("events: {dropped} events dropped (the reader was too slow)");
        }
    }
}

impl ChannelObserver for Events {
    fn channel_open(&self, forward: &str, id: u64) {
        self.send("channel_open", json!({ "forward": forward, "id": id }));
    }

    fn channel_close(
        &self,
        forward: &str,
        id: u64,
        bytes_in: u64,
        bytes_out: u64,
        duration: Duration,
    ) {
        let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        self.send(
            "channel_close",
            json!({
                "forward": forward,
                "id": id,
                "bytes_in": bytes_in,
                "bytes_out": bytes_out,
                "duration_ms": ms,
            }),
        );
    }
}

/// One JSON line: `event` and `time` joined with the event's own fields.
fn event_line(event: &str, time: &str, fields: Value) -> String {
    let mut obj = serde_json::Map::new();
    obj.insert("event".into(), event.into());
    obj.insert("time".into(), time.into());
    if let Value::Object(f) = fields {
        obj.extend(f);
    }
    let mut line = Value::Object(obj).to_string();
    line.push('\n');
    line
}

/// The writer task: each line written and flushed; stops at the first write error.
async fn write_lines(
    mut rx: mpsc::Receiver<String>,
    mut out: Box<dyn tokio::io::AsyncWrite + Send + Unpin>,
) {
    while let Some(line) = rx.recv().await {
        if let Err(e) = out.write_all(line.as_bytes()).await {
            tracing::warn!("events: write failed: {e}");
            return;
        }
        if rx.is_empty() && out.flush().await.is_err() {
            return;
        }
    }
    if let Err(e) = out.flush().await {
        tracing::debug!("events: flush failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_has_event_time_and_fields() {
        let line = event_line(
            "connected",
            "2026-01-02T03:04:05Z",
            json!({"host": "h", "port": 22}),
        );
        assert!(line.ends_with('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event"], "connected");
        assert_eq!(v["time"], "2026-01-02T03:04:05Z");
        assert_eq!(v["host"], "h");
        assert_eq!(v["port"], 22);
    }

    #[test]
    fn time_is_rfc3339_utc() {
        let t = jiff::Timestamp::now().to_string();
        assert!(t.ends_with('Z'), "{t}");
        assert!(t.parse::<jiff::Timestamp>().is_ok());
    }

    #[tokio::test]
    async fn full_queue_drops_and_counts_without_blocking() {
        // A writer that never completes: the queue fills, then events are dropped.
        let (tx, _rx) = mpsc::channel(QUEUE_LEN);
        let ev = Events {
            inner: Some(Arc::new(Inner {
                tx: Mutex::new(Some(tx)),
                dropped: AtomicU64::new(0),
                writer: Mutex::new(None),
            })),
        };
        for _ in 0..QUEUE_LEN + 5 {
            ev.disconnected("x");
        }
        let inner = ev.inner.as_ref().unwrap();
        assert_eq!(inner.dropped.load(Ordering::Relaxed), 5);
    }

    #[tokio::test]
    async fn peer_text_in_reason_is_escaped() {
        let (tx, mut rx) = mpsc::channel(4);
        let ev = Events {
            inner: Some(Arc::new(Inner {
                tx: Mutex::new(Some(tx)),
                dropped: AtomicU64::new(0),
                writer: Mutex::new(None),
            })),
        };
        ev.disconnected("bye\x1b[2J");
        let v: Value = serde_json::from_str(&rx.recv().await.unwrap()).unwrap();
        assert_eq!(v["reason"], "bye\\033[2J");
    }
}
