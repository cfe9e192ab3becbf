//! Records one real key exchange per kex method: a real client (OpenSSH's `ssh`, or AsyncSSH
//! for methods the system OpenSSH lacks) against the seeded burrow server transport, up to the
//! client's first encrypted packet (SERVICE_REQUEST); for the client-only DH groups the seeded
//! burrow client against OpenSSH's `sshd`, up to the server's SERVICE_ACCEPT. Written to
//! `tests/recorded/<method>.{client,server}.bin` for the `recorded_kex` replay test.
//!
//! `cargo run -p burrow-transport --example record_kex [METHOD...]` (all methods when none).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/support/recorded.rs"]
mod recorded;
#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use burrow_transport::TransportEvent;
use burrow_transport::service::{USERAUTH, accepted_service, requested_service};
use bytes::BytesMut;
use recorded::{CASES, CLIENT_CASES, Case, Peer, drive_client};

/// AsyncSSH client: connects with one kex method, cipher and MAC; the recorder drops the
/// connection after the SERVICE_REQUEST, so the error that follows is expected.
const ASYNCSSH_CLIENT: &str = r#"
import asyncio, sys, asyncssh
async def main(port, kex, cipher, mac):
    try:
        async with asyncssh.connect('127.0.0.1', port, known_hosts=None, username='rec',
                                    kex_algs=[kex], encryption_algs=[cipher], mac_algs=[mac],
                                    client_keys=None, password=None, agent_path=None):
            pass
    except Exception:
        pass
asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]))
"#;

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let scratch = std::env::temp_dir().join(format!("burrow-record-kex-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    for case in CASES.into_iter().chain(CLIENT_CASES) {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == case.kex) {
            continue;
        }
        let (client, server) = if case.peer == Peer::Sshd {
            record_client(&case, &scratch)
        } else {
            record(&case, &scratch)
        };
        std::fs::write(case.fixture("client"), &client).unwrap();
        std::fs::write(case.fixture("server"), &server).unwrap();
        println!(
            "{}: client {} bytes, server {} bytes",
            case.kex,
            client.len(),
            server.len()
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Runs one exchange; returns the bytes the client sent and the bytes the server sent.
fn record(case: &Case, scratch: &Path) -> (Vec<u8>, Vec<u8>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut child = spawn_peer(case, port, scratch);
    let mut sock = accept(&listener, &mut child);
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut server = case.server(Instant::now());
    let (mut client_bytes, mut server_bytes) = (Vec::new(), Vec::new());
    let mut input = BytesMut::new();
    let mut out = BytesMut::new();
    let mut buf = [0u8; 4096];
    loop {
        let _ = server.poll_transmit(&mut out);
        sock.write_all(&out).unwrap();
        server_bytes.extend_from_slice(&out.split());
        let n = sock.read(&mut buf).expect("reading from the client");
        assert!(
            n > 0,
            "{}: the client closed before SERVICE_REQUEST",
            case.kex
        );
        client_bytes.extend_from_slice(&buf[..n]);
        input.extend_from_slice(&buf[..n]);
        server
            .handle_input(&mut input, Instant::now())
            .unwrap_or_else(|e| panic!("{}: {e}", case.kex));
        while let Some(ev) = server.poll_event() {
            if let TransportEvent::Payload(p) = ev {
                assert_eq!(requested_service(&p).as_deref(), Some(USERAUTH));
                assert!(
                    input.is_empty(),
                    "{}: bytes after SERVICE_REQUEST",
                    case.kex
                );
                let _ = server.poll_transmit(&mut out);
                server_bytes.extend_from_slice(&out.split());
                let _ = child.kill();
                let _ = child.wait();
                return (client_bytes, server_bytes);
            }
        }
    }
}

/// Runs the burrow client against `sshd` once; returns the bytes the client sent and the bytes
/// the server sent.
fn record_client(case: &Case, scratch: &Path) -> (Vec<u8>, Vec<u8>) {
    let mut sshd = spawn_sshd(case, scratch);
    let port = sshd.1;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut sock = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(sock) => break sock,
            Err(e) => {
                assert!(Instant::now() < deadline, "sshd did not listen: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    sock.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut client = case.client(Instant::now());
    let (mut client_bytes, mut server_bytes) = (Vec::new(), Vec::new());
    let mut input = BytesMut::new();
    let mut out = BytesMut::new();
    let mut buf = [0u8; 4096];
    let mut events = Vec::new();
    loop {
        let _ = client.poll_transmit(&mut out);
        sock.write_all(&out).unwrap();
        client_bytes.extend_from_slice(&out.split());
        let n = sock.read(&mut buf).expect("reading from sshd");
        assert!(n > 0, "{}: sshd closed before SERVICE_ACCEPT", case.kex);
        server_bytes.extend_from_slice(&buf[..n]);
        input.extend_from_slice(&buf[..n]);
        drive_client(&mut client, &mut input, Instant::now(), &mut events)
            .unwrap_or_else(|e| panic!("{}: {e}", case.kex));
        let accepted = events.iter().any(|ev| {
            matches!(ev, TransportEvent::Payload(p) if accepted_service(p).as_deref() == Some(USERAUTH))
        });
        if accepted {
            assert!(input.is_empty(), "{}: bytes after SERVICE_ACCEPT", case.kex);
            let _ = client.poll_transmit(&mut out);
            client_bytes.extend_from_slice(&out.split());
            let _ = sshd.0.kill();
            let _ = sshd.0.wait();
            return (client_bytes, server_bytes);
        }
    }
}

/// Starts `sshd -D` on a free port of 127.0.0.1 with a new ed25519 host key and only the case's
/// method, cipher and MAC; returns it and its port.
fn spawn_sshd(case: &Case, scratch: &Path) -> (Child, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let key = scratch.join("host_ed25519");
    let _ = std::fs::remove_file(&key);
    let _ = std::fs::remove_file(key.with_extension("pub"));
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen");
    assert!(status.success(), "ssh-keygen: {status}");
    let config = scratch.join("sshd_config");
    let text = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nKexAlgorithms {}\nCiphers {}\n\
         MACs {}\nPidFile none\nUsePAM no\nStrictModes no\nLogLevel ERROR\n",
        key.display(),
        case.kex,
        case.cipher,
        case.mac
    );
    std::fs::write(&config, text).unwrap();
    std::fs::create_dir_all("/run/sshd").unwrap();
    let child = Command::new("/usr/sbin/sshd")
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdin(Stdio::null())
        .spawn()
        .expect("cannot start /usr/sbin/sshd");
    (child, port)
}

fn spawn_peer(case: &Case, port: u16, scratch: &Path) -> Child {
    let mut cmd = match case.peer {
        Peer::OpenSsh => {
            let known_hosts = scratch.join("known_hosts");
            let mut cmd = Command::new("ssh");
            cmd.args(["-F", "/dev/null", "-p", &port.to_string()])
                .args(["-o", &format!("KexAlgorithms={}", case.kex)])
                .args(["-o", &format!("Ciphers={}", case.cipher)])
                .args(["-o", &format!("MACs={}", case.mac)])
                .args(["-o", "HostKeyAlgorithms=ssh-ed25519"])
                .args([
                    "-o",
                    "StrictHostKeyChecking=no",
                    "-o",
                    "BatchMode=yes",
                    "-o",
                    "LogLevel=ERROR",
                ])
                .args([
                    "-o",
                    &format!("UserKnownHostsFile={}", known_hosts.display()),
                ])
                .args(["-o", "GlobalKnownHostsFile=/dev/null"])
                .args(["-l", "rec", "127.0.0.1", "true"]);
            cmd
        }
        Peer::AsyncSsh => {
            let mut cmd = Command::new(python());
            cmd.args(["-W", "ignore", "-c", ASYNCSSH_CLIENT, &port.to_string()])
                .args([case.kex, case.cipher, case.mac]);
            cmd
        }
        Peer::Sshd => panic!("{}: sshd is recorded by record_client", case.kex),
    };
    cmd.stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: cannot start {:?}: {e}", case.kex, case.peer))
}

/// `$BURROW_PYTHON`, else the workspace's `.venv-peers/bin/python`.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("BURROW_PYTHON") {
        return p.into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-peers/bin/python")
}

fn accept(listener: &TcpListener, child: &mut Child) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match listener.accept() {
            Ok((sock, _)) => {
                sock.set_nonblocking(false).unwrap();
                return sock;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!("the client exited before connecting: {status}");
                }
                assert!(Instant::now() < deadline, "the client did not connect");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}
