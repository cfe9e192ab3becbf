//! The per-connection receive-window budget: the window a new channel gets, and windows
//! growing (when [`crate::tune::Tuner`] says the window was the limit) or shrinking (when the
//! channel went idle) within it.

use std::time::Instant;

use crate::config::MIN_WINDOW;
use crate::connection::Connection;
use crate::id::LocalChannelId;

impl Connection {
    /// The receive window for a new channel: the configured size while at most half the
    /// budget is committed, then [`MIN_WINDOW`]; `None` when even that would pass the budget.
    pub(crate) fn initial_window(&self) -> Option<u32> {
        let budget = self.config().window_budget;
        let full = self.config().window_size;
        let committed = self.committed_window();
        if committed.saturating_add(u64::from(full)) <= budget / 2 {
            return Some(full);
        }
        let small = full.min(MIN_WINDOW);
        (committed.saturating_add(u64::from(small)) <= budget).then_some(small)
    }

    /// Sets the time for the measurements that size windows (see [`crate::tune`]). Without
    /// it windows keep their initial size. A driver calls it before handling input and
    /// before reads; times must not go backwards (earlier ones are ignored).
    pub fn set_now(&mut self, now: Instant) {
        let base = *self.epoch.get_or_insert(now);
        let micros = now.saturating_duration_since(base).as_micros();
        // The tuner's clock wraps every 2^32 microseconds (71 minutes).
        self.now = u32::try_from(micros & u128::from(u32::MAX)).ok();
    }

    /// Bytes the receive windows of all live channels commit (window sizes plus credit the
    /// peer holds beyond shrunk windows): never more than the configured budget.
    pub fn committed_window(&self) -> u64 {
        self.committed
    }

    /// Brings the budget's count of channel `id` up to date after its window changed.
    pub(crate) fn recharge(&mut self, id: LocalChannelId) {
        let Some(c) = self.channels.get_mut(id) else {
            return;
        };
        let now = u64::from(c.recv_window.size()) + u64::from(c.recv_window.excess());
        self.committed = self.committed.saturating_sub(c.charged).saturating_add(now);
        c.charged = now;
    }

    /// Takes channel `id`'s count out of the budget (it is being freed).
    pub(crate) fn discharge(&mut self, id: LocalChannelId) {
        if let Some(c) = self.channels.get_mut(id) {
            self.committed = self.committed.saturating_sub(c.charged);
            c.charged = 0;
        }
    }

    /// `len` bytes arrived on `id`: times the round trip, and shrinks an idle channel's
    /// window back to the configured size.
    pub(crate) fn tune_on_data(&mut self, id: LocalChannelId, len: u32) {
        let (Some(now), full) = (self.now, self.config().window_size) else {
            return;
        };
        let Some(c) = self.channels.get_mut(id) else {
            return;
        };
        if c.tuner.on_data(len, now) && c.recv_window.size() > full {
            c.recv_window.resize(full);
            self.recharge(id);
        }
    }

    /// An adjust goes out on `id` while the peer holds `granted` bytes of credit.
    pub(crate) fn tune_on_adjust(&mut self, id: LocalChannelId, granted: u32) {
        if let (Some(now), Some(c)) = (self.now, self.channels.get_mut(id)) {
            c.tuner.on_adjust(granted, now);
        }
    }

    /// The application consumed `n` bytes on `id`: doubles the window when it was the limit
    /// for a round trip, as far as the per-channel maximum (half the budget) and the growth
    /// share of the budget (3/4 of it) allow.
    pub(crate) fn tune_on_consumed(&mut self, id: LocalChannelId, n: u32) {
        let Some(now) = self.now else {
            return;
        };
        let budget = self.config().window_budget;
        let room = (budget / 4 * 3).saturating_sub(self.committed);
        let Some(c) = self.channels.get_mut(id) else {
            return;
        };
        let size = c.recv_window.size();
        if !c.tuner.on_consumed(n, size, now) {
            return;
        }
        let cap = u32::try_from(budget / 2).unwrap_or(u32::MAX);
        let grow = u32::try_from(room).unwrap_or(u32::MAX).min(size);
        let new_size = size.saturating_add(grow).min(cap).max(size);
        if new_size > size {
            c.recv_window.resize(new_size);
            self.recharge(id);
        }
    }
}
