//! An sshd that checks passwords through PAM against a private copy of /etc/shadow, for
//! password and keyboard-interactive interop without touching the host's users.

use std::process::{Command, Stdio};
use std::time::Duration;

use burrow_testkit::proc::{Proc, spawn_server};

use burrow_transport::TransportConfig;

use super::auth::local_user;
use super::conn::Conn;
use super::{TempDir, keygen_ed25519, public_key_blob, require_binary};

/// An sshd that checks passwords through PAM against a private copy of /etc/shadow in which
/// the local user's password is `password`: sshd runs in its own mount namespace
/// (`unshare -m`) with the copy bind-mounted over /etc/shadow, so the host is untouched.
pub struct PamSshd {
    proc: Proc,
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
        let (proc, port) = spawn_server("PAM sshd", &dir.join("sshd.log"), |port| {
            let mut cmd = Command::new(&unshare);
            cmd.args(["-m", "sh", "-c"])
                .arg(r#"mount --bind "$1" /etc/shadow && exec "$2" -D -e -f "$3" -p "$4" -h "$5""#)
                .arg("sh")
                .arg(dir.join("shadow"))
                .arg(&sshd)
                .arg(dir.join("sshd_config"))
                .arg(port.to_string())
                .arg(&host_key)
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            cmd
        });
        Some(PamSshd {
            proc,
            port,
            dir,
            host_key_blob,
        })
    }

    pub fn log(&self) -> String {
        self.proc.log()
    }

    pub fn connect(&self) -> Conn {
        let mut conn = Conn::client(self.port, TransportConfig::default());
        conn.expected_host_key = Some(self.host_key_blob.clone());
        conn.wait_kex(1, Duration::from_secs(15));
        conn
    }
}
