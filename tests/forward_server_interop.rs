//! Forwarding interop, OpenSSH `ssh` -> burrow server (`ForwardHandler`): -L, -R (fixed and
//! port 0, with ssh's `Allocated port` line), -D with curl, -W with half-close, unix
//! sockets, and policy denials with ExitOnForwardFailure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use burrow_forward::ForwardPolicy;
use burrow_forward::policy::{AllowForwarding, PermitList};
use burrow_keyfiles::KeyOptions;
use common::forward::*;
use common::ssh::ssh_command;
use common::{TempDir, free_port, keygen_ed25519, public_key_blob, require_binary};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// A burrow server with `policy`, and an ssh command line for it with a fresh client key.
struct Setup {
    dir: TempDir,
    port: u16,
    _stop: burrow::ServerStop,
}

async fn setup(policy: ForwardPolicy, options: KeyOptions) -> Option<Setup> {
    require_binary("ssh")?;
    require_binary("ssh-keygen")?;
    let dir = TempDir::new("fwd-ssh");
    keygen_ed25519(&dir.join("id"));
    let blob = public_key_blob(&dir.join("id.pub"));
    let (port, stop) = burrow_server(policy, blob, options).await;
    Some(Setup {
        dir,
        port,
        _stop: stop,
    })
}

impl Setup {
    /// `ssh` with our key, then `args`, then `tester@127.0.0.1`.
    fn ssh(&self, args: &[&str]) -> Command {
        let ssh = require_binary("ssh").expect("ssh");
        let mut cmd = ssh_command(&ssh, self.port, self.dir.path());
        cmd.arg("-i").arg(self.dir.join("id"));
        cmd.args(args).arg("tester@127.0.0.1");
        let mut cmd = Command::from(cmd);
        cmd.kill_on_drop(true);
        cmd
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.ssh(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_local_forward_through_burrow_server() {
    let Some(s) = setup(ForwardPolicy::default(), KeyOptions::unrestricted()).await else {
        return;
    };
    let target = echo_server().await;
    let lport = free_port();
    let spec = format!("{lport}:127.0.0.1:{target}");
    let _ssh = s.spawn(&["-N", "-o", "LogLevel=ERROR", "-L", &spec]);
    wait_port(lport).await;
    let mut tasks = Vec::new();
    for i in 0..4u8 {
        tasks.push(tokio::spawn(async move {
            let c = tokio::net::TcpStream::connect(("127.0.0.1", lport))
                .await
                .unwrap();
            round_trip(c, &pattern(400_000, i)).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_remote_forward_port_zero_prints_the_allocated_port() {
    let Some(s) = setup(ForwardPolicy::default(), KeyOptions::unrestricted()).await else {
        return;
    };
    let target = echo_server().await;
    let spec = format!("0:127.0.0.1:{target}");
    let mut ssh = s.spawn(&[
        "-N",
        "-o",
        "LogLevel=INFO",
        "-o",
        "ExitOnForwardFailure=yes",
        "-R",
        &spec,
    ]);
    let mut lines = BufReader::new(ssh.stderr.take().unwrap()).lines();
    let prefix = "Allocated port ";
    let line = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let l = lines.next_line().await.unwrap().expect("ssh exited");
            if l.starts_with(prefix) {
                return l;
            }
        }
    })
    .await
    .unwrap();
    let port: u16 = line[prefix.len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        line,
        format!("Allocated port {port} for remote forward to 127.0.0.1:{target}")
    );
    let c = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    round_trip(c, &pattern(300_000, 7)).await;
}

/// ssh sends all its `-R` requests back to back before reading a reply: 200 of them are
/// more than the 64 replies a connection may owe, so the server reads them as it answers.
/// (ssh drops duplicate forwards, so each names another target; only the first's is real.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_with_200_remote_forwards_gets_every_one() {
    let Some(s) = setup(ForwardPolicy::default(), KeyOptions::unrestricted()).await else {
        return;
    };
    let target = echo_server().await;
    let specs: Vec<String> = (0..200u16)
        .map(|i| format!("0:127.0.0.1:{}", target.wrapping_add(i)))
        .collect();
    let mut args = vec![
        "-N",
        "-o",
        "LogLevel=INFO",
        "-o",
        "ExitOnForwardFailure=yes",
    ];
    for spec in &specs {
        args.extend(["-R", spec.as_str()]);
    }
    let mut ssh = s.spawn(&args);
    let mut lines = BufReader::new(ssh.stderr.take().unwrap()).lines();
    let mut ports = std::collections::HashMap::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while ports.len() < specs.len() {
            let l = lines.next_line().await.unwrap().expect("ssh exited");
            let Some(rest) = l.strip_prefix("Allocated port ") else {
                continue;
            };
            let (port, to) = rest.split_once(" for remote forward to ").unwrap();
            let port: u16 = port.parse().unwrap();
            assert!(ports.insert(to.to_owned(), port).is_none(), "{l}");
        }
    })
    .await
    .unwrap();
    let echo_port = ports[&format!("127.0.0.1:{target}")];
    let c = tokio::net::TcpStream::connect(("127.0.0.1", echo_port))
        .await
        .unwrap();
    round_trip(c, &pattern(100_000, 3)).await;
    assert!(ssh.try_wait().unwrap().is_none(), "ssh gave up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_remote_forward_fixed_port_and_cleanup_on_exit() {
    let Some(s) = setup(ForwardPolicy::default(), KeyOptions::unrestricted()).await else {
        return;
    };
    let target = echo_server().await;
    let rport = free_port();
    let spec = format!("{rport}:127.0.0.1:{target}");
    let mut ssh = s.spawn(&[
        "-N",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ExitOnForwardFailure=yes",
        "-R",
        &spec,
    ]);
    wait_port(rport).await;
    let c = tokio::net::TcpStream::connect(("127.0.0.1", rport))
        .await
        .unwrap();
    round_trip(c, &pattern(200_000, 9)).await;
    ssh.kill().await.unwrap();
    // The server closes the listener when the connection ends.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", rport))
        .await
        .is_ok()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "listener survived its session"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_dynamic_forward_through_burrow_server_serves_curl() {
    let Some(s) = setup(ForwardPolicy::default(), KeyOptions::unrestricted()).await else {
        return;
    };
    let Some(curl) = require_binary("curl") else {
        return;
    };
    let web = http_server("socks via burrowd").await;
    let dport = free_port();
    let _ssh = s.spawn(&["-N", "-o", "LogLevel=ERROR", "-D", &dport.to_string()]);
    wait_port(dport).await;
    for flag in ["--socks5-hostname", "--socks4a"] {
        let out = Command::new(&curl)
            .args([
                "-sS",
                "--max-time",
                "20",
                flag,
                &format!("127.0.0.1:{dport}"),
            ])
            .arg(format!("http://localhost:{web}/"))
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, b"socks via burrowd", "{flag}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_stdio_forward_half_closes_through_burrow_server() {
    let Some(s) = setup(ForwardPolicy::default(), KeyOptions::unrestricted()).await else {
        return;
    };
    let target = echo_server().await;
    let w = format!("127.0.0.1:{target}");
    let mut ssh = s
        .ssh(&["-o", "LogLevel=ERROR", "-W", &w])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let data = pattern(200_000, 2);
    let mut stdin = ssh.stdin.take().unwrap();
    let to_send = data.clone();
    let writer = tokio::spawn(async move {
        stdin.write_all(&to_send).await.unwrap();
        // Dropping stdin is the EOF that must travel to the target as a half-close.
    });
    let mut got = Vec::new();
    let mut stdout = ssh.stdout.take().unwrap();
    tokio::time::timeout(Duration::from_secs(30), stdout.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    writer.await.unwrap();
    assert!(got == data, "got {} bytes", got.len());
    let status = tokio::time::timeout(Duration::from_secs(10), ssh.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_unix_socket_forwards_through_burrow_server() {
    let policy = ForwardPolicy {
        stream_local_bind_unlink: true,
        ..Default::default()
    };
    let Some(s) = setup(policy, KeyOptions::unrestricted()).await else {
        return;
    };
    let target = s.dir.join("target.sock");
    unix_echo_server(&target);
    let local = s.dir.join("local.sock");
    let remote = s.dir.join("remote.sock");
    let l = format!("{}:{}", local.display(), target.display());
    let r = format!("{}:{}", remote.display(), target.display());
    let _ssh = s.spawn(&[
        "-N",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ExitOnForwardFailure=yes",
        "-L",
        &l,
        "-R",
        &r,
    ]);
    wait_unix(&local).await;
    let c = tokio::net::UnixStream::connect(&local).await.unwrap();
    round_trip(c, &pattern(100_000, 1)).await;
    wait_unix(&remote).await;
    let c = tokio::net::UnixStream::connect(&remote).await.unwrap();
    round_trip(c, &pattern(100_000, 2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burrow_policy_denials_reach_ssh() {
    let policy = ForwardPolicy {
        allow_tcp: AllowForwarding::Local,
        permit_open: PermitList::parse_permit_open(&["127.0.0.1:1"]).unwrap(),
        ..Default::default()
    };
    let Some(s) = setup(policy, KeyOptions::unrestricted()).await else {
        return;
    };
    let target = echo_server().await;
    // -W to a target PermitOpen does not list: ssh reports the refusal and exits 255.
    let w = format!("127.0.0.1:{target}");
    let out = s
        .ssh(&["-o", "LogLevel=INFO", "-W", &w])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("administratively prohibited"), "{err}");
    assert!(err.contains("stdio forwarding failed"), "{err}");
    // -R with AllowTcpForwarding local and ExitOnForwardFailure: exit 255.
    let spec = format!("0:127.0.0.1:{target}");
    let out = s
        .ssh(&[
            "-N",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ExitOnForwardFailure=yes",
            "-R",
            &spec,
        ])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("remote port forwarding failed"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_permitopen_restricts_ssh_local_forward() {
    let mut key = KeyOptions::unrestricted();
    let allowed = echo_server().await;
    let denied = echo_server().await;
    key.permit_open = vec![burrow_keyfiles::authorized_keys::PermitOpen {
        host: "127.0.0.1".into(),
        port: Some(allowed),
    }];
    let Some(s) = setup(ForwardPolicy::default(), key).await else {
        return;
    };
    let ok = s
        .ssh(&[
            "-o",
            "LogLevel=ERROR",
            "-W",
            &format!("127.0.0.1:{allowed}"),
        ])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let refused = s
        .ssh(&["-o", "LogLevel=ERROR", "-W", &format!("127.0.0.1:{denied}")])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(255));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_reverse_dynamic_forward_through_burrow_server_serves_curl() {
    let Some(s) = setup(ForwardPolicy::default(), KeyOptions::unrestricted()).await else {
        return;
    };
    let Some(curl) = require_binary("curl") else {
        return;
    };
    let web = http_server("reverse socks via burrowd").await;
    let rport = free_port();
    let _ssh = s.spawn(&[
        "-N",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ExitOnForwardFailure=yes",
        "-R",
        &rport.to_string(),
    ]);
    wait_port(rport).await;
    let out = Command::new(&curl)
        .args([
            "-sS",
            "--max-time",
            "20",
            "--socks5-hostname",
            &format!("127.0.0.1:{rport}"),
        ])
        .arg(format!("http://localhost:{web}/"))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"reverse socks via burrowd");
}
