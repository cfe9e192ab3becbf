//! Packet framing tests: round trips for every cipher and MAC with random splits, limits,
//! malformed lengths and padding, and tampering.

use bytes::{BufMut, BytesMut};
use proptest::prelude::*;
use rand_core::OsRng;

use super::*;
use crate::cipher::testing::{PatternRng, all_suites, fixed_keys};
use crate::cipher::{CipherAlg, MacAlg};

fn pair(suite: (CipherAlg, Option<MacAlg>)) -> (PacketSealer, PacketOpener) {
    let keys = fixed_keys(suite.0, suite.1);
    let mut sealer = PacketSealer::new();
    let mut opener = PacketOpener::new();
    sealer.set_keys(&keys).unwrap();
    opener.set_keys(&keys).unwrap();
    (sealer, opener)
}

/// Every suite, plus `None` for the clear state.
fn all_states() -> Vec<Option<(CipherAlg, Option<MacAlg>)>> {
    let mut v = vec![None];
    v.extend(all_suites().into_iter().map(Some));
    v
}

fn pair_for(state: Option<(CipherAlg, Option<MacAlg>)>) -> (PacketSealer, PacketOpener) {
    match state {
        None => (PacketSealer::new(), PacketOpener::new()),
        Some(suite) => pair(suite),
    }
}

fn seal_one(sealer: &mut PacketSealer, payload: &[u8]) -> BytesMut {
    let mut out = BytesMut::new();
    sealer.seal(payload, &mut out, &mut OsRng).unwrap();
    out
}

/// A clear packet with the given header fields and body bytes.
fn raw_clear(packet_length: u32, padding_length: u8, body: &[u8]) -> BytesMut {
    let mut b = BytesMut::new();
    b.put_u32(packet_length);
    b.put_u8(padding_length);
    b.extend_from_slice(body);
    b
}

#[test]
fn clear_packet_has_rfc_layout() {
    let mut sealer = PacketSealer::new();
    let mut out = BytesMut::new();
    sealer
        .seal(b"\x15", &mut out, &mut PatternRng(0xa0))
        .unwrap();
    // 4 + 1 + 1 + 10 = 16: ten bytes of padding make the whole packet two 8-byte blocks.
    assert_eq!(
        out.as_ref(),
        b"\0\0\0\x0c\x0a\x15\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9"
    );
    assert_eq!(sealer.sequence_number(), 1);
    assert_eq!((sealer.packets_sealed(), sealer.bytes_sealed()), (1, 16));
}

#[test]
fn every_suite_round_trips_payloads_of_every_small_size() {
    for state in all_states() {
        let (mut sealer, mut opener) = pair_for(state);
        let mut wire = BytesMut::new();
        for len in 0..100usize {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            sealer.seal(&payload, &mut wire, &mut OsRng).unwrap();
        }
        for len in 0..100usize {
            let got = opener.open(&mut wire).unwrap().unwrap();
            assert_eq!(got.len(), len, "{state:?}");
            assert!(got.iter().enumerate().all(|(i, &b)| b == i as u8));
        }
        assert!(wire.is_empty());
        assert_eq!(sealer.sequence_number(), 100);
        assert_eq!(opener.sequence_number(), 100);
        assert_eq!(opener.packets_opened(), 100);
        assert_eq!(opener.bytes_opened(), sealer.bytes_sealed());
    }
}

#[test]
fn padding_is_at_least_four_and_aligned_for_every_suite() {
    for state in all_states() {
        let (mut sealer, _) = pair_for(state);
        let block = sealer.cipher.block_size();
        let aligns_length = sealer.cipher.aligns_length_field();
        let tag = sealer.cipher.tag_len();
        for len in 0..64usize {
            let before = sealer.bytes_sealed();
            seal_one(&mut sealer, &vec![0u8; len]);
            let wire = usize::try_from(sealer.bytes_sealed() - before).unwrap();
            let packet_length = wire - 4 - tag;
            let padding = packet_length - 1 - len;
            assert!((4..4 + block).contains(&padding), "{state:?} {len}");
            let aligned = if aligns_length {
                packet_length + 4
            } else {
                packet_length
            };
            assert_eq!(aligned % block, 0, "{state:?} {len}");
        }
    }
}

#[test]
fn payload_of_35000_bytes_round_trips_in_every_suite() {
    let payload: Vec<u8> = (0..35_000u32).map(|i| (i * 7) as u8).collect();
    for state in all_states() {
        let (mut sealer, mut opener) = pair_for(state);
        let mut wire = seal_one(&mut sealer, &payload);
        assert_eq!(
            opener.open(&mut wire).unwrap().unwrap().as_ref(),
            &payload[..]
        );
    }
}

#[test]
fn largest_payload_fits_and_one_more_byte_is_refused() {
    for state in all_states() {
        let (mut sealer, mut opener) = pair_for(state);
        let max = sealer.max_payload_len();
        let mut wire = seal_one(&mut sealer, &vec![1u8; max]);
        assert_eq!(opener.open(&mut wire).unwrap().unwrap().len(), max);
        let mut out = BytesMut::from(&b"keep"[..]);
        let err = sealer
            .seal(&vec![1u8; max + 1], &mut out, &mut OsRng)
            .unwrap_err();
        assert_eq!(
            err,
            PacketError::PayloadTooLarge {
                len: max + 1,
                limit: max
            }
        );
        assert_eq!(out.as_ref(), b"keep", "nothing appended on error");
        assert_eq!(sealer.sequence_number(), 1);
    }
}

#[test]
fn sequence_numbers_wrap_at_u32_max_in_every_suite() {
    for state in all_states() {
        let (mut sealer, mut opener) = pair_for(state);
        sealer.set_sequence_number(u32::MAX - 1);
        opener.set_sequence_number(u32::MAX - 1);
        let mut wire = BytesMut::new();
        for i in 0..4u8 {
            sealer.seal(&[i; 9], &mut wire, &mut OsRng).unwrap();
        }
        assert_eq!(sealer.sequence_number(), 2);
        for i in 0..4u8 {
            assert_eq!(opener.open(&mut wire).unwrap().unwrap().as_ref(), &[i; 9]);
        }
        assert_eq!(opener.sequence_number(), 2);
    }
}

#[test]
fn reset_sequence_number_restarts_at_zero_on_both_ends() {
    let (mut sealer, mut opener) = pair((CipherAlg::Chacha20Poly1305, None));
    let mut wire = seal_one(&mut sealer, b"a");
    opener.open(&mut wire).unwrap().unwrap();
    sealer.reset_sequence_number();
    opener.reset_sequence_number();
    assert_eq!((sealer.sequence_number(), opener.sequence_number()), (0, 0));
    let mut wire = seal_one(&mut sealer, b"b");
    assert_eq!(opener.open(&mut wire).unwrap().unwrap().as_ref(), b"b");
}

#[test]
fn mismatched_sequence_numbers_fail_authentication() {
    // AES-GCM's nonce is its own invocation counter, not the sequence number.
    for suite in all_suites()
        .into_iter()
        .filter(|s| !matches!(s.0, CipherAlg::Aes128Gcm | CipherAlg::Aes256Gcm))
    {
        let (mut sealer, mut opener) = pair(suite);
        sealer.set_sequence_number(5);
        opener.set_sequence_number(6);
        let mut wire = seal_one(&mut sealer, b"payload");
        let r = opener.open(&mut wire);
        assert!(r.is_err(), "{suite:?}: {r:?}");
    }
}

#[test]
fn set_keys_restarts_counters_but_not_the_sequence_number() {
    let mut sealer = PacketSealer::new();
    seal_one(&mut sealer, b"x");
    seal_one(&mut sealer, b"y");
    sealer
        .set_keys(&fixed_keys(CipherAlg::Aes128Gcm, None))
        .unwrap();
    assert_eq!((sealer.packets_sealed(), sealer.bytes_sealed()), (0, 0));
    assert_eq!(sealer.sequence_number(), 2);
}

#[test]
fn length_over_limit_is_rejected_from_the_first_four_bytes() {
    for len in [MAX_PACKET_LEN as u32 + 1, u32::MAX] {
        let mut opener = PacketOpener::new();
        let mut input = BytesMut::from(&len.to_be_bytes()[..]);
        assert_eq!(
            opener.open(&mut input).unwrap_err(),
            PacketError::PacketTooLarge {
                len,
                limit: MAX_PACKET_LEN
            }
        );
        assert!(input.capacity() < 1024, "nothing reserved for it");
    }
}

#[test]
fn length_at_the_limit_waits_for_more_bytes() {
    // 262140 + 4 is the largest multiple of 8 whose length field is within the limit.
    let mut opener = PacketOpener::new();
    let mut input = BytesMut::from(&(MAX_PACKET_LEN as u32 - 4).to_be_bytes()[..]);
    assert_eq!(opener.open(&mut input).unwrap(), None);
}

#[test]
fn lengths_0_and_4_are_too_short_and_5_is_misaligned() {
    for len in [0u32, 4] {
        let mut input = raw_clear(len, 4, &[0; 16]);
        assert_eq!(
            PacketOpener::new().open(&mut input).unwrap_err(),
            PacketError::PacketTooShort { len }
        );
    }
    let mut input = raw_clear(5, 4, &[0; 16]);
    assert_eq!(
        PacketOpener::new().open(&mut input).unwrap_err(),
        PacketError::BadLength {
            len: 5,
            block_size: 8
        }
    );
}

#[test]
fn misaligned_clear_length_is_rejected_for_gcm_and_etm() {
    for suite in all_suites() {
        let clear_length = suite.0.is_aead() && suite.0 != CipherAlg::Chacha20Poly1305
            || suite.1.is_some_and(MacAlg::is_etm);
        if !clear_length {
            continue; // the length is encrypted: covered by the tamper tests
        }
        let (_, mut opener) = pair(suite);
        let mut input = BytesMut::from(&[0u8; 64][..]);
        input[..4].copy_from_slice(&20u32.to_be_bytes());
        assert_eq!(
            opener.open(&mut input),
            Err(PacketError::BadLength {
                len: 20,
                block_size: 16
            }),
            "{suite:?}"
        );
    }
}

#[test]
fn padding_under_four_bytes_is_rejected() {
    // packet_length 12: padding_length 3 leaves 8 bytes of payload.
    let mut input = raw_clear(12, 3, &[0; 11]);
    assert_eq!(
        PacketOpener::new().open(&mut input).unwrap_err(),
        PacketError::BadPadding {
            padding_length: 3,
            packet_length: 12
        }
    );
}

#[test]
fn padding_as_long_as_the_packet_is_rejected() {
    for padding in [12u8, 13, 255] {
        let mut input = raw_clear(12, padding, &[0; 11]);
        assert_eq!(
            PacketOpener::new().open(&mut input).unwrap_err(),
            PacketError::BadPadding {
                padding_length: padding,
                packet_length: 12
            }
        );
    }
}

#[test]
fn padding_of_packet_length_minus_one_is_an_empty_payload() {
    let mut input = raw_clear(12, 11, &[0; 11]);
    let payload = PacketOpener::new().open(&mut input).unwrap().unwrap();
    assert!(payload.is_empty());
    assert!(input.is_empty());
}

#[test]
fn truncated_packets_wait_at_every_prefix() {
    for state in all_states() {
        let (mut sealer, mut opener) = pair_for(state);
        let wire = seal_one(&mut sealer, b"a payload of some length");
        for cut in 0..wire.len() {
            let mut input = BytesMut::from(&wire[..cut]);
            assert_eq!(opener.open(&mut input).unwrap(), None, "{state:?} {cut}");
            assert_eq!(
                input.as_ref(),
                &wire[..cut],
                "waiting leaves the bytes alone"
            );
        }
        let mut input = wire.clone();
        assert!(opener.open(&mut input).unwrap().is_some());
    }
}

#[test]
fn any_flipped_bit_is_caught_and_no_payload_is_released() {
    for suite in all_suites() {
        let (mut sealer, _) = pair(suite);
        let wire = seal_one(&mut sealer, b"secret payload!");
        let length_bytes = if suite.1.is_some_and(|m| !m.is_etm()) {
            16
        } else {
            4
        };
        for bit in 0..wire.len() * 8 {
            let (_, mut opener) = pair(suite);
            let mut input = wire.clone();
            input[bit / 8] ^= 1 << (bit % 8);
            // Enough trailing bytes that a changed length cannot leave us waiting forever.
            input.extend_from_slice(&[0u8; 512]);
            let r = opener.open(&mut input);
            if bit / 8 >= length_bytes {
                assert_eq!(
                    r,
                    Err(PacketError::MacMismatch { seq: 0 }),
                    "{suite:?} bit {bit}"
                );
            } else {
                assert!(r.is_err() || r == Ok(None), "{suite:?} bit {bit}: {r:?}");
            }
        }
    }
}

#[test]
fn disconnect_reasons_are_mac_error_for_bad_macs_and_protocol_error_for_framing() {
    use burrow_wire::DisconnectReason as R;
    assert_eq!(
        PacketError::MacMismatch { seq: 3 }.disconnect_reason(),
        R::MacError
    );
    assert_eq!(
        PacketError::PacketTooLarge {
            len: 1 << 30,
            limit: MAX_PACKET_LEN
        }
        .disconnect_reason(),
        R::ProtocolError
    );
    assert_eq!(
        PacketError::PacketTooShort { len: 0 }.disconnect_reason(),
        R::ProtocolError
    );
    assert_eq!(
        PacketError::BadPadding {
            padding_length: 2,
            packet_length: 12
        }
        .disconnect_reason(),
        R::ProtocolError
    );
    assert_eq!(
        PacketError::MacRequired {
            cipher: "aes128-ctr"
        }
        .disconnect_reason(),
        R::KeyExchangeFailed
    );
}

#[test]
fn errors_display_lowercase_with_numbers() {
    assert_eq!(
        PacketError::PacketTooLarge {
            len: 262_145,
            limit: MAX_PACKET_LEN
        }
        .to_string(),
        "peer sent packet length 262145, over the limit of 262144"
    );
    assert_eq!(
        PacketError::MacMismatch { seq: 7 }.to_string(),
        "packet 7: bad mac"
    );
}

fn suite_strategy() -> impl Strategy<Value = Option<(CipherAlg, Option<MacAlg>)>> {
    proptest::sample::select(all_states())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the split of the byte stream, the opener yields exactly the sealed payloads.
    #[test]
    fn random_splits_yield_the_same_payloads(
        state in suite_strategy(),
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 1..12),
        cuts in proptest::collection::vec(1usize..300, 0..40),
    ) {
        let (mut sealer, mut opener) = pair_for(state);
        let mut wire = BytesMut::new();
        for p in &payloads {
            sealer.seal(p, &mut wire, &mut OsRng).unwrap();
        }
        let mut input = BytesMut::new();
        let mut got = Vec::new();
        let mut rest = &wire[..];
        let mut cuts = cuts.into_iter();
        while !rest.is_empty() {
            let n = cuts.next().unwrap_or(rest.len()).min(rest.len());
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            input.extend_from_slice(chunk);
            while let Some(p) = opener.open(&mut input).unwrap() {
                got.push(p.to_vec());
            }
        }
        prop_assert_eq!(got, payloads);
        prop_assert!(input.is_empty());
    }

    /// Arbitrary bytes never panic, and an error is sticky data-wise: nothing after it.
    #[test]
    fn arbitrary_bytes_never_panic(
        state in suite_strategy(),
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        let (_, mut opener) = pair_for(state);
        let mut input = BytesMut::from(&bytes[..]);
        for _ in 0..50 {
            match opener.open(&mut input) {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
}

#[test]
fn seal_takes_a_boxed_dyn_rng_as_the_transport_holds_it() {
    let mut rng: Box<dyn rand_core::CryptoRngCore + Send> = Box::new(PatternRng(0xa0));
    let mut sealer = PacketSealer::new();
    let mut out = BytesMut::new();
    sealer.seal(b"\x15", &mut out, &mut *rng).unwrap();
    assert_eq!(&out[6..], b"\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9");
}

/// The first `length_prefix_len` bytes a peer would send to announce `len` under the opener's
/// keys at its current sequence number. Length encryption is a XOR with a keystream, so
/// "decrypting" the plaintext length gives its ciphertext.
fn encrypted_length_prefix(opener: &mut PacketOpener, len: u32) -> BytesMut {
    let mut head = vec![0u8; opener.cipher.length_prefix_len()];
    head[..4].copy_from_slice(&len.to_be_bytes());
    let encrypted = opener
        .cipher
        .decrypt_length(opener.sequence_number(), &head)
        .unwrap();
    head[..4].copy_from_slice(&encrypted.to_be_bytes());
    // Bytes 4.. of a CTR first block are not looked at before the whole packet is in.
    BytesMut::from(&head[..])
}

#[test]
fn oversized_and_misaligned_lengths_are_rejected_from_the_prefix_in_every_suite() {
    for state in all_states() {
        let (_, mut opener) = pair_for(state);
        opener.set_sequence_number(41);
        for len in [MAX_PACKET_LEN as u32 + 1, u32::MAX] {
            let mut input = encrypted_length_prefix(&mut opener, len);
            assert_eq!(
                opener.open(&mut input),
                Err(PacketError::PacketTooLarge {
                    len,
                    limit: MAX_PACKET_LEN
                }),
                "{state:?}"
            );
        }
        let (_, mut opener) = pair_for(state);
        let mut input = encrypted_length_prefix(&mut opener, 0);
        assert_eq!(
            opener.open(&mut input),
            Err(PacketError::PacketTooShort { len: 0 })
        );
        let mut input = encrypted_length_prefix(&mut opener, 37);
        assert!(
            matches!(
                opener.open(&mut input),
                Err(PacketError::BadLength { len: 37, .. })
            ),
            "{state:?}"
        );
    }
}

#[test]
fn sealing_in_parts_gives_the_bytes_of_the_joined_payload_in_every_suite() {
    let header = [94u8, 0, 0, 0, 7, 0, 0, 0, 5];
    let data = b"hello";
    let joined = [&header[..], &data[..]].concat();
    for state in all_states() {
        let (mut whole, _) = pair_for(state);
        let (mut parts, mut opener) = pair_for(state);
        let mut expected = BytesMut::new();
        whole
            .seal(&joined, &mut expected, &mut PatternRng(0x40))
            .unwrap();
        let mut got = BytesMut::new();
        parts
            .seal_parts(&[&[], &header, data], &mut got, &mut PatternRng(0x40))
            .unwrap();
        assert_eq!(got, expected, "{state:?}");
        assert_eq!(parts.sequence_number(), whole.sequence_number());
        assert_eq!(opener.open(&mut got).unwrap().unwrap(), joined, "{state:?}");
    }
}

#[test]
fn parts_over_the_limit_together_are_refused() {
    let mut sealer = PacketSealer::new();
    let half = vec![0u8; sealer.max_payload_len() / 2 + 1];
    let mut out = BytesMut::new();
    assert!(matches!(
        sealer.seal_parts(&[&half, &half], &mut out, &mut OsRng),
        Err(PacketError::PayloadTooLarge { .. })
    ));
    assert!(out.is_empty());
    assert_eq!(sealer.sequence_number(), 0);
}
