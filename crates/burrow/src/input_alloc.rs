//! The size of the allocation behind the driver's read buffer, which every received payload
//! shares (the transport decrypts in place and hands out slices of it).

use bytes::BytesMut;

/// Tracks the allocation the read buffer currently lives in. `BytesMut::split_to` moves the
/// start of the buffer but not the end of its allocation, so a new end means a new
/// allocation, and the capacity seen first after that (before anything is split off) is its
/// whole size.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct InputAllocation {
    end: usize,
    size: usize,
}

impl InputAllocation {
    /// Looks at `input` before the transport splits packets off it; returns the size of the
    /// allocation those packets will share.
    pub(crate) fn observe(&mut self, input: &BytesMut) -> usize {
        let end = (input.as_ptr() as usize).wrapping_add(input.capacity());
        if end != self.end || input.capacity() > self.size {
            self.end = end;
            self.size = input.capacity();
        }
        self.size
    }

    /// The last size seen.
    pub(crate) fn size(&self) -> usize {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_off_packets_keep_the_whole_size() {
        let mut a = InputAllocation::default();
        let mut input = BytesMut::with_capacity(64 << 10);
        input.resize(40 << 10, 1);
        assert_eq!(a.observe(&input), 64 << 10);
        let packet = input.split_to(30 << 10).freeze();
        // The rest of the buffer is a tail of the same allocation.
        assert_eq!(a.observe(&input), 64 << 10);
        drop(packet);
    }

    #[test]
    fn a_new_allocation_is_noticed() {
        let mut a = InputAllocation::default();
        let mut input = BytesMut::with_capacity(64 << 10);
        input.resize(60 << 10, 1);
        assert_eq!(a.observe(&input), 64 << 10);
        let packet = input.split_to(50 << 10).freeze();
        // Shared now, so growing it moves the rest to a fresh allocation.
        input.reserve(200 << 10);
        assert!(a.observe(&input) >= 210 << 10);
        assert_eq!(a.size(), input.capacity());
        drop(packet);
    }
}
