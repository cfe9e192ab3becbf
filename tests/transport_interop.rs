//! Transport interop with OpenSSH: burrow client -> sshd and `ssh` -> burrow server complete
//! the key exchange and the ssh-userauth service request for every cipher and both curve25519
//! names; DISCONNECT travels both ways.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use burrow_keys::KeyPair;
use burrow_transport::service::{
    USERAUTH, accepted_service, requested_service, service_accept, service_request,
};
use burrow_transport::{TransportConfig, TransportEvent};
use common::conn::Conn;
use common::matrix::{KEX, MATRIX, TIMEOUT, client_cfg};
use common::ssh::ssh_command;
use common::sshd::Sshd;
use common::{TempDir, require_binary};

/// Sends SERVICE_REQUEST ssh-userauth and waits for SERVICE_ACCEPT.
fn request_userauth(conn: &mut Conn) {
    conn.t.send_payload(&service_request(USERAUTH)).unwrap();
    match conn.next_event(TIMEOUT) {
        Some(TransportEvent::Payload(p)) => {
            assert_eq!(accepted_service(&p).as_deref(), Some(USERAUTH), "{p:?}")
        }
        other => panic!("expected SERVICE_ACCEPT, got {other:?}"),
    }
}

#[test]
fn burrow_client_completes_kex_and_service_request_with_sshd_for_every_cipher() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    for (cipher, mac) in MATRIX {
        for kex in KEX {
            let mut conn = Conn::client(sshd.port, client_cfg(cipher, mac, kex));
            conn.expected_host_key = Some(sshd.host_key_blob.clone());
            conn.wait_kex(1, TIMEOUT);
            request_userauth(&mut conn);
            assert_eq!(
                conn.t
                    .server_sig_algs()
                    .map(|a| a.iter().any(|s| s == "ssh-ed25519")),
                Some(true)
            );
            assert!(conn.t.session_id().is_some());
        }
    }
    let log = sshd.log();
    for (cipher, mac) in MATRIX {
        let want = format!("cipher: {cipher} MAC: {}", mac.unwrap_or("<implicit>"));
        assert!(log.contains(&want), "sshd log lacks {want:?}");
    }
    for kex in KEX {
        assert!(
            log.contains(&format!("kex: algorithm: {kex} [")),
            "sshd log lacks kex {kex}"
        );
    }
}

/// Accepts one connection and serves it: kex, SERVICE_ACCEPT for ssh-userauth, then a
/// USERAUTH_FAILURE with no methods to every request. Returns the services requested.
fn serve_one(listener: TcpListener, host_key: Arc<[KeyPair]>) -> (usize, Vec<String>) {
    let (stream, _) = listener.accept().expect("accept");
    let mut conn = Conn::server(stream, TransportConfig::default(), host_key);
    let mut services = Vec::new();
    while let Some(ev) = conn.next_event(TIMEOUT) {
        match ev {
            TransportEvent::Payload(p) => {
                if let Some(service) = requested_service(&p) {
                    conn.t.send_payload(&service_accept(&service)).unwrap();
                    services.push(service);
                } else if p.first() == Some(&50) {
                    // USERAUTH_FAILURE: no methods can continue, no partial success.
                    conn.t.send_payload(&[51, 0, 0, 0, 0, 0]).unwrap();
                }
            }
            TransportEvent::Disconnected { .. } => break,
            other => panic!("server: unexpected {other:?}"),
        }
    }
    (conn.kex_done, services)
}

#[test]
fn openssh_client_completes_kex_and_service_request_with_burrow_server_for_every_cipher() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let dir = TempDir::new("ssh-client");
    let host_key = Arc::new([KeyPair::from_ed25519_seed(&[0x17; 32])]);
    for (cipher, mac) in MATRIX {
        for kex in KEX {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            let port = listener.local_addr().unwrap().port();
            let key = host_key.clone();
            let server = std::thread::spawn(move || serve_one(listener, key));
            let mut cmd = ssh_command(&ssh, port, dir.path());
            cmd.args(["-vvv", "-o", &format!("Ciphers={cipher}")])
                .args(["-o", &format!("KexAlgorithms={kex}")]);
            if let Some(mac) = mac {
                cmd.args(["-o", &format!("MACs={mac}")]);
            }
            let out = cmd
                .args(["-N", "nobody@127.0.0.1"])
                .output()
                .expect("run ssh");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let (kex_done, services) = server.join().expect("server thread");
            assert_eq!(kex_done, 1, "{cipher}: {stderr}");
            assert_eq!(services, [USERAUTH]);
            for want in [
                format!("kex: algorithm: {kex}"),
                format!("cipher: {cipher} MAC: {}", mac.unwrap_or("<implicit>")),
                "SSH2_MSG_SERVICE_ACCEPT received".to_owned(),
                "Server host key: ssh-ed25519".to_owned(),
            ] {
                assert!(
                    stderr.contains(&want),
                    "ssh stderr lacks {want:?}:\n{stderr}"
                );
            }
            assert!(!out.status.success(), "authentication cannot succeed");
        }
    }
}

#[test]
fn disconnect_travels_both_ways_with_sshd() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    // sshd refuses an unknown service with a DISCONNECT that burrow reports.
    let mut conn = Conn::client(sshd.port, TransportConfig::default());
    conn.wait_kex(1, TIMEOUT);
    conn.t
        .send_payload(&service_request("no-such-service@burrow"))
        .unwrap();
    match conn.next_event(TIMEOUT) {
        Some(TransportEvent::Disconnected {
            reason,
            description,
        }) => {
            assert_eq!(reason, burrow_wire::DisconnectReason::ProtocolError);
            assert!(
                description.contains("no-such-service@burrow"),
                "{description}"
            );
        }
        other => panic!("expected DISCONNECT, got {other:?}"),
    }
    assert!(conn.t.is_closed());
    // burrow's DISCONNECT reaches sshd with its reason code and text.
    let mut conn = Conn::client(sshd.port, TransportConfig::default());
    conn.wait_kex(1, TIMEOUT);
    conn.t.disconnect(
        burrow_wire::DisconnectReason::ByApplication,
        "burrow says bye",
    );
    conn.flush();
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !sshd.log().contains(":11: burrow says bye") {
        assert!(
            std::time::Instant::now() < deadline,
            "sshd did not log our DISCONNECT:\n{}",
            sshd.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
