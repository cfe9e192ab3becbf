//! Fixture for the end-to-end tests: temp dirs, keys from ssh-keygen, a throwaway sshd, a
//! burrowd from this package, an echo service, and running the built binaries.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod delay_relay;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub const BURROW: &str = env!("CARGO_BIN_EXE_burrow");
pub const BURROWD: &str = env!("CARGO_BIN_EXE_burrowd");

// The generic fixtures come from the workspace's test kit (crates/testkit); the names stay
// here so every test keeps `common::...`.
#[allow(unused_imports)]
pub use burrow_testkit::{TempDir, free_port, require_binary};

/// `ssh-keygen -t ed25519` at `path`.
pub fn keygen(path: &Path) {
    burrow_testkit::keygen_ed25519(path);
}

// One child-process type for every test: the kit's (log file, SIGTERM then SIGKILL on drop).
pub use burrow_testkit::Proc;

/// Starts `program` with `args`, stdin null, stdout null, stderr to `dir/<log>`, `HOME` in
/// `dir` and no agent.
pub fn spawn(program: &str, args: &[String], dir: &TempDir, log: &str) -> Proc {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("XDG_STATE_HOME")
        .env("HOME", &dir.0)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    Proc::spawn(cmd, &dir.join(log))
}

/// Runs `program` to completion with `HOME` in `dir` and no agent (the test kit's `run`:
/// output captured, a panic after 60 s).
pub fn run(program: &str, args: &[String], dir: &TempDir) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("XDG_STATE_HOME")
        .env("HOME", &dir.0);
    burrow_testkit::proc::run(cmd, Duration::from_secs(60))
}

/// Waits until 127.0.0.1:`port` accepts connections.
pub fn wait_port(port: u16, secs: u64) -> bool {
    burrow_testkit::targets::wait_port(port, Duration::from_secs(secs))
}

/// An echo service on 127.0.0.1 (threads), returning its port.
pub fn echo_server() -> u16 {
    burrow_testkit::targets::echo_tcp()
}

/// Sends `data` to `stream`, half-closes and checks that the same bytes come back (the
/// kit's integrity check).
pub fn check_echo(stream: TcpStream, data: &[u8]) {
    burrow_testkit::targets::round_trip(stream, data).unwrap_or_else(|e| panic!("{e}"));
}

/// Deterministic test bytes (the kit's pattern).
pub fn pattern(len: usize) -> Vec<u8> {
    burrow_testkit::targets::pattern(len, 0)
}

/// A throwaway sshd (the kit's) with one authorized ed25519 client key (`client_key`); its
/// host key is `dir/host_key`.
pub struct Sshd {
    pub proc: Proc,
    pub port: u16,
    pub dir: TempDir,
    pub client_key: PathBuf,
    /// The host key's public line.
    pub host_pub: String,
}

/// Starts sshd, or `None` when it is missing (and CI unset).
pub fn start_sshd() -> Option<Sshd> {
    require_binary("ssh-keygen")?;
    let dir = TempDir::new("sshd");
    let client_key = dir.join("client");
    keygen(&client_key);
    let authorized = std::fs::read_to_string(dir.join("client.pub")).unwrap();
    let sshd = burrow_testkit::sshd::Sshd::start_in(dir, &authorized, "ed25519", &[])?;
    let host_pub = std::fs::read_to_string(&sshd.host_pub).unwrap();
    let burrow_testkit::sshd::Sshd {
        proc, port, dir, ..
    } = sshd;
    Some(Sshd {
        proc,
        port,
        dir,
        client_key,
        host_pub,
    })
}

/// `v` as an owned string (argument lists mix literals and formatted values).
pub fn s(v: &str) -> String {
    v.to_owned()
}

/// Another sshd on the fixture's `sshd_config` with `extra` arguments (its host keys, `-o`
/// options), on a free port (another one if it does not come up); logs to `sshd-<n>.log`.
pub fn sshd_with(sshd: &Sshd, extra: &[String]) -> (Proc, u16) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let bin = require_binary("/usr/sbin/sshd").unwrap();
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = sshd.dir.join(&format!("sshd-{n}.log"));
    burrow_testkit::proc::spawn_server("sshd", &log, |port| {
        let mut cmd = Command::new(&bin);
        cmd.args(["-D", "-e", "-f"])
            .arg(sshd.dir.join("sshd_config"))
            .args(["-p", &port.to_string()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        cmd
    })
}

/// True once a connection to `port` reads `SSH-2.0-` (within 10 s).
pub fn wait_banner(port: u16) -> bool {
    burrow_testkit::targets::wait_banner(port, Duration::from_secs(10))
}

/// A burrowd from this package (the kit's launcher) with a config file in its own dir, one
/// authorized key; its host key is `dir/host`.
pub struct Burrowd {
    pub proc: Proc,
    pub port: u16,
    pub dir: TempDir,
    pub client_key: PathBuf,
}

/// Starts burrowd with `extra` config lines; the client key is `client_key` if given (its
/// `.pub` is authorized), else a new one.
pub fn start_burrowd(extra: &[&str], client_key: Option<&Path>) -> Option<Burrowd> {
    require_binary("ssh-keygen")?;
    let dir = TempDir::new("burrowd");
    let key = match client_key {
        Some(k) => k.to_path_buf(),
        None => {
            keygen(&dir.join("client"));
            dir.join("client")
        }
    };
    let authorized = std::fs::read_to_string(burrow_testkit::keys::pub_path(&key)).unwrap();
    let host = dir.join("host");
    let out = run(
        BURROWD,
        &["--generate-host-key".into(), dir.s("host")],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    burrow_testkit::burrow::set_bin_dir(Path::new(BURROWD).parent().unwrap());
    let extra: Vec<String> = extra.iter().map(|l| (*l).to_owned()).collect();
    let d = burrow_testkit::burrow::Burrowd::start_in(dir, &host, &authorized, &extra);
    let burrow_testkit::burrow::Burrowd {
        proc, port, dir, ..
    } = d;
    Some(Burrowd {
        proc,
        port,
        dir,
        client_key: key,
    })
}

/// Options every client run uses: no user config, a private known_hosts, batch mode.
pub fn client_opts(dir: &TempDir, key: &Path, port: u16) -> Vec<String> {
    vec![
        "-F".into(),
        "/dev/null".into(),
        "-i".into(),
        key.display().to_string(),
        "-p".into(),
        port.to_string(),
        "-o".into(),
        format!("UserKnownHostsFile={}", dir.s("known_hosts")),
        "-o".into(),
        "StrictHostKeyChecking=accept-new".into(),
        "-o".into(),
        "BatchMode=yes".into(),
        "-o".into(),
        "IdentitiesOnly=yes".into(),
    ]
}

/// Reads lines of a child's stderr until one contains `needle`.
pub fn read_until(reader: &mut BufReader<impl Read>, needle: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "EOF before {needle}"
        );
        if line.contains(needle) {
            return line;
        }
    }
}
