//! Tests for known_hosts parsing, lookup and writing, including files hashed by the real
//! `ssh-keygen -H` at test time.

use super::*;
use crate::testutil::{TempDir, run_keygen, ssh_keygen};
use crate::{KeyPair, PublicKey};

fn key(n: u8) -> PublicKey {
    KeyPair::from_ed25519_seed(&[n; 32]).public_key().clone()
}

fn blob(n: u8) -> KeyBlob {
    KeyBlob::from(&key(n))
}

fn b64(n: u8) -> String {
    blob(n).to_text()
}

#[test]
fn plain_entry_is_known_and_other_key_is_changed() {
    let kh = KnownHosts::parse(&format!("example.com {}\n", b64(1)));
    assert!(kh.warnings.is_empty());
    assert_eq!(
        kh.check("example.com", 22, &blob(1)),
        HostKeyStatus::Known { line: 1 }
    );
    assert_eq!(
        kh.check("example.com", 22, &blob(2)),
        HostKeyStatus::Changed { line: 1 }
    );
    assert_eq!(kh.check("other.com", 22, &blob(1)), HostKeyStatus::Unknown);
}

#[test]
fn host_lookup_is_case_insensitive() {
    let kh = KnownHosts::parse(&format!("Example.COM {}\n", b64(1)));
    assert_eq!(
        kh.check("EXAMPLE.com", 22, &blob(1)),
        HostKeyStatus::Known { line: 1 }
    );
}

#[test]
fn bracketed_port_form_is_used_for_non_22_ports() {
    let text = format!("[example.com]:2222 {}\nexample.com {}\n", b64(1), b64(2));
    let kh = KnownHosts::parse(&text);
    assert_eq!(
        kh.check("example.com", 2222, &blob(1)),
        HostKeyStatus::Known { line: 1 }
    );
    assert_eq!(
        kh.check("example.com", 22, &blob(2)),
        HostKeyStatus::Known { line: 2 }
    );
    assert_eq!(
        kh.check("example.com", 2222, &blob(2)),
        HostKeyStatus::Changed { line: 1 }
    );
    assert_eq!(
        kh.check("example.com", 2200, &blob(1)),
        HostKeyStatus::Unknown
    );
    // "[host]:22" is never the form for port 22.
    let kh = KnownHosts::parse(&format!("[example.com]:22 {}\n", b64(1)));
    assert_eq!(
        kh.check("example.com", 22, &blob(1)),
        HostKeyStatus::Unknown
    );
}

#[test]
fn comma_lists_and_wildcards_match() {
    let kh = KnownHosts::parse(&format!("a.example.com,10.0.0.?,*.corp {}\n", b64(1)));
    for host in ["a.example.com", "10.0.0.7", "x.y.corp"] {
        assert_eq!(
            kh.check(host, 22, &blob(1)),
            HostKeyStatus::Known { line: 1 },
            "{host}"
        );
    }
    assert_eq!(kh.check("10.0.0.17", 22, &blob(1)), HostKeyStatus::Unknown);
}

#[test]
fn negated_pattern_excludes_the_line() {
    let text = format!("*.corp,!secret.corp {}\nsecret.corp {}\n", b64(1), b64(2));
    let kh = KnownHosts::parse(&text);
    assert_eq!(
        kh.check("web.corp", 22, &blob(1)),
        HostKeyStatus::Known { line: 1 }
    );
    // Line 1 does not apply to secret.corp, so its key 1 is not "changed" there.
    assert_eq!(
        kh.check("secret.corp", 22, &blob(2)),
        HostKeyStatus::Known { line: 2 }
    );
    assert_eq!(
        kh.check("secret.corp", 22, &blob(1)),
        HostKeyStatus::Changed { line: 2 }
    );
}

#[test]
fn revoked_wins_even_over_a_known_line() {
    let text = format!("host {}\n@revoked host {}\n", b64(1), b64(1));
    let kh = KnownHosts::parse(&text);
    assert_eq!(
        kh.check("host", 22, &blob(1)),
        HostKeyStatus::Revoked { line: 2 }
    );
    assert_eq!(
        kh.check("host", 22, &blob(2)),
        HostKeyStatus::Changed { line: 1 }
    );
}

#[test]
fn revoked_with_wildcard_applies_to_every_host() {
    let kh = KnownHosts::parse(&format!("@revoked * {}\n", b64(3)));
    assert_eq!(
        kh.check("anything", 2022, &blob(3)),
        HostKeyStatus::Revoked { line: 1 }
    );
    // A revoked line alone does not make other keys "changed".
    assert_eq!(kh.check("anything", 2022, &blob(4)), HostKeyStatus::Unknown);
}

#[test]
fn cert_authority_is_reported_unsupported() {
    let kh = KnownHosts::parse(&format!("@cert-authority *.corp {}\n", b64(5)));
    assert_eq!(
        kh.check("a.corp", 22, &blob(1)),
        HostKeyStatus::CertAuthorityUnsupported { line: 1 }
    );
    // A plain line for the host takes precedence.
    let kh = KnownHosts::parse(&format!(
        "@cert-authority *.corp {}\na.corp {}\n",
        b64(5),
        b64(1)
    ));
    assert_eq!(
        kh.check("a.corp", 22, &blob(1)),
        HostKeyStatus::Known { line: 2 }
    );
}

#[test]
fn only_keys_of_the_same_type_make_a_host_changed_as_in_openssh() {
    let dss = b"\x00\x00\x00\x07ssh-dss\x00\x00\x00\x01\x05";
    let text = format!("host ssh-dss {}\n", STANDARD.encode(dss));
    let kh = KnownHosts::parse(&text);
    assert!(kh.warnings.is_empty());
    assert_eq!(kh.entries[0].key.algorithm(), "ssh-dss");
    assert_eq!(kh.check("host", 22, &blob(1)), HostKeyStatus::Unknown);
    let text = format!("{text}host {}\nother {}\n", b64(2), b64(3));
    let kh = KnownHosts::parse(&text);
    assert_eq!(
        kh.check("host", 22, &blob(1)),
        HostKeyStatus::Changed { line: 2 }
    );
    assert_eq!(kh.key_types("host", 22), ["ssh-dss", "ssh-ed25519"]);
    assert!(kh.key_types("nowhere", 22).is_empty());
}

#[test]
fn malformed_lines_are_warnings_with_line_numbers_and_others_still_work() {
    let text = format!(
        "# comment\n\n   \nbad-line-without-key\n@bogus host {k}\nhost ssh-foo AAAA\n\
         |1|abc|def {k}\nhost ssh-ed25519 !!!\n2048 35 12345 old-rsa1\nhost {k} trailing comment\r\n",
        k = b64(1)
    );
    let kh = KnownHosts::parse(&text);
    let lines: Vec<usize> = kh.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [4, 5, 6, 7, 8, 9]);
    assert_eq!(kh.entries.len(), 1);
    assert_eq!(kh.entries[0].line, 10);
    assert_eq!(kh.entries[0].comment, "trailing comment");
    assert_eq!(
        kh.check("host", 22, &blob(1)),
        HostKeyStatus::Known { line: 10 }
    );
    assert_eq!(
        kh.warnings[1].to_string(),
        "line 5: unknown marker \"@bogus\" (expected \"@revoked\" or \"@cert-authority\")"
    );
    assert_eq!(
        kh.warnings[2].to_string(),
        "line 6: unsupported key type \"ssh-foo\""
    );
}

#[test]
fn format_entry_round_trips_through_parse() {
    let line = format_entry("Example.com", 22, &key(1)).unwrap();
    assert!(line.starts_with("example.com ssh-ed25519 AAAA"));
    let line2 = format_entry("example.com", 2222, &key(2)).unwrap();
    assert!(line2.starts_with("[example.com]:2222 ssh-ed25519 "));
    let kh = KnownHosts::parse(&format!("{line}\n{line2}\n"));
    assert_eq!(
        kh.check_key("example.com", 22, &key(1)),
        HostKeyStatus::Known { line: 1 }
    );
    assert_eq!(
        kh.check_key("example.com", 2222, &key(2)),
        HostKeyStatus::Known { line: 2 }
    );
}

#[test]
fn hashed_entry_round_trips_and_hides_the_name() {
    let line = format_hashed_entry("example.com", 2222, &key(1), &[9; 20]).unwrap();
    assert!(line.starts_with("|1|"));
    assert!(!line.contains("example"));
    let kh = KnownHosts::parse(&line);
    assert_eq!(
        kh.check_key("example.com", 2222, &key(1)),
        HostKeyStatus::Known { line: 1 }
    );
    assert_eq!(
        kh.check_key("example.com", 22, &key(1)),
        HostKeyStatus::Unknown
    );
    assert_eq!(
        kh.check_key("example.org", 2222, &key(1)),
        HostKeyStatus::Unknown
    );
}

#[test]
fn format_refuses_host_names_that_would_break_the_file() {
    for host in ["", "a b", "a\nb", "a,b", "*.x", "@revoked", "#x", "|1|x"] {
        assert!(
            matches!(
                format_entry(host, 22, &key(1)),
                Err(KeyError::InvalidHostName { .. })
            ),
            "{host:?}"
        );
    }
    assert!(format_entry("::1", 22, &key(1)).is_ok());
    assert!(
        format_entry("fe80::1", 2022, &key(1))
            .unwrap()
            .starts_with("[fe80::1]:2022 ")
    );
}

#[test]
fn ssh_keygen_h_hashed_entries_match() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("kh-hash");
    let path = dir.path().join("known_hosts");
    let plain = format!(
        "{}\n{}\n{}\n",
        format_entry("example.com", 22, &key(1)).unwrap(),
        format_entry("example.com", 2222, &key(2)).unwrap(),
        format_entry("192.0.2.7", 22, &key(3)).unwrap(),
    );
    std::fs::write(&path, plain).unwrap();
    run_keygen(keygen, &["-q", "-H", "-f", path.to_str().unwrap()]);
    let hashed = std::fs::read_to_string(&path).unwrap();
    assert!(!hashed.contains("example"), "{hashed}");
    let kh = KnownHosts::parse(&hashed);
    assert!(kh.warnings.is_empty(), "{:?}", kh.warnings);
    assert_eq!(kh.entries.len(), 3);
    assert!(
        kh.entries
            .iter()
            .all(|e| matches!(e.hosts, HostField::Hashed { .. }))
    );
    assert_eq!(
        kh.check_key("example.com", 22, &key(1)),
        HostKeyStatus::Known { line: 1 }
    );
    assert_eq!(
        kh.check_key("example.com", 2222, &key(2)),
        HostKeyStatus::Known { line: 2 }
    );
    assert_eq!(
        kh.check_key("192.0.2.7", 22, &key(3)),
        HostKeyStatus::Known { line: 3 }
    );
    assert_eq!(
        kh.check_key("example.com", 22, &key(2)),
        HostKeyStatus::Changed { line: 1 }
    );
    assert_eq!(
        kh.check_key("example.net", 22, &key(1)),
        HostKeyStatus::Unknown
    );
}

#[test]
fn ssh_keygen_f_finds_our_plain_and_hashed_entries() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("kh-find");
    let path = dir.path().join("known_hosts");
    let text = format!(
        "{}\n{}\n",
        format_entry("plain.example", 2222, &key(1)).unwrap(),
        format_hashed_entry("hashed.example", 22, &key(2), &[0x5a; 20]).unwrap(),
    );
    std::fs::write(&path, text).unwrap();
    let p = path.to_str().unwrap();
    let found = run_keygen(keygen, &["-F", "[plain.example]:2222", "-f", p]);
    assert!(found.contains(&b64(1)), "{found}");
    let found = run_keygen(keygen, &["-F", "hashed.example", "-f", p]);
    assert!(found.contains(&b64(2)), "{found}");
}
