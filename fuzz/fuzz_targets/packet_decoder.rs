//! Fuzzes `PacketOpener`: arbitrary bytes, in arbitrary splits, into an opener in the clear
//! state or keyed with fixed keys for any cipher and MAC; optionally the bytes are first sealed
//! as plaintext packets with the same keys, so that framing after authentication (padding,
//! lengths) is reached too.
#![no_main]

use burrow_transport::cipher::{CipherAlg, DirectionKeys, MacAlg, PacketCipher};
use burrow_transport::packet::{MAX_PACKET_LEN, PacketOpener};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use zeroize::Zeroizing;

/// Every suite: `None` is the clear state.
fn suites() -> Vec<Option<(CipherAlg, Option<MacAlg>)>> {
    let mut v = vec![None];
    for cipher in CipherAlg::ALL {
        if cipher.is_aead() {
            v.push(Some((cipher, None)));
        } else {
            v.extend(MacAlg::ALL.into_iter().map(|mac| Some((cipher, Some(mac)))));
        }
    }
    v
}

fn keys(cipher: CipherAlg, mac: Option<MacAlg>) -> DirectionKeys {
    let fill =
        |start: u8, n: usize| Zeroizing::new((0..n).map(|i| start.wrapping_add(i as u8)).collect());
    DirectionKeys {
        cipher,
        mac,
        enc_key: fill(0x00, cipher.key_len()),
        iv: fill(0x40, cipher.iv_len()),
        mac_key: fill(0x80, mac.map_or(0, MacAlg::key_len)),
    }
}

/// Seals `data` as a run of plaintext packets, each `uint32 length || that many bytes`, with
/// whatever length and padding fields the fuzzer wrote.
fn seal_as_packets(cipher: &mut PacketCipher, mut data: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut seq = 0u32;
    while data.len() >= 4 {
        let (head, rest) = data.split_at(4);
        let declared = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let take = declared.min(rest.len());
        let (body, rest) = rest.split_at(take);
        let mut packet = Vec::with_capacity(4 + take + cipher.tag_len());
        packet.extend_from_slice(head);
        packet.extend_from_slice(body);
        packet.resize(4 + take + cipher.tag_len(), 0);
        if cipher.seal(seq, &mut packet).is_err() {
            break;
        }
        wire.extend_from_slice(&packet);
        seq = seq.wrapping_add(1);
        data = rest;
    }
    wire
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((&split_seed, rest)) = rest.split_first() else {
        return;
    };
    let suites = suites();
    let suite = suites[usize::from(mode & 0x0f) % suites.len()];
    let mut opener = PacketOpener::new();
    let wire: Vec<u8> = match suite {
        None => rest.to_vec(),
        Some((cipher, mac)) => {
            let keys = keys(cipher, mac);
            opener.set_keys(&keys).unwrap();
            if mode & 0x10 != 0 {
                let mut sealer = PacketCipher::new(&keys).unwrap();
                seal_as_packets(&mut sealer, rest)
            } else {
                rest.to_vec()
            }
        }
    };

    // Feed in chunks whose sizes come from a small generator seeded by the input.
    let mut state = u32::from(split_seed) | 1;
    let mut input = BytesMut::new();
    let mut fed = 0usize;
    let mut remaining = &wire[..];
    while !remaining.is_empty() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = (1 + (state >> 16) as usize % 97).min(remaining.len());
        let (chunk, tail) = remaining.split_at(n);
        remaining = tail;
        input.extend_from_slice(chunk);
        fed += n;
        loop {
            match opener.open(&mut input) {
                Ok(Some(payload)) => assert!(payload.len() <= MAX_PACKET_LEN),
                Ok(None) => break,
                Err(e) => {
                    // Every error maps to a reason and displays without panicking.
                    let _reason = e.disconnect_reason();
                    let _text = e.to_string();
                    return;
                }
            }
            assert!(input.len() <= fed);
        }
    }
});
