//! Guessed first kex packets (RFC 4253 §7): the client guesses only when the guess is right by
//! every peer's rule, and the server follows the RFC's rule for a client that guesses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::Arc;
use std::time::Instant;

use burrow_transport::kex::EphemeralKey;
use burrow_transport::negotiate::our_kexinit;
use burrow_transport::{Transport, TransportConfig};
use burrow_wire::Side;
use burrow_wire::transport::{KexEcdhInit, KexInit};
use bytes::BytesMut;
use support::{Pair, SeededRng, clear_packet, clear_payloads, host_key};

/// Steps with whole flights (no splits) until the client has finished `kex` exchanges;
/// returns the number of flights.
fn flights_until(pair: &mut Pair, kex: usize) -> usize {
    pair.max_chunk = usize::MAX;
    for n in 1..100 {
        pair.step();
        if pair.client_seen.kex_done >= kex && pair.server_seen.kex_done >= kex {
            return n;
        }
    }
    panic!("key exchange {kex} did not finish");
}

#[test]
fn initial_exchange_never_guesses() {
    // Whether a guess is right depends on the server's rule (RFC 4253 §7 or AsyncSSH's), which
    // the client cannot know before the server's KEXINIT: it sends KEXINIT alone.
    let mut client = Transport::client(
        Arc::new(TransportConfig::default()),
        SeededRng::boxed(3),
        Instant::now(),
    );
    let mut out = BytesMut::new();
    let _ = client.poll_transmit(&mut out);
    let packets = clear_payloads(&out);
    assert_eq!(packets.len(), 1, "only KEXINIT in the first flight");
    assert!(
        !KexInit::decode(&packets[0])
            .unwrap()
            .first_kex_packet_follows
    );
}

#[test]
fn client_rekey_guesses_when_the_first_choices_matched_and_saves_a_round_trip() {
    let rekey_flights = |guess_kex| {
        let cfg = TransportConfig {
            guess_kex,
            ..TransportConfig::default()
        };
        let mut pair = Pair::new(cfg, TransportConfig::default(), 21);
        flights_until(&mut pair, 1);
        pair.client.rekey().unwrap();
        flights_until(&mut pair, 2)
    };
    let with_guess = rekey_flights(true);
    let without = rekey_flights(false);
    assert!(
        with_guess < without,
        "guess {with_guess} flights, no guess {without}"
    );
}

#[test]
fn client_rekey_does_not_guess_when_the_first_choices_differed() {
    // The server prefers the RFC name, the client the libssh one: a guess would be wrong by
    // RFC 4253 and right by AsyncSSH's rule, so the client must not guess at all.
    let mut cfg = TransportConfig::default();
    cfg.set_kex_algorithms("curve25519-sha256@libssh.org,curve25519-sha256")
        .unwrap();
    let flights = |cfg: &TransportConfig| {
        let mut pair = Pair::new(cfg.clone(), TransportConfig::default(), 22);
        flights_until(&mut pair, 1);
        pair.client.rekey().unwrap();
        flights_until(&mut pair, 2)
    };
    let with_guess_allowed = flights(&cfg);
    cfg.guess_kex = false;
    assert_eq!(with_guess_allowed, flights(&cfg));
}

/// A server fed a guessing client's KEXINIT (first kex `first`), a guessed KEX_ECDH_INIT
/// whose key is `guessed`, then (when the guess is wrong) a second KEX_ECDH_INIT.
fn server_sees_guess(first: &str, guessed: &[u8]) -> Vec<Vec<u8>> {
    let mut server = Transport::server(
        Arc::new(TransportConfig::default()),
        host_key(),
        SeededRng::boxed(4),
        Instant::now(),
    );
    let mut cfg = TransportConfig::default();
    cfg.set_kex_algorithms(first).unwrap();
    let kexinit = our_kexinit(Side::Client, &cfg, [7; 16], true).unwrap();
    let key = EphemeralKey::from_secret_bytes([0x31; 32]);
    let init = |k: &[u8]| {
        KexEcdhInit {
            client_ephemeral_public_key: k.into(),
        }
        .to_bytes()
    };
    let mut input = BytesMut::from(&b"SSH-2.0-guesser_1.0\r\n"[..]);
    input.extend_from_slice(&clear_packet(&kexinit.to_bytes()));
    input.extend_from_slice(&clear_packet(&init(guessed)));
    input.extend_from_slice(&clear_packet(&init(key.public_key())));
    server.handle_input(&mut input, Instant::now()).unwrap();
    let mut out = BytesMut::new();
    let _ = server.poll_transmit(&mut out);
    clear_payloads(&out)
}

#[test]
fn server_drops_a_guess_whose_first_kex_differs_and_answers_the_next_init() {
    // A 5-byte key would be an error if the server used the guessed packet.
    let out = server_sees_guess("curve25519-sha256@libssh.org,curve25519-sha256", &[1; 5]);
    let numbers: Vec<u8> = out.iter().map(|p| p[0]).collect();
    assert_eq!(numbers, [20, 31, 21], "KEXINIT, KEX_ECDH_REPLY, NEWKEYS");
}

#[test]
fn server_uses_a_right_guess() {
    // Same first choices: the guessed packet is the real one, so the second init is the
    // unexpected one and ends the exchange.
    let key = EphemeralKey::from_secret_bytes([0x32; 32]);
    let mut cfg = TransportConfig::default();
    cfg.set_kex_algorithms("curve25519-sha256").unwrap();
    let mut server = Transport::server(
        Arc::new(cfg.clone()),
        host_key(),
        SeededRng::boxed(5),
        Instant::now(),
    );
    let kexinit = our_kexinit(Side::Client, &cfg, [7; 16], true).unwrap();
    let mut input = BytesMut::from(&b"SSH-2.0-guesser_1.0\r\n"[..]);
    input.extend_from_slice(&clear_packet(&kexinit.to_bytes()));
    input.extend_from_slice(&clear_packet(
        &KexEcdhInit {
            client_ephemeral_public_key: key.public_key().as_slice().into(),
        }
        .to_bytes(),
    ));
    server.handle_input(&mut input, Instant::now()).unwrap();
    let mut out = BytesMut::new();
    let _ = server.poll_transmit(&mut out);
    let numbers: Vec<u8> = clear_payloads(&out).iter().map(|p| p[0]).collect();
    assert_eq!(numbers, [20, 31, 21]);
}
