//! The interop matrix: the cipher/MAC choices and kex names every direction is tested with.

use std::time::Duration;

use burrow_transport::TransportConfig;

/// The ciphers (and MAC for the CTR ones) the interop matrix covers.
pub const MATRIX: [(&str, Option<&str>); 6] = [
    ("chacha20-poly1305@openssh.com", None),
    ("aes128-gcm@openssh.com", None),
    ("aes256-gcm@openssh.com", None),
    ("aes128-ctr", Some("hmac-sha2-256-etm@openssh.com")),
    ("aes256-ctr", Some("hmac-sha2-512-etm@openssh.com")),
    ("aes128-ctr", Some("hmac-sha2-256")),
];
/// Both curve25519 names.
pub const KEX: [&str; 2] = ["curve25519-sha256", "curve25519-sha256@libssh.org"];
/// How long a test waits for one step.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A client config that offers only these algorithms.
pub fn client_cfg(cipher: &str, mac: Option<&str>, kex: &str) -> TransportConfig {
    let mut cfg = TransportConfig::default();
    cfg.set_ciphers(cipher).unwrap();
    if let Some(mac) = mac {
        cfg.set_macs(mac).unwrap();
    }
    cfg.set_kex_algorithms(kex).unwrap();
    cfg
}
