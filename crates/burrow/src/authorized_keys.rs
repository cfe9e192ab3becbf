//! `AuthorizedKeysFile`: a ready-made public key check for server handlers, reading an
//! OpenSSH authorized_keys file at each lookup (as sshd does).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use burrow_keys::{AuthorizedKeys, KeyOptions, PublicKey};

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

    /// The options of the first line authorizing `key` for a client at `client_addr` (an IP
    /// address), or `None` when no line does (or the file cannot be read).
    pub fn lookup(&self, key: &PublicKey, client_addr: &str) -> Option<KeyOptions> {
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
        let found = AuthorizedKeys::parse(&text).find(&key.to_blob(), client_addr, now);
        for w in &found.warnings {
            tracing::debug!(path = %self.path.display(), line = w.line, error = %w.error, "authorized_keys line skipped");
        }
        found.found.map(|k| k.options)
    }
}

/// The IP address part of a `host:port` peer string (`[v6]:port` too).
pub(crate) fn peer_ip(peer: &str) -> &str {
    let host = peer.rsplit_once(':').map_or(peer, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_and_honours_from() {
        let dir = std::env::temp_dir().join(format!("burrow-ak-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = burrow_keys::KeyPair::from_ed25519_seed(&[7; 32]);
        let key = key.public_key();
        let other = burrow_keys::KeyPair::from_ed25519_seed(&[8; 32]);
        let other = other.public_key();
        let path = dir.join("authorized_keys");
        let line = format!("from=\"10.0.0.0/8\" {}\n", key.to_openssh_line("k"));
        std::fs::write(&path, line).unwrap();
        let f = AuthorizedKeysFile::new(path);
        assert!(f.lookup(key, "10.1.2.3").is_some());
        assert!(f.lookup(key, "192.168.0.1").is_none());
        assert!(f.lookup(other, "10.1.2.3").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn peer_ip_strips_port_and_brackets() {
        assert_eq!(peer_ip("127.0.0.1:22"), "127.0.0.1");
        assert_eq!(peer_ip("[::1]:2222"), "::1");
    }
}
