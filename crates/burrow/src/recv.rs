//! The channel-data receive path: `Channel::poll_read_chunk` (`SessionCore::poll_read`) hands
//! out received data as the slices it arrived in and grants the peer window as it goes.

use std::io;
use std::task::{Poll, Waker};

use burrow_connection::{Connection, LocalChannelId};
use bytes::Bytes;

use crate::core::SessionCore;
use crate::slot::park;

impl SessionCore {
    /// Takes up to `max` received bytes of channel `id` without copying them; `Ok(None)` at
    /// end of stream (or once the channel is gone). With nothing received, parks `waker`
    /// until data, EOF or the end of the session. Window growth is logged in `span`.
    pub(crate) fn poll_read(
        &mut self,
        id: LocalChannelId,
        max: usize,
        waker: &Waker,
        span: &tracing::Span,
    ) -> Poll<io::Result<Option<Bytes>>> {
        let Some(conn) = self.conn.as_mut() else {
            return Poll::Ready(Err(self.closed_error().into()));
        };
        conn.set_now(crate::driver::now()); // receive windows are sized from read times
        let size = |c: &Connection| c.recv_window(id).map(|w| w.size());
        let before = size(conn);
        match conn.read(id, max) {
            Ok(Some(chunk)) => {
                if let (Some(old), Some(new)) = (before, size(conn)) {
                    if new > old {
                        let committed = conn.committed_window();
                        let budget = conn.config().window_budget;
                        tracing::debug!(parent: span, old, new, committed, budget,
                            "receive window grown to {new} bytes (connection commits {committed} of {budget})");
                    }
                }
                return Poll::Ready(Ok(Some(chunk)));
            }
            Ok(None) => {}
            // The channel is gone (closed both ways): end of stream.
            Err(_) => return Poll::Ready(Ok(None)),
        }
        if max == 0 {
            return Poll::Ready(Ok(Some(Bytes::new())));
        }
        if conn.peer_finished(id) {
            return Poll::Ready(Ok(None));
        }
        if self.closed.is_some() {
            return Poll::Ready(Err(self.closed_error().into()));
        }
        match self.slots.get_mut(&id) {
            Some(slot) => {
                park(&mut slot.read_waker, waker);
                Poll::Pending
            }
            None => Poll::Ready(Ok(None)),
        }
    }

    /// True when the connection layer has messages for the driver to send.
    pub(crate) fn has_messages(&self) -> bool {
        self.conn.as_ref().is_some_and(Connection::has_messages)
    }
}
