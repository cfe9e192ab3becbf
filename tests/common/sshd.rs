//! A throwaway `sshd` on 127.0.0.1 with its config, host key and log in a temp dir.

use std::io::Read;
use std::net::{Ipv4Addr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use burrow_keys::KeyPair;

use super::{TempDir, free_port, keygen_ed25519, public_key_blob, require_binary};

/// A running sshd, stopped (SIGTERM to its PID, then SIGKILL) on drop.
pub struct Sshd {
    child: Child,
    pub port: u16,
    pub dir: TempDir,
    /// The host key blob sshd presents.
    pub host_key_blob: Vec<u8>,
    /// A client key that sshd's authorized_keys accepts.
    pub client_key: KeyPair,
}

impl Sshd {
    /// Starts sshd with the base test config plus `extra` lines (`RekeyLimit 64K`, ...).
    /// `None` when sshd is missing and CI is not set.
    pub fn start(extra: &[&str]) -> Option<Sshd> {
        let sshd = require_binary("/usr/sbin/sshd")?;
        require_binary("ssh-keygen")?;
        let dir = TempDir::new("sshd");
        // sshd refuses to start without its privilege-separation directory.
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let host_key = dir.join("host_ed25519");
        keygen_ed25519(&host_key);
        let host_key_blob = public_key_blob(&dir.join("host_ed25519.pub"));
        let client_key = KeyPair::from_ed25519_seed(&[0x33; 32]);
        let line = client_key
            .public_key()
            .to_openssh_line("burrow-test-client")
            + "\n";
        std::fs::write(dir.join("authorized_keys"), line).expect("write authorized_keys");
        let mut config = vec![
            "ListenAddress 127.0.0.1".to_owned(),
            "PidFile none".to_owned(),
            "StrictModes no".to_owned(),
            "UsePAM no".to_owned(),
            "UseDNS no".to_owned(),
            "PermitRootLogin prohibit-password".to_owned(),
            "PubkeyAuthentication yes".to_owned(),
            "PasswordAuthentication no".to_owned(),
            "KbdInteractiveAuthentication no".to_owned(),
            format!(
                "AuthorizedKeysFile {}",
                dir.join("authorized_keys").display()
            ),
            "AllowTcpForwarding yes".to_owned(),
            "GatewayPorts no".to_owned(),
            "MaxStartups 1000:30:1000".to_owned(),
            "LogLevel DEBUG3".to_owned(),
        ];
        config.extend(extra.iter().map(|s| (*s).to_owned()));
        let config_path = dir.join("sshd_config");
        std::fs::write(&config_path, config.join("\n") + "\n").expect("write sshd_config");

        for _attempt in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(dir.join("sshd.log")).expect("create sshd.log");
            let mut child = Command::new(&sshd)
                .args(["-D", "-e", "-f"])
                .arg(&config_path)
                .arg("-p")
                .arg(port.to_string())
                .arg("-h")
                .arg(&host_key)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawn sshd");
            if wait_ready(&mut child, port) {
                return Some(Sshd {
                    child,
                    port,
                    dir,
                    host_key_blob,
                    client_key,
                });
            }
            stop(&mut child);
        }
        panic!(
            "sshd did not start; log:\n{}",
            std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
        );
    }

    /// sshd's log so far (stderr at LogLevel DEBUG3).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("sshd.log")
    }
}

/// Ready means: the port accepts and sends a line starting with `SSH-2.0-`.
fn wait_ready(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        if let Ok(mut s) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
            s.set_read_timeout(Some(Duration::from_secs(2))).ok();
            let mut buf = [0u8; 8];
            if s.read_exact(&mut buf).is_ok() && &buf == b"SSH-2.0-" {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn stop(child: &mut Child) {
    let pid = child.id().to_string();
    let termed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .is_ok_and(|s| s.success());
    if termed {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    if child.kill().is_err() {
        eprintln!("sshd {pid} already gone");
    }
    if child.wait().is_err() {
        eprintln!("could not reap sshd {pid}");
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}
