//! The burrow side of a comparison, run as a child process (this bench binary re-executed
//! with `BURROW_BENCH_ROLE` set), so that its CPU time and memory are its own, measured
//! the same way as `ssh`'s. Every role runs on a current-thread tokio runtime, like the
//! single-threaded OpenSSH processes it is compared with.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use burrow::{Client, ClientConfig, KeyPair, PublicKey, Server, ServerConfig};
use burrow_forward::{
    Connect, ForwardHandler, ForwardOptions, ForwardPolicy, ForwardServer, Listen, LocalForward,
};
use burrow_keyfiles::KeyOptions;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use super::unhex;

/// The environment variable naming the role.
pub const ROLE_VAR: &str = "BURROW_BENCH_ROLE";

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set"))
}

/// Runs the role named in the environment and exits, if there is one.
pub fn run_if_child() {
    let Ok(role) = std::env::var(ROLE_VAR) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match role.as_str() {
        "client-forward" => rt.block_on(client_forward()),
        "server" => rt.block_on(server()),
        "stdio" => rt.block_on(stdio()),
        "memory" => rt.block_on(memory()),
        other => panic!("unknown role {other}"),
    }
    std::process::exit(0);
}

/// Ends the process when the parent closes our stdin.
fn exit_on_stdin_eof() {
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        std::io::stdin().read_to_end(&mut sink).unwrap_or_default();
        std::process::exit(0);
    });
}

fn ready(what: &str) {
    let mut out = std::io::stdout();
    writeln!(out, "{what}").unwrap();
    out.flush().unwrap();
}

/// A client config for the lab's sshd (or burrow server): its host key only, the lab key file, optional cipher.
fn client_config() -> ClientConfig {
    let expected = unhex(&var("BB_HOST_KEY"));
    let check = move |_: &str, _: u16, k: &PublicKey| k.to_blob() == expected;
    let mut config = ClientConfig::new(var("BB_USER"), Arc::new(check));
    config
        .add_key_file(var("BB_KEY_FILE").as_ref(), None)
        .unwrap();
    if let Ok(cipher) = std::env::var("BB_CIPHER") {
        let mut t = (*config.transport).clone();
        t.set_ciphers(&cipher).unwrap();
        config.transport = Arc::new(t);
    }
    config
}

async fn connect() -> burrow::Session {
    let port: u16 = var("BB_SSHD_PORT").parse().unwrap();
    Client::connect("127.0.0.1", port, client_config())
        .await
        .unwrap()
}

fn target() -> Connect {
    Connect::Tcp {
        host: "127.0.0.1".into(),
        port: var("BB_TARGET_PORT").parse().unwrap(),
    }
}

/// `burrow -N -L <BB_LISTEN_PORT or 0>:127.0.0.1:<target>`: prints `READY <port>` once the listener is bound.
async fn client_forward() {
    exit_on_stdin_eof();
    let session = connect().await;
    let port = std::env::var("BB_LISTEN_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listen = Listen::Tcp {
        bind: Some("127.0.0.1".into()),
        port,
    };
    let fwd = LocalForward::local(&session, &listen, target(), &ForwardOptions::default())
        .await
        .unwrap();
    ready(&format!("READY {}", fwd.port()));
    let why = fwd.run().await;
    panic!("forward ended: {why}");
}

/// A burrow server with `ForwardHandler` letting the key `BB_AUTH_BLOB` in;
/// `BB_AUTH_DELAY_MS=<delay>+<jitter>` overrides the userauth failure (and PK_OK) delay.
async fn server() {
    exit_on_stdin_eof();
    let blob = unhex(&var("BB_AUTH_BLOB"));
    let auth = move |_: std::net::SocketAddr, _: &str, k: &PublicKey| {
        (k.to_blob() == blob).then(KeyOptions::unrestricted)
    };
    let policy = ForwardPolicy::default();
    let handler = ForwardHandler::new(ForwardServer::new(policy, Duration::from_secs(5)), auth);
    let host = KeyPair::from_ed25519_seed(&[0x5A; 32]);
    let mut config = ServerConfig::new(host);
    if let Ok(ms) = std::env::var("BB_AUTH_DELAY_MS") {
        // failure_delay + failure_jitter: also the hold on PK_OK.
        let (delay, jitter) = ms.split_once('+').unwrap();
        config.userauth.failure_delay = Duration::from_millis(delay.parse().unwrap());
        config.userauth.failure_jitter = Duration::from_millis(jitter.parse().unwrap());
    }
    let server = Server::bind("127.0.0.1:0", config, handler).await.unwrap();
    ready(&format!("READY {}", server.local_addr().unwrap().port()));
    server.run().await.unwrap();
}

/// `burrow -W 127.0.0.1:<target>`: stdin and stdout (pipes) joined to a direct-tcpip
/// channel. Not `tokio::io::stdout()`: that is line-buffered and the forward only flushes at
/// EOF, so a byte without a newline would never arrive (see benches/README.md).
async fn stdio() {
    use std::os::fd::AsFd;
    use tokio::net::unix::pipe;
    let session = connect().await;
    let input = std::io::stdin().as_fd().try_clone_to_owned().unwrap();
    let output = std::io::stdout().as_fd().try_clone_to_owned().unwrap();
    let input = pipe::Receiver::from_owned_fd(input).unwrap();
    let output = pipe::Sender::from_owned_fd(output).unwrap();
    burrow_forward::stdio_forward(&session, &target(), input, output)
        .await
        .unwrap();
    session.disconnect().await;
}

/// Memory per channel: prints `RSS <KiB>` with one channel open, after `BB_CHANNELS` more
/// idle channels, and after each of them carried 1 KiB both ways; waits for a line from
/// the parent after each report (so the parent can read sshd's RSS at the same point).
async fn memory() {
    let n: usize = var("BB_CHANNELS").parse().unwrap();
    let session = connect().await;
    let (host, port) = ("127.0.0.1", var("BB_TARGET_PORT").parse::<u16>().unwrap());
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let first = session.open_direct_tcpip(host, port, "", 0).await.unwrap();
    let report = |tag: &str| {
        ready(&format!(
            "RSS {tag} {}",
            super::procfs::rss_kib(std::process::id())
        ));
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    report("before");
    lines.next_line().await.unwrap();
    let mut chans = Vec::with_capacity(n);
    for _ in 0..n {
        chans.push(session.open_direct_tcpip(host, port, "", 0).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    report("idle");
    lines.next_line().await.unwrap();
    let block = vec![0xa5u8; 1024];
    let mut buf = vec![0u8; 1024];
    for c in &mut chans {
        c.write_all(&block).await.unwrap();
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, block);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    report("used");
    lines.next_line().await.unwrap();
    drop(chans);
    drop(first);
    session.disconnect().await;
}
