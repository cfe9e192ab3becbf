//! The recorded key exchanges: one case per server kex method, the peer that recorded it, and
//! the seeded server transport that both the recorder and the replay test build.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burrow_transport::{Transport, TransportConfig};

use crate::support::{SeededRng, host_key};

/// The client that recorded a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// OpenSSH's `ssh` (9.2).
    OpenSsh,
    /// AsyncSSH's client (for methods newer than the system OpenSSH).
    AsyncSsh,
}

/// One recorded exchange: the kex method, the cipher and MAC pinned on both sides (varied so
/// every key derivation path is covered: AEAD keys, CTR keys and IVs, MAC keys), the server
/// RNG seed and the recording peer.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub kex: &'static str,
    pub cipher: &'static str,
    pub mac: &'static str,
    pub seed: u64,
    pub peer: Peer,
}

/// Every server kex method, one case each.
pub const CASES: [Case; 8] = [
    case(
        "mlkem768x25519-sha256",
        "chacha20-poly1305@openssh.com",
        "hmac-sha2-256-etm@openssh.com",
        1,
        Peer::AsyncSsh,
    ),
    case(
        "sntrup761x25519-sha512",
        "aes256-gcm@openssh.com",
        "hmac-sha2-256-etm@openssh.com",
        2,
        Peer::OpenSsh,
    ),
    case(
        "sntrup761x25519-sha512@openssh.com",
        "aes128-ctr",
        "hmac-sha2-256-etm@openssh.com",
        3,
        Peer::OpenSsh,
    ),
    case(
        "curve25519-sha256",
        "aes256-ctr",
        "hmac-sha2-512",
        4,
        Peer::OpenSsh,
    ),
    case(
        "curve25519-sha256@libssh.org",
        "aes128-gcm@openssh.com",
        "hmac-sha2-256-etm@openssh.com",
        5,
        Peer::OpenSsh,
    ),
    case(
        "ecdh-sha2-nistp256",
        "chacha20-poly1305@openssh.com",
        "hmac-sha2-256-etm@openssh.com",
        6,
        Peer::OpenSsh,
    ),
    case(
        "ecdh-sha2-nistp384",
        "aes256-ctr",
        "hmac-sha2-512-etm@openssh.com",
        7,
        Peer::OpenSsh,
    ),
    case(
        "ecdh-sha2-nistp521",
        "aes128-ctr",
        "hmac-sha2-256",
        8,
        Peer::OpenSsh,
    ),
];

const fn case(
    kex: &'static str,
    cipher: &'static str,
    mac: &'static str,
    seed: u64,
    peer: Peer,
) -> Case {
    Case {
        kex,
        cipher,
        mac,
        seed,
        peer,
    }
}

impl Case {
    /// The server configuration: only this case's kex method, cipher and MAC.
    pub fn config(&self) -> TransportConfig {
        let mut cfg = TransportConfig::default();
        cfg.set_kex_algorithms(self.kex).unwrap();
        cfg.set_ciphers(self.cipher).unwrap();
        cfg.set_macs(self.mac).unwrap();
        cfg
    }

    /// A fresh server transport with the fixed ed25519 host key and this case's seeded RNG.
    pub fn server(&self, now: Instant) -> Transport {
        Transport::server(
            Arc::new(self.config()),
            host_key(),
            SeededRng::boxed(self.seed),
            now,
        )
    }

    /// The fixture file for the bytes one direction carried (`client` or `server`).
    pub fn fixture(&self, direction: &str) -> PathBuf {
        let stem = self.kex.replace('@', "_at_");
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/recorded")
            .join(format!("{stem}.{direction}.bin"))
    }
}
