//! One channel's record in the table: its state, the peer's id, both windows and its queues.

use std::collections::VecDeque;

use crate::buffer::RecvBuffer;
use crate::id::{ChannelRequestId, RemoteChannelId};
use crate::reply::ReplyQueue;
use crate::state::ChannelState;
use crate::tune::Tuner;
use crate::window::{RecvWindow, SendWindow};

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
    /// The peer's requests waiting for our replies (bounded by the pending-request limit).
    pub replies: ReplyQueue<bool>,
    /// Our requests waiting for the peer's replies (bounded by the same limit).
    pub outstanding: VecDeque<ChannelRequestId>,
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
            replies: ReplyQueue::default(),
            outstanding: VecDeque::new(),
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
        self.replies.clear();
        self.outstanding = VecDeque::new();
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
        c.replies.push_pending(1);
        c.outstanding.push_back(ChannelRequestId(2));
        c.drop_queues();
        assert!(c.buffer.is_empty());
        assert!(c.replies.is_empty());
        assert!(c.outstanding.is_empty());
        assert_eq!(c.recv_window.buffered(), 0);
        assert_eq!(c.recv_window.owed(), 5);
    }

    #[test]
    fn idle_channel_is_small() {
        assert!(core::mem::size_of::<Channel>() <= 208);
    }
}
