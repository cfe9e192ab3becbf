//! Interop with AsyncSSH 2.24 both ways: a plain login with AsyncSSH's default algorithm order
//! (mlkem768x25519-sha256 first), and every key exchange both speak, each followed by data
//! through a direct-tcpip channel.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use burrow::{Client, ClientConfig, KeyPair, PublicKey};
use burrow_forward::ForwardPolicy;
use burrow_keyfiles::KeyOptions;
use burrow_transport::TransportConfig;
use common::asyncssh::{AsyncSshServer, run_client};
use common::forward::{burrow_server, echo_server, pattern, round_trip};
use common::{TempDir, keygen_ed25519, public_key_blob};

/// burrow logs in to `server` as `tester` with `cfg` and echoes data through it.
async fn burrow_login(server: &AsyncSshServer, key: KeyPair, cfg: TransportConfig) {
    let expected = server.host_key_blob.clone();
    let check = move |_: &str, _: u16, k: &PublicKey| k.to_blob() == expected;
    let mut config = ClientConfig::new("tester", Arc::new(check));
    config.keys.push(key);
    config.transport = Arc::new(cfg);
    let session = match Client::connect("127.0.0.1", server.port, config).await {
        Ok(s) => s,
        Err(e) => panic!(
            "login to asyncssh failed: {e}\nserver log:\n{}",
            server.log()
        ),
    };
    let echo = echo_server().await;
    let channel = session
        .open_direct_tcpip("127.0.0.1", echo, "127.0.0.1", 0)
        .await
        .unwrap();
    round_trip(channel, &pattern(100_000, 7)).await;
    session.disconnect().await;
}

fn client_key() -> (KeyPair, String) {
    let key = KeyPair::from_ed25519_seed(&[0x42; 32]);
    let line = key.public_key().to_openssh_line("burrow-test");
    (key, line)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burrow_client_logs_in_to_asyncssh_with_its_default_algorithm_order() {
    let (key, line) = client_key();
    let Some(server) = AsyncSshServer::start(&line, "") else {
        return;
    };
    burrow_login(&server, key, TransportConfig::default()).await;
    let log = server.log();
    assert!(!log.contains("Key exchange not in progress"), "{log}");
    assert!(
        log.contains("Key exchange alg: mlkem768x25519-sha256"),
        "{log}"
    );
}

/// Methods both burrow's client and AsyncSSH speak (AsyncSSH has no sntrup761).
const CLIENT_KEX: [&str; 8] = [
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burrow_client_speaks_every_common_kex_with_asyncssh() {
    let (key, line) = client_key();
    let Some(server) = AsyncSshServer::start(&line, "") else {
        return;
    };
    for kex in CLIENT_KEX {
        let mut cfg = TransportConfig::default();
        cfg.set_kex_algorithms(kex).unwrap();
        burrow_login(&server, key.clone(), cfg).await;
        assert!(
            server.log().contains(&format!("Key exchange alg: {kex}\n")),
            "{kex}: {}",
            server.log()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asyncssh_client_logs_in_to_burrow_server_with_mlkem_and_its_default_order() {
    let Some(_) = common::asyncssh::python() else {
        return;
    };
    let dir = TempDir::new("asyncssh-burrowd");
    keygen_ed25519(&dir.join("id"));
    let blob = public_key_blob(&dir.join("id.pub"));
    let (port, _stop) =
        burrow_server(ForwardPolicy::default(), blob, KeyOptions::unrestricted()).await;
    let echo = echo_server().await;
    for kex in ["", "mlkem768x25519-sha256", "ecdh-sha2-nistp521"] {
        let run = run_client(&dir.join("id"), port, kex, echo).await.unwrap();
        assert!(
            run.success && run.stdout.starts_with("OK 16384"),
            "{kex}: {}{}",
            run.stdout,
            run.stderr
        );
        let want = if kex.is_empty() {
            "mlkem768x25519-sha256"
        } else {
            kex
        };
        assert!(
            run.stderr.contains(&format!("Key exchange alg: {want}\n")),
            "{kex}: {}",
            run.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burrow_client_offering_curve25519_first_logs_in_to_asyncssh_default_order() {
    // AsyncSSH prefers mlkem768x25519-sha256; a client whose first choice is another method
    // it supports is where the two ways of judging a guessed first packet disagree.
    let (key, line) = client_key();
    let Some(server) = AsyncSshServer::start(&line, "") else {
        return;
    };
    let mut cfg = TransportConfig::default();
    cfg.set_kex_algorithms("curve25519-sha256").unwrap();
    burrow_login(&server, key, cfg).await;
    assert!(
        server.log().contains("Key exchange alg: curve25519-sha256"),
        "{}",
        server.log()
    );
}
