//! Joining a local stream and an SSH channel: both directions copied at once, EOF passed on
//! as a half-close, the last bytes delivered before the end, and the join ended when the
//! peer closes the channel (so a held-open target cannot keep a dead channel alive).

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use burrow::Channel;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::stats::ForwardStats;

/// Bytes copied per read, per direction. The buffer exists only while data flows: it is
/// freed whenever the reader has nothing (an idle connection holds no buffer).
const BUF: usize = 16 * 1024;

/// Which side of a join started the connection: its bytes count as `bytes_out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The local stream connected (`-L`, `-D`, a server's remote-forward listener).
    Stream,
    /// The channel came in (`-R` on the client, direct-tcpip on the server).
    Channel,
}

/// One direction: a buffer between a reader and a writer.
struct Half {
    buf: Option<Box<[u8]>>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
    total: u64,
    /// Bytes were written since the last flush. A buffered writer (tokio's `Stdout` for
    /// `-W`) must be flushed once the reader runs dry, or what follows the last newline waits.
    unflushed: bool,
    /// Whether this direction's reads count as `bytes_out` (else `bytes_in`).
    outward: bool,
}

impl Half {
    fn new(outward: bool) -> Self {
        Self {
            buf: None,
            start: 0,
            end: 0,
            eof: false,
            done: false,
            total: 0,
            unflushed: false,
            outward,
        }
    }

    /// Copies until the reader is pending or at EOF (then flushes and shuts the writer down).
    fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        r: &mut R,
        w: &mut W,
        stats: &ForwardStats,
    ) -> Poll<io::Result<()>>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        loop {
            if self.start == self.end && !self.eof {
                let buf = self
                    .buf
                    .get_or_insert_with(|| vec![0u8; BUF].into_boxed_slice());
                let mut rb = ReadBuf::new(buf);
                let polled = Pin::new(&mut *r).poll_read(cx, &mut rb);
                let n = rb.filled().len();
                match polled {
                    Poll::Pending => {
                        self.buf = None;
                        if self.unflushed {
                            ready!(Pin::new(&mut *w).poll_flush(cx))?;
                            self.unflushed = false;
                        }
                        return Poll::Pending;
                    }
                    Poll::Ready(r) => r?,
                }
                if n == 0 {
                    self.eof = true;
                } else {
                    (self.start, self.end) = (0, n);
                    let n = u64::try_from(n).unwrap_or(u64::MAX);
                    if self.outward {
                        stats.add_out(n);
                    } else {
                        stats.add_in(n);
                    }
                }
            }
            while self.start < self.end {
                let pending = self
                    .buf
                    .as_deref()
                    .and_then(|b| b.get(self.start..self.end))
                    .unwrap_or_default();
                let n = ready!(Pin::new(&mut *w).poll_write(cx, pending))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.start += n;
                self.unflushed = true;
                self.total = self
                    .total
                    .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
            }
            if self.eof {
                self.buf = None;
                ready!(Pin::new(&mut *w).poll_flush(cx))?;
                ready!(Pin::new(&mut *w).poll_shutdown(cx))?;
                self.done = true;
                return Poll::Ready(Ok(()));
            }
        }
    }
}

/// True once the peer closed the channel (or the session died); registers for a wake-up
/// otherwise. A forwarding channel never carries an exit status, so `exit_status` resolving
/// means exactly that.
fn peer_closed(channel: &Channel, cx: &mut Context<'_>) -> bool {
    let fut = pin!(channel.exit_status());
    fut.poll(cx).is_ready()
}

/// Joins `stream` and `channel` until both directions are done: EOF on one side becomes a
/// shutdown (EOF) of the other while the reverse direction keeps flowing; once the peer has
/// closed the channel and everything it sent was delivered, the join ends even if the stream
/// stays open. An error on either side ends only this pair (dropping the channel sends
/// CLOSE). Returns (bytes stream→channel, bytes channel→stream).
pub async fn join<S>(
    mut stream: S,
    mut channel: Channel,
    stats: &Arc<ForwardStats>,
    origin: Origin,
) -> io::Result<(u64, u64)>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let from_stream = origin == Origin::Stream;
    let (mut up, mut down) = (Half::new(from_stream), Half::new(!from_stream));
    std::future::poll_fn(|cx| {
        if !up.done {
            if let Poll::Ready(Err(e)) = up.poll_copy(cx, &mut stream, &mut channel, stats) {
                return Poll::Ready(Err(e));
            }
        }
        if !down.done {
            if let Poll::Ready(Err(e)) = down.poll_copy(cx, &mut channel, &mut stream, stats) {
                return Poll::Ready(Err(e));
            }
        }
        if down.done && (up.done || peer_closed(&channel, cx)) {
            return Poll::Ready(Ok((up.total, down.total)));
        }
        Poll::Pending
    })
    .await
}
