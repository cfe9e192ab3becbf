//! Tests of the ssh_config parser: every keyword, Host matching, Include, precedence.

use super::*;

fn file(name: &str, text: &str) -> SourceFile {
    SourceFile {
        name: name.to_owned(),
        text: text.to_owned(),
    }
}

fn no_include(_: &str) -> Vec<SourceFile> {
    Vec::new()
}

fn read(host: &str, text: &str) -> (SshOptions, Vec<Warning>) {
    let mut opts = SshOptions::default();
    let mut warnings = Vec::new();
    read_config(
        &mut opts,
        host,
        &file("cfg", text),
        &mut no_include,
        &mut warnings,
    )
    .unwrap();
    (opts, warnings)
}

fn read_err(text: &str) -> CliError {
    let mut opts = SshOptions::default();
    read_config(
        &mut opts,
        "h",
        &file("cfg", text),
        &mut no_include,
        &mut Vec::new(),
    )
    .unwrap_err()
}

#[test]
fn every_keyword_is_read() {
    let (o, w) = read(
        "h",
        "Port 2222\n\
         User alice\n\
         HostName %h.example.com\n\
         IdentityFile ~/.ssh/a\n\
         IdentityFile ~/.ssh/b\n\
         IdentitiesOnly yes\n\
         UserKnownHostsFile /k1 /k2\n\
         StrictHostKeyChecking accept-new\n\
         ExitOnForwardFailure yes\n\
         ServerAliveInterval 1m\n\
         ServerAliveCountMax 5\n\
         Ciphers aes256-gcm@openssh.com\n\
         MACs hmac-sha2-256\n\
         KexAlgorithms curve25519-sha256\n\
         ConnectTimeout 10\n\
         BatchMode yes\n\
         RekeyLimit 64K 10m\n\
         GatewayPorts yes\n\
         LocalForward 8080 localhost:80\n\
         RemoteForward 9090 localhost:90\n\
         RemoteForward 1080\n\
         DynamicForward 1081\n\
         ProxyJump j1,j2\n\
         LogLevel ERROR\n",
    );
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(o.port, Some(2222));
    assert_eq!(o.user.as_deref(), Some("alice"));
    assert_eq!(o.host_name.as_deref(), Some("%h.example.com"));
    assert_eq!(o.identity_files, ["~/.ssh/a", "~/.ssh/b"]);
    assert_eq!(o.identities_only, Some(true));
    assert_eq!(
        o.user_known_hosts_files,
        Some(vec!["/k1".into(), "/k2".into()])
    );
    assert_eq!(
        o.strict_host_key_checking,
        Some(StrictHostKeyChecking::AcceptNew)
    );
    assert_eq!(o.exit_on_forward_failure, Some(true));
    assert_eq!(o.server_alive_interval, Some(60));
    assert_eq!(o.server_alive_count_max, Some(5));
    assert_eq!(o.ciphers.as_deref(), Some("aes256-gcm@openssh.com"));
    assert_eq!(o.macs.as_deref(), Some("hmac-sha2-256"));
    assert_eq!(o.kex_algorithms.as_deref(), Some("curve25519-sha256"));
    assert_eq!(o.connect_timeout, Some(10));
    assert_eq!(o.batch_mode, Some(true));
    let rekey = o.rekey_limit.unwrap();
    assert_eq!(rekey.bytes, Some(65_536));
    assert_eq!(rekey.time, Some(core::time::Duration::from_secs(600)));
    assert_eq!(o.gateway_ports, Some(true));
    assert_eq!(o.local_forwards, ["8080:localhost:80"]);
    assert_eq!(o.remote_forwards, ["9090:localhost:90", "1080"]);
    assert_eq!(o.dynamic_forwards, ["1081"]);
    assert_eq!(o.proxy_jump.as_deref(), Some("j1,j2"));
    assert_eq!(o.log_level, Some(LogLevel::Error));
}

#[test]
fn keywords_are_case_insensitive_and_accept_equals() {
    let (o, _) = read("h", "pOrT=22\nUSER = bob\nconnecttimeout none\n");
    assert_eq!(o.port, Some(22));
    assert_eq!(o.user.as_deref(), Some("bob"));
    assert_eq!(o.connect_timeout, Some(0));
}

#[test]
fn first_value_wins_except_for_repeatable_keywords() {
    let (o, _) = read(
        "h",
        "Port 1\nPort 2\nUser a\nUser b\nIdentityFile x\nIdentityFile y\n\
         LocalForward 1 h:1\nLocalForward 2 h:2\nDynamicForward 3\nDynamicForward 4\n",
    );
    assert_eq!(o.port, Some(1));
    assert_eq!(o.user.as_deref(), Some("a"));
    assert_eq!(o.identity_files, ["x", "y"]);
    assert_eq!(o.local_forwards, ["1:h:1", "2:h:2"]);
    assert_eq!(o.dynamic_forwards, ["3", "4"]);
}

#[test]
fn quoted_values_and_comments() {
    let (o, _) = read(
        "h",
        "# a comment\n  \n IdentityFile \"/path with space/id\" # trailing\nUser 'carol'\n",
    );
    assert_eq!(o.identity_files, ["/path with space/id"]);
    assert_eq!(o.user.as_deref(), Some("carol"));
}

const HOSTS: &str = "Host web*.example.com !web3.example.com\n  User webuser\n\
    Host db? dbmain\n  User dbuser\n\
    Host *\n  User fallback\n  Port 2200\n";

#[test]
fn host_wildcards_negation_and_several_patterns() {
    assert_eq!(
        read("web1.example.com", HOSTS).0.user.as_deref(),
        Some("webuser")
    );
    assert_eq!(
        read("WEB1.example.com", HOSTS).0.user.as_deref(),
        Some("webuser")
    );
    assert_eq!(
        read("web3.example.com", HOSTS).0.user.as_deref(),
        Some("fallback")
    );
    assert_eq!(read("db1", HOSTS).0.user.as_deref(), Some("dbuser"));
    assert_eq!(read("db12", HOSTS).0.user.as_deref(), Some("fallback"));
    assert_eq!(read("dbmain", HOSTS).0.user.as_deref(), Some("dbuser"));
    assert_eq!(read("dbmain", HOSTS).0.port, Some(2200));
}

#[test]
fn only_negated_patterns_never_match() {
    let (o, _) = read("a", "Host !b\nUser x\n");
    assert_eq!(o.user, None);
}

#[test]
fn lines_before_any_host_apply_to_every_host() {
    let (o, _) = read("anything", "Port 7\nHost other\nPort 8\n");
    assert_eq!(o.port, Some(7));
}

#[test]
fn inactive_blocks_are_still_validated() {
    let e = read_err("Host other\nPort nope\n");
    assert_eq!(e.to_string(), "cfg line 2: bad Port value \"nope\"");
}

#[test]
fn algorithms_burrow_lacks_are_not_fatal_anywhere() {
    // A crypto-policy include and legacy lines, in a block that matches and one that does
    // not: read as written (filtered with a notice when the settings are resolved).
    let (o, w) = read(
        "h",
        "Host other\n\
         KexAlgorithms +diffie-hellman-group1-sha1\n\
         Host *\n\
         Ciphers aes256-gcm@openssh.com,3des-cbc\n\
         MACs hmac-md5\n\
         KexAlgorithms -diffie-hellman-group14-sha1\n",
    );
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        o.ciphers.as_deref(),
        Some("aes256-gcm@openssh.com,3des-cbc")
    );
    assert_eq!(o.macs.as_deref(), Some("hmac-md5"));
    assert_eq!(
        o.kex_algorithms.as_deref(),
        Some("-diffie-hellman-group14-sha1")
    );
}

#[test]
fn ignore_unknown_silences_the_keywords_it_names() {
    let (_, w) = read(
        "h",
        "IgnoreUnknown UseKeychain,Add*\n\
         UseKeychain yes\n\
         AddSomething x\n\
         OtherUnknown 1\n",
    );
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].keyword, "OtherUnknown");
}

#[test]
fn bad_values_name_file_line_and_keyword() {
    assert!(matches!(
        read_err("Port 0"),
        CliError::BadValue { line: 1, .. }
    ));
    assert!(matches!(
        read_err("BatchMode maybe"),
        CliError::BadValue { .. }
    ));
    assert!(matches!(
        read_err("StrictHostKeyChecking sometimes"),
        CliError::BadValue { .. }
    ));
    assert!(matches!(
        read_err("RekeyLimit lots"),
        CliError::BadValue { .. }
    ));
    assert!(matches!(
        read_err("LogLevel LOUD"),
        CliError::BadValue { .. }
    ));
    assert!(matches!(
        read_err("ServerAliveInterval 5x"),
        CliError::BadValue { .. }
    ));
    assert!(matches!(
        read_err("Port 1 2"),
        CliError::TrailingArguments { .. }
    ));
    assert!(matches!(
        read_err("\nUser"),
        CliError::MissingArgument { line: 2, .. }
    ));
    assert!(matches!(
        read_err("LocalForward 8080"),
        CliError::MissingArgument { .. }
    ));
    assert!(matches!(
        read_err("User \"x"),
        CliError::InvalidQuotes { .. }
    ));
    assert!(matches!(read_err("Host"), CliError::MissingArgument { .. }));
}

#[test]
fn strict_host_key_checking_values() {
    for (v, want) in [
        ("yes", StrictHostKeyChecking::Yes),
        ("no", StrictHostKeyChecking::No),
        ("off", StrictHostKeyChecking::No),
        ("accept-new", StrictHostKeyChecking::AcceptNew),
        ("ask", StrictHostKeyChecking::Ask),
    ] {
        let (o, _) = read("h", &format!("StrictHostKeyChecking {v}"));
        assert_eq!(o.strict_host_key_checking, Some(want), "{v}");
    }
}

#[test]
fn unknown_and_unsupported_keywords_warn_with_file_and_line() {
    let (o, w) = read("h", "Frobnicate yes\nForwardAgent yes\nPort 5\n");
    assert_eq!(o.port, Some(5));
    assert_eq!(w.len(), 2);
    assert_eq!(
        w[0].to_string(),
        "cfg: line 1: Bad configuration option: Frobnicate"
    );
    assert_eq!(w[1].kind, WarningKind::Unsupported);
    assert_eq!(w[1].keyword, "ForwardAgent");
}

#[test]
fn match_blocks_apply_when_their_criteria_match() {
    let (o, w) = read(
        "h",
        "Match host h\nUser m\nMatch host other\nPort 9\nHost h\nPort 3\n",
    );
    assert_eq!(o.user.as_deref(), Some("m"));
    assert_eq!(o.port, Some(3));
    assert!(w.is_empty(), "{w:?}");
    let (o, w) = read("h", "Match command x\nUser n\n");
    assert_eq!(o.user, None);
    assert_eq!(w[0].kind, WarningKind::MatchUnsupported);
    assert!(matches!(
        read_err("Match bogus x\n"),
        CliError::BadValue { .. }
    ));
}

#[test]
fn match_final_needs_the_second_pass() {
    let text = "Host h\n  HostName h.example.com\nMatch final host *.example.com\n  User fin\n\
                Host h.example.com\n  Port 99\n";
    let mut opts = SshOptions::default();
    let mut ctx = MatchContext {
        original_host: "h".to_owned(),
        ..MatchContext::default()
    };
    let f = file("cfg", text);
    let wants = read_config_pass(
        &mut opts,
        &ctx,
        &f,
        &mut no_include,
        &mut |_| false,
        &mut Vec::new(),
    )
    .unwrap();
    assert!(wants);
    assert_eq!(opts.user, None);
    ctx.final_pass = true;
    ctx.final_host = "h.example.com".to_owned();
    read_config_pass(
        &mut opts,
        &ctx,
        &f,
        &mut no_include,
        &mut |_| false,
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(opts.user.as_deref(), Some("fin"));
    // In the final pass Host lines see the resolved name, as in ssh.
    assert_eq!(opts.port, Some(99));
}

#[test]
fn include_reads_every_file_of_the_glob_in_order() {
    let mut seen = Vec::new();
    let mut include = |pattern: &str| {
        seen.push(pattern.to_owned());
        vec![
            file("inc/a", "User from-a\n"),
            file("inc/b", "Port 99\nUser from-b\n"),
        ]
    };
    let mut opts = SshOptions::default();
    let text = file("main", "Include config.d/*\nUser main\n");
    read_config(&mut opts, "h", &text, &mut include, &mut Vec::new()).unwrap();
    assert_eq!(seen, ["config.d/*"]);
    assert_eq!(opts.user.as_deref(), Some("from-a"));
    assert_eq!(opts.port, Some(99));
}

#[test]
fn include_inside_a_non_matching_host_block_applies_nothing() {
    let mut include = |_: &str| vec![file("inc", "User inc\n")];
    let mut opts = SshOptions::default();
    let text = file("main", "Host other\nInclude x\nHost *\nPort 1\n");
    read_config(&mut opts, "h", &text, &mut include, &mut Vec::new()).unwrap();
    assert_eq!(opts.user, None);
    assert_eq!(opts.port, Some(1));
}

#[test]
fn host_lines_in_an_included_file_do_not_leak_out() {
    let mut include = |_: &str| vec![file("inc", "Host nomatch\nUser inc\n")];
    let mut opts = SshOptions::default();
    let text = file("main", "Include x\nUser main\n");
    read_config(&mut opts, "h", &text, &mut include, &mut Vec::new()).unwrap();
    assert_eq!(opts.user.as_deref(), Some("main"));
}

#[test]
fn include_of_itself_stops_at_the_depth_limit() {
    let mut include = |_: &str| vec![file("loop", "Include loop\n")];
    let mut opts = SshOptions::default();
    let e = read_config(
        &mut opts,
        "h",
        &file("loop", "Include loop\n"),
        &mut include,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        matches!(e, CliError::IncludeTooDeep { limit: 16, .. }),
        "{e}"
    );
}

#[test]
fn many_includes_of_a_big_file_stop_at_the_line_budget() {
    let big = "# filler\n".repeat(1000);
    let mut include = |_: &str| vec![file("big", &big)];
    let mut opts = SshOptions::default();
    let main = "Include big\n".repeat(MAX_TOTAL_LINES / 1000 + 1);
    let e = read_config(
        &mut opts,
        "h",
        &file("main", &main),
        &mut include,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("lines in all"), "{e}");
}

#[test]
fn command_line_options_win_over_the_file() {
    let mut opts = SshOptions::default();
    let mut warnings = Vec::new();
    apply_option(&mut opts, "Port=2022", &mut warnings).unwrap();
    apply_option(&mut opts, "User carol", &mut warnings).unwrap();
    apply_option(&mut opts, "IdentityFile=/cli", &mut warnings).unwrap();
    apply_option(&mut opts, "NoSuchThing=1", &mut warnings).unwrap();
    read_config(
        &mut opts,
        "h",
        &file("cfg", "Port 22\nUser dave\nIdentityFile /file\n"),
        &mut no_include,
        &mut warnings,
    )
    .unwrap();
    assert_eq!(opts.port, Some(2022));
    assert_eq!(opts.user.as_deref(), Some("carol"));
    assert_eq!(opts.identity_files, ["/cli", "/file"]);
    assert_eq!(
        warnings[0].to_string(),
        "command-line: line 0: Bad configuration option: NoSuchThing"
    );
}

#[test]
fn command_line_refuses_host_and_include_and_bad_values() {
    let mut opts = SshOptions::default();
    let mut w = Vec::new();
    assert!(matches!(
        apply_option(&mut opts, "Host=x", &mut w),
        Err(CliError::NotAllowedHere { .. })
    ));
    assert!(matches!(
        apply_option(&mut opts, "Include=x", &mut w),
        Err(CliError::NotAllowedHere { .. })
    ));
    assert!(matches!(
        apply_option(&mut opts, "Port=x", &mut w),
        Err(CliError::BadValue { line: 0, .. })
    ));
    assert!(apply_option(&mut opts, "", &mut w).is_err());
    assert!(apply_option(&mut opts, "Port", &mut w).is_err());
}

#[test]
fn repeatable_options_are_bounded() {
    let text: String = (0..=MAX_REPEATED)
        .map(|i| format!("IdentityFile x{i}\n"))
        .collect();
    assert!(matches!(read_err(&text), CliError::BadValue { .. }));
}

#[test]
fn warnings_are_capped() {
    let text = "Frobnicate 1\n".repeat(MAX_WARNINGS + 10);
    let (_, w) = read("h", &text);
    assert_eq!(w.len(), MAX_WARNINGS);
}
