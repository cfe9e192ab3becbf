//! End to end as root with OpenSSH's `ssh`: the process that parses the SSH protocol runs
//! in the sandbox (the helper account, no groups, an empty root directory, no new
//! privileges, tight limits) before and after the login, while its monitor is root before
//! the login and the user after it; forwards work through the monitor.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod privsep;

use std::io::Read;
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use privsep::*;

/// The `burrowd --sandbox` child of the monitor `pid`.
fn the_sandbox_process(monitor: u32) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let sandboxed = cmdline.split(|&b| b == 0).any(|a| a == b"--sandbox");
            if sandboxed && status_field(pid, "PPid").as_deref() == Some(&monitor.to_string()) {
                return pid;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no sandbox process under {monitor}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// uid and gid of the sandbox's helper account (`burrowd`, else `nobody`).
fn helper_ids() -> (String, String) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let entry = |name: &str| {
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name)).then(|| (f[2].to_owned(), f[3].to_owned()))
        })
    };
    entry("burrowd").or_else(|| entry("nobody")).unwrap()
}

fn ids(v: &str) -> Vec<String> {
    v.split_whitespace().map(str::to_owned).collect()
}

/// A row of /proc/`pid`/limits: (soft, hard).
fn limit(pid: u32, name: &str) -> (String, String) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = text.lines().find(|l| l.starts_with(name)).unwrap();
    let f: Vec<&str> = line[name.len()..].split_whitespace().collect();
    (f[0].to_owned(), f[1].to_owned())
}

/// Every thread of `pid` is the helper account with no groups, no privileges and no way
/// to get any; its root is the empty directory and its limits are the sandbox's.
fn assert_sandboxed(pid: u32) {
    let (uid, gid) = helper_ids();
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let text = std::fs::read_to_string(t.path().join("status")).unwrap();
        let f = |k: &str| task_field(&text, k).unwrap();
        assert_eq!(ids(&f("Uid")), [uid.as_str(); 4], "{text}");
        assert_eq!(ids(&f("Gid")), [gid.as_str(); 4], "{text}");
        assert_eq!(f("Groups"), "", "no supplementary groups");
        assert_eq!(f("NoNewPrivs"), "1");
        assert_eq!(f("CapEff"), "0000000000000000");
        assert_eq!(f("CapPrm"), "0000000000000000");
    }
    let root = std::fs::read_link(format!("/proc/{pid}/root")).unwrap();
    assert_eq!(root, Path::new("/run/burrowd/empty"));
    // Nothing to read in there: no host key, no passwd, no authorized_keys.
    let inside: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/root"))
        .unwrap()
        .collect();
    assert!(inside.is_empty(), "the sandbox root holds {inside:?}");
    assert_eq!(limit(pid, "Max processes"), ("0".into(), "0".into()));
    assert_eq!(limit(pid, "Max core file size"), ("0".into(), "0".into()));
    let (soft, hard) = limit(pid, "Max open files");
    assert_eq!(soft, hard, "the open-file limit cannot be raised");
    // RLIMIT_FSIZE 0, unless stderr is a log file (which it would kill with SIGXFSZ).
    let stderr_is_file = std::fs::metadata(format!("/proc/{pid}/fd/2")).is_ok_and(|m| m.is_file());
    let fsize = limit(pid, "Max file size");
    if stderr_is_file {
        assert_eq!(fsize.0, "unlimited");
    } else {
        assert_eq!(fsize, ("0".into(), "0".into()));
    }
}

#[test]
fn the_protocol_process_is_sandboxed_before_and_after_login_and_forwards_through_the_monitor() {
    if !can_run() {
        return;
    }
    let a = User::new("sb", false);
    let d = start_daemon(&[], None);
    let dir = TempDir::new("ps-sandbox");
    // Before authentication: a client that has sent nothing yet.
    let mut raw = TcpStream::connect((Ipv4Addr::LOCALHOST, d.port)).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut banner = [0u8; 8];
    raw.read_exact(&mut banner).unwrap();
    assert_eq!(&banner, b"SSH-2.0-");
    let monitor = the_session_process(d.proc.child.id());
    let sandbox = the_sandbox_process(monitor);
    assert_sandboxed(sandbox);
    assert_eq!(
        ids(&status_field(monitor, "Uid").unwrap()),
        ["0"; 4],
        "the monitor is root before the login"
    );
    drop(raw);
    // After authentication, with a forward carried through the monitor's sockets.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !session_processes(d.proc.child.id()).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first connection's process stayed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let echo = echo_server();
    let lport = free_port();
    let mut args = client_opts(&dir, &a.key, d.port);
    args.extend(
        [
            "-o",
            "ExitOnForwardFailure=yes",
            "-N",
            "-L",
            &format!("{lport}:127.0.0.1:{echo}"),
        ]
        .map(String::from),
    );
    args.push(format!("{}@127.0.0.1", a.name));
    let ssh = require_binary("ssh").unwrap().display().to_string();
    let _c = spawn(&ssh, &args, &dir, "ssh.log");
    assert!(wait_port(lport, 20), "burrowd:\n{}", d.proc.log());
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(100_000),
    );
    let monitor = the_session_process(d.proc.child.id());
    let sandbox = the_sandbox_process(monitor);
    assert_sandboxed(sandbox);
    let uid = a.uid.to_string();
    assert_eq!(
        ids(&status_field(monitor, "Uid").unwrap()),
        [uid.as_str(); 4],
        "the monitor is the user after the login"
    );
}

#[test]
fn rekeys_after_the_login_are_signed_by_the_monitor() {
    if !can_run() {
        return;
    }
    let a = User::new("rk", false);
    // The server starts key exchanges as data flows: each one's hash is signed by the
    // monitor, which is the user by then and still holds the host key.
    let d = start_daemon(&["RekeyLimit 32K"], None);
    let dir = TempDir::new("ps-rekey");
    let echo = echo_server();
    let lport = free_port();
    let mut args = client_opts(&dir, &a.key, d.port);
    args.extend(
        [
            "-o",
            "ExitOnForwardFailure=yes",
            "-N",
            "-L",
            &format!("{lport}:127.0.0.1:{echo}"),
        ]
        .map(String::from),
    );
    args.push(format!("{}@127.0.0.1", a.name));
    let ssh = require_binary("ssh").unwrap().display().to_string();
    let _c = spawn(&ssh, &args, &dir, "ssh.log");
    assert!(wait_port(lport, 20), "burrowd:\n{}", d.proc.log());
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(1 << 20),
    );
    let monitor = the_session_process(d.proc.child.id());
    assert_eq!(
        ids(&status_field(monitor, "Uid").unwrap()),
        [a.uid.to_string().as_str(); 4]
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = d.proc.log();
        // Counted after the monitor became the user.
        let after_drop = log.split("from now on").nth(1).unwrap_or("");
        let rekeys = after_drop
            .lines()
            .filter(|l| l.contains("key exchange done") && l.contains("initial=false"))
            .count();
        if rekeys >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{rekeys} key re-exchanges:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
