//! Model test: a client and a server `Connection` joined by two in-flight message queues,
//! driven by random sends, deliveries, reads, EOFs and CLOSEs. A well-behaved pair never
//! errors, delivers every byte once and in order, and both sides agree on the window.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::borrow::Cow;
use std::collections::VecDeque;

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
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 1u32..20_000).prop_map(|(c, n)| Op::Write(c, n)),
        4 => (any::<bool>(), 1u8..8).prop_map(|(c, n)| Op::Deliver(c, n)),
        4 => (any::<bool>(), 1u32..20_000).prop_map(|(c, n)| Op::Read(c, n)),
        1 => any::<bool>().prop_map(Op::Eof),
        1 => any::<bool>().prop_map(Op::Close),
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
    fn new(side: Side, window: u32, packet: u32) -> Self {
        let config = ConnectionConfig {
            window_size: window,
            max_packet: packet,
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
}

impl Pair {
    /// A client that opened a channel and a server that accepted it, handshake delivered.
    fn new(window: u32, packet: u32) -> Self {
        let mut client = End::new(Side::Client, window, packet);
        let server = End::new(Side::Server, window, packet);
        let open = ChannelOpenType::DirectTcpip {
            host_to_connect: Cow::Borrowed("localhost"),
            port_to_connect: 22,
            originator_address: Cow::Borrowed("127.0.0.1"),
            originator_port: 1,
        };
        client.id = client.conn.open_channel(open).unwrap();
        client.collect();
        let mut p = Pair { client, server };
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
        match op {
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
        assert!(receiver.conn.buffered(receiver.id) as u64 <= u64::from(rw.size()));
    }

    fn check(&self) {
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
        ops in vec(any_op(), 0..120),
    ) {
        let mut p = Pair::new(window, packet);
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
