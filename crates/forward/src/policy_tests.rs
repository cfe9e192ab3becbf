//! Tests of the server forwarding policy: sshd keywords, authorized_keys options, and the stricter of both.

use super::*;
use crate::bind::BindAddr;
use burrow_keyfiles::AuthorizedKeys;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGcueMp1HpSWCXhoY+ForxEoUYX/rUmAqvI7GplaI1Fv test";

/// The options of an authorized_keys line with `opts` in front of the test key.
fn key_opts(opts: &str) -> KeyOptions {
    let line = if opts.is_empty() {
        KEY.to_owned()
    } else {
        format!("{opts} {KEY}")
    };
    let parsed = AuthorizedKeys::parse(&line);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    parsed.entries.into_iter().next().unwrap().options
}

fn open(host: &str, port: u32) -> ForwardRequest<'_> {
    ForwardRequest::DirectTcpip { host, port }
}

fn listen(host: &str, port: u32) -> ForwardRequest<'_> {
    ForwardRequest::TcpipForward {
        host,
        port,
        want_reply: true,
    }
}

#[test]
fn defaults_allow_everything() {
    let p = ForwardPolicy::default();
    let k = key_opts("");
    assert_eq!(p.check(&k, &open("db", 5432)), Decision::Allow);
    assert_eq!(p.check(&k, &listen("localhost", 0)), Decision::Allow);
    assert_eq!(
        p.check(&k, &ForwardRequest::DirectStreamlocal { path: "/run/x" }),
        Decision::Allow
    );
    assert_eq!(
        p.check(&k, &ForwardRequest::StreamlocalForward { path: "/tmp/y" }),
        Decision::Allow
    );
}

#[test]
fn allow_tcp_forwarding_directions() {
    let k = key_opts("");
    let mut p = ForwardPolicy {
        allow_tcp: AllowForwarding::Local,
        ..Default::default()
    };
    assert_eq!(p.check(&k, &open("h", 1)), Decision::Allow);
    assert_eq!(
        p.check(&k, &listen("", 80)),
        Decision::Deny(Denial::TcpForwardingDisabled(Direction::Remote))
    );
    p.allow_tcp = AllowForwarding::Remote;
    assert_eq!(
        p.check(&k, &open("h", 1)),
        Decision::Deny(Denial::TcpForwardingDisabled(Direction::Local))
    );
    assert_eq!(p.check(&k, &listen("", 80)), Decision::Allow);
    p.allow_tcp = AllowForwarding::No;
    assert!(matches!(p.check(&k, &open("h", 1)), Decision::Deny(_)));
    // TCP settings do not touch unix sockets.
    assert_eq!(
        p.check(&k, &ForwardRequest::DirectStreamlocal { path: "/s" }),
        Decision::Allow
    );
}

#[test]
fn allow_streamlocal_forwarding_is_separate() {
    let p = ForwardPolicy {
        allow_streamlocal: AllowForwarding::No,
        ..Default::default()
    };
    let k = key_opts("");
    assert_eq!(
        p.check(&k, &ForwardRequest::StreamlocalForward { path: "/s" }),
        Decision::Deny(Denial::StreamLocalForwardingDisabled(Direction::Remote))
    );
    assert_eq!(p.check(&k, &open("h", 1)), Decision::Allow);
}

#[test]
fn disable_forwarding_overrides_all() {
    let p = ForwardPolicy {
        disable_forwarding: true,
        ..Default::default()
    };
    assert_eq!(
        p.check(&key_opts(""), &open("h", 1)),
        Decision::Deny(Denial::DisableForwarding)
    );
}

#[test]
fn restrict_and_no_port_forwarding_deny_even_when_config_allows() {
    let p = ForwardPolicy::default();
    for opts in ["restrict", "no-port-forwarding"] {
        let k = key_opts(opts);
        assert_eq!(
            p.check(&k, &open("h", 1)),
            Decision::Deny(Denial::KeyNoPortForwarding),
            "{opts}"
        );
        assert_eq!(
            p.check(&k, &ForwardRequest::StreamlocalForward { path: "/s" }),
            Decision::Deny(Denial::KeyNoPortForwarding)
        );
    }
    let k = key_opts("restrict,port-forwarding");
    assert_eq!(p.check(&k, &open("h", 1)), Decision::Allow);
}

#[test]
fn key_permitopen_and_config_permitopen_must_both_allow() {
    let p = ForwardPolicy {
        permit_open: PermitList::parse_permit_open(&["db:5432", "web:*"]).unwrap(),
        ..Default::default()
    };
    let k = key_opts("permitopen=\"db:5432\",permitopen=\"cache:6379\"");
    assert_eq!(p.check(&k, &open("db", 5432)), Decision::Allow);
    // Key allows, config does not.
    assert_eq!(
        p.check(&k, &open("cache", 6379)),
        Decision::Deny(Denial::ConfigPermitOpen)
    );
    // Config allows, key does not.
    assert_eq!(
        p.check(&k, &open("web", 80)),
        Decision::Deny(Denial::KeyPermitOpen)
    );
    // Without key restrictions the config alone decides.
    assert_eq!(p.check(&key_opts(""), &open("web", 80)), Decision::Allow);
    assert_eq!(
        p.check(&key_opts(""), &open("WEB", 80)),
        Decision::Deny(Denial::ConfigPermitOpen)
    );
}

#[test]
fn permitopen_none_denies_and_wildcards_match() {
    let k = key_opts("");
    let p = ForwardPolicy {
        permit_open: PermitList::parse_permit_open(&["none"]).unwrap(),
        ..Default::default()
    };
    assert_eq!(
        p.check(&k, &open("h", 1)),
        Decision::Deny(Denial::ConfigPermitOpen)
    );
    let p = ForwardPolicy {
        permit_open: PermitList::parse_permit_open(&["*:443", "[::1]:22"]).unwrap(),
        ..Default::default()
    };
    assert_eq!(p.check(&k, &open("anything", 443)), Decision::Allow);
    assert_eq!(p.check(&k, &open("::1", 22)), Decision::Allow);
    assert_eq!(
        p.check(&k, &open("::1", 23)),
        Decision::Deny(Denial::ConfigPermitOpen)
    );
}

#[test]
fn streamlocal_open_needs_a_port_wildcard_entry_when_lists_exist() {
    let k = key_opts("");
    let p = ForwardPolicy {
        permit_open: PermitList::parse_permit_open(&["/run/a.sock:*", "h:22"]).unwrap(),
        ..Default::default()
    };
    let path = |path| ForwardRequest::DirectStreamlocal { path };
    assert_eq!(p.check(&k, &path("/run/a.sock")), Decision::Allow);
    assert_eq!(
        p.check(&k, &path("/run/b.sock")),
        Decision::Deny(Denial::ConfigPermitOpen)
    );
    let keyed = key_opts("permitopen=\"h:22\"");
    assert_eq!(
        ForwardPolicy::default().check(&keyed, &path("/run/a.sock")),
        Decision::Deny(Denial::KeyPermitOpen)
    );
}

#[test]
fn permitlisten_bare_port_means_any_host() {
    let k = key_opts("");
    let p = ForwardPolicy {
        permit_listen: PermitList::parse_permit_listen(&["8080", "localhost:9"]).unwrap(),
        ..Default::default()
    };
    assert_eq!(
        p.permit_listen,
        PermitList::Entries(vec![
            PermitEntry {
                host: "*".into(),
                port: Some(8080)
            },
            PermitEntry {
                host: "localhost".into(),
                port: Some(9)
            }
        ])
    );
    assert_eq!(p.check(&k, &listen("", 8080)), Decision::Allow);
    assert_eq!(p.check(&k, &listen("LOCALHOST", 9)), Decision::Allow);
    assert_eq!(
        p.check(&k, &listen("localhost", 0)),
        Decision::Deny(Denial::ConfigPermitListen)
    );
}

#[test]
fn permitlisten_patterns_and_star_port() {
    let k = key_opts("");
    let p = ForwardPolicy {
        permit_listen: PermitList::parse_permit_listen(&["127.0.0.*:*"]).unwrap(),
        ..Default::default()
    };
    assert_eq!(p.check(&k, &listen("127.0.0.1", 0)), Decision::Allow);
    assert_eq!(
        p.check(&k, &listen("10.0.0.1", 22)),
        Decision::Deny(Denial::ConfigPermitListen)
    );
}

#[test]
fn key_permitlisten_is_combined_with_config() {
    let p = ForwardPolicy {
        permit_listen: PermitList::parse_permit_listen(&["*:*"]).unwrap(),
        ..Default::default()
    };
    let k = key_opts("permitlisten=\"localhost:8080\"");
    assert_eq!(p.check(&k, &listen("localhost", 8080)), Decision::Allow);
    assert_eq!(
        p.check(&k, &listen("localhost", 8081)),
        Decision::Deny(Denial::KeyPermitListen)
    );
}

#[test]
fn port_zero_without_reply_and_huge_ports_are_refused() {
    let p = ForwardPolicy::default();
    let k = key_opts("");
    assert_eq!(
        p.check(
            &k,
            &ForwardRequest::TcpipForward {
                host: "",
                port: 0,
                want_reply: false
            }
        ),
        Decision::Deny(Denial::AllocationWithoutReply)
    );
    assert_eq!(
        p.check(&k, &listen("", 65536)),
        Decision::Deny(Denial::BadPort)
    );
    assert_eq!(
        p.check(&k, &open("h", 70000)),
        Decision::Deny(Denial::BadPort)
    );
}

#[test]
fn streamlocal_listen_has_no_acl_like_sshd() {
    let p = ForwardPolicy {
        permit_listen: PermitList::None,
        ..Default::default()
    };
    assert_eq!(
        p.check(
            &key_opts("permitlisten=\"1\""),
            &ForwardRequest::StreamlocalForward { path: "/tmp/s" }
        ),
        Decision::Allow
    );
}

#[test]
fn permit_lists_reject_what_sshd_rejects() {
    for words in [
        &[][..],
        &["any", "h:1"][..],
        &["h:1", "none"][..],
        &["nohostport"][..],
        &["h:0"][..],
        &["h:99999"][..],
        &["[::1:22"][..],
        &["[::1]22"][..],
    ] {
        assert!(PermitList::parse_permit_open(words).is_err(), "{words:?}");
    }
    assert!(PermitList::parse_permit_listen(&["0"]).is_err());
    assert_eq!(
        PermitList::parse_permit_open(&["h:0"])
            .unwrap_err()
            .to_string(),
        "PermitOpen 'h:0': bad port number"
    );
}

#[test]
fn allow_forwarding_words() {
    assert_eq!(AllowForwarding::parse("all"), Some(AllowForwarding::Yes));
    assert_eq!(AllowForwarding::parse("YES"), Some(AllowForwarding::Yes));
    assert_eq!(
        AllowForwarding::parse("local"),
        Some(AllowForwarding::Local)
    );
    assert_eq!(
        AllowForwarding::parse("remote"),
        Some(AllowForwarding::Remote)
    );
    assert_eq!(AllowForwarding::parse("no"), Some(AllowForwarding::No));
    assert_eq!(AllowForwarding::parse("sometimes"), None);
}

#[test]
fn denial_log_line_names_user_key_target_and_reason() {
    let line = denial_log_line(
        "alice",
        "SHA256:abc",
        &open("db", 5432),
        Denial::ConfigPermitOpen,
    );
    assert_eq!(
        line,
        "refused connect to host db port 5432 for user alice key SHA256:abc: not in PermitOpen"
    );
}

#[test]
fn bind_for_applies_gateway_ports() {
    let p = ForwardPolicy {
        gateway_ports: GatewayPorts::ClientSpecified,
        ..Default::default()
    };
    assert_eq!(p.bind_for("").addr, BindAddr::Wildcard);
    assert_eq!(
        ForwardPolicy::default().bind_for("").addr,
        BindAddr::Loopback
    );
}
