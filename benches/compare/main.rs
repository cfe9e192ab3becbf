//! Side-by-side benchmark of the real binaries on 127.0.0.1 (issues 15 and 12): OpenSSH
//! (`ssh` -> `sshd`), Dropbear (`ssh` -> `dropbear`), and burrow (`burrow` -> `burrowd`,
//! as the throwaway user and as root with privilege separation), repetitions interleaved.
//! Prints a Markdown table of medians (min–max) with ratios to OpenSSH and writes JSON.
//! `--quick`: tiny sizes, one repetition (CI). Needs root. See benches/README.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../common/mod.rs"]
mod common;
mod net;
mod peers;
mod report;
mod scenarios;

use std::process::Command;
use std::time::{Duration, Instant};

use peers::{Dir, Imp, Peers};
use scenarios::{Bench, Sizes};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sizes(quick: bool) -> Sizes {
    if quick {
        return Sizes {
            reps: 1,
            bulk_bytes: 4 << 20,
            round_trips: 50,
            channels: 50,
            hs_clients: 2,
            hs_time: Duration::from_millis(500),
            relay_warmup: Duration::from_millis(300),
            relay_window: Duration::from_millis(300),
        };
    }
    Sizes {
        reps: env_or("BENCH_RUNS", 5),
        bulk_bytes: env_or::<u64>("BENCH_MIB", 256) << 20,
        round_trips: env_or("BENCH_RR", 2000),
        channels: env_or("BENCH_CHANNELS", 1000),
        hs_clients: 4,
        hs_time: Duration::from_secs(3),
        relay_warmup: Duration::from_secs(1),
        relay_window: Duration::from_secs(2),
    }
}

/// The first line of a command's output (stdout or stderr), for the versions header.
fn first_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| {
            let text = [o.stdout, o.stderr].concat();
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default()
}

fn raise_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        setrlimit(Resource::RLIMIT_NOFILE, hard.min(65536), hard).ok();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let json_path = args
        .iter()
        .position(|a| a == "--json")
        .and_then(|i| args.get(i + 1))
        .map(Into::into)
        .unwrap_or_else(|| peers::bin_dir().join("compare.json"));
    if !nix::unistd::geteuid().is_root() {
        eprintln!("compare needs root (a throwaway user, sshd, burrowd's privilege separation)");
        std::process::exit(if std::env::var_os("CI").is_some() {
            1
        } else {
            0
        });
    }
    // `--only handshake,rate,memory,...`: run just those measures (bulk with its ping-pong,
    // rtt for plain TCP, handshake, rate, memory, long_path); all of them by default.
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|l| l.split(',').map(str::to_owned).collect());
    let want = |name: &str| only.as_ref().is_none_or(|l| l.iter().any(|x| x == name));
    raise_fd_limit();
    let sizes = sizes(quick);
    let started = Instant::now();
    let peers = Peers::start();
    let mut bench = Bench::new(&peers, &sizes);
    for rep in 0..sizes.reps {
        // Interleaved: every measure visits every contender once per repetition, starting
        // from a different one each time.
        let order: Vec<Imp> = (0..Imp::ALL.len())
            .map(|i| Imp::ALL[(i + rep) % Imp::ALL.len()])
            .collect();
        eprintln!(
            "repetition {} of {} ({:.0} s)",
            rep + 1,
            sizes.reps,
            started.elapsed().as_secs_f64()
        );
        if want("bulk") {
            for cipher in common::CIPHERS {
                for dir in [Dir::Local, Dir::Remote] {
                    order.iter().for_each(|&i| bench.bulk(i, cipher, dir));
                }
            }
        }
        if want("rtt") {
            bench.plain_rtt();
        }
        if want("handshake") {
            order.iter().for_each(|&i| bench.handshake(i));
        }
        if want("rate") {
            order.iter().for_each(|&i| bench.handshake_rate(i));
        }
        if want("memory") {
            order.iter().for_each(|&i| bench.memory(i));
        }
        if want("long_path") {
            order.iter().for_each(|&i| bench.long_path(i));
            bench.relay_ceiling();
        }
    }
    let header: Vec<(String, String)> = [
        ("date", first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"])),
        ("mode", if quick { "quick" } else { "full" }.into()),
        ("repetitions", sizes.reps.to_string()),
        ("bulk_bytes", sizes.bulk_bytes.to_string()),
        ("kernel", first_line("uname", &["-sr"])),
        ("cpus", first_line("nproc", &[])),
        (
            "load_at_end",
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        ),
        ("openssh", first_line("ssh", &["-V"])),
        ("dropbear", first_line("dropbear", &["-V"])),
        (
            "burrow",
            first_line(peers::bin_dir().join("burrow").to_str().unwrap(), &["-V"]),
        ),
        ("seconds", format!("{:.0}", started.elapsed().as_secs_f64())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in &header {
        println!("{k}: {v}");
    }
    println!("\n{}", bench.report.markdown());
    std::fs::write(&json_path, bench.report.json(&header)).unwrap();
    println!("JSON: {}", std::path::Path::new(&json_path).display());
}
