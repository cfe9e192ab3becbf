//! Sans-IO loopback: a client and a server Transport talk through an in-memory byte pipe with
//! random splits, for every cipher (and MAC) with both curve25519 names, with rekeys mid-stream.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::Duration;

use burrow_transport::{Transport, TransportConfig, TransportEvent};
use bytes::Bytes;
use support::Pair;

const CIPHERS: [(&str, Option<&str>); 11] = [
    ("chacha20-poly1305@openssh.com", None),
    ("aes128-gcm@openssh.com", None),
    ("aes256-gcm@openssh.com", None),
    ("aes128-ctr", Some("hmac-sha2-256-etm@openssh.com")),
    ("aes128-ctr", Some("hmac-sha2-512-etm@openssh.com")),
    ("aes128-ctr", Some("hmac-sha2-256")),
    ("aes128-ctr", Some("hmac-sha2-512")),
    ("aes256-ctr", Some("hmac-sha2-256-etm@openssh.com")),
    ("aes256-ctr", Some("hmac-sha2-512-etm@openssh.com")),
    ("aes256-ctr", Some("hmac-sha2-256")),
    ("aes256-ctr", Some("hmac-sha2-512")),
];
const KEX: [&str; 2] = ["curve25519-sha256", "curve25519-sha256@libssh.org"];

fn client_cfg(cipher: &str, mac: Option<&str>, kex: &str) -> TransportConfig {
    let mut cfg = TransportConfig::default();
    cfg.set_ciphers(cipher).unwrap();
    if let Some(mac) = mac {
        cfg.set_macs(mac).unwrap();
    }
    cfg.set_kex_algorithms(kex).unwrap();
    cfg
}

/// A numbered service payload (message 94, CHANNEL_DATA's number) of a varying size.
fn payload(tag: u8, i: u32) -> Vec<u8> {
    let mut p = vec![94, tag];
    p.extend_from_slice(&i.to_be_bytes());
    p.resize(6 + (i as usize * 37) % 3000, (i % 251) as u8);
    p
}

fn assert_in_order(got: &[Bytes], tag: u8, count: u32) {
    let want: Vec<Vec<u8>> = (0..count).map(|i| payload(tag, i)).collect();
    let got: Vec<Vec<u8>> = got
        .iter()
        .filter(|p| p.get(1) == Some(&tag))
        .map(|p| p.to_vec())
        .collect();
    assert_eq!(got.len(), want.len(), "payload count for tag {tag}");
    assert!(got == want, "payloads for tag {tag} lost or reordered");
}

fn send(t: &mut Transport, tag: u8, range: std::ops::Range<u32>) {
    for i in range {
        t.send_payload(&payload(tag, i)).unwrap();
    }
}

#[test]
fn every_cipher_and_kex_name_handshakes_and_survives_rekeys_with_data_in_flight() {
    let mut seed = 1;
    for (cipher, mac) in CIPHERS {
        for kex in KEX {
            seed += 1;
            let mut pair = Pair::new(
                client_cfg(cipher, mac, kex),
                TransportConfig::default(),
                seed,
            );
            pair.max_chunk = 1 + (seed as usize * 97) % 2000;
            // Sent before the handshake finished: held, then sent right after NEWKEYS.
            send(&mut pair.client, 1, 0..5);
            assert!(!pair.client.is_accepting_payloads());
            pair.run();
            assert_eq!(pair.client_seen.kex_done, 1, "{cipher} {kex}");
            assert_eq!(pair.server_seen.kex_done, 1);
            assert_eq!(pair.client.session_id(), pair.server.session_id());
            assert!(pair.client.session_id().is_some());
            assert_eq!(
                pair.client.server_sig_algs(),
                Some(&["ssh-ed25519".to_owned()][..])
            );

            // Data in flight both ways, then the client rekeys in the middle of it.
            send(&mut pair.client, 1, 5..40);
            send(&mut pair.server, 2, 0..40);
            for _ in 0..3 {
                pair.step();
            }
            pair.client.rekey().unwrap();
            assert!(!pair.client.is_accepting_payloads());
            send(&mut pair.client, 1, 40..80);
            for _ in 0..5 {
                pair.step();
            }
            send(&mut pair.server, 2, 40..80);
            pair.run();
            assert_eq!(pair.client_seen.kex_done, 2);
            assert_eq!(pair.server_seen.kex_done, 2);

            // The server starts the next one.
            send(&mut pair.client, 1, 80..100);
            pair.server.rekey().unwrap();
            send(&mut pair.server, 2, 80..100);
            pair.run();
            assert_eq!(pair.client_seen.kex_done, 3);
            assert_eq!(pair.server_seen.kex_done, 3);
            assert!(pair.client.is_accepting_payloads());

            assert_in_order(&pair.server_seen.payloads, 1, 100);
            assert_in_order(&pair.client_seen.payloads, 2, 100);
            assert!(pair.client_seen.disconnected.is_none());
            assert!(pair.server_seen.disconnected.is_none());
        }
    }
}

#[test]
fn both_sides_rekeying_at_once_converge() {
    let mut pair = Pair::new(TransportConfig::default(), TransportConfig::default(), 77);
    pair.run();
    send(&mut pair.client, 1, 0..10);
    pair.client.rekey().unwrap();
    pair.server.rekey().unwrap();
    send(&mut pair.server, 2, 0..10);
    pair.run();
    assert_eq!(pair.client_seen.kex_done, 2);
    assert_eq!(pair.server_seen.kex_done, 2);
    assert_in_order(&pair.server_seen.payloads, 1, 10);
    assert_in_order(&pair.client_seen.payloads, 2, 10);
}

#[test]
fn volume_limit_starts_rekeys_automatically() {
    let mut cfg = TransportConfig::default();
    cfg.rekey_limit.bytes = Some(64 << 10);
    cfg.rekey_limit.time = None;
    let mut pair = Pair::new(cfg, TransportConfig::default(), 9);
    pair.run();
    for chunk in 0..40u32 {
        send(&mut pair.client, 1, chunk * 10..chunk * 10 + 10);
        pair.run();
    }
    // ~600 KB at a 64 KiB limit: several automatic rekeys, every payload in order.
    assert!(
        pair.client_seen.kex_done >= 5,
        "{}",
        pair.client_seen.kex_done
    );
    assert_eq!(pair.client_seen.kex_done, pair.server_seen.kex_done);
    assert_in_order(&pair.server_seen.payloads, 1, 400);
}

#[test]
fn time_limit_sets_the_timeout_and_rekeys_when_it_passes() {
    let mut cfg = TransportConfig::default();
    cfg.rekey_limit.time = Some(Duration::from_secs(600));
    let mut pair = Pair::new(cfg, TransportConfig::default(), 10);
    assert_eq!(pair.client.poll_timeout(), None);
    pair.run();
    let deadline = pair.client.poll_timeout().unwrap();
    assert_eq!(deadline, pair.now + Duration::from_secs(600));
    pair.advance(Duration::from_secs(599));
    pair.client.handle_timeout(pair.now);
    pair.run();
    assert_eq!(pair.client_seen.kex_done, 1);
    pair.advance(Duration::from_secs(1));
    pair.client.handle_timeout(pair.now);
    pair.run();
    assert_eq!(pair.client_seen.kex_done, 2);
    assert_eq!(pair.server_seen.kex_done, 2);
    assert_eq!(
        pair.client.poll_timeout(),
        Some(pair.now + Duration::from_secs(600))
    );
}

#[test]
fn different_first_kex_names_still_complete() {
    // The client prefers curve25519-sha256@libssh.org, the server the RFC name: the client's
    // first choice wins (RFC 4253 §7.1). Guessing is covered in tests/guess.rs.
    let mut client = TransportConfig::default();
    client
        .set_kex_algorithms("curve25519-sha256@libssh.org,curve25519-sha256")
        .unwrap();
    let mut pair = Pair::new(client, TransportConfig::default(), 11);
    pair.run();
    assert_eq!(pair.client_seen.kex_done, 1);
    assert_eq!(pair.server_seen.kex_done, 1);
}

#[test]
fn client_without_guess_still_completes_and_first_flight_is_one_write() {
    let cfg = TransportConfig {
        guess_kex: false,
        ..TransportConfig::default()
    };
    let mut pair = Pair::new(cfg, TransportConfig::default(), 12);
    let mut first = bytes::BytesMut::new();
    let n = pair.server.poll_transmit(&mut first);
    assert!(first.starts_with(b"SSH-2.0-burrow_"));
    assert!(
        n > 100,
        "version line and KEXINIT are out at once ({n} bytes)"
    );
    pair.to_client.extend_from_slice(&first);
    pair.run();
    assert_eq!(pair.client_seen.kex_done, 1);
}

#[test]
fn seeded_rng_gives_identical_transcripts() {
    let transcript = |seed| {
        let mut pair = Pair::new(TransportConfig::default(), TransportConfig::default(), seed);
        let mut all = bytes::BytesMut::new();
        for _ in 0..50 {
            let _ = pair.client.poll_transmit(&mut pair.to_server);
            all.extend_from_slice(&pair.to_server);
            pair.step();
        }
        all
    };
    assert_eq!(transcript(5), transcript(5));
    assert_ne!(transcript(5), transcript(6));
}

#[test]
fn disconnect_reaches_the_peer_with_reason_and_text() {
    let mut pair = Pair::new(TransportConfig::default(), TransportConfig::default(), 13);
    pair.run();
    pair.client
        .disconnect(burrow_wire::DisconnectReason::ByApplication, "bye now");
    pair.run();
    assert_eq!(
        pair.server_seen.disconnected,
        Some((
            burrow_wire::DisconnectReason::ByApplication,
            "bye now".to_owned()
        ))
    );
    assert!(pair.server.is_closed());
    assert!(matches!(
        pair.client.send_payload(&[94]),
        Err(burrow_transport::TransportError::Closed)
    ));
    let _: Option<TransportEvent> = pair.client.poll_event();
}

#[test]
fn byte_at_a_time_delivery_completes_kex_and_rekey() {
    let mut pair = Pair::new(TransportConfig::default(), TransportConfig::default(), 21);
    pair.max_chunk = 1;
    send(&mut pair.client, 1, 0..3);
    pair.run();
    pair.server.rekey().unwrap();
    send(&mut pair.server, 2, 0..3);
    pair.run();
    assert_eq!(pair.client_seen.kex_done, 2);
    assert_in_order(&pair.server_seen.payloads, 1, 3);
    assert_in_order(&pair.client_seen.payloads, 2, 3);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    #[test]
    fn any_split_and_rekey_point_keeps_payloads_in_order(
        seed in 0u64..u64::MAX,
        max_chunk in 1usize..5000,
        cipher in 0usize..CIPHERS.len(),
        rekey_after in 0u32..30,
    ) {
        let (name, mac) = CIPHERS[cipher];
        let mut pair = Pair::new(client_cfg(name, mac, KEX[(seed % 2) as usize]), TransportConfig::default(), seed);
        pair.max_chunk = max_chunk;
        pair.run();
        send(&mut pair.client, 1, 0..rekey_after);
        send(&mut pair.server, 2, 0..rekey_after);
        pair.step();
        if seed % 3 == 0 { pair.server.rekey().unwrap() } else { pair.client.rekey().unwrap() }
        send(&mut pair.client, 1, rekey_after..30);
        send(&mut pair.server, 2, rekey_after..30);
        pair.run();
        proptest::prop_assert_eq!(pair.client_seen.kex_done, 2);
        proptest::prop_assert_eq!(pair.server_seen.kex_done, 2);
        assert_in_order(&pair.server_seen.payloads, 1, 30);
        assert_in_order(&pair.client_seen.payloads, 2, 30);
    }
}

#[test]
fn payload_in_parts_arrives_joined_whether_held_or_sent() {
    let mut pair = Pair::new(TransportConfig::default(), TransportConfig::default(), 22);
    let header = [94u8, 0, 0, 0, 1, 0, 0, 0, 3];
    // Before the first kex finishes the parts are held, joined, then sent after NEWKEYS.
    pair.client.send_payload_parts(&[&header, b"abc"]).unwrap();
    pair.run();
    pair.client
        .send_payload_parts(&[&[], &header, b"xyz"])
        .unwrap();
    pair.run();
    let got: Vec<Vec<u8>> = pair
        .server_seen
        .payloads
        .iter()
        .map(|p| p.to_vec())
        .collect();
    assert_eq!(
        got,
        vec![
            [&header[..], b"abc"].concat(),
            [&header[..], b"xyz"].concat()
        ]
    );
    assert!(matches!(
        pair.client.send_payload_parts(&[&[], &[21]]),
        Err(burrow_transport::TransportError::NotAServicePayload { number: 21 })
    ));
    assert!(matches!(
        pair.client.send_payload_parts(&[]),
        Err(burrow_transport::TransportError::NotAServicePayload { number: 0 })
    ));
}

#[test]
fn long_disconnect_text_is_cut_at_a_character_boundary_within_1024_bytes() {
    let mut pair = Pair::new(TransportConfig::default(), TransportConfig::default(), 23);
    pair.run();
    // 'é' is 2 bytes and "x" shifts it, so byte 1024 falls inside a character.
    let text = format!("x{}", "é".repeat(600_000));
    pair.client
        .disconnect(burrow_wire::DisconnectReason::ByApplication, &text);
    pair.run();
    let (reason, got) = pair.server_seen.disconnected.clone().unwrap();
    assert_eq!(reason, burrow_wire::DisconnectReason::ByApplication);
    assert_eq!(got, format!("x{}", "é".repeat(511)));
}
