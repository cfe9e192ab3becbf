//! `AuthorizedKeysFile`: a ready-made public key check for server handlers, reading an
//! OpenSSH authorized_keys file at each lookup (as sshd does).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use burrow_keys::{AuthorizedKeys, Ed25519PublicKey, KeyOptions};

/// An authorized_keys file. Lookups honour `from=`, `expiry-time=` and `cert-authority`;
/// the matching line's options (permitopen, permitlisten, ...) are returned for the caller's
/// forwarding policy.
#[derive(Debug, Clone)]
pub struct AuthorizedKeysFile {
    path: PathBuf,
}

impl AuthorizedKeysFile {
    /// The file at `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// The options of the first line authorizing `key` for a client at `client`, or `None`
    /// when no line does (or the file cannot be read).
    pub fn lookup(&self, key: &Ed25519PublicKey, client: IpAddr) -> Option<KeyOptions> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!(path = %self.path.display(), error = %e, "authorized_keys unreadable");
                return None;
            }
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let found = AuthorizedKeys::parse(&text).find(&key.to_blob(), client, now);
        for w in &found.warnings {
            tracing::debug!(path = %self.path.display(), line = w.line, error = %w.error, "authorized_keys line skipped");
        }
        found.found.map(|k| k.options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_and_honours_from() {
        let dir = std::env::temp_dir().join(format!("burrow-ak-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = burrow_keys::Ed25519KeyPair::from_seed(&[7; 32]).public_key();
        let other = burrow_keys::Ed25519KeyPair::from_seed(&[8; 32]).public_key();
        let path = dir.join("authorized_keys");
        let line = format!("from=\"10.0.0.0/8\" {}\n", key.to_openssh_line("k"));
        std::fs::write(&path, line).unwrap();
        let f = AuthorizedKeysFile::new(path.clone());
        assert!(f.lookup(&key, ip("10.1.2.3")).is_some());
        assert!(f.lookup(&key, ip("192.168.0.1")).is_none());
        assert!(f.lookup(&other, ip("10.1.2.3")).is_none());
        let line = format!("from=\"!::1,*\" {}\n", key.to_openssh_line("k"));
        std::fs::write(&path, line).unwrap();
        assert!(f.lookup(&key, ip("::1")).is_none(), "negated ::1");
        assert!(f.lookup(&key, ip("::2")).is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }
}
