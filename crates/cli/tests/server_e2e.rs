//! End to end: OpenSSH `ssh` against the built `burrowd` (-L, -R with the allocated port,
//! -D, session refusal), `burrow -W` as ssh's ProxyCommand, ProxyJump through two burrowd
//! hops, and burrowd's own errors and signals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::time::Duration;

use common::*;

/// `ssh` options for a test against a local server.
fn ssh_opts(dir: &TempDir, key: &Path, port: u16) -> Vec<String> {
    vec![
        s("-F"),
        s("/dev/null"),
        s("-p"),
        port.to_string(),
        s("-i"),
        key.display().to_string(),
        s("-o"),
        format!("UserKnownHostsFile={}", dir.s("ssh_known_hosts")),
        s("-o"),
        s("StrictHostKeyChecking=no"),
        s("-o"),
        s("BatchMode=yes"),
        s("-o"),
        s("IdentitiesOnly=yes"),
    ]
}

fn with(mut v: Vec<String>, extra: &[&str]) -> Vec<String> {
    v.extend(extra.iter().map(|e| s(e)));
    v
}

#[test]
fn ssh_local_forward_through_burrowd() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("s-l");
    let echo = echo_server();
    let lport = free_port();
    let spec = format!("{lport}:127.0.0.1:{echo}");
    let a = with(
        ssh_opts(&dir, &d.client_key, d.port),
        &["-N", "-L", &spec, "root@127.0.0.1"],
    );
    let client = spawn(ssh.to_str().unwrap(), &a, &dir, "ssh.log");
    assert!(
        wait_port(lport, 20),
        "ssh:\n{}\nburrowd:\n{}",
        client.log(),
        d.proc.log()
    );
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
        &pattern(300_000),
    );
    d.proc.expect_log(
        "Accepted publickey for root from 127.0.0.1",
        Duration::from_secs(5),
    );
}

#[test]
fn ssh_remote_forward_port_0_through_burrowd() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("s-r");
    let echo = echo_server();
    let spec = format!("0:127.0.0.1:{echo}");
    let a = with(
        ssh_opts(&dir, &d.client_key, d.port),
        &["-N", "-R", &spec, "root@127.0.0.1"],
    );
    let client = spawn(ssh.to_str().unwrap(), &a, &dir, "ssh.log");
    let line = client.expect_log("Allocated port", Duration::from_secs(20));
    let port: u16 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    check_echo(
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap(),
        &pattern(100_000),
    );
}

#[test]
fn ssh_dynamic_forward_through_burrowd() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("s-d");
    let echo = echo_server();
    let dport = free_port();
    let a = with(
        ssh_opts(&dir, &d.client_key, d.port),
        &["-N", "-D", &dport.to_string(), "root@127.0.0.1"],
    );
    let client = spawn(ssh.to_str().unwrap(), &a, &dir, "ssh.log");
    assert!(wait_port(dport, 20), "{}", client.log());
    let mut st = TcpStream::connect((Ipv4Addr::LOCALHOST, dport)).unwrap();
    let [hi, lo] = echo.to_be_bytes();
    // SOCKS4: CONNECT 127.0.0.1:echo, empty user id.
    st.write_all(&[4, 1, hi, lo, 127, 0, 0, 1, 0]).unwrap();
    let mut r = [0u8; 8];
    st.read_exact(&mut r).unwrap();
    assert_eq!(r[1], 90, "SOCKS4 reply {r:?}");
    check_echo(st, &pattern(50_000));
}

#[test]
fn burrowd_refuses_commands_with_a_clear_message() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("s-sess");
    let a = with(
        ssh_opts(&dir, &d.client_key, d.port),
        &["root@127.0.0.1", "echo", "hi"],
    );
    let out = run(ssh.to_str().unwrap(), &a, &dir);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("burrowd only forwards ports"), "{err}");
}

#[test]
fn burrow_w_as_ssh_proxycommand_through_burrowd() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(sshd) = start_sshd() else { return };
    let Some(d) = start_burrowd(&[], Some(&sshd.client_key)) else {
        return;
    };
    let dir = TempDir::new("s-w");
    let proxy = format!(
        "{BURROW} -F none -i {} -p {} -o UserKnownHostsFile={} -o StrictHostKeyChecking=accept-new -o BatchMode=yes -W %h:%p root@127.0.0.1",
        sshd.client_key.display(),
        d.port,
        dir.s("burrow_known_hosts")
    );
    let a = with(
        ssh_opts(&dir, &sshd.client_key, sshd.port),
        &[
            "-o",
            &format!("ProxyCommand={proxy}"),
            "root@127.0.0.1",
            "echo",
            "via-proxy",
        ],
    );
    let out = run(ssh.to_str().unwrap(), &a, &dir);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "via-proxy\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn proxyjump_through_two_burrowd_hops() {
    let Some(sshd) = start_sshd() else { return };
    let Some(a_hop) = start_burrowd(&[], Some(&sshd.client_key)) else {
        return;
    };
    let Some(b_hop) = start_burrowd(&[], Some(&sshd.client_key)) else {
        return;
    };
    let dir = TempDir::new("s-jump");
    let jumps = format!(
        "root@127.0.0.1:{},root@127.0.0.1:{}",
        a_hop.port, b_hop.port
    );
    let args = vec![
        s("-F"),
        s("none"),
        s("-o"),
        format!("IdentityFile={}", sshd.client_key.display()),
        s("-o"),
        format!("UserKnownHostsFile={}", dir.s("known_hosts")),
        s("-o"),
        s("StrictHostKeyChecking=accept-new"),
        s("-o"),
        s("BatchMode=yes"),
        s("-J"),
        jumps,
        s("-p"),
        sshd.port.to_string(),
        s("root@127.0.0.1"),
        s("echo"),
        s("jumped"),
    ];
    let out = run(BURROW, &args, &dir);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "jumped\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    // Both hops carried the chain: each saw a login.
    a_hop
        .proc
        .expect_log("Accepted publickey for root", Duration::from_secs(5));
    b_hop
        .proc
        .expect_log("Accepted publickey for root", Duration::from_secs(5));
}

#[test]
fn burrowd_sigterm_exits_0_and_logs() {
    let Some(mut d) = start_burrowd(&[], None) else {
        return;
    };
    d.proc
        .expect_log("Server listening on 127.0.0.1 port", Duration::from_secs(5));
    d.proc.signal("TERM");
    assert_eq!(d.proc.wait_exit(Duration::from_secs(15)), Some(0));
    assert!(d.proc.log().contains("Received signal 15; terminating."));
}

#[test]
fn burrowd_missing_host_key_is_a_clear_error() {
    let dir = TempDir::new("s-nokey");
    let missing = dir.s("nope");
    let out = run(BURROWD, &[s("-t"), s("-h"), missing.clone()], &dir);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "Could not load host key {missing}: No such file or directory"
        )),
        "{err}"
    );
}

#[test]
fn burrowd_t_names_file_and_line_of_a_bad_option() {
    let dir = TempDir::new("s-t");
    std::fs::write(dir.join("cfg"), "Port 2222\nFrobnicate yes\n").unwrap();
    let out = run(BURROWD, &[s("-t"), s("-f"), dir.s("cfg")], &dir);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}: line 2: Bad configuration option: Frobnicate",
            dir.s("cfg")
        )),
        "{err}"
    );
    std::fs::write(dir.join("ok"), "Port 2222\nUsePAM no\n").unwrap();
    let out = run(BURROWD, &[s("-t"), s("-f"), dir.s("ok")], &dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn burrowd_creates_its_default_host_key_on_first_run() {
    let dir = TempDir::new("s-default");
    let out = run(BURROWD, &[s("-t")], &dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = dir.join(".local/state/burrow/host_ed25519");
    assert!(key.exists() && dir.join(".local/state/burrow/host_ed25519.pub").exists());
    let first = std::fs::read(&key).unwrap();
    let out = run(BURROWD, &[s("-t")], &dir);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read(&key).unwrap(),
        first,
        "the key is kept, not regenerated"
    );
}

#[test]
fn burrowd_sighup_reloads_logins_for_new_connections() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(d) = start_burrowd(&["DenyUsers root"], None) else {
        return;
    };
    let dir = TempDir::new("s-hup");
    let echo = echo_server();
    let try_forward = || {
        let lport = free_port();
        let spec = format!("{lport}:127.0.0.1:{echo}");
        let a = with(
            ssh_opts(&dir, &d.client_key, d.port),
            &[
                "-o",
                "ExitOnForwardFailure=yes",
                "-N",
                "-L",
                &spec,
                "root@127.0.0.1",
            ],
        );
        let mut client = spawn(ssh.to_str().unwrap(), &a, &dir, "ssh.log");
        // Up once the listener accepts; refused once ssh exits (ExitOnForwardFailure).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if client.child.try_wait().unwrap().is_some() {
                return false;
            }
            if TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).is_ok() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        false
    };
    assert!(!try_forward(), "root is denied before the reload");
    let config = std::fs::read_to_string(d.dir.join("burrowd_config")).unwrap();
    std::fs::write(
        d.dir.join("burrowd_config"),
        config.replace("DenyUsers root\n", ""),
    )
    .unwrap();
    d.proc.signal("HUP");
    d.proc.expect_log(
        "Received SIGHUP; configuration reloaded",
        Duration::from_secs(5),
    );
    assert!(
        try_forward(),
        "root may log in after the reload:\n{}",
        d.proc.log()
    );
}

/// `from=` over IPv6: burrowd on ::1 checks the client's address as `::1` (it once checked
/// `:`, the address cut at its last colon twice, so `!::1` never matched), and its log line
/// names it.
#[test]
fn from_option_matches_ipv6_clients_with_negation() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(d) = start_burrowd(&["ListenAddress ::1"], None) else {
        return;
    };
    let dir = TempDir::new("s-from6");
    let echo = echo_server();
    let key_line = std::fs::read_to_string(d.dir.join("authorized_keys")).unwrap();
    let login = |from: &str| {
        std::fs::write(
            d.dir.join("authorized_keys"),
            format!("from=\"{from}\" {key_line}"),
        )
        .unwrap();
        let lport = free_port();
        let spec = format!("{lport}:127.0.0.1:{echo}");
        let a = with(
            ssh_opts(&dir, &d.client_key, d.port),
            &[
                "-o",
                "ExitOnForwardFailure=yes",
                "-N",
                "-L",
                &spec,
                "root@::1",
            ],
        );
        let mut client = spawn(ssh.to_str().unwrap(), &a, &dir, "ssh.log");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if client.child.try_wait().unwrap().is_some() {
                return false;
            }
            if TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).is_ok() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        false
    };
    assert!(!login("!::1,*"), "::1 is negated:\n{}", d.proc.log());
    assert!(login("::1"), "::1 is listed:\n{}", d.proc.log());
    d.proc.expect_log(
        "Accepted publickey for root from ::1 port ",
        Duration::from_secs(5),
    );
    assert!(!login("127.0.0.1"), "an IPv4 entry does not match ::1");
}

/// A key query (no signature) is not a login: ssh holding only the public key is told the
/// key would do and then cannot sign. burrowd once logged "Accepted publickey" at the query;
/// now that line comes only after a checked signature, in sshd's form.
#[test]
fn accepted_publickey_is_logged_only_after_the_signature() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let dir = TempDir::new("s-query");
    let mut pub_path = d.client_key.clone().into_os_string();
    pub_path.push(".pub");
    std::fs::copy(&pub_path, dir.join("only.pub")).unwrap();
    let a = with(
        ssh_opts(&dir, &dir.join("only.pub"), d.port),
        &["root@127.0.0.1", "true"],
    );
    let out = run(ssh.to_str().unwrap(), &a, &dir);
    assert!(!out.status.success(), "no private key, no login");
    d.proc.expect_log(
        "Postponed publickey for root from 127.0.0.1 port ",
        Duration::from_secs(5),
    );
    assert!(
        !d.proc.log().contains("Accepted publickey"),
        "a query was logged as a login:\n{}",
        d.proc.log()
    );
    let echo = echo_server();
    let lport = free_port();
    let spec = format!("{lport}:127.0.0.1:{echo}");
    let a = with(
        ssh_opts(&dir, &d.client_key, d.port),
        &["-N", "-L", &spec, "root@127.0.0.1"],
    );
    let _client = spawn(ssh.to_str().unwrap(), &a, &dir, "ssh.log");
    let log = d.proc.expect_log(
        "Accepted publickey for root from 127.0.0.1 port ",
        Duration::from_secs(10),
    );
    let line = log
        .lines()
        .find(|l| l.contains("Accepted publickey"))
        .unwrap();
    assert!(line.contains(" ssh2: ED25519 SHA256:"), "{line}");
}
