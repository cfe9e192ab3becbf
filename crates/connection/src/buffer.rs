//! Received channel data waiting for the application, held as shared `Bytes` without copying.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// Chunks shorter than this are copied into one growing buffer instead of being kept as
/// their own `Bytes`. A peer sending one-byte packets would otherwise make the queue hold one
/// entry per byte of window. With this, the queue holds at most `2 * window / COALESCE_BELOW
/// + 1` entries.
pub const COALESCE_BELOW: usize = 4096;

/// A chunk is kept without a copy only if it fills at least `1 / MAX_PIN_RATIO` of the
/// allocation it shares. A `Bytes` slice keeps its whole allocation alive (for payloads cut
/// from the driver's read buffer: the whole 64 KiB or more of it), so a peer sending one
/// 4 KiB packet per read would otherwise make a stalled channel pin 16 times its window.
/// With this rule, what the zero-copy chunks of a channel pin is at most `MAX_PIN_RATIO`
/// times the bytes they were received with, and bulk data (OpenSSH's 32 KiB packets read
/// 64 KiB at a time) still travels without a copy.
pub const MAX_PIN_RATIO: usize = 2;

/// Bytes of framing counted with a chunk's data for [`MAX_PIN_RATIO`]: the packet around it
/// (length, padding, MAC and message header). A read buffer sized to exactly two 32 KiB
/// packets, as the driver makes it so that reads end on packet boundaries, is then in ratio.
pub const PACKET_FRAMING: usize = 512;

/// True when `len` bytes of data that share an allocation of `allocation` bytes would pin
/// more than [`MAX_PIN_RATIO`] times the packet they came in.
pub(crate) fn over_pin_ratio(len: usize, allocation: usize) -> bool {
    allocation
        > len
            .saturating_add(PACKET_FRAMING)
            .saturating_mul(MAX_PIN_RATIO)
}

/// Bytes of allocation that chunks failing the [`MAX_PIN_RATIO`] rule may still pin without a
/// copy, per channel, counted from the moment its queue was last empty. A reader that keeps
/// up (the queue drains every few packets) never copies, even with OpenSSH's 16 KiB packets
/// cut from a 64 KiB read buffer; a stalled one copies once this is used up, so it pins at
/// most `MAX_PIN_RATIO` times its window plus this.
pub const MAX_PINNED: usize = 512 << 10;

/// Received data in arrival order. Bounded by the receive window: the connection checks every
/// packet against the window before pushing it here. The memory it keeps alive is bounded by
/// about twice that: zero-copy chunks pin at most [`MAX_PIN_RATIO`] times their bytes plus
/// [`PACKET_FRAMING`] (at most 1/8 more, chunks being at least [`COALESCE_BELOW`]) (plus
/// [`MAX_PINNED`] for chunks kept against the ratio), and the copied tail grows by doubling.
///
/// The oldest chunk sits in `front`; the queue behind it and the copied small chunks live in
/// a box made only while they hold something. A channel whose reader keeps up (one chunk at
/// a time, the usual bulk case) never makes the box: no allocation per packet, and an idle
/// channel holds 48 bytes and nothing on the heap.
#[derive(Debug, Default)]
pub struct RecvBuffer {
    /// The oldest chunk; empty only if the queue is empty too.
    front: Bytes,
    more: Option<Box<Queue>>,
    /// Bytes waiting (at most the window, a `u32`).
    len: u32,
    /// Allocation bytes pinned by chunks kept against the ratio since the queue was empty
    /// (at most [`MAX_PINNED`] plus one allocation).
    pinned: u32,
}

/// What waits behind the front chunk.
#[derive(Debug, Default)]
struct Queue {
    chunks: VecDeque<Bytes>,
    /// Small chunks that arrived after the last entry of `chunks`.
    tail: BytesMut,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl RecvBuffer {
    /// Bytes waiting.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True when nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn queue(&mut self) -> &mut Queue {
        self.more.get_or_insert_with(Box::default)
    }

    /// Appends `data` after everything already buffered. `allocation` is the size of the
    /// allocation `data` shares (its own length if it owns its memory): small chunks, and
    /// chunks that would pin much more than themselves, are copied.
    pub fn push(&mut self, data: Bytes, allocation: usize) {
        if data.is_empty() {
            return;
        }
        self.len = self.len.saturating_add(to_u32(data.len()));
        let over_ratio = over_pin_ratio(data.len(), allocation);
        let pinned = (self.pinned as usize).saturating_add(allocation);
        if data.len() < COALESCE_BELOW || (over_ratio && pinned > MAX_PINNED) {
            self.queue().tail.extend_from_slice(&data);
        } else {
            if over_ratio {
                self.pinned = to_u32(pinned);
            }
            if let Some(q) = self.more.as_mut().filter(|q| !q.tail.is_empty()) {
                let small = q.tail.split().freeze();
                self.push_chunk(small);
            }
            self.push_chunk(data);
        }
    }

    /// Appends a whole chunk behind `front` and the queue (the tail is empty).
    fn push_chunk(&mut self, chunk: Bytes) {
        if self.front.is_empty() {
            self.front = chunk;
        } else {
            self.queue().chunks.push_back(chunk);
        }
    }

    /// Takes up to `max` bytes from the front, or `None` when empty or `max` is 0.
    pub fn pop(&mut self, max: usize) -> Option<Bytes> {
        if max == 0 || self.len == 0 {
            return None;
        }
        let out = if self.front.len() > max {
            self.front.split_to(max)
        } else if !self.front.is_empty() {
            let next = self.more.as_mut().and_then(|q| q.chunks.pop_front());
            std::mem::replace(&mut self.front, next.unwrap_or_default())
        } else {
            let tail = &mut self.queue().tail;
            let n = max.min(tail.len());
            tail.split_to(n).freeze()
        };
        self.len = self.len.saturating_sub(to_u32(out.len()));
        if self.len == 0 {
            self.release();
        }
        Some(out)
    }

    /// Drops everything buffered and returns how many bytes that was.
    pub fn clear(&mut self) -> usize {
        let n = self.len();
        self.len = 0;
        self.release();
        n
    }

    /// Frees the memory of an empty buffer, so an idle channel keeps no allocation.
    fn release(&mut self) {
        self.pinned = 0;
        self.front = Bytes::new();
        self.more = None;
    }

    /// Entries held (for tests of the bound).
    #[cfg(test)]
    pub fn entries(&self) -> usize {
        let (chunks, tail) = self
            .more
            .as_ref()
            .map_or((0, false), |q| (q.chunks.len(), !q.tail.is_empty()));
        usize::from(!self.front.is_empty()) + chunks + usize::from(tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The allocation size of a chunk that owns its memory.
    const OWNED: usize = 0;

    #[test]
    fn data_comes_out_in_order() {
        let mut b = RecvBuffer::default();
        b.push(Bytes::from_static(b"hello "), OWNED);
        b.push(Bytes::from(vec![b'x'; 5000]), OWNED);
        b.push(Bytes::from_static(b"world"), OWNED);
        assert_eq!(b.len(), 5011);
        let mut got = Vec::new();
        while let Some(chunk) = b.pop(4000) {
            got.extend_from_slice(&chunk);
        }
        let mut want = b"hello ".to_vec();
        want.extend(vec![b'x'; 5000]);
        want.extend_from_slice(b"world");
        assert_eq!(got, want);
        assert!(b.is_empty());
    }

    #[test]
    fn large_chunks_are_not_copied() {
        let mut b = RecvBuffer::default();
        let data = Bytes::from(vec![7u8; 8192]);
        let ptr = data.as_ptr();
        b.push(data, OWNED);
        assert_eq!(b.pop(100_000).unwrap().as_ptr(), ptr);
    }

    #[test]
    fn pop_respects_max() {
        let mut b = RecvBuffer::default();
        b.push(Bytes::from(vec![1u8; 10_000]), OWNED);
        assert_eq!(b.pop(3).unwrap().len(), 3);
        assert_eq!(b.len(), 9997);
        assert_eq!(b.pop(0), None);
    }

    #[test]
    fn tiny_packets_are_coalesced() {
        let mut b = RecvBuffer::default();
        for _ in 0..100_000 {
            b.push(Bytes::from_static(b"a"), OWNED);
        }
        assert_eq!(b.entries(), 1);
        assert_eq!(b.len(), 100_000);
    }

    #[test]
    fn alternating_sizes_stay_bounded() {
        let mut b = RecvBuffer::default();
        let mut total = 0;
        while total < (2 << 20) {
            b.push(Bytes::from_static(b"a"), OWNED);
            b.push(Bytes::from(vec![0u8; COALESCE_BELOW]), OWNED);
            total += 1 + COALESCE_BELOW;
        }
        assert!(b.entries() <= 2 * total / COALESCE_BELOW + 1);
    }

    #[test]
    fn a_reader_that_keeps_up_never_allocates_the_queue() {
        let mut b = RecvBuffer::default();
        for i in 0..100u8 {
            b.push(Bytes::from(vec![i; 32 << 10]), OWNED);
            assert!(b.more.is_none());
            assert_eq!(b.pop(64 << 10).unwrap()[0], i);
        }
        assert!(b.is_empty());
    }

    #[test]
    fn big_and_small_chunks_keep_their_order() {
        let mut b = RecvBuffer::default();
        let mut want = Vec::new();
        for i in 0..20u8 {
            let len = if i % 3 == 0 { 10 } else { 5000 };
            want.extend(vec![i; len]);
            b.push(Bytes::from(vec![i; len]), OWNED);
            if i % 4 == 0 {
                let got = b.pop(7000).unwrap();
                assert_eq!(&want[..got.len()], &got[..]);
                want.drain(..got.len());
            }
        }
        while let Some(got) = b.pop(3000) {
            assert_eq!(&want[..got.len()], &got[..]);
            want.drain(..got.len());
        }
        assert!(want.is_empty());
        assert_eq!(b.entries(), 0);
    }

    #[test]
    fn two_whole_packets_per_buffer_are_in_ratio() {
        // 32 KiB of data in a 32,804-byte aes128-gcm packet, two per 65,608-byte read buffer
        // (the driver's size for them): never copied, nothing taken from the pin budget, even
        // while nobody reads.
        let mut b = RecvBuffer::default();
        for _ in 0..8 {
            let buffer = Bytes::from(vec![5u8; 2 * 32_804]);
            for i in 0..2 {
                let slice = buffer.slice(i * 32_804 + 14..i * 32_804 + 14 + (32 << 10));
                let ptr = slice.as_ptr();
                b.push(slice, buffer.len());
                let last = b.more.as_ref().and_then(|q| q.chunks.back());
                assert_eq!(last.unwrap_or(&b.front).as_ptr(), ptr);
            }
        }
        assert_eq!((b.pinned, b.len()), (0, 16 * (32 << 10)));
    }

    #[test]
    fn slices_of_a_big_buffer_are_not_copied_while_the_reader_keeps_up() {
        let mut b = RecvBuffer::default();
        // OpenSSH's 16 KiB packets, four to a 64 KiB read buffer: over the ratio.
        let buffer = Bytes::from(vec![3u8; 64 << 10]);
        for _ in 0..100 {
            for i in 0..4 {
                let slice = buffer.slice(i * (16 << 10)..(i + 1) * (16 << 10));
                let ptr = slice.as_ptr();
                b.push(slice, 64 << 10);
                assert_eq!(b.pop(usize::MAX).unwrap().as_ptr(), ptr);
            }
        }
        assert_eq!(b.pinned, 0);
    }

    #[test]
    fn a_stalled_reader_copies_once_the_pin_budget_is_used() {
        let mut b = RecvBuffer::default();
        let mut kept = 0;
        for _ in 0..64 {
            let buffer = Bytes::from(vec![5u8; 64 << 10]);
            let slice = buffer.slice(..16 << 10);
            let ptr = slice.as_ptr();
            b.push(slice, 64 << 10);
            drop(buffer);
            let last = b
                .more
                .as_ref()
                .and_then(|q| q.chunks.back())
                .unwrap_or(&b.front);
            kept += usize::from(last.as_ptr() == ptr);
        }
        assert_eq!(kept * (64 << 10), MAX_PINNED);
        assert!(b.pinned as usize <= MAX_PINNED);
        assert_eq!(b.len(), 64 * (16 << 10));
    }

    #[test]
    fn an_idle_buffer_is_small() {
        assert!(std::mem::size_of::<RecvBuffer>() <= 48);
    }

    #[test]
    fn clear_returns_count_and_empties() {
        let mut b = RecvBuffer::default();
        b.push(Bytes::from_static(b"abc"), OWNED);
        assert_eq!(b.clear(), 3);
        assert_eq!(b.pop(10), None);
    }
}
