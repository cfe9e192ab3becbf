//! Shared fixtures for the in-process client/server tests: a server handler whose behaviour
//! per direct-tcpip channel is chosen by the target host name, and connected pairs over
//! duplex streams or loopback TCP.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use burrow::{
    Channel, ChannelOpenType, Client, ClientConfig, ConnectionConfig, ConnectionInfo,
    GlobalRequestKind, Handler, IncomingChannel, IncomingGlobalRequest, KeyPair, PublicKey, Server,
    ServerConfig, ServerHandler, Session,
};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const PORT_GIVEN: u32 = 4242;
pub const PASSWORD: &str = "open sesame";

/// Server side of the tests. `direct-tcpip` to host `echo` echoes, `hash` replies with the
/// SHA-256 of everything received, `hold` keeps the channel unread, anything else is refused.
pub struct TestServer {
    pub client_key: PublicKey,
    pub held: Mutex<Vec<Channel>>,
    pub sessions: Mutex<Vec<burrow::WeakSession>>,
    /// The client address each public key attempt came from.
    pub peers: Mutex<Vec<SocketAddr>>,
}

impl ServerHandler for TestServer {
    type Permissions = ();

    fn auth_publickey(&self, peer: SocketAddr, _user: &str, key: &PublicKey) -> Option<()> {
        self.peers.lock().unwrap().push(peer);
        (*key == self.client_key).then_some(())
    }

    fn auth_password(&self, _peer: SocketAddr, user: &str, password: &str) -> Option<()> {
        (user == "tester" && password == PASSWORD).then_some(())
    }

    fn channel_open(&self, conn: &ConnectionInfo<()>, channel: IncomingChannel) {
        self.sessions.lock().unwrap().push(conn.session.clone());
        let host = match channel.channel_type() {
            ChannelOpenType::DirectTcpip {
                host_to_connect, ..
            } => host_to_connect.to_string(),
            _ => String::new(),
        };
        match host.as_str() {
            "echo" => {
                let c = channel.accept().unwrap();
                tokio::spawn(echo(c));
            }
            "hash" => {
                let c = channel.accept().unwrap();
                tokio::spawn(hash_reply(c));
            }
            "hold" => self.held.lock().unwrap().push(channel.accept().unwrap()),
            _ => channel.reject(burrow::OpenFailureReason::ConnectFailed, "no such target"),
        }
    }

    fn global_request(&self, conn: &ConnectionInfo<()>, request: IncomingGlobalRequest) {
        self.sessions.lock().unwrap().push(conn.session.clone());
        match request.request() {
            GlobalRequestKind::TcpipForward {
                port_to_bind: 0, ..
            } => request.accept(Some(PORT_GIVEN)),
            _ => request.reject(),
        }
    }
}

pub async fn echo(c: Channel) {
    let (mut r, mut w) = tokio::io::split(c);
    if tokio::io::copy(&mut r, &mut w).await.is_ok() {
        w.shutdown().await.unwrap_or_default();
    }
}

async fn hash_reply(mut c: Channel) {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match c.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => h.update(&buf[..n]),
        }
    }
    let digest = h.finalize();
    if c.write_all(&digest).await.is_ok() {
        c.shutdown().await.unwrap_or_default();
    }
}

/// Client side: accepts forwarded-tcpip channels and echoes on them.
pub struct EchoForwarded;

impl Handler for EchoForwarded {
    fn channel_open(&self, channel: IncomingChannel) {
        if let ChannelOpenType::ForwardedTcpip { .. } = channel.channel_type() {
            tokio::spawn(echo(channel.accept().unwrap()));
        }
    }
}

pub fn keys() -> (KeyPair, KeyPair) {
    (
        KeyPair::from_ed25519_seed(&[0x11; 32]),
        KeyPair::from_ed25519_seed(&[0x22; 32]),
    )
}

pub fn server_config(max_channels: u32) -> ServerConfig {
    let (host, _) = keys();
    let mut c = ServerConfig::new(host);
    c.connection = ConnectionConfig {
        max_channels,
        ..ConnectionConfig::default()
    };
    c
}

pub fn client_config(max_channels: u32) -> ClientConfig {
    let (host, user) = keys();
    let expected = host.public_key().clone();
    let check = move |_: &str, _: u16, k: &PublicKey| *k == expected;
    let mut c = ClientConfig::new("tester", Arc::new(check));
    c.keys.push(user);
    c.handler = Arc::new(EchoForwarded);
    c.connection = ConnectionConfig {
        max_channels,
        ..ConnectionConfig::default()
    };
    c
}

pub fn test_server() -> Arc<TestServer> {
    Arc::new(TestServer {
        client_key: keys().1.public_key().clone(),
        held: Mutex::new(Vec::new()),
        sessions: Mutex::new(Vec::new()),
        peers: Mutex::new(Vec::new()),
    })
}

/// A client session connected to an in-process server over a duplex pipe.
pub async fn duplex_pair(
    client: ClientConfig,
    server: ServerConfig,
) -> (
    Session,
    Arc<TestServer>,
    tokio::task::JoinHandle<Result<(), Arc<burrow::Error>>>,
) {
    let (a, b) = tokio::io::duplex(256 << 10);
    let handler = test_server();
    let h = handler.clone();
    let task =
        tokio::spawn(
            async move { Server::serve_stream(b, test_peer(), Arc::new(server), h).await },
        );
    let session = Client::connect_stream(a, "duplex-server", 22, client)
        .await
        .unwrap();
    (session, handler, task)
}

/// A TCP server on 127.0.0.1 with its stopper and run task.
pub async fn tcp_server(
    config: ServerConfig,
) -> (
    u16,
    Arc<TestServer>,
    burrow::ServerStop,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    tcp_server_on("127.0.0.1:0", config).await
}

/// [`tcp_server`] on another address.
pub async fn tcp_server_on(
    addr: &str,
    config: ServerConfig,
) -> (
    u16,
    Arc<TestServer>,
    burrow::ServerStop,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let handler = test_server();
    let server = Server::bind(addr, config, Shared(handler.clone()))
        .await
        .unwrap();
    let port = server.local_addr().unwrap().port();
    let stop = server.stopper();
    (port, handler, stop, tokio::spawn(server.run()))
}

/// Lets an `Arc<TestServer>` serve as the handler of a `Server`.
pub struct Shared(pub Arc<TestServer>);

impl ServerHandler for Shared {
    type Permissions = ();

    fn auth_publickey(&self, peer: SocketAddr, user: &str, key: &PublicKey) -> Option<()> {
        self.0.auth_publickey(peer, user, key)
    }

    fn auth_password(&self, peer: SocketAddr, user: &str, password: &str) -> Option<()> {
        self.0.auth_password(peer, user, password)
    }

    fn channel_open(&self, conn: &ConnectionInfo<()>, channel: IncomingChannel) {
        self.0.channel_open(conn, channel)
    }

    fn global_request(&self, conn: &ConnectionInfo<()>, request: IncomingGlobalRequest) {
        self.0.global_request(conn, request)
    }
}

/// The client address in-process servers are told (the duplex pipe has none).
pub fn test_peer() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], 40_000))
}

pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

pub async fn with_timeout<T>(secs: u64, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("timed out")
}
