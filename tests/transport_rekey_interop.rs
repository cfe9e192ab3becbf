//! Rekey interop with OpenSSH: sshd with `RekeyLimit 64K` while burrow pushes data (IGNOREs,
//! and channel data checked byte for byte), rekeys burrow starts, and `ssh` -> burrow server
//! rekeys started by either side. sshd never rekeys before authentication (OpenSSH packet.c),
//! so the sshd tests log in first with a publickey request built by hand.
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
use burrow_transport::service::{USERAUTH, service_accept};
use burrow_transport::{TransportConfig, TransportEvent};
use common::auth::{authenticate, local_user};
use common::conn::Conn;
use common::matrix::{KEX, MATRIX, TIMEOUT, client_cfg};
use common::ssh::ssh_command;
use common::sshd::Sshd;
use common::{TempDir, require_binary};

/// After authentication: GLOBAL_REQUEST keepalive@openssh.com with want_reply, which sshd
/// answers with REQUEST_FAILURE.
fn global_request_round_trip(conn: &mut Conn) {
    let mut req = vec![80u8, 0, 0, 0, 21];
    req.extend_from_slice(b"keepalive@openssh.com");
    req.push(1);
    conn.t.send_payload(&req).unwrap();
    match conn.next_event(TIMEOUT) {
        Some(TransportEvent::Payload(p)) => assert_eq!(p.first(), Some(&82), "{p:?}"),
        other => panic!("expected REQUEST_FAILURE, got {other:?}"),
    }
}

#[test]
fn burrow_client_survives_sshd_rekeying_every_64k_while_pushing_a_megabyte() {
    let Some(sshd) = Sshd::start(&["RekeyLimit 64K"]) else {
        return;
    };
    let user = local_user();
    for (cipher, mac) in [MATRIX[0], MATRIX[1], MATRIX[4], MATRIX[5]] {
        let mut conn = Conn::client(sshd.port, client_cfg(cipher, mac, KEX[0]));
        conn.wait_kex(1, TIMEOUT);
        authenticate(&mut conn, &user, &sshd.client_key);
        // 1.5 MB of SSH_MSG_IGNORE: sshd counts them and rekeys every 64 KiB.
        let mut ignore = vec![2u8, 0, 0, 0x04, 0];
        ignore.resize(5 + 1024, 0xab);
        let mut sent = 0usize;
        while sent < 1_500_000 {
            if conn.t.is_accepting_payloads() {
                for _ in 0..16 {
                    conn.t.send_payload(&ignore).unwrap();
                    sent += ignore.len();
                }
                conn.flush();
            }
            assert!(
                conn.next_event(Duration::from_millis(1)).is_none(),
                "peer closed"
            );
        }
        // The stream is intact after every rekey: sshd still answers a request.
        global_request_round_trip(&mut conn);
        eprintln!("{cipher}: {} key exchanges", conn.kex_done);
        assert!(
            conn.kex_done >= 10,
            "{cipher}: only {} key exchanges",
            conn.kex_done
        );
    }
}

#[test]
fn burrow_client_rekeys_on_its_own_limit_and_on_command_with_sshd() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let mut cfg = client_cfg(MATRIX[3].0, MATRIX[3].1, KEX[1]);
    cfg.rekey_limit.bytes = Some(64 << 10);
    let mut conn = Conn::client(sshd.port, cfg);
    conn.wait_kex(1, TIMEOUT);
    authenticate(&mut conn, &local_user(), &sshd.client_key);
    conn.t.rekey().unwrap();
    conn.wait_kex(2, TIMEOUT);
    let mut ignore = vec![2u8, 0, 0, 0x10, 0];
    ignore.resize(5 + 4096, 0x5a);
    for _ in 0..128 {
        while !conn.t.is_accepting_payloads() {
            assert!(conn.next_event(Duration::from_millis(5)).is_none());
        }
        conn.t.send_payload(&ignore).unwrap();
        conn.flush();
        assert!(conn.next_event(Duration::from_millis(0)).is_none());
    }
    global_request_round_trip(&mut conn);
    assert!(conn.kex_done >= 8, "only {} key exchanges", conn.kex_done);
}

/// Serves one `ssh -N`: kex, SERVICE_ACCEPT, USERAUTH_SUCCESS to the first request (the test
/// server has no auth of its own), a rekey it starts itself, then IGNOREs every 100 ms until
/// ssh's time limit has started `ssh_rekeys` more, and disconnects. Returns the number of finished key exchanges.
fn serve_with_rekeys(listener: TcpListener, ssh_rekeys: usize) -> usize {
    let (stream, _) = listener.accept().expect("accept");
    let host_key = Arc::new([KeyPair::from_ed25519_seed(&[0x18; 32])]);
    let mut conn = Conn::server(stream, TransportConfig::default(), host_key);
    let mut authenticated = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if authenticated && conn.kex_done == 1 {
            conn.t.rekey().unwrap();
        }
        if conn.kex_done >= 2 + ssh_rekeys {
            break;
        }
        if conn.kex_done >= 2 && conn.t.is_accepting_payloads() {
            // ssh checks its time limit when traffic arrives: keep some coming.
            conn.t.send_payload(&[2, 0, 0, 0, 0]).unwrap();
        }
        match conn.next_event(Duration::from_millis(100)) {
            Some(TransportEvent::Payload(p)) => match p.first() {
                Some(5) => conn.t.send_payload(&service_accept(USERAUTH)).unwrap(),
                Some(50) => {
                    conn.t.send_payload(&[52]).unwrap();
                    authenticated = true;
                }
                // A global request such as no-more-sessions@openssh.com: refuse it.
                Some(80) => {}
                _ => panic!("server: unexpected payload {p:?}"),
            },
            Some(other) => panic!("server: unexpected {other:?}"),
            None if conn.t.is_closed() => break,
            None => {}
        }
    }
    let done = conn.kex_done;
    conn.t
        .disconnect(burrow_wire::DisconnectReason::ByApplication, "test over");
    conn.flush();
    done
}

#[test]
fn openssh_client_and_burrow_server_rekey_both_ways() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let dir = TempDir::new("ssh-rekey");
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || serve_with_rekeys(listener, 2));
    let out = ssh_command(&ssh, port, dir.path())
        .args([
            "-vvv",
            "-o",
            "RekeyLimit=default 1s",
            "-o",
            "Ciphers=aes256-gcm@openssh.com",
        ])
        .args(["-N", "nobody@127.0.0.1"])
        .output()
        .expect("run ssh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kex_done = server.join().expect("server thread");
    assert!(kex_done >= 4, "{kex_done} key exchanges:\n{stderr}");
    assert!(stderr.contains("using \"none\""), "{stderr}");
    let newkeys = stderr.matches("SSH2_MSG_NEWKEYS received").count();
    assert!(newkeys >= 4, "ssh saw {newkeys} NEWKEYS:\n{stderr}");
    assert!(
        stderr.contains("test over"),
        "ssh reports our DISCONNECT:\n{stderr}"
    );
}

// The echo target is the test kit's.
use burrow_testkit::targets::echo_tcp as echo_server;

/// Data integrity across rekeys: 2 MB through a direct-tcpip channel (messages built by hand)
/// to an echo server, with sshd rekeying every 64 KiB; every byte comes back in order.
#[test]
fn channel_data_survives_sshd_rekeying_every_64k_byte_for_byte() {
    use burrow_wire::{Reader, Writer};
    let Some(sshd) = Sshd::start(&["RekeyLimit 64K"]) else {
        return;
    };
    let echo_port = echo_server();
    let mut conn = Conn::client(sshd.port, client_cfg(MATRIX[0].0, None, KEX[0]));
    conn.wait_kex(1, TIMEOUT);
    authenticate(&mut conn, &local_user(), &sshd.client_key);

    const WINDOW: u32 = 8 << 20;
    let mut open = bytes::BytesMut::new();
    Writer::new(&mut open)
        .byte(90)
        .utf8("direct-tcpip")
        .uint32(0)
        .uint32(WINDOW)
        .uint32(32768)
        .utf8("127.0.0.1")
        .uint32(u32::from(echo_port))
        .utf8("127.0.0.1")
        .uint32(40000);
    conn.t.send_payload(&open).unwrap();
    let (remote, mut send_window, max_packet) = match conn.next_event(TIMEOUT) {
        Some(TransportEvent::Payload(p)) if p.first() == Some(&91) => {
            let mut r = Reader::new(&p[1..]);
            assert_eq!(r.uint32("recipient").unwrap(), 0);
            (
                r.uint32("sender").unwrap(),
                r.uint32("window").unwrap(),
                r.uint32("max").unwrap(),
            )
        }
        other => panic!("expected CHANNEL_OPEN_CONFIRMATION, got {other:?}"),
    };

    let total = 2_000_000usize;
    let data: Vec<u8> = (0..total).map(|i| (i * 7 + i / 251) as u8).collect();
    let mut sent = 0usize;
    let mut received = Vec::with_capacity(total);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while received.len() < total {
        assert!(
            std::time::Instant::now() < deadline,
            "stalled at {} of {total}",
            received.len()
        );
        while sent < total && send_window > 0 && conn.t.is_accepting_payloads() {
            let n = (total - sent)
                .min(send_window as usize)
                .min(max_packet as usize - 64)
                .min(16384);
            let mut msg = bytes::BytesMut::new();
            Writer::new(&mut msg)
                .byte(94)
                .uint32(remote)
                .string(&data[sent..sent + n]);
            conn.t.send_payload(&msg).unwrap();
            sent += n;
            send_window -= n as u32;
        }
        conn.flush();
        match conn.next_event(Duration::from_millis(5)) {
            Some(TransportEvent::Payload(p)) => {
                let mut r = Reader::new(&p[1..]);
                match p[0] {
                    94 => {
                        assert_eq!(r.uint32("recipient").unwrap(), 0);
                        received.extend_from_slice(r.string("data").unwrap());
                    }
                    93 => {
                        r.uint32("recipient").unwrap();
                        send_window += r.uint32("bytes_to_add").unwrap();
                    }
                    other => panic!("unexpected message {other}"),
                }
            }
            Some(other) => panic!("unexpected {other:?}"),
            None => assert!(!conn.t.is_closed(), "connection closed"),
        }
    }
    assert!(received == data, "echoed bytes differ from the bytes sent");
    assert!(conn.kex_done >= 20, "only {} key exchanges", conn.kex_done);
    eprintln!("{} key exchanges while 2 MB went each way", conn.kex_done);
}
