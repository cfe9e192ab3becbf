//! `Channel`: one SSH channel as a tokio byte stream (shutdown sends EOF, drop sends CLOSE),
//! plus the exit status and stderr of session channels.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use burrow_connection::LocalChannelId;
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::core::SessionCore;
use crate::driver::Shared;
use crate::slot::{ExitInfo, park};

/// An open channel. Reading takes received data and returns window credit to the peer;
/// writing waits while the peer's window (or the connection's send budget) is exhausted.
/// `shutdown` sends EOF; dropping the handle sends CLOSE.
pub struct Channel {
    shared: Arc<Shared>,
    id: LocalChannelId,
    span: tracing::Span,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel").field("id", &self.id.0).finish()
    }
}

fn closed_err(core: &SessionCore) -> io::Error {
    io::Error::from(core.closed_error())
}

impl Channel {
    /// A handle for a channel that already has its slot.
    pub(crate) fn new(shared: Arc<Shared>, id: LocalChannelId) -> Self {
        let span = tracing::debug_span!(parent: &shared.span, "channel", id = id.0);
        tracing::debug!(parent: &span, "channel open");
        Self { shared, id, span }
    }

    /// Our id for the channel.
    pub fn id(&self) -> u32 {
        self.id.0
    }

    /// Received bytes waiting to be read (never more than the window we granted).
    pub fn buffered(&self) -> usize {
        self.shared
            .lock()
            .conn
            .as_ref()
            .map_or(0, |c| c.buffered(self.id))
    }

    /// Takes the stderr (extended data) received so far; at most 64 KiB are kept unread.
    pub fn take_stderr(&self) -> Vec<u8> {
        let mut core = self.shared.lock();
        core.slots
            .get_mut(&self.id)
            .and_then(|s| s.extras.as_mut())
            .map(|e| e.stderr.split().to_vec())
            .unwrap_or_default()
    }

    /// Waits until the remote command's exit status (or signal) arrives, or the channel is
    /// closed without one (`None`).
    pub async fn exit_status(&self) -> Option<ExitInfo> {
        std::future::poll_fn(|cx| {
            let mut core = self.shared.lock();
            let dead = core.closed.is_some();
            let Some(slot) = core.slots.get_mut(&self.id) else {
                return Poll::Ready(None);
            };
            if let Some(exit) = slot.exit() {
                return Poll::Ready(Some(exit.clone()));
            }
            if slot.peer_closed || dead {
                return Poll::Ready(None);
            }
            let extras = slot.extras.get_or_insert_with(Box::default);
            park(&mut extras.exit_waker, cx.waker());
            Poll::Pending
        })
        .await
    }

    /// Sends EOF: we will write no more. Same as `AsyncWriteExt::shutdown`.
    pub fn send_eof(&self) -> io::Result<()> {
        let mut core = self.shared.lock();
        if core.closed.is_some() {
            return Err(closed_err(&core));
        }
        if let Some(conn) = core.conn.as_mut() {
            if let Err(e) = conn.eof(self.id) {
                tracing::trace!(parent: &self.span, error = %e, "eof on a closing channel");
            }
        }
        drop(core);
        self.shared.notify.notify_one();
        Ok(())
    }
}

impl Channel {
    /// Takes up to `max` received bytes as they arrived, without copying them (a slice of the
    /// packet they came in, or of the small-packet buffer); `Ok(None)` at end of stream.
    /// Reading grants the peer window credit, as `poll_read` does.
    pub fn poll_read_chunk(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
    ) -> Poll<io::Result<Option<Bytes>>> {
        let mut core = self.shared.lock();
        let polled = core.poll_read(self.id, max, cx.waker(), &self.span);
        // Reading may have owed the peer a window adjust: the driver sends it.
        if matches!(polled, Poll::Ready(Ok(Some(_)))) && core.has_messages() {
            self.shared.notify.notify_one();
        }
        polled
    }

    /// The most data bytes one CHANNEL_DATA to the peer carries (its maximum packet size, as
    /// far as we honour it); 0 once the channel is gone.
    pub fn max_packet(&self) -> usize {
        let core = self.shared.lock();
        let max = core
            .conn
            .as_ref()
            .and_then(|c| c.send_window(self.id))
            .map_or(0, |w| w.max_packet());
        usize::try_from(max).unwrap_or(usize::MAX)
    }
}

impl AsyncRead for Channel {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let chunk = ready!(self.get_mut().poll_read_chunk(cx, buf.remaining()))?;
        if let Some(chunk) = chunk {
            buf.put_slice(&chunk);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Channel {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let taken = ready!(this.shared.lock().poll_write(this.id, buf, cx.waker()))?;
        if taken > 0 {
            this.shared.notify.notify_one();
        }
        Poll::Ready(Ok(taken))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.send_eof())
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        tracing::debug!(parent: &self.span, "channel handle dropped");
        self.shared.lock().release_channel(self.id);
        self.shared.notify.notify_one();
    }
}
