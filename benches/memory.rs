//! Memory per channel: RSS growth with 1,000 idle direct-tcpip channels open on one
//! connection, and after each of them carried 1 KiB both ways. The client is burrow (a
//! child process reading its own VmRSS); the server is sshd (the VmRSS of its
//! per-connection processes) or burrow's server (a child process). See benches/README.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use burrow::KeyPair;
use burrow_testkit::targets::echo_tcp as echo;
use common::procfs::{rss_kib, sshd_connection_pids};
use common::{Lab, Proc, child_cmd, hex, median, wait_port};

/// RSS in KiB of (client, server) at the three points: before, idle, used.
type Phases = [(u64, u64); 3];

fn server_rss(server: Option<u32>) -> u64 {
    match server {
        Some(pid) => rss_kib(pid),
        None => sshd_connection_pids().iter().map(|&p| rss_kib(p)).sum(),
    }
}

/// One run: a memory child on `port` (host key `host_key`) opening `n` channels.
fn run(
    lab: &Lab,
    port: u16,
    host_key: &[u8],
    server: Option<u32>,
    echo_port: u16,
    n: usize,
) -> Phases {
    let mut cmd = child_cmd("memory");
    lab.child_env(&mut cmd);
    cmd.env("BB_SSHD_PORT", port.to_string())
        .env("BB_HOST_KEY", hex(host_key))
        .env("BB_TARGET_PORT", echo_port.to_string())
        .env("BB_CHANNELS", n.to_string());
    let mut child = Proc::spawn(cmd);
    let mut out = [(0, 0); 3];
    for (i, tag) in ["before", "idle", "used"].iter().enumerate() {
        let line = child.line();
        let rest = line.strip_prefix(&format!("RSS {tag} ")).unwrap();
        // Give the server a moment to settle too.
        std::thread::sleep(Duration::from_millis(100));
        out[i] = (rest.parse().unwrap(), server_rss(server));
        child.send("go");
    }
    out
}

fn per_channel(kib_from: u64, kib_to: u64, n: usize) -> f64 {
    (kib_to as f64 - kib_from as f64) * 1024.0 / n as f64
}

fn main() {
    common::child::run_if_child();
    let n: usize = std::env::var("BENCH_CHANNELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let lab = Lab::start();
    let echo_port = echo();
    let burrow_host = KeyPair::from_ed25519_seed(&[0x5A; 32])
        .public_key()
        .to_blob();
    let started = Instant::now();
    // [setup][metric]: client idle, client used, server idle, server used (bytes/channel).
    let mut samples = vec![vec![Vec::new(); 4]; 2];
    for _ in 0..runs {
        // A fresh burrow server per run: memory freed by an earlier run would be reused
        // without growing RSS. (sshd forks a fresh process per connection anyway.)
        let mut cmd = child_cmd("server");
        cmd.env("BB_AUTH_BLOB", hex(&lab.key_blob));
        let mut srv = Proc::spawn(cmd);
        let line = srv.line();
        let srv_port: u16 = line.strip_prefix("READY ").unwrap().parse().unwrap();
        wait_port(srv_port, Duration::from_secs(5));
        let setups = [
            run(
                &lab,
                lab.sshd.port,
                &lab.sshd.host_key_blob,
                None,
                echo_port,
                n,
            ),
            run(&lab, srv_port, &burrow_host, Some(srv.pid()), echo_port, n),
        ];
        drop(srv);
        for (s, p) in samples.iter_mut().zip(setups) {
            s[0].push(per_channel(p[0].0, p[1].0, n));
            s[1].push(per_channel(p[0].0, p[2].0, n));
            s[2].push(per_channel(p[0].1, p[1].1, n));
            s[3].push(per_channel(p[0].1, p[2].1, n));
        }
        // Let sshd's connection processes exit before the next run measures.
        std::thread::sleep(Duration::from_millis(300));
    }
    let m: Vec<Vec<f64>> = samples
        .iter()
        .map(|s| s.iter().map(|v| median(v)).collect())
        .collect();
    println!(
        "\nmemory bench: RSS growth per channel (bytes), {n} channels, median of {runs} runs ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<28} {:>13} {:>13} {:>13} {:>13}",
        "connection", "client idle", "client used", "server idle", "server used"
    );
    for (label, r) in ["burrow client -> sshd", "burrow client -> burrow srv"]
        .iter()
        .zip(&m)
    {
        println!(
            "{:<28} {:>13.0} {:>13.0} {:>13.0} {:>13.0}",
            label, r[0], r[1], r[2], r[3]
        );
    }
    println!(
        "\nratios: burrow server / sshd per channel: idle {:.3}, used {:.3}",
        m[1][2] / m[0][2],
        m[1][3] / m[0][3]
    );
}
