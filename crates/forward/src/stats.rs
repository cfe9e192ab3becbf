//! Per-forward counters (connections, bytes each way) and a byte-counting stream wrapper.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Live counters of one forward, shared with the caller through [`ForwardStats::snapshot`].
#[derive(Debug, Default)]
pub struct ForwardStats {
    connections: AtomicU64,
    active: AtomicU64,
    failed: AtomicU64,
    bytes_out: AtomicU64,
    bytes_in: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
}

/// Counts one connection as active until dropped.
pub(crate) struct ActiveGuard(Arc<ForwardStats>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Which counter a [`Counted`] stream's reads add to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Way {
    /// Reads from the connecting side.
    Out,
    /// Reads from the target side.
    In,
}

/// A stream whose reads are added to one of the counters.
pub(crate) struct Counted<S> {
    inner: S,
    stats: Arc<ForwardStats>,
    way: Way,
}

impl<S> Counted<S> {
    pub(crate) fn new(inner: S, stats: Arc<ForwardStats>, way: Way) -> Self {
        Self { inner, stats, way }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        let n = u64::try_from(buf.filled().len().saturating_sub(before)).unwrap_or(u64::MAX);
        if n > 0 {
            let counter = match this.way {
                Way::Out => &this.stats.bytes_out,
                Way::In => &this.stats.bytes_in,
            };
            counter.fetch_add(n, Ordering::Relaxed);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Joins the connecting side `a` and the target side `b` until both directions are done:
/// EOF on one side is passed on as a shutdown (EOF) of the other while the reverse direction
/// keeps flowing. Returns (bytes a→b, bytes b→a); an error ends only this pair.
pub async fn join<A, B>(a: A, b: B, stats: &Arc<ForwardStats>) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let mut a = Counted::new(a, stats.clone(), Way::Out);
    let mut b = Counted::new(b, stats.clone(), Way::In);
    tokio::io::copy_bidirectional(&mut a, &mut b).await
}
