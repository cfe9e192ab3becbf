//! Shared pieces of the OpenSSH comparison benches: the interop fixtures (included from
//! `tests/common`), the burrow side run as a child process, loopback sink and echo servers,
//! CPU and RSS readings from /proc, and medians.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/common/mod.rs"]
pub mod fixtures;

pub mod child;
pub mod procfs;
pub mod servers;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use fixtures::sshd::Sshd;
use fixtures::{TempDir, keygen_ed25519, require_binary};

/// The cipher names compared.
pub const CIPHERS: [&str; 2] = ["aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com"];

/// Median of `v` (mean of the middle two for an even count).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// A throwaway sshd (curve25519 kex so both clients do the same key exchange) and a client
/// key file that it accepts, for `ssh` and for the burrow children alike.
pub struct Lab {
    pub sshd: Sshd,
    pub dir: TempDir,
    pub key: PathBuf,
    pub key_blob: Vec<u8>,
    pub ssh: PathBuf,
    pub user: String,
}

impl Lab {
    pub fn start() -> Lab {
        let ssh = require_binary("ssh").expect("ssh is required");
        let sshd = Sshd::start(&["KexAlgorithms curve25519-sha256", "MaxSessions 10000"])
            .expect("/usr/sbin/sshd is required");
        let dir = TempDir::new("bench");
        let key = dir.join("id");
        keygen_ed25519(&key);
        let publine = std::fs::read_to_string(dir.join("id.pub")).unwrap();
        let key_blob = fixtures::public_key_blob(&dir.join("id.pub"));
        let ak = sshd.dir.join("authorized_keys");
        let mut f = std::fs::OpenOptions::new().append(true).open(ak).unwrap();
        f.write_all(publine.as_bytes()).unwrap();
        Lab {
            sshd,
            dir,
            key,
            key_blob,
            ssh,
            user: fixtures::auth::local_user(),
        }
    }

    /// `ssh` with the lab key against `port`, cipher `cipher`, then `args` and the destination.
    pub fn ssh_cmd(&self, port: u16, cipher: &str, args: &[&str]) -> Command {
        let mut cmd = fixtures::ssh::ssh_command(&self.ssh, port, self.dir.path());
        cmd.arg("-i").arg(&self.key);
        cmd.args(["-c", cipher, "-o", "LogLevel=ERROR"]);
        cmd.args(args).arg(format!("{}@127.0.0.1", self.user));
        // ssh_command's IdentityFile=/dev/null makes ssh warn on every start: keep its
        // stderr in a file (read it when a tunnel does not come up).
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("ssh.log"))
            .unwrap();
        cmd.stderr(log);
        cmd
    }

    /// Environment for a burrow child talking to this lab's sshd.
    pub fn child_env(&self, cmd: &mut Command) {
        cmd.env("BB_SSHD_PORT", self.sshd.port.to_string())
            .env("BB_HOST_KEY", hex(&self.sshd.host_key_blob))
            .env("BB_KEY_FILE", &self.key)
            .env("BB_USER", &self.user);
    }
}

/// A command re-running this bench binary as a burrow child in `role`.
pub fn child_cmd(role: &str) -> Command {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.env(child::ROLE_VAR, role);
    cmd
}

/// A child process (burrow or ssh) that is killed on drop.
pub struct Proc {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: Option<BufReader<ChildStdout>>,
}

impl Proc {
    pub fn spawn(mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().map(BufReader::new);
        Proc {
            child,
            stdin,
            stdout,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line the child prints (a burrow child's `READY <port>` etc).
    pub fn line(&mut self) -> String {
        let mut s = String::new();
        self.stdout.as_mut().unwrap().read_line(&mut s).unwrap();
        assert!(!s.is_empty(), "child ended early");
        s.trim().to_owned()
    }

    /// Sends a line to the child.
    pub fn send(&mut self, line: &str) {
        let w = self.stdin.as_mut().unwrap();
        writeln!(w, "{line}").unwrap();
        w.flush().unwrap();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.child.kill().unwrap_or_default();
        self.child.wait().map(drop).unwrap_or_default();
    }
}

/// Waits until 127.0.0.1:`port` accepts (the test kit's wait); panics after `limit`.
pub fn wait_port(port: u16, limit: Duration) {
    assert!(
        burrow_testkit::targets::wait_port(port, limit),
        "port {port} never opened"
    );
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
