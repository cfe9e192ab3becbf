//! `Slot`: what the core keeps for one channel that has a handle: parked wakers and, for
//! session channels, the exit status and a bounded stderr buffer (nothing while idle).

use std::task::Waker;

use burrow_connection::LocalChannelId;
use bytes::BytesMut;

/// Most stderr bytes kept per channel until read; more is counted and dropped.
pub const MAX_STDERR: usize = 64 << 10;

/// How a remote command ended (RFC 4254 §6.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitInfo {
    /// `exit-status`.
    Status(u32),
    /// `exit-signal`, with the signal name without "SIG".
    Signal(String),
}

/// Session-channel extras, allocated on first use.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    pub(crate) exit: Option<ExitInfo>,
    /// Bound: `MAX_STDERR`.
    pub(crate) stderr: BytesMut,
    pub(crate) stderr_dropped: u64,
    pub(crate) exit_waker: Option<Waker>,
}

/// Per-channel state of the tokio layer. An idle channel holds no buffer: 2 wakers at most,
/// a flag and a pointer.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    pub(crate) read_waker: Option<Waker>,
    pub(crate) write_waker: Option<Waker>,
    pub(crate) peer_closed: bool,
    pub(crate) extras: Option<Box<Extras>>,
}

/// Stores `waker` in `slot` unless an equivalent one is there.
pub(crate) fn park(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(w) if w.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

impl Slot {
    pub(crate) fn wake_read(&mut self) {
        if let Some(w) = self.read_waker.take() {
            w.wake();
        }
    }

    pub(crate) fn wake_write(&mut self) {
        if let Some(w) = self.write_waker.take() {
            w.wake();
        }
    }

    fn wake_exit(&mut self) {
        if let Some(w) = self.extras.as_mut().and_then(|e| e.exit_waker.take()) {
            w.wake();
        }
    }

    pub(crate) fn wake_all(&mut self) {
        self.wake_read();
        self.wake_write();
        self.wake_exit();
    }

    fn extras(&mut self) -> &mut Extras {
        self.extras.get_or_insert_with(Box::default)
    }

    /// Keeps stderr data up to `MAX_STDERR`.
    pub(crate) fn push_stderr(&mut self, data: &[u8]) {
        let e = self.extras();
        let room = MAX_STDERR.saturating_sub(e.stderr.len());
        let (keep, drop) = data.split_at(room.min(data.len()));
        e.stderr.extend_from_slice(keep);
        e.stderr_dropped = e.stderr_dropped.saturating_add(drop.len() as u64);
        self.wake_read();
    }

    pub(crate) fn set_exit(&mut self, exit: ExitInfo) {
        self.extras().exit = Some(exit);
        self.wake_exit();
    }

    pub(crate) fn exit(&self) -> Option<&ExitInfo> {
        self.extras.as_ref().and_then(|e| e.exit.as_ref())
    }
}

/// Slots indexed by local channel id (the connection hands out small, reused ids), so an
/// idle channel costs one `Option<Slot>` and no hash table overhead.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    slots: Vec<Option<Slot>>,
}

fn index(id: &LocalChannelId) -> usize {
    usize::try_from(id.0).unwrap_or(usize::MAX)
}

impl Slots {
    pub(crate) fn get(&self, id: &LocalChannelId) -> Option<&Slot> {
        self.slots.get(index(id)).and_then(Option::as_ref)
    }

    pub(crate) fn get_mut(&mut self, id: &LocalChannelId) -> Option<&mut Slot> {
        self.slots.get_mut(index(id)).and_then(Option::as_mut)
    }

    /// Stores the slot of channel `id` (ids are bounded by the channel limit).
    pub(crate) fn insert(&mut self, id: LocalChannelId, slot: Slot) {
        let i = index(&id);
        if i >= self.slots.len() {
            self.slots.resize_with(i.saturating_add(1), || None);
        }
        if let Some(entry) = self.slots.get_mut(i) {
            *entry = Some(slot);
        }
    }

    /// Removes the slot of `id`; trailing free entries are dropped and spare capacity freed.
    pub(crate) fn remove(&mut self, id: &LocalChannelId) -> Option<Slot> {
        let out = self.slots.get_mut(index(id)).and_then(Option::take);
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        if self.slots.capacity() > 64 && self.slots.len() < self.slots.capacity() / 4 {
            self.slots.shrink_to(self.slots.len().saturating_mul(2));
        }
        out
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut Slot> {
        self.slots.iter_mut().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_is_bounded_and_counts_the_rest() {
        let mut s = Slot::default();
        s.push_stderr(&vec![1u8; MAX_STDERR - 10]);
        s.push_stderr(&[2u8; 30]);
        let e = s.extras.as_ref().unwrap();
        assert_eq!(e.stderr.len(), MAX_STDERR);
        assert_eq!(e.stderr_dropped, 20);
    }

    #[test]
    fn slots_by_id_insert_find_remove_and_shrink() {
        let mut s = Slots::default();
        for i in 0..1000 {
            s.insert(LocalChannelId(i), Slot::default());
        }
        assert!(s.get(&LocalChannelId(999)).is_some());
        assert!(s.get(&LocalChannelId(1000)).is_none());
        for i in (0..1000).rev() {
            assert!(s.remove(&LocalChannelId(i)).is_some());
        }
        assert!(s.remove(&LocalChannelId(3)).is_none());
        assert_eq!(s.values_mut().count(), 0);
        assert!(s.slots.capacity() <= 64);
    }

    #[test]
    fn idle_slot_is_small_and_allocates_nothing() {
        let s = Slot::default();
        assert!(s.extras.is_none());
        assert!(std::mem::size_of::<Slot>() <= 48);
    }
}
