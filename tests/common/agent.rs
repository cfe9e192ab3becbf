//! A real `ssh-agent` for tests, and a blocking connection to it speaking burrow's agent codec.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use burrow::agent::codec::{self as agent, AgentProtocolError, AgentReply, AgentRequestKind};
use bytes::BytesMut;

use super::{TempDir, require_binary};

/// A connected ssh-agent socket speaking burrow's agent codec.
pub struct AgentConn(UnixStream);

impl AgentConn {
    pub fn call(
        &mut self,
        request: &[u8],
        kind: AgentRequestKind,
    ) -> Result<AgentReply, AgentProtocolError> {
        self.0.write_all(request).unwrap();
        let mut input = BytesMut::new();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(body) = agent::take_frame(&mut input)? {
                return agent::decode_reply(&body, kind);
            }
            let n = self.0.read(&mut buf).unwrap();
            assert!(n > 0, "agent closed the socket");
            input.extend_from_slice(&buf[..n]);
        }
    }
}

/// A real `ssh-agent -D -a <sock>`, stopped by PID on drop.
pub struct SshAgent {
    child: Child,
    sock: PathBuf,
}

impl SshAgent {
    pub fn start(dir: &TempDir) -> Option<SshAgent> {
        let bin = require_binary("ssh-agent")?;
        require_binary("ssh-add")?;
        let sock = dir.join("agent.sock");
        let child = Command::new(bin)
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ssh-agent");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sock.exists() {
            assert!(Instant::now() < deadline, "ssh-agent socket did not appear");
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(SshAgent { child, sock })
    }

    pub fn add(&self, key: &Path) {
        let status = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.sock)
            .stderr(Stdio::null())
            .status()
            .expect("run ssh-add");
        assert!(status.success(), "ssh-add failed");
    }

    pub fn connect(&self) -> AgentConn {
        AgentConn(UnixStream::connect(&self.sock).expect("connect to agent"))
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let termed = Command::new("kill").args(["-TERM", &pid]).status();
        if !termed.is_ok_and(|s| s.success()) && self.child.kill().is_err() {
            eprintln!("ssh-agent {pid} already gone");
        }
        if self.child.wait().is_err() {
            eprintln!("could not reap ssh-agent {pid}");
        }
    }
}
