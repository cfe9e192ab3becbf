//! Hostile input: every malformed or out-of-place packet ends the transport with a typed
//! error and a DISCONNECT queued for the peer, and never panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::Arc;
use std::time::Instant;

use burrow_transport::PacketError;
use burrow_transport::negotiate::our_kexinit;
use burrow_transport::{
    HostKeyVerdict, Transport, TransportConfig, TransportError, TransportEvent,
};
use burrow_wire::{DisconnectReason, Side};
use bytes::BytesMut;
use support::{Pair, SeededRng, clear_packet, clear_payloads, host_key};

fn server() -> Transport {
    Transport::server(
        Arc::new(TransportConfig::default()),
        host_key(),
        SeededRng::boxed(1),
        Instant::now(),
    )
}

fn client() -> Transport {
    Transport::client(
        Arc::new(TransportConfig::default()),
        SeededRng::boxed(2),
        Instant::now(),
    )
}

/// Feeds a peer version line and then `wire` to `t`; returns the error and the reason code
/// of the DISCONNECT `t` queued (it is still in the clear: no kex finished).
fn feed_clear(mut t: Transport, wire: &[u8]) -> (TransportError, DisconnectReason) {
    let mut input = BytesMut::from(&b"SSH-2.0-hostile_1.0\r\n"[..]);
    input.extend_from_slice(wire);
    let err = t.handle_input(&mut input, Instant::now()).unwrap_err();
    assert!(t.is_closed());
    let mut out = BytesMut::new();
    let _ = t.poll_transmit(&mut out);
    let last = clear_payloads(&out).pop().unwrap();
    assert_eq!(last[0], 1, "last packet out is a DISCONNECT");
    let reason = DisconnectReason::from_code(u32::from_be_bytes(last[1..5].try_into().unwrap()));
    assert_eq!(reason, err.disconnect_reason());
    // Once closed, more input is refused without panicking.
    assert!(matches!(
        t.handle_input(&mut BytesMut::from(&b"x"[..]), Instant::now()),
        Err(TransportError::Closed)
    ));
    (err, reason)
}

fn client_kexinit(cfg: &TransportConfig) -> Vec<u8> {
    our_kexinit(Side::Client, cfg, [9; 16], false)
        .unwrap()
        .to_bytes()
        .to_vec()
}

#[test]
fn packet_lengths_zero_five_and_max_are_refused() {
    for len in [0u32, 5, u32::MAX] {
        let mut wire = len.to_be_bytes().to_vec();
        wire.extend_from_slice(&[4; 12]);
        let (err, reason) = feed_clear(server(), &wire);
        assert!(matches!(err, TransportError::Packet(_)), "{len}: {err}");
        assert_eq!(reason, DisconnectReason::ProtocolError);
    }
}

#[test]
fn truncated_packet_waits_and_truncated_message_is_an_error() {
    let mut t = server();
    let packet = clear_packet(&client_kexinit(&TransportConfig::default()));
    let mut input = BytesMut::from(&b"SSH-2.0-peer\r\n"[..]);
    input.extend_from_slice(&packet[..packet.len() - 3]);
    t.handle_input(&mut input, Instant::now()).unwrap();
    assert!(!t.is_closed(), "a partial packet only waits for more");

    let kexinit = client_kexinit(&TransportConfig::default());
    let (err, reason) = feed_clear(server(), &clear_packet(&kexinit[..40]));
    assert!(matches!(err, TransportError::Decode(_)), "{err}");
    assert_eq!(reason, DisconnectReason::ProtocolError);
}

#[test]
fn padding_under_four_bytes_is_refused() {
    // packet_length 12, padding_length 2: 9 bytes of payload, block-aligned, too little padding.
    let mut wire = 12u32.to_be_bytes().to_vec();
    wire.push(2);
    wire.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let (err, _) = feed_clear(server(), &wire);
    assert!(
        matches!(err, TransportError::Packet(PacketError::BadPadding { .. })),
        "{err}"
    );
}

#[test]
fn kexinit_with_no_common_algorithm_fails_with_key_exchange_failed() {
    let mut cfg = TransportConfig::default();
    cfg.set_ciphers("aes128-ctr").unwrap();
    let mut server_cfg = TransportConfig::default();
    server_cfg.set_ciphers("aes256-gcm@openssh.com").unwrap();
    let t = Transport::server(
        Arc::new(server_cfg),
        host_key(),
        SeededRng::boxed(3),
        Instant::now(),
    );
    let (err, reason) = feed_clear(t, &clear_packet(&client_kexinit(&cfg)));
    assert!(
        matches!(err, TransportError::NoCommonAlgorithm { .. }),
        "{err}"
    );
    assert_eq!(reason, DisconnectReason::KeyExchangeFailed);
    assert!(err.to_string().contains("aes128-ctr"), "{err}");
}

#[test]
fn largest_algorithm_list_with_nothing_in_common_still_gets_a_disconnect() {
    // A KEXINIT as large as a packet can be, nearly all of it one list of unknown cipher
    // names: the error quotes that list, but the DISCONNECT must still fit in one packet.
    let mut kexinit =
        our_kexinit(Side::Client, &TransportConfig::default(), [9; 16], false).unwrap();
    let one = |name: &str| burrow_wire::NameList::from_names(&[name]).unwrap();
    kexinit.kex_algorithms = one("curve25519-sha256");
    kexinit.encryption_algorithms_client_to_server = one("x");
    kexinit.encryption_algorithms_server_to_client = one("x");
    kexinit.mac_algorithms_client_to_server = one("x");
    kexinit.mac_algorithms_server_to_client = one("x");
    let base = kexinit.to_bytes().len() - 1;
    // The largest payload `clear_packet` fits under the 256 KiB packet_length limit.
    let list_len = 262_132 - base;
    let count = (list_len - 20) / 16;
    let mut names: Vec<String> = (0..count).map(|i| format!("c{i:014}")).collect();
    names.push("z".repeat(list_len - 16 * count));
    kexinit.encryption_algorithms_client_to_server =
        burrow_wire::NameList::from_names(&names).unwrap();
    let payload = kexinit.to_bytes().to_vec();
    assert_eq!(payload.len(), 262_132);
    let (err, reason) = feed_clear(server(), &clear_packet(&payload));
    assert!(
        matches!(err, TransportError::NoCommonAlgorithm { .. }),
        "{err}"
    );
    assert_eq!(reason, DisconnectReason::KeyExchangeFailed);
}

#[test]
fn ignore_during_strict_initial_kex_is_a_violation() {
    let kexinit = clear_packet(&client_kexinit(&TransportConfig::default()));
    let ignore = clear_packet(&[2, 0, 0, 0, 1, b'x']);
    // After the KEXINIT: the gate refuses it.
    let (err, reason) = feed_clear(server(), &[kexinit.clone(), ignore.clone()].concat());
    assert!(
        matches!(err, TransportError::StrictKexViolation { number: 2 }),
        "{err}"
    );
    assert_eq!(reason, DisconnectReason::ProtocolError);
    // Before the KEXINIT: the KEXINIT is not the first packet.
    let (err, _) = feed_clear(server(), &[ignore, kexinit].concat());
    assert!(
        matches!(err, TransportError::KexInitNotFirst { seq: 1 }),
        "{err}"
    );
}

#[test]
fn ignore_before_kexinit_is_fine_without_strict_kex() {
    let mut cfg = TransportConfig::default();
    cfg.set_kex_algorithms("curve25519-sha256").unwrap();
    let mut kexinit = our_kexinit(Side::Client, &cfg, [9; 16], false).unwrap();
    kexinit.kex_algorithms = burrow_wire::NameList::from_names(&["curve25519-sha256"]).unwrap();
    let mut input = BytesMut::from(&b"SSH-2.0-old\r\n"[..]);
    input.extend_from_slice(&clear_packet(&[2, 0, 0, 0, 0]));
    input.extend_from_slice(&clear_packet(&kexinit.to_bytes()));
    input.extend_from_slice(&clear_packet(&[2, 0, 0, 0, 0]));
    let mut t = server();
    t.handle_input(&mut input, Instant::now()).unwrap();
    assert!(!t.is_closed());
}

#[test]
fn service_message_before_kex_is_unexpected() {
    let (err, _) = feed_clear(server(), &clear_packet(&[50, 0, 0, 0, 0]));
    assert!(
        matches!(err, TransportError::UnexpectedMessage { number: 50, .. }),
        "{err}"
    );
    let (err, _) = feed_clear(client(), &clear_packet(&[94, 0, 0, 0, 0]));
    assert!(
        matches!(err, TransportError::UnexpectedMessage { number: 94, .. }),
        "{err}"
    );
}

#[test]
fn low_order_client_key_is_refused_by_the_server() {
    let mut cfg = TransportConfig::default();
    cfg.set_kex_algorithms("curve25519-sha256").unwrap();
    let kexinit = clear_packet(&client_kexinit(&cfg));
    let mut init = vec![30, 0, 0, 0, 32];
    init.extend_from_slice(&[0; 32]);
    let (err, reason) = feed_clear(server(), &[kexinit, clear_packet(&init)].concat());
    assert!(matches!(err, TransportError::AllZeroSharedSecret), "{err}");
    assert_eq!(reason, DisconnectReason::KeyExchangeFailed);
}

/// Runs a real server up to its KEX_ECDH_REPLY, lets `tamper` change that payload, and hands
/// the result to a real client that has seen the server's KEXINIT.
fn client_sees_tampered_reply(
    tamper: impl Fn(&mut Vec<u8>),
) -> (Transport, Result<(), TransportError>) {
    let mut c = client();
    let mut s = server();
    let mut c_out = BytesMut::new();
    let _ = c.poll_transmit(&mut c_out);
    s.handle_input(&mut c_out, Instant::now()).unwrap();
    // The server's version line and KEXINIT; the client answers with KEX_ECDH_INIT.
    let mut s_out = BytesMut::new();
    let _ = s.poll_transmit(&mut s_out);
    c.handle_input(&mut s_out, Instant::now()).unwrap();
    let _ = c.poll_transmit(&mut c_out);
    s.handle_input(&mut c_out, Instant::now()).unwrap();
    // KEX_ECDH_REPLY and NEWKEYS, both clear.
    let _ = s.poll_transmit(&mut s_out);
    let mut wire = Vec::new();
    for mut payload in clear_payloads(&s_out) {
        if payload[0] == 31 {
            tamper(&mut payload);
        }
        wire.extend_from_slice(&clear_packet(&payload));
        if payload[0] == 21 {
            break;
        }
    }
    let result = c.handle_input(&mut BytesMut::from(&wire[..]), Instant::now());
    (c, result)
}

#[test]
fn bad_host_key_signature_is_refused() {
    let (mut c, result) = client_sees_tampered_reply(|p| {
        let last = p.len() - 1;
        p[last] ^= 1;
    });
    assert!(
        matches!(result, Err(TransportError::HostKeySignatureInvalid)),
        "{result:?}"
    );
    assert!(
        c.poll_event().is_none(),
        "no VerifyHostKey for a bad signature"
    );
    assert!(c.is_closed());
}

#[test]
fn rejected_host_key_disconnects_with_host_key_not_verifiable() {
    let (mut c, result) = client_sees_tampered_reply(|_| {});
    result.unwrap();
    assert!(matches!(
        c.poll_event(),
        Some(TransportEvent::VerifyHostKey { .. })
    ));
    let mut before = BytesMut::new();
    let _ = c.poll_transmit(&mut before);
    c.answer_host_key(HostKeyVerdict::Reject);
    assert!(c.is_closed());
    let mut out = BytesMut::new();
    let _ = c.poll_transmit(&mut out);
    assert!(!out.is_empty(), "a DISCONNECT is queued");
}

#[test]
fn flipped_ciphertext_byte_is_a_mac_error_for_every_cipher() {
    for (i, cipher) in [
        "chacha20-poly1305@openssh.com",
        "aes128-gcm@openssh.com",
        "aes256-ctr",
    ]
    .into_iter()
    .enumerate()
    {
        let mut cfg = TransportConfig::default();
        cfg.set_ciphers(cipher).unwrap();
        let mut pair = Pair::new(cfg, TransportConfig::default(), 40 + i as u64);
        pair.run();
        pair.client
            .send_payload(&[94, 1, 2, 3, 4, 5, 6, 7, 8])
            .unwrap();
        let mut wire = BytesMut::new();
        let _ = pair.client.poll_transmit(&mut wire);
        let n = wire.len();
        wire[n - 20] ^= 0x80;
        let err = pair.server.handle_input(&mut wire, pair.now).unwrap_err();
        assert!(
            matches!(err, TransportError::Packet(PacketError::MacMismatch { .. })),
            "{cipher}: {err}"
        );
        assert_eq!(err.disconnect_reason(), DisconnectReason::MacError);
        // The DISCONNECT goes out under the current keys and the client can read it.
        pair.run();
        assert_eq!(
            pair.client_seen.disconnected.as_ref().map(|d| d.0),
            Some(DisconnectReason::MacError),
            "{cipher}"
        );
    }
}

#[test]
fn unknown_transport_message_gets_unimplemented_and_connection_lives() {
    let mut pair = Pair::new(TransportConfig::default(), TransportConfig::default(), 50);
    pair.run();
    // Message 15 is unassigned in the transport range; the service API refuses only kex
    // numbers, so it goes out, and the server answers UNIMPLEMENTED instead of disconnecting.
    pair.client.send_payload(&[15, 1, 2]).unwrap();
    pair.run();
    assert!(!pair.server.is_closed());
    assert!(!pair.client.is_closed());
    // The client took the UNIMPLEMENTED (it would have closed on a MAC or framing error) and
    // payloads still flow.
    pair.client.send_payload(&[94, 7]).unwrap();
    pair.run();
    assert_eq!(
        pair.server_seen.payloads.last().map(|p| p.to_vec()),
        Some(vec![94, 7])
    );
}

#[test]
fn kex_messages_are_not_service_payloads() {
    let mut pair = Pair::new(TransportConfig::default(), TransportConfig::default(), 51);
    pair.run();
    for number in [0u8, 20, 21, 30, 31, 49] {
        assert!(matches!(
            pair.client.send_payload(&[number, 0]),
            Err(TransportError::NotAServicePayload { .. })
        ));
    }
    assert!(matches!(
        pair.client.send_payload(&vec![94; 300_000]),
        Err(TransportError::PayloadTooLarge { .. })
    ));
}

#[test]
fn hold_queue_is_bounded() {
    let cfg = TransportConfig {
        max_held_bytes: 10_000,
        ..TransportConfig::default()
    };
    let mut t = Transport::client(Arc::new(cfg), SeededRng::boxed(4), Instant::now());
    // Before the first kex finishes, payloads are held.
    for _ in 0..9 {
        t.send_payload(&[94; 1000]).unwrap();
    }
    assert!(matches!(
        t.send_payload(&[94; 2000]),
        Err(TransportError::HoldQueueFull { limit: 10_000 })
    ));
}
