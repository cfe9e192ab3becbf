//! Replays one recorded real exchange per server kex method (OpenSSH 9.2's `ssh`, AsyncSSH for
//! ML-KEM; recorded by `examples/record_kex.rs`, see `tests/recorded/README.md`) into a fresh
//! seeded server: it must send byte for byte what it sent the real client (so the same
//! exchange hash and session id) and decrypt the client's first encrypted packet to
//! SERVICE_REQUEST "ssh-userauth", proving burrow derives the keys the peer derived.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/recorded.rs"]
mod recorded;
mod support;

use std::time::Instant;

use burrow_transport::KexAlg;
use burrow_transport::PacketError;
use burrow_transport::service::{USERAUTH, accepted_service, requested_service};
use burrow_transport::{Transport, TransportError, TransportEvent};
use burrow_wire::Side;
use bytes::BytesMut;
use recorded::{CASES, CLIENT_CASES, Case, Peer, drive_client};

/// What a replay produced: the transport's bytes, its events, and the first error.
struct Replay {
    sent: Vec<u8>,
    events: Vec<TransportEvent>,
    error: Option<TransportError>,
}

/// Feeds the peer's recorded bytes to `ours` `chunk` bytes at a time, collecting everything it
/// sends; a client is driven as the recorder drove it (`drive_client`).
fn replay(mut ours: Transport, peer: &[u8], chunk: usize) -> (Transport, Replay) {
    let now = Instant::now();
    let mut out = BytesMut::new();
    let mut input = BytesMut::new();
    let mut events = Vec::new();
    let mut error = None;
    let _ = ours.poll_transmit(&mut out);
    for piece in peer.chunks(chunk) {
        input.extend_from_slice(piece);
        let result = if ours.side() == Side::Client {
            drive_client(&mut ours, &mut input, now, &mut events)
        } else {
            let result = ours.handle_input(&mut input, now);
            events.extend(std::iter::from_fn(|| ours.poll_event()));
            result
        };
        if let Err(e) = result {
            error = Some(e);
            break;
        }
        let _ = ours.poll_transmit(&mut out);
    }
    assert!(
        error.is_some() || input.is_empty(),
        "a partial packet left over"
    );
    let replay = Replay {
        sent: out.to_vec(),
        events,
        error,
    };
    (ours, replay)
}

fn fixture(case: &Case, direction: &str) -> Vec<u8> {
    let path = case.fixture(direction);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_method_has_one_recording_on_the_side_that_speaks_it() {
    let names = |cases: &[Case]| {
        let mut v: Vec<&str> = cases.iter().map(|c| c.kex).collect();
        v.sort_unstable();
        v
    };
    let methods = |client_only: bool| {
        let mut v: Vec<&str> = KexAlg::ALL
            .into_iter()
            .filter(|a| a.client_only() == client_only)
            .map(KexAlg::name)
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(names(&CASES), methods(false));
    assert_eq!(names(&CLIENT_CASES), methods(true));
}

#[test]
fn recorded_exchanges_replay_byte_for_byte_and_decrypt_service_request() {
    for case in CASES {
        let client = fixture(&case, "client");
        let expected = fixture(&case, "server");
        let peer_prefix: &[u8] = match case.peer {
            Peer::OpenSsh | Peer::Sshd => b"SSH-2.0-OpenSSH_9.2",
            Peer::AsyncSsh => b"SSH-2.0-AsyncSSH_",
        };
        // Whole, and one byte at a time: the split of the input changes nothing.
        for chunk in [client.len(), 1] {
            let (server, got) = replay(case.server(Instant::now()), &client, chunk);
            assert!(got.error.is_none(), "{}: {:?}", case.kex, got.error);
            assert!(
                server.peer_version().unwrap().starts_with(peer_prefix),
                "{}: recorded from another client",
                case.kex
            );
            assert!(
                got.sent == expected,
                "{} (chunk {chunk}): server output differs from the recording \
                 ({} bytes, recorded {})",
                case.kex,
                got.sent.len(),
                expected.len()
            );
            let [
                TransportEvent::KexDone(info),
                TransportEvent::Payload(request),
            ] = &got.events[..]
            else {
                panic!("{}: events {:?}", case.kex, got.events);
            };
            assert_eq!(info.kex.name(), case.kex);
            assert_eq!(info.cipher_client_to_server.name(), case.cipher);
            assert!(
                info.strict_kex || case.peer == Peer::AsyncSsh,
                "{}",
                case.kex
            );
            assert_eq!(
                requested_service(request).as_deref(),
                Some(USERAUTH),
                "{}",
                case.kex
            );
            let id = server.session_id().unwrap().as_bytes();
            assert_eq!(
                id.len(),
                info.kex.hash().digest(&[]).len(),
                "{}: session id length",
                case.kex
            );
        }
    }
}

#[test]
fn another_seed_cannot_open_the_recorded_client_packet() {
    for case in CASES {
        let client = fixture(&case, "client");
        let other = Case {
            seed: case.seed + 1000,
            ..case
        };
        let (_, got) = replay(other.server(Instant::now()), &client, client.len());
        assert!(
            got.sent != fixture(&case, "server"),
            "{}: the seed changed nothing",
            case.kex
        );
        assert!(
            !got.events
                .iter()
                .any(|e| matches!(e, TransportEvent::Payload(_))),
            "{}: a payload opened under other keys",
            case.kex
        );
        assert!(
            matches!(got.error, Some(TransportError::Packet(_))),
            "{}: {:?}",
            case.kex,
            got.error
        );
    }
}

#[test]
fn a_flipped_bit_in_the_recorded_service_request_is_refused() {
    for case in CASES {
        let mut client = fixture(&case, "client");
        let last = client.len() - 1;
        client[last] ^= 0x01;
        let (_, got) = replay(case.server(Instant::now()), &client, client.len());
        assert!(
            matches!(got.events.last(), Some(TransportEvent::KexDone(_))),
            "{}: {:?}",
            case.kex,
            got.events
        );
        assert!(
            matches!(
                got.error,
                Some(TransportError::Packet(PacketError::MacMismatch { .. }))
            ),
            "{}: {:?}",
            case.kex,
            got.error
        );
    }
}

#[test]
fn recorded_sshd_exchanges_replay_byte_for_byte_and_decrypt_service_accept() {
    for case in CLIENT_CASES {
        let server = fixture(&case, "server");
        let expected = fixture(&case, "client");
        for chunk in [server.len(), 1] {
            let (client, got) = replay(case.client(Instant::now()), &server, chunk);
            assert!(got.error.is_none(), "{}: {:?}", case.kex, got.error);
            assert!(
                client
                    .peer_version()
                    .unwrap()
                    .starts_with(b"SSH-2.0-OpenSSH_9.2"),
                "{}: recorded from another server",
                case.kex
            );
            assert!(
                got.sent == expected,
                "{} (chunk {chunk}): client output differs from the recording \
                 ({} bytes, recorded {})",
                case.kex,
                got.sent.len(),
                expected.len()
            );
            let [
                TransportEvent::VerifyHostKey { .. },
                TransportEvent::KexDone(info),
                TransportEvent::Payload(accept),
            ] = &got.events[..]
            else {
                panic!("{}: events {:?}", case.kex, got.events);
            };
            assert_eq!(info.kex.name(), case.kex);
            assert_eq!(info.cipher_server_to_client.name(), case.cipher);
            assert!(info.strict_kex, "{}", case.kex);
            assert_eq!(
                accepted_service(accept).as_deref(),
                Some(USERAUTH),
                "{}",
                case.kex
            );
            assert!(
                client.server_sig_algs().is_some(),
                "{}: no EXT_INFO",
                case.kex
            );
        }
    }
}

#[test]
fn another_client_seed_fails_sshds_recorded_signature() {
    for case in CLIENT_CASES {
        let server = fixture(&case, "server");
        let other = Case {
            seed: case.seed + 1000,
            ..case
        };
        let (_, got) = replay(other.client(Instant::now()), &server, server.len());
        assert!(
            matches!(got.error, Some(TransportError::HostKeySignatureInvalid)),
            "{}: {:?}",
            case.kex,
            got.error
        );
    }
}

#[test]
fn a_flipped_bit_in_sshds_recorded_service_accept_is_refused() {
    for case in CLIENT_CASES {
        let mut server = fixture(&case, "server");
        let last = server.len() - 1;
        server[last] ^= 0x01;
        let (_, got) = replay(case.client(Instant::now()), &server, server.len());
        assert!(
            matches!(
                got.error,
                Some(TransportError::Packet(PacketError::MacMismatch { .. }))
            ),
            "{}: {:?}",
            case.kex,
            got.error
        );
    }
}
