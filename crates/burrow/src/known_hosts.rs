//! `KnownHostsFile`: the default host key check: look the key up in a known_hosts file and
//! apply StrictHostKeyChecking (the policy in [`crate::host_key`]), appending new keys when allowed.

use std::io::Write;
use std::path::PathBuf;

use crate::host_key::{
    HostKeyCheck as Check, HostKeyDecision, KnownHostLookup, StrictHostKeyChecking, decide,
};
use burrow_keyfiles::KnownHosts;
use burrow_keys::PublicKey;

use crate::client::HostKeyCheck;

/// A known_hosts file with a StrictHostKeyChecking policy (default `accept-new`).
#[derive(Debug, Clone)]
pub struct KnownHostsFile {
    path: PathBuf,
    /// The policy.
    pub policy: StrictHostKeyChecking,
}

impl KnownHostsFile {
    /// The file at `path` with `accept-new`.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            policy: StrictHostKeyChecking::AcceptNew,
        }
    }

    /// `~/.ssh/known_hosts` (from `HOME`) with `accept-new`, as ssh uses by default.
    pub fn user_default() -> Option<Self> {
        let home = std::env::var_os("HOME")?;
        Some(Self::new(
            PathBuf::from(home).join(".ssh").join("known_hosts"),
        ))
    }

    /// The same file with another policy.
    pub fn with_policy(mut self, policy: StrictHostKeyChecking) -> Self {
        self.policy = policy;
        self
    }

    fn append(&self, line: &str) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(line.as_bytes())
    }
}

impl HostKeyCheck for KnownHostsFile {
    fn known_key_types(&self, host: &str, port: u16) -> Vec<String> {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        KnownHosts::parse(&text).key_types(host, port)
    }

    fn check(&self, host: &str, port: u16, key: &PublicKey) -> bool {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let hosts = KnownHosts::parse(&text);
        let file = self.path.display().to_string();
        let lookup = KnownHostLookup::from_status(hosts.check_key(host, port, key), &hosts, &file);
        let known_without_port = port != 22
            && matches!(
                hosts.check_key(host, 22, key),
                burrow_keyfiles::HostKeyStatus::Known { .. }
            );
        let check = Check {
            policy: self.policy,
            host,
            port,
            key,
            user_known_hosts: &file,
            lookup,
            known_without_port,
            hash_salt: None,
        };
        match decide(&check) {
            HostKeyDecision::Accept => true,
            HostKeyDecision::AcceptAndAppend { line, message, .. } => {
                if let Err(e) = self.append(&line) {
                    tracing::warn!(file = %file, error = %e, "could not add the host key");
                }
                tracing::warn!("{message}");
                true
            }
            HostKeyDecision::AcceptUntrusted { warning } => {
                tracing::warn!("{warning}");
                true
            }
            HostKeyDecision::Refuse { message } => {
                tracing::error!("{message}");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_new_appends_then_refuses_a_changed_key() {
        let dir = std::env::temp_dir().join(format!("burrow-kh-{}", std::process::id()));
        let path = dir.join("known_hosts");
        let k1 = burrow_keys::KeyPair::from_ed25519_seed(&[1; 32])
            .public_key()
            .clone();
        let k2 = burrow_keys::KeyPair::from_ed25519_seed(&[2; 32])
            .public_key()
            .clone();
        let f = KnownHostsFile::new(path.clone());
        assert!(f.check("example.org", 2222, &k1));
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("[example.org]:2222 ssh-ed25519 ")
        );
        assert!(f.check("example.org", 2222, &k1));
        assert!(!f.check("example.org", 2222, &k2));
        let strict = f.clone().with_policy(StrictHostKeyChecking::Yes);
        assert!(!strict.check("other.org", 22, &k1));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
