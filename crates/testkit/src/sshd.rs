//! OpenSSH as a peer: a throwaway `sshd` on 127.0.0.1 and the `ssh` client isolated from
//! the user's config, agent and known_hosts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::keys::{keygen, pub_path};
use crate::proc::{Proc, spawn_server};
use crate::{TempDir, require_binary};

/// A running sshd with its config, host key and log in a temp dir; stopped on drop.
pub struct Sshd {
    /// The sshd process (its per-connection children are its descendants).
    pub proc: Proc,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The host key's public half (OpenSSH format).
    pub host_pub: PathBuf,
    /// Config, keys and `sshd.log`.
    pub dir: TempDir,
}

impl Sshd {
    /// Starts sshd with a `host_kind` host key (see [`crate::keys::KEY_TYPES`]), the
    /// `authorized_keys` text, and `extra` config lines (`Ciphers ...`, `RekeyLimit 64K`,
    /// `LogLevel DEBUG3`), which win over the base config.
    /// `None` when sshd or ssh-keygen is missing and `CI` is not set.
    pub fn start(authorized_keys: &str, host_kind: &str, extra: &[String]) -> Option<Sshd> {
        Sshd::start_in(TempDir::new("sshd"), authorized_keys, host_kind, extra)
    }

    /// [`Sshd::start`] in a directory the caller prepared (client keys beside the config).
    pub fn start_in(
        dir: TempDir,
        authorized_keys: &str,
        host_kind: &str,
        extra: &[String],
    ) -> Option<Sshd> {
        let sshd = require_binary("/usr/sbin/sshd")?;
        require_binary("ssh-keygen")?;
        // sshd refuses to start as root without its privilege-separation directory.
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let host_key = dir.join("host_key");
        keygen(host_kind, &host_key);
        std::fs::write(dir.join("authorized_keys"), authorized_keys).expect("authorized_keys");
        // sshd keeps the first value of a keyword: `extra` comes first so that it overrides
        // the base lines (no `Match` blocks in `extra`, they would swallow the base).
        let mut config: Vec<String> = extra.to_vec();
        config.extend([
            "ListenAddress 127.0.0.1".to_owned(),
            "PidFile none".to_owned(),
            "StrictModes no".to_owned(),
            "UsePAM no".to_owned(),
            "UseDNS no".to_owned(),
            "PermitRootLogin prohibit-password".to_owned(),
            "PubkeyAuthentication yes".to_owned(),
            "PasswordAuthentication no".to_owned(),
            "KbdInteractiveAuthentication no".to_owned(),
            format!("AuthorizedKeysFile {}", dir.s("authorized_keys")),
            "AllowTcpForwarding yes".to_owned(),
            "AllowStreamLocalForwarding yes".to_owned(),
            "GatewayPorts no".to_owned(),
            "MaxStartups 1000:30:1000".to_owned(),
            "LogLevel DEBUG1".to_owned(),
        ]);
        std::fs::write(dir.join("sshd_config"), config.join("\n") + "\n").expect("sshd_config");
        let (proc, port) = spawn_server("sshd", &dir.join("sshd.log"), |port| {
            let mut cmd = Command::new(&sshd);
            cmd.args(["-D", "-e", "-f"])
                .arg(dir.join("sshd_config"))
                .arg("-p")
                .arg(port.to_string())
                .arg("-h")
                .arg(&host_key)
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            cmd
        });
        Some(Sshd {
            proc,
            port,
            host_pub: pub_path(&host_key),
            dir,
        })
    }

    /// sshd's log so far.
    pub fn log(&self) -> String {
        self.proc.log()
    }
}

/// `ssh -F /dev/null -p <port>` with a private known_hosts in `dir`, no host key prompt, no
/// agent, no default identities, batch mode and a connect timeout. Add `-i`, `-o` options,
/// then the destination (`user@127.0.0.1`) and run it.
pub fn ssh_command(ssh: &Path, port: u16, dir: &Path) -> Command {
    let mut cmd = Command::new(ssh);
    cmd.args(["-F", "/dev/null", "-p", &port.to_string()])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.join("known_hosts").display()
        ))
        .args(["-o", "StrictHostKeyChecking=no", "-o", "BatchMode=yes"])
        .args(["-o", "IdentitiesOnly=yes", "-o", "IdentityFile=/dev/null"])
        .args(["-o", "ConnectTimeout=10"])
        .env_remove("SSH_AUTH_SOCK");
    cmd
}
