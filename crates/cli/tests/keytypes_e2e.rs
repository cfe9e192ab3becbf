//! RSA and ECDSA keys against real OpenSSH 9.2, both ways: `burrow` → sshd with key files and
//! with ssh-agent, `ssh` → burrowd with each user key type, host keys of each type on both
//! sides, and the host key algorithm chosen from what known_hosts already holds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

/// Key types made by `ssh-keygen`: file name, arguments, OpenSSH's label in log lines.
const TYPES: [(&str, &[&str], &str); 4] = [
    ("rsa", &["-t", "rsa", "-b", "3072"], "RSA"),
    ("ecdsa256", &["-t", "ecdsa", "-b", "256"], "ECDSA"),
    ("ecdsa384", &["-t", "ecdsa", "-b", "384"], "ECDSA"),
    ("ecdsa521", &["-t", "ecdsa", "-b", "521"], "ECDSA"),
];

fn keygen_type(path: &Path, args: &[&str]) {
    burrow_testkit::keys::keygen_with(path, args);
}

fn pub_line(path: &Path) -> String {
    let mut p = path.as_os_str().to_owned();
    p.push(".pub");
    std::fs::read_to_string(PathBuf::from(p)).unwrap()
}

/// `burrow ... root@127.0.0.1 echo ok` with `extra` options; returns (stdout, stderr, code).
fn burrow_echo(dir: &TempDir, base: Vec<String>, env_sock: Option<&Path>) -> (String, String, i32) {
    let mut cmd = Command::new(BURROW);
    cmd.args(base)
        .args(["-n", "root@127.0.0.1", "echo", "ok"])
        .current_dir(&dir.0)
        .env_remove("SSH_AUTH_SOCK");
    if let Some(sock) = env_sock {
        cmd.env("SSH_AUTH_SOCK", sock);
    }
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn burrow_logs_in_to_sshd_with_rsa_and_ecdsa_key_files() {
    let Some(sshd) = start_sshd() else { return };
    for (name, args, label) in TYPES {
        let key = sshd.dir.join(name);
        keygen_type(&key, args);
        std::fs::write(sshd.dir.join("authorized_keys"), pub_line(&key)).unwrap();
        let dir = TempDir::new("kt-file");
        let (out, err, code) = burrow_echo(&dir, client_opts(&dir, &key, sshd.port), None);
        assert_eq!((out.as_str(), code), ("ok\n", 0), "{name}: {err}");
        let log = sshd.proc.log();
        let accepted = "Accepted publickey for root from 127.0.0.1 port";
        assert!(
            log.lines()
                .any(|l| l.contains(accepted) && l.contains(label)),
            "{name}: {log}"
        );
    }
    // sshd 9.2 refuses ssh-rsa (SHA-1) signatures by default: the RSA login above used
    // rsa-sha2-*, chosen from its server-sig-algs.
}

#[test]
fn burrow_logs_in_to_sshd_with_rsa_and_ecdsa_keys_held_by_ssh_agent() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("kt-agent");
    let Some(agent) = burrow_testkit::agent::SshAgent::start(&dir) else {
        return;
    };
    for (name, args, _) in TYPES {
        let key = dir.join(name);
        keygen_type(&key, args);
        agent.add(&key);
    }
    for (name, _, label) in TYPES {
        std::fs::write(sshd.dir.join("authorized_keys"), pub_line(&dir.join(name))).unwrap();
        let base = vec![
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
        ];
        let (out, err, code) = burrow_echo(&dir, base, Some(agent.sock()));
        assert_eq!((out.as_str(), code), ("ok\n", 0), "{name}: {err}");
        assert!(sshd.proc.log().contains(label));
    }
}

/// A second sshd on the fixture's config holding exactly `host_keys`.
fn sshd_with_host_keys(sshd: &Sshd, host_keys: &[PathBuf]) -> (Proc, u16) {
    let args: Vec<String> = host_keys
        .iter()
        .flat_map(|k| [s("-h"), k.display().to_string()])
        .collect();
    sshd_with(sshd, &args)
}

#[test]
fn known_hosts_with_only_an_rsa_or_ecdsa_key_leads_to_that_host_key_not_changed() {
    let Some(sshd) = start_sshd() else { return };
    let rsa = sshd.dir.join("host_rsa");
    let ecdsa = sshd.dir.join("host_ecdsa");
    keygen_type(&rsa, &["-t", "rsa", "-b", "3072"]);
    keygen_type(&ecdsa, &["-t", "ecdsa", "-b", "384"]);
    let ed = sshd.dir.join("host_key");
    let (_all, port) = sshd_with_host_keys(&sshd, &[ed, rsa.clone(), ecdsa.clone()]);
    for host_key in [&rsa, &ecdsa] {
        let dir = TempDir::new("kt-order");
        let line = pub_line(host_key);
        let mut words = line.split_whitespace();
        let (t, b64) = (words.next().unwrap(), words.next().unwrap());
        std::fs::write(
            dir.join("known_hosts"),
            format!("[127.0.0.1]:{port} {t} {b64}\n"),
        )
        .unwrap();
        let mut base = client_opts(&dir, &sshd.client_key, port);
        base.extend([s("-o"), s("StrictHostKeyChecking=yes")]);
        let (out, err, code) = burrow_echo(&dir, base, None);
        assert_eq!((out.as_str(), code), ("ok\n", 0), "{t}: {err}");
        assert!(!err.contains("CHANGED"), "{err}");
    }
    // An sshd whose only host key is RSA (then ECDSA): reached with accept-new, and the key
    // lands in known_hosts with its own type.
    for (host_key, t) in [(&rsa, "ssh-rsa"), (&ecdsa, "ecdsa-sha2-nistp384")] {
        let (_one, port) = sshd_with_host_keys(&sshd, std::slice::from_ref(host_key));
        let dir = TempDir::new("kt-only");
        let (out, err, code) = burrow_echo(&dir, client_opts(&dir, &sshd.client_key, port), None);
        assert_eq!((out.as_str(), code), ("ok\n", 0), "{t}: {err}");
        let known = std::fs::read_to_string(dir.join("known_hosts")).unwrap();
        assert!(
            known.starts_with(&format!("[127.0.0.1]:{port} {t} ")),
            "{known}"
        );
    }
}

#[test]
fn ssh_logs_in_to_burrowd_with_rsa_and_ecdsa_user_keys() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    require_binary("ssh-keygen").unwrap();
    let keys = TempDir::new("kt-user");
    for (name, args, label) in TYPES {
        let key = keys.join(name);
        keygen_type(&key, args);
        let Some(d) = start_burrowd(&[], Some(&key)) else {
            return;
        };
        let dir = TempDir::new("kt-ssh");
        let out = Command::new(&ssh)
            .args(["-o", "StrictHostKeyChecking=no"])
            .args(ssh_base(&dir, &key, d.port))
            .args(["-W", "127.0.0.1:1", "root@127.0.0.1"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let line = d.proc.expect_log(
            "Accepted publickey for root from 127.0.0.1",
            Duration::from_secs(10),
        );
        assert!(
            line.contains(label),
            "{name}: {line}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn ssh_base(dir: &TempDir, key: &Path, port: u16) -> Vec<String> {
    vec![
        s("-F"),
        s("/dev/null"),
        s("-p"),
        port.to_string(),
        s("-i"),
        key.display().to_string(),
        s("-o"),
        format!("UserKnownHostsFile={}", dir.s("known_hosts")),
        s("-o"),
        s("BatchMode=yes"),
        s("-o"),
        s("IdentitiesOnly=yes"),
    ]
}

#[test]
fn ssh_verifies_burrowd_rsa_and_ecdsa_host_keys() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    require_binary("ssh-keygen").unwrap();
    let keys = TempDir::new("kt-hostkeys");
    let rsa = keys.join("host_rsa");
    let ecdsa = keys.join("host_ecdsa");
    keygen_type(&rsa, &["-t", "rsa", "-b", "3072"]);
    keygen_type(&ecdsa, &["-t", "ecdsa", "-b", "521"]);
    let extra = [
        format!("HostKey {}", rsa.display()),
        format!("HostKey {}", ecdsa.display()),
    ];
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let Some(d) = start_burrowd(&extra, None) else {
        return;
    };
    let echo = echo_server();
    for (host_key, alg) in [
        (&rsa, "rsa-sha2-512"),
        (&rsa, "rsa-sha2-256"),
        (&ecdsa, "ecdsa-sha2-nistp521"),
    ] {
        let dir = TempDir::new("kt-hk");
        let line = pub_line(host_key);
        let mut words = line.split_whitespace();
        let (t, b64) = (words.next().unwrap(), words.next().unwrap());
        std::fs::write(
            dir.join("known_hosts"),
            format!("[127.0.0.1]:{} {t} {b64}\n", d.port),
        )
        .unwrap();
        let lport = free_port();
        let mut a = ssh_base(&dir, &d.client_key, d.port);
        let spec = format!("{lport}:127.0.0.1:{echo}");
        a.extend([
            s("-o"),
            s("StrictHostKeyChecking=yes"),
            s("-o"),
            format!("HostKeyAlgorithms={alg}"),
            s("-N"),
            s("-L"),
            spec,
            s("root@127.0.0.1"),
        ]);
        let mut client = spawn(ssh.to_str().unwrap(), &a, &dir, "ssh.log");
        assert!(
            wait_port(lport, 20),
            "{alg}: {}\n{}",
            client.log(),
            d.proc.log()
        );
        check_echo(
            TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).unwrap(),
            b"host key ok",
        );
        client.signal("TERM");
        client.wait_exit(Duration::from_secs(5));
    }
}
