//! Key revocation lists made by `ssh-keygen -k`: `burrow`'s RevokedHostKeys against sshd
//! 9.2 (explicit key, SHA256 hash; ssh refuses alike), and burrowd's RevokedKeys for plain
//! user keys and user certificates (serial range, key ID), driven by OpenSSH's ssh.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn keygen(args: &[&str]) {
    let out = Command::new("ssh-keygen").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ssh-keygen {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn key(path: &Path) -> String {
    let p = path.display().to_string();
    burrow_testkit::keygen_ed25519(path);
    p
}

/// `ssh-keygen -k -f <dir>/<name> <args> <spec file holding spec>`; the KRL's path.
fn krl(dir: &TempDir, name: &str, args: &[&str], spec: &str) -> String {
    let spec_path = dir.s(&format!("{name}.spec"));
    std::fs::write(&spec_path, spec).unwrap();
    let path = dir.s(name);
    let mut all = vec!["-k", "-f", &path];
    all.extend(args);
    all.push(&spec_path);
    keygen(&all);
    path
}

fn pub_line(key: &str) -> String {
    std::fs::read_to_string(format!("{key}.pub")).unwrap()
}

fn sha256(key: &str) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f", &format!("{key}.pub")])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().nth(1).unwrap().to_owned()
}

/// Runs `program` (burrow or ssh) to sshd with RevokedHostKeys `krl`: (stderr, exit code).
fn run_with(program: &str, sshd: &Sshd, krl: &str) -> (String, i32) {
    let dir = TempDir::new("krl-client");
    let out = Command::new(program)
        .args(client_opts(&dir, &sshd.client_key, sshd.port))
        .args(["-o", &format!("RevokedHostKeys={krl}")])
        .args(["-n", "root@127.0.0.1", "true"])
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn burrow_refuses_sshd_host_keys_revoked_by_a_krl() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("krl-hk");
    let host = sshd.dir.s("host_key");
    let fp = sha256(&host);
    let other = key(&dir.join("other"));
    let explicit = krl(
        &dir,
        "explicit",
        &["-z", "3"],
        &format!("key: {}", pub_line(&host)),
    );
    let hashed = krl(&dir, "hashed", &[], &format!("hash: {fp}\n"));
    let unrelated = krl(
        &dir,
        "unrelated",
        &[],
        &format!("key: {}", pub_line(&other)),
    );
    let ssh = require_binary("ssh").unwrap();
    for file in [&explicit, &hashed] {
        let (err, code) = run_with(BURROW, &sshd, file);
        assert_eq!(code, 255, "{err}");
        let want = format!("Host key ED25519 {fp} revoked by file {file}");
        assert!(err.contains(&want), "{err}");
        let (ssh_err, ssh_code) = run_with(ssh.to_str().unwrap(), &sshd, file);
        assert_eq!(ssh_code, 255, "{ssh_err}");
        assert!(ssh_err.contains(&want), "{ssh_err}");
    }
    let (err, code) = run_with(BURROW, &sshd, &unrelated);
    assert_eq!(code, 0, "{err}");
    // A file that is neither a KRL nor readable refuses, as ssh.
    let (err, code) = run_with(BURROW, &sshd, &dir.s("missing"));
    assert_eq!(code, 255, "{err}");
    assert!(err.contains("Error checking host key"), "{err}");
}

/// `ssh -i key -W 127.0.0.1:1` to burrowd (a `<key>-cert.pub` beside the key is offered).
fn ssh_to(d: &Burrowd, key: &str) {
    let ssh = require_binary("ssh").unwrap();
    let dir = TempDir::new("krl-ssh");
    Command::new(ssh)
        .args(["-F", "/dev/null", "-p", &d.port.to_string(), "-i", key])
        .args(["-o", "StrictHostKeyChecking=no", "-o", "BatchMode=yes"])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", dir.s("known_hosts")))
        .args([
            "-o",
            "IdentitiesOnly=yes",
            "-W",
            "127.0.0.1:1",
            "root@127.0.0.1",
        ])
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::null())
        .output()
        .unwrap();
}

/// The first burrowd log line after byte `from` containing one of `needles`.
fn wait_log(d: &Burrowd, from: usize, needles: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = d.proc.log();
        let new = log.get(from..).unwrap_or_default().to_owned();
        if let Some(l) = new.lines().find(|l| needles.iter().any(|n| l.contains(n))) {
            return l.to_owned();
        }
        assert!(Instant::now() < deadline, "no {needles:?} in:\n{new}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn burrowd_revoked_keys_krl_refuses_keys_serials_and_key_ids() {
    if require_binary("ssh-keygen").is_none() || require_binary("ssh").is_none() {
        return;
    }
    let dir = TempDir::new("krl-d");
    let plain = key(&dir.join("plain"));
    let ca = key(&dir.join("ca"));
    let certified = key(&dir.join("certified"));
    let ca_pub = format!("{ca}.pub");
    let spec = format!("key: {}serial: 5-9\nid: bad-id\n", pub_line(&plain));
    let krl = krl(&dir, "krl", &["-s", &ca_pub], &spec);
    let extra = [
        format!("RevokedKeys {krl}"),
        format!("TrustedUserCAKeys {ca_pub}"),
    ];
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let Some(d) = start_burrowd(&extra, Some(Path::new(&plain))) else {
        return;
    };
    let accepted = "Accepted publickey for root";
    let from = d.proc.log().len();
    ssh_to(&d, &plain);
    let want = format!(
        "Authentication key ED25519 {} revoked by file {krl}",
        sha256(&plain)
    );
    let line = wait_log(&d, from, &[&want, accepted]);
    assert!(line.contains(&want), "{line}");
    for (id, serial, revoked) in [
        ("fine", "4", false),
        ("fine", "5", true),
        ("fine", "9", true),
        ("fine", "10", false),
        ("bad-id", "10", true),
    ] {
        let p = format!("{certified}.pub");
        keygen(&["-q", "-s", &ca, "-I", id, "-z", serial, "-n", "root", &p]);
        let from = d.proc.log().len();
        ssh_to(&d, &certified);
        let line = wait_log(&d, from, &["revoked by file", accepted]);
        assert_eq!(
            line.contains("revoked by file"),
            revoked,
            "{id} {serial}: {line}"
        );
        if !revoked {
            assert!(
                line.contains(&format!("ID {id} (serial {serial})")),
                "{line}"
            );
        }
    }
}

/// An sshd on the fixture's config presenting `cert` for its host key.
fn sshd_with_certificate(sshd: &Sshd, cert: &str) -> (Proc, u16) {
    let args = [
        s("-h"),
        sshd.dir.s("host_key"),
        s("-o"),
        format!("HostCertificate={cert}"),
    ];
    sshd_with(sshd, &args)
}

#[test]
fn burrow_refuses_an_sshd_host_certificate_revoked_by_serial() {
    let Some(sshd) = start_sshd() else { return };
    let dir = TempDir::new("krl-cert");
    let ca = key(&dir.join("ca"));
    let ca_pub = format!("{ca}.pub");
    let host_pub = sshd.dir.s("host_key.pub");
    keygen(&[
        "-q",
        "-s",
        &ca,
        "-I",
        "host",
        "-h",
        "-n",
        "127.0.0.1",
        "-z",
        "5",
        &host_pub,
    ]);
    let (_cert_sshd, port) = sshd_with_certificate(&sshd, &sshd.dir.s("host_key-cert.pub"));
    let ca_line = pub_line(&ca);
    for (serial, revoked) in [("5", true), ("6", false)] {
        let name = format!("serial{serial}");
        let krl = krl(
            &dir,
            &name,
            &["-s", &ca_pub],
            &format!("serial: {serial}\n"),
        );
        let run = TempDir::new("krl-cert-run");
        let known = format!("@cert-authority [127.0.0.1]:{port} {ca_line}");
        std::fs::write(run.join("known_hosts"), known).unwrap();
        let mut args = client_opts(&run, &sshd.client_key, port);
        args.extend(["-o".into(), "StrictHostKeyChecking=yes".into()]);
        args.extend(["-o".into(), format!("RevokedHostKeys={krl}")]);
        let out = Command::new(BURROW)
            .args(args)
            .args(["-n", "root@127.0.0.1", "true"])
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(if revoked { 255 } else { 0 }),
            "{err}"
        );
        assert_eq!(err.contains("revoked by file"), revoked, "{err}");
    }
}
