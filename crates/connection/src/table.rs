//! The channel table: local id allocation with reuse, lookup, and the per-connection limit.

use crate::id::LocalChannelId;

/// The default limit on channels per connection (open, opening or offered).
pub const DEFAULT_MAX_CHANNELS: u32 = 1024;

/// Channels by local id. Ids are slot indexes; a freed id goes on a free list and is reused
/// before a new slot is made, so the slot vector never grows past the most channels that
/// were ever live at once (at most `limit`). A freed slot keeps no data.
#[derive(Debug)]
pub(crate) struct ChannelTable<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    live: u32,
    limit: u32,
}

/// The table already holds its limit of channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableFull {
    /// The limit.
    pub limit: u32,
}

impl<T> ChannelTable<T> {
    /// An empty table holding at most `limit` channels.
    pub fn new(limit: u32) -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            limit,
        }
    }

    /// Live channels.
    pub fn len(&self) -> u32 {
        self.live
    }

    /// True when no channel is live.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Slots allocated so far (live or free): the table's memory, for tests.
    #[cfg(test)]
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Stores `value` under a free id (reusing freed ids first).
    pub fn insert(&mut self, value: T) -> Result<LocalChannelId, TableFull> {
        if self.live >= self.limit {
            return Err(TableFull { limit: self.limit });
        }
        let id = match self.free.pop() {
            Some(id) => {
                if let Some(slot) = self.slots.get_mut(id as usize) {
                    *slot = Some(value);
                }
                id
            }
            None => {
                let Ok(id) = u32::try_from(self.slots.len()) else {
                    return Err(TableFull { limit: self.limit });
                };
                self.slots.push(Some(value));
                id
            }
        };
        self.live += 1;
        Ok(LocalChannelId(id))
    }

    /// The channel with this id, if live.
    pub fn get(&self, id: LocalChannelId) -> Option<&T> {
        self.slots.get(id.0 as usize).and_then(Option::as_ref)
    }

    /// The channel with this id, if live.
    pub fn get_mut(&mut self, id: LocalChannelId) -> Option<&mut T> {
        self.slots.get_mut(id.0 as usize).and_then(Option::as_mut)
    }

    /// Frees the id and returns its channel.
    pub fn remove(&mut self, id: LocalChannelId) -> Option<T> {
        let value = self.slots.get_mut(id.0 as usize)?.take()?;
        self.live -= 1;
        self.free.push(id.0);
        Some(value)
    }

    /// Ids of live channels, in id order.
    pub fn ids(&self) -> impl Iterator<Item = LocalChannelId> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .filter_map(|(i, _)| u32::try_from(i).ok().map(LocalChannelId))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_allocated_from_zero() {
        let mut t = ChannelTable::new(10);
        assert_eq!(t.insert('a'), Ok(LocalChannelId(0)));
        assert_eq!(t.insert('b'), Ok(LocalChannelId(1)));
        assert_eq!(t.get(LocalChannelId(1)), Some(&'b'));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn freed_id_is_reused() {
        let mut t = ChannelTable::new(10);
        t.insert(1).unwrap();
        let b = t.insert(2).unwrap();
        t.insert(3).unwrap();
        assert_eq!(t.remove(b), Some(2));
        assert_eq!(t.get(b), None);
        assert_eq!(t.insert(4), Ok(b));
        assert_eq!(t.slot_count(), 3);
    }

    #[test]
    fn limit_refuses_more_channels() {
        let mut t = ChannelTable::new(2);
        t.insert(()).unwrap();
        let b = t.insert(()).unwrap();
        assert_eq!(t.insert(()), Err(TableFull { limit: 2 }));
        t.remove(b);
        assert!(t.insert(()).is_ok());
    }

    #[test]
    fn removing_twice_or_unknown_does_nothing() {
        let mut t = ChannelTable::new(2);
        let a = t.insert(()).unwrap();
        assert!(t.remove(a).is_some());
        assert!(t.remove(a).is_none());
        assert!(t.remove(LocalChannelId(99)).is_none());
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn churn_does_not_grow_slots() {
        let mut t = ChannelTable::new(DEFAULT_MAX_CHANNELS);
        for i in 0..100_000u32 {
            let id = t.insert(i).unwrap();
            t.remove(id);
        }
        assert_eq!(t.slot_count(), 1);
        assert!(t.is_empty());
    }

    #[test]
    fn ids_lists_live_channels() {
        let mut t = ChannelTable::new(5);
        let a = t.insert(()).unwrap();
        let b = t.insert(()).unwrap();
        let c = t.insert(()).unwrap();
        t.remove(b);
        assert_eq!(t.ids().collect::<Vec<_>>(), vec![a, c]);
    }
}
