//! RequiredRSASize against real OpenSSH 9.2, with 1024-bit RSA keys made by ssh-keygen: the
//! default (1024, as OpenSSH) accepts them; a larger value makes `burrow` refuse such a host
//! key and skip such an identity, and `burrowd` refuse such a user key and host key, with
//! OpenSSH's messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// `ssh-keygen -t rsa -b 1024` at `path`.
fn rsa1024(path: &Path) {
    burrow_testkit::keys::keygen_with(path, &["-t", "rsa", "-b", "1024"]);
}

/// `burrow <base> [extra] -n root@127.0.0.1 echo ok`: (stdout, stderr, exit code).
fn burrow_echo(dir: &TempDir, base: Vec<String>, extra: &[&str]) -> (String, String, i32) {
    let out = Command::new(BURROW)
        .args(base)
        .args(extra)
        .args(["-n", "root@127.0.0.1", "echo", "ok"])
        .current_dir(&dir.0)
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// A second sshd on the fixture's config whose only host key is `host_key`.
fn sshd_with_host_key(sshd: &Sshd, host_key: &Path) -> (Proc, u16) {
    sshd_with(sshd, &[s("-h"), host_key.display().to_string()])
}

#[test]
fn burrow_refuses_a_1024_bit_host_key_only_above_required_rsa_size() {
    let Some(sshd) = start_sshd() else { return };
    let host = sshd.dir.join("host_rsa1024");
    rsa1024(&host);
    let (_small, port) = sshd_with_host_key(&sshd, &host);
    let dir = TempDir::new("rsa-hk");
    let (out, err, code) = burrow_echo(&dir, client_opts(&dir, &sshd.client_key, port), &[]);
    assert_eq!((out.as_str(), code), ("ok\n", 0), "default 1024: {err}");
    let dir = TempDir::new("rsa-hk2");
    let base = client_opts(&dir, &sshd.client_key, port);
    let (out, err, code) = burrow_echo(&dir, base, &["-o", "RequiredRSASize=2048"]);
    assert_eq!((out.as_str(), code), ("", 255), "{err}");
    assert!(
        err.contains("Bad server host key: Invalid key length"),
        "{err}"
    );
    // ssh says the same.
    let ssh = require_binary("ssh").unwrap();
    let out = Command::new(ssh)
        .args(client_opts(&dir, &sshd.client_key, port))
        .args(["-o", "RequiredRSASize=2048", "root@127.0.0.1", "true"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let ssh_err = String::from_utf8_lossy(&out.stderr);
    assert!(
        ssh_err.contains("Bad server host key: Invalid key length"),
        "{ssh_err}"
    );
}

#[test]
fn burrow_skips_a_1024_bit_identity_only_above_required_rsa_size() {
    let Some(sshd) = start_sshd() else { return };
    let key = sshd.dir.join("user_rsa1024");
    rsa1024(&key);
    std::fs::copy(
        burrow_testkit::keys::pub_path(&key),
        sshd.dir.join("authorized_keys"),
    )
    .unwrap();
    let dir = TempDir::new("rsa-id");
    let (out, err, code) = burrow_echo(&dir, client_opts(&dir, &key, sshd.port), &[]);
    assert_eq!((out.as_str(), code), ("ok\n", 0), "default 1024: {err}");
    let base = client_opts(&dir, &key, sshd.port);
    let (out, err, code) = burrow_echo(&dir, base, &["-o", "RequiredRSASize=1025"]);
    assert_eq!((out.as_str(), code), ("", 255), "{err}");
    let want = format!("load pubkey \"{}\": Invalid key length", key.display());
    assert!(err.contains(&want), "{err}");
    assert!(err.contains("Permission denied"), "{err}");
}

/// `ssh -W 127.0.0.1:1` to burrowd with `key`: burrowd's log tells how it went.
fn ssh_to(d: &Burrowd, key: &Path) {
    let ssh = require_binary("ssh").unwrap();
    let dir = TempDir::new("rsa-ssh");
    Command::new(ssh)
        .args(["-F", "/dev/null", "-p", &d.port.to_string(), "-i"])
        .arg(key)
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
        .stdin(Stdio::null())
        .output()
        .unwrap();
}

#[test]
fn burrowd_refuses_1024_bit_user_and_host_keys_only_above_required_rsa_size() {
    if require_binary("ssh-keygen").is_none() || require_binary("ssh").is_none() {
        return;
    }
    let keys = TempDir::new("rsa-d");
    let user = keys.join("user");
    let host = keys.join("host_rsa1024");
    rsa1024(&user);
    rsa1024(&host);
    let Some(d) = start_burrowd(&[], Some(&user)) else {
        return;
    };
    ssh_to(&d, &user);
    let line = d.proc.expect_log(
        "Accepted publickey for root from 127.0.0.1",
        Duration::from_secs(10),
    );
    assert!(line.contains("RSA"), "{line}");
    // Above 1024: the user key is refused, and the RSA host key is not loaded (burrowd
    // serves with its other host key).
    let host_line = format!("HostKey {}", host.display());
    let extra = ["RequiredRSASize 2048", host_line.as_str()];
    let Some(d) = start_burrowd(&extra, Some(&user)) else {
        return;
    };
    let log = d.proc.expect_log("Host key", Duration::from_secs(10));
    assert!(
        log.contains(&format!("Host key {}: Invalid key length", host.display())),
        "{log}"
    );
    ssh_to(&d, &user);
    let line = d
        .proc
        .expect_log("refusing RSA key", Duration::from_secs(10));
    assert!(line.contains("Invalid key length"), "{line}");
    assert!(
        !d.proc.log().contains("Accepted publickey"),
        "{}",
        d.proc.log()
    );
}
