//! Every forward type end to end in-process: burrow client ↔ burrow server running
//! `ForwardHandler`, with data integrity checks, concurrency, half-close and failures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use burrow_forward::policy::{AllowForwarding, PermitList};
use burrow_forward::{
    Connect, ForwardError, ForwardOptions, ForwardPolicy, ForwardServer, ForwardSpec, Listen,
    LocalForward, RemoteForward, RemoteListener, open_direct, start_forwards, stdio_forward,
};
use burrow_keyfiles::KeyOptions;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn loopback(port: u16) -> Listen {
    Listen::Tcp { bind: None, port }
}

fn to(port: u16) -> Connect {
    Connect::Tcp {
        host: "127.0.0.1".into(),
        port,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_forward_carries_concurrent_connections_intact() {
    let target = echo_server().await;
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let fwd = LocalForward::local(
        &p.session,
        &loopback(0),
        to(target.port()),
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    let (port, stats) = (fwd.port(), fwd.stats());
    tokio::spawn(fwd.run());
    let mut tasks = Vec::new();
    for i in 0..8u8 {
        tasks.push(tokio::spawn(async move {
            round_trip(tcp(port).await, &pattern(300_000 + usize::from(i) * 777, i)).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let s = stats.snapshot();
    assert_eq!(s.connections, 8);
    assert_eq!(s.failed, 0);
    let total: u64 = (0..8u64).map(|i| 300_000 + i * 777).sum();
    assert_eq!(s.bytes_out, total);
    assert_eq!(s.bytes_in, total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_direct_is_a_stream_and_half_close_keeps_the_reply_flowing() {
    // The target reads until EOF, then answers: only works if our EOF arrives while the
    // reverse direction stays open.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        s.write_all(format!("got {} bytes", got.len()).as_bytes())
            .await
            .unwrap();
        s.shutdown().await.unwrap();
    });
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let mut ch = open_direct(&p.session, &to(port), None).await.unwrap();
    ch.write_all(&pattern(100_000, 3)).await.unwrap();
    ch.shutdown().await.unwrap();
    let mut reply = String::new();
    ch.read_to_string(&mut reply).await.unwrap();
    assert_eq!(reply, "got 100000 bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_open_closes_the_local_socket_and_the_forward_keeps_serving() {
    let dead = dead_port().await;
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let fwd = LocalForward::local(
        &p.session,
        &loopback(0),
        to(dead),
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    let (port, stats) = (fwd.port(), fwd.stats());
    tokio::spawn(fwd.run());
    for _ in 0..3 {
        let mut s = tcp(port).await;
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .unwrap()
            .unwrap_or(0);
        assert_eq!(n, 0);
    }
    assert_eq!(stats.snapshot().failed, 3);
    assert!(!p.session.is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_denial_is_administratively_prohibited() {
    let target = echo_server().await;
    let policy = ForwardPolicy {
        permit_open: PermitList::parse_permit_open(&["127.0.0.1:1"]).unwrap(),
        ..Default::default()
    };
    let p = pair(policy, KeyOptions::unrestricted()).await;
    let err = open_direct(&p.session, &to(target.port()), None)
        .await
        .unwrap_err();
    let ForwardError::Session(e) = err else {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_failure_is_connect_failed_with_strerror() {
    let dead = dead_port().await;
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let err = open_direct(&p.session, &to(dead), None).await.unwrap_err();
    let ForwardError::Session(e) = err else {
        panic!("{err}")
    };
    let burrow::ErrorKind::ChannelOpenFailed {
        reason,
        description,
    } = &*e.kind
    else {
        panic!("{e}")
    };
    assert_eq!(*reason, burrow::OpenFailureReason::ConnectFailed);
    assert_eq!(description, "Connection refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_forward_port_zero_is_allocated_and_carries_data() {
    let target = echo_server().await;
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let fwd = RemoteForward::start(
        &p.session,
        &p.routes,
        &loopback(0),
        Some(to(target.port())),
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    let port = fwd.port();
    assert_ne!(port, 0);
    assert_eq!(
        fwd.allocated_message().unwrap(),
        format!(
            "Allocated port {port} for remote forward to 127.0.0.1:{}",
            target.port()
        )
    );
    let stats = fwd.stats();
    tokio::spawn(fwd.run());
    let mut tasks = Vec::new();
    for i in 0..4u8 {
        tasks.push(tokio::spawn(async move {
            round_trip(tcp(port).await, &pattern(200_000, i)).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(stats.snapshot().connections, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_listener_reports_originator_and_cancel_closes_the_port() {
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let mut listener = RemoteListener::tcp(&p.session, &p.routes, "localhost", 0)
        .await
        .unwrap();
    let port = listener.port();
    let client = tokio::spawn(async move {
        let mut s = tcp(port).await;
        let local = s.local_addr().unwrap();
        s.write_all(b"ping").await.unwrap();
        let mut b = [0u8; 4];
        s.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"pong");
        local
    });
    let conn = listener.accept().await.unwrap();
    let from = conn.originator.clone();
    let mut ch = conn.accept().unwrap();
    let mut b = [0u8; 4];
    ch.read_exact(&mut b).await.unwrap();
    assert_eq!(&b, b"ping");
    ch.write_all(b"pong").await.unwrap();
    let local = client.await.unwrap();
    assert_eq!(from.address, "127.0.0.1");
    assert_eq!(from.port, local.port());
    listener.cancel().await.unwrap();
    let mut closed = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(closed, "cancelled listener still accepts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_forward_refused_by_policy_is_an_error() {
    let policy = ForwardPolicy {
        allow_tcp: AllowForwarding::Local,
        ..Default::default()
    };
    let p = pair(policy, KeyOptions::unrestricted()).await;
    let err = RemoteForward::start(
        &p.session,
        &p.routes,
        &loopback(0),
        Some(to(1)),
        &ForwardOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ForwardError::RemoteForwardRefused { .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_forwards_past_the_listener_limit_are_refused() {
    let server =
        ForwardServer::new(ForwardPolicy::default(), Duration::from_secs(5)).with_max_listeners(2);
    let p = pair_with(server, KeyOptions::unrestricted()).await;
    let (listen, opts) = (loopback(0), ForwardOptions::default());
    let start = || RemoteForward::start(&p.session, &p.routes, &listen, Some(to(1)), &opts);
    let first = start().await.unwrap();
    let _second = start().await.unwrap();
    let err = start().await.unwrap_err();
    assert!(
        matches!(err, ForwardError::RemoteForwardRefused { .. }),
        "{err}"
    );
    // Cancelling one makes room again.
    drop(first);
    let mut again = Err(err);
    for _ in 0..100 {
        again = start().await;
        if again.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(again.is_ok(), "no room after a cancel");
}

/// Requests sent back to back are counted while their listeners are still binding: of 8
/// pipelined requests against a limit of 2, exactly 2 get listeners (all 8 did).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_remote_forwards_are_counted_while_binding() {
    let server =
        ForwardServer::new(ForwardPolicy::default(), Duration::from_secs(5)).with_max_listeners(2);
    let p = pair_with(server, KeyOptions::unrestricted()).await;
    let asks = (0..8).map(|_| p.session.request_remote_forward("127.0.0.1", 0));
    let answers = futures_join_all(asks).await;
    let granted = answers.iter().filter(|r| r.is_ok()).count();
    assert_eq!(granted, 2, "{answers:?}");
}

/// Awaits every future, each on its own task-free poll (the requests leave in order).
async fn futures_join_all<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = fs.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, o) in pinned.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *o = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_on_forward_failure_returns_the_first_failure() {
    let policy = ForwardPolicy {
        permit_listen: PermitList::None,
        ..Default::default()
    };
    let p = pair(policy, KeyOptions::unrestricted()).await;
    let specs = vec![
        ForwardSpec::parse_dynamic(&format!("127.0.0.1:{}", dead_port().await)).unwrap(),
        ForwardSpec::parse_remote("0:127.0.0.1:9").unwrap(),
    ];
    let opts = ForwardOptions::default();
    let err = start_forwards(&p.session, &p.routes, &specs, &opts, true)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ForwardError::RemoteForwardRefused { .. }),
        "{err}"
    );
    // Without it, the failure is listed and the rest keeps running.
    let specs = vec![
        ForwardSpec::parse_dynamic(&format!("127.0.0.1:{}", dead_port().await)).unwrap(),
        ForwardSpec::parse_remote("0:127.0.0.1:9").unwrap(),
    ];
    let running = start_forwards(&p.session, &p.routes, &specs, &opts, false)
        .await
        .unwrap();
    assert_eq!(running.failed.len(), 1);
    assert_eq!(running.failed[0].0, specs[1]);
    assert_eq!(running.stats().len(), 1);
}

async fn socks5_connect(port: u16, host: &str, target_port: u16) -> (tokio::net::TcpStream, u8) {
    let mut s = tcp(port).await;
    let mut req = vec![5, 1, 0, 5, 1, 0, 3, host.len() as u8];
    req.extend_from_slice(host.as_bytes());
    req.extend_from_slice(&target_port.to_be_bytes());
    s.write_all(&req).await.unwrap();
    let mut reply = [0u8; 12];
    s.read_exact(&mut reply).await.unwrap();
    assert_eq!(&reply[..2], &[5, 0]);
    assert_eq!(reply[2], 5);
    (s, reply[3])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_forward_socks5_and_socks4a_reach_the_target() {
    let target = echo_server().await;
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let fwd = LocalForward::dynamic(&p.session, &loopback(0), &ForwardOptions::default())
        .await
        .unwrap();
    let port = fwd.port();
    tokio::spawn(fwd.run());
    let (s, code) = socks5_connect(port, "localhost", target.port()).await;
    assert_eq!(code, 0);
    round_trip(s, &pattern(50_000, 9)).await;
    // SOCKS4a with pipelined data right after the request.
    let mut s = tcp(port).await;
    let mut req = vec![4, 1];
    req.extend_from_slice(&target.port().to_be_bytes());
    req.extend_from_slice(&[0, 0, 0, 1, 0]);
    req.extend_from_slice(b"127.0.0.1\0early");
    s.write_all(&req).await.unwrap();
    let mut reply = [0u8; 8];
    s.read_exact(&mut reply).await.unwrap();
    assert_eq!(reply[1], 0x5A);
    let mut early = [0u8; 5];
    s.read_exact(&mut early).await.unwrap();
    assert_eq!(&early, b"early");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_forward_failures_get_socks_reply_codes() {
    let dead = dead_port().await;
    let policy = ForwardPolicy {
        permit_open: PermitList::parse_permit_open(&["127.0.0.1:*"]).unwrap(),
        ..Default::default()
    };
    let p = pair(policy, KeyOptions::unrestricted()).await;
    let fwd = LocalForward::dynamic(&p.session, &loopback(0), &ForwardOptions::default())
        .await
        .unwrap();
    let port = fwd.port();
    tokio::spawn(fwd.run());
    let (_s, code) = socks5_connect(port, "127.0.0.1", dead).await;
    assert_eq!(code, 5, "connection refused");
    let (_s, code) = socks5_connect(port, "denied.example", 80).await;
    assert_eq!(code, 2, "not allowed by ruleset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverse_dynamic_forward_answers_socks_on_the_client() {
    let target = echo_server().await;
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let fwd = RemoteForward::start(
        &p.session,
        &p.routes,
        &loopback(0),
        None,
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    let port = fwd.port();
    assert_eq!(
        fwd.allocated_message().unwrap(),
        format!("Allocated port {port} for remote forward to socks:0")
    );
    tokio::spawn(fwd.run());
    let (s, code) = socks5_connect(port, "127.0.0.1", target.port()).await;
    assert_eq!(code, 0);
    round_trip(s, &pattern(70_000, 1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_forward_joins_reader_and_writer() {
    let target = echo_server().await;
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let data = pattern(123_456, 5);
    let (mut out_w, out_r) = tokio::io::duplex(1 << 16);
    let input = std::io::Cursor::new(data.clone());
    let reader = tokio::spawn(async move {
        let mut out_r = out_r;
        let mut got = Vec::new();
        out_r.read_to_end(&mut got).await.unwrap();
        got
    });
    let (sent, received) = stdio_forward(&p.session, &to(target.port()), input, &mut out_w)
        .await
        .unwrap();
    drop(out_w);
    assert_eq!((sent, received), (123_456, 123_456));
    assert!(reader.await.unwrap() == data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_forward_flushes_a_buffered_writer_when_input_runs_dry() {
    // `-W` writes to tokio's line-buffered Stdout; one byte without a newline must still come
    // out while the input stays open (request/response protocols such as SSH over -W).
    let target = echo_server().await;
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let (mut in_w, in_r) = tokio::io::duplex(1 << 16);
    let (out_w, mut out_r) = tokio::io::duplex(1 << 16);
    let buffered = tokio::io::BufWriter::new(out_w);
    let session = p.session.clone();
    let port = target.port();
    tokio::spawn(async move { stdio_forward(&session, &to(port), in_r, buffered).await });
    in_w.write_all(b"x").await.unwrap();
    let mut got = [0u8; 1];
    tokio::time::timeout(Duration::from_secs(10), out_r.read_exact(&mut got))
        .await
        .expect("the echoed byte stayed in the writer's buffer")
        .unwrap();
    assert_eq!(&got, b"x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_forwards_both_ways() {
    let dir = burrow_testkit::TempDir::new("fwd-unix");
    let target = dir.join("target.sock");
    unix_echo_server(&target);
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    // -L /local.sock:/target.sock (direct-streamlocal)
    let local = dir.join("local.sock");
    let fwd = LocalForward::local(
        &p.session,
        &Listen::Unix(local.to_str().unwrap().into()),
        Connect::Unix(target.to_str().unwrap().into()),
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    tokio::spawn(fwd.run());
    let s = tokio::net::UnixStream::connect(&local).await.unwrap();
    round_trip(s, &pattern(80_000, 2)).await;
    // -R /remote.sock:/target.sock (streamlocal-forward)
    let remote = dir.join("remote.sock");
    let fwd = RemoteForward::start(
        &p.session,
        &p.routes,
        &Listen::Unix(remote.to_str().unwrap().into()),
        Some(Connect::Unix(target.to_str().unwrap().into())),
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    tokio::spawn(fwd.run());
    let s = tokio::net::UnixStream::connect(&remote).await.unwrap();
    round_trip(s, &pattern(80_000, 4)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_socket_ends_only_its_own_channel() {
    let target = echo_server().await;
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let fwd = LocalForward::local(
        &p.session,
        &loopback(0),
        to(target.port()),
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    let port = fwd.port();
    tokio::spawn(fwd.run());
    let mut keep = tcp(port).await;
    keep.write_all(b"abc").await.unwrap();
    let mut b = [0u8; 3];
    keep.read_exact(&mut b).await.unwrap();
    for _ in 0..5 {
        let mut doomed = tcp(port).await;
        doomed.write_all(&pattern(10_000, 1)).await.unwrap();
        #[allow(deprecated)] // linger 0 sends RST at once and does not block
        doomed.set_linger(Some(Duration::ZERO)).unwrap();
        drop(doomed); // RST
    }
    keep.write_all(b"def").await.unwrap();
    keep.read_exact(&mut b).await.unwrap();
    assert_eq!(&b, b"def");
    assert!(!p.session.is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_death_closes_listeners_and_is_reported() {
    let target = echo_server().await;
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let fwd = LocalForward::local(
        &p.session,
        &loopback(0),
        to(target.port()),
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    let port = fwd.port();
    let run = tokio::spawn(fwd.run());
    let mut open = tcp(port).await;
    open.write_all(b"x").await.unwrap();
    let mut b = [0u8; 1];
    open.read_exact(&mut b).await.unwrap();
    p.stop.stop(Duration::ZERO);
    let why = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(why, ForwardError::SessionClosed(_)), "{why}");
    // The listener and the forwarded socket are closed.
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
    );
    let n = tokio::time::timeout(Duration::from_secs(10), open.read(&mut b))
        .await
        .unwrap();
    assert!(matches!(n, Ok(0) | Err(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_closes_remote_listeners_when_the_client_goes() {
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let listener = RemoteListener::tcp(&p.session, &p.routes, "localhost", 0)
        .await
        .unwrap();
    let port = listener.port();
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    );
    // No cancel: the server must clean up by itself.
    p.session.disconnect().await;
    drop(listener);
    let mut closed = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(closed, "listener on port {port} survived its session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_restrict_option_denies_forwarding() {
    let target = echo_server().await;
    let mut key = KeyOptions::unrestricted();
    key.port_forwarding = false;
    key.restrict = true;
    let p = pair(ForwardPolicy::default(), key).await;
    assert!(
        open_direct(&p.session, &to(target.port()), None)
            .await
            .is_err()
    );
    assert!(
        RemoteListener::tcp(&p.session, &p.routes, "localhost", 0)
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_reset_while_the_open_is_pending_leave_no_channel() {
    // A target that accepts and holds its connections open forever.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let fwd = LocalForward::local(
        &p.session,
        &loopback(0),
        to(target),
        &ForwardOptions::default(),
    )
    .await
    .unwrap();
    let port = fwd.port();
    tokio::spawn(fwd.run());
    for _ in 0..10 {
        let s = tcp(port).await;
        #[allow(deprecated)] // linger 0 sends RST at once and does not block
        s.set_linger(Some(Duration::ZERO)).unwrap();
        drop(s);
    }
    let mut open = u32::MAX;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        open = p.session.channel_count();
        if open == 0 {
            break;
        }
    }
    assert_eq!(open, 0, "channels left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_gateway_ports_decides_the_bind_address() {
    use burrow_forward::GatewayPorts;
    // no: a request for 127.0.0.2 still binds loopback 127.0.0.1.
    let p = pair(ForwardPolicy::default(), KeyOptions::unrestricted()).await;
    let l = RemoteListener::tcp(&p.session, &p.routes, "127.0.0.2", 0)
        .await
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", l.port()))
            .await
            .is_ok()
    );
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.2", l.port()))
            .await
            .is_err()
    );
    // clientspecified: 127.0.0.2 is bound as asked, and only it.
    let policy = ForwardPolicy {
        gateway_ports: GatewayPorts::ClientSpecified,
        ..Default::default()
    };
    let p = pair(policy, KeyOptions::unrestricted()).await;
    let l = RemoteListener::tcp(&p.session, &p.routes, "127.0.0.2", 0)
        .await
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.2", l.port()))
            .await
            .is_ok()
    );
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", l.port()))
            .await
            .is_err()
    );
    // yes: every interface, whatever was asked.
    let policy = ForwardPolicy {
        gateway_ports: GatewayPorts::Yes,
        ..Default::default()
    };
    let p = pair(policy, KeyOptions::unrestricted()).await;
    let l = RemoteListener::tcp(&p.session, &p.routes, "127.0.0.2", 0)
        .await
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", l.port()))
            .await
            .is_ok()
    );
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.3", l.port()))
            .await
            .is_ok()
    );
}

/// A server that, for a port-0 tcpip-forward, opens a forwarded-tcpip channel on the
/// allocated port *before* it replies with that port.
struct EagerServer;

impl burrow::ServerHandler for EagerServer {
    type Permissions = ();

    fn auth_publickey(
        &self,
        _: std::net::SocketAddr,
        _: &str,
        key: &burrow::PublicKey,
    ) -> Option<()> {
        (key == keys().1.public_key()).then_some(())
    }

    fn channel_open(&self, _: &burrow::ConnectionInfo<()>, channel: burrow::IncomingChannel) {
        drop(channel);
    }

    fn global_request(
        &self,
        _: &burrow::ConnectionInfo<()>,
        request: burrow::IncomingGlobalRequest,
    ) {
        let session = request.session();
        tokio::spawn(async move {
            let mut ch = session
                .open_forwarded_tcpip("localhost", 5555, "192.0.2.9", 4321)
                .await
                .unwrap();
            ch.write_all(b"early").await.unwrap();
            ch.shutdown().await.unwrap();
            let mut rest = Vec::new();
            ch.read_to_end(&mut rest).await.unwrap();
        });
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            request.accept(Some(5555));
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_arriving_before_the_port_zero_reply_is_delivered() {
    let (host, _) = keys();
    let server = burrow::Server::bind("127.0.0.1:0", burrow::ServerConfig::new(host), EagerServer)
        .await
        .unwrap();
    let port = server.local_addr().unwrap().port();
    tokio::spawn(server.run());
    let (session, routes) = connect(port).await;
    let mut listener = RemoteListener::tcp(&session, &routes, "localhost", 0)
        .await
        .unwrap();
    assert_eq!(listener.port(), 5555);
    let conn = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conn.originator.address, "192.0.2.9");
    assert_eq!(conn.originator.port, 4321);
    let mut ch = conn.accept().unwrap();
    let mut got = Vec::new();
    ch.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"early");
}
