//! The interop matrix (issue 16): every forwarding mode × cipher × pairing of burrow with
//! OpenSSH, Dropbear and AsyncSSH, each cell carrying 1 MiB both ways through an echo with
//! an integrity check and half-close, plus the load and failure cases in `extras`. Prints
//! the matrix and writes it to `target/interop-matrix.md` (committed as tests/INTEROP.md).
//!
//! Debian's dbclient 2022.83 always negotiates zlib@openssh.com when the server offers it;
//! burrowd offers only `none`, so the dbclient→burrowd cells run uncompressed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "interop_matrix/extras.rs"]
mod extras;
#[path = "interop_matrix/peers.rs"]
mod peers;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use burrow_testkit::socks::{self, Socks};
use burrow_testkit::targets::{round_trip, tcp_round_trip, unix_round_trip};
use peers::{Client, Endpoint, Fixture, Server};

/// Bytes each cell sends (and gets back).
const CELL_BYTES: usize = 1 << 20;
/// Sessions run at once.
const PARALLEL: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClientKind {
    Burrow,
    Ssh,
    Dbclient,
    AsyncSsh,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServerKind {
    Sshd,
    Burrowd,
    Dropbear,
    AsyncSsh,
}

/// A forwarding mode (one row of the matrix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// `-L port:host:port`.
    L,
    /// `-R port:host:port`.
    R,
    /// `-R 0:host:port`, the allocated port read from the client.
    R0,
    /// `-D`, SOCKS5 CONNECT by name.
    D5,
    /// `-D`, SOCKS4 CONNECT by address.
    D4,
    /// `-D`, SOCKS4a CONNECT by name.
    D4a,
    /// Reverse dynamic `-R port` (SOCKS5 through the server's listener).
    RD,
    /// `-W host:port` (dbclient `-B`).
    W,
    /// `-L local.sock:remote.sock` (direct-streamlocal@openssh.com).
    UL,
    /// `-R remote.sock:local.sock` (streamlocal-forward@openssh.com).
    UR,
}

const MODES: [Mode; 10] = [
    Mode::L,
    Mode::R,
    Mode::R0,
    Mode::D5,
    Mode::D4,
    Mode::D4a,
    Mode::RD,
    Mode::W,
    Mode::UL,
    Mode::UR,
];

/// A cipher column: the cipher and, for non-AEAD ciphers, the MAC.
pub struct Cipher {
    pub cipher: &'static str,
    pub mac: Option<&'static str>,
}

const CIPHERS: [Cipher; 5] = [
    Cipher {
        cipher: "chacha20-poly1305@openssh.com",
        mac: None,
    },
    Cipher {
        cipher: "aes128-gcm@openssh.com",
        mac: None,
    },
    Cipher {
        cipher: "aes256-gcm@openssh.com",
        mac: None,
    },
    Cipher {
        cipher: "aes128-ctr",
        mac: Some("hmac-sha2-256-etm@openssh.com"),
    },
    Cipher {
        cipher: "aes256-ctr",
        mac: Some("hmac-sha2-256"),
    },
];

const PAIRINGS: [(ClientKind, ServerKind); 7] = [
    (ClientKind::Burrow, ServerKind::Sshd),
    (ClientKind::Ssh, ServerKind::Burrowd),
    (ClientKind::Burrow, ServerKind::Burrowd),
    (ClientKind::Burrow, ServerKind::Dropbear),
    (ClientKind::Dbclient, ServerKind::Burrowd),
    (ClientKind::Burrow, ServerKind::AsyncSsh),
    (ClientKind::AsyncSsh, ServerKind::Burrowd),
];

fn pairing_name((c, s): (ClientKind, ServerKind)) -> String {
    let c = match c {
        ClientKind::Burrow => "burrow",
        ClientKind::Ssh => "ssh",
        ClientKind::Dbclient => "dbclient",
        ClientKind::AsyncSsh => "AsyncSSH client",
    };
    let s = match s {
        ServerKind::Sshd => "sshd",
        ServerKind::Burrowd => "burrowd",
        ServerKind::Dropbear => "dropbear",
        ServerKind::AsyncSsh => "AsyncSSH server",
    };
    format!("{c} → {s}")
}

/// Why a peer cannot do a cell, or `None` when it can.
fn not_applicable(
    (client, server): (ClientKind, ServerKind),
    mode: Mode,
    c: &Cipher,
) -> Option<&'static str> {
    let dropbear = client == ClientKind::Dbclient || server == ServerKind::Dropbear;
    if dropbear && c.cipher.contains("gcm") {
        return Some("Dropbear 2022.83 has no AES-GCM");
    }
    if dropbear && c.mac.is_some_and(|m| m.contains("etm")) {
        return Some("Dropbear 2022.83 has no -etm MACs");
    }
    match (client, mode) {
        (ClientKind::Dbclient, Mode::D5 | Mode::D4 | Mode::D4a | Mode::RD) => {
            return Some("dbclient has no dynamic (SOCKS) forwarding");
        }
        (ClientKind::Dbclient, Mode::UL | Mode::UR) => {
            return Some("dbclient has no unix-socket forwarding");
        }
        (ClientKind::AsyncSsh, Mode::RD) => {
            return Some("AsyncSSH has no reverse dynamic forwarding");
        }
        (ClientKind::AsyncSsh, Mode::W) => {
            return Some("AsyncSSH has no -W; its direct-tcpip channel is the L cell");
        }
        _ => {}
    }
    if server == ServerKind::Dropbear && matches!(mode, Mode::UL | Mode::UR) {
        return Some("Dropbear has no unix-socket (streamlocal) forwarding");
    }
    None
}

/// A cell's result.
#[derive(Clone, Debug)]
pub enum Outcome {
    Pass(String),
    Fail(String),
    NotApplicable(&'static str),
}

/// Results keyed by (pairing index, mode, cipher index).
type Results = Arc<Mutex<BTreeMap<(usize, Mode, usize), Outcome>>>;

/// Runs one cell through an endpoint the client set up.
fn run_cell(fx: &Fixture, mode: Mode, ep: &Endpoint, seed: u8) -> Result<(), String> {
    match (mode, ep) {
        (_, Endpoint::Failed(e)) => Err(e.clone()),
        (Mode::D5 | Mode::RD, Endpoint::Tcp(p)) => round_trip(
            socks::connect(*p, Socks::V5, fx.echo)?,
            &burrow_testkit::targets::pattern(CELL_BYTES, seed),
        ),
        (Mode::D4, Endpoint::Tcp(p)) => round_trip(
            socks::connect(*p, Socks::V4, fx.echo)?,
            &burrow_testkit::targets::pattern(CELL_BYTES, seed),
        ),
        (Mode::D4a, Endpoint::Tcp(p)) => round_trip(
            socks::connect(*p, Socks::V4a, fx.echo)?,
            &burrow_testkit::targets::pattern(CELL_BYTES, seed),
        ),
        (_, Endpoint::Tcp(p)) => tcp_round_trip(*p, CELL_BYTES, seed),
        (_, Endpoint::Unix(p)) => unix_round_trip(p, CELL_BYTES, seed),
    }
}

/// One pairing with one cipher: a server, one client with every forward, then each cell.
fn run_session(fx: &Fixture, pi: usize, ci: usize, results: &Results) {
    let pairing = PAIRINGS[pi];
    let cipher = &CIPHERS[ci];
    let mut todo = Vec::new();
    for &m in &MODES {
        let outcome = not_applicable(pairing, m, cipher).map(Outcome::NotApplicable);
        match outcome {
            Some(o) => {
                results.lock().unwrap().insert((pi, m, ci), o);
            }
            None => todo.push(m),
        }
    }
    if todo.is_empty() {
        return;
    }
    let record = |m: Mode, o: Outcome| {
        results.lock().unwrap().insert((pi, m, ci), o);
    };
    let Some(server) = Server::start(fx, pairing.1, cipher, &[]) else {
        todo.iter()
            .for_each(|&m| record(m, Outcome::Fail("server peer missing".into())));
        return;
    };
    let forwards: Vec<Mode> = todo.iter().copied().filter(|&m| m != Mode::W).collect();
    if !forwards.is_empty() {
        match Client::start(fx, pairing.0, &server, cipher, &forwards, &[]) {
            None => forwards
                .iter()
                .for_each(|&m| record(m, Outcome::Fail("client peer missing".into()))),
            Some(Err(e)) => forwards
                .iter()
                .for_each(|&m| record(m, Outcome::Fail(e.clone()))),
            Some(Ok(client)) => {
                for (i, &m) in forwards.iter().enumerate() {
                    let start = Instant::now();
                    let ep = client
                        .endpoints
                        .get(&m)
                        .cloned()
                        .unwrap_or(Endpoint::Failed("no endpoint".into()));
                    let o = match run_cell(fx, m, &ep, i as u8) {
                        Ok(()) => Outcome::Pass(format!("{:.1} s", start.elapsed().as_secs_f64())),
                        Err(e) => Outcome::Fail(format!("{e}\nclient log:\n{}", client.log_tail())),
                    };
                    record(m, o);
                }
            }
        }
    }
    if todo.contains(&Mode::W) {
        let start = Instant::now();
        let o = match peers::stdio_forward(fx, pairing.0, &server, cipher, CELL_BYTES) {
            None => Outcome::Fail("client peer missing".into()),
            Some(Ok(())) => Outcome::Pass(format!("{:.1} s", start.elapsed().as_secs_f64())),
            Some(Err(e)) => Outcome::Fail(e),
        };
        record(Mode::W, o);
    }
}

/// Runs `jobs` on `PARALLEL` threads.
fn pool(jobs: Vec<Box<dyn FnOnce() + Send>>) {
    let queue = Arc::new(Mutex::new(jobs));
    let workers: Vec<_> = (0..PARALLEL)
        .map(|_| {
            let q = queue.clone();
            std::thread::spawn(move || {
                loop {
                    let job = q.lock().unwrap().pop();
                    match job {
                        Some(j) => j(),
                        None => break,
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("matrix worker panicked");
    }
}

fn cell_text(o: Option<&Outcome>) -> &'static str {
    match o {
        Some(Outcome::Pass(_)) => "pass",
        Some(Outcome::Fail(_)) => "**FAIL**",
        Some(Outcome::NotApplicable(_)) => "n/a",
        None => "?",
    }
}

/// The matrix as Markdown, with every failure and n/a reason spelled out.
fn report(
    results: &BTreeMap<(usize, Mode, usize), Outcome>,
    extras: &[(String, Outcome)],
    wall: Duration,
) -> String {
    let mut md = String::from("# Interop matrix\n\n");
    let _ = writeln!(
        md,
        "Written by `cargo test -p burrow-suite --test interop_matrix` (tests/interop_matrix.rs)."
    );
    let _ = writeln!(
        md,
        "Peers: {}; burrow {}.\n",
        peers::peer_versions().join("; "),
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        md,
        "Each cell: {} KiB through the forward to an echo and back, half-close, byte-for-byte and hash check. Debian's dbclient negotiates zlib@openssh.com whenever offered; burrowd offers only `none`, so dbclient→burrowd runs uncompressed.\n",
        CELL_BYTES / 1024
    );
    let (mut pass, mut fail, mut na) = (0, 0, 0);
    let mut notes: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (pi, &pairing) in PAIRINGS.iter().enumerate() {
        let _ = writeln!(md, "## {}\n", pairing_name(pairing));
        let head: Vec<String> = CIPHERS
            .iter()
            .map(|c| match c.mac {
                Some(m) => format!("{} + {m}", c.cipher),
                None => c.cipher.to_owned(),
            })
            .collect();
        let _ = writeln!(md, "| mode | {} |", head.join(" | "));
        let _ = writeln!(md, "|---|{}", "---|".repeat(CIPHERS.len()));
        for &m in &MODES {
            let row: Vec<&str> = (0..CIPHERS.len())
                .map(|ci| {
                    let o = results.get(&(pi, m, ci));
                    match o {
                        Some(Outcome::Pass(_)) => pass += 1,
                        Some(Outcome::Fail(e)) => {
                            fail += 1;
                            notes
                                .entry(format!("FAIL {} {m:?} {}", pairing_name(pairing), head[ci]))
                                .or_default()
                                .insert(e.lines().next().unwrap_or("").to_owned());
                        }
                        Some(Outcome::NotApplicable(why)) => {
                            na += 1;
                            notes
                                .entry(format!("n/a: {why}"))
                                .or_default()
                                .insert(format!("{} {m:?}", pairing_name(pairing)));
                        }
                        None => {}
                    }
                    cell_text(o)
                })
                .collect();
            let _ = writeln!(md, "| {m:?} | {} |", row.join(" | "));
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "## Load and failure cases\n\n| case | result |\n|---|---|"
    );
    for (name, o) in extras {
        let text = match o {
            Outcome::Pass(note) => format!("pass ({note})"),
            Outcome::Fail(e) => format!("**FAIL**: {}", e.lines().next().unwrap_or("")),
            Outcome::NotApplicable(w) => format!("n/a ({w})"),
        };
        let _ = writeln!(md, "| {name} | {text} |");
    }
    let _ = writeln!(
        md,
        "\nMatrix cells: {pass} pass, {fail} fail, {na} n/a; wall time {:.0} s ({PARALLEL} sessions at a time; load average at the end: {}).\n",
        wall.as_secs_f64(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = writeln!(md, "## Notes\n");
    for (k, v) in notes {
        let _ = writeln!(
            md,
            "- {k}: {}",
            v.into_iter().collect::<Vec<_>>().join("; ")
        );
    }
    md
}

#[test]
fn interop_matrix() {
    let started = Instant::now();
    burrow_testkit::burrow::bin_dir();
    let Some(fx) = Fixture::new() else { return };
    let fx = Arc::new(fx);
    let results: Results = Arc::default();
    let extra_results: Arc<Mutex<Vec<(String, Outcome)>>> = Arc::default();
    let mut jobs: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
    // BURROW_MATRIX_ONLY=<text> runs only the pairings and cases whose name holds it.
    let only = std::env::var("BURROW_MATRIX_ONLY").unwrap_or_default();
    for (pi, &pairing) in PAIRINGS.iter().enumerate() {
        if !pairing_name(pairing).contains(&only) {
            continue;
        }
        for ci in 0..CIPHERS.len() {
            let (fx, results) = (fx.clone(), results.clone());
            jobs.push(Box::new(move || run_session(&fx, pi, ci, &results)));
        }
    }
    for (name, job) in extras::cases()
        .into_iter()
        .filter(|(n, _)| n.contains(&only))
    {
        let (fx, er) = (fx.clone(), extra_results.clone());
        jobs.push(Box::new(move || {
            let o = job(&fx);
            er.lock().unwrap().push((name.to_owned(), o));
        }));
    }
    // The pool pops from the end: long extras first.
    jobs.reverse();
    pool(jobs);
    let results = results.lock().unwrap().clone();
    let mut extras = extra_results.lock().unwrap().clone();
    extras.sort_by(|a, b| a.0.cmp(&b.0));
    let md = report(&results, &extras, started.elapsed());
    println!("{md}");
    let out = burrow_testkit::workspace_root().join("target/interop-matrix.md");
    std::fs::write(&out, &md).expect("write target/interop-matrix.md");
    let failures: Vec<String> = results
        .iter()
        .filter_map(|((pi, m, ci), o)| match o {
            Outcome::Fail(e) => Some(format!(
                "{} {m:?} {}: {e}",
                pairing_name(PAIRINGS[*pi]),
                CIPHERS[*ci].cipher
            )),
            _ => None,
        })
        .chain(extras.iter().filter_map(|(n, o)| match o {
            Outcome::Fail(e) => Some(format!("{n}: {e}")),
            _ => None,
        }))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing cells:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
