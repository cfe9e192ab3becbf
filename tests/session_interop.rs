//! The `burrow` crate's examples against OpenSSH: the example client runs `exec echo hi` on
//! sshd and opens a `direct-tcpip` channel through it; `ssh -N -L` forwards through the
//! example server; ssh-agent signs for the library client.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

#[path = "../crates/burrow/examples/client.rs"]
mod example_client;
#[path = "../crates/burrow/examples/server.rs"]
mod example_server;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use burrow::ExitInfo;
use common::sshd::Sshd;
use common::{TempDir, free_port, require_binary};

// The echo target is the test kit's.
use burrow_testkit::targets::echo_tcp as echo_server;

async fn exit_of(ch: &burrow::Channel) -> Option<ExitInfo> {
    ch.exit_status().await
}

fn write_key_file(sshd: &Sshd) -> std::path::PathBuf {
    let path = sshd.dir.join("client_key");
    let text =
        burrow_keyfiles::encode_unencrypted(&sshd.client_key, "burrow-test-client", 7).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn example_client_runs_echo_hi_on_sshd_and_reads_exit_status_zero() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let key = write_key_file(&sshd);
    let kh = sshd.dir.join("known_hosts");
    let user = common::auth::local_user();
    runtime().block_on(async {
        let session = example_client::connect(&user, "127.0.0.1", sshd.port, &key, &kh)
            .await
            .unwrap_or_else(|e| panic!("connect: {e}\n{}", sshd.log()));
        let (stdout, exit) = example_client::exec(&session, "echo hi").await.unwrap();
        assert_eq!(stdout, b"hi\n");
        assert_eq!(exit, Some(ExitInfo::Status(0)));
        let (_, exit) = example_client::exec(&session, "exit 3").await.unwrap();
        assert_eq!(exit, Some(ExitInfo::Status(3)));
        // stderr arrives as extended data, apart from stdout.
        let mut ch = session.exec("echo out; echo err >&2").await.unwrap();
        let mut out = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut ch, &mut out)
            .await
            .unwrap();
        assert_eq!(exit_of(&ch).await, Some(ExitInfo::Status(0)));
        assert_eq!(out, b"out\n");
        // sshd at LogLevel DEBUG3 also sends its debug lines to the client's stderr.
        let stderr = ch.take_stderr();
        assert!(
            stderr.ends_with(b"err\n"),
            "{}",
            String::from_utf8_lossy(&stderr)
        );
        assert!(!stderr.windows(4).any(|w| w == b"out\n"));
        session.disconnect().await;
    });
    // accept-new wrote sshd's key; a second connection checks against it.
    let known = std::fs::read_to_string(&kh).unwrap();
    assert!(known.starts_with(&format!("[127.0.0.1]:{} ssh-ed25519 ", sshd.port)));
    runtime().block_on(async {
        let session = example_client::connect(&user, "127.0.0.1", sshd.port, &key, &kh)
            .await
            .unwrap();
        assert!(session.host_key().is_some());
        session.disconnect().await;
    });
}

#[test]
fn example_client_direct_tcpip_through_sshd_carries_data_both_ways() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let key = write_key_file(&sshd);
    let kh = sshd.dir.join("known_hosts");
    let user = common::auth::local_user();
    let target = echo_server();
    runtime().block_on(async {
        let session = example_client::connect(&user, "127.0.0.1", sshd.port, &key, &kh)
            .await
            .unwrap();
        let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let reply = example_client::forward(&session, "127.0.0.1", target, &payload)
            .await
            .unwrap();
        assert_eq!(reply, payload);
        // A refused target reports the reason and leaves the session usable.
        let closed = free_port();
        let err = session
            .open_direct_tcpip("127.0.0.1", closed, "127.0.0.1", 0)
            .await
            .unwrap_err();
        assert!(
            matches!(*err.kind, burrow::ErrorKind::ChannelOpenFailed { .. }),
            "{err}"
        );
        let reply = example_client::forward(&session, "127.0.0.1", target, b"again")
            .await
            .unwrap();
        assert_eq!(reply, b"again");
        session.disconnect().await;
    });
}

/// Client handler: echoes on every forwarded channel (tcpip and streamlocal).
struct EchoForwarded;

impl burrow::Handler for EchoForwarded {
    fn channel_open(&self, channel: burrow::IncomingChannel) {
        let Ok(ch) = channel.accept() else { return };
        tokio::spawn(async move {
            let (mut r, mut w) = tokio::io::split(ch);
            if tokio::io::copy(&mut r, &mut w).await.is_ok() {
                tokio::io::AsyncWriteExt::shutdown(&mut w)
                    .await
                    .unwrap_or_default();
            }
        });
    }
}

async fn connect_with_echo_handler(sshd: &Sshd) -> burrow::Session {
    let expected = burrow_keys::PublicKey::from_blob(&sshd.host_key_blob).unwrap();
    let check = move |_: &str, _: u16, k: &burrow::PublicKey| *k == expected;
    let mut config =
        burrow::ClientConfig::new(common::auth::local_user(), std::sync::Arc::new(check));
    config.keys.push(sshd.client_key.clone());
    config.handler = std::sync::Arc::new(EchoForwarded);
    burrow::Client::connect("127.0.0.1", sshd.port, config)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}\n{}", sshd.log()))
}

async fn round_trip<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut s: S,
    data: &[u8],
) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(data).await.unwrap();
    let mut got = vec![0u8; data.len()];
    tokio::time::timeout(Duration::from_secs(20), s.read_exact(&mut got))
        .await
        .unwrap()
        .unwrap();
    got
}

#[test]
fn remote_forward_on_sshd_allocates_a_port_and_carries_data_back_to_the_client() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    runtime().block_on(async {
        let session = connect_with_echo_handler(&sshd).await;
        let port = session
            .request_remote_forward("127.0.0.1", 0)
            .await
            .unwrap();
        assert!(port > 0 && port < 65536);
        let s = tokio::net::TcpStream::connect(("127.0.0.1", port as u16))
            .await
            .unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        assert_eq!(round_trip(s, &data).await, data);
        session
            .cancel_remote_forward("127.0.0.1", port)
            .await
            .unwrap();
        session.disconnect().await;
    });
}

#[test]
fn streamlocal_both_ways_through_sshd() {
    let Some(sshd) = Sshd::start(&[
        "AllowStreamLocalForwarding yes",
        "StreamLocalBindUnlink yes",
    ]) else {
        return;
    };
    let dir = TempDir::new("burrow-streamlocal");
    // A unix socket echo server for direct-streamlocal.
    let target = dir.join("target.sock");
    let listener = std::os::unix::net::UnixListener::bind(&target).unwrap();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { break };
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let remote = dir.join("remote.sock");
    runtime().block_on(async {
        let session = connect_with_echo_handler(&sshd).await;
        let ch = session
            .open_direct_streamlocal(target.to_str().unwrap())
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()));
        assert_eq!(
            round_trip(ch, b"over a unix socket").await,
            b"over a unix socket"
        );
        session
            .request_remote_streamlocal_forward(remote.to_str().unwrap())
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()));
        let s = tokio::net::UnixStream::connect(&remote).await.unwrap();
        assert_eq!(round_trip(s, b"and back").await, b"and back");
        session
            .cancel_remote_streamlocal_forward(remote.to_str().unwrap())
            .await
            .unwrap();
        session.disconnect().await;
    });
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // The child is ours; it may already have exited.
        self.0.kill().unwrap_or_default();
        self.0.wait().map(drop).unwrap_or_default();
    }
}

fn connect_retry(port: u16, until: Instant) -> TcpStream {
    loop {
        if let Ok(s) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
            return s;
        }
        assert!(Instant::now() < until, "ssh never listened on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn keygen(path: &Path) -> (burrow::KeyPair, burrow::PublicKey) {
    common::keygen_ed25519(path);
    let private = burrow::PrivateKeyFile::parse(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .decrypt(b"")
        .unwrap()
        .into_keypair();
    let public = private.public_key().clone();
    (private, public)
}

#[test]
fn ssh_dash_l_forwards_through_the_example_server() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    if require_binary("ssh-keygen").is_none() {
        return;
    }
    let dir = TempDir::new("burrow-session");
    let (host_key, _) = keygen(&dir.join("host_key"));
    let client_path = dir.join("client_key");
    let (_, client_public) = keygen(&client_path);
    let target = echo_server();
    let rt = runtime();
    let server = rt
        .block_on(example_server::bind_with_keys(
            "127.0.0.1:0",
            host_key,
            client_public,
        ))
        .unwrap();
    let port = server.local_addr().unwrap().port();
    let stop = server.stopper();
    let run = rt.spawn(server.run());
    let lport = free_port();
    let child = common::ssh::ssh_command(&ssh, port, dir.path())
        .arg("-i")
        .arg(&client_path)
        .args([
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "LogLevel=ERROR",
            "-N",
        ])
        .arg("-L")
        .arg(format!("{lport}:127.0.0.1:{target}"))
        .arg("tester@127.0.0.1")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let _ssh = Killed(child);
    let mut s = connect_retry(lport, Instant::now() + Duration::from_secs(20));
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let mut reader = s.try_clone().unwrap();
    let expect = payload.len();
    let got = std::thread::spawn(move || {
        let mut got = vec![0u8; expect];
        reader.read_exact(&mut got).unwrap();
        got
    });
    s.write_all(&payload).unwrap();
    assert_eq!(got.join().unwrap(), payload);
    drop(s);
    stop.stop(Duration::from_secs(1));
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), run).await })
        .unwrap()
        .unwrap()
        .unwrap();
}

#[test]
fn library_client_logs_in_to_sshd_with_a_key_held_by_ssh_agent() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let dir = TempDir::new("burrow-agent");
    let Some(agent) = common::agent::SshAgent::start(&dir) else {
        return;
    };
    let key = write_key_file(&sshd);
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    agent.add(&key);
    let user = common::auth::local_user();
    let expected = burrow_keys::PublicKey::from_blob(&sshd.host_key_blob).unwrap();
    runtime().block_on(async {
        let check = move |_: &str, _: u16, k: &burrow::PublicKey| *k == expected;
        let mut config = burrow::ClientConfig::new(user, std::sync::Arc::new(check));
        config.agent = Some(dir.join("agent.sock"));
        let session = burrow::Client::connect("127.0.0.1", sshd.port, config)
            .await
            .unwrap_or_else(|e| panic!("connect: {e}\n{}", sshd.log()));
        let (stdout, exit) = example_client::exec(&session, "echo agent").await.unwrap();
        assert_eq!(stdout, b"agent\n");
        assert_eq!(exit, Some(ExitInfo::Status(0)));
        session.disconnect().await;
    });
    drop(agent);
}

/// Answers sshd's password and keyboard-interactive prompts with one password, counting them.
struct Pw(&'static str, std::sync::atomic::AtomicU32);

impl burrow::AuthPrompt for Pw {
    fn password(&self, _prompt: &str) -> Option<String> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(self.0.to_owned())
    }

    fn keyboard_interactive(
        &self,
        _name: &str,
        _instruction: &str,
        prompts: &[burrow::PromptLine],
    ) -> Option<Vec<String>> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(prompts.iter().map(|_| self.0.to_owned()).collect())
    }
}

fn pam_login(method: burrow::Method) {
    let Some(sshd) = common::pam_sshd::PamSshd::start("s3cret-pw", &[]) else {
        return;
    };
    let expected = burrow_keys::PublicKey::from_blob(&sshd.host_key_blob).unwrap();
    runtime().block_on(async {
        let check = move |_: &str, _: u16, k: &burrow::PublicKey| *k == expected;
        let prompt = std::sync::Arc::new(Pw("s3cret-pw", std::sync::atomic::AtomicU32::new(0)));
        let mut config =
            burrow::ClientConfig::new(common::auth::local_user(), std::sync::Arc::new(check));
        config.methods = vec![method];
        config.prompt = Some(prompt.clone());
        let session = burrow::Client::connect("127.0.0.1", sshd.port, config)
            .await
            .unwrap_or_else(|e| panic!("connect: {e}\n{}", sshd.log()));
        assert!(prompt.1.load(std::sync::atomic::Ordering::SeqCst) >= 1);
        let (stdout, exit) = example_client::exec(&session, "echo pam").await.unwrap();
        assert_eq!(stdout, b"pam\n");
        assert_eq!(exit, Some(ExitInfo::Status(0)));
        session.disconnect().await;
    });
}

#[test]
fn password_callback_logs_in_to_a_pam_sshd() {
    pam_login(burrow::Method::Password);
}

#[test]
fn keyboard_interactive_callback_logs_in_to_a_pam_sshd() {
    pam_login(burrow::Method::KeyboardInteractive);
}

#[test]
fn direct_tcpip_through_sshd_survives_rekeys_every_64_kib() {
    let Some(sshd) = Sshd::start(&["RekeyLimit 64K"]) else {
        return;
    };
    let target = echo_server();
    runtime().block_on(async {
        let session = connect_with_echo_handler(&sshd).await;
        let ch = session
            .open_direct_tcpip("127.0.0.1", target, "127.0.0.1", 0)
            .await
            .unwrap();
        let data: Vec<u8> = (0..2_000_000u32).map(|i| (i * 13 % 256) as u8).collect();
        let (mut r, mut w) = tokio::io::split(ch);
        let expect = data.clone();
        let writer = tokio::spawn(async move {
            tokio::io::AsyncWriteExt::write_all(&mut w, &data)
                .await
                .unwrap();
            tokio::io::AsyncWriteExt::shutdown(&mut w).await.unwrap();
        });
        let mut back = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(60),
            tokio::io::AsyncReadExt::read_to_end(&mut r, &mut back),
        )
        .await
        .unwrap()
        .unwrap();
        writer.await.unwrap();
        assert!(
            back == expect,
            "{} bytes back of {}",
            back.len(),
            expect.len()
        );
        session.disconnect().await;
    });
    let rekeys = sshd.log().matches("SSH2_MSG_KEXINIT received").count();
    assert!(rekeys >= 10, "only {rekeys} key exchanges");
}
