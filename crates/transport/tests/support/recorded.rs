//! The recorded key exchanges: one case per kex method, the peer that recorded it, and the
//! seeded burrow transport (server, or client for the client-only DH groups) that both the
//! recorder and the replay test build.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burrow_keys::SigAlg;
use burrow_transport::service::{USERAUTH, service_request};
use burrow_transport::{
    HostKeyVerdict, Transport, TransportConfig, TransportError, TransportEvent,
};
use bytes::BytesMut;

use crate::support::{SeededRng, host_key};

/// The client that recorded a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// OpenSSH's `ssh` (9.2).
    OpenSsh,
    /// AsyncSSH's client (for methods newer than the system OpenSSH).
    AsyncSsh,
    /// OpenSSH's `sshd` (9.2), against the burrow client (the client-only DH groups).
    Sshd,
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

/// The client-only methods (finite-field DH groups), recorded by the burrow client against
/// `sshd`.
pub const CLIENT_CASES: [Case; 3] = [
    case(
        "diffie-hellman-group14-sha256",
        "aes256-gcm@openssh.com",
        "hmac-sha2-256-etm@openssh.com",
        14,
        Peer::Sshd,
    ),
    case(
        "diffie-hellman-group16-sha512",
        "aes128-ctr",
        "hmac-sha2-512-etm@openssh.com",
        16,
        Peer::Sshd,
    ),
    case(
        "diffie-hellman-group18-sha512",
        "chacha20-poly1305@openssh.com",
        "hmac-sha2-256-etm@openssh.com",
        18,
        Peer::Sshd,
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

    /// A fresh client transport with this case's seeded RNG, taking only plain ed25519 host
    /// keys (no certificate names: the recordings predate them).
    pub fn client(&self, now: Instant) -> Transport {
        let mut cfg = self.config();
        cfg.host_key_algorithms = vec![SigAlg::Ed25519];
        cfg.host_certs = burrow_transport::HostCerts::Never;
        Transport::client(Arc::new(cfg), SeededRng::boxed(self.seed), now)
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

/// Feeds `input` to a recorded client the way the recorder did: it accepts the host key, sends
/// SERVICE_REQUEST "ssh-userauth" as soon as the first exchange is done, and collects every
/// event into `events`.
pub fn drive_client(
    client: &mut Transport,
    input: &mut BytesMut,
    now: Instant,
    events: &mut Vec<TransportEvent>,
) -> Result<(), TransportError> {
    let mut result = client.handle_input(input, now);
    while let Some(ev) = client.poll_event() {
        match &ev {
            TransportEvent::VerifyHostKey { .. } => {
                client.answer_host_key(HostKeyVerdict::Accept);
                result = result.and_then(|()| client.handle_input(input, now));
            }
            TransportEvent::KexDone(info) if info.initial => {
                let sent = client.send_payload(&service_request(USERAUTH));
                result = result.and(sent);
            }
            _ => {}
        }
        events.push(ev);
    }
    result
}
