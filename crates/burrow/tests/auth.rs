//! In-process tests of the handshake: host key rejection, unknown keys, password callbacks.
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
use util::*;

#[tokio::test]
async fn wrong_host_key_is_rejected_with_context() {
    let (c, s) = tokio::io::duplex(64 << 10);
    let h = test_server();
    tokio::spawn(async move {
        Server::serve_stream(s, test_peer(), Arc::new(server_config(8)), h).await
    });
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
    tokio::spawn(async move {
        Server::serve_stream(s, test_peer(), Arc::new(server_config(8)), h).await
    });
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
    tokio::spawn(async move { Server::serve_stream(s, test_peer(), Arc::new(scfg), h).await });
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

/// A dual-stack listener's IPv4 client reaches the handler as IPv4 (not `::ffff:127.0.0.1`,
/// which IPv4 `from=` patterns would not match), an IPv6 client as itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_get_the_client_address_typed_and_ipv4_mapped_as_ipv4() {
    let (port, handler, _stop, _task) = tcp_server_on("[::]:0", server_config(8)).await;
    for host in ["127.0.0.1", "::1"] {
        let session = Client::connect(host, port, client_config(8)).await.unwrap();
        session.disconnect().await;
    }
    let peers = handler.peers.lock().unwrap().clone();
    assert!(!peers.is_empty());
    let v4: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let v6: std::net::IpAddr = "::1".parse().unwrap();
    assert_eq!(peers.first().unwrap().ip(), v4, "{peers:?}");
    assert_eq!(peers.last().unwrap().ip(), v6, "{peers:?}");
    assert!(peers.iter().all(|p| p.port() != 0));
}
