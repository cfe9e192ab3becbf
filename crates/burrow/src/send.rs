//! The channel-data send path: `Channel::poll_write` (`SessionCore::poll_write`) seals the
//! application's bytes straight into the transport's output buffer (one copy, no allocation)
//! whenever nothing is queued ahead of them.

use std::io;
use std::task::{Poll, Waker};

use burrow_connection::LocalChannelId;
use bytes::Bytes;

use crate::core::SessionCore;
use crate::error::{Error, ErrorKind};
use crate::slot::park;

/// Most bytes one `poll_write` takes, so that a single writer cannot fill the whole budget.
const MAX_WRITE_CHUNK: usize = 256 << 10;

/// Most bytes one call seals itself, so that the lock (which the driver needs to take the
/// sealed output) is held for a short while only.
const DIRECT_MAX: usize = 64 << 10;

impl SessionCore {
    /// `Channel::poll_write`: takes as much of `buf` as channel `id`'s window, the send budget
    /// and `MAX_WRITE_CHUNK` allow (the caller wakes the driver when that is more than 0);
    /// with no room, parks `waker` until the window or the budget opens.
    pub(crate) fn poll_write(
        &mut self,
        id: LocalChannelId,
        buf: &[u8],
        waker: &Waker,
    ) -> Poll<io::Result<usize>> {
        if self.closed.is_some() {
            return Poll::Ready(Err(self.closed_error().into()));
        }
        let budget = self.budget.available();
        let peer_closed = self.slots.get(&id).is_none_or(|s| s.peer_closed);
        let Some(conn) = self.conn.as_mut() else {
            return Poll::Ready(Err(self.closed_error().into()));
        };
        if peer_closed || conn.channel_state(id).is_none_or(|s| !s.can_send_data()) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                format!("channel {}: closed for writing", id.0),
            )));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let window = usize::try_from(conn.writable(id)).unwrap_or(usize::MAX);
        let n = buf.len().min(window).min(budget).min(MAX_WRITE_CHUNK);
        if n == 0 {
            if let Some(slot) = self.slots.get_mut(&id) {
                park(&mut slot.write_waker, waker);
            }
            if budget == 0 {
                self.budget.wait(id);
            }
            return Poll::Pending;
        }
        Poll::Ready(
            self.write_channel(id, buf.get(..n).unwrap_or_default())
                .map_err(|e| io::Error::new(io::ErrorKind::BrokenPipe, e)),
        )
    }

    /// Sends up to `buf.len()` bytes on channel `id` (the caller has already cut `buf` to the
    /// window and the send budget) and returns how many were taken.
    ///
    /// Queued payloads go first (`flush`); then, if the transport takes payloads and nothing
    /// is left queued, each packet's data is copied once, from `buf` into the packet the
    /// transport encrypts in place. Otherwise (a key exchange holds payloads, or the budget
    /// stopped the flush) the data is queued in the connection layer behind the rest.
    fn write_channel(&mut self, id: LocalChannelId, buf: &[u8]) -> Result<usize, Error> {
        self.flush()?;
        let accepting = self.transport.is_accepting_payloads();
        let Some(conn) = self.conn.as_mut() else {
            return Err(self.closed_error());
        };
        let mut taken = 0usize;
        if accepting {
            let buf = buf.get(..DIRECT_MAX).unwrap_or(buf);
            while let Some(rest) = buf.get(taken..).filter(|r| !r.is_empty()) {
                let claim = match conn.claim_data(id, rest.len()) {
                    Ok(Some(c)) => c,
                    Ok(None) => break,
                    Err(e) => return Err(self.error(ErrorKind::Connection(e))),
                };
                let data = rest.get(..claim.len()).unwrap_or_default();
                if let Err(e) = self.transport.send_payload_parts(&[claim.header(), data]) {
                    return Err(self.error(ErrorKind::Transport(e)));
                }
                // Sealed bytes count against the budget until the driver writes them.
                self.budget.sealed(claim.header().len() + data.len());
                taken = taken.saturating_add(data.len());
            }
            if taken > 0 || !conn.has_messages() {
                return Ok(taken);
            }
        }
        let mut data = Bytes::copy_from_slice(buf);
        let queued = conn
            .write(id, &mut data)
            .map_err(|e| self.error(ErrorKind::Connection(e)))?;
        self.budget.queued(queued);
        Ok(queued)
    }
}
