//! End to end as root, with a throwaway user and OpenSSH's `ssh`: `MaxSessions` caps the
//! channels one connection may have open, and `PerSourceMaxStartups` caps unauthenticated
//! connections from one address while logged-in ones do not count.
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
use std::time::{Duration, Instant};

use common::*;
use privsep::*;

/// Reads what the server sends first: its version line, or nothing (dropped).
fn greeting(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 8];
    let mut got = Vec::new();
    while got.len() < 8 {
        match s.read(&mut buf[..8 - got.len()]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got
}

/// `ssh -N -L lport:127.0.0.1:target` as `user`; returns the client once the port is up.
fn forward(d: &Daemon, dir: &TempDir, user: &User, lport: u16, target: u16) -> Proc {
    let ssh = require_binary("ssh").unwrap();
    let mut a = client_opts(dir, &user.key, d.port);
    a.extend(["-N", "-L", &format!("{lport}:127.0.0.1:{target}")].map(str::to_owned));
    a.push(format!("{}@127.0.0.1", user.name));
    let c = spawn(ssh.to_str().unwrap(), &a, dir, &format!("ssh-{lport}.log"));
    assert!(
        wait_port(lport, 20),
        "ssh:\n{}\nburrowd:\n{}",
        c.log(),
        d.proc.log()
    );
    c
}

#[test]
fn max_sessions_caps_the_channels_of_one_connection() {
    if !can_run() {
        return;
    }
    let a = User::new("ms", false);
    let d = start_daemon(&["MaxSessions 2"], None);
    let dir = TempDir::new("lim-ms");
    // A target that accepts and holds its connections, so channels stay open.
    let target = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let tport = target.local_addr().unwrap().port();
    let lport = free_port();
    let c = forward(&d, &dir, &a, lport, tport);
    let first: Vec<_> = (0..2)
        .map(|_| {
            let s = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
            target.accept().unwrap();
            s
        })
        .collect();
    let mut third = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
    assert!(
        greeting(&mut third).is_empty(),
        "the third channel was served"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !c.log().contains("resource shortage") {
        assert!(Instant::now() < deadline, "ssh:\n{}", c.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(first);
}

#[test]
fn per_source_max_startups_counts_only_unauthenticated_connections() {
    if !can_run() {
        return;
    }
    let a = User::new("ps", false);
    let d = start_daemon(&["PerSourceMaxStartups 2"], None);
    let dir = TempDir::new("lim-ps");
    let echo = echo_server();
    // A logged-in connection no longer counts...
    let lport = free_port();
    let _c = forward(&d, &dir, &a, lport, echo);
    // ...two silent ones do, and a third from the same address is dropped at once.
    let mut held: Vec<_> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, d.port)).unwrap();
            assert_eq!(greeting(&mut s), b"SSH-2.0-");
            s
        })
        .collect();
    let mut third = TcpStream::connect((Ipv4Addr::LOCALHOST, d.port)).unwrap();
    assert!(
        greeting(&mut third).is_empty(),
        "a third unauthenticated connection was served"
    );
    d.proc
        .expect_log("past PerSourceMaxStartups", Duration::from_secs(5));
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(10_000),
    );
    // Once one of them leaves, the address may start a new one.
    held.pop();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, d.port)).unwrap();
        if greeting(&mut s) == b"SSH-2.0-" {
            break;
        }
        assert!(Instant::now() < deadline, "the slot was not given back");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn listener_out_of_descriptors_drops_connections_and_recovers() {
    if !can_run() {
        return;
    }
    // Room for a handful of per-connection processes only.
    let d = start_daemon(&[], Some(24));
    let mut held = Vec::new();
    let (mut served, mut dropped) = (0, 0);
    for _ in 0..40 {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, d.port)).unwrap();
        if greeting(&mut s) == b"SSH-2.0-" {
            served += 1;
        } else {
            dropped += 1;
        }
        held.push(s);
    }
    assert!(
        served > 0 && dropped > 0,
        "served {served}, dropped {dropped}"
    );
    d.proc
        .expect_log("Too many open files", Duration::from_secs(5));
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, d.port)).unwrap();
        if greeting(&mut s) == b"SSH-2.0-" {
            break;
        }
        assert!(Instant::now() < deadline, "the listener did not recover");
        std::thread::sleep(Duration::from_millis(50));
    }
}
