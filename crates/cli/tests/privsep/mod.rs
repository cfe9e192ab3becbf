//! Fixture for the privilege-separation tests (run as root): throwaway system users made
//! with `useradd` (unique names, removed on drop), a root burrowd with their keys, and a
//! look at its per-connection processes in /proc.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::common::{BURROWD, Proc, TempDir, keygen, run};

/// True when the tests can run: as root with useradd and ssh; with `CI` set, anything
/// missing fails the test instead.
pub fn can_run() -> bool {
    let root =
        std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
    if !root {
        assert!(
            std::env::var_os("CI").is_none(),
            "these tests need root (CI is set)"
        );
        eprintln!("skipping: not root (set CI to make this a failure)");
        return false;
    }
    [
        "/usr/sbin/useradd",
        "/usr/sbin/userdel",
        "ssh",
        "ssh-keygen",
    ]
    .iter()
    .all(|b| crate::common::require_binary(b).is_some())
}

/// A system user that exists until dropped, with an ed25519 key in `~/.ssh/authorized_keys`.
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
    /// The client's private key (kept in a root-only temp dir).
    pub key: PathBuf,
    _keys: TempDir,
}

/// useradd/userdel take a lock on /etc/passwd; one at a time in this process, retried when
/// another process holds it.
static USERADD: Mutex<()> = Mutex::new(());

fn retry(args: &[&str]) {
    let _one = USERADD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for _ in 0..100 {
        let out = Command::new(args[0])
            .args(&args[1..])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        if out.status.success() {
            return;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        if !err.contains("lock") {
            panic!("{args:?}: {err}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{args:?}: /etc/passwd stayed locked");
}

impl User {
    /// A new user named `bw<tag><pid>n<k>`, in the `users` group too; `locked` keeps
    /// useradd's `!` password (a locked account), otherwise the password is `*` (keys only).
    pub fn new(tag: &str, locked: bool) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "bw{tag}{}n{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut args = vec![
            "/usr/sbin/useradd",
            "-m",
            "-U",
            "-G",
            "users",
            "-s",
            "/bin/sh",
        ];
        if !locked {
            args.extend(["-p", "*"]);
        }
        args.push(&name);
        retry(&args);
        let id = |flag: &str| -> u32 {
            let out = Command::new("id").args([flag, &name]).output().unwrap();
            String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
        };
        let (uid, gid) = (id("-u"), id("-g"));
        let home = PathBuf::from(format!("/home/{name}"));
        let keys = TempDir::new("user-key");
        keygen(&keys.join("id"));
        let ssh = home.join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o700)).unwrap();
        let ak = ssh.join("authorized_keys");
        std::fs::copy(keys.join("id.pub"), &ak).unwrap();
        std::fs::set_permissions(&ak, std::fs::Permissions::from_mode(0o600)).unwrap();
        for p in [&ssh, &ak] {
            std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
        }
        Self {
            name,
            uid,
            gid,
            home,
            key: keys.join("id"),
            _keys: keys,
        }
    }

    /// `usermod` with `args` on this user.
    pub fn usermod(&self, args: &[&str]) {
        let mut all = vec!["/usr/sbin/usermod"];
        all.extend_from_slice(args);
        all.push(&self.name);
        retry(&all);
    }
}

impl Drop for User {
    fn drop(&mut self) {
        let name = self.name.clone();
        retry(&["/usr/sbin/userdel", "-r", "-f", &name]);
    }
}

/// A burrowd started as root with the given config lines (user's own authorized_keys,
/// StrictModes on), optionally under an open-files limit.
pub struct Daemon {
    pub proc: Proc,
    pub port: u16,
    pub dir: TempDir,
}

pub fn start_daemon(extra: &[&str], nofile: Option<u32>) -> Daemon {
    let dir = TempDir::new("privsep");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o700)).unwrap();
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
    let (proc, port) = burrow_testkit::proc::spawn_server(
        "burrowd",
        &dir.join("burrowd.log"),
        |port| {
            let mut config = format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nLogLevel DEBUG1\nMaxStartups 100\n",
                dir.s("host")
            );
            for l in extra {
                config.push_str(l);
                config.push('\n');
            }
            std::fs::write(dir.join("burrowd_config"), config).unwrap();
            let mut cmd = match nofile {
                None => Command::new(BURROWD),
                Some(n) => {
                    let mut sh = Command::new("/bin/sh");
                    sh.arg("-c")
                        .arg(format!(
                            "ulimit -Sn {n} && ulimit -Hn {n} && exec \"$0\" \"$@\""
                        ))
                        .arg(BURROWD);
                    sh
                }
            };
            cmd.args(["-D", "-e", "-f"])
                .arg(dir.join("burrowd_config"))
                .env_remove("SSH_AUTH_SOCK")
                .env_remove("XDG_STATE_HOME")
                .env("HOME", &dir.0)
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            cmd
        },
    );
    Daemon { proc, port, dir }
}

/// The `burrowd --session` processes the listener `pid` runs now.
pub fn session_processes(listener: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let is_session = cmdline.split(|&b| b == 0).any(|a| a == b"--session");
        if is_session && status_field(pid, "PPid").as_deref() == Some(&listener.to_string()) {
            found.push(pid);
        }
    }
    found
}

/// Waits until the listener runs exactly one session process and returns it.
pub fn the_session_process(listener: u32) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p = session_processes(listener);
        if p.len() == 1 || Instant::now() > deadline {
            assert_eq!(p.len(), 1, "session processes: {p:?}");
            return p[0];
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A field of /proc/`pid`/status (`Uid`, `Groups`, ...), its value trimmed.
pub fn status_field(pid: u32, field: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    task_field(&text, field)
}

/// A field of a status file's text.
pub fn task_field(text: &str, field: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .map(|v| v.trim().to_owned())
}
