//! The size of the allocation behind the driver's read buffer, which every received payload
//! shares (the transport decrypts in place and hands out slices of it).

use bytes::BytesMut;

/// The smallest room a read gets, and the size of an input allocation for small packets.
pub(crate) const READ_CHUNK: usize = 64 << 10;

/// Packets at least this large (wire bytes) get allocations of a whole number of them.
const ALIGN_FROM: usize = 8 << 10;

/// The capacity of a fresh allocation for the driver's input, or `None` to read into the room
/// left in this one. `len` bytes are buffered (the start of a packet: the transport takes whole
/// packets), `free` bytes of room follow, and `hint` is the transport's size of the packet in
/// progress (else of the last one).
///
/// A packet that straddles the end of an allocation is copied into the next one; so the
/// allocation is kept while the packet in progress fits (a short read at its end then ends
/// the packet), and a new one holds a whole number of packets of the hinted size, at least two
/// and `READ_CHUNK`: in bulk, where every packet has the same size, reads end on packet
/// boundaries and nothing is copied. Two 32 KiB packets per allocation are within the
/// connection layer's pin ratio (`burrow_connection::PACKET_FRAMING`).
pub(crate) fn next_allocation(len: usize, free: usize, hint: usize) -> Option<usize> {
    let rest = hint.saturating_sub(len);
    let fits = if len > 0 && rest > 0 {
        free >= rest
    } else {
        free >= READ_CHUNK / 4
    };
    if fits {
        return None;
    }
    let size = if hint >= ALIGN_FROM {
        hint.saturating_mul(READ_CHUNK.div_ceil(hint).max(2))
    } else {
        READ_CHUNK
    };
    Some(size.max(len.saturating_add(READ_CHUNK / 4)))
}

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

    /// An aes128-gcm packet carrying 32 KiB of channel data, on the wire.
    const BULK: usize = 32_804;

    #[test]
    fn bulk_allocations_hold_two_whole_packets() {
        assert_eq!(next_allocation(0, 0, BULK), Some(2 * BULK));
        // The packet in progress does not fit: a new allocation from its start.
        assert_eq!(next_allocation(1000, BULK - 1001, BULK), Some(2 * BULK));
        // It fits: the read that ends it goes here, however short.
        assert_eq!(next_allocation(BULK - 100, 100, BULK), None);
        // Nothing buffered and room for a whole packet.
        assert_eq!(next_allocation(0, BULK, BULK), None);
    }

    #[test]
    fn packet_sizes_that_do_not_divide_a_chunk() {
        // OpenSSH's 16 KiB packets: four per allocation.
        assert_eq!(next_allocation(0, 0, 16_420), Some(4 * 16_420));
        // Small packets (and none yet): a plain chunk, kept while a quarter of it is free.
        assert_eq!(next_allocation(0, 0, 0), Some(READ_CHUNK));
        assert_eq!(next_allocation(10, 40, 64), Some(READ_CHUNK));
        assert_eq!(next_allocation(10, 100, 64), None);
        assert_eq!(next_allocation(0, READ_CHUNK / 4, 64), None);
        // The largest packets still get room for two.
        let big = 4 + 256 * 1024 + 16;
        assert_eq!(next_allocation(5, 0, big), Some(2 * big));
    }

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
