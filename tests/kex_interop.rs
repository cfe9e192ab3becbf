//! Key exchange interop with OpenSSH 9.2: burrow client -> sshd for every method sshd speaks
//! (sntrup761x25519, curve25519, ecdh-nistp, DH groups 14/16/18), `ssh` -> burrow server for
//! every method burrow's server offers that ssh speaks. Each ends with SERVICE_ACCEPT.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;

use burrow_keys::Ed25519KeyPair;
use burrow_transport::service::{requested_service, service_accept};
use burrow_transport::{TransportConfig, TransportEvent};
use common::auth::{authenticate, local_user};
use common::conn::Conn;
use common::matrix::TIMEOUT;
use common::ssh::ssh_command;
use common::sshd::Sshd;
use common::{TempDir, require_binary};

/// Every method OpenSSH 9.2 (Debian) speaks that burrow's client speaks: all but
/// mlkem768x25519-sha256 (OpenSSH 9.9+).
const SSHD_KEX: [&str; 10] = [
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
];

#[test]
fn burrow_client_speaks_every_kex_of_sshd() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    for kex in SSHD_KEX {
        let mut cfg = TransportConfig::default();
        cfg.set_kex_algorithms(kex).unwrap();
        let mut conn = Conn::client(sshd.port, cfg);
        conn.expected_host_key = Some(sshd.host_key_blob.clone());
        conn.wait_kex(1, TIMEOUT);
        // Log in (sshd rekeys only after authentication), then rekey with the same method:
        // the session id stays the first H (64 bytes for the SHA-512 methods).
        authenticate(&mut conn, &local_user(), &sshd.client_key);
        let id = conn.t.session_id().unwrap().as_bytes().to_vec();
        conn.t.rekey().unwrap();
        conn.wait_kex(2, TIMEOUT);
        assert_eq!(conn.t.session_id().unwrap().as_bytes(), &id[..]);
    }
    let log = sshd.log();
    for kex in SSHD_KEX {
        assert!(
            log.contains(&format!("kex: algorithm: {kex} [")),
            "sshd log lacks kex {kex}"
        );
    }
}

#[test]
fn burrow_client_default_order_lands_on_sntrup761_with_sshd_9_2_which_lacks_mlkem() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let mut conn = Conn::client(sshd.port, TransportConfig::default());
    conn.wait_kex(1, TIMEOUT);
    assert!(
        sshd.log()
            .contains("kex: algorithm: sntrup761x25519-sha512 ["),
        "{}",
        sshd.log()
    );
}

/// Serves one `ssh` connection up to SERVICE_ACCEPT; returns how many key exchanges finished.
fn serve_one(listener: TcpListener, host_key: Arc<Ed25519KeyPair>) -> usize {
    let (stream, _) = listener.accept().expect("accept");
    let mut conn = Conn::server(stream, TransportConfig::default(), host_key);
    while let Some(ev) = conn.next_event(TIMEOUT) {
        match ev {
            TransportEvent::Payload(p) => {
                if let Some(service) = requested_service(&p) {
                    conn.t.send_payload(&service_accept(&service)).unwrap();
                } else if p.first() == Some(&50) {
                    conn.t.send_payload(&[51, 0, 0, 0, 0, 0]).unwrap();
                }
            }
            TransportEvent::Disconnected { .. } => break,
            other => panic!("server: unexpected {other:?}"),
        }
    }
    conn.kex_done
}

#[test]
fn openssh_client_speaks_every_kex_burrow_server_offers() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let dir = TempDir::new("kex-ssh");
    let host_key = Arc::new(Ed25519KeyPair::from_seed(&[0x19; 32]));
    // The server offers no DH group: ssh pinned to one must fail to agree.
    for kex in SSHD_KEX
        .into_iter()
        .chain(["diffie-hellman-group14-sha256"])
    {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let key = host_key.clone();
        let server = std::thread::spawn(move || {
            std::panic::catch_unwind(move || serve_one(listener, key)).unwrap_or(0)
        });
        let out = ssh_command(&ssh, port, dir.path())
            .args(["-vvv", "-o", &format!("KexAlgorithms={kex}")])
            .args(["-N", "nobody@127.0.0.1"])
            .output()
            .expect("run ssh");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let kex_done = server.join().expect("server thread");
        if kex.starts_with("diffie-hellman") {
            assert_eq!(kex_done, 0, "{kex}");
            assert!(
                stderr.contains("no matching key exchange method found"),
                "{kex}: {stderr}"
            );
            continue;
        }
        assert_eq!(kex_done, 1, "{kex}: {stderr}");
        let negotiated = format!("debug1: kex: algorithm: {kex}");
        assert!(
            stderr.lines().any(|l| l.trim_end() == negotiated),
            "{kex}: {stderr}"
        );
        assert!(
            stderr.contains("SSH2_MSG_SERVICE_ACCEPT received"),
            "{stderr}"
        );
    }
}
