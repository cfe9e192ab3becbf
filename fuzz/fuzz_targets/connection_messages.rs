//! Arbitrary sequences of connection-layer messages (well-formed and raw) and application
//! verbs into a server-side `Connection`. It must never panic, and never hold more received
//! data than the windows it granted.
#![no_main]

use std::borrow::Cow;

use burrow_connection::{
    ChannelRequestId, Connection, ConnectionConfig, Event, GlobalRequestId, LocalChannelId,
    Outgoing,
};
use burrow_wire::connection::*;
use burrow_wire::{OpenFailureReason, Side};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

/// Reads fuzz input as small numbers; zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// A window-ish number: often small, sometimes huge.
    fn size(&mut self) -> u32 {
        match self.byte() % 4 {
            0 => u32::from(self.byte()),
            1 => u32::from(self.byte()) << 8,
            2 => u32::from(self.byte()) << 16,
            _ => self.u32(),
        }
    }

    fn channel(&mut self) -> u32 {
        match self.byte() % 8 {
            7 => self.u32(),
            n => u32::from(n),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

const LIMITS: ConnectionConfig = ConnectionConfig {
    max_channels: 4,
    window_size: 4096,
    max_packet: 1024,
    max_send_packet: 512,
    max_pending_requests: 4,
    window_budget: 16 << 10,
};

struct App {
    offered: Vec<LocalChannelId>,
    global: Vec<GlobalRequestId>,
    channel: Vec<(LocalChannelId, ChannelRequestId)>,
    /// The time passed to the connection (windows are tuned from it).
    now: std::time::Instant,
}

fn peer_message<'a>(input: &mut Input<'_>, scratch: &'a [u8]) -> ConnectionMessage<'a> {
    let recipient_channel = input.channel();
    let s = |n: u8| Cow::Borrowed(if n % 2 == 0 { "localhost" } else { "" });
    match input.byte() % 14 {
        0 => ConnectionMessage::ChannelOpen(ChannelOpen {
            sender_channel: input.u32(),
            initial_window_size: input.size(),
            maximum_packet_size: input.size(),
            channel_type: match input.byte() % 5 {
                0 => ChannelOpenType::Session,
                1 => ChannelOpenType::DirectTcpip {
                    host_to_connect: s(input.byte()),
                    port_to_connect: input.u32(),
                    originator_address: s(1),
                    originator_port: 0,
                },
                2 => ChannelOpenType::ForwardedTcpip {
                    address_that_was_connected: s(0),
                    port_that_was_connected: 1,
                    originator_address: s(0),
                    originator_port: 2,
                },
                3 => ChannelOpenType::DirectStreamlocal {
                    socket_path: s(0),
                    reserved: s(1),
                    reserved_port: 0,
                },
                _ => ChannelOpenType::Unknown {
                    channel_type: Cow::Borrowed("x11"),
                    data: Cow::Borrowed(&[]),
                },
            },
        }),
        1 => ConnectionMessage::ChannelOpenConfirmation(ChannelOpenConfirmation {
            recipient_channel,
            sender_channel: input.u32(),
            initial_window_size: input.size(),
            maximum_packet_size: input.size(),
            data: Cow::Borrowed(&[]),
        }),
        2 => ConnectionMessage::ChannelOpenFailure(ChannelOpenFailure {
            recipient_channel,
            reason_code: OpenFailureReason::from_code(input.u32()),
            description: Cow::Borrowed("no"),
            language_tag: Cow::Borrowed(""),
        }),
        3 => ConnectionMessage::ChannelWindowAdjust(ChannelWindowAdjust {
            recipient_channel,
            bytes_to_add: input.size(),
        }),
        4 | 5 => {
            let len = usize::from(u16::from_be_bytes([input.byte(), input.byte()]) % 1100);
            let data = Cow::Borrowed(&scratch[..len.min(scratch.len())]);
            if input.byte() % 4 == 0 {
                ConnectionMessage::ChannelExtendedData(ChannelExtendedData {
                    recipient_channel,
                    data_type_code: EXTENDED_DATA_STDERR,
                    data,
                })
            } else {
                ConnectionMessage::ChannelData(ChannelData {
                    recipient_channel,
                    data,
                })
            }
        }
        6 => ConnectionMessage::ChannelEof(ChannelEof { recipient_channel }),
        7 => ConnectionMessage::ChannelClose(ChannelClose { recipient_channel }),
        8 => ConnectionMessage::ChannelRequest(ChannelRequest {
            recipient_channel,
            want_reply: input.byte() % 2 == 0,
            request: match input.byte() % 4 {
                0 => ChannelRequestKind::Exec {
                    command: Cow::Borrowed(b"ls"),
                },
                1 => ChannelRequestKind::ExitStatus { exit_status: 1 },
                2 => ChannelRequestKind::Eow,
                _ => ChannelRequestKind::Unknown {
                    request_type: Cow::Borrowed("pty-req"),
                    data: Cow::Borrowed(&[]),
                },
            },
        }),
        9 => ConnectionMessage::ChannelSuccess(ChannelSuccess { recipient_channel }),
        10 => ConnectionMessage::ChannelFailure(ChannelFailure { recipient_channel }),
        11 => ConnectionMessage::GlobalRequest(GlobalRequest {
            want_reply: input.byte() % 2 == 0,
            request: match input.byte() % 5 {
                0 => GlobalRequestKind::TcpipForward {
                    address_to_bind: s(0),
                    port_to_bind: u32::from(input.byte() % 2),
                },
                1 => GlobalRequestKind::Keepalive,
                2 => GlobalRequestKind::NoMoreSessions,
                3 => GlobalRequestKind::StreamlocalForward { socket_path: s(0) },
                _ => GlobalRequestKind::Unknown {
                    request_name: Cow::Borrowed("x@y"),
                    data: Cow::Borrowed(&[]),
                },
            },
        }),
        12 => ConnectionMessage::RequestSuccess(RequestSuccess::with_bound_port(22)),
        _ => ConnectionMessage::RequestFailure(RequestFailure),
    }
}

fn app_verb(input: &mut Input<'_>, c: &mut Connection, app: &mut App) {
    let id = LocalChannelId(input.channel());
    // Local misuse returns errors: never a peer error, never a panic.
    let result = match input.byte() % 10 {
        0 => match app.offered.pop() {
            Some(ch) if input.byte() % 2 == 0 => c.accept_channel(ch),
            Some(ch) => c.reject_channel(ch, OpenFailureReason::ConnectFailed, "no"),
            None => Ok(()),
        },
        1 => c.read(id, usize::from(input.byte()) * 64).map(drop),
        2 => {
            let mut data = Bytes::from(vec![0u8; usize::from(input.byte()) * 32]);
            c.write(id, &mut data).map(drop)
        }
        3 => c.eof(id),
        4 => c.close(id),
        5 => c
            .open_channel(ChannelOpenType::ForwardedTcpip {
                address_that_was_connected: Cow::Borrowed("localhost"),
                port_that_was_connected: 1,
                originator_address: Cow::Borrowed("127.0.0.1"),
                originator_port: 2,
            })
            .map(drop),
        6 => match app.global.pop() {
            Some(g) if input.byte() % 2 == 0 => c.accept_global_request(g, Some(1)),
            Some(g) => c.reject_global_request(g),
            None => c
                .send_global_request(GlobalRequestKind::Keepalive, true)
                .map(drop),
        },
        7 => match app.channel.pop() {
            Some((ch, r)) => c.reply_channel_request(ch, r, input.byte() % 2 == 0),
            None => c
                .send_channel_request(id, ChannelRequestKind::Eow, input.byte() % 2 == 0)
                .map(drop),
        },
        8 => c.set_recv_window(id, input.size() % (1 << 20)),
        _ => {
            app.now += std::time::Duration::from_micros(u64::from(input.size()));
            c.set_now(app.now);
            Ok(())
        }
    };
    if let Err(e) = result {
        assert!(!e.is_peer_error(), "{e}");
    }
}

fn drain(c: &mut Connection, app: &mut App, auto_accept: bool, auto_read: bool) {
    while let Some(event) = c.poll_event() {
        match event {
            Event::ChannelOpenRequest { channel, .. } if auto_accept => {
                assert!(c.accept_channel(channel).is_ok());
            }
            Event::ChannelOpenRequest { channel, .. } => app.offered.push(channel),
            Event::Readable { channel } if auto_read => {
                while let Ok(Some(chunk)) = c.read(channel, 700) {
                    assert!(!chunk.is_empty() && chunk.len() <= 700);
                }
            }
            Event::GlobalRequest {
                id,
                want_reply: true,
                ..
            } => app.global.push(id),
            Event::ChannelRequest {
                channel,
                id,
                want_reply: true,
                ..
            } => app.channel.push((channel, id)),
            _ => {}
        }
    }
    // Bound the application's own lists as a real one would.
    app.offered.truncate(8);
    app.global.truncate(8);
    app.channel.truncate(8);
    while let Some(out) = c.poll_message() {
        if let Outgoing::Data { data, .. } = &out {
            assert!(data.len() <= LIMITS.max_send_packet as usize);
        }
    }
}

fn check_windows(c: &Connection) {
    for id in c.channel_ids() {
        let Some(w) = c.recv_window(id) else {
            continue;
        };
        let held = u64::from(w.granted()) + u64::from(w.buffered()) + u64::from(w.owed());
        assert_eq!(held, u64::from(w.size()) + u64::from(w.excess()));
        // Everything buffered passed the window check: never more than was granted.
        assert!(c.buffered(id) as u64 <= u64::from(w.buffered()));
        assert!(u64::from(w.buffered()) <= u64::from(w.size()) + u64::from(w.excess()));
    }
    assert!(c.channel_count() <= LIMITS.max_channels);
}

/// Feeds one payload; every error it returns must be the peer's fault.
fn peer(c: &mut Connection, payload: &Bytes) {
    if let Err(e) = c.handle_message(payload) {
        assert!(e.is_peer_error(), "{e}");
        assert!(!e.to_string().is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mut c = Connection::new(Side::Server, LIMITS);
    let mut app = App {
        offered: Vec::new(),
        global: Vec::new(),
        channel: Vec::new(),
        now: std::time::Instant::now(),
    };
    let scratch = [0x5au8; 1100];
    let mut steps = 0;
    while !input.is_empty() && steps < 2000 {
        steps += 1;
        let op = input.byte();
        match op % 8 {
            0 => {
                // A raw payload, decodable or not.
                let len = usize::from(input.byte());
                let mut raw = Vec::with_capacity(len + 1);
                raw.push(80 + input.byte() % 21);
                raw.extend((0..len).map(|_| input.byte()));
                peer(&mut c, &Bytes::from(raw));
            }
            1..=4 => {
                let msg = peer_message(&mut input, &scratch);
                peer(&mut c, &msg.to_bytes().freeze());
            }
            _ => app_verb(&mut input, &mut c, &mut app),
        }
        let flags = input.byte();
        drain(&mut c, &mut app, flags & 1 == 1, flags & 2 == 2);
        check_windows(&c);
    }
});
