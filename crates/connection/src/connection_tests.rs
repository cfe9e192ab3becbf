//! Channel life and data flow through `Connection`: one test per transition and per error.

use std::borrow::Cow;

use burrow_wire::connection::*;
use burrow_wire::{DisconnectReason, OpenFailureReason, Side, msg};
use bytes::{Bytes, BytesMut};

use super::*;
use crate::config::ConnectionConfig;

pub(crate) fn bytes(m: ConnectionMessage<'_>) -> Bytes {
    m.to_bytes().freeze()
}

/// Everything queued for the transport, encoded.
pub(crate) fn sent(c: &mut Connection) -> Vec<BytesMut> {
    let mut v = Vec::new();
    while let Some(o) = c.poll_message() {
        let mut b = BytesMut::new();
        o.encode(&mut b);
        v.push(b);
    }
    v
}

pub(crate) fn events(c: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

pub(crate) fn direct_tcpip() -> ChannelOpenType<'static> {
    ChannelOpenType::DirectTcpip {
        host_to_connect: Cow::Borrowed("localhost"),
        port_to_connect: 80,
        originator_address: Cow::Borrowed("127.0.0.1"),
        originator_port: 4000,
    }
}

pub(crate) fn peer_open(sender: u32, window: u32, max_packet: u32) -> Bytes {
    bytes(ConnectionMessage::ChannelOpen(ChannelOpen {
        sender_channel: sender,
        initial_window_size: window,
        maximum_packet_size: max_packet,
        channel_type: direct_tcpip(),
    }))
}

pub(crate) fn data(recipient: u32, d: &[u8]) -> Bytes {
    bytes(ConnectionMessage::ChannelData(ChannelData {
        recipient_channel: recipient,
        data: Cow::Borrowed(d),
    }))
}

fn adjust(recipient: u32, add: u32) -> Bytes {
    bytes(ConnectionMessage::ChannelWindowAdjust(
        ChannelWindowAdjust {
            recipient_channel: recipient,
            bytes_to_add: add,
        },
    ))
}

fn eof(recipient: u32) -> Bytes {
    bytes(ConnectionMessage::ChannelEof(ChannelEof {
        recipient_channel: recipient,
    }))
}

fn close(recipient: u32) -> Bytes {
    bytes(ConnectionMessage::ChannelClose(ChannelClose {
        recipient_channel: recipient,
    }))
}

fn small_config() -> ConnectionConfig {
    ConnectionConfig {
        window_size: 1000,
        max_packet: 100,
        ..ConnectionConfig::default()
    }
}

pub(crate) fn server() -> Connection {
    Connection::new(Side::Server, small_config())
}

/// A server with one channel the peer opened (its id 77, window 500, packets of 50) and we
/// accepted; queues drained.
pub(crate) fn server_with_channel() -> (Connection, LocalChannelId) {
    let mut c = server();
    c.handle_message(&peer_open(77, 500, 50)).unwrap();
    let id = match events(&mut c).as_slice() {
        [Event::ChannelOpenRequest { channel, .. }] => *channel,
        other => panic!("unexpected events {other:?}"),
    };
    c.accept_channel(id).unwrap();
    sent(&mut c);
    (c, id)
}

/// A client that opened a channel and got it confirmed (peer id 9, window 300, packets of 64).
fn client_with_channel() -> (Connection, LocalChannelId) {
    let mut c = Connection::new(Side::Client, small_config());
    let id = c.open_channel(direct_tcpip()).unwrap();
    sent(&mut c);
    c.handle_message(&confirmation(id.0, 9, 300, 64)).unwrap();
    events(&mut c);
    (c, id)
}

fn confirmation(recipient: u32, sender: u32, window: u32, max_packet: u32) -> Bytes {
    bytes(ConnectionMessage::ChannelOpenConfirmation(
        ChannelOpenConfirmation {
            recipient_channel: recipient,
            sender_channel: sender,
            initial_window_size: window,
            maximum_packet_size: max_packet,
            data: Cow::Borrowed(&[]),
        },
    ))
}

fn decode(b: &[u8]) -> ConnectionMessage<'_> {
    ConnectionMessage::decode(b).unwrap()
}

// ----- opening -----

#[test]
fn peer_open_is_offered_to_the_application() {
    let mut c = server();
    c.handle_message(&peer_open(77, 500, 50)).unwrap();
    assert_eq!(
        events(&mut c),
        vec![Event::ChannelOpenRequest {
            channel: LocalChannelId(0),
            channel_type: direct_tcpip()
        }]
    );
    assert_eq!(
        c.channel_state(LocalChannelId(0)),
        Some(ChannelState::Offered)
    );
    assert!(
        sent(&mut c).is_empty(),
        "nothing is answered before the application decides"
    );
}

#[test]
fn accept_sends_confirmation_with_our_window() {
    let mut c = server();
    c.handle_message(&peer_open(77, 500, 50)).unwrap();
    c.accept_channel(LocalChannelId(0)).unwrap();
    let out = sent(&mut c);
    assert_eq!(
        decode(&out[0]),
        ConnectionMessage::ChannelOpenConfirmation(ChannelOpenConfirmation {
            recipient_channel: 77,
            sender_channel: 0,
            initial_window_size: 1000,
            maximum_packet_size: 100,
            data: Cow::Borrowed(&[]),
        })
    );
    assert_eq!(c.writable(LocalChannelId(0)), 500);
    assert_eq!(
        c.remote_channel(LocalChannelId(0)),
        Some(RemoteChannelId(77))
    );
}

#[test]
fn reject_sends_failure_and_frees_the_id() {
    let mut c = server();
    c.handle_message(&peer_open(77, 500, 50)).unwrap();
    let id = LocalChannelId(0);
    c.reject_channel(id, OpenFailureReason::ConnectFailed, "refused")
        .unwrap();
    let out = sent(&mut c);
    assert!(matches!(
        decode(&out[0]),
        ConnectionMessage::ChannelOpenFailure(ChannelOpenFailure {
            recipient_channel: 77,
            reason_code: OpenFailureReason::ConnectFailed,
            ref description,
            ..
        }) if description == "refused"
    ));
    assert_eq!(c.channel_count(), 0);
    assert_eq!(c.channel_state(id), None);
}

#[test]
fn unknown_channel_type_is_refused_without_an_event() {
    let mut c = server();
    let open = bytes(ConnectionMessage::ChannelOpen(ChannelOpen {
        sender_channel: 3,
        initial_window_size: 10,
        maximum_packet_size: 10,
        channel_type: ChannelOpenType::Unknown {
            channel_type: Cow::Borrowed("x11"),
            data: Cow::Borrowed(&[]),
        },
    }));
    c.handle_message(&open).unwrap();
    assert!(events(&mut c).is_empty());
    let out = sent(&mut c);
    assert!(matches!(
        decode(&out[0]),
        ConnectionMessage::ChannelOpenFailure(ChannelOpenFailure {
            recipient_channel: 3,
            reason_code: OpenFailureReason::UnknownChannelType,
            ..
        })
    ));
    assert_eq!(c.channel_count(), 0);
}

#[test]
fn client_refuses_direct_tcpip_from_the_server() {
    let mut c = Connection::new(Side::Client, small_config());
    c.handle_message(&peer_open(5, 10, 10)).unwrap();
    assert!(events(&mut c).is_empty());
    assert!(matches!(
        decode(&sent(&mut c)[0]),
        ConnectionMessage::ChannelOpenFailure(ChannelOpenFailure {
            reason_code: OpenFailureReason::AdministrativelyProhibited,
            ..
        })
    ));
}

#[test]
fn opens_past_the_limit_get_resource_shortage() {
    let mut c = Connection::new(
        Side::Server,
        ConnectionConfig {
            max_channels: 2,
            ..small_config()
        },
    );
    for sender in 0..3 {
        c.handle_message(&peer_open(sender, 10, 10)).unwrap();
    }
    assert_eq!(events(&mut c).len(), 2);
    let out = sent(&mut c);
    assert_eq!(out.len(), 1);
    assert!(matches!(
        decode(&out[0]),
        ConnectionMessage::ChannelOpenFailure(ChannelOpenFailure {
            recipient_channel: 2,
            reason_code: OpenFailureReason::ResourceShortage,
            ..
        })
    ));
    assert_eq!(c.channel_count(), 2);
}

#[test]
fn default_limit_is_1024_channels() {
    let mut c = Connection::new(Side::Server, ConnectionConfig::default());
    for sender in 0..1025 {
        c.handle_message(&peer_open(sender, 10, 10)).unwrap();
    }
    assert_eq!(c.channel_count(), 1024);
    assert_eq!(sent(&mut c).len(), 1);
}

#[test]
fn many_rejected_opens_do_not_grow_memory() {
    let mut c = server();
    for sender in 0..20_000 {
        c.handle_message(&peer_open(sender, 10, 10)).unwrap();
        let Some(Event::ChannelOpenRequest { channel, .. }) = c.poll_event() else {
            panic!("no open request");
        };
        c.reject_channel(channel, OpenFailureReason::AdministrativelyProhibited, "no")
            .unwrap();
        assert_eq!(sent(&mut c).len(), 1);
    }
    assert_eq!(c.channel_count(), 0);
    assert_eq!(c.channels.slot_count(), 1, "the one slot is reused");
    assert!(c.events.is_empty() && c.out.is_empty());
}

#[test]
fn open_refused_at_the_limit_leaves_nothing_behind() {
    let mut c = Connection::new(
        Side::Server,
        ConnectionConfig {
            max_channels: 1,
            ..small_config()
        },
    );
    c.handle_message(&peer_open(0, 10, 10)).unwrap();
    for sender in 1..10_000 {
        c.handle_message(&peer_open(sender, 10, 10)).unwrap();
        assert_eq!(sent(&mut c).len(), 1);
    }
    assert_eq!(events(&mut c).len(), 1);
    assert_eq!(c.channels.slot_count(), 1);
}

#[test]
fn no_more_sessions_refuses_later_sessions() {
    let mut c = server();
    let nms = bytes(ConnectionMessage::GlobalRequest(GlobalRequest {
        want_reply: false,
        request: GlobalRequestKind::NoMoreSessions,
    }));
    c.handle_message(&nms).unwrap();
    let session = bytes(ConnectionMessage::ChannelOpen(ChannelOpen {
        sender_channel: 1,
        initial_window_size: 10,
        maximum_packet_size: 10,
        channel_type: ChannelOpenType::Session,
    }));
    c.handle_message(&session).unwrap();
    assert!(events(&mut c).is_empty());
    assert!(matches!(
        decode(&sent(&mut c)[0]),
        ConnectionMessage::ChannelOpenFailure(ChannelOpenFailure {
            reason_code: OpenFailureReason::AdministrativelyProhibited,
            ..
        })
    ));
}

#[test]
fn our_open_is_sent_and_confirmed() {
    let mut c = Connection::new(Side::Client, small_config());
    let id = c.open_channel(direct_tcpip()).unwrap();
    assert_eq!(
        decode(&sent(&mut c)[0]),
        ConnectionMessage::ChannelOpen(ChannelOpen {
            sender_channel: id.0,
            initial_window_size: 1000,
            maximum_packet_size: 100,
            channel_type: direct_tcpip(),
        })
    );
    assert_eq!(
        c.writable(id),
        0,
        "nothing may be written before confirmation"
    );
    c.handle_message(&confirmation(id.0, 9, 300, 1 << 30))
        .unwrap();
    assert_eq!(events(&mut c), vec![Event::ChannelOpened { channel: id }]);
    assert_eq!(c.writable(id), 300);
    assert_eq!(
        c.send_window(id).unwrap().max_packet(),
        crate::config::DEFAULT_MAX_SEND_PACKET,
        "the peer's huge maximum packet is capped"
    );
}

#[test]
fn open_failure_frees_the_id_for_reuse() {
    let mut c = Connection::new(Side::Client, small_config());
    let id = c.open_channel(direct_tcpip()).unwrap();
    let failure = bytes(ConnectionMessage::ChannelOpenFailure(ChannelOpenFailure {
        recipient_channel: id.0,
        reason_code: OpenFailureReason::ConnectFailed,
        description: Cow::Borrowed("no route"),
        language_tag: Cow::Borrowed(""),
    }));
    c.handle_message(&failure).unwrap();
    assert_eq!(
        events(&mut c),
        vec![Event::ChannelOpenFailed {
            channel: id,
            reason: OpenFailureReason::ConnectFailed,
            description: "no route".into()
        }]
    );
    assert_eq!(c.channel_count(), 0);
    assert_eq!(c.open_channel(direct_tcpip()).unwrap(), id);
    assert_eq!(
        c.handle_message(&failure).map(|_| ()),
        Ok(()),
        "the reused id is opening again"
    );
}

#[test]
fn confirmation_for_unknown_channel_is_protocol_error() {
    let mut c = Connection::new(Side::Client, small_config());
    let e = c.handle_message(&confirmation(4, 9, 10, 10)).unwrap_err();
    assert_eq!(
        e,
        Error::UnknownChannel {
            channel: 4,
            message: msg::CHANNEL_OPEN_CONFIRMATION
        }
    );
    assert_eq!(e.disconnect_reason(), DisconnectReason::ProtocolError);
}

#[test]
fn second_confirmation_is_protocol_error() {
    let (mut c, id) = client_with_channel();
    assert!(matches!(
        c.handle_message(&confirmation(id.0, 9, 10, 10)),
        Err(Error::UnexpectedMessage { .. })
    ));
}

#[test]
fn closing_an_unconfirmed_open_closes_it_on_confirmation() {
    let mut c = Connection::new(Side::Client, small_config());
    let id = c.open_channel(direct_tcpip()).unwrap();
    sent(&mut c);
    c.close(id).unwrap();
    assert!(sent(&mut c).is_empty());
    c.handle_message(&confirmation(id.0, 9, 10, 10)).unwrap();
    assert!(events(&mut c).is_empty());
    assert_eq!(
        decode(&sent(&mut c)[0]),
        ConnectionMessage::ChannelClose(ChannelClose {
            recipient_channel: 9
        })
    );
    c.handle_message(&close(id.0)).unwrap();
    assert_eq!(c.channel_count(), 0);
}

#[test]
fn failure_of_an_abandoned_open_is_silent() {
    let mut c = Connection::new(Side::Client, small_config());
    let id = c.open_channel(direct_tcpip()).unwrap();
    c.close(id).unwrap();
    let failure = bytes(ConnectionMessage::ChannelOpenFailure(ChannelOpenFailure {
        recipient_channel: id.0,
        reason_code: OpenFailureReason::ConnectFailed,
        description: Cow::Borrowed(""),
        language_tag: Cow::Borrowed(""),
    }));
    c.handle_message(&failure).unwrap();
    assert!(events(&mut c).is_empty());
    assert_eq!(c.channel_count(), 0);
}

// ----- sending -----

#[test]
fn write_splits_by_max_packet_and_stops_at_the_window() {
    let (mut c, id) = client_with_channel();
    let mut d = Bytes::from(vec![7u8; 1000]);
    assert_eq!(c.write(id, &mut d).unwrap(), 300);
    assert_eq!(d.len(), 700, "the rest stays with the caller");
    let lens: Vec<usize> = std::iter::from_fn(|| c.poll_message())
        .map(|o| match o {
            Outgoing::Data { recipient, data } => {
                assert_eq!(recipient, RemoteChannelId(9));
                data.len()
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(lens, vec![64, 64, 64, 64, 44]);
    assert_eq!(c.write(id, &mut d).unwrap(), 0);
}

#[test]
fn write_does_not_copy() {
    let (mut c, id) = client_with_channel();
    let mut d = Bytes::from(vec![1u8; 10]);
    let ptr = d.as_ptr();
    c.write(id, &mut d).unwrap();
    match c.poll_message() {
        Some(Outgoing::Data { data, .. }) => assert_eq!(data.as_ptr(), ptr),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn claims_take_one_packet_of_window_each() {
    let (mut c, id) = client_with_channel();
    let mut lens = Vec::new();
    while let Some(claim) = c.claim_data(id, 1000).unwrap() {
        assert_eq!(claim.header()[..5], [msg::CHANNEL_DATA, 0, 0, 0, 9]);
        lens.push(claim.len());
    }
    assert_eq!(lens, vec![64, 64, 64, 64, 44]);
    assert_eq!(c.writable(id), 0);
    assert!(!c.has_messages(), "claimed data is the caller's to send");
}

#[test]
fn no_claim_while_payloads_are_queued() {
    let (mut c, id) = client_with_channel();
    c.write(id, &mut Bytes::from(vec![0u8; 10])).unwrap();
    assert_eq!(c.claim_data(id, 10).unwrap(), None);
    sent(&mut c);
    assert_eq!(c.claim_data(id, 10).unwrap().map(|d| d.len()), Some(10));
}

#[test]
fn no_claim_after_eof() {
    let (mut c, id) = client_with_channel();
    c.eof(id).unwrap();
    assert!(matches!(
        c.claim_data(id, 10),
        Err(Error::ChannelStateMismatch { .. })
    ));
}

#[test]
fn window_adjust_makes_the_channel_writable() {
    let (mut c, id) = client_with_channel();
    c.write(id, &mut Bytes::from(vec![0u8; 300])).unwrap();
    c.handle_message(&adjust(id.0, 100)).unwrap();
    assert_eq!(events(&mut c), vec![Event::Writable { channel: id }]);
    assert_eq!(c.writable(id), 100);
    c.handle_message(&adjust(id.0, 100)).unwrap();
    assert!(
        events(&mut c).is_empty(),
        "nobody waits on a non-empty window"
    );
    assert_eq!(c.writable(id), 200);
}

#[test]
fn adjust_past_u32_max_is_protocol_error() {
    let (mut c, id) = client_with_channel();
    let e = c.handle_message(&adjust(id.0, u32::MAX)).unwrap_err();
    assert_eq!(
        e,
        Error::AdjustOverflow {
            channel: id,
            remaining: 300,
            add: u32::MAX
        }
    );
    assert_eq!(e.disconnect_reason(), DisconnectReason::ProtocolError);
}

#[test]
fn eof_is_sent_once_and_stops_writes() {
    let (mut c, id) = client_with_channel();
    c.eof(id).unwrap();
    c.eof(id).unwrap();
    assert_eq!(sent(&mut c).len(), 1);
    assert!(matches!(
        c.write(id, &mut Bytes::from_static(b"x")),
        Err(Error::ChannelStateMismatch { .. })
    ));
}

#[test]
fn write_to_unknown_channel_is_local_error() {
    let mut c = server();
    let e = c
        .write(LocalChannelId(3), &mut Bytes::from_static(b"x"))
        .unwrap_err();
    assert_eq!(
        e,
        Error::NoSuchChannel {
            channel: LocalChannelId(3)
        }
    );
    assert!(!e.is_peer_error());
}

#[test]
fn local_open_past_the_limit_is_refused() {
    let mut c = Connection::new(
        Side::Client,
        ConnectionConfig {
            max_channels: 1,
            ..small_config()
        },
    );
    c.open_channel(direct_tcpip()).unwrap();
    assert_eq!(
        c.open_channel(direct_tcpip()),
        Err(Error::TooManyChannels { limit: 1 })
    );
}

/// Issue 12: a connection cannot commit channels × windows past its budget. Full windows
/// until half of it is committed, then small ones, then peer opens are refused with the
/// budget in the reason (and ours fail); closing a channel gives its window back.
#[test]
fn window_budget_shrinks_then_refuses_opens() {
    use crate::config::MIN_WINDOW;
    let config = ConnectionConfig {
        window_size: 8192,
        window_budget: 64 << 10,
        ..small_config()
    };
    let mut c = Connection::new(Side::Server, config);
    let mut windows = Vec::new();
    for sender in 0..100 {
        c.handle_message(&peer_open(sender, 500, 50)).unwrap();
        let Some(Event::ChannelOpenRequest { channel, .. }) = c.poll_event() else {
            break;
        };
        c.accept_channel(channel).unwrap();
        windows.push(c.recv_window(channel).unwrap().granted());
        assert!(c.committed_window() <= 64 << 10);
    }
    // 4 full windows (32 KiB, half the budget), then 16 of 2 KiB (the other half).
    assert_eq!(windows.iter().filter(|&&w| w == 8192).count(), 4);
    assert_eq!(windows.iter().filter(|&&w| w == MIN_WINDOW).count(), 16);
    assert_eq!(c.committed_window(), 64 << 10);
    let refusal = sent(&mut c).pop().unwrap();
    match ConnectionMessage::decode(&refusal).unwrap() {
        ConnectionMessage::ChannelOpenFailure(f) => {
            assert_eq!(f.reason_code, OpenFailureReason::ResourceShortage);
            assert_eq!(
                f.description,
                "receive window budget of 65536 bytes is committed"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        c.open_channel(direct_tcpip()),
        Err(Error::WindowBudgetExhausted { budget: 64 << 10 })
    );
    // Closing both ways gives a window back.
    c.close(LocalChannelId(0)).unwrap();
    c.handle_message(&close(0)).unwrap();
    assert_eq!(c.committed_window(), (64 << 10) - 8192);
}

// ----- receiving -----

#[test]
fn data_is_buffered_and_read_in_order() {
    let (mut c, id) = server_with_channel();
    let first = data(id.0, b"hello ");
    let big = vec![b'x'; 100];
    let second = data(id.0, &big[..]);
    c.handle_message(&first).unwrap();
    c.handle_message(&second).unwrap();
    assert_eq!(events(&mut c), vec![Event::Readable { channel: id }]);
    assert_eq!(c.buffered(id), 106);
    assert_eq!(&c.read(id, 3).unwrap().unwrap()[..], b"hel");
    let mut rest = Vec::new();
    while let Some(chunk) = c.read(id, 40).unwrap() {
        assert!(chunk.len() <= 40);
        rest.extend_from_slice(&chunk);
    }
    let mut want = b"lo ".to_vec();
    want.extend_from_slice(&big);
    assert_eq!(rest, want);
    assert_eq!(c.buffered(id), 0);
}

#[test]
fn large_data_shares_the_payload_memory() {
    let mut c = Connection::new(
        Side::Server,
        ConnectionConfig {
            max_packet: 32768,
            ..ConnectionConfig::default()
        },
    );
    c.handle_message(&peer_open(1, 10, 10)).unwrap();
    c.accept_channel(LocalChannelId(0)).unwrap();
    let payload = data(0, &[5u8; 8192]);
    c.handle_message(&payload).unwrap();
    let chunk = c.read(LocalChannelId(0), usize::MAX).unwrap().unwrap();
    assert_eq!(chunk.as_ptr(), payload[9..].as_ptr());
}

/// Feeds a stalled channel (window 256 KiB) CHANNEL_DATA of `chunk` bytes per packet, each
/// cut from its own 64 KiB "read buffer", until the window is full. Returns how many bytes
/// of those buffers the connection still keeps alive (a buffer counts whole if any slice of
/// it is held) and the data read back afterwards.
fn pinned_by_stalled_channel(chunk: usize) -> (usize, Vec<u8>) {
    const WINDOW: u32 = 256 << 10;
    const READ_BUFFER: usize = 64 << 10;
    let mut c = Connection::new(
        Side::Server,
        ConnectionConfig {
            window_size: WINDOW,
            max_packet: 32 << 10,
            ..ConnectionConfig::default()
        },
    );
    c.handle_message(&peer_open(1, 10, 10)).unwrap();
    let id = LocalChannelId(0);
    c.accept_channel(id).unwrap();
    let mut buffers = Vec::new();
    let mut want = Vec::new();
    let mut left = WINDOW as usize;
    while left > 0 {
        let n = chunk.min(left);
        let d: Vec<u8> = (0..n).map(|i| (i + want.len()) as u8).collect();
        want.extend_from_slice(&d);
        let packet = data(0, &d);
        let mut buffer = BytesMut::zeroed(READ_BUFFER);
        buffer[..packet.len()].copy_from_slice(&packet);
        let buffer = buffer.freeze();
        c.handle_message_in(&buffer.slice(..packet.len()), READ_BUFFER)
            .unwrap();
        buffers.push(buffer);
        left -= n;
    }
    assert_eq!(c.buffered(id), WINDOW as usize);
    let pinned = buffers.iter().filter(|b| !b.is_unique()).count() * READ_BUFFER;
    let mut got = Vec::new();
    while let Some(d) = c.read(id, usize::MAX).unwrap() {
        got.extend_from_slice(&d);
    }
    assert_eq!(got, want);
    (pinned, got)
}

#[test]
fn stalled_channel_pins_at_most_twice_its_window_plus_the_pin_budget() {
    for chunk in [4096, 5000, 8192, 16 << 10, 20 << 10, 32 << 10] {
        let (pinned, _) = pinned_by_stalled_channel(chunk);
        // Before MAX_PIN_RATIO, 4 KiB packets pinned 16 times the window (4 MiB here).
        assert!(
            pinned <= crate::MAX_PIN_RATIO * (256 << 10) + crate::MAX_PINNED,
            "{chunk}-byte packets pin {pinned} bytes"
        );
    }
}

#[test]
fn bulk_packets_filling_half_a_read_buffer_are_not_copied() {
    let (pinned, got) = pinned_by_stalled_channel(32 << 10);
    // Every 32 KiB packet is still a slice of its read buffer: 8 buffers of 64 KiB.
    assert_eq!(pinned, 8 * (64 << 10));
    assert_eq!(got.len(), 256 << 10);
}

#[test]
fn small_slices_of_a_big_buffer_are_copied_past_the_pin_budget() {
    // 32 packets of 8 KiB, each in its own 64 KiB read buffer, never read: the first
    // MAX_PINNED bytes of buffers are kept, the rest copied (2 MiB pinned without the rule).
    let (pinned, _) = pinned_by_stalled_channel(8192);
    assert_eq!(pinned, crate::MAX_PINNED);
}

#[test]
fn reading_a_quarter_of_the_window_sends_an_adjust() {
    let (mut c, id) = server_with_channel();
    for _ in 0..5 {
        c.handle_message(&data(id.0, &[0u8; 100])).unwrap();
    }
    assert_eq!(c.recv_window(id).unwrap().granted(), 500);
    c.read(id, 249).unwrap();
    assert!(sent(&mut c).is_empty(), "249 < 1000 / 4");
    c.read(id, 1).unwrap();
    assert_eq!(
        decode(&sent(&mut c)[0]),
        ConnectionMessage::ChannelWindowAdjust(ChannelWindowAdjust {
            recipient_channel: 77,
            bytes_to_add: 250
        })
    );
    assert_eq!(c.recv_window(id).unwrap().granted(), 750);
}

#[test]
fn unread_data_grants_no_credit() {
    let (mut c, id) = server_with_channel();
    for _ in 0..10 {
        c.handle_message(&data(id.0, &[0u8; 100])).unwrap();
    }
    assert!(sent(&mut c).is_empty());
    assert_eq!(
        c.handle_message(&data(id.0, b"x")),
        Err(Error::WindowOverrun {
            channel: id,
            len: 1,
            granted: 0
        })
    );
    assert_eq!(c.buffered(id), 1000, "the overrun was not buffered");
}

#[test]
fn data_over_max_packet_is_protocol_error() {
    let (mut c, id) = server_with_channel();
    assert_eq!(
        c.handle_message(&data(id.0, &[0u8; 101])),
        Err(Error::PacketTooLarge {
            channel: id,
            len: 101,
            max: 100
        })
    );
}

#[test]
fn data_after_eof_is_protocol_error() {
    let (mut c, id) = server_with_channel();
    c.handle_message(&eof(id.0)).unwrap();
    assert_eq!(events(&mut c), vec![Event::Eof { channel: id }]);
    assert!(c.peer_finished(id));
    assert_eq!(
        c.handle_message(&data(id.0, b"x")),
        Err(Error::DataAfterEof { channel: id })
    );
}

#[test]
fn second_eof_is_protocol_error() {
    let (mut c, id) = server_with_channel();
    c.handle_message(&eof(id.0)).unwrap();
    assert_eq!(
        c.handle_message(&eof(id.0)),
        Err(Error::SecondEof { channel: id })
    );
}

#[test]
fn data_for_unknown_channel_is_protocol_error() {
    let (mut c, _) = server_with_channel();
    assert_eq!(
        c.handle_message(&data(42, b"x")),
        Err(Error::UnknownChannel {
            channel: 42,
            message: msg::CHANNEL_DATA
        })
    );
}

#[test]
fn data_for_an_unaccepted_channel_is_protocol_error() {
    let mut c = server();
    c.handle_message(&peer_open(77, 500, 50)).unwrap();
    assert!(matches!(
        c.handle_message(&data(0, b"x")),
        Err(Error::UnexpectedMessage {
            state: "offered",
            ..
        })
    ));
}

#[test]
fn extended_data_is_credited_when_its_event_is_taken() {
    let (mut c, id) = server_with_channel();
    let ext = bytes(ConnectionMessage::ChannelExtendedData(
        ChannelExtendedData {
            recipient_channel: id.0,
            data_type_code: EXTENDED_DATA_STDERR,
            data: Cow::Borrowed(&[1u8; 100]),
        },
    ));
    for _ in 0..5 {
        c.handle_message(&ext).unwrap();
    }
    assert_eq!(c.recv_window(id).unwrap().buffered(), 500);
    let got = events(&mut c);
    assert_eq!(got.len(), 5);
    assert!(
        matches!(&got[0], Event::ExtendedData { data_type_code: 1, data, .. } if data.len() == 100)
    );
    assert_eq!(c.recv_window(id).unwrap().buffered(), 0);
    assert_eq!(sent(&mut c).len(), 1, "one adjust for the credit");
}

#[test]
fn undecodable_payload_is_protocol_error() {
    let mut c = server();
    let e = c
        .handle_message(&Bytes::from_static(&[94, 0, 0]))
        .unwrap_err();
    assert!(matches!(e, Error::Decode(_)));
    assert_eq!(e.disconnect_reason(), DisconnectReason::ProtocolError);
}

// ----- closing -----

#[test]
fn peer_close_keeps_data_until_we_close() {
    let (mut c, id) = server_with_channel();
    c.handle_message(&data(id.0, b"last words")).unwrap();
    c.handle_message(&close(id.0)).unwrap();
    assert_eq!(
        events(&mut c),
        vec![
            Event::Readable { channel: id },
            Event::PeerClosed { channel: id }
        ]
    );
    assert!(c.peer_finished(id));
    assert_eq!(&c.read(id, 100).unwrap().unwrap()[..], b"last words");
    assert!(sent(&mut c).is_empty(), "no adjust after the peer's close");
    assert!(matches!(
        c.write(id, &mut Bytes::from_static(b"x")),
        Err(Error::ChannelStateMismatch { .. })
    ));
    c.close(id).unwrap();
    assert_eq!(
        decode(&sent(&mut c)[0]),
        ConnectionMessage::ChannelClose(ChannelClose {
            recipient_channel: 77
        })
    );
    assert_eq!(c.channel_count(), 0);
}

#[test]
fn our_close_then_peer_close_frees_the_id() {
    let (mut c, id) = server_with_channel();
    c.close(id).unwrap();
    assert_eq!(sent(&mut c).len(), 1);
    assert_eq!(c.channel_count(), 1, "held until the peer's close");
    c.close(id).unwrap();
    assert!(sent(&mut c).is_empty(), "close is sent once");
    c.handle_message(&close(id.0)).unwrap();
    assert_eq!(events(&mut c), vec![Event::PeerClosed { channel: id }]);
    assert_eq!(c.channel_count(), 0);
    assert_eq!(
        c.handle_message(&close(id.0)),
        Err(Error::UnknownChannel {
            channel: id.0,
            message: msg::CHANNEL_CLOSE
        })
    );
}

#[test]
fn closed_id_is_reused() {
    let (mut c, id) = server_with_channel();
    c.close(id).unwrap();
    c.handle_message(&close(id.0)).unwrap();
    c.handle_message(&peer_open(78, 10, 10)).unwrap();
    assert!(events(&mut c).contains(&Event::ChannelOpenRequest {
        channel: id,
        channel_type: direct_tcpip()
    }));
}

#[test]
fn second_close_is_protocol_error() {
    let (mut c, id) = server_with_channel();
    c.handle_message(&close(id.0)).unwrap();
    assert_eq!(
        c.handle_message(&close(id.0)),
        Err(Error::SecondClose { channel: id })
    );
}

#[test]
fn data_after_peer_close_is_protocol_error() {
    let (mut c, id) = server_with_channel();
    c.handle_message(&close(id.0)).unwrap();
    assert_eq!(
        c.handle_message(&data(id.0, b"x")),
        Err(Error::MessageAfterClose {
            channel: id,
            message: msg::CHANNEL_DATA
        })
    );
}

#[test]
fn data_after_our_close_is_counted_then_dropped() {
    let (mut c, id) = server_with_channel();
    c.handle_message(&data(id.0, &[0u8; 100])).unwrap();
    c.close(id).unwrap();
    sent(&mut c);
    events(&mut c);
    for _ in 0..9 {
        c.handle_message(&data(id.0, &[0u8; 100])).unwrap();
    }
    assert_eq!(c.buffered(id), 0);
    assert!(events(&mut c).is_empty());
    assert!(sent(&mut c).is_empty(), "no adjust after our close");
    assert!(matches!(
        c.handle_message(&data(id.0, &[0u8; 1])),
        Err(Error::WindowOverrun { .. })
    ));
}

#[test]
fn close_drops_unread_data() {
    let (mut c, id) = server_with_channel();
    c.handle_message(&data(id.0, b"unread")).unwrap();
    c.close(id).unwrap();
    assert_eq!(c.buffered(id), 0);
    assert_eq!(c.read(id, 10).unwrap(), None);
}

#[test]
fn queued_data_goes_out_before_close() {
    let (mut c, id) = client_with_channel();
    c.write(id, &mut Bytes::from_static(b"bye")).unwrap();
    c.eof(id).unwrap();
    c.close(id).unwrap();
    let numbers: Vec<u8> = sent(&mut c).iter().map(|m| m[0]).collect();
    assert_eq!(
        numbers,
        vec![msg::CHANNEL_DATA, msg::CHANNEL_EOF, msg::CHANNEL_CLOSE]
    );
}

// ----- resizing -----

#[test]
fn growing_the_window_sends_an_adjust() {
    let (mut c, id) = server_with_channel();
    c.set_recv_window(id, 4000).unwrap();
    assert_eq!(
        decode(&sent(&mut c)[0]),
        ConnectionMessage::ChannelWindowAdjust(ChannelWindowAdjust {
            recipient_channel: 77,
            bytes_to_add: 3000
        })
    );
}

#[test]
fn resizing_an_offered_channel_sets_its_initial_window() {
    let mut c = server();
    c.handle_message(&peer_open(77, 500, 50)).unwrap();
    c.set_recv_window(LocalChannelId(0), 64).unwrap();
    c.accept_channel(LocalChannelId(0)).unwrap();
    assert!(matches!(
        decode(&sent(&mut c)[0]),
        ConnectionMessage::ChannelOpenConfirmation(ChannelOpenConfirmation {
            initial_window_size: 64,
            ..
        })
    ));
}

#[test]
fn extended_data_of_a_freed_channel_does_not_credit_its_successor() {
    let (mut c, id) = server_with_channel();
    let ext = bytes(ConnectionMessage::ChannelExtendedData(
        ChannelExtendedData {
            recipient_channel: id.0,
            data_type_code: EXTENDED_DATA_STDERR,
            data: Cow::Borrowed(&[1u8; 100]),
        },
    ));
    c.handle_message(&ext).unwrap();
    c.close(id).unwrap();
    c.handle_message(&close(id.0)).unwrap();
    c.handle_message(&peer_open(78, 500, 50)).unwrap();
    c.accept_channel(id).unwrap();
    c.handle_message(&data(id.0, &[0u8; 100])).unwrap();
    let got = events(&mut c);
    assert!(!got.iter().any(|e| matches!(e, Event::ExtendedData { .. })));
    assert_eq!(c.recv_window(id).unwrap().buffered(), 100);
    assert_eq!(c.buffered(id), 100);
}
