//! `SendBudget`: how much one connection buffers for sending (ciphertext the driver has not
//! written, channel data not yet sealed) and which channel writers wait for room.

use burrow_connection::LocalChannelId;

/// Bytes of ciphertext (written or not) plus channel data not yet sealed above which channel
/// writes wait: the bound on what one connection buffers for sending.
pub(crate) const SEND_HIGH_WATER: usize = 1 << 20;

/// The send budget of one connection. The driver reports what it holds unwritten; the core
/// counts what it seals and what the connection layer queues unsealed.
#[derive(Debug, Default)]
pub(crate) struct SendBudget {
    /// Ciphertext the driver holds and has not written yet, plus what was sealed since.
    backlog: usize,
    /// Channel data taken by a write and queued unsealed in the connection layer.
    unsent: usize,
    /// Channels whose writers wait for the budget (not their window).
    waiters: Vec<LocalChannelId>,
}

impl SendBudget {
    /// The driver holds `bytes` of ciphertext not yet written.
    pub(crate) fn set_backlog(&mut self, bytes: usize) {
        self.backlog = bytes;
    }

    /// `bytes` of packets were sealed into the transport's output.
    pub(crate) fn sealed(&mut self, bytes: usize) {
        self.backlog = self.backlog.saturating_add(bytes);
    }

    /// `bytes` of channel data were queued unsealed in the connection layer.
    pub(crate) fn queued(&mut self, bytes: usize) {
        self.unsent = self.unsent.saturating_add(bytes);
    }

    /// `bytes` of queued channel data left the queue to be sealed.
    pub(crate) fn dequeued(&mut self, bytes: usize) {
        self.unsent = self.unsent.saturating_sub(bytes);
    }

    /// True while the ciphertext backlog leaves room to seal queued payloads.
    pub(crate) fn can_seal(&self) -> bool {
        self.backlog < SEND_HIGH_WATER
    }

    /// The bytes channel writes may still take.
    pub(crate) fn available(&self) -> usize {
        SEND_HIGH_WATER.saturating_sub(self.backlog.saturating_add(self.unsent))
    }

    /// Channel `id`'s writer waits for room (once, however often it asks).
    pub(crate) fn wait(&mut self, id: LocalChannelId) {
        if !self.waiters.contains(&id) {
            self.waiters.push(id);
        }
    }

    /// Channel `id` is gone: it waits no more.
    pub(crate) fn forget(&mut self, id: LocalChannelId) {
        self.waiters.retain(|c| *c != id);
    }

    /// The waiting channels to wake, if there is room now; they are no longer waiting.
    pub(crate) fn take_woken(&mut self) -> Vec<LocalChannelId> {
        if self.available() > 0 {
            std::mem::take(&mut self.waiters)
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_and_unsent_share_the_high_water() {
        let mut b = SendBudget::default();
        assert_eq!(b.available(), SEND_HIGH_WATER);
        b.set_backlog(1000);
        b.sealed(24);
        b.queued(500);
        assert_eq!(b.available(), SEND_HIGH_WATER - 1524);
        b.dequeued(500);
        b.sealed(520);
        assert_eq!(b.available(), SEND_HIGH_WATER - 1544);
        b.set_backlog(SEND_HIGH_WATER);
        assert!(!b.can_seal());
        assert_eq!(b.available(), 0);
        // More dequeued than queued never wraps.
        b.dequeued(10);
        assert_eq!(b.unsent, 0);
    }

    #[test]
    fn waiters_are_woken_once_there_is_room() {
        let mut b = SendBudget::default();
        b.set_backlog(SEND_HIGH_WATER);
        b.wait(LocalChannelId(1));
        b.wait(LocalChannelId(1));
        b.wait(LocalChannelId(2));
        b.wait(LocalChannelId(3));
        b.forget(LocalChannelId(3));
        assert!(b.take_woken().is_empty(), "no room yet");
        b.set_backlog(0);
        assert_eq!(b.take_woken(), vec![LocalChannelId(1), LocalChannelId(2)]);
        assert!(b.take_woken().is_empty());
    }
}
