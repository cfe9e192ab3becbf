//! Client callbacks that wait (a host-key question, a password prompt, a slow ssh-agent) run
//! off the session lock and off the runtime's threads: on a single-threaded runtime another
//! session keeps working while one of them waits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod util;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use burrow::agent::codec;
use burrow::{Client, PublicKey, Server, Session, SigAlg};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use util::*;

/// How long a blocked callback waits for the other session before it gives up.
const WAIT: Duration = Duration::from_secs(5);

/// One echo round trip on `session`.
async fn round_trip(session: &Session) {
    let mut ch = session
        .open_direct_tcpip("echo", 7, "127.0.0.1", 5000)
        .await
        .unwrap();
    ch.write_all(b"still alive").await.unwrap();
    let mut buf = [0u8; 11];
    ch.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"still alive");
}

/// Starts an in-process server on a duplex pipe; returns the client end.
fn serve(password: bool) -> tokio::io::DuplexStream {
    let (c, s) = tokio::io::duplex(64 << 10);
    let mut scfg = server_config(8);
    scfg.userauth.password = password;
    let h = test_server();
    tokio::spawn(async move { Server::serve_stream(s, test_peer(), Arc::new(scfg), h).await });
    c
}

/// Makes a blocked callback wait for another session: `wait` starts a round trip on that
/// session (a task on the same single-threaded runtime) and returns true once it finished.
struct Relay {
    start: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    done: std::sync::Mutex<mpsc::Receiver<()>>,
}

impl Relay {
    /// Called from inside the callback: blocks its thread until the other session's round
    /// trip ends (or `WAIT` passes).
    fn wait(&self) -> bool {
        if let Some(start) = self.start.lock().unwrap().take() {
            start.send(()).unwrap();
        }
        self.done.lock().unwrap().recv_timeout(WAIT).is_ok()
    }
}

/// Session A, up, and the relay that runs a round trip on it when a callback waits.
async fn other_session() -> (Session, Arc<Relay>) {
    let (a, _server, _task) = duplex_pair(client_config(8), server_config(8)).await;
    let (start_tx, start_rx) = tokio::sync::oneshot::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let a2 = a.clone();
    tokio::spawn(async move {
        start_rx.await.unwrap();
        round_trip(&a2).await;
        done_tx.send(()).unwrap();
    });
    let relay = Relay {
        start: std::sync::Mutex::new(Some(start_tx)),
        done: std::sync::Mutex::new(done_rx),
    };
    (a, Arc::new(relay))
}

#[tokio::test(flavor = "current_thread")]
async fn a_blocking_host_key_check_does_not_stall_other_sessions() {
    let (a, relay) = other_session().await;
    let (host, _) = keys();
    let expected = host.public_key().clone();
    // Trusts the key only if the other session made progress while this check waited.
    let check = move |_: &str, _: u16, k: &PublicKey| relay.wait() && *k == expected;
    let mut cfg = client_config(8);
    cfg.host_key_check = Arc::new(check);
    let b = with_timeout(20, Client::connect_stream(serve(false), "b", 22, cfg))
        .await
        .expect("the other session ran while the host-key check waited");
    round_trip(&b).await;
    round_trip(&a).await;
}

struct BlockingPassword(Arc<Relay>);

impl burrow::AuthPrompt for BlockingPassword {
    fn password(&self, _prompt: &str) -> Option<String> {
        self.0.wait().then(|| PASSWORD.to_owned())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_blocking_password_prompt_does_not_stall_other_sessions() {
    let (a, relay) = other_session().await;
    let mut cfg = client_config(8);
    cfg.keys.clear();
    cfg.prompt = Some(Arc::new(BlockingPassword(relay)));
    let b = with_timeout(20, Client::connect_stream(serve(true), "b", 22, cfg))
        .await
        .expect("the other session ran while the password prompt waited");
    round_trip(&b).await;
    round_trip(&a).await;
}

/// A fake ssh-agent holding `key` that signs only after another session made a round trip
/// (started when the sign request came), and refuses if that did not happen.
async fn slow_agent(listener: tokio::net::UnixListener, key: burrow::KeyPair, relay: Arc<Relay>) {
    let (mut s, _) = listener.accept().await.unwrap();
    let mut buf = BytesMut::new();
    loop {
        let frame = loop {
            if let Some(f) = codec::take_frame(&mut buf).unwrap() {
                break f;
            }
            if s.read_buf(&mut buf).await.unwrap() == 0 {
                return;
            }
        };
        let reply = match frame[0] {
            codec::AGENTC_REQUEST_IDENTITIES => codec::identities_answer(&[codec::AgentIdentity {
                key_blob: key.public_key().to_blob(),
                comment: "slow".into(),
            }]),
            codec::AGENTC_SIGN_REQUEST => {
                let r = relay.clone();
                if !tokio::task::spawn_blocking(move || r.wait()).await.unwrap() {
                    s.write_all(&codec::failure()).await.unwrap();
                    continue;
                }
                // string key_blob, string data, uint32 flags
                let blob_len = u32::from_be_bytes(frame[1..5].try_into().unwrap()) as usize;
                let at = 5 + blob_len;
                let data_len = u32::from_be_bytes(frame[at..at + 4].try_into().unwrap()) as usize;
                let data = &frame[at + 4..at + 4 + data_len];
                let sig = key
                    .sign(SigAlg::Ed25519, data, &mut rand_core::OsRng)
                    .unwrap();
                codec::sign_response(&sig)
            }
            _ => codec::failure(),
        };
        s.write_all(&reply).await.unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_slow_agent_signature_does_not_stall_other_sessions() {
    let (a, relay) = other_session().await;
    let dir = std::env::temp_dir().join(format!("burrow-off-lock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("agent.sock");
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    tokio::spawn(slow_agent(listener, keys().1, relay));
    let mut cfg = client_config(8);
    cfg.keys.clear();
    cfg.agent = Some(path.clone());
    let b = with_timeout(20, Client::connect_stream(serve(false), "b", 22, cfg))
        .await
        .expect("the agent signed once the other session made progress");
    round_trip(&b).await;
    round_trip(&a).await;
    std::fs::remove_dir_all(&dir).unwrap();
}
