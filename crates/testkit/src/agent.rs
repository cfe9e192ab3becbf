//! A real OpenSSH `ssh-agent` on a socket in a test's directory, with `ssh-add`.
//!
//! The socket file appears when `ssh-agent` binds it, a moment before it listens; a client
//! that connects in that moment is refused. `start` therefore waits until a connection is
//! accepted, not until the file exists.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::{Proc, TempDir, require_binary};

/// A running `ssh-agent -D -a <dir>/agent.sock`, stopped on drop; its stderr is `agent.log`.
pub struct SshAgent {
    proc: Proc,
    sock: PathBuf,
}

impl SshAgent {
    /// Starts an agent in `dir` and waits (10 s) until it accepts connections; `None` when
    /// `ssh-agent` or `ssh-add` is missing (and CI unset).
    pub fn start(dir: &TempDir) -> Option<SshAgent> {
        let bin = require_binary("ssh-agent")?;
        require_binary("ssh-add")?;
        let sock = dir.join("agent.sock");
        let mut cmd = Command::new(bin);
        cmd.arg("-D").arg("-a").arg(&sock).stdout(Stdio::null());
        let mut proc = Proc::spawn(cmd, &dir.join("agent.log"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while UnixStream::connect(&sock).is_err() {
            assert!(
                proc.running() && Instant::now() < deadline,
                "ssh-agent did not accept connections on {}: {}",
                sock.display(),
                proc.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(SshAgent { proc, sock })
    }

    /// The agent's socket (for `SSH_AUTH_SOCK` or `IdentityAgent`).
    pub fn sock(&self) -> &Path {
        &self.sock
    }

    /// Runs `ssh-add key` against this agent and returns its output; panics (with ssh-add's
    /// stderr and the agent's log) when it fails.
    pub fn add(&self, key: &Path) -> Output {
        let out = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.sock)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run ssh-add: {e}"));
        assert!(
            out.status.success(),
            "ssh-add {}: {}; agent: {}",
            key.display(),
            String::from_utf8_lossy(&out.stderr),
            self.proc.log()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_agent_accepts_a_key_from_ssh_add() {
        let dir = TempDir::new("kit-agent");
        let Some(agent) = SshAgent::start(&dir) else {
            return;
        };
        let key = dir.join("id");
        crate::keygen_ed25519(&key);
        let out = agent.add(&key);
        assert!(String::from_utf8_lossy(&out.stderr).contains("Identity added"));
        let listed = Command::new("ssh-add")
            .arg("-l")
            .env("SSH_AUTH_SOCK", agent.sock())
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&listed.stdout).contains("ED25519"));
    }
}
