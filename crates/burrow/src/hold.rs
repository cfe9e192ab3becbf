//! Backpressure on the peer: connection-layer payloads held back while replies are owed past
//! the limit, and when the driver stops reading the peer.

use burrow_connection::Connection;
use bytes::Bytes;

use crate::budget::SEND_HIGH_WATER;
use crate::core::SessionCore;
use crate::error::{Error, ErrorKind};

/// Messages other than channel data (replies, refusals, window adjustments) waiting in the
/// connection layer for the send budget, past which the driver stops reading the peer: a peer
/// that sends requests and never reads the answers then fills its own socket buffers, not
/// our memory. Data is not counted: it is bounded by the send budget already, and a peer
/// that must read before we read would deadlock with one that does the same.
pub(crate) const MAX_QUEUED_MESSAGES: usize = 4096;

/// Ciphertext waiting for the socket past which the driver stops reading. The core seals
/// past `SEND_HIGH_WATER` only what one read provokes, so this is a backstop.
pub(crate) const READ_PAUSE_OUTPUT: usize = 2 * SEND_HIGH_WATER;

impl SessionCore {
    /// Hands a connection payload to the connection layer, or holds it (and everything after
    /// it, to keep the order) while the layer owes as many replies as it may.
    pub(crate) fn handle_or_hold(
        &mut self,
        payload: Bytes,
        allocation: usize,
    ) -> Result<(), Error> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        if !self.held.is_empty() || !conn.is_ready_for(&payload) {
            self.held.push_back((payload, allocation));
            return Ok(());
        }
        self.handle_connection_payload(&payload, allocation)
    }

    /// Feeds held payloads to the connection layer while it has room for them (the
    /// application answered some requests).
    pub(crate) fn release_held(&mut self) -> Result<(), Error> {
        while let Some((payload, _)) = self.held.front() {
            if !self.conn.as_ref().is_some_and(|c| c.is_ready_for(payload)) {
                break;
            }
            let Some((payload, allocation)) = self.held.pop_front() else {
                break;
            };
            self.handle_connection_payload(&payload, allocation)?;
        }
        if self.held.is_empty() && self.held.capacity() > 64 {
            self.held = std::collections::VecDeque::new();
        }
        Ok(())
    }

    fn handle_connection_payload(
        &mut self,
        payload: &Bytes,
        allocation: usize,
    ) -> Result<(), Error> {
        if let Some(conn) = self.conn.as_mut() {
            if let Err(e) = conn.handle_message_in(payload, allocation) {
                return Err(self.error(ErrorKind::Connection(e)));
            }
        }
        self.process_connection_events();
        Ok(())
    }

    /// True while the driver must not read the peer: payloads are held, replies wait past
    /// `MAX_QUEUED_MESSAGES`, or `output` bytes of ciphertext are unwritten past
    /// `READ_PAUSE_OUTPUT`. Bound on what a peer that never reads makes us keep: the send
    /// budget of ciphertext, those messages, and what one read (64 KiB, or two of the peer's
    /// packets when they are larger) provokes.
    pub(crate) fn reads_paused(&self, output: usize) -> bool {
        !self.held.is_empty()
            || output >= READ_PAUSE_OUTPUT
            || self
                .conn
                .as_ref()
                .is_some_and(|c| Connection::queued_messages(c) >= MAX_QUEUED_MESSAGES)
    }
}
