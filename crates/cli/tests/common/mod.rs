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

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BURROW: &str = env!("CARGO_BIN_EXE_burrow");
pub const BURROWD: &str = env!("CARGO_BIN_EXE_burrowd");

// The generic fixtures come from the workspace's test kit (crates/testkit); the names stay
// here so every test keeps `common::...`.
pub use burrow_testkit::{TempDir, free_port, require_binary};

/// `ssh-keygen -t ed25519` at `path`.
pub fn keygen(path: &Path) {
    burrow_testkit::keygen_ed25519(path);
}

/// A child process killed (SIGTERM, then SIGKILL) on drop.
pub struct Proc {
    pub child: Child,
    pub stderr_path: PathBuf,
}

impl Proc {
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }
    /// Waits up to `secs` for the exit status.
    pub fn wait_exit(&mut self, secs: u64) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
    /// Waits until stderr holds a line containing `needle`; returns that line.
    pub fn wait_stderr(&self, needle: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Some(l) = self.stderr().lines().find(|l| l.contains(needle)) {
                return l.to_owned();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no \"{needle}\" on stderr:\n{}", self.stderr());
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.signal("-TERM");
            if self.wait_exit(3).is_none() {
                self.child.kill().ok();
                self.child.wait().ok();
            }
        }
    }
}

/// Starts `program` with `args`, stdin null, stdout null, stderr to `dir/<log>`.
pub fn spawn(program: &str, args: &[String], dir: &TempDir, log: &str) -> Proc {
    let stderr_path = dir.join(log);
    let err = std::fs::File::create(&stderr_path).unwrap();
    let child = Command::new(program)
        .args(args)
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("XDG_STATE_HOME")
        .env("HOME", &dir.0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .unwrap();
    Proc { child, stderr_path }
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

/// Sends `data` to `stream` and checks that the same bytes come back.
pub fn check_echo(mut stream: TcpStream, data: &[u8]) {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut w = stream.try_clone().unwrap();
    let d = data.to_vec();
    let writer = std::thread::spawn(move || {
        w.write_all(&d).unwrap();
        w.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    writer.join().unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "echoed data differs");
}

/// Deterministic test bytes.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// A throwaway sshd with one authorized client key (`client_key`).
pub struct Sshd {
    pub proc: Proc,
    pub port: u16,
    pub dir: TempDir,
    pub client_key: PathBuf,
    pub host_pub: String,
}

/// Starts sshd, or `None` when it is missing (and CI unset).
pub fn start_sshd() -> Option<Sshd> {
    let sshd = require_binary("/usr/sbin/sshd")?;
    require_binary("ssh-keygen")?;
    let dir = TempDir::new("sshd");
    std::fs::create_dir_all("/run/sshd").unwrap();
    keygen(&dir.join("host"));
    keygen(&dir.join("client"));
    std::fs::copy(dir.join("client.pub"), dir.join("authorized_keys")).unwrap();
    let config = format!(
        "ListenAddress 127.0.0.1\nPidFile none\nStrictModes no\nUsePAM no\nUseDNS no\n\
         PermitRootLogin prohibit-password\nPubkeyAuthentication yes\nPasswordAuthentication no\n\
         KbdInteractiveAuthentication no\nAuthorizedKeysFile {}\nAllowTcpForwarding yes\n\
         GatewayPorts no\nMaxStartups 1000:30:1000\nLogLevel DEBUG1\n",
        dir.s("authorized_keys")
    );
    std::fs::write(dir.join("sshd_config"), config).unwrap();
    for _ in 0..5 {
        let port = free_port();
        let args = vec![
            "-D".into(),
            "-e".into(),
            "-f".into(),
            dir.s("sshd_config"),
            "-p".into(),
            port.to_string(),
            "-h".into(),
            dir.s("host"),
        ];
        let mut proc = spawn(sshd.to_str().unwrap(), &args, &dir, "sshd.log");
        if wait_banner(port) {
            let host_pub = std::fs::read_to_string(dir.join("host.pub")).unwrap();
            return Some(Sshd {
                proc,
                port,
                client_key: dir.join("client"),
                host_pub,
                dir,
            });
        }
        proc.wait_exit(1);
    }
    panic!("sshd did not start");
}

/// `v` as an owned string (argument lists mix literals and formatted values).
pub fn s(v: &str) -> String {
    v.to_owned()
}

/// Another sshd on the fixture's `sshd_config` with `extra` arguments (its host keys, `-o`
/// options), on a free port (another one if it does not come up); logs to `sshd<port>.log`.
pub fn sshd_with(sshd: &Sshd, extra: &[String]) -> (Proc, u16) {
    let bin = require_binary("/usr/sbin/sshd").unwrap();
    for _ in 0..5 {
        let port = free_port();
        let mut args = vec![s("-D"), s("-e"), s("-f"), sshd.dir.s("sshd_config")];
        args.extend([s("-p"), port.to_string()]);
        args.extend_from_slice(extra);
        let log = format!("sshd{port}.log");
        let mut proc = spawn(bin.to_str().unwrap(), &args, &sshd.dir, &log);
        if wait_banner(port) {
            return (proc, port);
        }
        proc.wait_exit(1);
    }
    panic!("sshd did not start");
}

/// True once a connection to `port` reads `SSH-2.0-` (within 10 s).
pub fn wait_banner(port: u16) -> bool {
    burrow_testkit::targets::wait_banner(port, Duration::from_secs(10))
}

/// A burrowd from this package with a config file in its own dir, one authorized key.
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
    let mut pub_path = key.clone().into_os_string();
    pub_path.push(".pub");
    std::fs::copy(PathBuf::from(pub_path), dir.join("authorized_keys")).unwrap();
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
    for _ in 0..5 {
        let port = free_port();
        let mut config = format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nAuthorizedKeysFile {}\nStrictModes no\nLogLevel DEBUG1\n",
            dir.s("host"),
            dir.s("authorized_keys")
        );
        for l in extra {
            config.push_str(l);
            config.push('\n');
        }
        std::fs::write(dir.join("burrowd_config"), config).unwrap();
        let mut proc = spawn(
            BURROWD,
            &[
                "-D".into(),
                "-e".into(),
                "-f".into(),
                dir.s("burrowd_config"),
            ],
            &dir,
            "burrowd.log",
        );
        if wait_banner(port) {
            return Some(Burrowd {
                proc,
                port,
                dir,
                client_key: key,
            });
        }
        proc.wait_exit(1);
    }
    panic!("burrowd did not start");
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
