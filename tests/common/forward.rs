//! Fixtures for the forwarding interop tests: echo (the test kit's) and HTTP targets, a burrow client
//! session to a throwaway sshd, and a burrow server running `ForwardHandler`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow::{Client, ClientConfig, KeyPair, PublicKey, Server, ServerConfig, Session};
use burrow_forward::{ForwardHandler, ForwardPolicy, ForwardServer, RemoteForwards};
use burrow_keyfiles::KeyOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::sshd::Sshd;

// The echo targets are the workspace test kit's (crates/testkit).
pub use burrow_testkit::targets::echo_unix as unix_echo_server;

/// A TCP echo server on 127.0.0.1: echoes until EOF, then half-closes. Returns its port.
pub async fn echo_server() -> u16 {
    burrow_testkit::targets::echo_tcp()
}

/// A one-page HTTP/1.0 server on 127.0.0.1 answering every request with `body`.
pub async fn http_server(body: &'static str) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = format!(
                    "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{body}",
                    body.len()
                );
                if s.write_all(reply.as_bytes()).await.is_ok() {
                    s.shutdown().await.unwrap_or_default();
                }
            });
        }
    });
    port
}

// Test bytes and the async integrity check are the test kit's.
pub use burrow_testkit::aio::round_trip;
pub use burrow_testkit::targets::pattern;

/// A burrow client session to `sshd` as the local user, with `RemoteForwards` installed.
pub async fn burrow_to_sshd(sshd: &Sshd) -> (Session, Arc<RemoteForwards>) {
    let expected = sshd.host_key_blob.clone();
    let check = move |_: &str, _: u16, k: &PublicKey| k.to_blob() == expected;
    let mut config = ClientConfig::new(super::auth::local_user(), Arc::new(check));
    config.keys.push(KeyPair::from_ed25519_seed(&[0x33; 32]));
    let routes = RemoteForwards::new();
    config.handler = routes.clone();
    let session = Client::connect("127.0.0.1", sshd.port, config)
        .await
        .unwrap();
    (session, routes)
}

/// A burrow server on 127.0.0.1 that lets the key with `blob` in with `options`, applying
/// `policy`. Returns its port and stopper.
pub async fn burrow_server(
    policy: ForwardPolicy,
    blob: Vec<u8>,
    options: KeyOptions,
) -> (u16, burrow::ServerStop) {
    let auth = move |_: std::net::SocketAddr, _: &str, k: &PublicKey| {
        (k.to_blob() == blob).then(|| options.clone())
    };
    let handler = ForwardHandler::new(ForwardServer::new(policy, Duration::from_secs(5)), auth);
    let host = KeyPair::from_ed25519_seed(&[0x5A; 32]);
    let server = Server::bind("127.0.0.1:0", ServerConfig::new(host), handler)
        .await
        .unwrap();
    let port = server.local_addr().unwrap().port();
    let stop = server.stopper();
    tokio::spawn(server.run());
    (port, stop)
}

/// Waits until 127.0.0.1:`port` accepts connections.
pub async fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "port {port} never opened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until a unix socket accepts connections.
pub async fn wait_unix(path: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while tokio::net::UnixStream::connect(path).await.is_err() {
        assert!(Instant::now() < deadline, "{} never opened", path.display());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
