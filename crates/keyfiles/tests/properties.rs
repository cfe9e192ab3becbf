//! Property tests over the public API: parsers never panic on arbitrary text, writers and
//! parsers round-trip, and pattern matching agrees with a naive reference matcher.

use burrow_keyfiles::known_hosts::{HostKeyStatus, format_entry, format_hashed_entry};
use burrow_keyfiles::{
    AuthorizedKeys, KnownHosts, PrivateKeyFile, encode_unencrypted, match_pattern,
    match_pattern_list,
};
use burrow_keys::KeyPair;
use proptest::prelude::*;

/// Exponential but obviously right: the definition of `*` and `?` matching.
fn reference_match(p: &[u8], v: &[u8]) -> bool {
    match (p.split_first(), v.split_first()) {
        (None, None) => true,
        (Some((b'*', p_rest)), _) => {
            reference_match(p_rest, v)
                || v.split_first()
                    .is_some_and(|(_, v_rest)| reference_match(p, v_rest))
        }
        (Some((pc, p_rest)), Some((vc, v_rest))) if *pc == b'?' || pc.eq_ignore_ascii_case(vc) => {
            reference_match(p_rest, v_rest)
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn pattern_matches_like_the_reference(p in "[ab*?]{0,8}", v in "[abAB]{0,8}") {
        prop_assert_eq!(match_pattern(&p, &v), reference_match(p.as_bytes(), v.as_bytes()));
    }

    #[test]
    fn negated_match_always_refuses(p in "[ab*?]{1,6}", v in "[ab]{0,6}", other in "[ab*?]{0,6}") {
        if match_pattern(&p, &v) {
            let list = format!("{other},!{p}");
            prop_assert!(!match_pattern_list(&list, &v));
        }
    }

    #[test]
    fn known_hosts_parse_never_panics(text in "[ -~\t\n|@!*?,\\[\\]]{0,300}") {
        let kh = KnownHosts::parse(&text);
        let pair = KeyPair::from_ed25519_seed(&[1; 32]);
        let status = kh.check_key("host", 2222, pair.public_key());
        prop_assert!(matches!(status, HostKeyStatus::Unknown) || !kh.entries.is_empty());
    }

    #[test]
    fn authorized_keys_parse_never_panics(text in "[ -~\t\n\"\\\\=,]{0,300}") {
        let ak = AuthorizedKeys::parse(&text);
        let blob = KeyPair::from_ed25519_seed(&[1; 32]).public_key().to_blob();
        let lookup = ak.find(&blob, "10.0.0.1".parse().unwrap(), 1_700_000_000, 0);
        prop_assert!(lookup.found.is_none() || !ak.entries.is_empty());
    }

    #[test]
    fn authorized_keys_options_before_a_key_never_panic(opts in "[a-z\\-=\",:*\\[\\]0-9 \\\\]{0,80}") {
        let key = KeyPair::from_ed25519_seed(&[2; 32]).public_key().to_openssh_line("c");
        let ak = AuthorizedKeys::parse(&format!("{opts} {key}\n"));
        prop_assert_eq!(ak.entries.len() + ak.warnings.len(), 1);
    }

    #[test]
    fn private_key_parse_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut body = b"openssh-key-v1\0".to_vec();
        body.extend(tail);
        let text = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
            base64_encode(&body)
        );
        if let Ok(file) = PrivateKeyFile::parse(&text) {
            if !file.is_encrypted() {
                // Decrypting an unencrypted file must not panic either.
                let _unchecked = file.decrypt(b"").is_ok();
            }
        }
    }

    #[test]
    fn private_key_encoding_round_trips(seed in any::<[u8; 32]>(), comment in "\\PC{0,40}", check in any::<u32>()) {
        let pair = KeyPair::from_ed25519_seed(&seed);
        let text = encode_unencrypted(&pair, &comment, check).unwrap();
        let key = PrivateKeyFile::parse(&text).unwrap().decrypt(b"").unwrap();
        prop_assert_eq!(key.keypair().public_key(), pair.public_key());
        prop_assert_eq!(key.comment(), comment.as_str());
        prop_assert_eq!(key.check_int(), check);
        prop_assert_eq!(encode_unencrypted(key.keypair(), key.comment(), check).unwrap(), text);
    }

    #[test]
    fn known_hosts_entries_round_trip(host in "[a-z0-9.\\-:]{1,30}", port in any::<u16>(), salt in any::<[u8; 20]>()) {
        let pair = KeyPair::from_ed25519_seed(&[9; 32]);
        let plain = format_entry(&host, port, pair.public_key()).unwrap();
        let hashed = format_hashed_entry(&host, port, pair.public_key(), &salt).unwrap();
        let kh = KnownHosts::parse(&format!("{plain}\n{hashed}\n"));
        prop_assert!(kh.warnings.is_empty());
        prop_assert_eq!(kh.check_key(&host, port, pair.public_key()), HostKeyStatus::Known { line: 1 });
        let other = KeyPair::from_ed25519_seed(&[8; 32]).public_key().clone();
        prop_assert_eq!(kh.check_key(&host, port, &other), HostKeyStatus::Changed { line: 1 });
        let kh = KnownHosts::parse(&hashed);
        prop_assert_eq!(kh.check_key(&host, port, pair.public_key()), HostKeyStatus::Known { line: 1 });
    }
}

fn base64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}
