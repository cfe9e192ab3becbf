//! In-process client <-> server tests over duplex pipes and loopback TCP: echo, parallel
//! channels, bulk integrity, backpressure, vanishing peers, keepalives, remote forwards,
//! graceful stop, LoginGraceTime, 10,000 idle channels.
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
        Server::serve_stream(stream, "c", Arc::new(server_config(1024)), h).await
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

/// A pipe between client and server that can be cut silently (the peer stops answering
/// without closing anything).
async fn cuttable_pair(
    client: burrow::ClientConfig,
    server: burrow::ServerConfig,
) -> (
    burrow::Session,
    Arc<std::sync::atomic::AtomicBool>,
    tokio::task::JoinHandle<Result<(), Arc<burrow::Error>>>,
) {
    let (c, mid_a) = tokio::io::duplex(64 << 10);
    let (mid_b, s) = tokio::io::duplex(64 << 10);
    let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cut2 = cut.clone();
    tokio::spawn(async move {
        let (mut ar, mut aw) = tokio::io::split(mid_a);
        let (mut br, mut bw) = tokio::io::split(mid_b);
        let mut b1 = vec![0u8; 16 << 10];
        let mut b2 = vec![0u8; 16 << 10];
        loop {
            tokio::select! {
                r = ar.read(&mut b1) => {
                    let n = r.unwrap_or(0);
                    if n == 0 { break }
                    if !cut2.load(std::sync::atomic::Ordering::SeqCst) {
                        bw.write_all(&b1[..n]).await.unwrap_or_default();
                    }
                }
                r = br.read(&mut b2) => {
                    let n = r.unwrap_or(0);
                    if n == 0 { break }
                    if !cut2.load(std::sync::atomic::Ordering::SeqCst) {
                        aw.write_all(&b2[..n]).await.unwrap_or_default();
                    }
                }
            }
        }
        // Keep both ends open: a dead peer sends nothing, not even FIN.
        std::future::pending::<()>().await;
    });
    let h = test_server();
    let server =
        tokio::spawn(async move { Server::serve_stream(s, "c", Arc::new(server), h).await });
    let session = Client::connect_stream(c, "s", 22, client).await.unwrap();
    (session, cut, server)
}

#[tokio::test(start_paused = true)]
async fn server_alive_detects_a_silent_server() {
    let mut cfg = client_config(1024);
    cfg.server_alive_interval = Some(Duration::from_secs(15));
    cfg.server_alive_count_max = 3;
    let (session, cut, _server) = cuttable_pair(cfg, server_config(1024)).await;
    // Keepalives are answered while the pipe works.
    tokio::time::sleep(Duration::from_secs(100)).await;
    assert!(!session.is_closed());
    cut.store(true, std::sync::atomic::Ordering::SeqCst);
    let started = tokio::time::Instant::now();
    let why = session.closed().await;
    assert!(
        matches!(*why.kind, ErrorKind::KeepaliveTimeout { count: 3 }),
        "{why}"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(45) && took <= Duration::from_secs(75),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn client_alive_detects_a_silent_client() {
    let mut scfg = server_config(1024);
    scfg.client_alive_interval = Some(Duration::from_secs(10));
    scfg.client_alive_count_max = 2;
    let (session, cut, server) = cuttable_pair(client_config(1024), scfg).await;
    // Keepalives are answered while the pipe works.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(!server.is_finished());
    cut.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = server.await.unwrap().unwrap_err();
    assert!(
        matches!(*err.kind, ErrorKind::KeepaliveTimeout { count: 2 }),
        "{err}"
    );
    assert_eq!(
        err.disconnect_reason(),
        burrow::DisconnectReason::ConnectionLost
    );
    drop(session);
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
async fn disconnect_ends_both_sides() {
    let (session, _h, server) = duplex_pair(client_config(1024), server_config(1024)).await;
    with_timeout(10, session.disconnect()).await;
    let why = session.closed().await;
    assert!(matches!(*why.kind, ErrorKind::LocallyClosed), "{why}");
    assert!(with_timeout(10, server).await.unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stop_lets_open_channels_finish_until_the_deadline() {
    let (port, _h, stop, run) = tcp_server(server_config(1024)).await;
    let session = Client::connect("127.0.0.1", port, client_config(1024))
        .await
        .unwrap();
    let mut ch = session.open_direct_tcpip("echo", 7, "", 0).await.unwrap();
    stop.stop(Duration::from_secs(2));
    // New connections are refused once stopped.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        Client::connect("127.0.0.1", port, client_config(8))
            .await
            .is_err()
    );
    // The open channel still works during the grace period.
    ch.write_all(b"late").await.unwrap();
    let mut buf = [0u8; 4];
    with_timeout(5, ch.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"late");
    // At the deadline the session ends and the server returns.
    with_timeout(10, run).await.unwrap().unwrap();
    let why = with_timeout(10, session.closed()).await;
    assert!(
        matches!(
            *why.kind,
            ErrorKind::PeerDisconnected { .. } | ErrorKind::PeerClosedSocket
        ),
        "{why}"
    );
}

#[tokio::test(start_paused = true)]
async fn login_grace_time_drops_a_client_that_never_authenticates() {
    let (c, s) = tokio::io::duplex(64 << 10);
    let mut cfg = server_config(16);
    cfg.userauth.login_grace_time = Duration::from_secs(30);
    let h = test_server();
    let server = tokio::spawn(async move { Server::serve_stream(s, "c", Arc::new(cfg), h).await });
    // The "client" sends its version line and then nothing.
    let (mut r, mut w) = tokio::io::split(c);
    w.write_all(b"SSH-2.0-silent\r\n").await.unwrap();
    let started = tokio::time::Instant::now();
    let err = server.await.unwrap().unwrap_err();
    assert!(
        matches!(*err.kind, ErrorKind::LoginGraceTimeExpired { seconds: 30 }),
        "{err}"
    );
    assert!(started.elapsed() >= Duration::from_secs(30));
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).await.unwrap();
    assert!(rest.starts_with(b"SSH-2.0-"));
}

#[tokio::test]
async fn wrong_host_key_is_rejected_with_context() {
    let (c, s) = tokio::io::duplex(64 << 10);
    let h = test_server();
    tokio::spawn(async move { Server::serve_stream(s, "c", Arc::new(server_config(8)), h).await });
    let mut cfg = client_config(8);
    cfg.host_key_check = Arc::new(|_: &str, _: u16, _: &burrow::Ed25519PublicKey| false);
    let err = Client::connect_stream(c, "srv", 2222, cfg)
        .await
        .unwrap_err();
    assert!(
        matches!(*err.kind, ErrorKind::HostKeyRejected { .. }),
        "{err}"
    );
    assert_eq!(err.peer, "srv:2222");
    assert_eq!(err.phase, burrow::Phase::KeyExchange);
    assert_eq!(
        err.disconnect_reason(),
        burrow::DisconnectReason::HostKeyNotVerifiable
    );
}

#[tokio::test]
async fn unknown_client_key_fails_authentication() {
    let (c, s) = tokio::io::duplex(64 << 10);
    let h = test_server();
    tokio::spawn(async move { Server::serve_stream(s, "c", Arc::new(server_config(8)), h).await });
    let mut cfg = client_config(8);
    cfg.keys = vec![burrow::Ed25519KeyPair::from_seed(&[0x99; 32])];
    let err = Client::connect_stream(c, "srv", 22, cfg).await.unwrap_err();
    assert!(
        matches!(*err.kind, ErrorKind::AuthenticationFailed { .. }),
        "{err}"
    );
    assert_eq!(err.phase, burrow::Phase::Authentication);
}

struct Answers(&'static str);

impl burrow::AuthPrompt for Answers {
    fn password(&self, _prompt: &str) -> Option<String> {
        Some(self.0.to_owned())
    }
}

async fn password_login(password: &'static str) -> Result<burrow::Session, burrow::Error> {
    let (c, s) = tokio::io::duplex(64 << 10);
    let mut scfg = server_config(8);
    scfg.userauth.password = true;
    scfg.userauth.failure_delay = Duration::ZERO;
    scfg.userauth.failure_jitter = Duration::ZERO;
    let h = test_server();
    tokio::spawn(async move { Server::serve_stream(s, "c", Arc::new(scfg), h).await });
    let mut cfg = client_config(8);
    cfg.keys.clear();
    cfg.prompt = Some(Arc::new(Answers(password)));
    Client::connect_stream(c, "srv", 22, cfg).await
}

#[tokio::test]
async fn password_callback_logs_in_and_a_wrong_one_is_refused() {
    let session = password_login(PASSWORD).await.unwrap();
    assert!(session.open_direct_tcpip("echo", 7, "", 0).await.is_ok());
    let err = password_login("guess").await.unwrap_err();
    assert!(
        matches!(*err.kind, ErrorKind::AuthenticationFailed { .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_startups_drops_connections_beyond_full() {
    let mut cfg = server_config(8);
    cfg.max_startups = burrow::MaxStartups::parse("1").unwrap();
    let (port, _h, stop, _run) = tcp_server(cfg).await;
    // One unauthenticated connection that says nothing.
    let idle = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let err = Client::connect("127.0.0.1", port, client_config(8))
        .await
        .unwrap_err();
    assert!(
        matches!(*err.kind, ErrorKind::PeerClosedSocket | ErrorKind::Io(_)),
        "{err}"
    );
    // Once it is gone, logins work again.
    drop(idle);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let session = Client::connect("127.0.0.1", port, client_config(8))
        .await
        .unwrap();
    session.disconnect().await;
    stop.stop(Duration::from_secs(1));
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
    t.set_rekey_limit("64K").unwrap();
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
async fn weak_session_reports_the_end_of_its_session() {
    let (session, handler, _t) = duplex_pair(client_config(8), server_config(8)).await;
    session.request_remote_forward("", 0).await.unwrap();
    let weak = handler.sessions.lock().unwrap().last().cloned().unwrap();
    assert!(weak.is_alive());
    session.disconnect().await;
    with_timeout(10, weak.closed()).await;
    assert!(!weak.is_alive());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stop_ends_connections_still_authenticating_at_once() {
    let (port, _h, stop, run) = tcp_server(server_config(8)).await;
    let mut raw = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    raw.write_all(b"SSH-2.0-slow\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.stop(Duration::from_secs(60));
    // The server returns long before LoginGraceTime or the grace period.
    with_timeout(10, run).await.unwrap().unwrap();
    let mut rest = Vec::new();
    with_timeout(10, raw.read_to_end(&mut rest))
        .await
        .unwrap_or_default();
    assert!(rest.starts_with(b"SSH-2.0-"));
}

#[tokio::test]
async fn dropping_the_last_session_handle_disconnects() {
    let (session, _h, server) = duplex_pair(client_config(8), server_config(8)).await;
    let clone = session.clone();
    drop(session);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!clone.is_closed(), "a clone keeps the session up");
    drop(clone);
    assert!(with_timeout(10, server).await.unwrap().is_ok());
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
