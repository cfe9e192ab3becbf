//! In-process client <-> server tests of channels and data: echo, refused opens, parallel
//! channels, bulk integrity, backpressure, a vanishing peer, remote forwards, 10,000 idle
//! channels, rekeys under load, EOF and CLOSE.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod util;

use std::sync::Arc;
use std::time::Duration;

use burrow::{Client, ErrorKind, Server};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use util::*;

#[tokio::test]
async fn direct_tcpip_echo_over_duplex() {
    let (session, _h, _t) = duplex_pair(client_config(1024), server_config(1024)).await;
    let mut ch = session
        .open_direct_tcpip("echo", 7, "127.0.0.1", 5000)
        .await
        .unwrap();
    ch.write_all(b"hello burrow").await.unwrap();
    ch.shutdown().await.unwrap();
    let mut back = Vec::new();
    with_timeout(10, ch.read_to_end(&mut back)).await.unwrap();
    assert_eq!(back, b"hello burrow");
}

#[tokio::test]
async fn refused_open_reports_reason_and_keeps_session() {
    let (session, _h, _t) = duplex_pair(client_config(1024), server_config(1024)).await;
    let err = session
        .open_direct_tcpip("nowhere", 7, "127.0.0.1", 5000)
        .await
        .unwrap_err();
    assert!(
        matches!(*err.kind, ErrorKind::ChannelOpenFailed { .. }),
        "{err}"
    );
    assert!(!err.is_fatal());
    assert!(session.open_direct_tcpip("echo", 7, "", 0).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_channels_in_parallel_each_get_their_own_bytes() {
    let (session, _h, _t) = duplex_pair(client_config(1024), server_config(1024)).await;
    let mut tasks = Vec::new();
    for i in 0..64u8 {
        let s = session.clone();
        tasks.push(tokio::spawn(async move {
            let ch = s.open_direct_tcpip("echo", 7, "", 0).await.unwrap();
            let data = pattern(200_000 + usize::from(i) * 1000, i);
            let (mut r, mut w) = tokio::io::split(ch);
            let expect = data.clone();
            let writer = tokio::spawn(async move {
                w.write_all(&data).await.unwrap();
                w.shutdown().await.unwrap();
            });
            let mut back = Vec::new();
            r.read_to_end(&mut back).await.unwrap();
            writer.await.unwrap();
            assert_eq!(back, expect, "channel {i}");
        }));
    }
    for t in tasks {
        with_timeout(60, t).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_64_mib_over_tcp_arrives_intact() {
    let (port, _h, stop, _run) = tcp_server(server_config(1024)).await;
    let session = Client::connect("127.0.0.1", port, client_config(1024))
        .await
        .unwrap();
    let mut ch = session.open_direct_tcpip("hash", 7, "", 0).await.unwrap();
    let block = pattern(1 << 20, 9);
    let mut h = Sha256::new();
    for i in 0..64u8 {
        let mut b = block.clone();
        b[0] = i;
        h.update(&b);
        ch.write_all(&b).await.unwrap();
    }
    ch.shutdown().await.unwrap();
    let mut digest = Vec::new();
    with_timeout(120, ch.read_to_end(&mut digest))
        .await
        .unwrap();
    assert_eq!(digest, h.finalize().to_vec());
    stop.stop(Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_reader_makes_writer_wait_with_buffer_bounded_by_window() {
    let (session, handler, _t) = duplex_pair(client_config(1024), server_config(1024)).await;
    let mut ch = session.open_direct_tcpip("hold", 7, "", 0).await.unwrap();
    let data = pattern(8 << 20, 3);
    let mut written = 0usize;
    // Write until the writer is made to wait.
    loop {
        let end = (written + (64 << 10)).min(data.len());
        match tokio::time::timeout(Duration::from_secs(2), ch.write(&data[written..end])).await {
            Ok(Ok(n)) => written += n,
            Ok(Err(e)) => panic!("write failed: {e}"),
            Err(_) => break,
        }
        assert!(written < data.len(), "writer never had to wait");
    }
    let window = burrow::ConnectionConfig::default().window_size as usize;
    let server_ch = handler.held.lock().unwrap().pop().unwrap();
    let buffered = server_ch.buffered();
    assert!(
        buffered <= window,
        "receiver buffers {buffered} > window {window}"
    );
    assert!(
        written >= window / 2,
        "only {written} bytes went out before waiting"
    );
    // Now the reader drains and the writer finishes.
    let reader = tokio::spawn(async move {
        let mut server_ch = server_ch;
        let mut got = Vec::new();
        server_ch.read_to_end(&mut got).await.unwrap();
        got
    });
    ch.write_all(&data[written..]).await.unwrap();
    ch.shutdown().await.unwrap();
    let got = with_timeout(60, reader).await.unwrap();
    assert_eq!(got, data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_vanishing_mid_transfer_fails_reads_writes_and_session() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = test_server();
    let h = handler.clone();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        Server::serve_stream(stream, test_peer(), Arc::new(server_config(1024)), h).await
    });
    let session = Client::connect("127.0.0.1", port, client_config(1024))
        .await
        .unwrap();
    let mut ch = session.open_direct_tcpip("hold", 7, "", 0).await.unwrap();
    ch.write_all(&pattern(100_000, 1)).await.unwrap();
    server.abort();
    handler.held.lock().unwrap().clear();
    let writing = async {
        loop {
            if let Err(e) = ch.write_all(&pattern(1 << 16, 2)).await {
                return e;
            }
        }
    };
    let err = with_timeout(20, writing).await;
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::BrokenPipe
        ),
        "{err}"
    );
    let why = with_timeout(5, session.closed()).await;
    assert!(
        matches!(*why.kind, ErrorKind::PeerClosedSocket | ErrorKind::Io(_)),
        "{why}"
    );
}

#[tokio::test]
async fn remote_forward_returns_bound_port_and_forwarded_channels_reach_the_handler() {
    let (session, handler, _t) = duplex_pair(client_config(1024), server_config(1024)).await;
    let port = session
        .request_remote_forward("127.0.0.1", 0)
        .await
        .unwrap();
    assert_eq!(port, PORT_GIVEN);
    let refused = session.request_remote_forward("127.0.0.1", 80).await;
    assert!(matches!(
        *refused.unwrap_err().kind,
        ErrorKind::RequestRefused { .. }
    ));
    let weak = handler.sessions.lock().unwrap().last().cloned().unwrap();
    let mut ch = weak
        .open_forwarded_tcpip("127.0.0.1", port, "10.0.0.1", 5555)
        .await
        .unwrap();
    ch.write_all(b"via -R").await.unwrap();
    ch.shutdown().await.unwrap();
    let mut back = Vec::new();
    with_timeout(10, ch.read_to_end(&mut back)).await.unwrap();
    assert_eq!(back, b"via -R");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idle_channels_then_one_still_carries_data() {
    let (session, handler, _t) = duplex_pair(client_config(20_000), server_config(20_000)).await;
    let mut chans = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        chans.push(session.open_direct_tcpip("hold", 7, "", 0).await.unwrap());
    }
    assert_eq!(handler.held.lock().unwrap().len(), 10_000);
    assert_eq!(session.channel_count(), 10_000);
    let mut ch = session.open_direct_tcpip("echo", 7, "", 0).await.unwrap();
    ch.write_all(b"still alive").await.unwrap();
    ch.shutdown().await.unwrap();
    let mut back = Vec::new();
    with_timeout(30, ch.read_to_end(&mut back)).await.unwrap();
    assert_eq!(back, b"still alive");
    drop(chans);
}

#[tokio::test]
async fn exec_is_refused_by_a_forwarding_only_server() {
    let (session, _h, _t) = duplex_pair(client_config(8), server_config(8)).await;
    let err = session.exec("echo hi").await.unwrap_err();
    assert!(
        matches!(
            *err.kind,
            ErrorKind::ChannelOpenFailed { .. } | ErrorKind::RequestRefused { .. }
        ),
        "{err}"
    );
}

#[test]
fn handles_can_move_between_tasks() {
    fn check<T: Send + Sync + 'static>() {}
    check::<burrow::Session>();
    check::<burrow::Channel>();
    check::<burrow::IncomingChannel>();
    check::<burrow::IncomingGlobalRequest>();
    check::<burrow::WeakSession>();
    check::<burrow::Error>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rekeys_every_64_kib_during_a_transfer_keep_data_intact() {
    let mut ccfg = client_config(8);
    let mut t = burrow::TransportConfig::default();
    t.rekey_limit.bytes = Some(64 << 10);
    ccfg.transport = Arc::new(t.clone());
    let mut scfg = server_config(8);
    scfg.transport = Arc::new(t);
    let (session, _h, _t) = duplex_pair(ccfg, scfg).await;
    let ch = session.open_direct_tcpip("echo", 7, "", 0).await.unwrap();
    let data = pattern(4 << 20, 77);
    let (mut r, mut w) = tokio::io::split(ch);
    let expect = data.clone();
    let writer = tokio::spawn(async move {
        w.write_all(&data).await.unwrap();
        w.shutdown().await.unwrap();
    });
    let mut back = Vec::new();
    with_timeout(120, r.read_to_end(&mut back)).await.unwrap();
    writer.await.unwrap();
    assert_eq!(back.len(), expect.len());
    assert!(back == expect);
}

#[tokio::test]
async fn channel_eof_then_peer_close_ends_reads_and_refuses_writes() {
    let (session, handler, _t) = duplex_pair(client_config(8), server_config(8)).await;
    let mut ch = session.open_direct_tcpip("hold", 7, "", 0).await.unwrap();
    let server_ch = handler.held.lock().unwrap().pop().unwrap();
    // The server side sends data, EOF, then drops its handle (CLOSE).
    let mut s = server_ch;
    s.write_all(b"last words").await.unwrap();
    s.shutdown().await.unwrap();
    drop(s);
    let mut got = Vec::new();
    with_timeout(10, ch.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got, b"last words");
    let err = ch.write_all(b"too late").await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    drop(ch);
    // The id is free again once CLOSE went both ways.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(session.channel_count(), 0);
}
