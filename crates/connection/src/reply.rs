//! Replies owed to the peer, sent strictly in the order its requests came (RFC 4254 §4, §5.4).

use std::collections::VecDeque;

/// Requests that want a reply, oldest first. An entry is `None` until answered; replies leave
/// only from the front, so an early answer to a later request waits for the ones before it.
/// Bounded by the caller (`len` is checked against a limit before each push).
#[derive(Debug)]
pub struct ReplyQueue<T> {
    entries: VecDeque<(u64, Option<T>)>,
}

impl<T> Default for ReplyQueue<T> {
    fn default() -> Self {
        Self {
            entries: VecDeque::new(),
        }
    }
}

impl<T> ReplyQueue<T> {
    /// Requests not yet replied to on the wire.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is owed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A request the application will answer.
    pub fn push_pending(&mut self, id: u64) {
        self.entries.push_back((id, None));
    }

    /// A request answered at once (by this crate's policy), still behind earlier ones.
    pub fn push_answered(&mut self, id: u64, reply: T) {
        self.entries.push_back((id, Some(reply)));
    }

    /// Records the application's answer; false when `id` is not waiting for one.
    pub fn answer(&mut self, id: u64, reply: T) -> bool {
        match self
            .entries
            .iter_mut()
            .find(|(entry, r)| *entry == id && r.is_none())
        {
            Some((_, slot)) => {
                *slot = Some(reply);
                true
            }
            None => false,
        }
    }

    /// The next reply to send, if the oldest request has been answered.
    pub fn pop_ready(&mut self) -> Option<T> {
        if !matches!(self.entries.front(), Some((_, Some(_)))) {
            return None;
        }
        let reply = self.entries.pop_front().and_then(|(_, r)| r);
        if self.entries.is_empty() {
            self.entries = VecDeque::new();
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_leave_in_request_order() {
        let mut q = ReplyQueue::default();
        q.push_pending(1);
        q.push_answered(2, "auto");
        q.push_pending(3);
        assert!(q.answer(3, "third"));
        assert_eq!(q.pop_ready(), None, "first is not answered yet");
        assert!(q.answer(1, "first"));
        assert_eq!(q.pop_ready(), Some("first"));
        assert_eq!(q.pop_ready(), Some("auto"));
        assert_eq!(q.pop_ready(), Some("third"));
        assert_eq!(q.pop_ready(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn answering_twice_or_unknown_is_refused() {
        let mut q = ReplyQueue::default();
        q.push_pending(1);
        assert!(q.answer(1, true));
        assert!(!q.answer(1, false));
        assert!(!q.answer(9, false));
        assert_eq!(q.len(), 1);
    }
}
