//! Handshake latency: from the start (of a process, or of the library call) to the first
//! byte echoed back through a new direct-tcpip channel, burrow against OpenSSH in the same
//! run, against sshd and against burrow's server. See benches/README.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow::{Client, ClientConfig, KeyPair, PublicKey};
use burrow_testkit::targets::echo_tcp as echo;
use common::fixtures::free_port;
use common::{Lab, Proc, child_cmd, hex, median, wait_port};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server to connect to: its port and host key blob.
struct Peer {
    name: &'static str,
    port: u16,
    host_key: Vec<u8>,
}

/// Spawn → one byte written to stdin → the byte read back from stdout (`-W`).
fn time_stdio(mut cmd: std::process::Command) -> f64 {
    let t0 = Instant::now();
    let mut p = Proc::spawn({
        cmd.stderr(std::process::Stdio::null());
        cmd
    });
    p.stdin.as_mut().unwrap().write_all(b"x").unwrap();
    p.stdin.as_mut().unwrap().flush().unwrap();
    let mut b = [0u8; 1];
    p.stdout.as_mut().unwrap().read_exact(&mut b).unwrap();
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    assert_eq!(&b, b"x");
    ms
}

/// Spawn → the `-L` port accepts (polled every ms) → one byte through it and back.
fn time_local(mut cmd: std::process::Command, lport: u16) -> f64 {
    let t0 = Instant::now();
    let p = Proc::spawn({
        cmd.stderr(std::process::Stdio::null());
        cmd
    });
    let mut s = loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", lport)) {
            break s;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "-L never opened");
        std::thread::sleep(Duration::from_millis(1));
    };
    s.set_nodelay(true).unwrap();
    s.write_all(b"x").unwrap();
    let mut b = [0u8; 1];
    s.read_exact(&mut b).unwrap();
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    drop(p);
    ms
}

/// In this process: config with the key file loaded, TCP connect, kex, auth, channel open,
/// one byte there and back.
async fn time_library(lab: &Lab, peer: &Peer, echo_port: u16) -> f64 {
    let t0 = Instant::now();
    let expected = peer.host_key.clone();
    let check = move |_: &str, _: u16, k: &PublicKey| k.to_blob() == expected;
    let mut config = ClientConfig::new(lab.user.clone(), Arc::new(check));
    config.add_key_file(&lab.key, None).unwrap();
    let session = Client::connect("127.0.0.1", peer.port, config)
        .await
        .unwrap();
    let mut ch = session
        .open_direct_tcpip("127.0.0.1", echo_port, "127.0.0.1", 0)
        .await
        .unwrap();
    ch.write_all(b"x").await.unwrap();
    let mut b = [0u8; 1];
    ch.read_exact(&mut b).await.unwrap();
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    drop(ch);
    session.disconnect().await;
    ms
}

fn main() {
    common::child::run_if_child();
    let runs = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(11usize);
    let lab = Lab::start();
    let echo_port = echo();
    let server = |delay: Option<&str>| {
        let mut cmd = child_cmd("server");
        cmd.env("BB_AUTH_BLOB", hex(&lab.key_blob));
        if let Some(d) = delay {
            cmd.env("BB_AUTH_DELAY_MS", d);
        }
        let mut srv = Proc::spawn(cmd);
        let line = srv.line();
        let port: u16 = line.strip_prefix("READY ").unwrap().parse().unwrap();
        wait_port(port, Duration::from_secs(5));
        (srv, port)
    };
    // Defaults (PK_OK held 100 ms + up to 200 ms jitter), and sshd-like (5 + 4 ms).
    let (srv, srv_port) = server(None);
    let (srv_fast, fast_port) = server(Some("5+4"));
    let burrow_host = KeyPair::from_ed25519_seed(&[0x5A; 32])
        .public_key()
        .to_blob();
    let peers = [
        Peer {
            name: "sshd",
            port: lab.sshd.port,
            host_key: lab.sshd.host_key_blob.clone(),
        },
        Peer {
            name: "burrow srv",
            port: srv_port,
            host_key: burrow_host.clone(),
        },
        Peer {
            name: "burrow srv 5+4ms",
            port: fast_port,
            host_key: burrow_host,
        },
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cipher = "aes128-gcm@openssh.com";
    let target = format!("127.0.0.1:{echo_port}");
    let labels = [
        "burrow library (in process)",
        "burrow -W (child process)",
        "ssh -W",
        "burrow -L (child process)",
        "ssh -N -L",
    ];
    let mut results = vec![vec![Vec::new(); labels.len()]; peers.len()];
    let started = Instant::now();
    for _ in 0..runs {
        for (pi, peer) in peers.iter().enumerate() {
            let child = |role: &str| {
                let mut cmd = child_cmd(role);
                lab.child_env(&mut cmd);
                cmd.env("BB_SSHD_PORT", peer.port.to_string())
                    .env("BB_HOST_KEY", hex(&peer.host_key))
                    .env("BB_CIPHER", cipher)
                    .env("BB_TARGET_PORT", echo_port.to_string());
                cmd
            };
            let r = &mut results[pi];
            r[0].push(rt.block_on(time_library(&lab, peer, echo_port)));
            r[1].push(time_stdio(child("stdio")));
            r[2].push(time_stdio(lab.ssh_cmd(peer.port, cipher, &["-W", &target])));
            let lport = free_port();
            let mut cmd = child("client-forward");
            cmd.env("BB_LISTEN_PORT", lport.to_string());
            r[3].push(time_local(cmd, lport));
            let lport = free_port();
            let spec = format!("{lport}:{target}");
            r[4].push(time_local(
                lab.ssh_cmd(peer.port, cipher, &["-N", "-L", &spec]),
                lport,
            ));
        }
    }
    println!(
        "\nhandshake bench: start -> first byte echoed through a new channel, median of {runs} runs, ms ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<30} {:>10} {:>15} {:>18}",
        "client", "to sshd", "to burrow srv", "to burrow srv 5+4"
    );
    let med: Vec<Vec<f64>> = results
        .iter()
        .map(|r| r.iter().map(|v| median(v)).collect())
        .collect();
    for (li, label) in labels.iter().enumerate() {
        println!(
            "{:<30} {:>10.1} {:>15.1} {:>18.1}",
            label, med[0][li], med[1][li], med[2][li]
        );
    }
    println!("\nratios (burrow / OpenSSH, same run):");
    for (pi, peer) in peers.iter().enumerate() {
        println!(
            "to {:<17} -W child/ssh -W {:>5.2}   -L child/ssh -L {:>5.2}   library/ssh -W {:>5.2}",
            peer.name,
            med[pi][1] / med[pi][2],
            med[pi][3] / med[pi][4],
            med[pi][0] / med[pi][2]
        );
    }
    println!(
        "server (ssh -W): burrow server/sshd {:.2}, with a 5+4 ms auth delay {:.2}",
        med[1][2] / med[0][2],
        med[2][2] / med[0][2]
    );
    drop((srv, srv_fast));
}
