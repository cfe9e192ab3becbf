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
    cfg.host_key_check = Arc::new(|_: &str, _: u16, _: &burrow::PublicKey| false);
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
    cfg.keys = vec![burrow::KeyPair::from_ed25519_seed(&[0x99; 32])];
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

/// Delegates to the test server and records the order of the handler calls; `refuse` makes
/// the post-authentication hook fail.
struct Gate {
    inner: Arc<TestServer>,
    refuse: bool,
    calls: std::sync::Mutex<Vec<&'static str>>,
}

impl burrow::ServerHandler for Gate {
    type Permissions = ();

    fn auth_publickey(
        &self,
        peer: std::net::SocketAddr,
        user: &str,
        key: &burrow::PublicKey,
    ) -> Option<()> {
        self.calls.lock().unwrap().push("auth_publickey");
        self.inner.auth_publickey(peer, user, key)
    }

    fn authenticated(&self, _conn: &burrow::ConnectionInfo<()>) -> std::io::Result<()> {
        self.calls.lock().unwrap().push("authenticated");
        if self.refuse {
            return Err(std::io::Error::other("cannot drop privileges"));
        }
        Ok(())
    }

    fn channel_open(&self, conn: &burrow::ConnectionInfo<()>, channel: burrow::IncomingChannel) {
        self.calls.lock().unwrap().push("channel_open");
        self.inner.channel_open(conn, channel);
    }
}

async fn gated(refuse: bool) -> (Arc<Gate>, Result<(), burrow::Error>) {
    let (c, s) = tokio::io::duplex(64 << 10);
    let gate = Arc::new(Gate {
        inner: test_server(),
        refuse,
        calls: std::sync::Mutex::default(),
    });
    let h = gate.clone();
    tokio::spawn(async move {
        Server::serve_stream(s, test_peer(), Arc::new(server_config(8)), h).await
    });
    let opened = async {
        let session = Client::connect_stream(c, "srv", 22, client_config(8)).await?;
        session.open_direct_tcpip("echo", 7, "", 0).await.map(drop)
    };
    (gate, with_timeout(20, opened).await)
}

#[tokio::test]
async fn authenticated_hook_runs_after_the_proof_and_before_any_channel() {
    let (gate, opened) = gated(false).await;
    opened.unwrap();
    let calls = gate.calls.lock().unwrap().clone();
    let at = |c: &str| calls.iter().position(|x| *x == c).unwrap();
    assert!(at("auth_publickey") < at("authenticated"), "{calls:?}");
    assert!(at("authenticated") < at("channel_open"), "{calls:?}");
    assert_eq!(calls.iter().filter(|c| **c == "authenticated").count(), 1);
}

#[tokio::test]
async fn a_failing_authenticated_hook_ends_the_connection_before_channels() {
    let (gate, opened) = gated(true).await;
    assert!(
        opened.is_err(),
        "a channel was served after the hook failed"
    );
    assert!(!gate.calls.lock().unwrap().contains(&"channel_open"));
}
