//! Algorithm tables and known-answer packets computed independently (testdata/README.md).

use super::testing::{PatternRng, all_suites, fixed_keys, hex};
use super::*;
use crate::packet::{PacketOpener, PacketSealer};
use bytes::BytesMut;
use zeroize::Zeroizing;

const KAT: &str = include_str!("../../testdata/packet-kat.txt");
const KAT_PAYLOADS: [&[u8]; 2] = [
    b"\x05\x00\x00\x00\x0cssh-userauth",
    b"\x02\x00\x00\x00\x03abc",
];
const KAT_FIRST_SEQ: u32 = 0xffff_ffff;

fn kat_lines() -> Vec<(CipherAlg, Option<MacAlg>, Vec<u8>)> {
    KAT.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut parts = l.split(' ');
            let cipher = CipherAlg::from_name(parts.next().unwrap()).unwrap();
            let mac = MacAlg::from_name(parts.next().unwrap());
            (cipher, mac, hex(parts.next().unwrap()))
        })
        .collect()
}

#[test]
fn names_round_trip_and_unknown_names_are_none() {
    for alg in CipherAlg::ALL {
        assert_eq!(CipherAlg::from_name(alg.name()), Some(alg));
    }
    for alg in MacAlg::ALL {
        assert_eq!(MacAlg::from_name(alg.name()), Some(alg));
    }
    assert_eq!(CipherAlg::from_name("aes128-cbc"), None);
    assert_eq!(CipherAlg::from_name("chacha20-poly1305"), None);
    assert_eq!(MacAlg::from_name("hmac-sha1"), None);
}

#[test]
fn key_and_iv_lengths_match_openssh() {
    let table = [
        (CipherAlg::Chacha20Poly1305, 64, 0, 8, true),
        (CipherAlg::Aes128Gcm, 16, 12, 16, true),
        (CipherAlg::Aes256Gcm, 32, 12, 16, true),
        (CipherAlg::Aes128Ctr, 16, 16, 16, false),
        (CipherAlg::Aes256Ctr, 32, 16, 16, false),
    ];
    for (alg, key, iv, block, aead) in table {
        assert_eq!(
            (alg.key_len(), alg.iv_len(), alg.block_size(), alg.is_aead()),
            (key, iv, block, aead),
            "{}",
            alg.name()
        );
    }
    let macs = [
        (MacAlg::HmacSha256Etm, 32, true),
        (MacAlg::HmacSha512Etm, 64, true),
        (MacAlg::HmacSha256, 32, false),
        (MacAlg::HmacSha512, 64, false),
    ];
    for (alg, len, etm) in macs {
        assert_eq!(
            (alg.key_len(), alg.tag_len(), alg.is_etm()),
            (len, len, etm)
        );
    }
}

#[test]
fn kat_file_covers_every_suite() {
    let lines = kat_lines();
    assert_eq!(lines.len(), all_suites().len());
    for suite in all_suites() {
        assert!(lines.iter().any(|(c, m, _)| (*c, *m) == suite), "{suite:?}");
    }
}

#[test]
fn sealing_matches_independently_computed_packets() {
    for (cipher, mac, expected) in kat_lines() {
        let mut sealer = PacketSealer::new();
        sealer.set_keys(&fixed_keys(cipher, mac)).unwrap();
        sealer.set_sequence_number(KAT_FIRST_SEQ);
        let mut out = BytesMut::new();
        for payload in KAT_PAYLOADS {
            sealer
                .seal(payload, &mut out, &mut PatternRng(0xa0))
                .unwrap();
        }
        assert_eq!(
            out.as_ref(),
            expected.as_slice(),
            "{} {mac:?}",
            cipher.name()
        );
        assert_eq!(sealer.sequence_number(), 1);
    }
}

#[test]
fn opening_independently_computed_packets_yields_the_payloads() {
    for (cipher, mac, wire) in kat_lines() {
        let mut opener = PacketOpener::new();
        opener.set_keys(&fixed_keys(cipher, mac)).unwrap();
        opener.set_sequence_number(KAT_FIRST_SEQ);
        let mut input = BytesMut::from(wire.as_slice());
        for payload in KAT_PAYLOADS {
            let got = opener.open(&mut input).unwrap().unwrap();
            assert_eq!(got.as_ref(), payload, "{} {mac:?}", cipher.name());
        }
        assert!(input.is_empty());
        assert_eq!(opener.open(&mut input).unwrap(), None);
    }
}

#[test]
fn wrong_key_lengths_are_rejected() {
    for (cipher, mac) in all_suites() {
        let mut keys = fixed_keys(cipher, mac);
        keys.enc_key.push(0);
        assert!(matches!(
            PacketCipher::new(&keys),
            Err(PacketError::KeyLength { .. })
        ));
        let mut keys = fixed_keys(cipher, mac);
        keys.iv.push(0);
        assert!(matches!(
            PacketCipher::new(&keys),
            Err(PacketError::KeyLength { .. })
        ));
        if mac.is_some() {
            let mut keys = fixed_keys(cipher, mac);
            keys.mac_key.pop();
            assert!(matches!(
                PacketCipher::new(&keys),
                Err(PacketError::KeyLength { .. })
            ));
        }
    }
}

#[test]
fn ctr_without_mac_is_rejected() {
    let keys = fixed_keys(CipherAlg::Aes128Ctr, None);
    assert_eq!(
        PacketCipher::new(&keys).unwrap_err(),
        PacketError::MacRequired {
            cipher: "aes128-ctr"
        }
    );
}

#[test]
fn debug_output_shows_no_key_bytes() {
    let keys = fixed_keys(CipherAlg::Aes256Ctr, Some(MacAlg::HmacSha512));
    let text = format!("{keys:?} {:?}", PacketCipher::new(&keys).unwrap());
    assert!(text.contains("Aes256Ctr"));
    assert!(!text.contains("0, 1, 2"));
    assert!(!text.contains("[0"));
}

const CAPTURE: &str = include_str!("../../testdata/openssh-capture.txt");

struct Captured {
    keys: DirectionKeys,
    first_seq: u32,
    wire: Vec<u8>,
    payloads: [Vec<u8>; 2],
}

fn captures() -> Vec<Captured> {
    let field = |s: &str| if s == "-" { Vec::new() } else { hex(s) };
    CAPTURE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 9, "{l}");
            let cipher = CipherAlg::from_name(f[0]).unwrap();
            Captured {
                keys: DirectionKeys {
                    cipher,
                    mac: MacAlg::from_name(f[1]),
                    enc_key: Zeroizing::new(field(f[3])),
                    iv: Zeroizing::new(field(f[4])),
                    mac_key: Zeroizing::new(field(f[5])),
                },
                first_seq: f[2].parse().unwrap(),
                wire: field(f[6]),
                payloads: [field(f[7]), field(f[8])],
            }
        })
        .collect()
}

#[test]
fn openssh_capture_covers_every_cipher_and_etm_and_plain_macs() {
    let caps = captures();
    for cipher in CipherAlg::ALL {
        assert!(caps.iter().any(|c| c.keys.cipher == cipher), "{cipher:?}");
    }
    for mac in MacAlg::ALL {
        assert!(caps.iter().any(|c| c.keys.mac == Some(mac)), "{mac:?}");
    }
}

#[test]
fn packets_captured_from_sshd_open_to_ext_info_and_service_accept() {
    for cap in captures() {
        let name = cap.keys.cipher.name();
        let mut opener = PacketOpener::new();
        opener.set_keys(&cap.keys).unwrap();
        opener.set_sequence_number(cap.first_seq);
        let mut input = BytesMut::from(cap.wire.as_slice());
        for expected in &cap.payloads {
            let got = opener.open(&mut input).unwrap().unwrap();
            assert_eq!(got.as_ref(), expected.as_slice(), "{name}");
        }
        assert!(input.is_empty(), "{name}");
        assert_eq!(cap.payloads[1], b"\x06\x00\x00\x00\x0cssh-userauth");
        assert_eq!(cap.payloads[0].first(), Some(&7), "EXT_INFO");
    }
}

#[test]
fn packets_captured_from_sshd_fail_under_a_wrong_authentication_key() {
    for cap in captures() {
        let mut keys = cap.keys.clone();
        // AEAD ciphers authenticate with the encryption key; AES-CTR with the MAC key.
        if keys.cipher.is_aead() {
            keys.enc_key[0] ^= 1;
        } else {
            keys.mac_key[0] ^= 1;
        }
        let mut opener = PacketOpener::new();
        opener.set_keys(&keys).unwrap();
        opener.set_sequence_number(cap.first_seq);
        let mut input = BytesMut::from(cap.wire.as_slice());
        assert_eq!(
            opener.open(&mut input),
            Err(PacketError::MacMismatch { seq: cap.first_seq }),
            "{:?}",
            cap.keys
        );
    }
}
