//! End to end as root, with throwaway users and OpenSSH's `ssh`: burrowd's per-connection
//! process becomes the logged-in user (checked in /proc), so the kernel refuses what that
//! user may not do (root-only sockets, ports below 1024, root-only directories, unlinking
//! root's files); one user's exhausted process leaves accept and other users alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod privsep;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use privsep::*;

fn ssh() -> String {
    require_binary("ssh").unwrap().display().to_string()
}

/// `ssh -N` as `user` with `extra` options (ExitOnForwardFailure on).
fn ssh_as(d: &Daemon, dir: &TempDir, key: &Path, user: &str, extra: &[&str]) -> Proc {
    let mut a = client_opts(dir, key, d.port);
    a.extend(["-o".into(), "ExitOnForwardFailure=yes".into(), "-N".into()]);
    a.extend(extra.iter().map(|s| s.to_string()));
    a.push(format!("{user}@127.0.0.1"));
    spawn(&ssh(), &a, dir, &format!("ssh-{user}-{}.log", free_port()))
}

/// Waits for the ssh client to exit and returns its status (None: still running).
fn exits_within(p: &mut Proc, secs: u64) -> Option<i32> {
    p.wait_exit(Duration::from_secs(secs))
}

#[test]
fn session_process_has_the_users_uid_gid_and_groups() {
    if !can_run() {
        return;
    }
    let a = User::new("id", false);
    let d = start_daemon(&[], None);
    let dir = TempDir::new("ps-id");
    let echo = echo_server();
    let lport = free_port();
    let _c = ssh_as(
        &d,
        &dir,
        &a.key,
        &a.name,
        &["-L", &format!("{lport}:127.0.0.1:{echo}")],
    );
    assert!(wait_port(lport, 20), "burrowd:\n{}", d.proc.log());
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(10_000),
    );
    let pid = the_session_process(d.proc.child.id());
    let (uid, gid) = (a.uid.to_string(), a.gid.to_string());
    // Every thread of the process, not just the main one.
    let tasks: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .collect();
    assert!(!tasks.is_empty());
    for t in tasks {
        let text = std::fs::read_to_string(t.path().join("status")).unwrap();
        let f = |k: &str| task_field(&text, k).unwrap();
        let ids = |v: String| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(ids(f("Uid")), [uid.as_str(); 4], "{text}");
        assert_eq!(ids(f("Gid")), [gid.as_str(); 4], "{text}");
        let mut groups = ids(f("Groups"));
        groups.sort();
        let mut want = vec![gid.clone(), "100".to_owned()];
        want.sort();
        assert_eq!(groups, want, "supplementary groups: own group and users");
        assert_eq!(f("NoNewPrivs"), "1");
        assert_eq!(f("CapEff"), "0000000000000000");
        assert_eq!(f("CapPrm"), "0000000000000000");
    }
}

#[test]
fn user_cannot_reach_a_root_only_unix_socket_through_l() {
    if !can_run() {
        return;
    }
    let a = User::new("sk", false);
    let d = start_daemon(&[], None);
    let dir = TempDir::new("ps-sock");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let open = |name: &str, mode: u32| {
        let path = dir.join(name);
        let l = UnixListener::bind(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        l.set_nonblocking(true).unwrap();
        (path, l)
    };
    let (secret, secret_l) = open("root.sock", 0o600);
    let (public, public_l) = open("public.sock", 0o666);
    let (lsecret, lpublic) = (free_port(), free_port());
    let _c = ssh_as(
        &d,
        &dir,
        &a.key,
        &a.name,
        &[
            "-L",
            &format!("{lsecret}:{}", secret.display()),
            "-L",
            &format!("{lpublic}:{}", public.display()),
        ],
    );
    assert!(wait_port(lpublic, 20), "burrowd:\n{}", d.proc.log());
    // The world-accessible socket is reached (the forward works)...
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, lpublic)).unwrap();
    s.write_all(b"x").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while public_l.accept().is_err() {
        assert!(Instant::now() < deadline, "public socket never reached");
        std::thread::sleep(Duration::from_millis(20));
    }
    // ...the root-only one is not: the channel is refused and the local connection closed.
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, lsecret)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(s.read(&mut buf).unwrap_or(0), 0);
    assert!(
        secret_l.accept().is_err(),
        "the root-only socket was reached"
    );
    d.proc
        .expect_log("Permission denied", Duration::from_secs(5));
}

#[test]
fn user_cannot_bind_a_port_below_1024_with_r() {
    if !can_run() {
        return;
    }
    let a = User::new("lo", false);
    let d = start_daemon(&[], None);
    let dir = TempDir::new("ps-port");
    let echo = echo_server();
    // A privileged port that is free now: root (the control) can bind it, the user cannot.
    let low = (600..1000)
        .find(|p| std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, *p)).is_ok())
        .unwrap();
    let spec = format!("127.0.0.1:{low}:127.0.0.1:{echo}");
    let mut c = ssh_as(&d, &dir, &a.key, &a.name, &["-R", &spec]);
    assert_eq!(exits_within(&mut c, 20), Some(255), "ssh:\n{}", c.log());
    assert!(
        c.log().contains("remote port forwarding failed"),
        "{}",
        c.log()
    );
    assert!(std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, low)).is_err());
    d.proc
        .expect_log("remote forward bind failed", Duration::from_secs(5));
    // Control: the same request as root succeeds, so the kernel made the difference.
    let root_keys = TempDir::new("ps-root");
    keygen(&root_keys.join("id"));
    let d2 = start_daemon(
        &[
            &format!("AuthorizedKeysFile {}", root_keys.s("id.pub")),
            "StrictModes no",
        ],
        None,
    );
    let _r = ssh_as(&d2, &dir, &root_keys.join("id"), "root", &["-R", &spec]);
    assert!(
        wait_port(low, 20),
        "root could not bind {low}:\n{}",
        d2.proc.log()
    );
}

#[test]
fn user_cannot_create_a_socket_in_a_root_only_directory() {
    if !can_run() {
        return;
    }
    let a = User::new("dr", false);
    let d = start_daemon(&[], None);
    let dir = TempDir::new("ps-dir");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o700)).unwrap();
    let echo = echo_server();
    let sock = dir.join("x.sock");
    let spec = format!("{}:127.0.0.1:{echo}", sock.display());
    let mut c = ssh_as(&d, &dir, &a.key, &a.name, &["-R", &spec]);
    assert_eq!(exits_within(&mut c, 20), Some(255), "ssh:\n{}", c.log());
    assert!(
        !sock.exists(),
        "a socket was created in a root-only directory"
    );
    d.proc
        .expect_log("remote streamlocal bind failed", Duration::from_secs(5));
    assert!(
        d.proc.log().contains("Permission denied"),
        "{}",
        d.proc.log()
    );
}

#[test]
fn stream_local_bind_unlink_cannot_remove_a_root_file() {
    if !can_run() {
        return;
    }
    let a = User::new("ul", false);
    let d = start_daemon(&["StreamLocalBindUnlink yes"], None);
    // A sticky, world-writable directory (as /tmp): the user may create sockets here but
    // not remove root's files.
    let dir = TempDir::new("ps-unlink");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let victim = dir.join("root-file");
    std::fs::write(&victim, "root's data").unwrap();
    let echo = echo_server();
    let spec = format!("{}:127.0.0.1:{echo}", victim.display());
    let mut c = ssh_as(&d, &dir, &a.key, &a.name, &["-R", &spec]);
    assert_eq!(exits_within(&mut c, 20), Some(255), "ssh:\n{}", c.log());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's data");
    // Control: a new socket in the same directory is allowed, so only the unlink was refused.
    let fresh = dir.join("mine.sock");
    let spec = format!("{}:127.0.0.1:{echo}", fresh.display());
    let mut c2 = ssh_as(&d, &dir, &a.key, &a.name, &["-R", &spec]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !fresh.exists() {
        assert!(
            Instant::now() < deadline,
            "no socket:\n{}\n{}",
            c2.log(),
            d.proc.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        c2.child.try_wait().unwrap().is_none(),
        "ssh -R to a new socket failed"
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(&fresh).unwrap().uid(),
        a.uid,
        "created as the user"
    );
}

/// A TCP service that accepts and never reads; returns its port and the accepted count.
fn sink() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = n.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    (port, n)
}

/// B logs in with `-L` and carries 1 MiB through it; returns how long the login took.
fn b_carries_a_mebibyte(d: &Daemon, b: &User, echo: u16) -> Duration {
    let dir = TempDir::new("ps-b");
    let lport = free_port();
    let started = Instant::now();
    let mut c = ssh_as(
        d,
        &dir,
        &b.key,
        &b.name,
        &["-L", &format!("{lport}:127.0.0.1:{echo}")],
    );
    assert!(
        wait_port(lport, 30),
        "B could not log in:\n{}\n{}",
        c.log(),
        d.proc.log()
    );
    let took = started.elapsed();
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(1 << 20),
    );
    c.signal("TERM");
    c.wait_exit(Duration::from_secs(5));
    took
}

#[test]
fn one_users_two_thousand_stuck_channels_leave_accept_and_other_users_alone() {
    if !can_run() {
        return;
    }
    let (a, b) = (User::new("ia", false), User::new("ib", false));
    // Under sh's `ulimit -n 1024` (soft and hard), as a default system would give: A's
    // process runs out of descriptors, the listener and B's process do not.
    let d = start_daemon(&[], Some(1024));
    let dir = TempDir::new("ps-iso");
    let (target, accepted) = sink();
    let echo = echo_server();
    let lport = free_port();
    let mut ca = ssh_as(
        &d,
        &dir,
        &a.key,
        &a.name,
        &["-L", &format!("{lport}:127.0.0.1:{target}")],
    );
    assert!(wait_port(lport, 20), "A:\n{}", ca.log());
    let mut held = Vec::new();
    for _ in 0..2000 {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
        s.write_all(&[7u8; 1024]).unwrap();
        held.push(s);
    }
    // Wait until A's process has used up what it may open.
    let deadline = Instant::now() + Duration::from_secs(60);
    while accepted.load(std::sync::atomic::Ordering::SeqCst) < 900 {
        assert!(
            Instant::now() < deadline,
            "only {accepted:?} reached the target"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let during = b_carries_a_mebibyte(&d, &b, echo);
    assert!(
        during < Duration::from_secs(10),
        "B's login took {during:?}"
    );
    ca.signal("TERM");
    ca.wait_exit(Duration::from_secs(5));
    drop(held);
    let after = b_carries_a_mebibyte(&d, &b, echo);
    assert!(after < Duration::from_secs(10), "B's login took {after:?}");
    eprintln!(
        "A's channels reached the target: {}; B's login took {during:?} during, {after:?} after",
        accepted.load(std::sync::atomic::Ordering::SeqCst)
    );
}

#[test]
fn sighup_spares_connections_and_sigterm_drains_idle_ones_at_once() {
    if !can_run() {
        return;
    }
    let a = User::new("tm", false);
    let mut d = start_daemon(&[], None);
    let dir = TempDir::new("ps-term");
    let echo = echo_server();
    let lport = free_port();
    let mut c = ssh_as(
        &d,
        &dir,
        &a.key,
        &a.name,
        &["-L", &format!("{lport}:127.0.0.1:{echo}")],
    );
    assert!(wait_port(lport, 20), "burrowd:\n{}", d.proc.log());
    let session = the_session_process(d.proc.child.id());
    // SIGHUP to the listener and the connection's process, as a terminal hangup sends it
    // to the process group: the listener reloads, the connection's process stays.
    let out = std::process::Command::new("kill")
        .args(["-HUP", &d.proc.child.id().to_string(), &session.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    d.proc.expect_log(
        "Received SIGHUP; configuration reloaded",
        Duration::from_secs(5),
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        Path::new(&format!("/proc/{session}")).exists(),
        "SIGHUP ended the connection"
    );
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(10_000),
    );
    // SIGTERM: the idle logged-in connection (no channel open) ends now, not after the grace.
    let started = Instant::now();
    d.proc.signal("TERM");
    assert_eq!(
        d.proc.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        d.proc.log()
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        c.wait_exit(Duration::from_secs(10)).is_some(),
        "ssh still connected"
    );
}

#[test]
fn a_stopped_connection_process_cannot_keep_the_listener_from_exiting() {
    if !can_run() {
        return;
    }
    let a = User::new("st", false);
    let mut d = start_daemon(&[], None);
    let dir = TempDir::new("ps-stop");
    let echo = echo_server();
    let lport = free_port();
    let _c = ssh_as(
        &d,
        &dir,
        &a.key,
        &a.name,
        &["-L", &format!("{lport}:127.0.0.1:{echo}")],
    );
    assert!(wait_port(lport, 20), "burrowd:\n{}", d.proc.log());
    let session = the_session_process(d.proc.child.id());
    // The process runs as the user, who may signal it: stopped, it ignores SIGTERM.
    let st = std::process::Command::new("kill")
        .args(["-STOP", &session.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    d.proc.signal("TERM");
    assert_eq!(
        d.proc.wait_exit(Duration::from_secs(30)),
        Some(0),
        "{}",
        d.proc.log()
    );
    assert!(
        !Path::new(&format!("/proc/{session}")).exists(),
        "left running"
    );
}
