//! The built `burrow` against a hostile or broken server (`hostile_server`): what it shows
//! the user, what it refuses, and that floods and loops stay bounded.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod hostile_server;

use std::net::{Ipv4Addr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use burrow_keys::KeyPair;
use burrow_wire::msg;
use common::*;
use hostile_server::{Conn, Hostile, payload};

/// A fresh client key at `dir/id` (mode 0600) and a known_hosts file trusting `server`.
fn client_files(dir: &TempDir, server: &Hostile) -> String {
    let key = KeyPair::generate_ed25519(&mut rand_core::OsRng);
    let path = dir.join("id");
    std::fs::write(
        &path,
        burrow_keyfiles::encode_unencrypted(&key, "t", 7).unwrap(),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(dir.join("known_hosts"), server.known_hosts_line()).unwrap();
    path.display().to_string()
}

/// `-F /dev/null -i key -p port -o UserKnownHostsFile=...` plus `extra`, then `127.0.0.1`.
fn burrow_args(dir: &TempDir, key: &str, port: u16, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "-F",
        "/dev/null",
        "-i",
        key,
        "-p",
        &port.to_string(),
        "-o",
        &format!("UserKnownHostsFile={}", dir.s("known_hosts")),
        "-o",
        "IdentitiesOnly=yes",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    a.push("127.0.0.1".to_owned());
    a
}

/// Replaces the server's key in known_hosts with another one: the server's key "changed".
fn forget_real_key(dir: &TempDir, server: &Hostile) {
    let other = KeyPair::generate_ed25519(&mut rand_core::OsRng);
    std::fs::write(
        dir.join("known_hosts"),
        format!(
            "[127.0.0.1]:{} {}\n",
            server.port,
            other.public_key().to_openssh_line("")
        ),
    )
    .unwrap();
}

fn refuse_everything(c: &mut Conn) {
    if !c.accept_userauth() {
        return;
    }
    for _ in 0..8 {
        if c.next_auth_method().is_none() {
            return;
        }
        c.auth_failure("publickey,password,keyboard-interactive", false);
    }
}

fn stderr_text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn changed_key_under_strict_no_offers_only_publickey() {
    let server = Hostile::start(refuse_everything);
    let dir = TempDir::new("h-mitm");
    let key = client_files(&dir, &server);
    forget_real_key(&dir, &server);
    let lport = free_port().to_string();
    let spec = format!("{lport}:127.0.0.1:9");
    let a = burrow_args(
        &dir,
        &key,
        server.port,
        &["-o", "StrictHostKeyChecking=no", "-N", "-L", &spec],
    );
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    let notes = server.join();
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(
        err.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{err}"
    );
    for line in [
        "Password authentication is disabled to avoid man-in-the-middle attacks.",
        "Keyboard-interactive authentication is disabled to avoid man-in-the-middle attacks.",
        "Port forwarding is disabled to avoid man-in-the-middle attacks.",
    ] {
        assert!(err.lines().any(|l| l == line), "no {line:?} in:\n{err}");
    }
    assert!(notes.iter().any(|n| n == "auth publickey"), "{notes:?}");
    assert!(
        !notes
            .iter()
            .any(|n| n == "auth password" || n == "auth keyboard-interactive"),
        "{notes:?}"
    );
}

#[test]
fn changed_key_under_strict_no_sets_up_no_forward() {
    let server = Hostile::start(|c| {
        if c.accept_userauth() && c.accept_publickey() {
            let seen = c.drain();
            c.note(format!("seen {seen:?}"));
        }
    });
    let dir = TempDir::new("h-mitm-fwd");
    let key = client_files(&dir, &server);
    forget_real_key(&dir, &server);
    let lport = free_port();
    let lspec = format!("{lport}:127.0.0.1:9");
    let a = burrow_args(
        &dir,
        &key,
        server.port,
        &[
            "-o",
            "StrictHostKeyChecking=no",
            "-N",
            "-L",
            &lspec,
            "-R",
            "0:127.0.0.1:9",
        ],
    );
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    burrow.expect_log("Port forwarding is disabled", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).is_err(),
        "-L listener is up; stderr:\n{}",
        burrow.log()
    );
    // SIGTERM drains and exits 0 (ssh exits 255; README "Stopping").
    burrow.signal("TERM");
    assert_eq!(burrow.wait_exit(Duration::from_secs(10)), Some(0));
    let notes = server.join();
    let seen = notes.iter().find(|n| n.starts_with("seen")).unwrap();
    assert!(
        !seen.contains(&msg::GLOBAL_REQUEST.to_string()),
        "tcpip-forward was asked for: {notes:?}"
    );
}

#[test]
fn changed_key_under_strict_no_with_exit_on_forward_failure_exits_255() {
    let server = Hostile::start(refuse_everything);
    let dir = TempDir::new("h-mitm-eof");
    let key = client_files(&dir, &server);
    forget_real_key(&dir, &server);
    let a = burrow_args(
        &dir,
        &key,
        server.port,
        &[
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "ExitOnForwardFailure=yes",
            "-N",
            "-R",
            "0:127.0.0.1:9",
        ],
    );
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    let notes = server.join();
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(
        err.lines()
            .any(|l| l == "Error: forwarding disabled due to host key check failure"),
        "{err}"
    );
    assert!(!notes.iter().any(|n| n.starts_with("auth")), "{notes:?}");
}

#[test]
fn banner_control_characters_are_escaped() {
    let server = Hostile::start(|c| {
        if c.accept_userauth() && c.next_auth_method().is_some() {
            c.banner(b"hello\x1b[31mred\x07 cr\rhere \xc2\x9bX tab\tok\r\nline 2\n");
            c.auth_failure("publickey", false);
            c.drain();
        }
    });
    let dir = TempDir::new("h-banner");
    let key = client_files(&dir, &server);
    let a = burrow_args(&dir, &key, server.port, &["-o", "BatchMode=yes", "-N"]);
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    server.join();
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(
        err.contains("hello\\033[31mred\\007 cr\\015here \\302\\233X tab\tok\r\nline 2\n"),
        "{err:?}"
    );
    for raw in [b'\x1b', b'\x07'] {
        assert!(!out.stderr.contains(&raw), "raw {raw:#x} in {err:?}");
    }
    assert!(!out.stderr.windows(2).any(|w| w == b"\xc2\x9b"), "{err:?}");
}

#[test]
fn latin1_banner_is_shown_escaped_and_the_login_goes_on() {
    let server = Hostile::start(|c| {
        if c.accept_userauth() {
            c.banner(b"Willkommen \xe4\xf6\xfc!\n");
            if c.accept_publickey() {
                c.disconnect(11, b"bye");
                c.drain();
            }
        }
    });
    let dir = TempDir::new("h-latin1");
    let key = client_files(&dir, &server);
    let a = burrow_args(&dir, &key, server.port, &["-o", "BatchMode=yes", "-N"]);
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    let notes = server.join();
    assert!(err.contains("Willkommen \\344\\366\\374!\n"), "{err:?}");
    assert!(
        notes.iter().any(|n| n == "auth publickey"),
        "{notes:?} {err}"
    );
    assert_eq!(out.status.code(), Some(255), "{err}");
}

#[test]
fn disconnect_reason_is_escaped_and_cut() {
    let mut reason = b"bye\x1b]0;owned\x07\r\n".to_vec();
    reason.extend(std::iter::repeat_n(b'A', 30_000));
    let server = Hostile::start(move |c| {
        if c.accept_userauth() && c.next_auth_method().is_some() {
            c.disconnect(2, &reason);
        }
    });
    let dir = TempDir::new("h-disc");
    let key = client_files(&dir, &server);
    let a = burrow_args(&dir, &key, server.port, &["-o", "BatchMode=yes", "-N"]);
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    server.join();
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(
        err.contains("bye\\033]0;owned\\007\\015\\012AAA"),
        "{err:?}"
    );
    assert!(!out.stderr.contains(&b'\x1b') && !out.stderr.contains(&b'\x07'));
    assert!(err.len() < 2_000, "{} bytes of stderr", err.len());
}

#[test]
fn remote_forward_port_0_reply_without_a_port_is_a_protocol_error() {
    let server = Hostile::start(|c| {
        if !(c.accept_userauth() && c.accept_publickey()) {
            return;
        }
        while let Some(p) = c.recv() {
            if p.first() == Some(&msg::GLOBAL_REQUEST) {
                c.note("tcpip-forward");
                c.send(&[msg::REQUEST_SUCCESS]);
            }
        }
    });
    let dir = TempDir::new("h-r0");
    let key = client_files(&dir, &server);
    let a = burrow_args(
        &dir,
        &key,
        server.port,
        &["-o", "BatchMode=yes", "-N", "-R", "0:127.0.0.1:9"],
    );
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    let notes = server.join();
    assert!(notes.iter().any(|n| n == "tcpip-forward"), "{notes:?}");
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(!err.contains("Allocated port 0"), "{err}");
    assert!(err.contains("no port"), "{err}");
}

/// CHANNEL_OPEN forwarded-tcpip for `address:port`, sender channel `id`.
fn forwarded_open(id: u32, address: &str, port: u32) -> Vec<u8> {
    payload(|w| {
        w.byte(msg::CHANNEL_OPEN)
            .string(b"forwarded-tcpip")
            .uint32(id)
            .uint32(1 << 20)
            .uint32(32 << 10)
            .string(address.as_bytes())
            .uint32(port)
            .string(b"203.0.113.9")
            .uint32(40_000);
    })
}

#[test]
fn forwarded_tcpip_must_match_a_granted_forward() {
    let echo = echo_server();
    let server = Hostile::start(|c| {
        if !(c.accept_userauth() && c.accept_publickey()) {
            return;
        }
        while let Some(p) = c.recv() {
            match p.first().copied() {
                Some(msg::GLOBAL_REQUEST) => {
                    c.send(&payload(|w| {
                        w.byte(msg::REQUEST_SUCCESS).uint32(45_000);
                    }));
                    // Not asked for: another port, another address, then the granted one.
                    c.send(&forwarded_open(1, "127.0.0.1", 45_001));
                    c.send(&forwarded_open(2, "evil.example", 45_000));
                    c.send(&forwarded_open(3, "127.0.0.1", 45_000));
                }
                Some(msg::CHANNEL_OPEN_FAILURE) => {
                    let id = u32::from_be_bytes(p[1..5].try_into().unwrap());
                    c.note(format!("refused {id}"));
                }
                Some(msg::CHANNEL_OPEN_CONFIRMATION) => {
                    let id = u32::from_be_bytes(p[1..5].try_into().unwrap());
                    c.note(format!("accepted {id}"));
                    if id == 3 {
                        return;
                    }
                }
                _ => {}
            }
        }
    });
    let dir = TempDir::new("h-fwd-match");
    let key = client_files(&dir, &server);
    let spec = format!("127.0.0.1:0:127.0.0.1:{echo}");
    let a = burrow_args(
        &dir,
        &key,
        server.port,
        &["-o", "BatchMode=yes", "-N", "-R", &spec],
    );
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    let mut notes = server.join();
    burrow.signal("TERM");
    burrow.wait_exit(Duration::from_secs(10));
    notes.retain(|n| n != "auth none");
    assert_eq!(
        notes,
        ["auth publickey", "refused 1", "refused 2", "accepted 3"],
        "stderr:\n{}",
        burrow.log()
    );
}

#[test]
fn unanswered_keepalives_end_with_openssh_timeout_message() {
    let server = Hostile::start(|c| {
        if c.accept_userauth() && c.accept_publickey() {
            c.drain();
        }
    });
    let dir = TempDir::new("h-alive");
    let key = client_files(&dir, &server);
    let a = burrow_args(
        &dir,
        &key,
        server.port,
        &[
            "-o",
            "BatchMode=yes",
            "-o",
            "ServerAliveInterval=1",
            "-o",
            "ServerAliveCountMax=2",
            "-N",
        ],
    );
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(
        err.lines()
            .any(|l| l == "Timeout, server 127.0.0.1 not responding."),
        "{err}"
    );
    assert!(!err.contains("closed by remote host"), "{err}");
}

#[test]
fn banner_flood_output_stays_bounded() {
    let server = Hostile::start(|c| {
        if c.accept_userauth() && c.next_auth_method().is_some() {
            let line = [b'x'; 1023]
                .iter()
                .chain(b"\n")
                .copied()
                .collect::<Vec<u8>>();
            for _ in 0..4096 {
                c.banner(&line);
            }
            c.auth_failure("publickey", false);
            while c.next_auth_method().is_some() {
                c.auth_failure("publickey", false);
            }
        }
    });
    let dir = TempDir::new("h-flood");
    let key = client_files(&dir, &server);
    let a = burrow_args(&dir, &key, server.port, &["-o", "BatchMode=yes", "-N"]);
    // stderr goes to a file: a pipe nobody reads would block the client, not bound it.
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    let code = burrow.wait_exit(Duration::from_secs(60));
    let notes = server.join();
    let err = burrow.log();
    assert_eq!(code, Some(255));
    assert!(
        err.len() < 128 << 10,
        "{} bytes of banner printed",
        err.len()
    );
    let tail = err.get(err.len().saturating_sub(300)..).unwrap_or_default();
    assert!(err.contains("Permission denied"), "{tail} {notes:?}");
}

#[test]
fn endless_partial_success_is_given_up() {
    let server = Hostile::start(|c| {
        if !c.accept_userauth() {
            return;
        }
        for _ in 0..1000 {
            if c.next_auth_method().is_none() {
                return;
            }
            c.auth_failure("publickey", true);
        }
        c.note("client still trying");
    });
    let dir = TempDir::new("h-partial");
    let key = client_files(&dir, &server);
    let a = burrow_args(&dir, &key, server.port, &["-o", "BatchMode=yes", "-N"]);
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    let notes = server.join();
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(notes.len() <= 40, "{} requests: {notes:?}", notes.len());
}

#[test]
fn private_key_readable_by_others_is_refused() {
    let server = Hostile::start(refuse_everything);
    let dir = TempDir::new("h-perm");
    let key = client_files(&dir, &server);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let a = burrow_args(&dir, &key, server.port, &["-o", "BatchMode=yes", "-N"]);
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    let notes = server.join();
    assert_eq!(out.status.code(), Some(255), "{err}");
    let block = format!(
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
         @         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n\
         @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
         Permissions 0644 for '{key}' are too open.\n\
         It is required that your private key files are NOT accessible by others.\n\
         This private key will be ignored.\n\
         Load key \"{key}\": bad permissions\n"
    );
    assert!(err.contains(&block), "{err}");
    assert!(!notes.iter().any(|n| n == "auth publickey"), "{notes:?}");
}

#[test]
fn background_readiness_needs_no_tmpdir() {
    let server = Hostile::start(|c| {
        if c.accept_userauth() && c.accept_publickey() {
            c.drain();
        }
    });
    let dir = TempDir::new("h-bg");
    let key = client_files(&dir, &server);
    let a = burrow_args(
        &dir,
        &key,
        server.port,
        &["-o", "BatchMode=yes", "-f", "-N"],
    );
    // The parent must learn that the child is ready without any file: TMPDIR is unusable.
    let mut parent = std::process::Command::new(BURROW)
        .args(&a)
        .env("HOME", &dir.0)
        .env("TMPDIR", dir.join("no-such-dir"))
        .env_remove("SSH_AUTH_SOCK")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(st) = parent.try_wait().unwrap() {
            break Some(st);
        }
        if std::time::Instant::now() > deadline {
            parent.kill().ok();
            parent.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "parent did not report readiness"
    );
}

#[test]
fn config_notices_are_shown_once_logging_is_up() {
    let server = Hostile::start(refuse_everything);
    let dir = TempDir::new("h-notice");
    let key = client_files(&dir, &server);
    let config = dir.join("config");
    std::fs::write(
        &config,
        "Host *\n  ForwardX11 yes\n  KexAlgorithms +diffie-hellman-group1-sha1\n",
    )
    .unwrap();
    let mut a = burrow_args(
        &dir,
        &key,
        server.port,
        &["-o", "BatchMode=yes", "-v", "-N"],
    );
    a[1] = config.display().to_string();
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    server.join();
    assert!(err.contains("Unsupported option \"ForwardX11\""), "{err}");
    assert_eq!(
        err.matches("diffie-hellman-group1-sha1 is not implemented by burrow")
            .count(),
        1,
        "{err}"
    );
    assert!(err.contains("Permission denied"), "{err}");
}

#[test]
fn address_family_and_bind_address_are_enforced() {
    let dir = TempDir::new("h-family");
    let server = Hostile::start(refuse_everything);
    let key = client_files(&dir, &server);
    let six = burrow_args(
        &dir,
        &key,
        server.port,
        &["-o", "BatchMode=yes", "-6", "-N"],
    );
    let out = run(BURROW, &six, &dir);
    assert_eq!(out.status.code(), Some(255));
    assert_eq!(
        stderr_text(&out),
        "burrow: Could not resolve hostname 127.0.0.1: Address family for hostname not supported\n"
    );
    assert_eq!(server.peer(), None, "-6 connected to an IPv4 address");
    let four = burrow_args(
        &dir,
        &key,
        server.port,
        &["-o", "BatchMode=yes", "-4", "-b", "127.0.0.2", "-N"],
    );
    let out = run(BURROW, &four, &dir);
    let err = stderr_text(&out);
    assert!(err.contains("Permission denied"), "{err}");
    assert_eq!(
        server.peer().map(|p| p.ip().to_string()).as_deref(),
        Some("127.0.0.2")
    );
    server.join();
}

#[test]
fn log_file_takes_the_log_lines() {
    let server = Hostile::start(|c| {
        if c.accept_userauth() {
            c.banner(b"banner\n");
            while c.next_auth_method().is_some() {
                c.auth_failure("publickey", false);
            }
        }
    });
    let dir = TempDir::new("h-logfile");
    let key = client_files(&dir, &server);
    let log = dir.s("burrow.log");
    let a = burrow_args(
        &dir,
        &key,
        server.port,
        &["-o", "BatchMode=yes", "-v", "-E", &log, "-N"],
    );
    let out = run(BURROW, &a, &dir);
    server.join();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("DEBUG"), "{logged}");
    assert!(
        !stderr_text(&out).contains("DEBUG"),
        "{}",
        stderr_text(&out)
    );
    assert_eq!(out.status.code(), Some(255));
}

/// Runs burrow with `extra` against a server that refuses every method: true when the host
/// key was accepted (authentication was reached).
fn key_accepted(dir: &TempDir, server: Hostile, key: &str, extra: &[&str]) -> bool {
    let mut opts = vec!["-o", "BatchMode=yes", "-N"];
    opts.extend_from_slice(extra);
    let a = burrow_args(dir, key, server.port, &opts);
    let out = run(BURROW, &a, dir);
    server.join();
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(255), "{err}");
    err.contains("Permission denied")
}

#[test]
fn global_known_hosts_alias_and_hashing() {
    // The key only in a GlobalKnownHostsFile: trusted under strict checking.
    let server = Hostile::start(refuse_everything);
    let dir = TempDir::new("h-global");
    let key = client_files(&dir, &server);
    std::fs::write(dir.join("global"), server.known_hosts_line()).unwrap();
    std::fs::write(dir.join("known_hosts"), "").unwrap();
    let global = format!("GlobalKnownHostsFile={}", dir.s("global"));
    let strict = "StrictHostKeyChecking=yes";
    assert!(key_accepted(
        &dir,
        server,
        &key,
        &["-o", &global, "-o", strict]
    ));

    // HostKeyAlias: the key is looked up under the alias (and no port).
    let server = Hostile::start(refuse_everything);
    let line = format!(
        "myalias {}\n",
        server.host_key.public_key().to_openssh_line("")
    );
    std::fs::write(dir.join("known_hosts"), line).unwrap();
    let none = "GlobalKnownHostsFile=none";
    let alias = "HostKeyAlias=myalias";
    assert!(key_accepted(
        &dir,
        server,
        &key,
        &["-o", alias, "-o", strict, "-o", none]
    ));

    // HashKnownHosts: a new key is written with a hashed host name.
    let server = Hostile::start(refuse_everything);
    std::fs::write(dir.join("known_hosts"), "").unwrap();
    let new = "StrictHostKeyChecking=accept-new";
    assert!(key_accepted(
        &dir,
        server,
        &key,
        &["-o", new, "-o", "HashKnownHosts=yes"]
    ));
    let written = std::fs::read_to_string(dir.join("known_hosts")).unwrap();
    assert!(written.starts_with("|1|"), "{written}");
    assert!(!written.contains("127.0.0.1"), "{written}");
}

#[test]
fn proxy_command_carries_the_connection() {
    let Some(_) = require_binary("nc") else {
        return;
    };
    let server = Hostile::start(refuse_everything);
    let dir = TempDir::new("h-proxy");
    let key = client_files(&dir, &server);
    // The destination name is only a label: nc connects to HostName (%h) and port (%p).
    std::fs::write(
        dir.join("config"),
        "Host via-nc\n  HostName 127.0.0.1\n  ProxyCommand nc %h %p\n",
    )
    .unwrap();
    let mut a = burrow_args(&dir, &key, server.port, &["-o", "BatchMode=yes", "-N"]);
    a[1] = dir.s("config");
    *a.last_mut().unwrap() = "via-nc".to_owned();
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    let notes = server.join();
    assert!(err.contains("Permission denied"), "{err}");
    assert!(notes.iter().any(|n| n == "auth publickey"), "{notes:?}");
}

#[test]
fn failing_proxy_command_reports_its_exit_status() {
    let dir = TempDir::new("h-proxy-fail");
    let a: Vec<String> = [
        "-F",
        "/dev/null",
        "-o",
        "ProxyCommand=sh -c 'echo no route >&2; exit 3'",
        "-o",
        "BatchMode=yes",
        "-N",
        "nowhere",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(err.contains("no route"), "{err}");
    assert!(err.contains("ProxyCommand exited with status 3"), "{err}");
}

#[test]
fn revoked_host_keys_are_refused() {
    let dir = TempDir::new("h-revoked");
    for listed in [true, false] {
        let server = Hostile::start(refuse_everything);
        let key = client_files(&dir, &server);
        let revoked = dir.join("revoked");
        if listed {
            let line = server.host_key.public_key().to_openssh_line("old");
            std::fs::write(&revoked, format!("# retired\n{line}\n")).unwrap();
        } else {
            std::fs::remove_file(&revoked).unwrap();
        }
        let opt = format!("RevokedHostKeys={}", revoked.display());
        let a = burrow_args(
            &dir,
            &key,
            server.port,
            &[
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                &opt,
                "-N",
            ],
        );
        let out = run(BURROW, &a, &dir);
        let err = stderr_text(&out);
        let notes = server.join();
        assert_eq!(out.status.code(), Some(255), "{err}");
        let fp = server_fingerprint_line(&err);
        if listed {
            assert!(
                fp.ends_with(&format!("revoked by file {}", revoked.display())),
                "{err}"
            );
        } else {
            assert!(fp.contains("in revoked keys file"), "{err}");
        }
        assert!(err.contains("Host key verification failed."), "{err}");
        assert!(!notes.iter().any(|n| n.starts_with("auth")), "{notes:?}");
    }
}

/// The line of `err` naming the host key (`Host key ED25519 SHA256:...` or `Error checking...`).
fn server_fingerprint_line(err: &str) -> String {
    err.lines()
        .find(|l| l.contains("ED25519 SHA256:"))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn connection_attempts_retry_until_the_server_is_up() {
    let dir = TempDir::new("h-attempts");
    let port = free_port();
    // The key file and known_hosts are written once the server (and its key) exist.
    let key = KeyPair::generate_ed25519(&mut rand_core::OsRng);
    let key_path = dir.join("id");
    std::fs::write(
        &key_path,
        burrow_keyfiles::encode_unencrypted(&key, "t", 7).unwrap(),
    )
    .unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let a = burrow_args(
        &dir,
        &key_path.display().to_string(),
        port,
        &[
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "ConnectionAttempts=4",
            "-N",
        ],
    );
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    std::thread::sleep(Duration::from_millis(1500));
    let server = Hostile::start_on(port, refuse_everything);
    assert_eq!(burrow.wait_exit(Duration::from_secs(20)), Some(255));
    let notes = server.join();
    assert!(
        notes.iter().any(|n| n == "auth publickey"),
        "{notes:?}\n{}",
        burrow.log()
    );
    assert!(
        burrow.log().contains("Permission denied"),
        "{}",
        burrow.log()
    );
}

#[test]
fn exit_signal_name_is_escaped() {
    let server = Hostile::start(|c| {
        if !(c.accept_userauth() && c.accept_publickey()) {
            return;
        }
        let mut peer = 0u32;
        while let Some(p) = c.recv() {
            match p.first().copied() {
                Some(msg::CHANNEL_OPEN) => {
                    let mut r = burrow_wire::Reader::new(&p[1..]);
                    r.string("type").unwrap();
                    peer = r.uint32("sender").unwrap();
                    c.send(&payload(|w| {
                        w.byte(msg::CHANNEL_OPEN_CONFIRMATION)
                            .uint32(peer)
                            .uint32(0)
                            .uint32(1 << 20)
                            .uint32(32 << 10);
                    }));
                }
                Some(msg::CHANNEL_REQUEST) => {
                    c.send(&payload(|w| {
                        w.byte(msg::CHANNEL_SUCCESS).uint32(peer);
                    }));
                    c.send(&payload(|w| {
                        w.byte(msg::CHANNEL_REQUEST)
                            .uint32(peer)
                            .string(b"exit-signal")
                            .boolean(false)
                            .string(b"KILL\x1b]0;owned\x07")
                            .boolean(false)
                            .string(b"")
                            .string(b"");
                    }));
                    c.send(&payload(|w| {
                        w.byte(msg::CHANNEL_EOF).uint32(peer);
                    }));
                    c.send(&payload(|w| {
                        w.byte(msg::CHANNEL_CLOSE).uint32(peer);
                    }));
                }
                _ => {}
            }
        }
    });
    let dir = TempDir::new("h-signal");
    let key = client_files(&dir, &server);
    let mut a = burrow_args(&dir, &key, server.port, &["-o", "BatchMode=yes", "-n"]);
    a.push("true".to_owned());
    let out = run(BURROW, &a, &dir);
    let err = stderr_text(&out);
    server.join();
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(
        err.contains("killed by signal KILL\\033]0;owned\\007"),
        "{err:?}"
    );
    assert!(!out.stderr.contains(&b'\x1b'), "{err:?}");
}

/// GLOBAL_REQUEST keepalive@openssh.com with want-reply.
fn keepalive_request() -> Vec<u8> {
    payload(|w| {
        w.byte(msg::GLOBAL_REQUEST)
            .string(b"keepalive@openssh.com")
            .boolean(true);
    })
}

/// Runs `burrow -N` against `server` in BatchMode; returns its stderr and the script's notes.
fn batch_login(server: Hostile, tag: &str) -> (Option<i32>, String, Vec<String>) {
    let dir = TempDir::new(tag);
    let key = client_files(&dir, &server);
    let a = burrow_args(&dir, &key, server.port, &["-o", "BatchMode=yes", "-N"]);
    let out = run(BURROW, &a, &dir);
    (out.status.code(), stderr_text(&out), server.join())
}

#[test]
fn global_request_in_the_read_of_userauth_success_is_answered() {
    let server = Hostile::start(|c| {
        if !c.accept_userauth() {
            return;
        }
        while let Some(m) = c.next_auth_method() {
            if m == "publickey" {
                break;
            }
            c.auth_failure("publickey", false);
        }
        // The connection message arrives before the client's connection layer started.
        c.send_together(&[&[msg::USERAUTH_SUCCESS], &keepalive_request()]);
        while let Some(p) = c.recv() {
            if p.first() == Some(&msg::REQUEST_FAILURE) {
                c.note("request answered");
                break;
            }
        }
        c.disconnect(11, b"done");
    });
    let (_, err, notes) = batch_login(server, "h-route-after");
    assert!(
        notes.iter().any(|n| n == "request answered"),
        "{notes:?}\n{err}"
    );
}

#[test]
fn connection_message_before_userauth_success_is_refused() {
    let server = Hostile::start(|c| {
        if c.accept_userauth() && c.next_auth_method().is_some() {
            c.send(&keepalive_request());
            if c.drain().contains(&msg::REQUEST_FAILURE) {
                c.note("request answered");
            }
        }
    });
    let (code, err, notes) = batch_login(server, "h-route-before");
    assert_eq!(code, Some(255), "{err}");
    // A protocol error that says which message, not "disconnected by application".
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("client disconnected") && n.contains("message 80")),
        "{notes:?}\n{err}"
    );
    assert!(
        !notes.iter().any(|n| n == "request answered"),
        "answered a connection message before authentication: {notes:?}"
    );
}
