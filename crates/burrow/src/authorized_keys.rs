//! `AuthorizedKeysFile`: a ready-made public key check for server handlers, reading an
//! OpenSSH authorized_keys file at each lookup (as sshd does).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use burrow_keyfiles::{AuthorizedKeys, KeyOptions};
use burrow_keys::PublicKey;

/// An authorized_keys file. Lookups honour `from=`, `expiry-time=` (local time unless it
/// says UTC, as in sshd) and `cert-authority`; the matching line's options (permitopen,
/// permitlisten, ...) are returned for the caller's forwarding policy.
#[derive(Debug, Clone)]
pub struct AuthorizedKeysFile {
    path: PathBuf,
    utc_offset: fn(u64) -> i32,
}

impl AuthorizedKeysFile {
    /// The file at `path`; local time is the system's time zone (`TZ`, else /etc/localtime).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            utc_offset: local_utc_offset,
        }
    }

    /// Local time for `expiry-time=` from `offset`: seconds ahead of UTC at a unix time.
    pub fn with_utc_offset(mut self, offset: fn(u64) -> i32) -> Self {
        self.utc_offset = offset;
        self
    }

    /// The options of the first line authorizing `key` for a client at `client`, or `None`
    /// when no line does (or the file cannot be read).
    pub fn lookup(&self, key: &PublicKey, client: IpAddr) -> Option<KeyOptions> {
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
        let offset = (self.utc_offset)(now);
        let found = AuthorizedKeys::parse(&text).find(&key.to_blob(), client, now, offset);
        for w in &found.warnings {
            tracing::debug!(path = %self.path.display(), line = w.line, error = %w.error, "authorized_keys line skipped");
        }
        found.found.map(|k| k.options)
    }
}

/// The system time zone's offset from UTC, in seconds, at `unix` (0 when unknown).
pub(crate) fn local_utc_offset(unix: u64) -> i32 {
    let at = i64::try_from(unix)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    jiff::tz::TimeZone::system().to_offset(at).seconds()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_and_honours_from() {
        let dir = std::env::temp_dir().join(format!("burrow-ak-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = burrow_keys::KeyPair::from_ed25519_seed(&[7; 32])
            .public_key()
            .clone();
        let other = burrow_keys::KeyPair::from_ed25519_seed(&[8; 32])
            .public_key()
            .clone();
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

    /// A key that expires today at local midnight is still good an hour before it (west of
    /// UTC), and not an hour after it (east of UTC): sshd reads the time as local.
    #[test]
    fn expiry_time_is_local_time() {
        let dir = std::env::temp_dir().join(format!("burrow-akx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = burrow_keys::KeyPair::from_ed25519_seed(&[7; 32])
            .public_key()
            .clone();
        let path = dir.join("authorized_keys");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        // Today's UTC midnight, written as a plain (local) date.
        let days = now / 86_400;
        let date = jiff::Timestamp::from_second(i64::try_from(days * 86_400).unwrap())
            .unwrap()
            .strftime("%Y%m%d%H%M")
            .to_string();
        let line = format!("expiry-time=\"{date}\" {}\n", key.to_openssh_line("k"));
        std::fs::write(&path, line).unwrap();
        let west = AuthorizedKeysFile::new(path.clone()).with_utc_offset(|_| -(86_400 + 1));
        assert!(
            west.lookup(&key, ip("10.0.0.1")).is_some(),
            "a day behind UTC"
        );
        let east = AuthorizedKeysFile::new(path.clone()).with_utc_offset(|_| 3600);
        assert!(east.lookup(&key, ip("10.0.0.1")).is_none());
        std::fs::write(
            &path,
            format!("expiry-time=\"{date}Z\" {}\n", key.to_openssh_line("k")),
        )
        .unwrap();
        assert!(west.lookup(&key, ip("10.0.0.1")).is_none(), "UTC is UTC");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_local_offset_is_read() {
        let offset = local_utc_offset(1_700_000_000);
        assert!(offset.abs() <= 14 * 3600, "{offset}");
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }
}
