//! The OpenSSH client pointed at a burrow listener on 127.0.0.1, isolated from the user's
//! config, agent and known_hosts.

use std::path::Path;
use std::process::Command;

/// `ssh -F /dev/null -p <port>` with a private known_hosts in `dir`, no host key prompt, no
/// agent, no default identities, batch mode and a connect timeout. Add `-o` options, then the
/// destination (`user@127.0.0.1`) and run it.
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
