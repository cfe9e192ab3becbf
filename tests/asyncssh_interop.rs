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
use burrow_testkit::asyncssh::{AsyncSshClient, AsyncSshServer, algs, python};
use burrow_testkit::targets::tcp_round_trip;
use burrow_transport::TransportConfig;
use common::forward::{burrow_server, echo_server, pattern, round_trip};
use common::{TempDir, keygen_ed25519, public_key_blob};

/// AsyncSSH's debug level for these tests: 2 logs the negotiated key exchange.
const DEBUG: u8 = 2;

/// An AsyncSSH server (ed25519 host key, AsyncSSH's default algorithm order) that lets the
/// key of `authorized_key_line` in; its debug log shows the key exchange.
fn asyncssh_server(authorized_key_line: &str) -> Option<AsyncSshServer> {
    AsyncSshServer::start_debug(&format!("{authorized_key_line}\n"), "ed25519", "", DEBUG)
}

/// burrow logs in to `server` as `tester` with `cfg` and echoes data through it.
async fn burrow_login(server: &AsyncSshServer, key: KeyPair, cfg: TransportConfig) {
    let expected = public_key_blob(&server.host_pub);
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
    let Some(server) = asyncssh_server(&line) else {
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
    let Some(server) = asyncssh_server(&line) else {
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
    let Some(_) = python() else {
        return;
    };
    let dir = TempDir::new("asyncssh-burrowd");
    keygen_ed25519(&dir.join("id"));
    let blob = public_key_blob(&dir.join("id.pub"));
    let (port, _stop) =
        burrow_server(ForwardPolicy::default(), blob, KeyOptions::unrestricted()).await;
    // burrow_server's host key, for the client's known_hosts.
    let host = KeyPair::from_ed25519_seed(&[0x5A; 32])
        .public_key()
        .to_openssh_line("");
    std::fs::write(
        dir.join("known_hosts"),
        format!("[127.0.0.1]:{port} {host}\n"),
    )
    .unwrap();
    let echo = echo_server().await;
    for kex in ["", "mlkem768x25519-sha256", "ecdh-sha2-nistp521"] {
        // Log in, forward a local port to the echo (a direct-tcpip channel), echo 16 KiB.
        let (key, known) = (dir.join("id"), dir.join("known_hosts"));
        let (client, echoed) = tokio::task::spawn_blocking(move || {
            let fwd = [format!("L=L:{echo}")];
            let spec = algs(kex, "", None);
            let client =
                AsyncSshClient::start_debug(port, "tester", &key, &known, &spec, &fwd, DEBUG)
                    .unwrap()
                    .unwrap_or_else(|e| panic!("{kex}: {e}"));
            let local: u16 = client.forwards["L"].parse().unwrap_or_else(|_| {
                panic!(
                    "{kex}: forward {:?}; log:\n{}",
                    client.forwards,
                    client.proc.log()
                )
            });
            let echoed = tcp_round_trip(local, 16_384, 1);
            (client, echoed)
        })
        .await
        .unwrap();
        let log = client.proc.log();
        assert!(echoed.is_ok(), "{kex}: {echoed:?}\n{log}");
        let want = if kex.is_empty() {
            "mlkem768x25519-sha256"
        } else {
            kex
        };
        assert!(
            log.contains(&format!("Key exchange alg: {want}\n")),
            "{kex}: {log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burrow_client_offering_curve25519_first_logs_in_to_asyncssh_default_order() {
    // AsyncSSH prefers mlkem768x25519-sha256; a client whose first choice is another method
    // it supports is where the two ways of judging a guessed first packet disagree.
    let (key, line) = client_key();
    let Some(server) = asyncssh_server(&line) else {
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
