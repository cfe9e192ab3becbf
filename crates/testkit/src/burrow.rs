//! burrow's own binaries as peers: locating (and building) `burrow` and `burrowd`, a
//! throwaway burrowd on 127.0.0.1, and the `burrow` client command line.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::proc::{Proc, run, spawn_server};
use crate::{TempDir, workspace_root};

/// Where [`bin_dir`] found the binaries (or was told they are).
static BIN_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Tells [`bin_dir`] where the binaries are (burrow-cli's own tests know them from Cargo and
/// must not run a nested build); a no-op once [`bin_dir`] has answered.
pub fn set_bin_dir(dir: &Path) {
    BIN_DIR.set(dir.to_path_buf()).unwrap_or_default();
}

/// The directory holding the built `burrow` and `burrowd`: `$BURROW_BIN_DIR` if set, else
/// `target/debug` of this workspace after `cargo build -p burrow-cli --bins` (a no-op when
/// they are up to date; tests outside burrow-cli cannot name its binaries otherwise).
pub fn bin_dir() -> &'static Path {
    BIN_DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("BURROW_BIN_DIR") {
            return PathBuf::from(dir);
        }
        let root = workspace_root();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-q", "-p", "burrow-cli", "--bins"])
            .current_dir(&root);
        let out = run(cmd, Duration::from_secs(1800));
        assert!(
            out.status.success(),
            "cargo build -p burrow-cli --bins failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        target.join("debug")
    })
}

/// The `burrow` client binary.
pub fn burrow_bin() -> PathBuf {
    bin_dir().join("burrow")
}

/// The `burrowd` server binary.
pub fn burrowd_bin() -> PathBuf {
    bin_dir().join("burrowd")
}

/// A running burrowd on 127.0.0.1; stopped on drop.
pub struct Burrowd {
    /// The burrowd process (as root, each connection is a child process).
    pub proc: Proc,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The host key's public half.
    pub host_pub: PathBuf,
    /// Config, keys and `burrowd.log`.
    pub dir: TempDir,
}

impl Burrowd {
    /// Starts burrowd with the private host key file `host_key` (OpenSSH format; its `.pub`
    /// beside it), the `authorized_keys` text and `extra` sshd_config lines.
    pub fn start(host_key: &Path, authorized_keys: &str, extra: &[String]) -> Burrowd {
        Burrowd::start_in(TempDir::new("burrowd"), host_key, authorized_keys, extra)
    }

    /// [`Burrowd::start`] in a directory the caller prepared (keys beside the config).
    pub fn start_in(
        dir: TempDir,
        host_key: &Path,
        authorized_keys: &str,
        extra: &[String],
    ) -> Burrowd {
        std::fs::write(dir.join("authorized_keys"), authorized_keys).expect("authorized_keys");
        let (proc, port) = spawn_server("burrowd", &dir.join("burrowd.log"), |port| {
            let mut config = vec![
                "ListenAddress 127.0.0.1".to_owned(),
                format!("Port {port}"),
                format!("HostKey {}", host_key.display()),
                format!("AuthorizedKeysFile {}", dir.s("authorized_keys")),
                "StrictModes no".to_owned(),
                "MaxStartups 1000:30:1000".to_owned(),
                "LogLevel DEBUG1".to_owned(),
            ];
            config.extend(extra.iter().cloned());
            std::fs::write(dir.join("burrowd_config"), config.join("\n") + "\n")
                .expect("burrowd_config");
            let mut cmd = Command::new(burrowd_bin());
            cmd.args(["-D", "-e", "-f"])
                .arg(dir.join("burrowd_config"))
                .env("HOME", dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            cmd
        });
        Burrowd {
            proc,
            port,
            host_pub: crate::keys::pub_path(host_key),
            dir,
        }
    }

    /// burrowd's log so far.
    pub fn log(&self) -> String {
        self.proc.log()
    }
}

/// `burrow -F none -p <port> -i <key>` with `known_hosts` as the only known-hosts file and
/// strict checking, batch mode, no agent, `HOME` in `dir`. Add `-N`, forwards and `-o`
/// options, then the destination.
pub fn burrow_command(port: u16, key: &Path, known_hosts: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(burrow_bin());
    cmd.args(["-F", "none", "-p", &port.to_string(), "-i"])
        .arg(key)
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"])
        .args(["-o", "IdentitiesOnly=yes"])
        .env("HOME", dir)
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("XDG_STATE_HOME");
    cmd
}
