//! The measures, one contender at a time: bulk `-L`/`-R` per cipher with CPU per GB and
//! 1-byte ping-pong, handshake latency and rate, memory per channel with the echo time,
//! and one channel through the 100 ms relay.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::common::median;
use crate::common::servers::{ping_pong, ping_pong_conn, push};
use crate::net::{counting_echo, delay_relay, rate_sink, timed_push};
use crate::peers::{Dir, Imp, Killed, Peers, TunnelSpec};
use crate::report::Report;

/// How much of everything a run does.
pub struct Sizes {
    pub reps: usize,
    pub bulk_bytes: u64,
    pub round_trips: usize,
    pub channels: usize,
    pub hs_clients: usize,
    pub hs_time: Duration,
    pub relay_warmup: Duration,
    pub relay_window: Duration,
}

/// The targets behind the tunnels and the relays in front of the servers.
pub struct Bench<'a> {
    pub peers: &'a Peers,
    pub sizes: &'a Sizes,
    pub report: Report,
    /// benches/common's sink/echo target (mode byte first).
    target: u16,
    echo: (u16, Arc<AtomicU64>),
    sink: (u16, Arc<AtomicU64>),
    relays: Vec<(Imp, u16)>,
}

const RTT_HALF: Duration = Duration::from_millis(50);

fn short(cipher: &str) -> &str {
    cipher.split('@').next().unwrap_or(cipher)
}

fn flag(dir: Dir) -> &'static str {
    if dir == Dir::Local { "-L" } else { "-R" }
}

impl<'a> Bench<'a> {
    /// Starts the targets and one relay per server.
    pub fn new(peers: &'a Peers, sizes: &'a Sizes) -> Bench<'a> {
        let relays = Imp::ALL
            .iter()
            .map(|&imp| (imp, delay_relay(peers.port(imp), RTT_HALF)))
            .collect();
        Bench {
            peers,
            sizes,
            report: Report::default(),
            target: crate::common::servers::target(),
            echo: counting_echo(),
            sink: rate_sink(),
            relays,
        }
    }

    fn spec(&self, dir: Dir, cipher: Option<&'a str>) -> TunnelSpec<'a> {
        TunnelSpec {
            dir,
            target: self.target,
            cipher,
            via: None,
            echo_mode: true,
        }
    }

    /// Bulk transfer through a fresh tunnel, then (chacha20 only, every contender has it)
    /// 1-byte ping-pong through the same tunnel.
    pub fn bulk(&mut self, imp: Imp, cipher: &'a str, dir: Dir) {
        self.peers.quiet(imp);
        let Some(t) = self.peers.tunnel(imp, self.spec(dir, Some(cipher))) else {
            eprintln!("{}: no {} tunnel with {cipher}", imp.label(), flag(dir));
            return;
        };
        let p = format!("bulk {} {}", flag(dir), short(cipher));
        let bytes = self.sizes.bulk_bytes;
        let (c0, s0) = t.cpu();
        let t0 = Instant::now();
        assert_eq!(push(t.port, bytes), bytes, "{p}: bytes lost");
        let dt = t0.elapsed().as_secs_f64();
        let (c1, s1) = t.cpu();
        let gb = bytes as f64 / 1e9;
        self.report
            .add(&format!("{p}, MB/s"), imp, bytes as f64 / dt / 1e6);
        let cpu = |a: u64, b: u64| b.saturating_sub(a) as f64 / 1e9 / gb;
        self.report
            .add(&format!("{p}, client CPU s/GB"), imp, cpu(c0, c1));
        self.report
            .add(&format!("{p}, server CPU s/GB"), imp, cpu(s0, s1));
        let both = cpu(c0 + s0, c1 + s1);
        self.report
            .add(&format!("{p}, client+server CPU s/GB"), imp, both);
        if !cipher.starts_with("chacha20") {
            return;
        }
        let mut s = ping_pong_conn(t.port);
        ping_pong(&mut s, 20);
        let (c0, s0) = t.cpu();
        let rtts = ping_pong(&mut s, self.sizes.round_trips);
        let (c1, s1) = t.cpu();
        let n = self.sizes.round_trips as f64;
        let f = flag(dir);
        self.report
            .add(&format!("1-byte ping-pong {f}, µs"), imp, median(&rtts));
        let cpu = (c1 + s1).saturating_sub(c0 + s0) as f64 / 1e3 / n;
        self.report.add(
            &format!("CPU per round trip {f} (client+server), µs"),
            imp,
            cpu,
        );
    }

    /// Plain TCP ping-pong to the same echo, for reference.
    pub fn plain_rtt(&mut self) {
        let mut s = ping_pong_conn(self.target);
        ping_pong(&mut s, 20);
        let v = median(&ping_pong(&mut s, self.sizes.round_trips));
        self.report.add_ref("plain TCP 1-byte ping-pong, µs", v);
    }

    /// `-W` from process start to the first echoed byte, and `-L` from process start to a
    /// byte echoed through the forward.
    pub fn handshake(&mut self, imp: Imp) {
        self.peers.quiet(imp);
        if let Some(ms) = w_login(self.peers, imp, self.target) {
            self.report
                .add("handshake -W, start → first byte, ms", imp, ms);
        }
        self.peers.quiet(imp);
        let t0 = Instant::now();
        if self
            .peers
            .tunnel(imp, self.spec(Dir::Local, None))
            .is_some()
        {
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            self.report
                .add("handshake -L, start → forward echoes, ms", imp, ms);
        }
    }

    /// `hs_clients` loops of `-W` logins in parallel for `hs_time`: completed logins per second.
    pub fn handshake_rate(&mut self, imp: Imp) {
        let done = AtomicU64::new(0);
        let t0 = Instant::now();
        std::thread::scope(|sc| {
            for _ in 0..self.sizes.hs_clients {
                sc.spawn(|| {
                    while t0.elapsed() < self.sizes.hs_time {
                        if w_login(self.peers, imp, self.target).is_some() {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let rate = done.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64();
        let name = format!(
            "handshakes/s, {} parallel -W clients",
            self.sizes.hs_clients
        );
        self.report.add(&name, imp, rate);
    }

    /// RSS per channel (client and server) with `channels` idle `-L` connections, then after
    /// a 64-byte echo on each, and the time of those echoes (all written, then all read).
    pub fn memory(&mut self, imp: Imp) {
        self.peers.quiet(imp);
        let spec = TunnelSpec {
            target: self.echo.0,
            echo_mode: false,
            ..self.spec(Dir::Local, Some("chacha20-poly1305@openssh.com"))
        };
        let Some(t) = self.peers.tunnel(imp, spec) else {
            eprintln!("{}: no tunnel for the memory measure", imp.label());
            return;
        };
        let settle = Duration::from_millis(300);
        std::thread::sleep(settle);
        let (c0, s0) = t.rss();
        let n = self.sizes.channels;
        let before = self.echo.1.load(Ordering::Relaxed);
        let mut conns: Vec<TcpStream> = (0..n)
            .map(|_| TcpStream::connect(("127.0.0.1", t.port)).unwrap())
            .collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.echo.1.load(Ordering::Relaxed) < before + n as u64 {
            if Instant::now() > deadline {
                eprintln!(
                    "{}: only {} channels reached the echo",
                    imp.label(),
                    self.echo.1.load(Ordering::Relaxed) - before
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(settle);
        let (c1, s1) = t.rss();
        let msg = [0x61u8; 64];
        let mut back = [0u8; 64];
        let t0 = Instant::now();
        for c in &mut conns {
            c.set_nodelay(true).ok();
            c.write_all(&msg).unwrap();
        }
        for c in &mut conns {
            c.read_exact(&mut back).unwrap();
        }
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        std::thread::sleep(settle);
        let (c2, s2) = t.rss();
        let per = |a: u64, b: u64| (b as f64 - a as f64) / n as f64;
        for (name, v) in [
            (
                format!("KiB per idle channel, client ({n} channels)"),
                per(c0, c1),
            ),
            (
                format!("KiB per idle channel, server ({n} channels)"),
                per(s0, s1),
            ),
            (
                "KiB per channel after a 64-byte echo, client".into(),
                per(c0, c2),
            ),
            (
                "KiB per channel after a 64-byte echo, server".into(),
                per(s0, s2),
            ),
            (
                format!("{n} 64-byte echoes (all written, then all read), ms"),
                ms,
            ),
        ] {
            self.report.add(&name, imp, v);
        }
    }

    /// One `-L` channel (chacha20-poly1305) through the 100 ms RTT relay: MB/s once warm.
    pub fn long_path(&mut self, imp: Imp) {
        self.peers.quiet(imp);
        let via = self.relays.iter().find(|r| r.0 == imp).map(|r| r.1);
        let spec = TunnelSpec {
            target: self.sink.0,
            via,
            ..self.spec(Dir::Local, Some("chacha20-poly1305@openssh.com"))
        };
        let Some(t) = self.peers.tunnel(imp, spec) else {
            eprintln!("{}: no tunnel through the relay", imp.label());
            return;
        };
        let (w, win) = (self.sizes.relay_warmup, self.sizes.relay_window);
        let rate = timed_push(t.port, &self.sink.1, w, win);
        self.report
            .add("one -L channel at 100 ms RTT (relay), MB/s", imp, rate);
    }

    /// Plain TCP through a fresh 100 ms relay into the same sink: the relay's own ceiling.
    pub fn relay_ceiling(&mut self) {
        let relay = delay_relay(self.sink.0, RTT_HALF);
        let (w, win) = (self.sizes.relay_warmup, self.sizes.relay_window);
        let rate = timed_push(relay, &self.sink.1, w, win);
        self.report
            .add_ref("plain TCP through the 100 ms relay, MB/s", rate);
    }
}

/// One `-W` login: process start until the byte written to its stdin comes back, in ms.
fn w_login(peers: &Peers, imp: Imp, target: u16) -> Option<f64> {
    let to = format!("127.0.0.1:{target}");
    let mut cmd = peers.client(imp, peers.port(imp), None, &["-W", &to]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let t0 = Instant::now();
    let mut child = Killed(cmd.spawn().ok()?);
    let mut stdin = child.0.stdin.take()?;
    let mut stdout = child.0.stdout.take()?;
    stdin.write_all(b"Ex").ok()?;
    let mut b = [0u8; 1];
    stdout.read_exact(&mut b).ok()?;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    drop(stdin);
    // Let it end by itself (EOF on stdin) so no server is left with a half-dead session.
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && !matches!(child.0.try_wait(), Ok(Some(_))) {
        std::thread::sleep(Duration::from_millis(2));
    }
    (b == *b"x").then_some(ms)
}
