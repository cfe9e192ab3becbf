//! A throwaway `sshd` on 127.0.0.1 (the test kit's launcher) with burrow's fixed test
//! client key authorized and DEBUG3 logging.

use std::path::PathBuf;

use burrow_keys::KeyPair;

use super::public_key_blob;

/// A running sshd, stopped (SIGTERM to its PID, then SIGKILL) on drop.
pub struct Sshd {
    inner: burrow_testkit::sshd::Sshd,
    pub port: u16,
    /// Its temp dir (config, keys, `sshd.log`).
    pub dir: PathBuf,
    /// The host key blob sshd presents.
    pub host_key_blob: Vec<u8>,
    /// A client key that sshd's authorized_keys accepts.
    pub client_key: KeyPair,
}

impl Sshd {
    /// Starts sshd with the base test config plus `extra` lines (`RekeyLimit 64K`, ...).
    /// `None` when sshd is missing and CI is not set.
    pub fn start(extra: &[&str]) -> Option<Sshd> {
        let client_key = KeyPair::from_ed25519_seed(&[0x33; 32]);
        let line = client_key
            .public_key()
            .to_openssh_line("burrow-test-client")
            + "\n";
        let mut lines: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        lines.push("LogLevel DEBUG3".to_owned());
        let inner = burrow_testkit::sshd::Sshd::start(&line, "ed25519", &lines)?;
        Some(Sshd {
            port: inner.port,
            dir: inner.dir.path().to_path_buf(),
            host_key_blob: public_key_blob(&inner.host_pub),
            client_key,
            inner,
        })
    }

    /// sshd's log so far (stderr at LogLevel DEBUG3).
    pub fn log(&self) -> String {
        self.inner.log()
    }

    pub fn log_path(&self) -> PathBuf {
        self.inner.proc.log_path.clone()
    }
}
