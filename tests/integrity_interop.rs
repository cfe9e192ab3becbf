//! Bit-flip integrity against real OpenSSH peers (the idea of OpenSSH's
//! `regress/integrity.sh`): a relay in the test flips one bit of the peer's stream at offset N
//! after its NEWKEYS. burrow must end the session with a MAC or length error and must never
//! pass an altered byte into the forwarded stream. `ssh -W` -> burrow server, and sshd ->
//! burrow client, for every cipher and MAC both sides speak, a handful of offsets each.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use burrow::{Client, ClientConfig, Error, ErrorKind, KeyPair, PublicKey, Server, ServerConfig};
use burrow_forward::{ForwardHandler, ForwardPolicy, ForwardServer};
use burrow_keyfiles::KeyOptions;
use burrow_transport::PacketError;
use burrow_transport::TransportError;
use burrow_transport::{CipherAlg, MacAlg};
use common::forward::pattern;
use common::ssh::ssh_command;
use common::sshd::Sshd;
use common::{TempDir, keygen_ed25519, public_key_blob, require_binary};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Offsets after the peer's NEWKEYS: the first encrypted packet's length field, its body,
/// the authentication exchange, and (for the larger ones) the forwarded data.
const OFFSETS: [usize; 5] = [0, 3, 150, 5_000, 60_000];
/// Bytes pushed through the forwarded stream.
const DATA_LEN: usize = 256 * 1024;

/// A TCP stream whose incoming bytes get one bit flipped at `flip_at` bytes after the end of
/// the peer's clear key exchange (its version line and clear packets up to NEWKEYS).
struct Flipper {
    inner: TcpStream,
    flip_at: Option<usize>,
    /// Everything read until the key exchange's end is found.
    clear: Vec<u8>,
    /// Bytes read so far.
    pos: usize,
    /// Stream offset of the first byte after the peer's NEWKEYS packet.
    kex_end: Option<usize>,
    flipped: Arc<Mutex<bool>>,
}

impl Flipper {
    fn new(inner: TcpStream, flip_at: Option<usize>) -> (Self, Arc<Mutex<bool>>) {
        let flipped = Arc::new(Mutex::new(false));
        let f = Self {
            inner,
            flip_at,
            clear: Vec::new(),
            pos: 0,
            kex_end: None,
            flipped: flipped.clone(),
        };
        (f, flipped)
    }

    /// Where the clear packets in `self.clear` reach past NEWKEYS (message 21), if they do.
    fn find_kex_end(&self) -> Option<usize> {
        let mut at = 0;
        // Version line (and any lines a server sends before it).
        loop {
            let nl = self.clear[at..].iter().position(|&b| b == b'\n')?;
            let line = &self.clear[at..at + nl];
            at += nl + 1;
            if line.starts_with(b"SSH-") {
                break;
            }
        }
        loop {
            let head = self.clear.get(at..at + 6)?;
            let len = u32::from_be_bytes(head[..4].try_into().unwrap()) as usize;
            let end = at + 4 + len;
            if self.clear.len() < end {
                return None;
            }
            if head[5] == 21 {
                return Some(end);
            }
            at = end;
        }
    }

    fn inspect(&mut self, new: &mut [u8]) {
        let start = self.pos;
        self.pos += new.len();
        if self.kex_end.is_none() {
            self.clear.extend_from_slice(new);
            self.kex_end = self.find_kex_end();
        }
        let (Some(end), Some(off)) = (self.kex_end, self.flip_at) else {
            return;
        };
        let target = end + off;
        if (start..self.pos).contains(&target) {
            new[target - start] ^= 1 << (off % 8);
            *self.flipped.lock().unwrap() = true;
        }
    }
}

impl AsyncRead for Flipper {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            let new = &mut buf.filled_mut()[before..];
            self.inspect(new);
        }
        r
    }
}

impl AsyncWrite for Flipper {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// (cipher, MAC) pairs burrow and this OpenSSH both speak: every AEAD alone, every other
/// cipher with every MAC.
fn suites() -> Vec<(&'static str, Option<&'static str>)> {
    let query = |what: &str| -> Vec<String> {
        let ssh = require_binary("ssh").expect("ssh");
        let out = std::process::Command::new(ssh)
            .args(["-Q", what])
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let (ciphers, macs) = (query("cipher"), query("mac"));
    let mut out = Vec::new();
    for c in CipherAlg::ALL
        .iter()
        .filter(|c| ciphers.iter().any(|n| n == c.name()))
    {
        if c.is_aead() {
            out.push((c.name(), None));
        } else {
            for m in MacAlg::ALL
                .iter()
                .filter(|m| macs.iter().any(|n| n == m.name()))
            {
                out.push((c.name(), Some(m.name())));
            }
        }
    }
    assert!(out.len() >= 7, "too few common suites: {out:?}");
    out
}

/// Asserts `err` is a MAC or packet-length error of burrow's transport.
fn assert_integrity_error(err: &Error, ctx: &str) {
    let kind = match &*err.kind {
        ErrorKind::SessionClosed(inner) => &*inner.kind,
        other => other,
    };
    assert!(
        matches!(
            kind,
            ErrorKind::Transport(TransportError::Packet(
                PacketError::MacMismatch { .. }
                    | PacketError::PacketTooLarge { .. }
                    | PacketError::PacketTooShort { .. }
                    | PacketError::BadLength { .. }
                    | PacketError::BadPadding { .. }
            ))
        ),
        "{ctx}: ended with {err} ({kind:?}), not a MAC/length/padding error"
    );
}

/// Asserts the forwarded bytes are an unaltered prefix of the data sent.
fn assert_prefix(got: &[u8], sent: &[u8], ctx: &str) {
    assert!(got.len() <= sent.len(), "{ctx}: more bytes than sent");
    if let Some(i) = got.iter().zip(sent).position(|(a, b)| a != b) {
        panic!("{ctx}: forwarded byte {i} was altered");
    }
}

/// A TCP sink on 127.0.0.1 that keeps every byte it receives; the sender half-closes when done.
/// Also returns whether a connection was accepted and a receiver told when one ends.
async fn sink() -> (
    u16,
    Arc<Mutex<Vec<u8>>>,
    Arc<Mutex<bool>>,
    tokio::sync::mpsc::Receiver<()>,
) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let (done_tx, done_rx) = tokio::sync::mpsc::channel(4);
    let keep = got.clone();
    let opened = Arc::new(Mutex::new(false));
    let accepted = opened.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            *accepted.lock().unwrap() = true;
            let (keep, done) = (keep.clone(), done_tx.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    keep.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                let _ = done.send(()).await;
            });
        }
    });
    (port, got, opened, done_rx)
}

/// `ssh -W` to a sink through a burrow server whose input has one bit flipped at `flip_at`.
/// Returns how the server's session ended and what reached the sink.
async fn ssh_through_burrowd(
    cipher: &str,
    mac: Option<&str>,
    flip_at: Option<usize>,
) -> (Result<(), Arc<Error>>, Vec<u8>, bool) {
    let ssh = require_binary("ssh").expect("ssh");
    let dir = TempDir::new("integrity-ssh");
    keygen_ed25519(&dir.join("id"));
    let blob = public_key_blob(&dir.join("id.pub"));
    let auth = move |_: std::net::SocketAddr, _: &str, k: &PublicKey| {
        (k.to_blob() == blob).then(KeyOptions::unrestricted)
    };
    let handler = Arc::new(ForwardHandler::new(
        ForwardServer::new(ForwardPolicy::default(), Duration::from_secs(5)),
        auth,
    ));
    let config = Arc::new(ServerConfig::new(KeyPair::from_ed25519_seed(&[0x5A; 32])));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sink_port, got, opened, mut done) = sink().await;

    let mut cmd = ssh_command(&ssh, port, dir.path());
    cmd.arg("-i").arg(dir.join("id"));
    cmd.args(["-o", &format!("Ciphers={cipher}")]);
    if let Some(mac) = mac {
        cmd.args(["-o", &format!("MACs={mac}")]);
    }
    cmd.args([
        "-o",
        "LogLevel=ERROR",
        "-W",
        &format!("127.0.0.1:{sink_port}"),
    ]);
    cmd.arg("tester@127.0.0.1");
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.kill_on_drop(true)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = pattern(DATA_LEN, 7);
    let feed = data.clone();
    tokio::spawn(async move {
        let _ = stdin.write_all(&feed).await;
        let _ = stdin.shutdown().await;
    });

    let (stream, _) = tokio::time::timeout(Duration::from_secs(20), listener.accept())
        .await
        .expect("ssh never connected")
        .unwrap();
    let (stream, flipped) = Flipper::new(stream, flip_at);
    let served = tokio::time::timeout(
        Duration::from_secs(30),
        Server::serve_stream(
            stream,
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            config,
            handler,
        ),
    )
    .await
    .expect("burrow server session did not end");
    // With a clean stream the sink sees EOF; after a fatal error its connection is dropped.
    // Either way it finishes, if it was ever opened.
    let was_opened = *opened.lock().unwrap();
    if was_opened {
        let _ = tokio::time::timeout(Duration::from_secs(5), done.recv()).await;
    }
    let _ = child.kill().await;
    let got = got.lock().unwrap().clone();
    let flipped = *flipped.lock().unwrap();
    (served, got, flipped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_to_burrow_server_bit_flips_end_in_mac_errors_and_alter_nothing() {
    if require_binary("ssh").is_none() || require_binary("ssh-keygen").is_none() {
        return;
    }
    let data = pattern(DATA_LEN, 7);
    // Flips past the authentication land in the data: some intact data arrives first.
    let mut partial = 0;
    for (cipher, mac) in suites() {
        let ctx = format!("ssh -> burrowd {cipher} {mac:?}");
        let (served, got, _) = ssh_through_burrowd(cipher, mac, None).await;
        served.unwrap_or_else(|e| panic!("{ctx}: clean run failed: {e}"));
        assert!(
            got == data,
            "{ctx}: clean run forwarded {} bytes",
            got.len()
        );
        for off in OFFSETS {
            let ctx = format!("{ctx} flip at +{off}");
            let (served, got, flipped) = ssh_through_burrowd(cipher, mac, Some(off)).await;
            assert!(flipped, "{ctx}: the stream never reached the offset");
            let err = served.expect_err(&ctx);
            assert_integrity_error(&err, &ctx);
            assert_prefix(&got, &data, &ctx);
            assert!(got.len() < data.len(), "{ctx}: everything arrived anyway");
            partial += usize::from(!got.is_empty());
        }
        println!("{ctx}: clean run and {} flips ok", OFFSETS.len());
    }
    assert!(partial > 0, "no flip landed after some forwarded data");
}

/// A burrow client to `sshd` over a stream with one bit of sshd's output flipped at
/// `flip_at`; reads a `direct-tcpip` channel to a source sending `data`. Returns how the
/// session ended (None: still open, i.e. it ended cleanly), what came through, and whether
/// the flip happened.
async fn burrow_through_sshd(
    sshd: &Sshd,
    flip_at: Option<usize>,
    data: &[u8],
) -> (Option<Arc<Error>>, Vec<u8>, bool) {
    let source = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let source_port = source.local_addr().unwrap().port();
    let payload = data.to_vec();
    tokio::spawn(async move {
        if let Ok((mut s, _)) = source.accept().await {
            let _ = s.write_all(&payload).await;
            let _ = s.shutdown().await;
        }
    });
    let expected = sshd.host_key_blob.clone();
    let check = move |_: &str, _: u16, k: &PublicKey| k.to_blob() == expected;
    let mut config = ClientConfig::new(common::auth::local_user(), Arc::new(check));
    config.keys.push(KeyPair::from_ed25519_seed(&[0x33; 32]));
    let tcp = TcpStream::connect(("127.0.0.1", sshd.port)).await.unwrap();
    let (stream, flipped) = Flipper::new(tcp, flip_at);
    let run = async {
        let session = match Client::connect_stream(stream, "127.0.0.1", sshd.port, config).await {
            Ok(s) => s,
            Err(e) => return (Some(Arc::new(e)), Vec::new()),
        };
        let mut got = Vec::new();
        match session
            .open_direct_tcpip("127.0.0.1", source_port, "127.0.0.1", 0)
            .await
        {
            Ok(mut ch) => {
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n) = ch.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
            }
            Err(e) => return (Some(Arc::new(e)), got),
        }
        if session.is_closed() {
            (Some(session.closed().await), got)
        } else {
            (None, got)
        }
    };
    let (err, got) = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("burrow client session hung");
    let flipped = *flipped.lock().unwrap();
    (err, got, flipped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sshd_to_burrow_client_bit_flips_end_in_mac_errors_and_alter_nothing() {
    if require_binary("ssh").is_none() {
        return;
    }
    let data = pattern(DATA_LEN, 9);
    let mut partial = 0;
    for (cipher, mac) in suites() {
        let mut extra = vec![format!("Ciphers {cipher}")];
        if let Some(mac) = mac {
            extra.push(format!("MACs {mac}"));
        }
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let Some(sshd) = Sshd::start(&extra) else {
            return;
        };
        let ctx = format!("sshd -> burrow {cipher} {mac:?}");
        let (err, got, _) = burrow_through_sshd(&sshd, None, &data).await;
        assert!(err.is_none(), "{ctx}: clean run failed: {err:?}");
        assert!(
            got == data,
            "{ctx}: clean run forwarded {} bytes",
            got.len()
        );
        for off in OFFSETS {
            let ctx = format!("{ctx} flip at +{off}");
            let (err, got, flipped) = burrow_through_sshd(&sshd, Some(off), &data).await;
            assert!(flipped, "{ctx}: the stream never reached the offset");
            let err = err.unwrap_or_else(|| panic!("{ctx}: session survived the flip"));
            assert_integrity_error(&err, &ctx);
            assert_prefix(&got, &data, &ctx);
            assert!(got.len() < data.len(), "{ctx}: everything arrived anyway");
            partial += usize::from(!got.is_empty());
        }
        println!("{ctx}: clean run and {} flips ok", OFFSETS.len());
    }
    assert!(partial > 0, "no flip landed after some forwarded data");
}
