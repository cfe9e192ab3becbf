//! Model test: a client and a server `Connection` joined by two in-flight message queues,
//! driven by random sends, deliveries, reads, EOFs and CLOSEs. A well-behaved pair never
//! errors, delivers every byte once and in order, and both sides agree on the window. Time
//! passes in random steps, so windows grow and shrink (autotuning) within the budget.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use burrow_connection::{Connection, ConnectionConfig, Event, LocalChannelId, Outgoing};
use burrow_wire::Side;
use burrow_wire::connection::{ChannelOpenType, ConnectionMessage};
use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Write(bool, u32),
    Deliver(bool, u8),
    Read(bool, u32),
    Eof(bool),
    Close(bool),
    /// Time passes: this many milliseconds.
    Tick(u16),
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 1u32..20_000).prop_map(|(c, n)| Op::Write(c, n)),
        4 => (any::<bool>(), 1u8..8).prop_map(|(c, n)| Op::Deliver(c, n)),
        4 => (any::<bool>(), 1u32..20_000).prop_map(|(c, n)| Op::Read(c, n)),
        1 => any::<bool>().prop_map(Op::Eof),
        1 => any::<bool>().prop_map(Op::Close),
        3 => (0u16..1500).prop_map(Op::Tick),
    ]
}

/// One endpoint: its connection, its channel id, what it wrote and what it read.
struct End {
    conn: Connection,
    id: LocalChannelId,
    written: u64,
    read: Vec<u8>,
    closed: bool,
    /// Messages it sent that the other end has not handled yet.
    in_flight: VecDeque<Bytes>,
}

/// The byte at stream offset `i`: a pattern that catches reordering and duplication.
fn pattern(i: u64) -> u8 {
    (i % 251) as u8
}

impl End {
    fn new(side: Side, window: u32, packet: u32, budget: u64) -> Self {
        let config = ConnectionConfig {
            window_size: window,
            max_packet: packet,
            window_budget: budget,
            ..ConnectionConfig::default()
        };
        Self {
            conn: Connection::new(side, config),
            id: LocalChannelId(0),
            written: 0,
            read: Vec::new(),
            closed: false,
            in_flight: VecDeque::new(),
        }
    }

    fn collect(&mut self) {
        while let Some(o) = self.conn.poll_message() {
            let mut b = BytesMut::new();
            o.encode(&mut b);
            if let Outgoing::Data { data, .. } = &o {
                assert!(
                    data.len() as u32
                        <= self
                            .conn
                            .send_window(self.id)
                            .map_or(u32::MAX, |w| w.max_packet())
                );
            }
            self.in_flight.push_back(b.freeze());
        }
    }

    fn write(&mut self, n: u32) {
        if !self
            .conn
            .channel_state(self.id)
            .is_some_and(|s| s.can_send_data())
        {
            return;
        }
        let mut data: Bytes = (0..u64::from(n))
            .map(|i| pattern(self.written + i))
            .collect();
        let taken = self.conn.write(self.id, &mut data).unwrap();
        assert!(taken <= n as usize);
        self.written += taken as u64;
        self.collect();
    }

    fn read(&mut self, n: u32) {
        if self.closed {
            return;
        }
        let mut left = n as usize;
        while left > 0 {
            match self.conn.read(self.id, left).unwrap() {
                Some(chunk) => {
                    left -= chunk.len();
                    self.read.extend_from_slice(&chunk);
                }
                None => break,
            }
        }
        self.collect();
    }

    /// Data and adjust bytes in this end's outgoing queue.
    fn in_flight_bytes(&self) -> (u64, u64) {
        let (mut data, mut adjust) = (0, 0);
        for m in &self.in_flight {
            match ConnectionMessage::decode(m).unwrap() {
                ConnectionMessage::ChannelData(d) => data += d.data.len() as u64,
                ConnectionMessage::ChannelWindowAdjust(a) => adjust += u64::from(a.bytes_to_add),
                _ => {}
            }
        }
        (data, adjust)
    }
}

struct Pair {
    client: End,
    server: End,
    now: Instant,
    /// The largest receive window either end reached.
    max_size: u32,
}

impl Pair {
    /// A client that opened a channel and a server that accepted it, handshake delivered.
    fn new(window: u32, packet: u32, budget: u64) -> Self {
        let mut client = End::new(Side::Client, window, packet, budget);
        let server = End::new(Side::Server, window, packet, budget);
        let open = ChannelOpenType::DirectTcpip {
            host_to_connect: Cow::Borrowed("localhost"),
            port_to_connect: 22,
            originator_address: Cow::Borrowed("127.0.0.1"),
            originator_port: 1,
        };
        client.id = client.conn.open_channel(open).unwrap();
        client.collect();
        let now = Instant::now();
        let mut p = Pair {
            client,
            server,
            now,
            max_size: 0,
        };
        p.deliver(true, 1);
        p.deliver(false, 1);
        for end in [&p.client, &p.server] {
            assert!(
                end.conn
                    .channel_state(end.id)
                    .is_some_and(|s| s.can_send_data())
            );
        }
        p
    }

    fn ends(&mut self, client: bool) -> (&mut End, &mut End) {
        match client {
            true => (&mut self.client, &mut self.server),
            false => (&mut self.server, &mut self.client),
        }
    }

    /// Delivers up to `n` messages from one end to the other.
    fn deliver(&mut self, from_client: bool, n: u8) {
        let (from, to) = self.ends(from_client);
        for _ in 0..n {
            let Some(m) = from.in_flight.pop_front() else {
                break;
            };
            to.conn.handle_message(&m).unwrap();
            while let Some(e) = to.conn.poll_event() {
                if let Event::ChannelOpenRequest { channel, .. } = e {
                    to.id = channel;
                    to.conn.accept_channel(channel).unwrap();
                }
                if let Event::PeerClosed { .. } = e {
                    if !to.closed {
                        // Read what is left, then close, as an application would.
                        while let Some(chunk) = to.conn.read(to.id, usize::MAX).unwrap() {
                            to.read.extend_from_slice(&chunk);
                        }
                        to.conn.close(to.id).unwrap();
                        to.closed = true;
                    }
                }
            }
            to.collect();
        }
    }

    fn apply(&mut self, op: Op) {
        for end in [&mut self.client, &mut self.server] {
            end.conn.set_now(self.now);
        }
        match op {
            Op::Tick(ms) => self.now += Duration::from_millis(u64::from(ms)),
            Op::Write(c, n) => self.ends(c).0.write(n),
            Op::Deliver(c, n) => self.deliver(c, n),
            Op::Read(c, n) => self.ends(c).0.read(n),
            Op::Eof(c) => {
                let end = self.ends(c).0;
                if !end.closed {
                    end.conn.eof(end.id).unwrap();
                    end.collect();
                }
            }
            Op::Close(c) => {
                let end = self.ends(c).0;
                if !end.closed {
                    end.conn.close(end.id).unwrap();
                    end.closed = true;
                    end.collect();
                }
            }
        }
    }

    /// The sender's window, its data in flight and the receiver's adjusts in flight add up
    /// to what the receiver believes it granted.
    fn check_views(&self, sender: &End, receiver: &End) {
        let (Some(sw), Some(rw)) = (
            sender.conn.send_window(sender.id),
            receiver.conn.recv_window(receiver.id),
        ) else {
            return;
        };
        if sender.closed || receiver.closed {
            return;
        }
        let (data, _) = sender.in_flight_bytes();
        let (_, adjust) = receiver.in_flight_bytes();
        assert_eq!(
            u64::from(sw.remaining()) + data + adjust,
            u64::from(rw.granted())
        );
        let held = u64::from(rw.size()) + u64::from(rw.excess());
        assert!(receiver.conn.buffered(receiver.id) as u64 <= held);
        assert!(u64::from(rw.granted()) + u64::from(rw.buffered()) <= held);
        assert_eq!(receiver.conn.committed_window(), held);
        assert!(held <= receiver.conn.config().window_budget);
    }

    fn check(&mut self) {
        for end in [&self.client, &self.server] {
            if let Some(w) = end.conn.recv_window(end.id) {
                self.max_size = self.max_size.max(w.size());
            }
        }
        self.check_views(&self.client, &self.server);
        self.check_views(&self.server, &self.client);
        for (reader, writer) in [(&self.client, &self.server), (&self.server, &self.client)] {
            assert!(reader.read.len() as u64 <= writer.written);
            for (i, b) in reader.read.iter().enumerate() {
                assert_eq!(
                    *b,
                    pattern(i as u64),
                    "byte {i} delivered out of order or twice"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn channel_pair_agrees_and_delivers_in_order(
        window in 1u32..=1 << 17,
        packet in 64u32..=1 << 15,
        budget_windows in 2u64..16,
        ops in vec(any_op(), 0..120),
    ) {
        let mut p = Pair::new(window, packet, u64::from(window) * budget_windows);
        for op in ops {
            p.apply(op);
            p.check();
        }
        // Drain: with neither end closed, every byte written arrives exactly once.
        if !p.client.closed && !p.server.closed {
            for _ in 0..1000 {
                p.deliver(true, 255);
                p.deliver(false, 255);
                p.apply(Op::Read(true, u32::MAX));
                p.apply(Op::Read(false, u32::MAX));
                p.check();
                if p.client.in_flight.is_empty() && p.server.in_flight.is_empty() {
                    break;
                }
            }
            prop_assert_eq!(p.client.read.len() as u64, p.server.written);
            prop_assert_eq!(p.server.read.len() as u64, p.client.written);
        }
        // Wind down: both close, everything is delivered, and both ids are freed.
        for c in [true, false] {
            p.apply(Op::Close(c));
        }
        for _ in 0..1000 {
            if p.client.in_flight.is_empty() && p.server.in_flight.is_empty() {
                break;
            }
            p.deliver(true, 255);
            p.deliver(false, 255);
        }
        prop_assert_eq!(p.client.conn.channel_count(), 0);
        prop_assert_eq!(p.server.conn.channel_count(), 0);
    }
}

/// One round trip of a bulk transfer from the client over a path of `rtt_ms`: the client
/// writes what its window allows, the data arrives half a round trip later and is read at
/// once, and the adjusts arrive another half later. Returns the bytes the server read.
fn bulk_round(p: &mut Pair, rtt_ms: u16) -> usize {
    let before = p.server.read.len();
    let room = p.client.conn.writable(p.client.id);
    p.apply(Op::Write(true, room));
    p.apply(Op::Tick(rtt_ms / 2));
    p.apply(Op::Deliver(true, 255));
    p.apply(Op::Read(false, u32::MAX));
    p.apply(Op::Tick(rtt_ms / 2));
    p.apply(Op::Deliver(false, 255));
    p.check();
    p.server.read.len() - before
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Growth, the budget bound and shrinking: a window-limited bulk transfer doubles the
    /// receive window every round trip up to half the budget (never past it), so more moves
    /// per round trip; after an idle pause the window is back at its initial size.
    #[test]
    fn window_grows_on_a_slow_path_within_budget_and_shrinks_when_idle(
        window in 4096u32..=1 << 16,
        budget_windows in 4u64..32,
        rtt_ms in 2u16..400,
    ) {
        let budget = u64::from(window) * budget_windows;
        // Packets as large as the window, so that one round's data fits one delivery.
        let mut p = Pair::new(window, 1 << 20, budget);
        let first = bulk_round(&mut p, rtt_ms);
        let mut last = first;
        for _ in 0..12 {
            last = bulk_round(&mut p, rtt_ms);
            let w = p.server.conn.recv_window(p.server.id).unwrap();
            prop_assert!(u64::from(w.size()) <= budget / 2);
            prop_assert!(p.server.conn.committed_window() <= budget);
        }
        let grown = p.server.conn.recv_window(p.server.id).unwrap().size();
        prop_assert!(grown >= window * 2, "window stayed at {grown} of {window}");
        prop_assert!(last > first, "{last} bytes per round trip, {first} at first");
        // Idle, then a little data: the window goes back to its initial size.
        p.apply(Op::Tick(1000 + rtt_ms));
        bulk_round(&mut p, rtt_ms);
        let w = p.server.conn.recv_window(p.server.id).unwrap();
        prop_assert_eq!(w.size(), window);
        prop_assert!(p.server.conn.committed_window() <= budget);
    }
}

/// A paced bulk transfer from the client over a path of `rtt_ms`, in 1 ms steps for
/// `rtts` round trips: each step the client writes what its window allows up to `per_ms`
/// bytes, every message arrives half a round trip after it was sent, and the server reads
/// everything at once. Returns the bytes the server read in each round trip.
fn paced_transfer(p: &mut Pair, rtt_ms: u16, per_ms: u32, rtts: usize) -> Vec<usize> {
    let half = u64::from(rtt_ms / 2);
    let mut clock = 0u64;
    // Arrival times of the messages in each end's `in_flight` (client, server).
    let mut stamps = [VecDeque::new(), VecDeque::new()];
    let mut per_round = Vec::new();
    let mut round_start = p.server.read.len();
    let stamp = |p: &Pair, stamps: &mut [VecDeque<u64>; 2], clock: u64| {
        for (i, end) in [&p.client, &p.server].into_iter().enumerate() {
            while stamps[i].len() < end.in_flight.len() {
                stamps[i].push_back(clock + half);
            }
        }
    };
    for step in 1..=rtts * usize::from(rtt_ms) {
        let room = p.client.conn.writable(p.client.id).min(per_ms);
        p.apply(Op::Write(true, room));
        stamp(p, &mut stamps, clock);
        for (i, from_client) in [(0, true), (1, false)] {
            while stamps[i].front().is_some_and(|&t| t <= clock) {
                stamps[i].pop_front();
                p.apply(Op::Deliver(from_client, 1));
                stamp(p, &mut stamps, clock);
            }
        }
        p.apply(Op::Read(false, u32::MAX));
        stamp(p, &mut stamps, clock);
        p.apply(Op::Tick(1));
        clock += 1;
        if step % usize::from(rtt_ms) == 0 {
            per_round.push(p.server.read.len() - round_start);
            round_start = p.server.read.len();
        }
    }
    p.check();
    per_round
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// A sender that always uses the window it has (paced, as a real one is, so adjusts
    /// and data arrive spread over the round trip) gets the window grown until the path's
    /// rate is reached: growth must not stall at half a window per round trip, which is
    /// all a window-limited sender moves in the worst phase of adjusts at half the window.
    #[test]
    fn paced_sender_reaches_the_path_rate(
        window in 4096u32..=16_384,
        bdp_windows in 8u32..32,
        rtt_ms in 20u16..100,
    ) {
        let budget = u64::from(window) * 256;
        let mut p = Pair::new(window, 32 << 10, budget);
        let bdp = window * bdp_windows;
        let per_ms = bdp / u32::from(rtt_ms);
        let rounds = paced_transfer(&mut p, rtt_ms, per_ms, 40);
        let size = p.server.conn.recv_window(p.server.id).unwrap().size();
        let tail = rounds[rounds.len() - 5..].iter().min().copied().unwrap_or(0);
        let rate = per_ms as usize * usize::from(rtt_ms);
        prop_assert!(
            tail * 10 >= rate * 9,
            "{tail} bytes per round trip of {rate} possible, window {size}, rounds {rounds:?}"
        );
        prop_assert!(u64::from(size) <= budget / 2);
    }
}
