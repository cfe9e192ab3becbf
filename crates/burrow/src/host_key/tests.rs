//! StrictHostKeyChecking decisions and their exact OpenSSH texts.

use burrow_keys::KeyPair;

use super::*;

fn key() -> PublicKey {
    KeyPair::from_ed25519_seed(&[7; 32]).public_key().clone()
}

fn check(
    policy: StrictHostKeyChecking,
    port: u16,
    key: &PublicKey,
    lookup: KnownHostLookup,
) -> HostKeyDecision {
    decide(&HostKeyCheck {
        policy,
        host: "server.example",
        port,
        key,
        user_known_hosts: "/home/u/.ssh/known_hosts",
        lookup,
        known_without_port: false,
        hash_salt: None,
    })
}

#[test]
fn known_key_is_accepted_under_every_policy() {
    let k = key();
    for policy in [
        StrictHostKeyChecking::Yes,
        StrictHostKeyChecking::AcceptNew,
        StrictHostKeyChecking::No,
        StrictHostKeyChecking::Ask,
    ] {
        assert_eq!(
            check(policy, 22, &k, KnownHostLookup::Known),
            HostKeyDecision::Accept
        );
    }
}

#[test]
fn ask_decides_as_yes_once_the_caller_has_asked() {
    let k = key();
    for lookup in [KnownHostLookup::Unknown, KnownHostLookup::Known] {
        assert_eq!(
            check(StrictHostKeyChecking::Ask, 22, &k, lookup.clone()),
            check(StrictHostKeyChecking::Yes, 22, &k, lookup)
        );
    }
    let parsed: Vec<_> = ["yes", "TRUE", "off", "no", "accept-new", "ask", "maybe"]
        .map(StrictHostKeyChecking::parse)
        .into();
    assert_eq!(
        parsed,
        [
            Some(StrictHostKeyChecking::Yes),
            Some(StrictHostKeyChecking::Yes),
            Some(StrictHostKeyChecking::No),
            Some(StrictHostKeyChecking::No),
            Some(StrictHostKeyChecking::AcceptNew),
            Some(StrictHostKeyChecking::Ask),
            None,
        ]
    );
}

#[test]
fn changed_key_with_strict_checking_gives_openssh_text() {
    let k = key();
    let HostKeyDecision::Refuse { message } = check(
        StrictHostKeyChecking::Yes,
        2222,
        &k,
        KnownHostLookup::Changed {
            file: "/home/u/.ssh/known_hosts".into(),
            line: 3,
            key_type: "ED25519".into(),
        },
    ) else {
        panic!("not refused");
    };
    let expected = format!(
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
         @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n\
         @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
         IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n\
         Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n\
         It is also possible that a host key has just been changed.\n\
         The fingerprint for the ED25519 key sent by the remote host is\n\
         {}.\n\
         Please contact your system administrator.\n\
         Add correct host key in /home/u/.ssh/known_hosts to get rid of this message.\n\
         Offending ED25519 key in /home/u/.ssh/known_hosts:3\n\
         Host key for [server.example]:2222 has changed and you have requested strict checking.\n\
         Host key verification failed.",
        k.fingerprint()
    );
    assert_eq!(message, expected);
}

#[test]
fn changed_key_is_refused_by_accept_new_too() {
    let k = key();
    let d = check(
        StrictHostKeyChecking::AcceptNew,
        22,
        &k,
        KnownHostLookup::Changed {
            file: "/etc/ssh/ssh_known_hosts".into(),
            line: 12,
            key_type: "ED25519".into(),
        },
    );
    let HostKeyDecision::Refuse { message } = d else {
        panic!("not refused");
    };
    assert!(message.contains("\nOffending ED25519 key in /etc/ssh/ssh_known_hosts:12\n"));
    assert!(message.ends_with(
        "Host key for server.example has changed and you have requested strict checking.\n\
         Host key verification failed."
    ));
}

#[test]
fn changed_key_with_checking_off_continues_untrusted() {
    let k = key();
    let HostKeyDecision::AcceptUntrusted { warning } = check(
        StrictHostKeyChecking::No,
        22,
        &k,
        KnownHostLookup::Changed {
            file: "/k".into(),
            line: 1,
            key_type: "ED25519".into(),
        },
    ) else {
        panic!("not untrusted");
    };
    assert!(warning.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"));
    assert!(warning.ends_with("Offending ED25519 key in /k:1"));
}

#[test]
fn revoked_key_gives_openssh_text() {
    let k = key();
    let d = check(
        StrictHostKeyChecking::AcceptNew,
        22,
        &k,
        KnownHostLookup::Revoked {
            file: "/k".into(),
            line: 2,
        },
    );
    assert_eq!(
        d,
        HostKeyDecision::Refuse {
            message: "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
                      @       WARNING: REVOKED HOST KEY DETECTED!               @\n\
                      @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
                      The ED25519 host key for server.example is marked as revoked.\n\
                      This could mean that a stolen key is being used to\n\
                      impersonate this host.\n\
                      ED25519 host key for server.example was revoked and you have requested strict checking.\n\
                      Host key verification failed."
                .into()
        }
    );
}

#[test]
fn revoked_key_with_checking_off_continues_untrusted() {
    let k = key();
    let d = check(
        StrictHostKeyChecking::No,
        22,
        &k,
        KnownHostLookup::Revoked {
            file: "/k".into(),
            line: 2,
        },
    );
    assert!(
        matches!(d, HostKeyDecision::AcceptUntrusted { warning } if warning.contains("REVOKED HOST KEY DETECTED"))
    );
}

#[test]
fn unknown_key_with_strict_checking_is_refused() {
    let k = key();
    assert_eq!(
        check(
            StrictHostKeyChecking::Yes,
            2222,
            &k,
            KnownHostLookup::Unknown
        ),
        HostKeyDecision::Refuse {
            message: "No ED25519 host key is known for [server.example]:2222 and you have \
                      requested strict checking.\nHost key verification failed."
                .into()
        }
    );
}

#[test]
fn unknown_key_with_accept_new_is_appended_with_warning() {
    let k = key();
    for policy in [StrictHostKeyChecking::AcceptNew, StrictHostKeyChecking::No] {
        assert_eq!(
            check(policy, 2222, &k, KnownHostLookup::Unknown),
            HostKeyDecision::AcceptAndAppend {
                file: "/home/u/.ssh/known_hosts".into(),
                line: format!("[server.example]:2222 {}\n", k.to_openssh_line("")),
                message: "Warning: Permanently added '[server.example]:2222' (ED25519) to \
                          the list of known hosts."
                    .into()
            }
        );
    }
}

#[test]
fn cert_authority_only_counts_as_unknown() {
    let k = key();
    assert!(matches!(
        check(
            StrictHostKeyChecking::Yes,
            22,
            &k,
            KnownHostLookup::CertAuthorityUnsupported
        ),
        HostKeyDecision::Refuse { message } if message.starts_with("No ED25519 host key is known for server.example ")
    ));
}

#[test]
fn lookup_in_a_real_file_names_the_offending_line_and_type() {
    let k = key();
    let other = KeyPair::from_ed25519_seed(&[8; 32]).public_key().clone();
    let text = format!(
        "# comment\nother.example {}\nserver.example {}\n",
        k.to_openssh_line(""),
        other.to_openssh_line("")
    );
    let hosts = KnownHosts::parse(&text);
    let status = hosts.check_key("server.example", 22, &k);
    let lookup = KnownHostLookup::from_status(status, &hosts, "/kh");
    assert_eq!(
        lookup,
        KnownHostLookup::Changed {
            file: "/kh".into(),
            line: 3,
            key_type: "ED25519".into()
        }
    );
    let revoked = KnownHosts::parse(&format!("@revoked * {}\n", k.to_openssh_line("")));
    let status = revoked.check_key("server.example", 22, &k);
    assert_eq!(
        KnownHostLookup::from_status(status, &revoked, "/kh"),
        KnownHostLookup::Revoked {
            file: "/kh".into(),
            line: 1
        }
    );
}

#[test]
fn appended_line_is_found_again_by_the_parser() {
    let k = key();
    for salt in [None, Some([3u8; 20])] {
        let d = decide(&HostKeyCheck {
            policy: StrictHostKeyChecking::AcceptNew,
            host: "Server.Example",
            port: 2222,
            key: &k,
            user_known_hosts: "/kh",
            lookup: KnownHostLookup::Unknown,
            known_without_port: false,
            hash_salt: salt,
        });
        let HostKeyDecision::AcceptAndAppend { line, .. } = d else {
            panic!("not appended");
        };
        let hosts = KnownHosts::parse(&line);
        assert!(matches!(
            hosts.check_key("server.example", 2222, &k),
            HostKeyStatus::Known { .. }
        ));
    }
}

#[test]
fn key_known_without_port_is_accepted_for_another_port() {
    let k = key();
    let hosts = KnownHosts::parse(&format!("server.example {}\n", k.to_openssh_line("")));
    let status = hosts.check_key("server.example", 2222, &k);
    let known_without_port = matches!(
        hosts.check_key("server.example", 22, &k),
        HostKeyStatus::Known { .. }
    );
    let check = HostKeyCheck {
        policy: StrictHostKeyChecking::Yes,
        host: "server.example",
        port: 2222,
        key: &k,
        user_known_hosts: "/kh",
        lookup: KnownHostLookup::from_status(status, &hosts, "/kh"),
        known_without_port,
        hash_salt: None,
    };
    assert_eq!(decide(&check), HostKeyDecision::Accept);
    let without = HostKeyCheck {
        known_without_port: false,
        ..check
    };
    assert!(matches!(decide(&without), HostKeyDecision::Refuse { .. }));
}

#[test]
fn host_name_that_would_break_the_file_is_refused() {
    let k = key();
    let d = decide(&HostKeyCheck {
        policy: StrictHostKeyChecking::AcceptNew,
        host: "evil host\n*",
        port: 22,
        key: &k,
        user_known_hosts: "/kh",
        lookup: KnownHostLookup::Unknown,
        known_without_port: false,
        hash_salt: None,
    });
    assert!(
        matches!(d, HostKeyDecision::Refuse { message } if message.ends_with(VERIFICATION_FAILED))
    );
}
