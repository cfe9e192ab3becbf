//! Joining a local stream and an SSH channel: both directions copied at once, EOF passed on
//! as a half-close, the last bytes delivered before the end, and the join ended when the
//! peer closes the channel (so a held-open target cannot keep a dead channel alive).

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use burrow::Channel;
use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

use crate::stats::{ChannelRecord, ForwardStats, WindowWait};

/// Bytes read from the local stream at once: at least two of the peer's largest packets
/// (OpenSSH allows 32 KiB), so every CHANNEL_DATA goes out full and one read feeds several.
const READ_MIN: usize = 64 * 1024;
/// Upper bound of a read, whatever maximum packet size the peer announces.
const READ_MAX: usize = 256 * 1024;
/// Most received bytes taken from the channel at once (they are not copied).
const CHUNK_MAX: usize = 256 * 1024;
/// Most received chunks, and bytes, gathered into one vectored write to the stream: 8 of
/// OpenSSH's 32 KiB packets per system call instead of one.
const GATHER_CHUNKS: usize = 16;
const GATHER_BYTES: usize = 256 * 1024;

/// Which side of a join started the connection: its bytes count as `bytes_out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The local stream connected (`-L`, `-D`, a server's remote-forward listener).
    Stream,
    /// The channel came in (`-R` on the client, direct-tcpip on the server).
    Channel,
}

/// How one direction stands: its counts and flags (the bytes in flight are in [`Upload`] or
/// [`Download`], each holding only its own direction's queue).
struct Flow {
    total: u64,
    /// The last read filled the buffer: more is probably waiting, keep the buffer (upload).
    full: bool,
    eof: bool,
    done: bool,
    /// Bytes were written since the last flush. A buffered writer (tokio's `Stdout` for
    /// `-W`) must be flushed once the reader runs dry, or what follows the last newline waits.
    unflushed: bool,
    /// Whether this direction's reads count as `bytes_out` (else `bytes_in`).
    outward: bool,
}

impl Flow {
    fn new(outward: bool) -> Self {
        Self {
            total: 0,
            full: false,
            eof: false,
            done: false,
            unflushed: false,
            outward,
        }
    }

    fn count_read(&self, n: usize, stats: &ForwardStats) {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        if self.outward {
            stats.add_out(n);
        } else {
            stats.add_in(n);
        }
    }

    fn count_written(&mut self, n: usize) {
        self.unflushed = true;
        self.total = self
            .total
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
    }

    /// The reader has nothing now: flush what was written, then wait.
    fn idle<W: AsyncWrite + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        w: &mut W,
    ) -> Poll<io::Result<()>> {
        if self.unflushed {
            ready!(Pin::new(&mut *w).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Pending
    }

    /// At EOF with everything written: flush and shut the writer down.
    fn finish<W: AsyncWrite + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        w: &mut W,
    ) -> Poll<io::Result<()>> {
        ready!(Pin::new(&mut *w).poll_flush(cx))?;
        ready!(Pin::new(&mut *w).poll_shutdown(cx))?;
        self.done = true;
        Poll::Ready(Ok(()))
    }
}

/// Stream to channel: the bytes read and not yet written sit in `buf`, read without zeroing.
/// The buffer exists only while data flows: it is freed when the reader has nothing after a
/// read that did not fill it (a bulk sender fills every read, so it keeps the buffer between
/// reads; an idle or interactive connection holds none).
struct Upload {
    flow: Flow,
    buf: Vec<u8>,
    /// Bytes of `buf` already written.
    start: usize,
}

impl Upload {
    fn new(outward: bool) -> Self {
        Self {
            flow: Flow::new(outward),
            buf: Vec::new(),
            start: 0,
        }
    }

    /// Copies until the reader is pending or at EOF (then flushes and shuts the channel
    /// down). Reads are at least `read_size`.
    fn poll_upload<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        r: &mut R,
        w: &mut W,
        read_size: usize,
        stats: &ForwardStats,
    ) -> Poll<io::Result<()>>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        loop {
            if self.start == self.buf.len() && !self.flow.eof {
                self.buf.clear();
                self.start = 0;
                self.buf.reserve_exact(read_size);
                let polled = pin!(r.read_buf(&mut self.buf)).poll(cx);
                match polled {
                    Poll::Pending => {
                        if !self.flow.full {
                            self.buf = Vec::new();
                        }
                        return self.flow.idle(cx, w);
                    }
                    Poll::Ready(r) => r?,
                };
                let n = self.buf.len();
                self.flow.full = n == self.buf.capacity();
                if n == 0 {
                    self.flow.eof = true;
                } else {
                    self.flow.count_read(n, stats);
                }
            }
            while let Some(pending) = self.buf.get(self.start..).filter(|p| !p.is_empty()) {
                let n = ready!(Pin::new(&mut *w).poll_write(cx, pending))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.start += n;
                self.flow.count_written(n);
            }
            if self.flow.eof {
                self.buf = Vec::new();
                return self.flow.finish(cx, w);
            }
        }
    }
}

/// Channel to stream: the `Bytes` the channel received (slices of the decrypted packets, no
/// copy), several per vectored write; no allocation while idle.
struct Download {
    flow: Flow,
    /// Received chunks not yet written.
    chunks: VecDeque<Bytes>,
    /// Bytes in `chunks`.
    queued: usize,
}

impl Download {
    fn new(outward: bool) -> Self {
        Self {
            flow: Flow::new(outward),
            chunks: VecDeque::new(),
            queued: 0,
        }
    }

    /// Gathers the channel's received chunks as they are (up to `GATHER_CHUNKS` of them,
    /// `GATHER_BYTES` in all) and writes them with one vectored write, until the channel has
    /// nothing or is at EOF (then flushes and shuts the stream down).
    fn poll_download<W>(
        &mut self,
        cx: &mut Context<'_>,
        channel: &mut Channel,
        w: &mut W,
        stats: &ForwardStats,
    ) -> Poll<io::Result<()>>
    where
        W: AsyncWrite + Unpin,
    {
        loop {
            let mut reader_pending = false;
            while !self.flow.eof && self.chunks.len() < GATHER_CHUNKS && self.queued < GATHER_BYTES
            {
                match channel.poll_read_chunk(cx, CHUNK_MAX) {
                    Poll::Pending => {
                        reader_pending = true;
                        break;
                    }
                    Poll::Ready(Ok(Some(chunk))) => {
                        self.flow.count_read(chunk.len(), stats);
                        self.queued += chunk.len();
                        self.chunks.push_back(chunk);
                    }
                    Poll::Ready(Ok(None)) => self.flow.eof = true,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                }
            }
            while self.queued > 0 {
                let mut iov = [io::IoSlice::new(&[]); GATHER_CHUNKS];
                for (slot, chunk) in iov.iter_mut().zip(self.chunks.iter()) {
                    *slot = io::IoSlice::new(chunk);
                }
                let used = self.chunks.len().min(GATHER_CHUNKS);
                let iov = iov.get(..used).unwrap_or_default();
                let n = ready!(Pin::new(&mut *w).poll_write_vectored(cx, iov))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.consume_chunks(n);
                self.flow.count_written(n);
            }
            if self.flow.eof {
                return self.flow.finish(cx, w);
            }
            if reader_pending {
                self.chunks = VecDeque::new();
                return self.flow.idle(cx, w);
            }
        }
    }

    /// Drops the first `n` written bytes of the gathered chunks.
    fn consume_chunks(&mut self, mut n: usize) {
        self.queued = self.queued.saturating_sub(n);
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                return;
            };
            let take = n.min(front.len());
            front.advance(take);
            n -= take;
            if front.is_empty() {
                self.chunks.pop_front();
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
/// CLOSE). Resolves to (bytes stream→channel, bytes channel→stream).
pub fn join<S>(
    stream: S,
    channel: Channel,
    stats: &Arc<ForwardStats>,
    origin: Origin,
) -> impl Future<Output = io::Result<(u64, u64)>> + use<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    Join::new(stream, channel, stats, origin, None)
}

/// [`join`] for an observed channel: opens its record, joins, and reports the bytes
/// delivered each way, also when the join ends in an error.
pub(crate) fn join_observed<S>(
    stream: S,
    channel: Channel,
    stats: &Arc<ForwardStats>,
    origin: Origin,
) -> impl Future<Output = io::Result<(u64, u64)>> + use<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let record = stats.channel_opened();
    Join::new(stream, channel, stats, origin, record)
}

/// The join as one struct: what a task of an open connection holds is this and no copy of
/// it (nested `async fn`s would each keep their own stream and channel fields).
struct Join<S> {
    stream: S,
    channel: Channel,
    up: Upload,
    down: Download,
    /// Bytes per read from the stream (at most `READ_MAX`).
    read_size: u32,
    stats: Arc<ForwardStats>,
    /// While bytes read from the stream wait for the channel to take them: since when.
    blocked: Option<WindowWait>,
    /// An observed channel's record, reported when the join ends.
    record: Option<Box<ChannelRecord>>,
    origin: Origin,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Join<S> {
    fn new(
        stream: S,
        channel: Channel,
        stats: &Arc<ForwardStats>,
        origin: Origin,
        record: Option<Box<ChannelRecord>>,
    ) -> Self {
        let from_stream = origin == Origin::Stream;
        let read_size = channel.max_packet().clamp(READ_MIN, READ_MAX);
        let read_size = u32::try_from(read_size).unwrap_or(u32::MAX);
        Self {
            stream,
            channel,
            up: Upload::new(from_stream),
            down: Download::new(!from_stream),
            read_size,
            stats: stats.clone(),
            blocked: None,
            record,
            origin,
        }
    }

    /// Both directions until done, or the first error.
    fn poll_both(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Self {
            stream,
            channel,
            up,
            down,
            stats,
            blocked,
            ..
        } = self;
        if !up.flow.done {
            let polled = up.poll_upload(cx, stream, channel, self.read_size as usize, stats);
            let waiting = polled.is_pending() && up.start < up.buf.len();
            if waiting && blocked.is_none() {
                *blocked = Some(stats.window_wait());
            } else if !waiting {
                *blocked = None;
            }
            if let Poll::Ready(Err(e)) = polled {
                return Poll::Ready(Err(e));
            }
        }
        if !down.flow.done {
            if let Poll::Ready(Err(e)) = down.poll_download(cx, channel, stream, stats) {
                return Poll::Ready(Err(e));
            }
        }
        if down.flow.done && (up.flow.done || peer_closed(channel, cx)) {
            return Poll::Ready(Ok(()));
        }
        Poll::Pending
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Join<S> {
    type Output = io::Result<(u64, u64)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let r = ready!(this.poll_both(cx));
        this.blocked = None;
        let (up, down) = (this.up.flow.total, this.down.flow.total);
        if let Some(record) = this.record.take() {
            let (bytes_out, bytes_in) = if this.origin == Origin::Stream {
                (up, down)
            } else {
                (down, up)
            };
            this.stats.channel_closed(*record, bytes_in, bytes_out);
        }
        Poll::Ready(r.map(|()| (up, down)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader with `left` bytes to give that records how much room each read offered.
    struct Source {
        left: usize,
        offered: Vec<usize>,
        /// With nothing left: end of stream, or nothing yet (pending).
        eof: bool,
    }

    impl AsyncRead for Source {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if self.left == 0 && !self.eof {
                return Poll::Pending;
            }
            self.offered.push(buf.remaining());
            let n = buf.remaining().min(self.left);
            buf.put_slice(&vec![7u8; n]);
            self.left -= n;
            Poll::Ready(Ok(()))
        }
    }

    /// A writer that takes everything and records each write's size.
    #[derive(Default)]
    struct Sink {
        writes: Vec<usize>,
        shut: bool,
    }

    impl AsyncWrite for Sink {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.writes.push(buf.len());
            Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.shut = true;
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn upload_reads_and_writes_whole_read_size_chunks() {
        let mut source = Source {
            left: 200 << 10,
            offered: Vec::new(),
            eof: true,
        };
        let mut sink = Sink::default();
        let stats = ForwardStats::default();
        let mut half = Upload::new(true);
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let polled = half.poll_upload(&mut cx, &mut source, &mut sink, READ_MIN, &stats);
        assert!(matches!(polled, Poll::Ready(Ok(()))));
        assert!(
            source.offered.iter().all(|&n| n >= READ_MIN),
            "{:?}",
            source.offered
        );
        assert_eq!(sink.writes, [READ_MIN, READ_MIN, READ_MIN, 8 << 10]);
        assert!(sink.shut && half.flow.done);
        assert_eq!(half.flow.total, 200 << 10);
        assert_eq!(half.buf.capacity(), 0, "the buffer is freed at EOF");
    }

    #[test]
    fn upload_keeps_its_buffer_while_reads_fill_it_and_frees_it_when_idle() {
        let mut source = Source {
            left: READ_MIN,
            offered: Vec::new(),
            eof: false,
        };
        let mut sink = Sink::default();
        let stats = ForwardStats::default();
        let mut half = Upload::new(true);
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let polled = half.poll_upload(&mut cx, &mut source, &mut sink, READ_MIN, &stats);
        assert!(polled.is_pending());
        assert!(
            half.buf.capacity() >= READ_MIN,
            "a full read keeps the buffer"
        );
        source.left = 10;
        let polled = half.poll_upload(&mut cx, &mut source, &mut sink, READ_MIN, &stats);
        assert!(polled.is_pending());
        assert_eq!(
            half.buf.capacity(),
            0,
            "a short read, then nothing: no buffer"
        );
        assert_eq!(sink.writes, [READ_MIN, 10]);
    }

    #[test]
    fn an_open_join_is_small() {
        let size = std::mem::size_of::<Join<crate::net::LocalStream>>();
        eprintln!("Join<LocalStream>: {size} bytes");
        assert!(size <= 512, "{size}");
    }
}
