//! Bulk throughput and 1-byte request/response latency through one `-L` tunnel, burrow
//! against OpenSSH in the same run: burrow's client (library `LocalForward`, in a child
//! process) and `ssh -N -L` against the same sshd, and `ssh -N -L` against burrow's server
//! (`ForwardHandler`, in a child process) and against sshd. See benches/README.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::procfs::{cpu_ns, cpu_ns_all, sshd_connection_pids};
use common::servers::{ping_pong, ping_pong_conn, push, target};
use common::{CIPHERS, Lab, Proc, child_cmd, hex, median, wait_port};

/// Which client and which server make up a tunnel.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    BurrowToSshd,
    SshToSshd,
    SshToBurrow,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::BurrowToSshd => "burrow -> sshd",
            Kind::SshToSshd => "ssh -> sshd",
            Kind::SshToBurrow => "ssh -> burrow server",
        }
    }
}

/// A running tunnel: the local port of its `-L` listener and the processes on each end.
struct Tunnel {
    kind: Kind,
    cipher: &'static str,
    port: u16,
    client: Proc,
    /// The burrow server child (for `SshToBurrow`).
    server: Option<Proc>,
}

impl Tunnel {
    fn start(lab: &Lab, kind: Kind, cipher: &'static str, target_port: u16) -> Tunnel {
        let lport = common::fixtures::free_port();
        let spec = format!("{lport}:127.0.0.1:{target_port}");
        let ssh_args = ["-N", "-L", spec.as_str(), "-o", "ExitOnForwardFailure=yes"];
        let (client, server, port) = match kind {
            Kind::BurrowToSshd => {
                let mut cmd = child_cmd("client-forward");
                lab.child_env(&mut cmd);
                cmd.env("BB_CIPHER", cipher)
                    .env("BB_TARGET_PORT", target_port.to_string());
                let mut p = Proc::spawn(cmd);
                let line = p.line();
                let port = line.strip_prefix("READY ").unwrap().parse().unwrap();
                (p, None, port)
            }
            Kind::SshToSshd => {
                let p = Proc::spawn(lab.ssh_cmd(lab.sshd.port, cipher, &ssh_args));
                wait_port(lport, Duration::from_secs(20));
                (p, None, lport)
            }
            Kind::SshToBurrow => {
                let mut cmd = child_cmd("server");
                cmd.env("BB_AUTH_BLOB", hex(&lab.key_blob));
                let mut srv = Proc::spawn(cmd);
                let line = srv.line();
                let sport: u16 = line.strip_prefix("READY ").unwrap().parse().unwrap();
                let p = Proc::spawn(lab.ssh_cmd(sport, cipher, &ssh_args));
                wait_port(lport, Duration::from_secs(20));
                (p, Some(srv), lport)
            }
        };
        Tunnel {
            kind,
            cipher,
            port,
            client,
            server,
        }
    }

    /// CPU ns of (client side, server side) so far. sshd's side is every live per-connection
    /// sshd process (only this tunnel's are busy while it runs; idle ones add nothing).
    fn cpu(&self) -> (u64, u64) {
        let client = cpu_ns(self.client.pid());
        let server = match &self.server {
            Some(s) => cpu_ns(s.pid()),
            None => cpu_ns_all(&sshd_connection_pids()),
        };
        (client, server)
    }
}

#[derive(Default)]
struct Samples {
    mbps: Vec<f64>,
    client_cpu_per_gb: Vec<f64>,
    server_cpu_per_gb: Vec<f64>,
    rr_us: Vec<f64>,
}

/// Pins this process (all threads) and every descendant to CPU 0 with `taskset`; returns
/// the pids.
fn pin_all_to_cpu0() -> Vec<u32> {
    let mut pids = common::procfs::descendants(std::process::id());
    pids.push(std::process::id());
    for p in &pids {
        taskset(*p, "0");
    }
    pids
}

fn unpin(pids: &[u32]) {
    let all = format!(
        "0-{}",
        std::thread::available_parallelism().map_or(1, |n| n.get()) - 1
    );
    for p in pids {
        taskset(*p, &all);
    }
}

fn taskset(pid: u32, cpus: &str) {
    let ok = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("taskset failed for {pid} (gone, or taskset missing)");
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    common::child::run_if_child();
    let mib = env_or("BENCH_MIB", 256);
    let runs = env_or("BENCH_RUNS", 5) as usize;
    let rr_n = env_or("BENCH_RR", 4000) as usize;
    let total = mib << 20;
    let lab = Lab::start();
    let tport = target();
    let kinds = [Kind::BurrowToSshd, Kind::SshToSshd, Kind::SshToBurrow];
    let mut tunnels = Vec::new();
    for cipher in CIPHERS {
        for kind in kinds {
            tunnels.push(Tunnel::start(&lab, kind, cipher, tport));
        }
    }
    let mut samples: Vec<Samples> = tunnels.iter().map(|_| Samples::default()).collect();
    let started = Instant::now();
    // Interleaved: run r of every tunnel before run r+1 of any, so drift in the machine's
    // load hits all of them alike.
    for _ in 0..runs {
        for (t, s) in tunnels.iter().zip(samples.iter_mut()) {
            let (c0, s0) = t.cpu();
            let t0 = Instant::now();
            let got = push(t.port, total);
            let secs = t0.elapsed().as_secs_f64();
            let (c1, s1) = t.cpu();
            assert_eq!(
                got,
                total,
                "{} {}: sink got {got} of {total}",
                t.kind.label(),
                t.cipher
            );
            let gb = total as f64 / 1e9;
            s.mbps.push(total as f64 / 1e6 / secs);
            s.client_cpu_per_gb.push((c1 - c0) as f64 / 1e9 / gb);
            s.server_cpu_per_gb.push((s1 - s0) as f64 / 1e9 / gb);
        }
    }
    // Request/response: one connection per tunnel (and one plain), visited in turn for
    // `RR_CHUNK` round trips at a time, so that all see the same machine conditions.
    const RR_CHUNK: usize = 50;
    let mut conns: Vec<_> = tunnels
        .iter()
        .map(|t| ping_pong_conn(t.port))
        .chain(std::iter::once(ping_pong_conn(tport)))
        .collect();
    // Everything on CPU 0 while measuring: unpinned, each tunnel's latency is bimodal
    // (≈30 or ≈75 µs) depending on where the scheduler happens to place its processes.
    let pinned = pin_all_to_cpu0();
    let mut rr: Vec<Vec<f64>> = vec![Vec::new(); conns.len()];
    for c in &mut conns {
        ping_pong(c, 100);
    }
    for _ in 0..rr_n.div_ceil(RR_CHUNK) {
        for (c, out) in conns.iter_mut().zip(rr.iter_mut()) {
            out.extend(ping_pong(c, RR_CHUNK));
        }
    }
    for (s, r) in samples.iter_mut().zip(&rr) {
        s.rr_us = r.clone();
    }
    let plain = rr.last().cloned().unwrap_or_default();
    unpin(&pinned);
    let plain_us = median(&plain);

    println!(
        "\ntunnel bench: {mib} MiB per transfer, {runs} interleaved runs, medians; {rr_n} round trips per tunnel ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<31} {:<22} {:>8} {:>11} {:>11} {:>9}",
        "cipher", "tunnel", "MB/s", "client s/GB", "server s/GB", "1B RR µs"
    );
    let med: Vec<[f64; 4]> = samples
        .iter()
        .map(|s| {
            [
                median(&s.mbps),
                median(&s.client_cpu_per_gb),
                median(&s.server_cpu_per_gb),
                median(&s.rr_us),
            ]
        })
        .collect();
    for (t, m) in tunnels.iter().zip(&med) {
        println!(
            "{:<31} {:<22} {:>8.0} {:>11.3} {:>11.3} {:>9.1}",
            t.cipher,
            t.kind.label(),
            m[0],
            m[1],
            m[2],
            m[3]
        );
    }
    println!(
        "{:<31} {:<22} {:>8} {:>11} {:>11} {:>9.1}",
        "-", "plain TCP (no tunnel)", "", "", "", plain_us
    );
    println!("\nratios (burrow / OpenSSH, same run):");
    println!(
        "{:<31} {:<8} {:>10} {:>12} {:>10} {:>10}",
        "cipher", "side", "MB/s ×", "CPU/GB ×", "RR ×", "RR/plain"
    );
    for (ci, cipher) in CIPHERS.iter().enumerate() {
        let base = ci * kinds.len();
        let (b_cli, ssh, b_srv) = (med[base], med[base + 1], med[base + 2]);
        println!(
            "{:<31} {:<8} {:>10.2} {:>12.2} {:>10.2} {:>10.2}",
            cipher,
            "client",
            b_cli[0] / ssh[0],
            b_cli[1] / ssh[1],
            b_cli[3] / ssh[3],
            b_cli[3] / plain_us
        );
        println!(
            "{:<31} {:<8} {:>10.2} {:>12.2} {:>10.2} {:>10.2}",
            cipher,
            "server",
            b_srv[0] / ssh[0],
            b_srv[2] / ssh[2],
            b_srv[3] / ssh[3],
            b_srv[3] / plain_us
        );
    }
    println!(
        "(OpenSSH ssh -> sshd RR / plain: {:.2})",
        med[1][3] / plain_us
    );
    drop(tunnels);
}
