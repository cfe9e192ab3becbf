//! `MetricsListen` (burrow and burrowd): the counters as OpenMetrics text at `/metrics`.

mod book;
mod encode;
mod http;
mod listen;
mod report;

use std::net::SocketAddr;
use std::sync::Arc;

pub use book::{ForwardSnapshot, MAX_REPORTED, MAX_SERIES, Metrics, OTHER, Snapshot, UserSnapshot};
pub use encode::render;
pub use listen::parse_metrics_listen;
pub use report::{MAX_REPORT_LINE, Reports, report_line};

/// Binds `addr` and serves the page in the background; returns the address bound.
pub async fn start(addr: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tracing::debug!("metrics at http://{bound}/metrics");
    tokio::spawn(http::serve(listener, metrics));
    Ok(bound)
}
