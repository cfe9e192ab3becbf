//! End to end `Reconnect yes` against a real burrowd and a real sshd, killed with SIGKILL
//! mid-transfer and restarted on the same port: the `-L` listener keeps accepting, a
//! connection made during the outage is served after the restart, `-R 0` comes back on a
//! new port (stderr and event); a changed host key and a wrong key each stop the loop; an
//! optional `-R` whose port is busy becomes ready once the port frees.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Every event line of `path`, parsed.
fn events(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Waits until `path` holds at least `n` events named `name`; returns those.
fn wait_events(path: &Path, name: &str, n: usize, secs: u64) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let all: Vec<Value> = events(path)
            .into_iter()
            .filter(|e| e["event"] == name)
            .collect();
        if all.len() >= n {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "fewer than {n} {name} events in {:?}",
            events(path)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The allocated port of the `n`th (from 0) `forward_ready` of a `-R` forward.
fn remote_port(path: &Path, n: usize) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ports: Vec<u16> = events(path)
            .iter()
            .filter(|e| {
                e["event"] == "forward_ready" && e["spec"].as_str().unwrap().starts_with("-R")
            })
            .map(|e| u16::try_from(e["allocated_port"].as_u64().unwrap()).unwrap())
            .collect();
        if let Some(p) = ports.get(n) {
            return *p;
        }
        assert!(
            Instant::now() < deadline,
            "no -R forward_ready #{n}: {:?}",
            events(path)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `data` on a fresh connection to `port` and checks it comes back.
fn echo_through(port: u16, data: &[u8]) {
    let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    check_echo(stream, data);
}

/// A server process we can kill and start again on the same port with the same files.
struct Server {
    program: String,
    args: Vec<String>,
    dir: TempDir,
    /// Its host key file (burrowd: `dir/host`, sshd: `dir/host_key`).
    host_key: PathBuf,
    port: u16,
    proc: Option<Proc>,
}

impl Server {
    fn burrowd(d: Burrowd) -> Self {
        let args = vec![s("-D"), s("-e"), s("-f"), d.dir.s("burrowd_config")];
        Self {
            program: s(BURROWD),
            args,
            host_key: d.dir.join("host"),
            port: d.port,
            proc: Some(d.proc),
            dir: d.dir,
        }
    }

    fn sshd(d: Sshd) -> Self {
        let args = vec![
            s("-D"),
            s("-e"),
            s("-f"),
            d.dir.s("sshd_config"),
            s("-p"),
            d.port.to_string(),
            s("-h"),
            d.dir.s("host_key"),
        ];
        Self {
            program: s("/usr/sbin/sshd"),
            args,
            host_key: d.dir.join("host_key"),
            port: d.port,
            proc: Some(d.proc),
            dir: d.dir,
        }
    }

    /// SIGKILL the server and every process it started (sshd's per-connection children).
    fn kill(&mut self) {
        let Some(mut p) = self.proc.take() else {
            return;
        };
        // Taken before the kill: orphans are adopted by init and lose their link to us.
        let tree = burrow_testkit::proc::descendants(p.child.id());
        p.child.kill().unwrap();
        p.child.wait().unwrap();
        for pid in tree {
            burrow_testkit::proc::signal_pid(pid, "KILL");
        }
    }

    /// Starts it again on the same port.
    fn restart(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let proc = spawn(&self.program, &self.args, &self.dir, "server-restart.log");
            if wait_banner(self.port) {
                self.proc = Some(proc);
                return;
            }
            // The port may still be held for a moment after the kill.
            drop(proc);
            assert!(Instant::now() < deadline, "server did not restart");
        }
    }
}

fn client(port: u16, key: &Path, dir: &TempDir, extra: &[&str]) -> Proc {
    let mut a = client_opts(dir, key, port);
    a.extend(
        [
            "-N",
            "-o",
            "Reconnect=yes",
            "-o",
            "ReconnectMaxDelay=2",
            "--events",
            &dir.s("events.jsonl"),
        ]
        .iter()
        .chain(extra)
        .map(|e| s(e)),
    );
    a.push(s("127.0.0.1"));
    spawn(BURROW, &a, dir, "burrow.log")
}

/// The whole outage story against `server` (burrowd or sshd) with the client key `key`.
fn kill_and_restart(mut server: Server, key: &Path, tag: &str) {
    let dir = TempDir::new(tag);
    let echo = echo_server();
    let lport = free_port();
    let lspec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let rspec = format!("0:127.0.0.1:{echo}");
    let mut burrow = client(server.port, key, &dir, &["-L", &lspec, "-R", &rspec]);
    let path = dir.join("events.jsonl");
    let r1 = remote_port(&path, 0);
    assert!(wait_port(lport, 20), "{}", burrow.log());
    echo_through(lport, &pattern(100_000));
    echo_through(r1, &pattern(50_000));
    assert!(
        burrow
            .log()
            .contains(&format!("Allocated port {r1} for remote forward"))
    );

    // Mid-transfer: half of a transfer sent when the server dies.
    let mut inflight = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
    inflight.write_all(&pattern(10_000)).unwrap();
    let mut got = [0u8; 100];
    inflight.read_exact(&mut got).unwrap();
    server.kill();
    wait_events(&path, "disconnected", 1, 20);
    wait_events(&path, "reconnecting", 1, 20);

    // During the outage the listener accepts, and the connection is held.
    let mut held = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
    held.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let data = pattern(30_000);
    held.write_all(&data).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        burrow.child.try_wait().unwrap().is_none(),
        "{}",
        burrow.log()
    );
    server.restart();
    wait_events(&path, "connected", 2, 30);
    let mut back = vec![0u8; data.len()];
    held.read_exact(&mut back).unwrap();
    assert!(back == data, "the held connection's echo differs");
    drop(held);

    // -R 0 again: a new forward_ready and a second Allocated line.
    let r2 = remote_port(&path, 1);
    echo_through(r2, &pattern(40_000));
    let line = format!("Allocated port {r2} for remote forward to 127.0.0.1:{echo}");
    burrow.expect_log(&line, Duration::from_secs(10));
    echo_through(lport, &pattern(70_000));
    let rec = &wait_events(&path, "reconnecting", 1, 1)[0];
    assert_eq!(rec["attempt"], 1);
    let ms = rec["delay_ms"].as_u64().unwrap();
    assert!(
        (500..=1000).contains(&ms),
        "first wait {ms} ms is not within 0.5-1 s"
    );
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        burrow.log()
    );
}

#[test]
fn burrowd_killed_mid_transfer_and_restarted() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let key = d.client_key.clone();
    kill_and_restart(Server::burrowd(d), &key, "rc-burrowd");
}

#[test]
fn sshd_killed_mid_transfer_and_restarted() {
    let Some(d) = start_sshd() else {
        return;
    };
    let key = d.client_key.clone();
    kill_and_restart(Server::sshd(d), &key, "rc-sshd");
}

/// Kills the server, lets `change` alter its files, restarts it: the client must stop
/// reconnecting with 255 and `message` on stderr.
fn stops_after(
    mut server: Server,
    key: &Path,
    change: impl FnOnce(&Server),
    message: &str,
    tag: &str,
) {
    let dir = TempDir::new(tag);
    let lport = free_port();
    let lspec = format!("127.0.0.1:{lport}:127.0.0.1:{}", echo_server());
    let mut burrow = client(server.port, key, &dir, &["-L", &lspec]);
    let path = dir.join("events.jsonl");
    wait_events(&path, "forward_ready", 1, 20);
    server.kill();
    change(&server);
    server.restart();
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(30)),
        Some(255),
        "{}",
        burrow.log()
    );
    burrow.expect_log(message, Duration::from_secs(1));
    let log = burrow.log();
    assert!(log.contains("not reconnecting"), "{log}");
    let last = events(&path).pop().unwrap();
    assert_eq!(last["event"], "disconnected", "{last}");
    // The listener is gone with the client.
    assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).is_err());
}

/// burrowd, or sshd (`sshd: true`), as a restartable server, and its client key.
fn server(sshd: bool) -> Option<(Server, std::path::PathBuf)> {
    if sshd {
        let d = start_sshd()?;
        let key = d.client_key.clone();
        Some((Server::sshd(d), key))
    } else {
        let d = start_burrowd(&[], None)?;
        let key = d.client_key.clone();
        Some((Server::burrowd(d), key))
    }
}

/// A new ed25519 host key in the server's host key file.
fn new_host_key(server: &Server) {
    std::fs::remove_file(&server.host_key).ok();
    std::fs::remove_file(burrow_testkit::keys::pub_path(&server.host_key)).ok();
    keygen(&server.host_key);
}

/// Another client key authorized in `dir/authorized_keys` (both servers read that file).
fn other_authorized_key(server: &Server) {
    let dir = &server.dir;
    keygen(&dir.join("other"));
    std::fs::copy(dir.join("other.pub"), dir.join("authorized_keys")).unwrap();
}

#[test]
fn a_changed_host_key_stops_the_loop() {
    for sshd in [false, true] {
        let Some((server, key)) = server(sshd) else {
            return;
        };
        let message = "HOST IDENTIFICATION HAS CHANGED";
        stops_after(server, &key, new_host_key, message, "rc-hostkey");
    }
}

#[test]
fn a_wrong_key_stops_the_loop() {
    for sshd in [false, true] {
        let Some((server, key)) = server(sshd) else {
            return;
        };
        let message = "Permission denied";
        stops_after(server, &key, other_authorized_key, message, "rc-wrongkey");
    }
}

#[test]
fn an_optional_remote_forward_becomes_ready_once_its_port_frees() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("rc-optional");
    let echo = echo_server();
    // A stale connection holds the remote port: another client's -R on it.
    let port = free_port();
    let holder_dir = TempDir::new("rc-holder");
    let mut a = client_opts(&holder_dir, &d.client_key, d.port);
    a.extend(["-N", "-R"].map(s));
    a.push(format!("{port}:127.0.0.1:{echo}"));
    a.push(s("127.0.0.1"));
    let mut holder = spawn(BURROW, &a, &holder_dir, "holder.log");
    assert!(wait_port(port, 20), "{}", holder.log());
    let rspec = format!("?{port}:127.0.0.1:{echo}");
    let lport = free_port();
    let lspec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let extra = ["-o", "ExitOnForwardFailure=yes", "-R", &rspec, "-L", &lspec];
    let mut burrow = client(d.port, &d.client_key, &dir, &extra);
    let path = dir.join("events.jsonl");
    let failed = wait_events(&path, "forward_failed", 1, 20);
    assert_eq!(failed[0]["spec"], format!("-R {port}:127.0.0.1:{echo}"));
    // Optional: not fatal under ExitOnForwardFailure; the -L is up meanwhile.
    assert!(wait_port(lport, 20), "{}", burrow.log());
    echo_through(lport, &pattern(10_000));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        burrow.child.try_wait().unwrap().is_none(),
        "{}",
        burrow.log()
    );
    holder.child.kill().unwrap();
    holder.child.wait().unwrap();
    assert_eq!(remote_port(&path, 0), port);
    echo_through(port, &pattern(20_000));
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        burrow.log()
    );
}

/// SIGSTOP or SIGCONT a process and all its descendants.
fn signal_tree(server: &Server, sig: &str) {
    let pid = server.proc.as_ref().unwrap().child.id();
    for p in burrow_testkit::proc::descendants(pid)
        .into_iter()
        .chain([pid])
    {
        burrow_testkit::proc::signal_pid(p, sig);
    }
}

#[test]
fn unanswered_keepalives_reconnect() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let key = d.client_key.clone();
    let server = Server::burrowd(d);
    let dir = TempDir::new("rc-keepalive");
    let echo = echo_server();
    let lport = free_port();
    let lspec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let extra = [
        "-o",
        "ServerAliveInterval=1",
        "-o",
        "ServerAliveCountMax=2",
        "-L",
        &lspec,
    ];
    let mut burrow = client(server.port, &key, &dir, &extra);
    let path = dir.join("events.jsonl");
    wait_events(&path, "forward_ready", 1, 20);
    // A frozen server: the TCP connection stays up, the keepalives go unanswered.
    signal_tree(&server, "STOP");
    burrow.expect_log(
        "Timeout, server 127.0.0.1 not responding.",
        Duration::from_secs(20),
    );
    wait_events(&path, "reconnecting", 1, 10);
    signal_tree(&server, "CONT");
    wait_events(&path, "connected", 2, 30);
    echo_through(lport, &pattern(20_000));
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        burrow.log()
    );
}

#[test]
fn at_most_64_connections_wait_per_listener() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let key = d.client_key.clone();
    let mut server = Server::burrowd(d);
    let dir = TempDir::new("rc-waiting");
    let echo = echo_server();
    let lport = free_port();
    let lspec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let mut burrow = client(server.port, &key, &dir, &["-L", &lspec]);
    let path = dir.join("events.jsonl");
    wait_events(&path, "forward_ready", 1, 20);
    server.kill();
    wait_events(&path, "disconnected", 1, 20);
    let mut held: Vec<TcpStream> = (0..64)
        .map(|_| TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // The 65th is accepted (the listener is bound) and closed at once.
    let mut extra = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 1];
    let closed = match extra.read(&mut buf) {
        Ok(n) => n == 0,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    assert!(closed, "the 65th waiting connection was not closed");
    server.restart();
    for (i, s) in held.iter_mut().enumerate() {
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let data = [u8::try_from(i).unwrap(); 100];
        s.write_all(&data).unwrap();
        let mut back = [0u8; 100];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, data, "held connection {i}");
    }
    drop(held);
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        burrow.log()
    );
}

#[test]
fn reconnect_attempts_give_up_and_sigterm_ends_an_outage() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let key = d.client_key.clone();
    let mut server = Server::burrowd(d);
    let lspec = format!("127.0.0.1:{}:127.0.0.1:{}", free_port(), echo_server());
    // ReconnectAttempts=2: two tries, then 255.
    let dir = TempDir::new("rc-attempts");
    let extra = ["-o", "ReconnectAttempts=2", "-L", &lspec];
    let mut limited = client(server.port, &key, &dir, &extra);
    let path = dir.join("events.jsonl");
    wait_events(&path, "forward_ready", 1, 20);
    // A second client, for SIGTERM in the middle of the outage.
    let dir2 = TempDir::new("rc-sigterm");
    let lspec2 = format!("127.0.0.1:{}:127.0.0.1:{}", free_port(), echo_server());
    let mut patient = client(server.port, &key, &dir2, &["-L", &lspec2]);
    let path2 = dir2.join("events.jsonl");
    wait_events(&path2, "forward_ready", 1, 20);
    server.kill();
    assert_eq!(
        limited.wait_exit(Duration::from_secs(20)),
        Some(255),
        "{}",
        limited.log()
    );
    limited.expect_log(
        "giving up on 127.0.0.1 after 2 reconnect attempts",
        Duration::from_secs(1),
    );
    let tries = wait_events(&path, "reconnecting", 2, 1);
    let attempts: Vec<_> = tries.iter().map(|e| e["attempt"].as_u64()).collect();
    assert_eq!(attempts, [Some(1), Some(2)]);
    wait_events(&path2, "reconnecting", 1, 10);
    patient.signal("TERM");
    assert_eq!(
        patient.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        patient.log()
    );
    let last = events(&path2).pop().unwrap();
    assert_eq!(last["event"], "disconnected");
    assert_eq!(last["reason"], "received SIGTERM");
}

#[test]
fn an_optional_local_forward_binds_once_its_port_frees() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("rc-optional-l");
    let echo = echo_server();
    let busy = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = busy.local_addr().unwrap().port();
    let lspec = format!("?127.0.0.1:{port}:127.0.0.1:{echo}");
    // Without Reconnect: optional forwards alone bring the background retries.
    let mut a = client_opts(&dir, &d.client_key, d.port);
    a.extend(
        [
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-L",
            &lspec,
            "--events",
        ]
        .map(s),
    );
    a.push(dir.s("events.jsonl"));
    a.push(s("127.0.0.1"));
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    let path = dir.join("events.jsonl");
    let failed = wait_events(&path, "forward_failed", 1, 20);
    assert_eq!(
        failed[0]["spec"],
        format!("-L 127.0.0.1:{port}:127.0.0.1:{echo}")
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        burrow.child.try_wait().unwrap().is_none(),
        "{}",
        burrow.log()
    );
    drop(busy);
    let ready = wait_events(&path, "forward_ready", 1, 20);
    assert_eq!(ready[0]["allocated_port"], port);
    echo_through(port, &pattern(20_000));
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        burrow.log()
    );
}

#[test]
fn a_passphrase_is_asked_once_not_on_each_reconnect() {
    let Some(script) = require_binary("script") else {
        return;
    };
    let dir = TempDir::new("rc-passphrase");
    let key = dir.join("k");
    let st = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "secret", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(st.success());
    let Some(d) = start_burrowd(&[], Some(&key)) else {
        return;
    };
    let mut server = Server::burrowd(d);
    let lport = free_port();
    let events_path = dir.join("events.jsonl");
    let cmd = format!(
        "{BURROW} -F /dev/null -i {} -p {} -o UserKnownHostsFile={} \
         -o StrictHostKeyChecking=accept-new -o IdentitiesOnly=yes -o Reconnect=yes \
         -o ReconnectMaxDelay=2 -N -L 127.0.0.1:{lport}:127.0.0.1:{} --events {} 127.0.0.1",
        key.display(),
        server.port,
        dir.s("known_hosts"),
        echo_server(),
        events_path.display(),
    );
    // `script` gives burrow a terminal for the prompt; its stdin stays open meanwhile.
    let out = std::fs::File::create(dir.join("tty.log")).unwrap();
    let child = std::process::Command::new(script)
        .args(["-qfec", &cmd, "/dev/null"])
        .env("HOME", &dir.0)
        .env_remove("SSH_AUTH_SOCK")
        .stdin(std::process::Stdio::piped())
        .stdout(out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut child = TreeGuard(child);
    let tty_log = || std::fs::read_to_string(dir.join("tty.log")).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !tty_log().contains("Enter passphrase") {
        assert!(Instant::now() < deadline, "no prompt: {}", tty_log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut stdin = child.0.stdin.take().unwrap();
    stdin.write_all(b"secret\n").unwrap();
    wait_events(&events_path, "forward_ready", 1, 20);
    server.kill();
    server.restart();
    wait_events(&events_path, "connected", 2, 30);
    echo_through(lport, &pattern(10_000));
    assert_eq!(
        tty_log().matches("Enter passphrase").count(),
        1,
        "{}",
        tty_log()
    );
    drop(stdin);
}

/// A child killed with everything it started when dropped (also when a test fails).
struct TreeGuard(std::process::Child);

impl Drop for TreeGuard {
    fn drop(&mut self) {
        for pid in burrow_testkit::proc::descendants(self.0.id()) {
            burrow_testkit::proc::signal_pid(pid, "KILL");
        }
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// `burrow -S ctl <args> 127.0.0.1`: its exit status, stdout and stderr.
fn mux(dir: &TempDir, ctl: &Path, args: &[&str], input: &[u8]) -> (Option<i32>, Vec<u8>, String) {
    let mut child = std::process::Command::new(BURROW)
        .args(["-F", "/dev/null", "-o", "BatchMode=yes", "-S"])
        .arg(ctl)
        .args(args)
        .arg("127.0.0.1")
        .env("HOME", &dir.0)
        .env_remove("SSH_AUTH_SOCK")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), out.stdout, err)
}

/// A burrowd, and a Reconnect client of it that is a control master at `<dir>/ctl`
/// answering `-O check`.
struct MasterScene {
    server: Server,
    dir: TempDir,
    ctl: PathBuf,
    events: PathBuf,
    burrow: Proc,
}

fn master_scene(tag: &str) -> Option<MasterScene> {
    let d = start_burrowd(&[], None)?;
    let key = d.client_key.clone();
    let server = Server::burrowd(d);
    let dir = TempDir::new(tag);
    let ctl = dir.join("ctl");
    let burrow = client(server.port, &key, &dir, &["-M", "-S", &dir.s("ctl")]);
    let events = dir.join("events.jsonl");
    wait_events(&events, "connected", 1, 20);
    let deadline = Instant::now() + Duration::from_secs(20);
    while mux(&dir, &ctl, &["-O", "check"], b"").0 != Some(0) {
        assert!(Instant::now() < deadline, "{}", burrow.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(MasterScene {
        server,
        dir,
        ctl,
        events,
        burrow,
    })
}

#[test]
fn a_control_master_serves_across_a_reconnect() {
    let Some(mut m) = master_scene("rc-master") else {
        return;
    };
    let (dir, ctl, path) = (&m.dir, &m.ctl, &m.events);
    let echo = echo_server();
    m.server.kill();
    m.server.restart();
    wait_events(path, "connected", 2, 30);
    // After the reconnect: a new -L through the master, and -W on the new connection.
    let lport = free_port();
    let spec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    let (code, _, err) = mux(dir, ctl, &["-O", "forward", "-L", &spec], b"");
    assert_eq!(code, Some(0), "{err}");
    echo_through(lport, &pattern(30_000));
    let data = pattern(20_000);
    let target = format!("127.0.0.1:{echo}");
    let (code, out, err) = mux(dir, ctl, &["-W", &target], &data);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out == data,
        "-W through the master: {} bytes back",
        out.len()
    );
    let (code, _, err) = mux(dir, ctl, &["-O", "exit"], b"");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        m.burrow.wait_exit(Duration::from_secs(10)),
        Some(255),
        "{}",
        m.burrow.log()
    );
    let last = events(path).pop().unwrap();
    assert_eq!(last["reason"], "control master: exit requested (-O exit)");
}

#[test]
fn a_remote_forward_added_through_the_master_is_asked_for_again_after_a_reconnect() {
    let Some(mut m) = master_scene("rc-master-r") else {
        return;
    };
    let (dir, ctl, path) = (&m.dir, &m.ctl, &m.events);
    let echo = echo_server();
    let target = format!("127.0.0.1:{echo}");
    let spec = format!("0:{target}");
    let (code, out, err) = mux(dir, ctl, &["-O", "forward", "-R", &spec], b"");
    assert_eq!(code, Some(0), "{err}");
    let r1: u16 = String::from_utf8_lossy(&out).trim().parse().unwrap();
    echo_through(r1, &pattern(20_000));
    m.server.kill();
    m.server.restart();
    wait_events(path, "connected", 2, 30);
    // Asked for again on the new connection: a new port, reported as the command line's.
    let r2 = remote_port(path, 0);
    echo_through(r2, &pattern(30_000));
    let line = format!("Allocated port {r2} for remote forward to {target}");
    m.burrow.expect_log(&line, Duration::from_secs(10));
    // Still the master's: -O cancel finds it, and the server stops listening.
    let (code, _, err) = mux(dir, ctl, &["-O", "cancel", "-R", &spec], b"");
    assert_eq!(code, Some(0), "{err}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, r2)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "port {r2} still listens after -O cancel"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    m.burrow.signal("TERM");
    assert_eq!(
        m.burrow.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        m.burrow.log()
    );
}

#[test]
fn a_socks_request_made_during_the_outage_is_served_after_the_restart() {
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let key = d.client_key.clone();
    let mut server = Server::burrowd(d);
    let dir = TempDir::new("rc-socks");
    let echo = echo_server();
    let dport = free_port();
    let dspec = format!("127.0.0.1:{dport}");
    let mut burrow = client(server.port, &key, &dir, &["-D", &dspec]);
    let path = dir.join("events.jsonl");
    wait_events(&path, "forward_ready", 1, 20);
    server.kill();
    wait_events(&path, "reconnecting", 1, 20);
    // The SOCKS5 exchange is answered at once; the CONNECT waits for the connection.
    let waiting = std::thread::spawn(move || {
        let s = burrow_testkit::socks::connect(dport, burrow_testkit::socks::Socks::V5, echo);
        check_echo(s.unwrap(), &pattern(25_000));
    });
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        !waiting.is_finished(),
        "the CONNECT was answered during the outage"
    );
    server.restart();
    waiting.join().unwrap();
    burrow.signal("TERM");
    assert_eq!(
        burrow.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        burrow.log()
    );
}
