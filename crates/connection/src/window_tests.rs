//! Unit tests and the model-based property tests for the window types.

use std::collections::VecDeque;

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;

#[test]
fn sendable_is_min_of_window_and_packet() {
    assert_eq!(SendWindow::new(100, 32).sendable(), 32);
    assert_eq!(SendWindow::new(10, 32).sendable(), 10);
    assert_eq!(SendWindow::new(0, 32).sendable(), 0);
}

#[test]
fn take_never_exceeds_window_or_packet() {
    let mut w = SendWindow::new(50, 32);
    assert_eq!(w.take(40), 32);
    assert_eq!(w.remaining(), 18);
    assert_eq!(w.take(40), 18);
    assert_eq!(w.take(40), 0);
    assert_eq!(w.remaining(), 0);
}

#[test]
fn adjust_adds_to_send_window() {
    let mut w = SendWindow::new(0, 32);
    w.on_adjust(1000).unwrap();
    assert_eq!(w.remaining(), 1000);
    w.on_adjust(u32::MAX - 1000).unwrap();
    assert_eq!(w.remaining(), u32::MAX);
}

#[test]
fn adjust_past_u32_max_is_protocol_error() {
    let mut w = SendWindow::new(u32::MAX - 5, 32);
    assert_eq!(
        w.on_adjust(6),
        Err(WindowViolation::AdjustOverflow {
            remaining: u32::MAX - 5,
            add: 6
        })
    );
    assert_eq!(
        w.remaining(),
        u32::MAX - 5,
        "window unchanged after the error"
    );
}

#[test]
fn data_within_window_is_buffered() {
    let mut w = RecvWindow::new(100, 40);
    w.on_data(40).unwrap();
    assert_eq!((w.granted(), w.buffered(), w.owed()), (60, 40, 0));
}

#[test]
fn data_past_window_is_overrun() {
    let mut w = RecvWindow::new(50, 40);
    w.on_data(40).unwrap();
    assert_eq!(
        w.on_data(11),
        Err(WindowViolation::Overrun {
            len: 11,
            granted: 10
        })
    );
    assert_eq!(w.buffered(), 40, "nothing counted after the error");
}

#[test]
fn data_over_max_packet_is_error() {
    let mut w = RecvWindow::new(1000, 40);
    assert_eq!(
        w.on_data(41),
        Err(WindowViolation::PacketTooLarge { len: 41, max: 40 })
    );
    assert_eq!(w.granted(), 1000);
}

#[test]
fn no_adjust_below_a_quarter_window() {
    let mut w = RecvWindow::new(100, 50);
    w.on_data(49).unwrap();
    assert_eq!(w.on_consumed(24), 24);
    assert_eq!(w.take_adjust(), None);
    assert_eq!(w.owed(), 24);
}

#[test]
fn adjust_once_a_quarter_window_consumed() {
    let mut w = RecvWindow::new(100, 50);
    w.on_data(50).unwrap();
    w.on_consumed(25);
    assert_eq!(w.take_adjust(), Some(25));
    assert_eq!((w.granted(), w.owed()), (75, 0));
    assert_eq!(w.take_adjust(), None, "nothing owed twice");
}

#[test]
fn no_adjust_without_consumption() {
    let mut w = RecvWindow::new(100, 100);
    w.on_data(100).unwrap();
    assert_eq!(w.take_adjust(), None);
}

#[test]
fn consuming_more_than_buffered_is_clamped() {
    let mut w = RecvWindow::new(100, 100);
    w.on_data(10).unwrap();
    assert_eq!(w.on_consumed(50), 10);
    assert_eq!((w.buffered(), w.owed()), (0, 10));
}

#[test]
fn discarded_data_is_credited() {
    let mut w = RecvWindow::new(10, 10);
    w.on_data(10).unwrap();
    assert_eq!(w.on_discarded(10), 10);
    assert_eq!(w.take_adjust(), Some(10));
}

#[test]
fn tiny_window_adjusts_after_one_byte() {
    let mut w = RecvWindow::new(1, 1);
    w.on_data(1).unwrap();
    w.on_consumed(1);
    assert_eq!(w.take_adjust(), Some(1));
}

#[test]
fn growing_window_owes_extra_credit_now() {
    let mut w = RecvWindow::new(100, 10);
    w.resize(300);
    assert_eq!(w.size(), 300);
    assert_eq!(w.take_adjust(), Some(200));
    assert_eq!(w.granted(), 300);
}

#[test]
fn shrinking_window_grants_less_later() {
    let mut w = RecvWindow::new(100, 100);
    w.on_data(100).unwrap();
    w.resize(40);
    assert_eq!(w.excess(), 60);
    w.on_consumed(69);
    assert_eq!((w.excess(), w.owed()), (0, 9));
    assert_eq!(w.take_adjust(), None, "9 < 40 / 4");
    w.on_consumed(31);
    assert_eq!(w.take_adjust(), Some(40));
    assert_eq!(w.granted(), 40);
}

#[test]
fn shrink_cancels_owed_credit_first() {
    let mut w = RecvWindow::new(100, 100);
    w.on_data(30).unwrap();
    w.on_consumed(30);
    w.resize(80);
    assert_eq!((w.owed(), w.excess()), (10, 0));
}

#[test]
fn grow_after_shrink_pays_excess_first() {
    let mut w = RecvWindow::new(100, 100);
    w.resize(40);
    assert_eq!(w.excess(), 60);
    w.resize(70);
    assert_eq!((w.excess(), w.owed()), (30, 0));
    w.resize(150);
    assert_eq!((w.excess(), w.owed()), (0, 50));
}

#[test]
fn violations_display_numbers() {
    assert_eq!(
        WindowViolation::Overrun {
            len: 40000,
            granted: 32768
        }
        .to_string(),
        "peer sent 40000 bytes with 32768 left in its window"
    );
    assert!(
        WindowViolation::AdjustOverflow {
            remaining: 7,
            add: 9
        }
        .to_string()
        .contains("past 2^32-1")
    );
}

// ---------------------------------------------------------------------------------------
// Model: a sender and a receiver with data and adjusts in flight between them.

#[derive(Debug, Clone)]
enum Op {
    Write(u32),
    DeliverData,
    Read(u32),
    DeliverAdjust,
    Discard(u32),
    Resize(u32),
}

fn any_op(size: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u32..=size.saturating_mul(2)).prop_map(Op::Write),
        3 => Just(Op::DeliverData),
        3 => (1u32..=size.saturating_mul(2)).prop_map(Op::Read),
        2 => Just(Op::DeliverAdjust),
        1 => (1u32..=size).prop_map(Op::Discard),
        1 => (1u32..=size.saturating_mul(2)).prop_map(Op::Resize),
    ]
}

struct Pair {
    send: SendWindow,
    recv: RecvWindow,
    /// Packets in flight: (first byte's sequence number, length).
    data: VecDeque<(u64, u32)>,
    adjusts: VecDeque<u32>,
    written: u64,
    delivered: u64,
    consumed: u64,
    grown: u64,
    adjusted: u64,
}

impl Pair {
    fn new(size: u32, pkt: u32) -> Self {
        Self {
            send: SendWindow::new(size, pkt),
            recv: RecvWindow::new(size, pkt),
            data: VecDeque::new(),
            adjusts: VecDeque::new(),
            written: 0,
            delivered: 0,
            consumed: 0,
            grown: 0,
            adjusted: 0,
        }
    }

    fn apply(&mut self, op: Op) -> Result<(), WindowViolation> {
        match op {
            Op::Write(mut n) => {
                while n > 0 {
                    let k = self.send.take(n);
                    if k == 0 {
                        break;
                    }
                    self.data.push_back((self.written, k));
                    self.written += u64::from(k);
                    n -= k;
                }
            }
            Op::DeliverData => {
                if let Some((seq, len)) = self.data.pop_front() {
                    assert_eq!(seq, self.delivered, "delivered out of order or twice");
                    self.recv.on_data(len)?;
                    self.delivered += u64::from(len);
                }
            }
            Op::Read(n) | Op::Discard(n) => {
                self.consumed += u64::from(self.recv.on_consumed(n));
                self.queue_adjust();
            }
            Op::DeliverAdjust => {
                if let Some(add) = self.adjusts.pop_front() {
                    self.send.on_adjust(add)?;
                }
            }
            Op::Resize(size) => {
                self.grown += u64::from(size.saturating_sub(self.recv.size()));
                self.recv.resize(size);
                self.queue_adjust();
            }
        }
        Ok(())
    }

    fn queue_adjust(&mut self) {
        if let Some(add) = self.recv.take_adjust() {
            self.adjusted += u64::from(add);
            self.adjusts.push_back(add);
        }
    }

    fn data_in_flight(&self) -> u64 {
        self.data.iter().map(|&(_, len)| u64::from(len)).sum()
    }

    fn adjust_in_flight(&self) -> u64 {
        self.adjusts.iter().map(|&a| u64::from(a)).sum()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn window_is_conserved(
        (size, pkt, ops) in (1u32..=8 << 20, 1u32..=64 << 10)
            .prop_flat_map(|(size, pkt)| (Just(size), Just(pkt), vec(any_op(size), 0..300)))
    ) {
        let mut p = Pair::new(size, pkt);
        for op in ops {
            prop_assert!(p.apply(op).is_ok(), "a well-behaved pair never errors");
            // The peer's view and ours agree on how much it may still send.
            prop_assert_eq!(
                u64::from(p.send.remaining()) + p.data_in_flight() + p.adjust_in_flight(),
                u64::from(p.recv.granted())
            );
            // Nothing is created or lost.
            prop_assert_eq!(
                u64::from(p.recv.granted()) + u64::from(p.recv.buffered()) + u64::from(p.recv.owed()),
                u64::from(p.recv.size()) + u64::from(p.recv.excess())
            );
            // Bytes in flight never exceed what was granted, and every byte sent was
            // delivered once, in order, or is still in flight.
            prop_assert!(p.data_in_flight() <= u64::from(p.recv.granted()));
            prop_assert_eq!(p.delivered + p.data_in_flight(), p.written);
            // Adjusts only after consumption (or a grow).
            prop_assert!(p.adjusted <= p.consumed + p.grown);
            prop_assert!(p.data.iter().all(|&(_, len)| len <= pkt));
        }
    }

    #[test]
    fn sender_ignoring_window_gets_overrun(
        size in 1u32..=1 << 20,
        packets in vec((1u32..=64 << 10, 0u32..=64 << 10), 1..200),
    ) {
        // The rogue sender ignores its window; the model counts what the receiver granted.
        let mut recv = RecvWindow::new(size, u32::MAX);
        let mut credit = u64::from(size);
        let mut sent = 0u64;
        for (len, read) in packets {
            let result = recv.on_data(len);
            if sent + u64::from(len) > credit {
                prop_assert_eq!(
                    result,
                    Err(WindowViolation::Overrun { len, granted: u32::try_from(credit - sent).unwrap() })
                );
                prop_assert!(recv.buffered() <= size, "buffered past the window");
                return Ok(());
            }
            prop_assert_eq!(result, Ok(()));
            sent += u64::from(len);
            prop_assert!(recv.buffered() <= size, "buffered past the window");
            recv.on_consumed(read);
            if let Some(add) = recv.take_adjust() {
                credit += u64::from(add);
            }
        }
    }
}
