//! One channel's record in the table: its state, the peer's id, both windows and its queues.

use std::collections::VecDeque;

use crate::buffer::RecvBuffer;
use crate::id::{ChannelRequestId, RemoteChannelId};
use crate::reply::ReplyQueue;
use crate::state::ChannelState;
use crate::tune::Tuner;
use crate::window::{RecvWindow, SendWindow};

/// A channel's requests waiting for replies (each queue bounded by the pending-request limit).
#[derive(Debug, Default)]
pub struct Requests {
    /// The peer's requests waiting for our replies.
    pub replies: ReplyQueue<bool>,
    /// Our requests waiting for the peer's replies.
    pub outstanding: VecDeque<ChannelRequestId>,
}

/// Everything the connection keeps for one channel. Idle, it holds no heap memory: the
/// queues allocate on first use and release when drained or when the channel closes.
#[derive(Debug)]
pub struct Channel {
    /// Where the channel is in its life.
    pub state: ChannelState,
    /// The peer's id; meaningless (0) while our open is unconfirmed.
    pub remote: RemoteChannelId,
    /// Our right to send.
    pub send_window: SendWindow,
    /// The peer's right to send, and the credit we owe.
    pub recv_window: RecvWindow,
    /// Received data the application has not read.
    pub buffer: RecvBuffer,
    /// Extended data bytes handed out in events and not yet credited.
    pub ext_pending: u32,
    /// Requests waiting for replies, both ways: made by the first, freed when none waits.
    pub requests: Option<Box<Requests>>,
    /// Measurements that size the receive window.
    pub tuner: Tuner,
    /// What the receive window counts against the connection's budget.
    pub charged: u64,
}

impl Channel {
    /// A channel in `state` with the given windows.
    pub fn new(
        state: ChannelState,
        remote: RemoteChannelId,
        send_window: SendWindow,
        recv_window: RecvWindow,
    ) -> Self {
        Self {
            state,
            remote,
            send_window,
            recv_window,
            buffer: RecvBuffer::default(),
            ext_pending: 0,
            requests: None,
            tuner: Tuner::default(),
            charged: 0,
        }
    }

    /// Drops what a closing channel no longer needs: unread data (credited, though no adjust
    /// will go out) and both request queues.
    pub fn drop_queues(&mut self) {
        let unread = self.buffer.clear();
        self.recv_window
            .on_discarded(u32::try_from(unread).unwrap_or(u32::MAX));
        self.requests = None;
    }

    /// The request queues, made on first use.
    pub fn requests(&mut self) -> &mut Requests {
        self.requests.get_or_insert_with(Box::default)
    }

    /// Replies we owe the peer.
    pub fn owed_replies(&self) -> usize {
        self.requests.as_ref().map_or(0, |r| r.replies.len())
    }

    /// Frees the request queues once nothing waits in either.
    pub fn tidy_requests(&mut self) {
        if self
            .requests
            .as_ref()
            .is_some_and(|r| r.replies.is_empty() && r.outstanding.is_empty())
        {
            self.requests = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn drop_queues_credits_unread_data() {
        let mut c = Channel::new(
            ChannelState::Offered,
            RemoteChannelId(1),
            SendWindow::new(10, 10),
            RecvWindow::new(100, 100),
        );
        c.recv_window.on_data(5).unwrap();
        c.buffer.push(Bytes::from_static(b"hello"), 5);
        c.requests().replies.push_pending(1);
        c.requests().outstanding.push_back(ChannelRequestId(2));
        c.drop_queues();
        assert!(c.buffer.is_empty());
        assert!(c.requests.is_none());
        assert_eq!(c.recv_window.buffered(), 0);
        assert_eq!(c.recv_window.owed(), 5);
    }

    #[test]
    fn idle_channel_is_small() {
        assert!(core::mem::size_of::<Channel>() <= 160);
    }
}
