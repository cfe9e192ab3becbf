//! A burrow server (`ForwardHandler`) under pipelined requests, driven by a raw client (the
//! sans-IO transport over a socket, requests written by hand): 300 want-reply
//! `tcpip-forward` requests sent back to back all get answers, and a flood of keepalive
//! requests from a client that never reads leaves the server's memory bounded because the
//! server stops reading until its replies drain.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{ErrorKind, Write};
use std::time::{Duration, Instant};

use burrow_forward::ForwardPolicy;
use burrow_keyfiles::KeyOptions;
use burrow_keys::KeyPair;
use burrow_transport::{TransportConfig, TransportEvent};
use burrow_wire::Writer;
use bytes::BytesMut;
use common::auth::authenticate;
use common::conn::Conn;
use common::forward::burrow_server;

const REQUEST_SUCCESS: u8 = 81;
const REQUEST_FAILURE: u8 = 82;

fn tcpip_forward_port_0() -> BytesMut {
    let mut b = BytesMut::new();
    Writer::new(&mut b)
        .byte(80)
        .utf8("tcpip-forward")
        .boolean(true)
        .utf8("127.0.0.1")
        .uint32(0);
    b
}

fn keepalive() -> BytesMut {
    let mut b = BytesMut::new();
    Writer::new(&mut b)
        .byte(80)
        .utf8("keepalive@openssh.com")
        .boolean(true);
    b
}

/// A raw client logged in to a fresh burrow server as `tester`.
async fn logged_in() -> (Conn, burrow::ServerStop) {
    let key = KeyPair::from_ed25519_seed(&[0x44; 32]);
    let blob = key.public_key().to_blob();
    let (port, stop) =
        burrow_server(ForwardPolicy::default(), blob, KeyOptions::unrestricted()).await;
    let conn = tokio::task::spawn_blocking(move || {
        let mut conn = Conn::client(port, TransportConfig::default());
        conn.wait_kex(1, Duration::from_secs(20));
        authenticate(&mut conn, "tester", &key);
        conn
    })
    .await
    .unwrap();
    (conn, stop)
}

/// The next global reply's message number and payload, skipping nothing else.
fn next_reply(conn: &mut Conn, timeout: Duration) -> (u8, bytes::Bytes) {
    match conn.next_event(timeout) {
        Some(TransportEvent::Payload(p)) if matches!(p.first(), Some(&81 | &82)) => (p[0], p),
        other => panic!("expected a global request reply, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_pipelined_tcpip_forwards_all_get_answers() {
    let (mut conn, _stop) = logged_in().await;
    tokio::task::spawn_blocking(move || {
        const N: usize = 300;
        for _ in 0..N {
            conn.t.send_payload(&tcpip_forward_port_0()).unwrap();
        }
        // All 300 leave in one write, before any reply is read.
        conn.flush();
        let mut ports = std::collections::HashSet::new();
        for i in 0..N {
            let (number, p) = next_reply(&mut conn, Duration::from_secs(30));
            assert_eq!(number, REQUEST_SUCCESS, "reply {i} of {N}");
            let port = u32::from_be_bytes(p[1..5].try_into().unwrap());
            assert!(ports.insert(port), "port {port} bound twice");
        }
        assert_eq!(ports.len(), N);
    })
    .await
    .unwrap();
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Up to 10^6 keepalive requests, written and never read, until the server stops reading
/// (a write blocks for 3 s). The server lives in this process: its growth is the RSS
/// growth (the client keeps one 100-request batch). Then the client reads, and every
/// request sent gets its REQUEST_FAILURE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keepalive_flood_from_a_client_that_never_reads_keeps_memory_bounded() {
    let (mut conn, _stop) = logged_in().await;
    tokio::task::spawn_blocking(move || {
        const TOTAL: usize = 1_000_000;
        const BATCH: usize = 100;
        let before = rss_kib();
        let mut peak = before;
        let mut stream = conn.stream.try_clone().unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let mut out = BytesMut::new();
        let mut sent = 0usize;
        let mut stalled = false;
        let started = Instant::now();
        'flood: while sent < TOTAL {
            for _ in 0..BATCH {
                conn.t.send_payload(&keepalive()).unwrap();
            }
            sent += BATCH;
            let _ = conn.t.poll_transmit(&mut out);
            while !out.is_empty() {
                match stream.write(&out) {
                    Ok(n) => {
                        let _ = out.split_to(n);
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                        stalled = true;
                        break 'flood;
                    }
                    Err(e) => panic!("write: {e}"),
                }
            }
            if sent.is_multiple_of(10_000) {
                peak = peak.max(rss_kib());
            }
        }
        std::thread::sleep(Duration::from_millis(500));
        peak = peak.max(rss_kib());
        let growth = peak.saturating_sub(before);
        eprintln!(
            "keepalive flood: {sent} requests written in {:?}, server stopped reading: {stalled}; \
             RSS {before} KiB -> peak {peak} KiB (+{growth} KiB)",
            started.elapsed()
        );
        assert!(
            growth < 24 * 1024,
            "server memory grew by {growth} KiB under {sent} unread keepalive replies"
        );
        // The rest of the last batch goes out while the client reads every reply.
        let writer = std::thread::spawn(move || {
            stream.set_write_timeout(None).unwrap();
            stream.write_all(&out).unwrap();
        });
        for i in 0..sent {
            let (number, _) = next_reply(&mut conn, Duration::from_secs(30));
            assert_eq!(number, REQUEST_FAILURE, "reply {i} of {sent}");
        }
        writer.join().unwrap();
    })
    .await
    .unwrap();
}
