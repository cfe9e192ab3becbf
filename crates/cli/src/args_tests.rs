//! Tests of the argument spellings ssh and sshd users type.

use super::*;

fn client(args: &[&str]) -> ClientArgs {
    let mut argv = vec!["burrow"];
    argv.extend_from_slice(args);
    ClientArgs::parse_from_argv(argv).unwrap()
}

fn server(args: &[&str]) -> ServerArgs {
    let mut argv = vec!["burrowd"];
    argv.extend_from_slice(args);
    ServerArgs::parse_from_argv(argv).unwrap()
}

#[test]
fn bundled_flags_end_with_an_option_taking_the_next_word() {
    let a = client(&["-fNL", "8080:h:80", "host"]);
    assert!(a.background && a.no_command);
    assert_eq!(a.local, ["8080:h:80"]);
    assert_eq!(a.destination.as_deref(), Some("host"));
}

#[test]
fn bundled_flags_with_an_attached_value() {
    let a = client(&["-fNL8080:h:80", "host"]);
    assert!(a.background && a.no_command);
    assert_eq!(a.local, ["8080:h:80"]);
}

#[test]
fn attached_values_and_o_key_equals_value() {
    let a = client(&[
        "-L8080:h:80",
        "-R0:localhost:22",
        "-D1080",
        "-oPort=2222",
        "-o",
        "User=al",
        "-p22",
        "h",
    ]);
    assert_eq!(a.local, ["8080:h:80"]);
    assert_eq!(a.remote, ["0:localhost:22"]);
    assert_eq!(a.dynamic, ["1080"]);
    assert_eq!(a.options, ["Port=2222", "User=al"]);
    assert_eq!(a.port, Some(22));
}

#[test]
fn repeated_forwards_and_identities_accumulate() {
    let a = client(&[
        "-L",
        "1:a:1",
        "-L",
        "2:b:2",
        "-i",
        "k1",
        "-ik2",
        "-D",
        "127.0.0.1:1080",
        "h",
    ]);
    assert_eq!(a.local, ["1:a:1", "2:b:2"]);
    assert_eq!(a.identity_files, ["k1", "k2"]);
    assert_eq!(a.dynamic, ["127.0.0.1:1080"]);
}

#[test]
fn verbosity_counts_bundled_and_separate() {
    assert_eq!(client(&["-vvv", "h"]).verbose, 3);
    assert_eq!(client(&["-v", "-v", "h"]).verbose, 2);
    assert_eq!(client(&["-Nv", "h"]).verbose, 1);
}

#[test]
fn every_single_letter_flag_is_accepted() {
    let a = client(&["-fNTnqV4", "h"]);
    assert!(
        a.background && a.no_command && a.no_tty && a.null_stdin && a.quiet && a.version && a.ipv4
    );
    assert!(client(&["-6", "h"]).ipv6);
    assert!(ClientArgs::parse_from_argv(["burrow", "-4", "-6", "h"]).is_err());
}

#[test]
fn options_after_the_destination_are_still_options() {
    let a = client(&["user@h", "-N", "-L", "1:a:1"]);
    assert!(a.no_command);
    assert_eq!(a.local, ["1:a:1"]);
    assert!(a.command.is_empty());
}

#[test]
fn the_command_takes_everything_after_its_first_word() {
    let a = client(&["-p", "2", "h", "ls", "-la", "/tmp", "-v"]);
    assert_eq!(a.command, ["ls", "-la", "/tmp", "-v"]);
    assert_eq!(a.verbose, 0);
}

#[test]
fn jump_config_stdio_and_login() {
    let a = client(&[
        "-J",
        "j1,u@j2:2222",
        "-F",
        "none",
        "-W",
        "db:5432",
        "-l",
        "bob",
        "h",
    ]);
    assert_eq!(a.jump.as_deref(), Some("j1,u@j2:2222"));
    assert_eq!(a.config_file.as_deref(), Some("none"));
    assert_eq!(a.stdio.as_deref(), Some("db:5432"));
    assert_eq!(a.login.as_deref(), Some("bob"));
}

#[test]
fn compression_is_refused_with_a_clear_message() {
    let e = client(&["-C", "h"]).validate().unwrap_err();
    assert!(
        e.to_string().contains("compression (-C) is not supported"),
        "{e}"
    );
    let e = client(&["-NC", "h"]).validate().unwrap_err();
    assert!(e.to_string().contains("-C"), "{e}");
}

#[test]
fn a_destination_is_needed_except_for_demo_and_version() {
    assert!(client(&[]).validate().is_err());
    assert!(client(&["--demo"]).validate().is_ok());
    assert!(client(&["-V"]).validate().is_ok());
    assert!(client(&["@h"]).validate().is_err());
    assert!(client(&["-W", "a:1", "h", "cmd"]).validate().is_err());
}

#[test]
fn bad_port_and_unknown_flags_are_usage_errors() {
    assert!(ClientArgs::parse_from_argv(["burrow", "-p", "0", "h"]).is_err());
    assert!(ClientArgs::parse_from_argv(["burrow", "-p", "x", "h"]).is_err());
    assert!(ClientArgs::parse_from_argv(["burrow", "-Z", "h"]).is_err());
}

#[test]
fn help_says_there_is_no_interactive_shell() {
    let e = ClientArgs::parse_from_argv(["burrow", "--help"]).unwrap_err();
    assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
    assert!(e.to_string().contains("no interactive shell"));
}

#[test]
fn destination_splits_at_the_last_at_sign() {
    let d = Destination::parse("a@b@host").unwrap();
    assert_eq!((d.user.as_deref(), d.host.as_str()), (Some("a@b"), "host"));
    let d = Destination::parse("host").unwrap();
    assert_eq!((d.user, d.host.as_str()), (None, "host"));
    assert!(Destination::parse("u@").is_err());
    assert!(Destination::parse("").is_err());
}

#[test]
fn command_line_wins_over_o_and_the_file() {
    let a = client(&[
        "-p",
        "2200",
        "-o",
        "Port=2300",
        "-oUser=ouser",
        "-i",
        "/k",
        "alice@h",
        "-L",
        "1:a:1",
    ]);
    let mut opts = SshOptions::default();
    let mut w = Vec::new();
    a.apply_to(&mut opts, &mut w).unwrap();
    assert_eq!(opts.port, Some(2200));
    assert_eq!(opts.user.as_deref(), Some("alice"));
    assert_eq!(opts.identity_files, ["/k"]);
    assert_eq!(opts.local_forwards, ["1:a:1"]);
    let a = client(&["-l", "bob", "alice@h"]);
    let mut opts = SshOptions::default();
    a.apply_to(&mut opts, &mut w).unwrap();
    assert_eq!(opts.user.as_deref(), Some("bob"));
}

#[test]
fn stdio_forward_makes_forward_failures_fatal() {
    let a = client(&["-W", "db:1", "h"]);
    let mut opts = SshOptions::default();
    a.apply_to(&mut opts, &mut Vec::new()).unwrap();
    assert_eq!(opts.exit_on_forward_failure, Some(true));
}

#[test]
fn burrowd_flags_in_sshd_spelling() {
    let s = server(&[
        "-f",
        "/etc/burrowd.conf",
        "-p",
        "2222",
        "-p2223",
        "-h",
        "/k1",
        "-h/k2",
        "-oLogLevel=DEBUG",
        "-De",
        "-ddd",
        "-t",
    ]);
    assert_eq!(s.config_file.as_deref(), Some("/etc/burrowd.conf"));
    assert_eq!(s.ports, [2222, 2223]);
    assert_eq!(s.host_keys, ["/k1", "/k2"]);
    assert_eq!(s.options, ["LogLevel=DEBUG"]);
    assert!(s.no_detach && s.log_stderr && s.test);
    assert_eq!(s.debug, 3);
    let s = server(&["--generate-host-key", "/tmp/hk"]);
    assert_eq!(s.generate_host_key.as_deref(), Some("/tmp/hk"));
    let e = ServerArgs::parse_from_argv(["burrowd", "--help"]).unwrap_err();
    assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
}

#[test]
fn ssh_everyday_flags_reach_the_options() {
    let a = client(&[
        "-g",
        "-b",
        "10.0.0.1",
        "-B",
        "eth1",
        "-c",
        "aes128-ctr",
        "-m",
        "hmac-sha2-256",
        "-E",
        "/tmp/log",
        "-4",
        "-G",
        "h",
    ]);
    assert!(a.print_config);
    assert_eq!(a.log_file.as_deref(), Some("/tmp/log"));
    let mut o = SshOptions::default();
    a.apply_to(&mut o, &mut Vec::new()).unwrap();
    assert_eq!(o.gateway_ports, Some(true));
    assert_eq!(o.bind_address.as_deref(), Some("10.0.0.1"));
    assert_eq!(o.bind_interface.as_deref(), Some("eth1"));
    assert_eq!(o.ciphers.as_deref(), Some("aes128-ctr"));
    assert_eq!(o.macs.as_deref(), Some("hmac-sha2-256"));
    assert_eq!(o.address_family, Some(AddressFamily::Inet));
    let q = client(&["-Q", "cipher"]);
    assert!(q.validate().is_ok(), "-Q needs no destination");
}

#[test]
fn events_and_drain_grace_parse_and_events_to_stdout_refuses_w() {
    let a = client(&[
        "--events",
        "/tmp/ev.jsonl",
        "--drain-grace",
        "3",
        "-N",
        "host",
    ]);
    assert_eq!(a.events.as_deref(), Some("/tmp/ev.jsonl"));
    assert_eq!(a.drain_grace, 3);
    assert!(a.validate().is_ok());
    assert_eq!(client(&["host"]).drain_grace, 10);
    let w = client(&["--events", "-", "-W", "h:1", "host"]);
    assert!(w.validate().unwrap_err().to_string().contains("-W"));
}
