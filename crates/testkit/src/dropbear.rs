//! Dropbear (Debian's `dropbear-bin`) as a peer: a throwaway `dropbear` server and the
//! `dbclient` command line.
//!
//! Dropbear reads `authorized_keys` only from the user's `~/.ssh`, so the server runs in a
//! private mount namespace (`unshare -m`) with a temporary home bind-mounted over the
//! user's: the real home is never touched. That needs root; without it the peer counts as
//! missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::keys::{keygen, pub_path, to_dropbear};
use crate::proc::{Proc, spawn_server};
use crate::{TempDir, local_user, missing, require_binary};

/// The home directory of `user` from `getent passwd`.
fn home_of(user: &str) -> Option<PathBuf> {
    let out = Command::new("getent")
        .args(["passwd", user])
        .output()
        .ok()?;
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    line.trim().split(':').nth(5).map(PathBuf::from)
}

/// A running dropbear server on 127.0.0.1; stopped on drop.
pub struct Dropbear {
    /// The dropbear process (PID of `unshare`, which execs dropbear).
    pub proc: Proc,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The host key's public half (OpenSSH format, same key as the Dropbear file).
    pub host_pub: PathBuf,
    /// Keys, the temporary home and `dropbear.log`.
    pub dir: TempDir,
}

impl Dropbear {
    /// Starts dropbear with a `host_kind` host key (made by ssh-keygen, converted with
    /// dropbearconvert) and the `authorized_keys` text for the local user, plus `extra`
    /// arguments. `None` when a binary is missing or the test does not run as root.
    pub fn start(authorized_keys: &str, host_kind: &str, extra: &[&str]) -> Option<Dropbear> {
        let dropbear = require_binary("dropbear")?;
        let unshare = require_binary("unshare")?;
        require_binary("ssh-keygen")?;
        if local_user() != "root" {
            missing("root (dropbear reads ~/.ssh/authorized_keys; the tests bind-mount a home)");
            return None;
        }
        let real_home = home_of("root")?;
        let dir = TempDir::new("dropbear");
        let host_key = dir.join("host_key");
        keygen(host_kind, &host_key);
        to_dropbear(&host_key, &dir.join("host_key.dropbear"))?;
        let home = dir.join("home");
        std::fs::create_dir_all(home.join(".ssh")).expect("create home/.ssh");
        set_mode(&home, 0o700);
        set_mode(&home.join(".ssh"), 0o700);
        let ak = home.join(".ssh/authorized_keys");
        std::fs::write(&ak, authorized_keys).expect("write authorized_keys");
        set_mode(&ak, 0o600);
        let (proc, port) = spawn_server("dropbear", &dir.join("dropbear.log"), |port| {
            let mut cmd = Command::new(&unshare);
            cmd.args(["-m", "--propagation", "private", "sh", "-c"])
                .arg(r#"mount --bind "$1" "$2" && shift 2 && exec "$@""#)
                .arg("sh")
                .arg(&home)
                .arg(&real_home)
                .arg(&dropbear)
                .args(["-F", "-E", "-s", "-p", &format!("127.0.0.1:{port}"), "-r"])
                .arg(dir.join("host_key.dropbear"))
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            cmd
        });
        Some(Dropbear {
            proc,
            port,
            host_pub: pub_path(&host_key),
            dir,
        })
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        self.proc.log()
    }

    /// `dropbear -V` (it prints its version on stderr).
    pub fn version() -> String {
        let out = Command::new("dropbear").arg("-V").output();
        out.map(|o| String::from_utf8_lossy(&o.stderr).trim().to_owned())
            .unwrap_or_else(|_| "dropbear missing".into())
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// `dbclient -y -y -i <key> -p <port>` with `HOME` in `dir`. `-y -y` skips known_hosts but
/// dbclient still verifies the host key's signature. `key` must be in Dropbear's format
/// (see [`crate::keys::to_dropbear`]). Add `-N`, forwards, then the destination.
pub fn dbclient_command(dbclient: &Path, key: &Path, port: u16, dir: &Path) -> Command {
    let mut cmd = Command::new(dbclient);
    cmd.args(["-y", "-y", "-i"])
        .arg(key)
        .args(["-p", &port.to_string()])
        .env("HOME", dir)
        .env_remove("SSH_AUTH_SOCK");
    cmd
}
