//! Tests for authorized_keys parsing, options and key lookup.

use super::*;
use crate::testutil::{TempDir, run_keygen, ssh_keygen};
use crate::{KeyPair, PublicKey};

fn ip(s: &str) -> core::net::IpAddr {
    s.parse().unwrap()
}

fn key(n: u8) -> PublicKey {
    KeyPair::from_ed25519_seed(&[n; 32]).public_key().clone()
}

fn k(n: u8) -> String {
    key(n).to_openssh_line("")
}

fn only(text: &str) -> AuthorizedKey {
    let ak = AuthorizedKeys::parse(text);
    assert!(ak.warnings.is_empty(), "{:?}", ak.warnings);
    assert_eq!(ak.entries.len(), 1);
    ak.entries.into_iter().next().unwrap()
}

fn warning(text: &str) -> String {
    let ak = AuthorizedKeys::parse(text);
    assert!(ak.entries.is_empty(), "{:?}", ak.entries);
    assert_eq!(ak.warnings.len(), 1);
    ak.warnings[0].to_string()
}

#[test]
fn plain_line_is_unrestricted() {
    let e = only(&format!("{} alice@laptop\n", k(1)));
    assert_eq!(e.key.to_public_key().unwrap(), key(1));
    assert_eq!(e.comment, "alice@laptop");
    assert_eq!(e.options, KeyOptions::unrestricted());
    assert!(e.options.allows_open("anything", 1));
    assert!(e.options.allows_listen("0.0.0.0", 8080));
}

#[test]
fn restrict_disables_forwarding_and_port_forwarding_reenables_it() {
    let e = only(&format!("restrict {}", k(1)));
    assert!(e.options.restrict);
    assert!(!e.options.port_forwarding);
    assert!(!e.options.allows_open("h", 1));
    let e = only(&format!("restrict,port-forwarding {}", k(1)));
    assert!(e.options.port_forwarding);
    let e = only(&format!("no-port-forwarding {}", k(1)));
    assert!(!e.options.port_forwarding);
    // Option names are case-insensitive, as in OpenSSH.
    let e = only(&format!("RESTRICT,Port-Forwarding {}", k(1)));
    assert!(e.options.port_forwarding);
}

#[test]
fn permitopen_is_repeatable_with_wildcards_and_ipv6() {
    let e = only(&format!(
        r#"permitopen="db.internal:5432",permitopen="*:443",permitopen="web:*",permitopen="[2001:db8::1]:22" {}"#,
        k(1)
    ));
    let p = &e.options.permit_open;
    assert_eq!(p.len(), 4);
    assert_eq!(
        p[0],
        PermitOpen {
            host: "db.internal".into(),
            port: Some(5432)
        }
    );
    assert_eq!(
        p[1],
        PermitOpen {
            host: "*".into(),
            port: Some(443)
        }
    );
    assert_eq!(
        p[2],
        PermitOpen {
            host: "web".into(),
            port: None
        }
    );
    assert_eq!(
        p[3],
        PermitOpen {
            host: "2001:db8::1".into(),
            port: Some(22)
        }
    );
    let o = &e.options;
    assert!(o.allows_open("db.internal", 5432));
    assert!(!o.allows_open("db.internal", 5433));
    assert!(o.allows_open("example.com", 443));
    assert!(o.allows_open("web", 8080));
    assert!(o.allows_open("2001:db8::1", 22));
    assert!(!o.allows_open("other", 80));
}

#[test]
fn permitlisten_accepts_bare_port_and_host_patterns() {
    let e = only(&format!(
        r#"permitlisten="8080",permitlisten="localhost:9000",permitlisten="127.0.0.*:*" {}"#,
        k(1)
    ));
    let p = &e.options.permit_listen;
    assert_eq!(
        p[0],
        PermitListen {
            host: "*".into(),
            port: Some(8080)
        }
    );
    assert_eq!(
        p[1],
        PermitListen {
            host: "localhost".into(),
            port: Some(9000)
        }
    );
    assert_eq!(
        p[2],
        PermitListen {
            host: "127.0.0.*".into(),
            port: None
        }
    );
    let o = &e.options;
    assert!(o.allows_listen("0.0.0.0", 8080));
    assert!(o.allows_listen("LOCALHOST", 9000));
    assert!(!o.allows_listen("localhost", 9001));
    assert!(o.allows_listen("127.0.0.5", 12345));
    assert!(!o.allows_listen("10.0.0.1", 12345));
}

#[test]
fn bad_permits_are_line_warnings() {
    for (opt, reason) in [
        (r#"permitopen="nohostport""#, "is not host:port"),
        (r#"permitopen="h:0""#, "has a port outside 1..=65535"),
        (r#"permitopen="h:65536""#, "has a port outside 1..=65535"),
        (
            r#"permitopen="h:http""#,
            "has a port that is neither a number nor '*'",
        ),
        (r#"permitopen=":80""#, "has an empty or over-long host"),
        (r#"permitopen="[::1:80""#, "missing ']' after IPv6 address"),
        (r#"permitlisten="0""#, "has a port outside 1..=65535"),
    ] {
        let w = warning(&format!("{opt} {}\n", k(1)));
        assert!(w.starts_with("line 1: option \"permit"), "{w}");
        assert!(w.ends_with(reason), "{w} / {reason}");
    }
}

#[test]
fn quoted_values_keep_spaces_commas_and_escaped_quotes() {
    let e = only(&format!(
        r#"command="echo \"a, b\" c",environment="X=1 2",no-pty {} the comment"#,
        k(1)
    ));
    assert_eq!(
        e.options.other,
        vec![
            OtherOption {
                name: "command".into(),
                value: Some(r#"echo "a, b" c"#.into())
            },
            OtherOption {
                name: "environment".into(),
                value: Some("X=1 2".into())
            },
            OtherOption {
                name: "no-pty".into(),
                value: None
            },
        ]
    );
    assert_eq!(e.comment, "the comment");
    // A backslash before anything else is kept.
    let e = only(&format!(r#"command="a\b" {}"#, k(1)));
    assert_eq!(e.options.other[0].value.as_deref(), Some(r"a\b"));
}

#[test]
fn all_other_openssh_options_are_reported() {
    let e = only(&format!(
        r#"no-agent-forwarding,no-X11-forwarding,no-user-rc,pty,agent-forwarding,x11-forwarding,user-rc,principals="a,b",tunnel="0",no-touch-required,verify-required {}"#,
        k(1)
    ));
    let names: Vec<&str> = e.options.other.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "no-agent-forwarding",
            "no-x11-forwarding",
            "no-user-rc",
            "pty",
            "agent-forwarding",
            "x11-forwarding",
            "user-rc",
            "principals",
            "tunnel",
            "no-touch-required",
            "verify-required"
        ]
    );
    assert!(e.options.port_forwarding);
}

#[test]
fn malformed_options_are_warnings_naming_the_option() {
    let cases = [
        (
            r#"bogus-option"#,
            "line 1: option \"bogus-option\": unknown option",
        ),
        (
            r#"command="unterminated"#,
            "line 1: option \"command\": missing closing '\"'",
        ),
        (
            r#"command=unquoted"#,
            "line 1: option \"command\": value must start with '\"'",
        ),
        (
            r#"command="a",command="b""#,
            "line 1: option \"command\": given more than once",
        ),
        (
            r#"from="a",from="b""#,
            "line 1: option \"from\": given more than once",
        ),
        (r#"no-pty="x""#, "line 1: option \"no-pty\": takes no value"),
        (
            r#"command"#,
            "line 1: option \"command\": needs a quoted value",
        ),
        (
            r#"command="x"y"#,
            "line 1: option \"command\": followed by something other than ',' or a space",
        ),
        (
            r#"no-pty,"#,
            "line 1: option \"no-pty\": followed by ',' and nothing else",
        ),
        (
            r#"environment="=x""#,
            "line 1: option \"environment\": is not NAME=value",
        ),
        (
            r#"tunnel="tun0""#,
            "line 1: option \"tunnel\": is not a tun device number or \"any\"",
        ),
        (
            r#"expiry-time="2024""#,
            "line 1: option \"expiry-time\": is not YYYYMMDD[HHMM[SS]] after 1970",
        ),
        (
            r#"from="10.0.0.1/8""#,
            "line 1: option \"from\": holds an invalid address or CIDR block",
        ),
    ];
    for (opts, expected) in cases {
        assert_eq!(warning(&format!("{opts} {}\n", k(1))), expected, "{opts}");
    }
}

#[test]
fn malformed_lines_never_stop_the_others() {
    let text = format!(
        "# header\n\nbogus {k1}\n{k2} ok\nssh-ed25519\nssh-ed25519 !!!\nfrom=\"x\"\n  \t{k3}\n",
        k1 = k(1),
        k2 = k(2),
        k3 = k(3)
    );
    let ak = AuthorizedKeys::parse(&text);
    let warned: Vec<usize> = ak.warnings.iter().map(|w| w.line).collect();
    assert_eq!(warned, [3, 5, 6, 7]);
    let lines: Vec<usize> = ak.entries.iter().map(|e| e.line).collect();
    assert_eq!(lines, [4, 8]);
}

#[test]
fn unsupported_key_types_parse_and_are_kept() {
    use base64::Engine as _;
    let dss = base64::engine::general_purpose::STANDARD
        .encode(b"\x00\x00\x00\x07ssh-dss\x00\x00\x00\x01\x05");
    let e = only(&format!("restrict ssh-dss {dss} bob"));
    assert_eq!(e.key.algorithm(), "ssh-dss");
    assert!(e.key.to_public_key().is_err());
}

#[test]
fn expiry_time_keeps_the_earliest_and_expired_keys_are_skipped() {
    let e = only(&format!(
        r#"expiry-time="20300101",expiry-time="20250101" {}"#,
        k(1)
    ));
    let expiry = e.options.expiry_time.unwrap();
    assert_eq!((expiry.seconds, expiry.utc), (1_735_689_600, false));
    assert!(!e.options.is_expired(1_735_689_600, 0));
    assert!(e.options.is_expired(1_735_689_601, 0));
    assert!(
        !e.options.is_expired(1_735_689_601, -3600),
        "23:00 local at UTC-1"
    );

    let text = format!(
        "expiry-time=\"20250101\" {k}\nexpiry-time=\"20300101\" {k}\n",
        k = k(1)
    );
    let blob = key(1).to_blob();
    let early = find_key(&text, &blob, ip("192.0.2.1"), 1_700_000_000, 0);
    assert_eq!(early.found.unwrap().line, 1);
    let late = find_key(&text, &blob, ip("192.0.2.1"), 1_800_000_000, 0);
    assert_eq!(late.found.unwrap().line, 2);
    assert_eq!(
        late.refused,
        [Refusal::Expired {
            line: 1,
            expiry_time: expiry
        }]
    );
    let never = find_key(&text, &blob, ip("192.0.2.1"), 2_000_000_000, 0);
    assert!(never.found.is_none());
    assert_eq!(never.refused.len(), 2);
}

#[test]
fn from_restricts_by_client_address() {
    let text = format!(
        "from=\"10.0.0.0/8,!10.9.9.9\",permitopen=\"a:1\" {k}\nfrom=\"192.0.2.*\" {k}\n",
        k = k(1)
    );
    let blob = key(1).to_blob();
    let inside = find_key(&text, &blob, ip("10.1.2.3"), 0, 0).found.unwrap();
    assert_eq!(inside.line, 1);
    assert!(inside.options.allows_open("a", 1));
    assert!(!inside.options.allows_open("b", 1));
    let lan = find_key(&text, &blob, ip("192.0.2.44"), 0, 0);
    assert_eq!(lan.found.unwrap().line, 2);
    assert_eq!(lan.refused, [Refusal::FromMismatch { line: 1 }]);
    let negated = find_key(&text, &blob, ip("10.9.9.9"), 0, 0);
    assert!(negated.found.is_none());
    assert_eq!(
        negated.refused,
        [
            Refusal::FromMismatch { line: 1 },
            Refusal::FromMismatch { line: 2 }
        ]
    );
}

#[test]
fn cert_authority_lines_never_match_a_plain_key() {
    let text = format!("cert-authority {k}\n", k = k(1));
    let r = find_key(&text, &key(1).to_blob(), ip("::1"), 0, 0);
    assert!(r.found.is_none());
    assert_eq!(r.refused, [Refusal::CertAuthority { line: 1 }]);
}

#[test]
fn other_keys_are_not_found_and_warnings_are_returned() {
    let text = format!("{}\nbroken\n", k(1));
    let r = find_key(&text, &key(2).to_blob(), ip("::1"), 0, 0);
    assert!(r.found.is_none());
    assert!(r.refused.is_empty());
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].line, 2);
}

#[test]
fn ssh_keygen_lists_the_same_keys_from_an_options_file() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = TempDir::new("ak-l");
    let path = dir.path().join("authorized_keys");
    let text = format!(
        "restrict,permitopen=\"h:22\",from=\"10.0.0.0/8\" {}\ncommand=\"echo \\\"hi\\\"\",no-pty {} c\n{}\n",
        k(1),
        k(2),
        k(3)
    );
    std::fs::write(&path, &text).unwrap();
    let out = run_keygen(keygen, &["-l", "-f", path.to_str().unwrap()]);
    let theirs: Vec<&str> = out.lines().map(|l| l.split(' ').nth(1).unwrap()).collect();
    let ak = AuthorizedKeys::parse(&text);
    assert!(ak.warnings.is_empty());
    let ours: Vec<String> = ak
        .entries
        .iter()
        .map(|e| e.key.to_public_key().unwrap().fingerprint())
        .collect();
    assert_eq!(theirs, ours);
}
