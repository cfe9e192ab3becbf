//! Fixtures for the in-process forwarding tests: a burrow server running `ForwardHandler`
//! on loopback, a client session with `RemoteForwards` installed, and local echo targets.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use burrow::{Client, ClientConfig, KeyPair, PublicKey, Server, ServerConfig, Session};
use burrow_forward::{ForwardHandler, ForwardPolicy, ForwardServer, RemoteForwards};
use burrow_keyfiles::KeyOptions;
use tokio::net::TcpStream;

pub struct Pair {
    pub session: Session,
    pub routes: Arc<RemoteForwards>,
    pub stop: burrow::ServerStop,
    pub server_port: u16,
}

pub fn keys() -> (KeyPair, KeyPair) {
    (
        KeyPair::from_ed25519_seed(&[0x31; 32]),
        KeyPair::from_ed25519_seed(&[0x42; 32]),
    )
}

/// A burrow server applying `policy` with `key` as the user's authorized_keys options, and a
/// client session to it.
pub async fn pair(policy: ForwardPolicy, key: KeyOptions) -> Pair {
    pair_with(ForwardServer::new(policy, Duration::from_secs(5)), key).await
}

/// [`pair`] with a server configured by the caller.
pub async fn pair_with(forward_server: ForwardServer, key: KeyOptions) -> Pair {
    let (host, user) = keys();
    let user_pub = user.public_key().clone();
    let auth = move |_peer: std::net::SocketAddr, _user: &str, k: &PublicKey| {
        (*k == user_pub).then(|| key.clone())
    };
    let handler = ForwardHandler::new(forward_server, auth);
    let server = Server::bind("127.0.0.1:0", ServerConfig::new(host), handler)
        .await
        .unwrap();
    let server_port = server.local_addr().unwrap().port();
    let stop = server.stopper();
    tokio::spawn(server.run());
    let (session, routes) = connect(server_port).await;
    Pair {
        session,
        routes,
        stop,
        server_port,
    }
}

pub async fn connect(port: u16) -> (Session, Arc<RemoteForwards>) {
    let (host, user) = keys();
    let expected = host.public_key().clone();
    let check = move |_: &str, _: u16, k: &PublicKey| *k == expected;
    let mut config = ClientConfig::new("tester", Arc::new(check));
    config.keys.push(user);
    let routes = RemoteForwards::new();
    config.handler = routes.clone();
    let session = Client::connect("127.0.0.1", port, config).await.unwrap();
    (session, routes)
}

// The echo targets and test bytes are the workspace test kit's (crates/testkit).
pub use burrow_testkit::targets::{echo_unix as unix_echo_server, pattern};

/// A TCP echo server (the test kit's): echoes until EOF, then half-closes.
pub async fn echo_server() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, burrow_testkit::targets::echo_tcp()))
}

// The async integrity check is the test kit's too.
pub use burrow_testkit::aio::round_trip;

pub async fn tcp(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port)).await.unwrap()
}

/// A port with nothing listening on it (the test kit's: outside the ephemeral range, so no
/// other test's listener or connection takes it meanwhile).
pub async fn dead_port() -> u16 {
    burrow_testkit::targets::closed_port()
}
