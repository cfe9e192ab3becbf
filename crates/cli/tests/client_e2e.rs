//! End to end: the built `burrow` against a real OpenSSH sshd (forwards, exec, messages and
//! exit statuses), and `burrow --demo`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use common::*;

/// The client options with StrictHostKeyChecking=yes instead of accept-new (the first
/// value wins, so it cannot be overridden by a later -o).
fn strict_opts(dir: &TempDir, key: &std::path::Path, port: u16) -> Vec<String> {
    client_opts(dir, key, port)
        .into_iter()
        .map(|a| {
            if a == "StrictHostKeyChecking=accept-new" {
                s("StrictHostKeyChecking=yes")
            } else {
                a
            }
        })
        .collect()
}

fn args(mut base: Vec<String>, extra: &[&str]) -> Vec<String> {
    base.extend(extra.iter().map(|e| s(e)));
    base
}

#[test]
fn local_forward_through_sshd_carries_data() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-l");
    let echo = echo_server();
    let lport = free_port();
    let spec = format!("{lport}:127.0.0.1:{echo}");
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &["-N", "-L", &spec, "root@127.0.0.1"],
    );
    let mut burrow = spawn(BURROW, &a, &dir, "burrow.log");
    assert!(
        wait_port(lport, 20),
        "no -L listener; stderr:\n{}",
        burrow.log()
    );
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(300_000),
    );
    // SIGINT drains the forwards and exits 0 (ssh exits 255; README "Stopping").
    burrow.signal("INT");
    assert_eq!(burrow.wait_exit(Duration::from_secs(10)), Some(0));
    let known = std::fs::read_to_string(dir.join("known_hosts")).unwrap();
    assert!(known.contains(sshd.host_pub.split_whitespace().nth(1).unwrap()));
}

#[test]
fn remote_forward_port_0_prints_the_allocated_port() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-r");
    let echo = echo_server();
    let spec = format!("0:127.0.0.1:{echo}");
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &["-N", "-R", &spec, "root@127.0.0.1"],
    );
    let burrow = spawn(BURROW, &a, &dir, "burrow.log");
    let line = burrow.expect_log("Allocated port", Duration::from_secs(20));
    let want_tail = format!(" for remote forward to 127.0.0.1:{echo}");
    assert!(
        line.starts_with("Allocated port ") && line.ends_with(&want_tail),
        "{line}"
    );
    let port: u16 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap(),
        &pattern(100_000),
    );
}

#[test]
fn log_level_error_hides_the_allocated_port_line() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-r-quiet");
    let echo = echo_server();
    let lport = free_port();
    let r = format!("0:127.0.0.1:{echo}");
    let l = format!("{lport}:127.0.0.1:{echo}");
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &[
            "-N",
            "-o",
            "LogLevel=ERROR",
            "-R",
            &r,
            "-L",
            &l,
            "root@127.0.0.1",
        ],
    );
    let burrow = spawn(BURROW, &a, &dir, "burrow.log");
    assert!(wait_port(lport, 20));
    assert!(!burrow.log().contains("Allocated port"), "{}", burrow.log());
}

#[test]
fn dynamic_forward_speaks_socks5() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-d");
    let echo = echo_server();
    let dport = free_port();
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &["-N", "-D", &dport.to_string(), "root@127.0.0.1"],
    );
    let burrow = spawn(BURROW, &a, &dir, "burrow.log");
    assert!(wait_port(dport, 20), "{}", burrow.log());
    let mut st = TcpStream::connect((Ipv4Addr::LOCALHOST, dport)).unwrap();
    use std::io::{Read, Write};
    st.write_all(&[5, 1, 0]).unwrap();
    let mut r = [0u8; 2];
    st.read_exact(&mut r).unwrap();
    assert_eq!(r, [5, 0]);
    let [hi, lo] = echo.to_be_bytes();
    st.write_all(&[5, 1, 0, 1, 127, 0, 0, 1, hi, lo]).unwrap();
    let mut r = [0u8; 10];
    st.read_exact(&mut r).unwrap();
    assert_eq!(r[1], 0, "SOCKS reply {r:?}");
    check_echo(st, &pattern(50_000));
}

#[test]
fn remote_command_output_and_exit_status() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-exec");
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &[
            "-n",
            "root@127.0.0.1",
            "echo",
            "out;",
            "echo",
            "err",
            ">&2;",
            "exit",
            "3",
        ],
    );
    let out = run(BURROW, &a, &dir);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("err"));
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn wrong_key_is_permission_denied_with_exit_255() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-deny");
    keygen(&dir.join("other"));
    let a = args(
        client_opts(&dir, &dir.join("other"), sshd.port),
        &["-N", "root@127.0.0.1"],
    );
    let out = run(BURROW, &a, &dir);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("root@127.0.0.1: Permission denied (publickey)."),
        "{err}"
    );
}

#[test]
fn changed_host_key_fails_verification_with_exit_255() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-hk");
    keygen(&dir.join("fake"));
    let fake = std::fs::read_to_string(dir.join("fake.pub")).unwrap();
    std::fs::write(
        dir.join("known_hosts"),
        format!("[127.0.0.1]:{} {fake}", sshd.port),
    )
    .unwrap();
    let a = args(
        strict_opts(&dir, &sshd.client_key, sshd.port),
        &["-N", "root@127.0.0.1"],
    );
    let out = run(BURROW, &a, &dir);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Host key verification failed."), "{err}");
}

#[test]
fn unknown_host_key_with_strict_yes_fails() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-hk2");
    let a = args(
        strict_opts(&dir, &sshd.client_key, sshd.port),
        &["-N", "root@127.0.0.1"],
    );
    let out = run(BURROW, &a, &dir);
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Host key verification failed."));
}

#[test]
fn refused_connection_message_and_exit_255() {
    let dir = TempDir::new("c-refused");
    let port = free_port();
    let a = vec![
        s("-F"),
        s("none"),
        s("-p"),
        port.to_string(),
        s("-N"),
        s("127.0.0.1"),
    ];
    let out = run(BURROW, &a, &dir);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        format!("burrow: connect to host 127.0.0.1 port {port}: Connection refused")
    );
}

#[test]
fn config_alias_works_like_ssh() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-alias");
    std::fs::create_dir_all(dir.join(".ssh/conf.d")).unwrap();
    std::fs::write(
        dir.join(".ssh/config"),
        "Include conf.d/*.conf\nHost *\n  BatchMode yes\n  SomethingNew yes\n",
    )
    .unwrap();
    std::fs::write(
        dir.join(".ssh/conf.d/box.conf"),
        format!(
            "Host mybox !other\n  HostName 127.0.0.1\n  Port {}\n  User root\n  IdentityFile {}\n  UserKnownHostsFile {}\n  StrictHostKeyChecking accept-new\n",
            sshd.port,
            sshd.client_key.display(),
            dir.s("known_hosts")
        ),
    )
    .unwrap();
    let out = run(BURROW, &[s("mybox"), s("echo"), s("aliased")], &dir);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "aliased\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 4: Bad configuration option: SomethingNew"),
        "{err}"
    );
}

#[test]
fn compression_flag_is_refused() {
    let dir = TempDir::new("c-C");
    let out = run(BURROW, &[s("-C"), s("host")], &dir);
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("compression (-C) is not supported"));
}

#[test]
fn version_and_help() {
    let dir = TempDir::new("c-V");
    let out = run(BURROW, &[s("-V")], &dir);
    assert_eq!(out.status.code(), Some(0));
    let version = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        version,
        format!("burrow {} (SSH-2.0)\n", env!("CARGO_PKG_VERSION"))
    );
    let out = run(BURROW, &[s("--help")], &dir);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no interactive shell"));
}

#[test]
fn background_after_forwards_are_up() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-f");
    let echo = echo_server();
    let lport = free_port();
    let spec = format!("{lport}:127.0.0.1:{echo}");
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &["-v", "-fN", "-L", &spec, "root@127.0.0.1"],
    );
    // stderr goes to a file: the background child keeps it open, as ssh -f does.
    let mut parent = spawn(BURROW, &a, &dir, "burrow.log");
    assert_eq!(
        parent.wait_exit(Duration::from_secs(30)),
        Some(0),
        "{}",
        parent.log()
    );
    // The parent returned only once the listener was up: connect at once, no waiting.
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(10_000),
    );
    // Stop the background child by the pid the parent reported.
    let err = parent.log();
    let pid = err
        .lines()
        .find_map(|l| l.split("going to the background as pid ").nth(1))
        .expect("pid line");
    let st = std::process::Command::new("kill")
        .arg(pid.trim())
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn demo_runs_every_forward_and_exits_0() {
    let dir = TempDir::new("c-demo");
    let mut cmd = std::process::Command::new(BURROW);
    let out = cmd
        .arg("--demo")
        .env("BURROW_DEMO_BYTES", "262144")
        .env("HOME", &dir.0)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "handshake",
        "-L ",
        "-R 0:",
        "Allocated port",
        "-D ",
        "all 3 forwards worked",
    ] {
        assert!(text.contains(needle), "{needle} missing in:\n{text}");
    }
    assert_eq!(text.matches(": ok,").count(), 3, "{text}");
}

#[test]
fn exit_on_forward_failure_exits_255_when_a_listener_cannot_bind() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-eoff");
    let taken = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    // An explicit address: with the default (localhost) ssh and burrow succeed if ::1 binds.
    let spec = format!("127.0.0.1:{port}:127.0.0.1:9");
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &[
            "-o",
            "ExitOnForwardFailure=yes",
            "-N",
            "-L",
            &spec,
            "root@127.0.0.1",
        ],
    );
    let out = run(BURROW, &a, &dir);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("burrow: cannot listen on 127.0.0.1:"), "{err}");
    assert!(err.contains("Address already in use"), "{err}");
}

#[test]
fn proxy_command_ssh_w_reaches_sshd() {
    let Some(sshd) = start_sshd() else { return };
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let dir = TempDir::new("c-proxycmd");
    // ssh -W as the transport, as people write it for a bastion (here: sshd itself).
    let proxy = format!(
        "ProxyCommand={} -F /dev/null -i {} -p %p -o UserKnownHostsFile={} \
         -o StrictHostKeyChecking=accept-new -o BatchMode=yes -W %h:%p %r@%h",
        ssh.display(),
        sshd.client_key.display(),
        dir.s("proxy_known_hosts"),
    );
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &["-o", &proxy, "-n", "root@127.0.0.1", "echo", "via-proxy"],
    );
    let out = run(BURROW, &a, &dir);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "via-proxy\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn identity_agent_points_at_a_real_agent() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-agent");
    let Some(agent) = burrow_testkit::agent::SshAgent::start(&dir) else {
        return;
    };
    agent.add(&sshd.client_key);
    let sock = agent.sock().display().to_string();
    let base = |agent_opt: &str| {
        vec![
            s("-F"),
            s("/dev/null"),
            s("-p"),
            sshd.port.to_string(),
            s("-o"),
            format!("UserKnownHostsFile={}", dir.s("known_hosts")),
            s("-o"),
            s("StrictHostKeyChecking=accept-new"),
            s("-o"),
            s("BatchMode=yes"),
            s("-o"),
            format!("IdentityAgent={agent_opt}"),
            s("-n"),
            s("root@127.0.0.1"),
            s("echo"),
            s("agent-ok"),
        ]
    };
    // `run` removes SSH_AUTH_SOCK: only IdentityAgent can name the agent.
    let out = run(BURROW, &base(&sock), &dir);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "agent-ok\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(BURROW, &base("none"), &dir);
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));
    // IdentitiesOnly: the agent's key is offered only when an identity file names it (here
    // by its public half alone), not for another identity file.
    let pubkey = std::fs::read_to_string(format!("{}.pub", sshd.client_key.display())).unwrap();
    std::fs::write(dir.join("agentkey.pub"), pubkey).unwrap();
    keygen(&dir.join("other"));
    let only = |id: &str| {
        let mut a = base(&sock);
        a.splice(0..0, [s("-o"), s("IdentitiesOnly=yes"), s("-i"), dir.s(id)]);
        run(BURROW, &a, &dir)
    };
    let out = only("agentkey");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "agent-ok\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = only("other");
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));
}

#[test]
fn match_selects_port_and_identity() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-match");
    let config = format!(
        "Host target\n  HostName 127.0.0.1\n\
         Match host 127.0.0.1 originalhost target\n  Port {}\n  IdentityFile {}\n  User root\n\
         Match final host 127.0.0.1\n  IdentitiesOnly yes\n",
        sshd.port,
        sshd.client_key.display()
    );
    std::fs::write(dir.join("config"), config).unwrap();
    let a = vec![
        s("-F"),
        dir.s("config"),
        s("-o"),
        format!("UserKnownHostsFile={}", dir.s("known_hosts")),
        s("-o"),
        s("StrictHostKeyChecking=accept-new"),
        s("-o"),
        s("BatchMode=yes"),
        s("-n"),
        s("target"),
        s("echo"),
        s("match-ok"),
    ];
    let out = run(BURROW, &a, &dir);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "match-ok\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asks a SOCKS5 proxy at `port` for 127.0.0.1:`target`; returns the reply code.
fn socks5_connect(port: u16, target: u16) -> (u8, TcpStream) {
    use std::io::{Read, Write};
    let mut st = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    st.write_all(&[5, 1, 0]).unwrap();
    let mut r = [0u8; 2];
    st.read_exact(&mut r).unwrap();
    assert_eq!(r, [5, 0], "SOCKS5 method reply from port {port}");
    let [hi, lo] = target.to_be_bytes();
    st.write_all(&[5, 1, 0, 1, 127, 0, 0, 1, hi, lo]).unwrap();
    let mut r = [0u8; 10];
    st.read_exact(&mut r).unwrap();
    (r[1], st)
}

#[test]
fn permit_remote_open_limits_a_reverse_dynamic_forward() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-pro");
    let (allowed, denied) = (echo_server(), echo_server());
    let permit = format!("PermitRemoteOpen=127.0.0.1:{allowed}");
    // A fixed port, not 0: for port 0 sshd may take the port on ::1 only (an ephemeral IPv6
    // port can be held on 127.0.0.1 by another test), and 127.0.0.1 would reach that other.
    let port = free_port();
    let spec = port.to_string();
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &["-N", "-o", &permit, "-R", &spec, "root@127.0.0.1"],
    );
    let burrow = spawn(BURROW, &a, &dir, "burrow.log");
    assert!(
        wait_port(port, 20),
        "no -R listener; stderr:\n{}",
        burrow.log()
    );
    // sshd listens on the allocated port; each connection comes back to burrow as a
    // forwarded-tcpip channel on which burrow answers SOCKS.
    let (code, st) = socks5_connect(port, allowed);
    assert_eq!(code, 0, "permitted target refused");
    check_echo(st, &pattern(20_000));
    let (code, _st) = socks5_connect(port, denied);
    assert_eq!(
        code, 2,
        "a target outside PermitRemoteOpen must be 'not allowed'"
    );
}

#[test]
fn bind_interface_binds_to_the_interface_address() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("c-bindif");
    let run_with = |iface: &str| {
        let a = args(
            client_opts(&dir, &sshd.client_key, sshd.port),
            &["-B", iface, "-n", "root@127.0.0.1", "echo", "bound"],
        );
        run(BURROW, &a, &dir)
    };
    let out = run_with("lo");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "bound\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_with("no-such-if0");
    assert_eq!(out.status.code(), Some(255));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("BindInterface no-such-if0"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn proxy_use_fdpass_takes_the_socket_the_dialer_passes() {
    let Some(sshd) = start_sshd() else { return };
    let Some(python) = require_binary("python3") else {
        return;
    };
    let dir = TempDir::new("c-fdpass");
    // A dialer as people write them: connect, pass the socket on stdout (SCM_RIGHTS), exit.
    let dialer = dir.join("dialer.py");
    std::fs::write(
        &dialer,
        "import socket, sys\n\
         s = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n\
         out = socket.socket(fileno=1)\n\
         socket.send_fds(out, [b'\\0'], [s.fileno()])\n",
    )
    .unwrap();
    let proxy = format!(
        "ProxyCommand={} {} %h %p",
        python.display(),
        dialer.display()
    );
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &[
            "-o",
            &proxy,
            "-o",
            "ProxyUseFdpass=yes",
            "-n",
            "root@127.0.0.1",
            "echo",
            "via-fdpass",
        ],
    );
    let out = run(BURROW, &a, &dir);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "via-fdpass\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A dialer that exits without passing anything is ssh's error, exit 255.
    let a = args(
        client_opts(&dir, &sshd.client_key, sshd.port),
        &[
            "-o",
            "ProxyCommand=true",
            "-o",
            "ProxyUseFdpass=yes",
            "root@127.0.0.1",
        ],
    );
    let out = run(BURROW, &a, &dir);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("proxy dialer did not pass back a connection"),
        "{err}"
    );
}

#[test]
fn generate_prints_man_pages_and_completions() {
    let dir = TempDir::new("c-generate");
    let out = run(BURROW, &[s("--generate"), s("man")], &dir);
    assert_eq!(out.status.code(), Some(0));
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(man.contains(".TH burrow 1"), "{man}");
    assert!(man.contains("ProxyJump") || man.contains("\\-J"), "{man}");
    let out = run(BURROW, &[s("--generate"), s("burrowd-zsh")], &dir);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("#compdef burrowd"));
    let out = run(BURROW, &[s("--generate"), s("tcsh")], &dir);
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown kind \"tcsh\""));
}

#[test]
fn a_jump_hosts_ignored_lines_are_reported_once() {
    let dir = TempDir::new("c-jumpnotice");
    let closed = free_port();
    std::fs::write(
        dir.join("config"),
        format!(
            "Host jumpbox\n HostName 127.0.0.1\n Port {closed}\n ForwardX11 yes\n Bogusword 1\n\
             Host *\n Compression no\n"
        ),
    )
    .unwrap();
    let a = vec![
        s("-v"),
        s("-F"),
        dir.s("config"),
        s("-J"),
        s("jumpbox"),
        s("dest"),
    ];
    let out = run(BURROW, &a, &dir);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Bad configuration option: Bogusword"), "{err}");
    assert!(err.contains("Unsupported option \"ForwardX11\""), "{err}");
    assert_eq!(err.matches("\"Compression\"").count(), 1, "{err}");
}
