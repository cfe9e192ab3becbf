//! An sshd that checks passwords through PAM against a private copy of /etc/shadow, for
//! password and keyboard-interactive interop without touching the host's users.

use std::io::Read;
use std::net::{Ipv4Addr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use burrow_transport::TransportConfig;

use super::auth::local_user;
use super::conn::Conn;
use super::{TempDir, free_port, keygen_ed25519, public_key_blob, require_binary};

/// An sshd that checks passwords through PAM against a private copy of /etc/shadow in which
/// the local user's password is `password`: sshd runs in its own mount namespace
/// (`unshare -m`) with the copy bind-mounted over /etc/shadow, so the host is untouched.
pub struct PamSshd {
    child: Child,
    pub port: u16,
    pub dir: TempDir,
    pub host_key_blob: Vec<u8>,
}

impl PamSshd {
    pub fn start(password: &str, extra: &[&str]) -> Option<PamSshd> {
        let sshd = require_binary("/usr/sbin/sshd")?;
        let unshare = require_binary("unshare")?;
        let openssl = require_binary("openssl")?;
        let private_mounts = Command::new(&unshare)
            .args(["-m", "true"])
            .status()
            .is_ok_and(|s| s.success());
        if !private_mounts {
            assert!(
                std::env::var_os("CI").is_none(),
                "no private mount namespace (unshare -m) for a PAM sshd, and CI is set"
            );
            eprintln!("skipping: no private mount namespace (unshare -m) for a PAM sshd");
            return None;
        }
        let dir = TempDir::new("pam-sshd");
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let host_key = dir.join("host_ed25519");
        keygen_ed25519(&host_key);
        let host_key_blob = public_key_blob(&dir.join("host_ed25519.pub"));
        let hash = Command::new(openssl)
            .args(["passwd", "-6", "-salt", "burrowtest", password])
            .output()
            .expect("openssl passwd");
        let hash = String::from_utf8(hash.stdout).unwrap().trim().to_owned();
        let user = local_user();
        let shadow: Vec<String> = std::fs::read_to_string("/etc/shadow")
            .expect("read /etc/shadow")
            .lines()
            .map(|line| match line.split_once(':') {
                Some((name, rest)) if name == user => {
                    let fields: Vec<&str> = rest.splitn(2, ':').collect();
                    format!("{name}:{hash}:{}", fields.get(1).copied().unwrap_or(""))
                }
                _ => line.to_owned(),
            })
            .collect();
        std::fs::write(dir.join("shadow"), shadow.join("\n") + "\n").unwrap();
        let mut config = vec![
            "ListenAddress 127.0.0.1".to_owned(),
            "PidFile none".to_owned(),
            "StrictModes no".to_owned(),
            "UsePAM yes".to_owned(),
            "UseDNS no".to_owned(),
            "PermitRootLogin yes".to_owned(),
            "PasswordAuthentication yes".to_owned(),
            "KbdInteractiveAuthentication yes".to_owned(),
            format!(
                "AuthorizedKeysFile {}",
                dir.join("authorized_keys").display()
            ),
            "MaxStartups 1000:30:1000".to_owned(),
            "LogLevel DEBUG3".to_owned(),
        ];
        config.extend(extra.iter().map(|s| (*s).to_owned()));
        std::fs::write(dir.join("sshd_config"), config.join("\n") + "\n").unwrap();
        for _attempt in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
            let mut child = Command::new(&unshare)
                .args(["-m", "sh", "-c"])
                .arg(r#"mount --bind "$1" /etc/shadow && exec "$2" -D -e -f "$3" -p "$4" -h "$5""#)
                .arg("sh")
                .arg(dir.join("shadow"))
                .arg(&sshd)
                .arg(dir.join("sshd_config"))
                .arg(port.to_string())
                .arg(&host_key)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawn sshd");
            if wait_listening(&mut child, port) {
                return Some(PamSshd {
                    child,
                    port,
                    dir,
                    host_key_blob,
                });
            }
            stop_child(&mut child);
        }
        panic!(
            "PAM sshd did not start:\n{}",
            std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    pub fn connect(&self) -> Conn {
        let mut conn = Conn::client(self.port, TransportConfig::default());
        conn.expected_host_key = Some(self.host_key_blob.clone());
        conn.wait_kex(1, Duration::from_secs(15));
        conn
    }
}

impl Drop for PamSshd {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}

fn wait_listening(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        if let Ok(mut s) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 8];
            if s.read_exact(&mut buf).is_ok() && &buf == b"SSH-2.0-" {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn stop_child(child: &mut Child) {
    let pid = child.id().to_string();
    let termed = Command::new("kill").args(["-TERM", &pid]).status();
    if termed.is_ok_and(|s| s.success()) {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    if child.kill().is_err() {
        eprintln!("process {pid} already gone");
    }
    if child.wait().is_err() {
        eprintln!("could not reap {pid}");
    }
}
