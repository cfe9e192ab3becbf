//! The server's outgoing payloads, each held until its `not_before` time so that refusals
//! are never faster than the failure-delay floor, and never reordered.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

/// What happens once a held payload has been released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Then {
    /// Nothing more.
    Nothing,
    /// It was USERAUTH_SUCCESS: hand out the `Authenticated` token.
    Authenticated,
    /// It was a DISCONNECT: report the close.
    Closed,
}

#[derive(Debug)]
struct Held {
    not_before: Option<Instant>,
    payload: Bytes,
    then: Then,
}

/// FIFO of payloads with release times. Bound: the server answers one request with at most
/// three payloads (banner, reply, disconnect) and stops reading requests after 1024, so the
/// queue holds at most a few thousand small payloads even for a client that pipelines.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Held>,
    latest: Option<Instant>,
}

impl Outbox {
    /// Queues `payload` to leave no earlier than `not_before` nor before anything queued ahead.
    pub(crate) fn push(&mut self, payload: Bytes, not_before: Option<Instant>, then: Then) {
        let not_before = match (self.latest, not_before) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.latest = not_before;
        self.queue.push_back(Held {
            not_before,
            payload,
            then,
        });
    }

    /// Drops everything still held (used when the connection is being closed).
    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.latest = None;
    }

    /// The front payload if its time has come.
    pub(crate) fn pop_ready(&mut self, now: Instant) -> Option<(Bytes, Then)> {
        let ready = self
            .queue
            .front()
            .is_some_and(|h| h.not_before.is_none_or(|t| now >= t));
        if !ready {
            return None;
        }
        self.queue.pop_front().map(|h| (h.payload, h.then))
    }

    /// When the front payload becomes ready, if it is held.
    pub(crate) fn next_release(&self) -> Option<Instant> {
        self.queue.front().and_then(|h| h.not_before)
    }

    /// True when nothing is queued.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn held_payload_waits_and_later_ones_queue_behind_it() {
        let t0 = Instant::now();
        let mut o = Outbox::default();
        o.push(
            Bytes::from_static(b"a"),
            Some(t0 + Duration::from_millis(200)),
            Then::Nothing,
        );
        o.push(Bytes::from_static(b"b"), None, Then::Nothing);
        assert!(o.pop_ready(t0).is_none());
        assert_eq!(o.next_release(), Some(t0 + Duration::from_millis(200)));
        let t1 = t0 + Duration::from_millis(200);
        assert_eq!(o.pop_ready(t1).unwrap().0, Bytes::from_static(b"a"));
        assert_eq!(o.pop_ready(t1).unwrap().0, Bytes::from_static(b"b"));
        assert!(o.is_empty());
    }
}
