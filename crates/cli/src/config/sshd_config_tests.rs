//! Tests of the sshd_config parser: every keyword, defaults, errors, `-o` precedence.

use super::*;

fn read(text: &str) -> SshdOptions {
    let mut o = SshdOptions::default();
    read_config(&mut o, "sshd_config", text).unwrap();
    o
}

fn read_err(text: &str) -> CliError {
    let mut o = SshdOptions::default();
    read_config(&mut o, "sshd_config", text).unwrap_err()
}

#[test]
fn every_keyword_is_read() {
    let o = read(
        "ListenAddress 127.0.0.1\n\
         ListenAddress [::1]:2200\n\
         Port 2222\n\
         Port 2223\n\
         HostKey /etc/burrow/host_ed25519\n\
         AuthorizedKeysFile .ssh/authorized_keys /etc/keys/%u\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         AllowTcpForwarding local\n\
         AllowStreamLocalForwarding no\n\
         GatewayPorts clientspecified\n\
         PermitOpen localhost:80 db:5432\n\
         PermitListen 8080\n\
         DisableForwarding yes\n\
         StreamLocalBindUnlink yes\n\
         MaxAuthTries 3\n\
         MaxStartups 10:30:60\n\
         MaxSessions 20\n\
         ChannelWindowBudget 8M\n\
         LoginGraceTime 1m30s\n\
         ClientAliveInterval 15\n\
         ClientAliveCountMax 4\n\
         Ciphers aes128-gcm@openssh.com\n\
         MACs hmac-sha2-512\n\
         KexAlgorithms curve25519-sha256\n\
         RekeyLimit 1G 1h\n\
         AllowUsers alice bob\n\
         AllowUsers carol\n\
         DenyUsers mallory\n\
         PermitRootLogin no\n\
         StrictModes no\n\
         PidFile /run/burrowd.pid\n\
         LogLevel VERBOSE\n\
         Banner /etc/issue.net\n",
    );
    assert_eq!(o.listen_addresses, ["127.0.0.1", "[::1]:2200"]);
    assert_eq!(o.ports, [2222, 2223]);
    assert_eq!(o.host_keys, ["/etc/burrow/host_ed25519"]);
    assert_eq!(
        o.authorized_keys_files,
        Some(vec![".ssh/authorized_keys".into(), "/etc/keys/%u".into()])
    );
    assert_eq!(o.pubkey_authentication, Some(true));
    assert_eq!(o.password_authentication, Some(false));
    assert_eq!(o.allow_tcp_forwarding, Some(AllowForwarding::Local));
    assert_eq!(o.allow_stream_local_forwarding, Some(AllowForwarding::No));
    assert_eq!(o.gateway_ports, Some(GatewayPorts::ClientSpecified));
    let policy = o.forward_policy();
    assert_eq!(policy.allow_tcp, AllowForwarding::Local);
    assert_eq!(policy.allow_streamlocal, AllowForwarding::No);
    assert_eq!(policy.gateway_ports, GatewayPorts::ClientSpecified);
    assert!(matches!(&policy.permit_open, PermitList::Entries(e) if e.len() == 2));
    assert!(matches!(&policy.permit_listen, PermitList::Entries(e) if e.len() == 1));
    assert!(policy.disable_forwarding);
    assert!(policy.stream_local_bind_unlink);
    assert_eq!(o.max_auth_tries, Some(3));
    assert_eq!(
        o.max_startups,
        Some(MaxStartups {
            start: 10,
            rate: 30,
            full: 60
        })
    );
    assert_eq!(o.max_sessions, Some(20));
    assert_eq!(o.channel_window_budget, Some(8 << 20));
    assert_eq!(o.login_grace_time, Some(90));
    assert_eq!(o.client_alive_interval, Some(15));
    assert_eq!(o.client_alive_count_max, Some(4));
    assert_eq!(o.ciphers.as_deref(), Some("aes128-gcm@openssh.com"));
    assert_eq!(o.macs.as_deref(), Some("hmac-sha2-512"));
    assert_eq!(o.kex_algorithms.as_deref(), Some("curve25519-sha256"));
    assert_eq!(o.rekey_limit.unwrap().bytes, Some(1 << 30));
    assert_eq!(o.allow_users, ["alice", "bob", "carol"]);
    assert_eq!(o.deny_users, ["mallory"]);
    assert_eq!(o.permit_root_login, Some(PermitRootLogin::No));
    assert_eq!(o.strict_modes, Some(false));
    assert_eq!(o.pid_file.as_deref(), Some("/run/burrowd.pid"));
    assert_eq!(o.log_level, Some(LogLevel::Verbose));
    assert_eq!(o.banner.as_deref(), Some("/etc/issue.net"));
}

#[test]
fn defaults_follow_sshd_except_password_authentication() {
    let o = SshdOptions::default();
    assert!(!o.password_authentication());
    assert!(o.pubkey_authentication());
    assert_eq!(o.permit_root_login(), PermitRootLogin::ProhibitPassword);
    assert!(o.strict_modes());
    assert_eq!(o.max_auth_tries(), 6);
    assert_eq!(
        o.max_startups(),
        MaxStartups {
            start: 10,
            rate: 30,
            full: 100
        }
    );
    assert_eq!(o.login_grace_time(), 120);
    assert_eq!(o.client_alive_count_max(), 3);
    assert_eq!(o.forward_policy(), ForwardPolicy::default());
    assert_eq!(
        o.authorized_keys_paths("al", "/home/al"),
        ["/home/al/.ssh/authorized_keys"]
    );
}

#[test]
fn first_value_wins_and_command_line_options_come_first() {
    let mut o = SshdOptions::default();
    apply_option(&mut o, "LogLevel=DEBUG3").unwrap();
    apply_option(&mut o, "PermitRootLogin no").unwrap();
    read_config(
        &mut o,
        "f",
        "LogLevel INFO\nLogLevel ERROR\nPermitRootLogin yes\n",
    )
    .unwrap();
    assert_eq!(o.log_level, Some(LogLevel::Debug3));
    assert_eq!(o.permit_root_login, Some(PermitRootLogin::No));
}

#[test]
fn unknown_keyword_is_an_error_naming_file_and_line() {
    let e = read_err("Port 22\n\nFrobnicate yes\n");
    assert_eq!(
        e.to_string(),
        "sshd_config: line 3: Bad configuration option: Frobnicate"
    );
    let mut o = SshdOptions::default();
    let e = apply_option(&mut o, "Nope=1").unwrap_err();
    assert_eq!(
        e.to_string(),
        "command-line: line 0: Bad configuration option: Nope"
    );
}

#[test]
fn match_blocks_are_refused() {
    assert!(matches!(
        read_err("Match User x\n"),
        CliError::BadOption { line: 1, .. }
    ));
}

#[test]
fn harmless_sshd_keywords_are_ignored_and_reported() {
    let mut o = SshdOptions::default();
    let ignored = read_config(
        &mut o,
        "f",
        "UsePAM no\nUseDNS no\nX11Forwarding no\nPort 1\n",
    )
    .unwrap();
    assert_eq!(ignored.len(), 3);
    assert_eq!(ignored[0].keyword, "UsePAM");
    assert_eq!(ignored[2].line, 3);
    assert_eq!(o.ports, [1]);
}

#[test]
fn bad_values_are_errors() {
    for text in [
        "Port 70000",
        "PasswordAuthentication maybe",
        "AllowTcpForwarding sometimes",
        "GatewayPorts everywhere",
        "MaxAuthTries -1",
        "MaxStartups 10:200:100",
        "MaxStartups 100:30:10",
        "MaxStartups 1:2",
        "LoginGraceTime soon",
        "Ciphers rot13",
        "RekeyLimit 1",
        "PermitRootLogin sometimes",
        "LogLevel LOUD",
        "PermitOpen nocolon",
        "PermitListen x:y",
    ] {
        assert!(
            matches!(read_err(text), CliError::BadValue { .. }),
            "{text}"
        );
    }
    assert!(matches!(
        read_err("PidFile a b"),
        CliError::TrailingArguments { .. }
    ));
    assert!(matches!(
        read_err("AllowUsers"),
        CliError::MissingArgument { .. }
    ));
}

#[test]
fn max_startups_single_number_means_full_at_start() {
    let o = read("MaxStartups 20");
    assert_eq!(
        o.max_startups,
        Some(MaxStartups {
            start: 20,
            rate: 100,
            full: 20
        })
    );
}

#[test]
fn authorized_keys_tokens_and_relative_paths() {
    let o = read("AuthorizedKeysFile %h/keys .ssh/%u_keys /etc/%%/%u %x\n");
    assert_eq!(
        o.authorized_keys_paths("bob", "/home/bob"),
        [
            "/home/bob/keys",
            "/home/bob/.ssh/bob_keys",
            "/etc/%/bob",
            "/home/bob/%x"
        ]
    );
    let none = read("AuthorizedKeysFile none\n");
    assert!(none.authorized_keys_paths("bob", "/home/bob").is_empty());
}

#[test]
fn allow_and_deny_users() {
    let o = read("AllowUsers al* bob@10.0.0.1\nDenyUsers alex\n");
    assert!(o.user_allowed("alice", "192.0.2.1".parse().unwrap()));
    assert!(o.user_allowed("bob", "10.0.0.1".parse().unwrap()));
    assert!(!o.user_allowed("alex", "10.0.0.1".parse().unwrap()));
    assert!(!o.user_allowed("carol", "10.0.0.1".parse().unwrap()));
    assert!(read("DenyUsers root\n").user_allowed("anyone", "10.0.0.1".parse().unwrap()));
    assert!(!read("DenyUsers root\n").user_allowed("root", "10.0.0.1".parse().unwrap()));
}

#[test]
fn allow_and_deny_users_match_the_host_part() {
    // The host part was dropped: bob@10.0.0.1 let bob in from anywhere.
    let o = read("AllowUsers bob@10.0.0.1 alice@10.0.0.0/8 carol@192.0.2.* dave@2001:db8::/32\n");
    assert!(o.user_allowed("bob", "10.0.0.1".parse().unwrap()));
    assert!(!o.user_allowed("bob", "10.0.0.2".parse().unwrap()));
    assert!(o.user_allowed("alice", "10.200.0.9".parse().unwrap()));
    assert!(!o.user_allowed("alice", "11.0.0.1".parse().unwrap()));
    assert!(o.user_allowed("carol", "192.0.2.77".parse().unwrap()));
    assert!(!o.user_allowed("carol", "192.0.3.77".parse().unwrap()));
    assert!(o.user_allowed("dave", "2001:db8::5".parse().unwrap()));
    assert!(!o.user_allowed("dave", "2001:db9::5".parse().unwrap()));
    let d = read("DenyUsers *@10.0.0.0/8 eve@!192.0.2.1,*\n");
    assert!(!d.user_allowed("anyone", "10.1.1.1".parse().unwrap()));
    assert!(d.user_allowed("anyone", "192.0.2.1".parse().unwrap()));
    assert!(!d.user_allowed("eve", "198.51.100.1".parse().unwrap()));
    assert!(d.user_allowed("eve", "192.0.2.1".parse().unwrap()));
}

#[test]
fn repeatable_keywords_are_bounded() {
    let text = "HostKey k\n".repeat(MAX_REPEATED + 1);
    assert!(matches!(read_err(&text), CliError::BadValue { .. }));
}
