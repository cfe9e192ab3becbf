//! The matrix's load and failure cases: rekey under load, 200 connections through one
//! tunnel, a slow reader with bounded memory, a peer killed mid-transfer, a closed port.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use burrow_testkit::free_port;
use burrow_testkit::proc::{descendants, signal_pid};
use burrow_testkit::targets::{
    closed_port, hash, pattern, slow_sink, source, tcp_round_trip, wait_port,
};

use super::peers::{Client, Fixture, Server};
use super::{CIPHERS, ClientKind, MISSING, Mode, Outcome, ServerKind};

/// Held by the CPU-heavy cases (rekey, 200 connections) so that they do not starve each
/// other on a 2-core machine: each still runs beside the matrix sessions.
static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A named case.
pub type Case = (&'static str, fn(&Fixture) -> Outcome);

/// Every case, longest first.
pub fn cases() -> Vec<Case> {
    vec![
        (
            "slow reader: burrow → burrowd, each way read/written at 1 MiB/s",
            slow_reader,
        ),
        (
            "rekey under load: burrow → sshd, RekeyLimit 64K both sides, 2 MiB",
            |fx| rekey(fx, ClientKind::Burrow, ServerKind::Sshd),
        ),
        (
            "rekey under load: ssh → burrowd, RekeyLimit 64K both sides, 2 MiB",
            |fx| rekey(fx, ClientKind::Ssh, ServerKind::Burrowd),
        ),
        (
            "rekey under load: burrow → burrowd, RekeyLimit 64K both sides, 2 MiB",
            |fx| rekey(fx, ClientKind::Burrow, ServerKind::Burrowd),
        ),
        (
            "200 concurrent connections through one -L: burrow → burrowd",
            |fx| concurrent(fx, ClientKind::Burrow, ServerKind::Burrowd),
        ),
        (
            "200 concurrent connections through one -L: burrow → sshd",
            |fx| concurrent(fx, ClientKind::Burrow, ServerKind::Sshd),
        ),
        (
            "200 concurrent connections through one -L: ssh → burrowd",
            |fx| concurrent(fx, ClientKind::Ssh, ServerKind::Burrowd),
        ),
        (
            "peer killed mid-transfer: sshd's session SIGKILLed under burrow",
            |fx| server_killed(fx, ClientKind::Burrow, ServerKind::Sshd),
        ),
        (
            "peer killed mid-transfer: burrowd's session SIGKILLed under ssh",
            |fx| server_killed(fx, ClientKind::Ssh, ServerKind::Burrowd),
        ),
        (
            "peer killed mid-transfer: burrow SIGKILLed; burrowd serves the next client",
            client_killed,
        ),
        ("-L to a closed port: burrow → sshd", |fx| {
            closed(fx, ClientKind::Burrow, ServerKind::Sshd)
        }),
        ("-L to a closed port: ssh → burrowd", |fx| {
            closed(fx, ClientKind::Ssh, ServerKind::Burrowd)
        }),
        ("-L to a closed port: burrow → burrowd", |fx| {
            closed(fx, ClientKind::Burrow, ServerKind::Burrowd)
        }),
    ]
}

fn outcome(start: Instant, r: Result<String, String>) -> Outcome {
    match r {
        Ok(note) => Outcome::Pass(format!("{note}{:.1} s", start.elapsed().as_secs_f64())),
        Err(e) if e == MISSING => Outcome::NotApplicable(MISSING),
        Err(e) => Outcome::Fail(e),
    }
}

/// A server and a client with `-L` forwards to each of `targets`; returns their local ports.
fn tunnel(
    fx: &Fixture,
    kind: (ClientKind, ServerKind),
    server_extra: &[String],
    client_extra: &[&str],
    targets: &[u16],
) -> Result<(Server, Client, Vec<u16>), String> {
    let server = Server::start(fx, kind.1, &CIPHERS[0], server_extra).ok_or(MISSING)?;
    let ports: Vec<u16> = targets.iter().map(|_| free_port()).collect();
    let mut extra: Vec<String> = client_extra.iter().map(|s| (*s).to_owned()).collect();
    for (p, t) in ports.iter().zip(targets) {
        extra.push("-L".into());
        extra.push(format!("{p}:127.0.0.1:{t}"));
    }
    let client = Client::start(fx, kind.0, &server, &CIPHERS[0], &[], &extra).ok_or(MISSING)??;
    for &p in &ports {
        if !wait_port(p, Duration::from_secs(15)) {
            return Err(format!(
                "-L {p} never listened; client log:\n{}",
                client.log_tail()
            ));
        }
    }
    Ok((server, client, ports))
}

fn rekey(fx: &Fixture, c: ClientKind, s: ServerKind) -> Outcome {
    let _heavy = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let r = (|| {
        let (server, client, ports) = tunnel(
            fx,
            (c, s),
            &["RekeyLimit 64K".into()],
            &["-o", "RekeyLimit=64K"],
            &[fx.echo],
        )?;
        tcp_round_trip(ports[0], 2 << 20, 9).map_err(|e| {
            let log = server.proc().log();
            let tail: Vec<&str> = log.lines().rev().take(12).collect();
            format!(
                "{e}; client log:\n{}\nserver log (last lines, newest first):\n{}",
                client.log_tail(),
                tail.join("\n")
            )
        })?;
        // Count completed key exchanges in whichever side is OpenSSH (debug1 logs each).
        let log = match s {
            ServerKind::Sshd => server.proc().log(),
            _ => client.proc.log(),
        };
        let kex = log.matches("SSH2_MSG_NEWKEYS received").count();
        if c == ClientKind::Ssh || s == ServerKind::Sshd {
            if kex < 3 {
                return Err(format!(
                    "only {kex} key exchanges in 4 MiB at RekeyLimit 64K"
                ));
            }
            return Ok(format!("{kex} key exchanges seen by OpenSSH; "));
        }
        Ok(String::new())
    })();
    outcome(start, r)
}

fn concurrent(fx: &Fixture, c: ClientKind, s: ServerKind) -> Outcome {
    let _heavy = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let r = (|| {
        let (_server, client, ports) = tunnel(fx, (c, s), &[], &[], &[fx.echo])?;
        let port = ports[0];
        let barrier = Arc::new(Barrier::new(200));
        let threads: Vec<_> = (0..200u32)
            .map(|i| {
                let b = barrier.clone();
                std::thread::spawn(move || {
                    b.wait();
                    tcp_round_trip(port, 64 << 10, i as u8)
                })
            })
            .collect();
        let errors: Vec<String> = threads
            .into_iter()
            .filter_map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err("thread panicked".into()))
                    .err()
            })
            .collect();
        if !errors.is_empty() {
            return Err(format!(
                "{} of 200 connections failed, first: {}; client log:\n{}",
                errors.len(),
                errors[0],
                client.log_tail()
            ));
        }
        Ok(String::new())
    })();
    outcome(start, r)
}

/// Bytes the slow-reader case moves each way: `$BURROW_MATRIX_SLOW_MIB` MiB (issue 16's
/// full run is 200), 20 by default to keep CI short.
fn slow_total() -> usize {
    std::env::var("BURROW_MATRIX_SLOW_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(20)
        << 20
}
const SLOW_RATE: u64 = 1 << 20;

fn slow_reader(fx: &Fixture) -> Outcome {
    let start = Instant::now();
    let total = slow_total();
    let r = (|| {
        let sink = slow_sink(SLOW_RATE);
        let src = source(total);
        let (server, client, ports) = tunnel(
            fx,
            (ClientKind::Burrow, ServerKind::Burrowd),
            &[],
            &[],
            &[sink, src],
        )?;
        let (up, down) = (ports[0], ports[1]);
        let base = (client.proc.tree_rss_kib(), server.proc().tree_rss_kib());
        // Up: push 20 MiB as fast as the tunnel takes it into a sink reading 1 MiB/s.
        let pusher = std::thread::spawn(move || -> Result<(), String> {
            let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, up)).map_err(|e| e.to_string())?;
            let data = pattern(total, 1);
            s.write_all(&data).map_err(|e| format!("push: {e}"))?;
            s.shutdown(std::net::Shutdown::Write)
                .map_err(|e| e.to_string())?;
            let mut answer = [0u8; 16];
            s.read_exact(&mut answer)
                .map_err(|e| format!("sink answer: {e}"))?;
            let (n, h) = (
                u64::from_be_bytes(answer[..8].try_into().unwrap()),
                u64::from_be_bytes(answer[8..].try_into().unwrap()),
            );
            if n != total as u64 || h != hash(&data) {
                return Err(format!(
                    "sink got {n} bytes hash {h:016x}, sent {total} hash {:016x}",
                    hash(&data)
                ));
            }
            Ok(())
        });
        // Down: a source writes 20 MiB as fast as it may; read it here at 1 MiB/s.
        let reader = std::thread::spawn(move || -> Result<(), String> {
            let mut s =
                TcpStream::connect((Ipv4Addr::LOCALHOST, down)).map_err(|e| e.to_string())?;
            let t0 = Instant::now();
            let mut got = Vec::with_capacity(total);
            let mut buf = vec![0u8; 16 << 10];
            loop {
                let n = s.read(&mut buf).map_err(|e| format!("slow read: {e}"))?;
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                let due = Duration::from_secs_f64(got.len() as f64 / SLOW_RATE as f64);
                if let Some(w) = due.checked_sub(t0.elapsed()) {
                    std::thread::sleep(w);
                }
            }
            if got != pattern(total, 7) {
                return Err(format!("slow reader got {} bytes, differing", got.len()));
            }
            Ok(())
        });
        let mut peak = (0u64, 0u64);
        while !(pusher.is_finished() && reader.is_finished()) {
            peak.0 = peak.0.max(client.proc.tree_rss_kib());
            peak.1 = peak.1.max(server.proc().tree_rss_kib());
            std::thread::sleep(Duration::from_millis(200));
        }
        pusher.join().map_err(|_| "pusher panicked")??;
        reader.join().map_err(|_| "reader panicked")??;
        let grow = (
            peak.0.saturating_sub(base.0) / 1024,
            peak.1.saturating_sub(base.1) / 1024,
        );
        let note = format!(
            "{} MiB each way; burrow RSS {} → peak {} KiB (+{} MiB), burrowd tree {} → peak {} KiB (+{} MiB); ",
            total >> 20,
            base.0,
            peak.0,
            grow.0,
            base.1,
            peak.1,
            grow.1
        );
        if grow.0 > 48 || grow.1 > 48 {
            return Err(format!(
                "RSS grew by {} MiB (burrow) / {} MiB (burrowd) with {} MiB queued behind a slow reader",
                grow.0,
                grow.1,
                total >> 20
            ));
        }
        Ok(note)
    })();
    outcome(start, r)
}

/// Bytes `start_push` writes: more than the tunnel can hold in flight (burrowd grows one
/// channel's receive window to 16 MiB, half its 32 MiB default budget, plus socket buffers),
/// so the writer is still blocked when a peer is killed after a second. With 8 MiB a fast
/// burrowd took it all into its window and the killed server's tunnel ended cleanly.
const PUSH: usize = 64 << 20;

/// A connection pushing `PUSH` bytes into a 1 MiB/s sink; returns the writer's result channel.
fn start_push(port: u16) -> std::sync::mpsc::Receiver<Result<(), String>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .map_err(|e| e.to_string())
            .and_then(|mut s| {
                s.write_all(&pattern(PUSH, 2)).map_err(|e| e.to_string())?;
                s.shutdown(std::net::Shutdown::Write)
                    .map_err(|e| e.to_string())?;
                let mut rest = Vec::new();
                s.read_to_end(&mut rest)
                    .map(drop)
                    .map_err(|e| e.to_string())
            });
        tx.send(r).unwrap_or_default();
    });
    rx
}

fn server_killed(fx: &Fixture, c: ClientKind, s: ServerKind) -> Outcome {
    let start = Instant::now();
    let r = (|| {
        let sink = slow_sink(SLOW_RATE);
        let (server, mut client, ports) = tunnel(fx, (c, s), &[], &[], &[sink])?;
        let rx = start_push(ports[0]);
        std::thread::sleep(Duration::from_secs(1));
        let sessions = descendants(server.proc().pid());
        if sessions.is_empty() {
            return Err("no per-connection server process to kill".into());
        }
        sessions.iter().for_each(|&p| signal_pid(p, "KILL"));
        let code = client.proc.wait_exit(Duration::from_secs(15));
        if code != Some(255) {
            return Err(format!(
                "client exit {code:?} (want 255) after the server died; log:\n{}",
                client.log_tail()
            ));
        }
        match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(Ok(())) => Err("the transfer completed although the server died".into()),
            Ok(Err(_)) => Ok(String::new()),
            Err(_) => Err("the local connection hung after the server died".into()),
        }
    })();
    outcome(start, r)
}

fn client_killed(fx: &Fixture) -> Outcome {
    let start = Instant::now();
    let r = (|| {
        let sink = slow_sink(SLOW_RATE);
        let (server, client, ports) = tunnel(
            fx,
            (ClientKind::Burrow, ServerKind::Burrowd),
            &[],
            &[],
            &[sink],
        )?;
        let _rx = start_push(ports[0]);
        std::thread::sleep(Duration::from_secs(1));
        client.proc.signal("KILL");
        drop(client);
        let deadline = Instant::now() + Duration::from_secs(15);
        while !descendants(server.proc().pid()).is_empty() {
            if Instant::now() > deadline {
                return Err("burrowd's session process outlived its killed client by 15 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let next = Client::start(
            fx,
            ClientKind::Burrow,
            &server,
            &CIPHERS[0],
            &[Mode::L],
            &[],
        )
        .ok_or("client missing")??;
        match next.endpoints.get(&Mode::L) {
            Some(super::peers::Endpoint::Tcp(p)) => {
                tcp_round_trip(*p, 1 << 20, 4).map(|()| String::new())
            }
            other => Err(format!("next client's -L: {other:?}")),
        }
    })();
    outcome(start, r)
}

fn closed(fx: &Fixture, c: ClientKind, s: ServerKind) -> Outcome {
    let start = Instant::now();
    let r = (|| {
        let (_server, mut client, ports) = tunnel(fx, (c, s), &[], &[], &[closed_port(), fx.echo])?;
        let mut conn =
            TcpStream::connect((Ipv4Addr::LOCALHOST, ports[0])).map_err(|e| e.to_string())?;
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let t0 = Instant::now();
        let mut buf = [0u8; 16];
        match conn.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => return Err(format!("read {n} bytes from a forward to a closed port")),
            Err(e) if t0.elapsed() >= Duration::from_secs(9) => {
                return Err(format!("no close within 10 s: {e}"));
            }
            Err(_) => {}
        }
        if !client.proc.running() {
            return Err("the client exited after a refused forward".into());
        }
        tcp_round_trip(ports[1], 1 << 20, 5)?;
        Ok(String::new())
    })();
    outcome(start, r)
}
