//! The OpenMetrics text of a [`Snapshot`], written with `prometheus-client` at each scrape.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use super::book::{ForwardSnapshot, Metrics, Snapshot, UserSnapshot};
use burrow_forward::CONNECT_BUCKETS;
use std::sync::Arc;

/// Labels of one sample: `user` (burrowd only), `forward`, `direction`.
type Labels = Vec<(&'static str, String)>;

/// Reads the counters on each scrape.
#[derive(Debug)]
struct Scrape(Arc<Metrics>);

/// The page: every metric of `metrics` now, ending with `# EOF`.
pub fn render(metrics: &Arc<Metrics>) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape(metrics.clone())));
    let mut out = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
        tracing::warn!("metrics not encoded: {e}");
    }
    out
}

fn user_labels(u: &UserSnapshot) -> Labels {
    match u.user.as_str() {
        "" => Vec::new(),
        user => vec![("user", user.to_owned())],
    }
}

fn forward_labels(f: &ForwardSnapshot) -> Labels {
    let mut l = match f.user.as_str() {
        "" => Vec::new(),
        user => vec![("user", user.to_owned())],
    };
    l.push(("forward", f.forward.clone()));
    l
}

/// One metric with a sample per item of `items` that `value` gives a value for.
fn family<T, V>(
    encoder: &mut DescriptorEncoder,
    (name, help, unit, kind): (&str, &str, Option<&Unit>, MetricType),
    items: &[T],
    value: impl Fn(&T) -> Option<(Labels, V)>,
) -> Result<(), std::fmt::Error>
where
    V: Sample,
{
    let mut metric = encoder.encode_descriptor(name, help, unit, kind)?;
    for item in items {
        if let Some((labels, v)) = value(item) {
            v.write(metric.encode_family(&labels)?)?;
        }
    }
    Ok(())
}

/// A value written as a counter or a gauge.
trait Sample {
    fn write(&self, m: prometheus_client::encoding::MetricEncoder<'_>) -> std::fmt::Result;
}

/// A counter's value.
struct Count<T>(T);
/// A gauge's value.
struct Level<T>(T);

impl Sample for Count<u64> {
    fn write(&self, mut m: prometheus_client::encoding::MetricEncoder<'_>) -> std::fmt::Result {
        m.encode_counter::<NoLabelSet, _, u64>(&self.0, None)
    }
}

impl Sample for Count<f64> {
    fn write(&self, mut m: prometheus_client::encoding::MetricEncoder<'_>) -> std::fmt::Result {
        m.encode_counter::<NoLabelSet, _, f64>(&self.0, None)
    }
}

impl Sample for Level<u64> {
    fn write(&self, mut m: prometheus_client::encoding::MetricEncoder<'_>) -> std::fmt::Result {
        m.encode_gauge(&self.0)
    }
}

impl Sample for Level<f64> {
    fn write(&self, mut m: prometheus_client::encoding::MetricEncoder<'_>) -> std::fmt::Result {
        m.encode_gauge(&self.0)
    }
}

impl Collector for Scrape {
    fn encode(&self, mut e: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s: Snapshot = self.0.snapshot();
        let (counter, gauge) = (MetricType::Counter, MetricType::Gauge);
        let up = "1 while the SSH connection is up (burrowd: connections up per user)";
        family(
            &mut e,
            ("burrow_connection_up", up, None, gauge),
            &s.users,
            |u| Some((user_labels(u), Level(u.connections_up))),
        )?;
        let help = "Reconnections made after the connection was lost";
        family(
            &mut e,
            ("burrow_reconnects", help, None, counter),
            &[s.reconnects],
            |&n| Some((Vec::new(), Count(n))),
        )?;
        let help = "Key re-exchanges after the first";
        family(
            &mut e,
            ("burrow_rekeys", help, None, counter),
            &s.users,
            |u| Some((user_labels(u), Count(u.rekeys))),
        )?;
        let help =
            "Round trip of the last answered keepalive (ServerAliveInterval, ClientAliveInterval)";
        let unit = Some(&Unit::Seconds);
        family(
            &mut e,
            ("burrow_keepalive_rtt", help, unit, gauge),
            &s.users,
            |u| Some((user_labels(u), Level(u.keepalive_rtt_seconds?))),
        )?;
        encode_forwards(&mut e, &s.forwards)
    }
}

fn encode_forwards(e: &mut DescriptorEncoder, f: &[ForwardSnapshot]) -> std::fmt::Result {
    let (counter, gauge) = (MetricType::Counter, MetricType::Gauge);
    let help = "Bytes forwarded: out from the side that connected, in back to it";
    let mut bytes = e.encode_descriptor("burrow_forward_bytes", help, None, counter)?;
    for fw in f {
        for (direction, n) in [("in", fw.stats.bytes_in), ("out", fw.stats.bytes_out)] {
            let mut labels = forward_labels(fw);
            labels.push(("direction", direction.to_owned()));
            Count(n).write(bytes.encode_family(&labels)?)?;
        }
    }
    let help = "Connections accepted (or channels received) by the forward";
    family(
        e,
        ("burrow_forward_channels", help, None, counter),
        f,
        |fw| Some((forward_labels(fw), Count(fw.stats.connections))),
    )?;
    let help = "Connections the forward carries now";
    family(
        e,
        ("burrow_forward_channels_open", help, None, gauge),
        f,
        |fw| Some((forward_labels(fw), Level(fw.stats.active))),
    )?;
    let help = "Connections that ended because the channel open or the target connect failed";
    family(
        e,
        ("burrow_forward_open_failures", help, None, counter),
        f,
        |fw| Some((forward_labels(fw), Count(fw.stats.failed))),
    )?;
    let help =
        "Time writes to the channel waited for the peer's window (or the connection's send budget)";
    let name = "burrow_forward_window_blocked";
    family(e, (name, help, Some(&Unit::Seconds), counter), f, |fw| {
        let secs = fw.stats.window_blocked_micros as f64 / 1e6;
        Some((forward_labels(fw), Count(secs)))
    })?;
    let help = "Time to reach the target: the channel open, or the connect here";
    let name = "burrow_forward_connect";
    let kind = MetricType::Histogram;
    let mut hist = e.encode_descriptor(name, help, Some(&Unit::Seconds), kind)?;
    for fw in f {
        let c = &fw.stats.connect;
        let bounds = CONNECT_BUCKETS.iter().copied().chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> = bounds.zip(c.counts.iter().copied()).collect();
        let labels = forward_labels(fw);
        let sum = c.sum_micros as f64 / 1e6;
        hist.encode_family(&labels)?
            .encode_histogram::<NoLabelSet>(sum, c.count(), &buckets, None)?;
    }
    Ok(())
}
