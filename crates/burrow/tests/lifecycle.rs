//! In-process tests of session lifecycles: keepalives with paused time, disconnect, server
//! stop with a drain deadline, LoginGraceTime, MaxStartups.
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
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use util::*;

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
        tokio::spawn(
            async move { Server::serve_stream(s, test_peer(), Arc::new(server), h).await },
        );
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

/// LoginGraceTime 0 is sshd's "no limit": a client may take an hour to log in (it was
/// dropped at once).
#[tokio::test(start_paused = true)]
async fn login_grace_time_0_means_no_limit() {
    let (c, s) = tokio::io::duplex(64 << 10);
    let mut scfg = server_config(16);
    scfg.userauth.login_grace_time = Duration::ZERO;
    let h = test_server();
    let server =
        tokio::spawn(async move { Server::serve_stream(s, test_peer(), Arc::new(scfg), h).await });
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(
        !server.is_finished(),
        "dropped while the client was still silent"
    );
    let session = Client::connect_stream(c, "srv", 22, client_config(16))
        .await
        .unwrap();
    session.disconnect().await;
    server.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn login_grace_time_drops_a_client_that_never_authenticates() {
    let (c, s) = tokio::io::duplex(64 << 10);
    let mut cfg = server_config(16);
    cfg.userauth.login_grace_time = Duration::from_secs(30);
    let h = test_server();
    let server =
        tokio::spawn(async move { Server::serve_stream(s, test_peer(), Arc::new(cfg), h).await });
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

/// 40 connections at once against MaxStartups 3: exactly 3 get the server's version line,
/// the others are closed. The accept loop takes the whole burst before any connection task
/// runs (one thread), so the count must be taken before the task is spawned.
#[tokio::test]
async fn max_startups_holds_against_a_burst() {
    let mut cfg = server_config(8);
    cfg.max_startups = burrow::MaxStartups::parse("3").unwrap();
    let (port, _h, stop, _run) = tcp_server(cfg).await;
    let burst: Vec<std::net::TcpStream> = (0..40)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let mut kept = 0;
    for s in burst {
        s.set_nonblocking(true).unwrap();
        let mut s = tokio::net::TcpStream::from_std(s).unwrap();
        let mut buf = [0u8; 8];
        let r = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await;
        match r {
            Ok(Ok(8)) if &buf == b"SSH-2.0-" => kept += 1,
            Ok(Ok(0) | Err(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(kept, 3, "MaxStartups 3 kept {kept} of a burst of 40");
    stop.stop(Duration::from_secs(1));
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
