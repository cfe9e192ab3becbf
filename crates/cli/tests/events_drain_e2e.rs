//! End to end against a real burrowd: `burrow --events` lines (exact byte counts of what the
//! test sent, a refused `-R`), and the SIGTERM drain (a transfer in flight completes, new
//! connections are refused, exit 0).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

fn client_args(d: &Burrowd, dir: &TempDir, extra: &[&str]) -> Vec<String> {
    let mut a = client_opts(dir, &d.client_key, d.port);
    a.extend(extra.iter().map(|e| s(e)));
    a.push(s("127.0.0.1"));
    a
}

/// Every event line of `path` parsed (each must be one JSON object with event and time).
fn events(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert!(v["event"].is_string(), "{l}");
            let t = v["time"].as_str().unwrap();
            assert!(t.ends_with('Z') && t.contains('T'), "not RFC 3339 UTC: {t}");
            v
        })
        .collect()
}

/// Waits until the events of `path` hold one named `name`; returns them all.
fn wait_event(path: &Path, name: &str, secs: u64) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let all = events(path);
        if all.iter().any(|e| e["event"] == name) {
            return all;
        }
        assert!(Instant::now() < deadline, "no {name} event in {all:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn named<'a>(all: &'a [Value], name: &str) -> Vec<&'a Value> {
    all.iter().filter(|e| e["event"] == name).collect()
}

#[test]
fn events_for_a_local_forward_with_two_connections() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("ev-l");
    let echo = echo_server();
    let lport = free_port();
    let spec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let path = dir.join("events.jsonl");
    let a = client_args(
        &d,
        &dir,
        &["-N", "-L", &spec, "--events", &dir.s("events.jsonl")],
    );
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    assert!(wait_port(lport, 20), "{}", burrow.log());
    // wait_port's probe connection is a channel too: count what comes after it.
    wait_event(&path, "channel_close", 10);
    let sizes = [1_234usize, 300_001];
    for n in sizes {
        check_echo(
            TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
            &pattern(n),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while named(&events(&path), "channel_close").len() < 3 {
        assert!(Instant::now() < deadline, "{:?}", events(&path));
        std::thread::sleep(Duration::from_millis(20));
    }
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        burrow.log()
    );
    let all = events(&path);
    assert_eq!(all[0]["event"], "connected", "{all:?}");
    assert_eq!(all[0]["host"], "127.0.0.1");
    assert_eq!(all[0]["port"], d.port);
    let want_spec = format!("-L {spec}");
    let ready = named(&all, "forward_ready");
    assert_eq!(ready.len(), 1, "{all:?}");
    assert_eq!(ready[0]["spec"], want_spec.as_str());
    assert_eq!(ready[0]["listen"], format!("127.0.0.1:{lport}").as_str());
    assert_eq!(ready[0]["allocated_port"], lport);
    let opens = named(&all, "channel_open");
    let closes = named(&all, "channel_close");
    assert_eq!((opens.len(), closes.len()), (3, 3), "{all:?}");
    // The probe sent nothing; then the two transfers, echoed back byte for byte.
    assert_eq!(
        (
            closes[0]["bytes_in"].as_u64(),
            closes[0]["bytes_out"].as_u64()
        ),
        (Some(0), Some(0))
    );
    for (close, n) in closes[1..].iter().zip(sizes) {
        assert_eq!(close["forward"], want_spec.as_str());
        assert_eq!(close["bytes_out"].as_u64(), Some(n as u64), "{close}");
        assert_eq!(close["bytes_in"].as_u64(), Some(n as u64), "{close}");
        assert!(close["duration_ms"].is_u64());
        assert!(opens.iter().any(|o| o["id"] == close["id"]), "{all:?}");
    }
    let last = all.last().unwrap();
    assert_eq!(last["event"], "disconnected");
    assert_eq!(last["reason"], "received SIGTERM");
}

#[test]
fn refused_remote_forward_is_a_forward_failed_event() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("ev-r");
    // The server (same host) cannot listen where this listener sits.
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let spec = format!("127.0.0.1:{port}:127.0.0.1:9");
    let path = dir.join("events.jsonl");
    let a = client_args(
        &d,
        &dir,
        &["-N", "-R", &spec, "--events", &dir.s("events.jsonl")],
    );
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    let all = wait_event(&path, "forward_failed", 20);
    let failed = named(&all, "forward_failed");
    assert_eq!(failed[0]["spec"], format!("-R {spec}").as_str());
    let reason = failed[0]["reason"].as_str().unwrap();
    assert!(reason.contains(&port.to_string()), "{reason}");
    assert!(named(&all, "forward_ready").is_empty(), "{all:?}");
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        burrow.log()
    );
    drop(taken);
}

/// A target that, once a byte arrives, sends `total` pattern bytes slowly, then closes.
fn slow_sender(total: usize, chunks: usize, pause: Duration) -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut one = [0u8; 1];
                if c.read_exact(&mut one).is_err() {
                    return;
                }
                let data = pattern(total);
                for part in data.chunks(total.div_ceil(chunks)) {
                    if c.write_all(part).is_err() {
                        return;
                    }
                    std::thread::sleep(pause);
                }
            });
        }
    });
    port
}

#[test]
fn sigterm_lets_an_open_transfer_finish_and_refuses_new_connections() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("ev-drain");
    let total = 200_000;
    // About 2 s of sending, well inside the default 10 s grace.
    let target = slow_sender(total, 20, Duration::from_millis(100));
    let lport = free_port();
    let spec = format!("127.0.0.1:{lport}:127.0.0.1:{target}");
    let path = dir.join("events.jsonl");
    let echo = echo_server();
    let rspec = format!("0:127.0.0.1:{echo}");
    let a = client_args(
        &d,
        &dir,
        &[
            "-N",
            "-L",
            &spec,
            "-R",
            &rspec,
            "--events",
            &dir.s("events.jsonl"),
        ],
    );
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    assert!(wait_port(lport, 20), "{}", burrow.log());
    let line = burrow.expect_log("Allocated port", Duration::from_secs(20));
    let rport: u16 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, rport)).unwrap(),
        &pattern(1000),
    );
    let mut conn = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    conn.write_all(b"go").unwrap();
    let mut got = vec![0u8; 1000];
    conn.read_exact(&mut got).unwrap();
    burrow.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).is_err(),
        "the -L listener still accepts while draining"
    );
    assert!(
        TcpStream::connect((Ipv4Addr::LOCALHOST, rport)).is_err(),
        "the -R forward was not cancelled on the server"
    );
    assert!(
        burrow.child.try_wait().unwrap().is_none(),
        "burrow exited before the transfer ended"
    );
    conn.read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), total);
    assert!(got == pattern(total), "the drained transfer differs");
    drop(conn);
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        burrow.log()
    );
    let all = events(&path);
    let closes: Vec<_> = named(&all, "channel_close")
        .into_iter()
        .filter(|c| c["forward"] == format!("-L {spec}").as_str())
        .collect();
    let last_close = closes.last().unwrap();
    assert_eq!(
        last_close["bytes_in"].as_u64(),
        Some(total as u64),
        "{all:?}"
    );
    assert_eq!(last_close["bytes_out"].as_u64(), Some(2));
    assert_eq!(all.last().unwrap()["reason"], "received SIGTERM");
}

#[test]
fn drain_grace_bounds_the_wait_for_a_connection_that_stays_open() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("ev-grace");
    let echo = echo_server();
    let lport = free_port();
    let spec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let a = client_args(&d, &dir, &["-N", "-L", &spec, "--drain-grace", "1"]);
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    assert!(wait_port(lport, 20), "{}", burrow.log());
    let mut held = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
    held.write_all(b"ping").unwrap();
    let mut back = [0u8; 4];
    held.read_exact(&mut back).unwrap();
    let t0 = Instant::now();
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        burrow.log()
    );
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "exit after {took:?}, want about the 1 s grace"
    );
    held.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut rest = Vec::new();
    // Closed by burrow's exit: end of stream (or a reset), never a timeout.
    match held.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty()),
        Err(e) => assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "{e}"),
    }
}

#[test]
fn a_second_sigterm_ends_the_drain_at_once() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("ev-twice");
    let echo = echo_server();
    let lport = free_port();
    let spec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let a = client_args(&d, &dir, &["-N", "-L", &spec, "--drain-grace", "60"]);
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    assert!(wait_port(lport, 20), "{}", burrow.log());
    let mut held = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
    held.write_all(b"ping").unwrap();
    let mut back = [0u8; 4];
    held.read_exact(&mut back).unwrap();
    burrow.signal("TERM");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        burrow.child.try_wait().unwrap().is_none(),
        "burrow did not wait for the open connection"
    );
    let t0 = Instant::now();
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        burrow.log()
    );
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
}

#[test]
fn events_and_drain_against_openssh_sshd() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("ev-sshd");
    let echo = echo_server();
    let lport = free_port();
    let lspec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let rspec = format!(
        "127.0.0.1:{}:127.0.0.1:9",
        taken.local_addr().unwrap().port()
    );
    let path = dir.join("events.jsonl");
    let mut a = client_opts(&dir, &sshd.client_key, sshd.port);
    for x in [
        "-N",
        "-L",
        &lspec,
        "-R",
        &rspec,
        "--events",
        &dir.s("events.jsonl"),
    ] {
        a.push(s(x));
    }
    a.push(s("root@127.0.0.1"));
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    wait_event(&path, "forward_failed", 20);
    let n = 123_457;
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(n),
    );
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        burrow.log()
    );
    let all = events(&path);
    assert_eq!(all[0]["event"], "connected", "{all:?}");
    assert_eq!(all[0]["port"], sshd.port);
    let failed = named(&all, "forward_failed");
    assert_eq!(failed.len(), 1, "{all:?}");
    assert_eq!(failed[0]["spec"], format!("-R {rspec}").as_str());
    let ready = named(&all, "forward_ready");
    assert_eq!(ready.len(), 1, "{all:?}");
    assert_eq!(ready[0]["spec"], format!("-L {lspec}").as_str());
    let closes = named(&all, "channel_close");
    assert_eq!(closes.len(), 1, "{all:?}");
    assert_eq!(closes[0]["bytes_out"].as_u64(), Some(n as u64));
    assert_eq!(closes[0]["bytes_in"].as_u64(), Some(n as u64));
    assert_eq!(all.last().unwrap()["event"], "disconnected");
}
