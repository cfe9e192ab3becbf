//! Forwarding interop, burrow client -> OpenSSH sshd: -L, -R (fixed and port 0), -D with
//! curl (SOCKS5 and SOCKS4a), -W, unix sockets both ways, policy denials and half-close.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use burrow_forward::{
    Connect, ForwardError, ForwardOptions, Listen, LocalForward, RemoteForward, open_direct,
    stdio_forward,
};
use common::forward::*;
use common::sshd::Sshd;
use common::{TempDir, free_port, require_binary};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn to(port: u16) -> Connect {
    Connect::Tcp {
        host: "127.0.0.1".into(),
        port,
    }
}

fn loopback(port: u16) -> Listen {
    Listen::Tcp { bind: None, port }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_forward_through_sshd_carries_data_intact() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let target = echo_server().await;
    let (session, _) = burrow_to_sshd(&sshd).await;
    let fwd = LocalForward::local(
        &session,
        &loopback(0),
        to(target),
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    let (port, stats) = (fwd.port(), fwd.stats());
    tokio::spawn(fwd.run());
    let mut tasks = Vec::new();
    for i in 0..4u8 {
        tasks.push(tokio::spawn(async move {
            let s = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            round_trip(s, &pattern(500_000, i)).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(stats.snapshot().bytes_in, 2_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_close_through_sshd_keeps_the_reply_direction_open() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        s.write_all(format!("{} bytes", got.len()).as_bytes())
            .await
            .unwrap();
        s.shutdown().await.unwrap();
    });
    let (session, _) = burrow_to_sshd(&sshd).await;
    let mut ch = open_direct(&session, &to(port), None).await.unwrap();
    ch.write_all(&pattern(77_777, 1)).await.unwrap();
    ch.shutdown().await.unwrap();
    let mut reply = String::new();
    ch.read_to_string(&mut reply).await.unwrap();
    assert_eq!(reply, "77777 bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_forward_port_zero_and_fixed_through_sshd() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let target = echo_server().await;
    let (session, routes) = burrow_to_sshd(&sshd).await;
    let opts = ForwardOptions::default();
    let fwd = RemoteForward::start(&session, &routes, &loopback(0), Some(to(target)), &opts)
        .await
        .unwrap();
    let port = fwd.port();
    assert_ne!(port, 0);
    assert_eq!(
        fwd.allocated_message().unwrap(),
        format!("Allocated port {port} for remote forward to 127.0.0.1:{target}")
    );
    tokio::spawn(fwd.run());
    let s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    round_trip(s, &pattern(300_000, 3)).await;

    let fixed = free_port();
    let fwd = RemoteForward::start(&session, &routes, &loopback(fixed), Some(to(target)), &opts)
        .await
        .unwrap();
    assert_eq!(fwd.port(), fixed);
    assert_eq!(fwd.allocated_message(), None);
    tokio::spawn(fwd.run());
    let s = tokio::net::TcpStream::connect(("127.0.0.1", fixed))
        .await
        .unwrap();
    round_trip(s, &pattern(300_000, 4)).await;
}

async fn curl(args: &[&str], url: &str) -> (bool, String) {
    let curl = require_binary("curl").expect("curl");
    let out = tokio::process::Command::new(curl)
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .arg(url)
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_forward_through_sshd_serves_curl_socks5_and_socks4a() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    if require_binary("curl").is_none() {
        return;
    }
    let web = http_server("hello through socks").await;
    let (session, _) = burrow_to_sshd(&sshd).await;
    let fwd = LocalForward::dynamic(&session, &loopback(0), &ForwardOptions::default())
        .await
        .unwrap();
    let socks = format!("127.0.0.1:{}", fwd.port());
    tokio::spawn(fwd.run());
    let url = format!("http://localhost:{web}/");
    for flag in ["--socks5-hostname", "--socks4a", "--socks5", "--socks4"] {
        let (ok, out) = curl(&[flag, &socks], &url).await;
        assert!(ok, "{flag}: {out}");
        assert_eq!(out, "hello through socks", "{flag}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_forward_through_sshd() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let target = echo_server().await;
    let (session, _) = burrow_to_sshd(&sshd).await;
    let data = pattern(250_000, 8);
    let (mut out_w, mut out_r) = tokio::io::duplex(1 << 16);
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        out_r.read_to_end(&mut got).await.unwrap();
        got
    });
    let input = std::io::Cursor::new(data.clone());
    let (sent, received) = stdio_forward(&session, &to(target), input, &mut out_w)
        .await
        .unwrap();
    drop(out_w);
    assert_eq!((sent, received), (250_000, 250_000));
    assert!(reader.await.unwrap() == data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_forwards_through_sshd() {
    let Some(sshd) = Sshd::start(&[
        "AllowStreamLocalForwarding yes",
        "StreamLocalBindUnlink yes",
    ]) else {
        return;
    };
    let dir = TempDir::new("fwd-unix");
    let target = dir.join("target.sock");
    unix_echo_server(&target);
    let (session, routes) = burrow_to_sshd(&sshd).await;
    let opts = ForwardOptions::default();
    // -L local.sock:target.sock: sshd connects with direct-streamlocal.
    let local = dir.join("local.sock");
    let fwd = LocalForward::local(
        &session,
        &Listen::Unix(local.to_str().unwrap().into()),
        Connect::Unix(target.to_str().unwrap().into()),
        &opts,
    )
    .await
    .unwrap();
    tokio::spawn(fwd.run());
    let s = tokio::net::UnixStream::connect(&local).await.unwrap();
    round_trip(s, &pattern(100_000, 5)).await;
    // -R remote.sock:target.sock: sshd listens with streamlocal-forward.
    let remote = dir.join("remote.sock");
    let fwd = RemoteForward::start(
        &session,
        &routes,
        &Listen::Unix(remote.to_str().unwrap().into()),
        Some(Connect::Unix(target.to_str().unwrap().into())),
        &opts,
    )
    .await
    .unwrap();
    tokio::spawn(fwd.run());
    wait_unix(&remote).await;
    let s = tokio::net::UnixStream::connect(&remote).await.unwrap();
    round_trip(s, &pattern(100_000, 6)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sshd_policy_denials_reach_the_burrow_client() {
    let Some(sshd) = Sshd::start(&["PermitOpen 127.0.0.1:1", "PermitListen 127.0.0.1:1"]) else {
        return;
    };
    let target = echo_server().await;
    let (session, routes) = burrow_to_sshd(&sshd).await;
    let err = open_direct(&session, &to(target), None).await.unwrap_err();
    let ForwardError::Session(e) = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(
            *e.kind,
            burrow::ErrorKind::ChannelOpenFailed {
                reason: burrow::OpenFailureReason::AdministrativelyProhibited,
                ..
            }
        ),
        "{e}"
    );
    let err = RemoteForward::start(
        &session,
        &routes,
        &loopback(0),
        Some(to(target)),
        &ForwardOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ForwardError::RemoteForwardRefused { .. }),
        "{err}"
    );
    // The session survives both refusals.
    assert!(!session.is_closed());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !sshd.log().contains("but the request was denied") {
        assert!(
            std::time::Instant::now() < deadline,
            "no denial in sshd log"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverse_dynamic_forward_through_sshd_serves_curl() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    if require_binary("curl").is_none() {
        return;
    }
    let web = http_server("reverse socks").await;
    let (session, routes) = burrow_to_sshd(&sshd).await;
    let fwd = RemoteForward::start(
        &session,
        &routes,
        &loopback(0),
        None,
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    let socks = format!("127.0.0.1:{}", fwd.port());
    tokio::spawn(fwd.run());
    for flag in ["--socks5-hostname", "--socks4a"] {
        let (ok, out) = curl(&[flag, &socks], &format!("http://localhost:{web}/")).await;
        assert!(ok, "{flag}: {out}");
        assert_eq!(out, "reverse socks", "{flag}");
    }
}
