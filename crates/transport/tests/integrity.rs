//! Bit-flip integrity (the idea of OpenSSH's `regress/integrity.sh`): after a real key
//! exchange, one bit flipped anywhere in the first packets of the ciphertext stream makes the
//! receiver fail with a MAC, length or padding error, and no altered payload is ever delivered.
//! Every cipher and MAC the transport speaks, both directions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::collections::BTreeMap;

use burrow_transport::{MAX_PACKET_LEN, PacketError};
use burrow_transport::{Transport, TransportConfig, TransportError, TransportEvent};
use burrow_wire::DisconnectReason;
use bytes::{Bytes, BytesMut};
use support::{Pair, SeededRng};

/// Sizes of the known payloads whose packets are corrupted bit by bit: a tiny one (a packet of
/// one or two cipher blocks), a middling one and one spanning many blocks.
const PAYLOAD_LENS: [usize; 3] = [6, 41, 150];

/// Bytes at the start of the stream whose every bit is flipped in turn.
const ALL_BITS: usize = 16;

/// Which way the corrupted stream flows.
#[derive(Debug, Clone, Copy)]
enum Direction {
    ClientToServer,
    ServerToClient,
}

/// The typed error a flipped bit ended the receiver with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Caught {
    Mac,
    LengthTooLarge,
    LengthTooShort,
    LengthUnaligned,
    Padding,
}

/// One cipher suite: a cipher and, unless it is an AEAD, its MAC.
#[derive(Debug, Clone)]
struct Suite {
    cipher: &'static str,
    mac: Option<&'static str>,
}

/// Every cipher the transport supports, each non-AEAD cipher paired with every MAC (ETM and
/// encrypt-and-MAC). Taken from the transport's own lists, so a new algorithm is covered.
fn suites() -> Vec<Suite> {
    let all = TransportConfig {
        ciphers: burrow_transport::CipherAlg::ALL.to_vec(),
        macs: burrow_transport::MacAlg::ALL.to_vec(),
        ..TransportConfig::default()
    };
    let mut out = Vec::new();
    for cipher in &all.ciphers {
        if cipher.is_aead() {
            out.push(Suite {
                cipher: cipher.name(),
                mac: None,
            });
        } else {
            for mac in &all.macs {
                out.push(Suite {
                    cipher: cipher.name(),
                    mac: Some(mac.name()),
                });
            }
        }
    }
    out
}

fn config(suite: &Suite) -> TransportConfig {
    let mut cfg = TransportConfig::default();
    // The cheapest kex: thousands of sessions are set up, and the kex is not under test.
    cfg.set_kex_algorithms("curve25519-sha256").unwrap();
    cfg.set_ciphers(suite.cipher).unwrap();
    if let Some(mac) = suite.mac {
        cfg.set_macs(mac).unwrap();
    }
    cfg
}

/// Known payload `i` of `len` bytes (CHANNEL_DATA's message number, then a counter pattern).
fn payload(i: usize, len: usize) -> Vec<u8> {
    let mut p = vec![94u8, i as u8];
    p.extend((0..len.saturating_sub(2)).map(|j| (j * 7 + i) as u8));
    p
}

/// Seals `p` on `sender`, appends its packet to `stream` and records what was sent.
fn send(sender: &mut Transport, p: Vec<u8>, stream: &mut BytesMut, sent: &mut Vec<Vec<u8>>) {
    sender.send_payload(&p).unwrap();
    let _ = sender.poll_transmit(stream);
    sent.push(p);
}

/// Flips bit `bit` of byte `offset` of the ciphertext stream `dir` after a completed key
/// exchange, feeds the stream to the receiver in random pieces (followed by more packets when
/// a corrupted length makes it wait), and returns the error it failed with. Panics if it
/// delivers any payload other than the intact ones before the corrupted packet, or fails
/// with any other error.
fn flip(suite: &Suite, dir: Direction, flip_at: Option<(usize, u8)>, seed: u64) -> Option<Caught> {
    let mut pair = Pair::new(config(suite), config(suite), seed);
    pair.run();
    assert_eq!(
        pair.client_seen.kex_done, 1,
        "{suite:?}: kex did not finish"
    );
    assert_eq!(
        pair.server_seen.kex_done, 1,
        "{suite:?}: kex did not finish"
    );
    let mut splits = SeededRng::new(seed ^ 0x1234);
    let (sender, receiver) = match dir {
        Direction::ClientToServer => (&mut pair.client, &mut pair.server),
        Direction::ServerToClient => (&mut pair.server, &mut pair.client),
    };

    let mut stream = BytesMut::new();
    let mut sent = Vec::new();
    let mut ends = Vec::new();
    for (i, len) in PAYLOAD_LENS.into_iter().enumerate() {
        send(sender, payload(i, len), &mut stream, &mut sent);
        ends.push(stream.len());
    }
    let corrupted = flip_at.map(|(offset, bit)| {
        stream[offset] ^= 1 << bit;
        ends.iter().position(|&end| offset < end).unwrap()
    });

    let ctx = format!("{suite:?} {dir:?} flip {flip_at:?}");
    let mut input = BytesMut::new();
    let mut delivered: Vec<Bytes> = Vec::new();
    let mut filler = 0usize;
    let result = loop {
        if stream.is_empty() {
            if corrupted.is_none() {
                break Ok(());
            }
            // A corrupted length can announce a longer packet: keep the data coming, as a
            // live session would, until the receiver has read past the largest packet.
            assert!(
                filler <= 2 * MAX_PACKET_LEN,
                "{ctx}: receiver neither failed nor delivered after {filler} more bytes"
            );
            let before = sent.len();
            send(sender, payload(before, 16 * 1024), &mut stream, &mut sent);
            filler += stream.len();
        }
        let n = 1 + splits.below(stream.len().min(300));
        input.extend_from_slice(&stream.split_to(n));
        let r = receiver.handle_input(&mut input, pair.now);
        while let Some(ev) = receiver.poll_event() {
            match ev {
                TransportEvent::Payload(p) => delivered.push(p),
                other => panic!("{ctx}: unexpected event {other:?}"),
            }
        }
        if let Err(e) = r {
            break Err(e);
        }
    };

    // Exactly the intact packets before the corrupted one arrive, byte for byte.
    let expect = corrupted.unwrap_or(sent.len());
    let got: Vec<&[u8]> = delivered.iter().map(|p| &p[..]).collect();
    let want: Vec<&[u8]> = sent[..expect].iter().map(|p| &p[..]).collect();
    assert!(
        got == want,
        "{ctx}: delivered {} payloads, expected the {expect} intact ones",
        got.len()
    );

    let err = match result {
        Ok(()) => return None,
        Err(e) => e,
    };
    let caught = match &err {
        TransportError::Packet(PacketError::MacMismatch { .. }) => Caught::Mac,
        TransportError::Packet(PacketError::PacketTooLarge { .. }) => Caught::LengthTooLarge,
        TransportError::Packet(PacketError::PacketTooShort { .. }) => Caught::LengthTooShort,
        TransportError::Packet(PacketError::BadLength { .. }) => Caught::LengthUnaligned,
        TransportError::Packet(PacketError::BadPadding { .. }) => Caught::Padding,
        other => panic!("{ctx}: failed with {other:?}, not a MAC/length/padding error"),
    };
    assert!(receiver.is_closed(), "{ctx}: receiver still open");

    // The receiver's DISCONNECT reaches the sender with the matching reason.
    let mut back = BytesMut::new();
    let _ = receiver.poll_transmit(&mut back);
    assert!(!back.is_empty(), "{ctx}: receiver queued no DISCONNECT");
    let _ = sender.handle_input(&mut back, pair.now);
    let reason = match sender.poll_event() {
        Some(TransportEvent::Disconnected { reason, .. }) => reason,
        other => panic!("{ctx}: sender did not see a DISCONNECT: {other:?}"),
    };
    let want_reason = if caught == Caught::Mac {
        DisconnectReason::MacError
    } else {
        DisconnectReason::ProtocolError
    };
    assert_eq!(reason, want_reason, "{ctx}");
    Some(caught)
}

/// Runs every flip for every suite in `dir`: every bit of the first packet's first
/// [`ALL_BITS`] bytes (its length field and first block), then one bit (rotating through the
/// eight) of every other byte of the three packets.
fn every_flip(dir: Direction) {
    let mut seed = match dir {
        Direction::ClientToServer => 1_000,
        Direction::ServerToClient => 2_000_000,
    };
    for suite in suites() {
        seed += 1;
        assert_eq!(flip(&suite, dir, None, seed), None, "{suite:?} control run");
        // Stream layout is the same for every seed of a suite: measure it once.
        let mut probe = Pair::new(config(&suite), config(&suite), seed);
        probe.run();
        let (sender, _) = match dir {
            Direction::ClientToServer => (&mut probe.client, &mut probe.server),
            Direction::ServerToClient => (&mut probe.server, &mut probe.client),
        };
        let (mut stream, mut sent, mut ends) = (BytesMut::new(), Vec::new(), Vec::new());
        for (i, len) in PAYLOAD_LENS.into_iter().enumerate() {
            send(sender, payload(i, len), &mut stream, &mut sent);
            ends.push(stream.len());
        }
        let mut flips: Vec<(usize, u8)> =
            (0..ALL_BITS * 8).map(|b| (b / 8, (b % 8) as u8)).collect();
        flips.extend((ALL_BITS..stream.len()).map(|o| (o, (o % 8) as u8)));

        let mut tally: BTreeMap<Caught, usize> = BTreeMap::new();
        for &at in &flips {
            seed += 1;
            let caught = flip(&suite, dir, Some(at), seed)
                .unwrap_or_else(|| panic!("{suite:?} {dir:?} flip {at:?}: no error"));
            *tally.entry(caught).or_default() += 1;
        }
        println!(
            "{dir:?} {} {}: {} flips over {} bytes -> {tally:?}",
            suite.cipher,
            suite.mac.unwrap_or("(aead)"),
            flips.len(),
            stream.len()
        );
        assert_eq!(tally.values().sum::<usize>(), flips.len());
    }
}

#[test]
fn every_bit_flip_client_to_server_fails_the_server_and_alters_nothing() {
    every_flip(Direction::ClientToServer);
}

#[test]
fn every_bit_flip_server_to_client_fails_the_client_and_alters_nothing() {
    every_flip(Direction::ServerToClient);
}

#[test]
fn every_cipher_and_mac_is_covered() {
    let names: Vec<String> = suites()
        .iter()
        .map(|s| format!("{} {}", s.cipher, s.mac.unwrap_or("")))
        .collect();
    for want in [
        "chacha20-poly1305@openssh.com ",
        "aes128-gcm@openssh.com ",
        "aes256-gcm@openssh.com ",
        "aes128-ctr hmac-sha2-256",
        "aes256-ctr hmac-sha2-512-etm@openssh.com",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    // Every non-AEAD cipher is exercised with both an ETM and an encrypt-and-MAC MAC.
    assert!(names.iter().any(|n| n.ends_with("-etm@openssh.com")));
    assert!(names.iter().any(|n| n.ends_with("hmac-sha2-256")));
}
