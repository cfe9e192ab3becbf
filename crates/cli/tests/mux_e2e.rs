//! Connection sharing end to end against a real sshd: every `-O` command, `-W` through a
//! master and the failure texts, with burrow and OpenSSH's `ssh` each as the master and as
//! the mux client. The same steps must give the same exit statuses, texts and effects on
//! all four pairs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    Burrow,
    Ssh,
}

impl Peer {
    fn program(self) -> String {
        match self {
            Peer::Burrow => BURROW.to_owned(),
            Peer::Ssh => "ssh".to_owned(),
        }
    }
}

/// What one mux client run showed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Trimmed lines, `\r` dropped, and ssh's `function: ` prefixes of its error lines cut
/// (burrow prints the same texts without C function names).
fn tidy(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .lines()
        .map(|l| {
            let l = l.trim_end_matches('\r').trim();
            match l.split_once(": ") {
                Some((f, rest)) if f.starts_with("mux") && !f.contains(' ') => rest.to_owned(),
                _ => l.to_owned(),
            }
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `peer -F /dev/null -S ctl <args> 127.0.0.1` with `input` on stdin.
fn mux(peer: Peer, dir: &TempDir, ctl: &Path, args: &[&str], input: &[u8]) -> Seen {
    let mut child = Command::new(peer.program())
        .args(["-F", "/dev/null", "-o", "BatchMode=yes", "-S"])
        .arg(ctl)
        .args(args)
        .arg("127.0.0.1")
        .env("HOME", &dir.0)
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&data).ok();
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "{peer:?} {args:?} hung");
        std::thread::sleep(Duration::from_millis(20));
    }
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    Seen {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: tidy(&out.stderr),
    }
}

/// A master of kind `peer` with `-N`, its control socket at `ctl`.
fn start_master(peer: Peer, sshd: &Sshd, dir: &TempDir, ctl: &Path) -> Proc {
    let mut args = client_opts(dir, &sshd.client_key, sshd.port);
    args.extend([
        "-M".into(),
        "-S".into(),
        ctl.display().to_string(),
        "-N".into(),
    ]);
    args.push("127.0.0.1".into());
    let master = spawn(&peer.program(), &args, dir, &format!("{peer:?}-master.log"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ctl.exists() {
        assert!(
            Instant::now() < deadline,
            "{peer:?} master did not listen: {}",
            master.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    master
}

fn refused(port: u16) -> bool {
    // A -L listener closes at once; a cancelled -R may take a round trip to the server.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_listen_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    l.local_addr().unwrap().port()
}

/// Everything one (master, client) pair showed, with the numbers that differ between runs
/// (pids, ports) replaced by placeholders.
fn scenario(master_kind: Peer, client: Peer, sshd: &Sshd) -> Vec<(String, Seen)> {
    let dir = TempDir::new("mux");
    let ctl = dir.join("ctl");
    let echo = echo_server();
    let mut master = start_master(master_kind, sshd, &dir, &ctl);
    let pid = master.child.id().to_string();
    let mut seen = Vec::new();
    let ctl_text = ctl.display().to_string();
    let mut note = |step: &str, mut s: Seen| {
        s.stderr = s.stderr.replace(&pid, "PID").replace(&ctl_text, "CTL");
        seen.push((step.to_owned(), s));
    };

    note("check", mux(client, &dir, &ctl, &["-O", "check"], b""));

    let lport = free_listen_port();
    let l_spec = format!("{lport}:127.0.0.1:{echo}");
    note(
        "forward -L",
        mux(client, &dir, &ctl, &["-O", "forward", "-L", &l_spec], b""),
    );
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(100_000),
    );

    let r_spec = format!("0:127.0.0.1:{echo}");
    let mut r = mux(client, &dir, &ctl, &["-O", "forward", "-R", &r_spec], b"");
    let rport: u16 = r.stdout.trim().parse().unwrap_or_else(|_| {
        panic!("{master_kind:?}/{client:?}: no allocated port on stdout: {r:?}")
    });
    r.stdout = "PORT\n".to_owned();
    note("forward -R 0", r);
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, rport)).unwrap(),
        &pattern(50_000),
    );

    let dport = free_listen_port();
    let d_spec = format!("127.0.0.1:{dport}");
    let d = mux(client, &dir, &ctl, &["-O", "forward", "-D", &d_spec], b"");
    let socks = burrow_testkit::socks::connect(dport, burrow_testkit::socks::Socks::V5, echo)
        .map_err(|e| format!("{master_kind:?}/{client:?}: {e}: {d:?}"));
    note("forward -D", d);
    check_echo(socks.unwrap(), &pattern(30_000));
    note(
        "cancel -D",
        mux(client, &dir, &ctl, &["-O", "cancel", "-D", &d_spec], b""),
    );
    assert!(refused(dport), "{master_kind:?}/{client:?}: -D still open");

    // A port something else holds: refused by the master.
    let busy = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let busy_spec = format!(
        "127.0.0.1:{}:127.0.0.1:{echo}",
        busy.local_addr().unwrap().port()
    );
    note(
        "forward -L busy",
        mux(
            client,
            &dir,
            &ctl,
            &["-O", "forward", "-L", &busy_spec],
            b"",
        ),
    );

    // A session (ssh with a command): a burrow master refuses it and ssh connects itself.
    if client == Peer::Ssh {
        let mut args = client_opts(&dir, &sshd.client_key, sshd.port);
        args.extend(["-S".into(), ctl.display().to_string()]);
        args.extend(["127.0.0.1".into(), "echo".into(), "from a session".into()]);
        let out = run("ssh", &args, &dir);
        let mut s = Seen {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::new(),
        };
        // ssh logs the refusal; only the session's own result is compared.
        s.stdout = s.stdout.replace('\r', "");
        note("ssh session", s);
    }

    let w_target = format!("127.0.0.1:{echo}");
    let w = mux(
        client,
        &dir,
        &ctl,
        &["-W", &w_target],
        b"through the master\n",
    );
    note("-W", w);

    note(
        "cancel -L",
        mux(client, &dir, &ctl, &["-O", "cancel", "-L", &l_spec], b""),
    );
    assert!(refused(lport), "{master_kind:?}/{client:?}: -L still open");
    note(
        "cancel -R 0",
        mux(client, &dir, &ctl, &["-O", "cancel", "-R", &r_spec], b""),
    );
    assert!(refused(rport), "{master_kind:?}/{client:?}: -R still open");
    note(
        "cancel unknown",
        mux(client, &dir, &ctl, &["-O", "cancel", "-L", &l_spec], b""),
    );

    note("exit", mux(client, &dir, &ctl, &["-O", "exit"], b""));
    let code = master.wait_exit(Duration::from_secs(10));
    let stopped = Seen {
        code,
        stdout: String::new(),
        stderr: String::new(),
    };
    note("master after exit", stopped);
    note(
        "check after exit",
        mux(client, &dir, &ctl, &["-O", "check"], b""),
    );

    // stop: the socket goes; a master without a session (-N) then ends once its open
    // connections have (ssh's client_stop_mux), so one held open across the stop still
    // works.
    let mut master = start_master(master_kind, sshd, &dir, &ctl);
    let lport = free_listen_port();
    let l_spec = format!("{lport}:127.0.0.1:{echo}");
    mux(client, &dir, &ctl, &["-O", "forward", "-L", &l_spec], b"");
    let mut held = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
    held.write_all(b"before").unwrap();
    note("stop", mux(client, &dir, &ctl, &["-O", "stop"], b""));
    assert!(
        !ctl.exists(),
        "{master_kind:?}/{client:?}: socket still there"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        master.child.try_wait().unwrap().is_none(),
        "{master_kind:?}/{client:?}: master exited with a connection open: {}",
        master.log()
    );
    held.write_all(b" and after").unwrap();
    held.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = String::new();
    held.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    held.read_to_string(&mut got).unwrap();
    assert_eq!(got, "before and after");
    drop(held);
    let code = master.wait_exit(Duration::from_secs(15));
    let stopped = Seen {
        code,
        stdout: String::new(),
        stderr: String::new(),
    };
    note("master after stop", stopped);
    seen
}

#[test]
fn every_command_matches_between_burrow_and_ssh_masters_and_clients() {
    let Some(sshd) = start_sshd() else {
        return;
    };
    let reference = scenario(Peer::Ssh, Peer::Ssh, &sshd);
    // Sanity of the reference itself.
    let step = |all: &[(String, Seen)], name: &str| {
        all.iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
            .unwrap_or_else(|| panic!("no step {name}"))
            .clone()
    };
    assert_eq!(step(&reference, "check").stderr, "Master running (pid=PID)");
    assert_eq!(step(&reference, "exit").stderr, "Exit request sent.");
    assert_eq!(step(&reference, "-W").stdout, "through the master\n");
    assert_eq!(step(&reference, "ssh session").stdout, "from a session\n");
    for (master, client) in [
        (Peer::Burrow, Peer::Burrow),
        (Peer::Burrow, Peer::Ssh),
        (Peer::Ssh, Peer::Burrow),
    ] {
        let got = scenario(master, client, &sshd);
        let reference: Vec<_> = reference
            .iter()
            .filter(|(n, _)| client == Peer::Ssh || n != "ssh session")
            .collect();
        assert_eq!(step(&got, "check").stderr, "Master running (pid=PID)");
        for ((name, want), (_, have)) in reference.iter().zip(&got) {
            assert_eq!(
                have, want,
                "master {master:?}, client {client:?}, step {name}: differs from ssh/ssh"
            );
        }
        assert_eq!(got.len(), reference.len());
    }
}

#[test]
fn missing_socket_and_missing_control_path_fail_as_ssh() {
    let dir = TempDir::new("mux-none");
    let ctl = dir.join("nothing-here");
    for peer in [Peer::Ssh, Peer::Burrow] {
        let s = mux(peer, &dir, &ctl, &["-O", "check"], b"");
        assert_eq!(s.code, Some(255), "{peer:?}");
        assert_eq!(
            s.stderr,
            format!(
                "Control socket connect({}): No such file or directory",
                ctl.display()
            ),
            "{peer:?}"
        );
    }
    let out = run(
        BURROW,
        &[
            "-F".into(),
            "/dev/null".into(),
            "-O".into(),
            "check".into(),
            "127.0.0.1".into(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(255));
    assert_eq!(
        tidy(&out.stderr),
        "No ControlPath specified for \"-O\" command"
    );
}

#[test]
fn stats_reports_the_bytes_of_a_forward_and_ssh_masters_say_they_cannot() {
    let Some(sshd) = start_sshd() else {
        return;
    };
    let dir = TempDir::new("mux-stats");
    let ctl = dir.join("ctl");
    let echo = echo_server();
    let lport = free_listen_port();
    let mut args = client_opts(&dir, &sshd.client_key, sshd.port);
    let spec = format!("127.0.0.1:{lport}:127.0.0.1:{echo}");
    args.extend(["-L".into(), spec.clone()]);
    args.extend(["-M".into(), "-S".into(), dir.s("ctl"), "-N".into()]);
    args.push("127.0.0.1".into());
    let _master = spawn(BURROW, &args, &dir, "master.log");
    assert!(wait_port(lport, 20));
    while !ctl.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
    // wait_port's probe is one connection; then 12345 bytes each way.
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(12_345),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let fwd = loop {
        let s = mux(Peer::Burrow, &dir, &ctl, &["-O", "stats"], b"");
        assert_eq!(s.code, Some(0), "{s:?}");
        let v: serde_json::Value = serde_json::from_str(s.stdout.trim()).unwrap();
        let f = v["forwards"][0].clone();
        assert_eq!(f["spec"], format!("-L {spec}"));
        if f["active"] == 0 && f["bytes_out"] == 12_345 || Instant::now() > deadline {
            break f;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(fwd["bytes_out"], 12_345, "{fwd}");
    assert_eq!(fwd["bytes_in"], 12_345, "{fwd}");
    assert_eq!(fwd["connections"], 2, "{fwd}");
    assert_eq!(fwd["port"], lport, "{fwd}");
    // The metrics counters come along: two channel opens timed, a time blocked (maybe 0).
    let timed: u64 = fwd["connect"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(timed, 2, "{fwd}");
    assert!(fwd["window_blocked_micros"].is_u64(), "{fwd}");

    // Against ssh's master, -O stats is refused (it announces no stats extension).
    let ssh_ctl = dir.join("ssh-ctl");
    let _ssh_master = start_master(Peer::Ssh, &sshd, &dir, &ssh_ctl);
    let s = mux(Peer::Burrow, &dir, &ssh_ctl, &["-O", "stats"], b"");
    assert_eq!(s.code, Some(255));
    assert!(s.stderr.contains("not a burrow master"), "{s:?}");
}

#[test]
fn a_hostile_mux_client_gets_no_panic_and_the_master_keeps_serving() {
    let Some(sshd) = start_sshd() else {
        return;
    };
    let dir = TempDir::new("mux-hostile");
    let ctl = dir.join("ctl");
    let master = start_master(Peer::Burrow, &sshd, &dir, &ctl);
    let garbage: [&[u8]; 5] = [
        // A length far past the limit.
        &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1],
        // A request before the hello.
        &[0, 0, 0, 8, 0x10, 0, 0, 4, 0, 0, 0, 0],
        // A hello, then an open-forward whose string runs past the packet.
        &[
            0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 17, 0x10, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 1,
            0xff, 0xff, 0xff, 0, b'x',
        ],
        // A hello, then a stdio forward without descriptors, then EOF.
        &[
            0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 23, 0x10, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0,
            0, 0, 0, 1, b'h', 0, 0, 0, 80,
        ],
        // Short and truncated.
        &[0, 0],
    ];
    for g in garbage {
        let mut s = std::os::unix::net::UnixStream::connect(&ctl).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(g).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut sink = Vec::new();
        // The master answers (a hello, maybe a failure) and closes.
        s.read_to_end(&mut sink).unwrap();
    }
    let s = mux(Peer::Burrow, &dir, &ctl, &["-O", "check"], b"");
    assert_eq!(s.code, Some(0), "{s:?}\n{}", master.log());
    assert!(!master.log().contains("panicked"), "{}", master.log());
}

#[test]
fn dash_g_prints_the_control_keywords_as_ssh() {
    let dir = TempDir::new("mux-g");
    let lines = |program: &str, extra: &[&str]| {
        let mut args: Vec<String> = ["-G", "-F", "/dev/null", "-p", "2200", "-l", "bob"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args.push("web.example".to_owned());
        let out = run(program, &args, &dir);
        assert!(out.status.success(), "{program} {args:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("control"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    for extra in [
        &[][..],
        &["-M", "-S", "/tmp/mux-%C"][..],
        &[
            "-o",
            "ControlMaster=autoask",
            "-o",
            "ControlPath=/tmp/cm-%r@%h:%p-%n",
            "-o",
            "ControlPersist=10m",
        ][..],
        &[
            "-o",
            "ControlMaster=no",
            "-o",
            "ControlPersist=yes",
            "-S",
            "none",
        ][..],
    ] {
        let Some(ssh) = require_binary("ssh") else {
            return;
        };
        let want = lines(ssh.to_str().unwrap(), extra);
        assert!(!want.is_empty());
        assert_eq!(lines(BURROW, extra), want, "{extra:?}");
    }
}

#[test]
fn an_ask_master_refuses_changes_as_ssh_without_askpass() {
    let Some(sshd) = start_sshd() else {
        return;
    };
    let echo = echo_server();
    let mut seen = Vec::new();
    for master_kind in [Peer::Ssh, Peer::Burrow] {
        let dir = TempDir::new("mux-ask");
        let ctl = dir.join("ctl");
        let mut args = client_opts(&dir, &sshd.client_key, sshd.port);
        args.extend(["-MM".into(), "-S".into(), dir.s("ctl"), "-N".into()]);
        args.push("127.0.0.1".into());
        // No DISPLAY and no ssh-askpass: ssh's master cannot ask, so it refuses.
        let master = spawn(&master_kind.program(), &args, &dir, "master.log");
        while !ctl.exists() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let pid = master.child.id().to_string();
        let l_spec = format!("{}:127.0.0.1:{echo}", free_listen_port());
        let steps: [&[&str]; 4] = [
            &["-O", "check"],
            &["-O", "forward", "-L", &l_spec],
            &["-O", "stop"],
            &["-O", "exit"],
        ];
        let mut all = Vec::new();
        for step in steps {
            let mut s = mux(Peer::Burrow, &dir, &ctl, step, b"");
            s.stderr = s.stderr.replace(&pid, "PID");
            all.push(s);
        }
        assert!(ctl.exists(), "{master_kind:?}: the ask master stopped");
        seen.push(all);
    }
    assert_eq!(seen[0][0].stderr, "Master running (pid=PID)");
    assert_eq!(seen[0][3].code, Some(255));
    assert_eq!(
        seen[0][3].stderr,
        "Master refused termination request: Permission denied"
    );
    assert_eq!(seen[1], seen[0]);
}

#[test]
fn auto_master_persists_in_the_background_takes_forwards_and_exits_when_idle() {
    let Some(sshd) = start_sshd() else {
        return;
    };
    let dir = TempDir::new("mux-auto");
    let ctl = dir.join("ctl");
    let echo = echo_server();
    let auto = |extra: &[String]| {
        let mut args = client_opts(&dir, &sshd.client_key, sshd.port);
        args.extend(
            [
                "-o",
                "ControlMaster=auto",
                "-o",
                "ControlPersist=3",
                "-S",
                &dir.s("ctl"),
                "-N",
            ]
            .iter()
            .map(|s| (*s).to_owned()),
        );
        args.extend(extra.iter().cloned());
        args.push("127.0.0.1".into());
        // Output to a file: the background master keeps the parent's stderr open.
        let mut p = spawn(BURROW, &args, &dir, "auto.log");
        (p.wait_exit(Duration::from_secs(30)), p.log())
    };
    // The first becomes the master and goes to the background once it listens.
    let first = auto(&[]);
    assert_eq!(first.0, Some(0), "{first:?}");
    assert!(ctl.exists());
    let check = mux(Peer::Ssh, &dir, &ctl, &["-O", "check"], b"");
    assert_eq!(check.code, Some(0), "{check:?}");
    // The second finds it and hands it its -L (burrow shares no sessions: it is done).
    let lport = free_listen_port();
    let second = auto(&["-L".into(), format!("{lport}:127.0.0.1:{echo}")]);
    assert_eq!(second.0, Some(0), "{second:?}");
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(10_000),
    );
    // A connection held open keeps the master; once idle for 3 s it exits.
    let held = TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap();
    std::thread::sleep(Duration::from_secs(5));
    assert!(ctl.exists(), "exited with a connection open");
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(15);
    while ctl.exists() {
        assert!(Instant::now() < deadline, "the idle master did not exit");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(refused(lport));
}

#[test]
fn a_reconnecting_master_answers_the_same_commands() {
    let Some(sshd) = start_sshd() else {
        return;
    };
    let dir = TempDir::new("mux-reconnect");
    let ctl = dir.join("ctl");
    let echo = echo_server();
    let mut args = client_opts(&dir, &sshd.client_key, sshd.port);
    args.extend(
        [
            "-o",
            "Reconnect=yes",
            "-M",
            "-S",
            &dir.s("ctl"),
            "-N",
            "127.0.0.1",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    let mut master = spawn(BURROW, &args, &dir, "master.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ctl.exists() {
        assert!(Instant::now() < deadline, "{}", master.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let check = mux(Peer::Ssh, &dir, &ctl, &["-O", "check"], b"");
    assert_eq!(check.code, Some(0), "{check:?}");
    let lport = free_listen_port();
    let spec = format!("{lport}:127.0.0.1:{echo}");
    let fwd = mux(Peer::Ssh, &dir, &ctl, &["-O", "forward", "-L", &spec], b"");
    assert_eq!(fwd.code, Some(0), "{fwd:?}");
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(20_000),
    );
    let target = format!("127.0.0.1:{echo}");
    let w = mux(
        Peer::Burrow,
        &dir,
        &ctl,
        &["-W", &target],
        b"via the slot\n",
    );
    assert_eq!(w.stdout, "via the slot\n", "{w:?}");
    let exit = mux(Peer::Burrow, &dir, &ctl, &["-O", "exit"], b"");
    assert_eq!(exit.stderr, "Exit request sent.");
    assert_eq!(
        master.wait_exit(Duration::from_secs(10)),
        Some(255),
        "{}",
        master.log()
    );
    assert!(!ctl.exists());
}

#[test]
fn a_client_of_another_uid_is_refused_even_when_the_socket_mode_lets_it_connect() {
    let Some(setpriv) = require_binary("setpriv") else {
        return;
    };
    if !nix_is_root() {
        eprintln!("not root: cannot run a client as another user");
        return;
    }
    let Some(sshd) = start_sshd() else {
        return;
    };
    let dir = TempDir::new("mux-peercred");
    let ctl = dir.join("ctl");
    let master = start_master(Peer::Burrow, &sshd, &dir, &ctl);
    // Loosen the file mode so that only SO_PEERCRED stands in the way.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ctl, std::fs::Permissions::from_mode(0o666)).unwrap();
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", BURROW])
        .args(["-F", "/dev/null", "-S"])
        .arg(&ctl)
        .args(["-O", "check", "127.0.0.1"])
        .env("HOME", "/")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255), "{out:?}");
    assert!(
        tidy(&out.stderr).contains("master hello exchange failed"),
        "{out:?}"
    );
    assert!(
        master
            .expect_log(
                "refused a client running as uid 65534",
                Duration::from_secs(10)
            )
            .contains("ours is 0")
    );
    // The owner still gets in.
    let s = mux(Peer::Burrow, &dir, &ctl, &["-O", "check"], b"");
    assert_eq!(s.code, Some(0), "{s:?}");
}

fn nix_is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

#[test]
fn dash_w_with_control_persist_starts_a_background_master_and_goes_through_it() {
    let Some(sshd) = start_sshd() else {
        return;
    };
    let dir = TempDir::new("mux-persist-w");
    let ctl = dir.join("ctl");
    let echo = echo_server();
    let target = format!("127.0.0.1:{echo}");
    let mut opts = client_opts(&dir, &sshd.client_key, sshd.port);
    // mux() gives -F /dev/null itself.
    opts.drain(..2);
    opts.extend(
        ["-o", "ControlMaster=auto", "-o", "ControlPersist=2"]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    let args: Vec<&str> = opts.iter().map(String::as_str).collect();
    let mut first_args = args.clone();
    first_args.extend(["-W", &target]);
    // As a ProxyCommand would: the stream comes back, and the command ends although the
    // master stays (it no longer holds our stdout).
    let first = mux(Peer::Burrow, &dir, &ctl, &first_args, b"first\n");
    assert_eq!(first.stdout, "first\n", "{first:?}");
    assert_eq!(first.code, Some(0), "{first:?}");
    assert!(ctl.exists(), "no background master");
    let second = mux(Peer::Ssh, &dir, &ctl, &["-W", &target], b"second\n");
    assert_eq!(second.stdout, "second\n", "{second:?}");
    let deadline = Instant::now() + Duration::from_secs(15);
    while ctl.exists() {
        assert!(Instant::now() < deadline, "the idle master did not exit");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_forward_added_through_the_master_is_on_the_metrics_page() {
    let Some(sshd) = start_sshd() else {
        return;
    };
    let dir = TempDir::new("mux-metrics");
    let ctl = dir.join("ctl");
    let echo = echo_server();
    let mport = free_listen_port();
    let mut args = client_opts(&dir, &sshd.client_key, sshd.port);
    args.extend(["-o".into(), format!("MetricsListen=127.0.0.1:{mport}")]);
    args.extend(["-M".into(), "-S".into(), dir.s("ctl"), "-N".into()]);
    args.push("127.0.0.1".into());
    let _master = spawn(BURROW, &args, &dir, "master.log");
    while !ctl.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let lport = free_listen_port();
    let spec = format!("{lport}:127.0.0.1:{echo}");
    let s = mux(Peer::Ssh, &dir, &ctl, &["-O", "forward", "-L", &spec], b"");
    assert_eq!(s.code, Some(0), "{s:?}");
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(7_777),
    );
    let label = format!("forward=\"-L {spec}\"");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut c = TcpStream::connect((Ipv4Addr::LOCALHOST, mport)).unwrap();
        c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut page = String::new();
        c.read_to_string(&mut page).unwrap();
        let out = page.lines().find(|l| {
            l.starts_with("burrow_forward_bytes_total{")
                && l.contains(&label)
                && l.contains("direction=\"out\"")
        });
        if out.is_some_and(|l| l.ends_with(" 7777")) {
            break;
        }
        assert!(Instant::now() < deadline, "{out:?} in\n{page}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn control_persist_with_a_command_runs_it_in_the_foreground() {
    let Some(sshd) = start_sshd() else {
        return;
    };
    let dir = TempDir::new("mux-persist-cmd");
    let mut args = client_opts(&dir, &sshd.client_key, sshd.port);
    args.extend(
        [
            "-o",
            "ControlMaster=auto",
            "-o",
            "ControlPersist=yes",
            "-S",
            &dir.s("ctl"),
            "127.0.0.1",
            "echo",
            "from the command",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    let out = run(BURROW, &args, &dir);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from the command\n");
    assert!(!dir.join("ctl").exists(), "the master outlived its command");
}
