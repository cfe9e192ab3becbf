//! The connection driver: the only code that awaits, reads the clock or touches the socket.
//! One task per connection runs it around the `SessionCore` mutex (ARCHITECTURE §3).

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::Notify;

use crate::core::{HostKeyFn, HostKeyQuestion, Incoming, SessionCore};
use crate::error::{Error, ErrorKind};
use crate::input_alloc::{READ_CHUNK, next_allocation};

/// How long the driver tries to deliver a final DISCONNECT.
const CLOSE_FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// The state of one connection shared by its driver and all its handles.
pub(crate) struct Shared {
    core: Mutex<SessionCore>,
    /// A handle changed something the driver must act on (data to send, credit to grant).
    pub(crate) notify: Notify,
    /// Woken when the session ends.
    pub(crate) ended: Notify,
    /// The connection's tracing span.
    pub(crate) span: tracing::Span,
}

impl Shared {
    /// Wraps a core.
    pub(crate) fn new(core: SessionCore, span: tracing::Span) -> Arc<Self> {
        Arc::new(Self {
            core: Mutex::new(core),
            notify: Notify::new(),
            ended: Notify::new(),
            span,
        })
    }

    /// Locks the core. Never held across an `.await`. A poisoned lock still guards consistent
    /// state (nothing in the core panics), so it is used as is.
    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionCore> {
        self.core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The clock as the core sees it (tokio's, so that paused time in tests works).
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}

/// Owns the socket halves and the I/O buffers of one connection.
pub(crate) struct Driver<S> {
    pub(crate) shared: Arc<Shared>,
    rd: ReadHalf<S>,
    wr: WriteHalf<S>,
    /// Received bytes not yet taken by the transport (at most one partial packet after a
    /// turn, plus one read).
    input: BytesMut,
    /// Ciphertext not yet written. Bound: the core stops sealing channel data past
    /// `SEND_HIGH_WATER`.
    output: BytesMut,
}

impl<S: AsyncRead + AsyncWrite + Send + 'static> Driver<S> {
    /// A driver for `stream`; the core's first flight (version line and KEXINIT) is queued.
    pub(crate) fn new(shared: Arc<Shared>, stream: S) -> Self {
        let (rd, wr) = tokio::io::split(stream);
        let mut output = BytesMut::new();
        {
            let mut core = shared.lock();
            let _queued: usize = core.transport.poll_transmit(&mut output);
            core.backlog = output.len();
        }
        Self {
            shared,
            rd,
            wr,
            input: BytesMut::with_capacity(READ_CHUNK),
            output,
        }
    }

    /// One turn: wait for input, room to write, a deadline or a handle; then let the core
    /// process it and collect what it wants sent.
    pub(crate) async fn turn(&mut self) -> Result<(), Error> {
        self.turn_until(None).await
    }

    /// A turn that also ends at `extra` (the handshake code's own timers).
    pub(crate) async fn turn_until(&mut self, extra: Option<Instant>) -> Result<(), Error> {
        let (core_deadline, paused, hint) = {
            let mut core = self.shared.lock();
            collect(&mut self.output, &mut core)?;
            // Every reply the peer provokes waits in `output` or the connection layer: while
            // too many do, or requests are held, the peer waits for us (backpressure).
            let paused = core.reads_paused(self.output.len());
            (
                core.poll_timeout(),
                paused,
                core.transport.input_packet_hint(),
            )
        };
        let deadline = match (core_deadline, extra) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let len = self.input.len();
        if let Some(size) = next_allocation(len, self.input.capacity() - len, hint) {
            // The same allocation if nothing received still uses it, else one of exactly
            // `size` bytes (`reserve` could double it).
            if !self.input.try_reclaim(size - len) {
                let mut fresh = BytesMut::with_capacity(size);
                fresh.extend_from_slice(&self.input);
                self.input = fresh;
            }
        }
        let mut got_input = false;
        let mut timed_out = false;
        let io_error = |e: std::io::Error, s: &Shared| s.lock().error(ErrorKind::Io(e));
        tokio::select! {
            r = self.rd.read_buf(&mut self.input), if !paused => match r {
                Ok(0) => return Err(self.shared.lock().error(ErrorKind::PeerClosedSocket)),
                Ok(_) => got_input = true,
                Err(e) => return Err(io_error(e, &self.shared)),
            },
            r = self.wr.write_buf(&mut self.output), if !self.output.is_empty() => {
                if let Err(e) = r {
                    return Err(io_error(e, &self.shared));
                }
            }
            () = sleep_until_opt(deadline) => timed_out = true,
            () = self.shared.notify.notified() => {}
        }
        let now = now();
        let question = {
            let mut core = self.shared.lock();
            if got_input {
                core.handle_input(&mut self.input, now)?;
            }
            if timed_out {
                core.handle_timeout(now)?;
            }
            // The handler may have answered requests: the held ones behind them go in now, so
            // that `run` hands what they ask for to the handler at once.
            core.release_held()?;
            collect(&mut self.output, &mut core)?;
            core.take_host_key_question()
        };
        if let Some((key, check)) = question {
            self.ask_host_key(key, check).await?;
        }
        self.write_now().await
    }

    /// Client: runs the host key check (which may read known_hosts files and ask on the
    /// terminal) on a blocking thread with the lock released, then answers it and processes
    /// the input that waited for the verdict.
    async fn ask_host_key(
        &mut self,
        (key, cert): HostKeyQuestion,
        check: Option<Arc<HostKeyFn>>,
    ) -> Result<(), Error> {
        let trusted = match check {
            Some(check) => {
                let k = key.clone();
                // A check that panicked trusts nothing.
                let asked = move || check(&k, cert.as_ref());
                self.blocking(asked).await?.unwrap_or(false)
            }
            None => false,
        };
        let mut core = self.shared.lock();
        core.answer_host_key(key, trusted)?;
        core.handle_input(&mut self.input, now())?;
        collect(&mut self.output, &mut core)
    }

    /// Runs a callback that may block (file reads, a terminal prompt) on a blocking thread,
    /// in the connection's span, and waits for it as [`Driver::wait_for`]; `None` if it
    /// panicked.
    pub(crate) async fn blocking<T: Send + 'static>(
        &mut self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Option<T>, Error> {
        let span = self.shared.span.clone();
        let task = tokio::task::spawn_blocking(move || span.in_scope(f));
        Ok(self.wait_for(task).await?.ok())
    }

    /// Awaits `fut` (a host key check, an agent signature, a prompt) without the lock, writing
    /// what is queued meanwhile; nothing is read until it is done, so what the peer sends
    /// waits in the socket.
    pub(crate) async fn wait_for<T>(&mut self, fut: impl Future<Output = T>) -> Result<T, Error> {
        tokio::pin!(fut);
        loop {
            tokio::select! {
                v = &mut fut => return Ok(v),
                r = self.wr.write_buf(&mut self.output), if !self.output.is_empty() => {
                    if let Err(e) = r {
                        return Err(self.shared.lock().error(ErrorKind::Io(e)));
                    }
                }
            }
        }
    }

    /// Writes what this turn sealed if the socket takes it now, without waiting: a byte that
    /// arrived goes out in the same turn, not after another round through `select!`.
    async fn write_now(&mut self) -> Result<(), Error> {
        if self.output.is_empty() {
            return Ok(());
        }
        let wr = &mut self.wr;
        let output = &self.output;
        let polled = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::pin::Pin::new(&mut *wr).poll_write(cx, output))
        })
        .await;
        match polled {
            std::task::Poll::Ready(Ok(n)) => {
                let n = n.min(self.output.len());
                bytes::Buf::advance(&mut self.output, n);
                Ok(())
            }
            std::task::Poll::Ready(Err(e)) => Err(self.shared.lock().error(ErrorKind::Io(e))),
            std::task::Poll::Pending => Ok(()),
        }
    }

    /// Runs turns until `done` says the handshake part is over.
    pub(crate) async fn run_until(
        &mut self,
        mut done: impl FnMut(&mut SessionCore) -> Result<bool, Error>,
    ) -> Result<(), Error> {
        loop {
            {
                let mut core = self.shared.lock();
                if done(&mut core)? {
                    return collect(&mut self.output, &mut core);
                }
            }
            self.turn().await?;
        }
    }

    /// Runs the connection phase until it ends; `on_incoming` answers the peer's channel
    /// opens and global requests (called without the lock held).
    pub(crate) async fn run(
        mut self,
        mut on_incoming: impl FnMut(&Arc<Shared>, Incoming),
    ) -> Option<Arc<Error>> {
        let err = loop {
            if let Err(e) = self.turn().await {
                break e;
            }
            let (incoming, stop) = {
                let mut core = self.shared.lock();
                let stop = if core.drained() {
                    Some(core.error(ErrorKind::LocallyClosed))
                } else {
                    None
                };
                (std::mem::take(&mut core.incoming), stop)
            };
            for i in incoming {
                on_incoming(&self.shared, i);
            }
            if let Some(e) = stop {
                break e;
            }
        };
        let shared = self.shared.clone();
        self.finish(err).await;
        shared.lock().closed.clone()
    }

    /// Ends a session that never got past its handshake: DISCONNECT for `err` where one is
    /// due, then the same as `finish`.
    pub(crate) async fn abort(self, err: &Error) {
        let stored = {
            let mut core = self.shared.lock();
            core.send_disconnect_for(err);
            core.error(ErrorKind::LocallyClosed)
        };
        self.finish(stored).await;
    }

    /// Ends the session with `err`: queues a DISCONNECT where one is due, writes what is
    /// left for a short while, and closes the socket.
    pub(crate) async fn finish(mut self, err: Error) {
        {
            let mut core = self.shared.lock();
            core.fail(err);
            let _appended: usize = core.transport.poll_transmit(&mut self.output);
        }
        self.shared.ended.notify_waiters();
        let flush = async {
            while !self.output.is_empty() {
                if self.wr.write_buf(&mut self.output).await.is_err() {
                    break;
                }
            }
            // The socket is going away either way.
            drop(self.wr.shutdown().await);
        };
        drop(tokio::time::timeout(CLOSE_FLUSH_TIMEOUT, flush).await);
    }
}

/// Moves everything the core has to send into `output`.
fn collect(output: &mut BytesMut, core: &mut SessionCore) -> Result<(), Error> {
    core.backlog = output.len();
    core.flush()?;
    let _appended: usize = core.transport.poll_transmit(output);
    core.backlog = output.len();
    if (core.transport.is_closed() || core.disconnect_requested) && core.closed.is_none() {
        return Err(core.error(ErrorKind::LocallyClosed));
    }
    Ok(())
}

/// Runs `fut` with the connection span entered on every poll.
pub(crate) fn in_span<F: Future>(
    span: tracing::Span,
    fut: F,
) -> tracing::instrument::Instrumented<F> {
    tracing::Instrument::instrument(fut, span)
}
