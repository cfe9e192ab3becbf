//! OpenSSH user certificates against real OpenSSH 9.2: `ssh` with certificates made by
//! `ssh-keygen -s` logs in to burrowd through `TrustedUserCAKeys`, a `cert-authority`
//! authorized_keys line with `principals=`, and `AuthorizedPrincipalsFile`; expired certificates,
//! unlisted principals, a `source-address` that excludes the client, a `force-command` and a CA
//! algorithm outside `CASignatureAlgorithms` are refused with sshd's reasons; a certificate
//! without `permit-port-forwarding` logs in but may not forward.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A CA and a user key in a temp dir.
struct Keys {
    dir: TempDir,
    ca: PathBuf,
    user: PathBuf,
}

fn keygen_type(path: &Path, kind: &str) {
    burrow_testkit::keys::keygen_with(path, &["-t", kind]);
}

impl Keys {
    fn new(ca_type: &str) -> Option<Self> {
        require_binary("ssh-keygen")?;
        let dir = TempDir::new("certs");
        let (ca, user) = (dir.join("ca"), dir.join("user"));
        keygen_type(&ca, ca_type);
        keygen_type(&user, "ed25519");
        Some(Self { dir, ca, user })
    }

    /// Signs the user key (`user-cert.pub`) with `ssh-keygen -s ca -I <id>` and `args`.
    fn sign(&self, id: &str, args: &[&str]) {
        let out = Command::new("ssh-keygen")
            .args(["-q", "-s"])
            .arg(&self.ca)
            .args(["-I", id])
            .args(args)
            .arg(self.dir.join("user.pub"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn ca_pub(&self) -> String {
        std::fs::read_to_string(self.dir.join("ca.pub")).unwrap()
    }
}

/// `ssh -i user -W 127.0.0.1:<echo>` sending "hello": (stdout, stderr, exit code). ssh picks
/// up `user-cert.pub` beside the key by itself.
fn ssh_forward(ssh: &Path, keys: &Keys, port: u16, echo: u16) -> (String, String, i32) {
    let dir = TempDir::new("certs-ssh");
    let mut child = Command::new(ssh)
        .args(["-F", "/dev/null", "-p", &port.to_string(), "-i"])
        .arg(&keys.user)
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", dir.s("known_hosts")))
        .args(["-o", "StrictHostKeyChecking=no", "-o", "BatchMode=yes"])
        .args(["-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"])
        .args(["-W", &format!("127.0.0.1:{echo}"), "root@127.0.0.1"])
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "ssh hung");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Waits for a burrowd log line after byte `from` containing `needle`.
fn wait_log(d: &Burrowd, from: usize, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = d.proc.log();
        let new = log.get(from..).unwrap_or_default();
        if let Some(l) = new.lines().find(|l| l.contains(needle)) {
            return l.to_owned();
        }
        assert!(Instant::now() < deadline, "no {needle:?} in:\n{new}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Signs with `args`, runs ssh; asserts a login with forwarding through, logged as sshd does.
fn assert_forwards(ssh: &Path, d: &Burrowd, keys: &Keys, id: &str, args: &[&str]) {
    keys.sign(id, args);
    let from = d.proc.log().len();
    let (out, err, code) = ssh_forward(ssh, keys, d.port, echo_server());
    let line = wait_log(d, from, "Accepted publickey for root from 127.0.0.1");
    assert!(
        line.contains("ED25519-CERT SHA256:") && line.contains(&format!("ID {id} (serial")),
        "{line}"
    );
    assert!(line.contains(" CA "), "{line}");
    assert_eq!((out.as_str(), code), ("hello\n", 0), "{err}");
}

/// Signs with `args`, runs ssh; asserts the login is refused and burrowd logs `reason`.
fn assert_refused(ssh: &Path, d: &Burrowd, keys: &Keys, args: &[&str], reason: &str) {
    keys.sign("refused", args);
    let from = d.proc.log().len();
    let (out, err, code) = ssh_forward(ssh, keys, d.port, echo_server());
    assert_eq!(code, 255, "{args:?}: {out} {err}");
    assert!(err.contains("Permission denied"), "{args:?}: {err}");
    wait_log(d, from, reason);
}

const VALID: &str = "-V20200101:20400101";

#[test]
fn ssh_user_certificates_through_trusted_user_ca_keys() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(keys) = Keys::new("ed25519") else {
        return;
    };
    let ca_file = keys.dir.join("trusted_cas");
    std::fs::write(&ca_file, keys.ca_pub()).unwrap();
    let line = format!("TrustedUserCAKeys {}", ca_file.display());
    let Some(d) = start_burrowd(&[&line], None) else {
        return;
    };
    assert_forwards(
        &ssh,
        &d,
        &keys,
        "root-cert",
        &["-n", "root", "-z", "7", VALID],
    );
    // source-address that includes the client.
    let near = ["-n", "root", "-O", "source-address=127.0.0.0/8", VALID];
    assert_forwards(&ssh, &d, &keys, "near", &near);
    let expired = ["-n", "root", "-V", "20200101:20210101"];
    assert_refused(&ssh, &d, &keys, &expired, "Certificate invalid: expired");
    let other = ["-n", "alice,bob", VALID];
    assert_refused(&ssh, &d, &keys, &other, "name is not a listed principal");
    let far = ["-n", "root", "-O", "source-address=10.0.0.0/8", VALID];
    assert_refused(&ssh, &d, &keys, &far, "not from a permitted source address");
    let forced = ["-n", "root", "-O", "force-command=/bin/true", VALID];
    assert_refused(&ssh, &d, &keys, &forced, "has force-command");
    // No extensions at all: the login works, the forward is refused as sshd refuses it.
    keys.sign("no-forwarding", &["-n", "root", "-O", "clear", VALID]);
    let from = d.proc.log().len();
    let (out, err, _) = ssh_forward(&ssh, &keys, d.port, echo_server());
    wait_log(&d, from, "ID no-forwarding");
    assert_eq!(out, "", "{err}");
    assert!(err.contains("open failed"), "{err}");
}

#[test]
fn ssh_user_certificate_through_a_cert_authority_line_with_principals() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(keys) = Keys::new("ecdsa") else {
        return;
    };
    let Some(d) = start_burrowd(&[], None) else {
        return;
    };
    let line = format!("cert-authority,principals=\"ops,admins\" {}", keys.ca_pub());
    std::fs::write(d.dir.join("authorized_keys"), line).unwrap();
    keys.sign("ops-cert", &["-n", "ops", VALID]);
    let from = d.proc.log().len();
    let (out, err, code) = ssh_forward(&ssh, &keys, d.port, echo_server());
    let logged = wait_log(&d, from, "Accepted publickey for root");
    assert!(logged.contains("CA ECDSA SHA256:"), "{logged}");
    assert_eq!((out.as_str(), code), ("hello\n", 0), "{err}");
    let root = ["-n", "root", VALID];
    assert_refused(
        &ssh,
        &d,
        &keys,
        &root,
        "certificate principals not in principals=",
    );
}

#[test]
fn ssh_user_certificate_through_authorized_principals_file_and_ca_algorithms() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(keys) = Keys::new("rsa") else {
        return;
    };
    let ca_file = keys.dir.join("trusted_cas");
    std::fs::write(&ca_file, keys.ca_pub()).unwrap();
    let principals = keys.dir.join("principals_%u");
    std::fs::write(
        keys.dir.join("principals_root"),
        "# who may be root\ndeploy\n",
    )
    .unwrap();
    let lines = [
        format!("TrustedUserCAKeys {}", ca_file.display()),
        format!("AuthorizedPrincipalsFile {}", principals.display()),
    ];
    let Some(d) = start_burrowd(&[&lines[0], &lines[1]], None) else {
        return;
    };
    assert_forwards(&ssh, &d, &keys, "deploy", &["-n", "x,deploy", VALID]);
    let root = ["-n", "root", VALID];
    assert_refused(
        &ssh,
        &d,
        &keys,
        &root,
        "does not contain an authorized principal",
    );
    drop(d);
    // The same certificate, with rsa-sha2-512 outside CASignatureAlgorithms.
    let restrict = "CASignatureAlgorithms ssh-ed25519,rsa-sha2-256";
    let Some(d) = start_burrowd(&[&lines[0], &lines[1], restrict], None) else {
        return;
    };
    let (_, err, code) = ssh_forward(&ssh, &keys, d.port, echo_server());
    assert_eq!(code, 255, "{err}");
    assert!(err.contains("Permission denied"), "{err}");
}

/// sshd (the fixture's config and host key) with `-o` options, on a new port.
fn sshd_options(sshd: &Sshd, options: &[String]) -> (Proc, u16) {
    let mut args = vec![s("-h"), sshd.dir.s("host_key")];
    for o in options {
        args.extend([s("-o"), o.clone()]);
    }
    sshd_with(sshd, &args)
}

/// `burrow ... root@127.0.0.1 echo ok`: (stdout, stderr, exit code).
fn burrow_echo(dir: &TempDir, args: &[String], agent: Option<&Path>) -> (String, String, i32) {
    let mut cmd = Command::new(BURROW);
    cmd.args(args)
        .args(["-n", "root@127.0.0.1", "echo", "ok"])
        .env_remove("SSH_AUTH_SOCK")
        .env("HOME", &dir.0);
    if let Some(sock) = agent {
        cmd.env("SSH_AUTH_SOCK", sock);
    }
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn base_args(dir: &TempDir, port: u16) -> Vec<String> {
    ["-F", "/dev/null", "-p", &port.to_string(), "-o"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([
            format!("UserKnownHostsFile={}", dir.s("known_hosts")),
            "-o".into(),
            "StrictHostKeyChecking=accept-new".into(),
            "-o".into(),
            "BatchMode=yes".into(),
        ])
        .collect()
}

#[test]
fn burrow_user_certificate_file_and_agent_to_sshd_with_trusted_user_ca_keys() {
    let Some(sshd) = start_sshd() else { return };
    let Some(keys) = Keys::new("ed25519") else {
        return;
    };
    let ca_file = keys.dir.join("trusted_cas");
    std::fs::write(&ca_file, keys.ca_pub()).unwrap();
    let (proc, port) = sshd_options(&sshd, &[format!("TrustedUserCAKeys={}", ca_file.display())]);
    let dir = TempDir::new("certs-burrow");
    let accepted = |id: &str| {
        let log = proc.log();
        log.lines().any(|l| {
            l.contains("Accepted publickey for root from 127.0.0.1")
                && l.contains("ED25519-CERT")
                && l.contains(&format!("ID {id} "))
        })
    };
    // The file beside the identity (`user-cert.pub`), found by itself.
    keys.sign("beside", &["-n", "root", VALID]);
    let mut args = base_args(&dir, port);
    args.extend(["-i".into(), keys.user.display().to_string()]);
    let (out, err, code) = burrow_echo(&dir, &args, None);
    assert_eq!((out.as_str(), code), ("ok\n", 0), "{err}");
    assert!(accepted("beside"), "{}", proc.log());
    // CertificateFile elsewhere.
    keys.sign("certfile", &["-n", "root", VALID]);
    let moved = keys.dir.join("elsewhere-cert.pub");
    std::fs::rename(keys.dir.join("user-cert.pub"), &moved).unwrap();
    args.extend(["-o".into(), format!("CertificateFile={}", moved.display())]);
    let (out, err, code) = burrow_echo(&dir, &args, None);
    assert_eq!((out.as_str(), code), ("ok\n", 0), "{err}");
    assert!(accepted("certfile"), "{}", proc.log());
    // Without a certificate the key alone is not authorized.
    std::fs::remove_file(&moved).unwrap();
    let plain = &args[..args.len() - 2];
    let (_, err, code) = burrow_echo(&dir, plain, None);
    assert_ne!(code, 0, "{err}");
    // The certificate held by ssh-agent (ssh-add loads user-cert.pub with the key).
    let Some(agent) = burrow_testkit::agent::SshAgent::start(&dir) else {
        return;
    };
    keys.sign("agent", &["-n", "root", VALID]);
    let added = agent.add(&keys.user);
    assert!(String::from_utf8_lossy(&added.stderr).contains("Certificate added"));
    let (out, err, code) = burrow_echo(&dir, &base_args(&dir, port), Some(agent.sock()));
    assert_eq!((out.as_str(), code), ("ok\n", 0), "{err}");
    assert!(accepted("agent"), "{}", proc.log());
}

/// `ssh -v -W` through `port` trusting only `known_hosts` (strict checking): (stdout, stderr,
/// exit code).
fn ssh_strict(ssh: &Path, key: &Path, known_hosts: &Path, port: u16) -> (String, String, i32) {
    let out = Command::new(ssh)
        .args(["-v", "-F", "/dev/null", "-p", &port.to_string(), "-i"])
        .arg(key)
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args(["-o", "GlobalKnownHostsFile=/dev/null"])
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"])
        .args(["-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"])
        .args([
            "-W",
            &format!("127.0.0.1:{}", echo_server()),
            "root@127.0.0.1",
        ])
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Signs the host key `key` (`<key>-cert.pub`) with the CA as a host certificate.
fn sign_host(keys: &Keys, key: &Path, principals: &str) -> PathBuf {
    let mut public = key.as_os_str().to_owned();
    public.push(".pub");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-h", "-s"])
        .arg(&keys.ca)
        .args(["-I", "host", "-n", principals, VALID])
        .arg(&public)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cert = key.as_os_str().to_owned();
    cert.push("-cert.pub");
    PathBuf::from(cert)
}

#[test]
fn ssh_trusts_burrowd_host_certificate_through_a_cert_authority_line() {
    let Some(ssh) = require_binary("ssh") else {
        return;
    };
    let Some(keys) = Keys::new("ed25519") else {
        return;
    };
    // burrowd's generated ed25519 key stays plain; this ECDSA key carries the certificate.
    let host = keys.dir.join("host_ecdsa");
    keygen_type(&host, "ecdsa");
    let cert = sign_host(&keys, &host, "127.0.0.1");
    // A certificate for a key burrowd does not hold is skipped with sshd's message.
    let stray = keys.dir.join("stray");
    keygen_type(&stray, "ed25519");
    let stray_cert = sign_host(&keys, &stray, "127.0.0.1");
    let lines = [
        format!("HostKey {}", host.display()),
        format!("HostCertificate {}", stray_cert.display()),
        format!("HostCertificate {}", cert.display()),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let Some(d) = start_burrowd(&lines, None) else {
        return;
    };
    wait_log(&d, 0, "No matching private key for certificate");
    let known_hosts = keys.dir.join("known_hosts");
    let ca_line = |marker: &str| format!("{marker} [127.0.0.1]:{} {}", d.port, keys.ca_pub());
    std::fs::write(&known_hosts, ca_line("@cert-authority")).unwrap();
    let (out, err, code) = ssh_strict(&ssh, &d.client_key, &known_hosts, d.port);
    assert_eq!((out.as_str(), code), ("", 0), "{err}");
    assert!(
        err.contains("Server host certificate: ecdsa-sha2-nistp256-cert-v01@openssh.com SHA256:"),
        "{err}"
    );
    assert!(
        err.contains("matches the ECDSA-CERT host certificate"),
        "{err}"
    );
    // The CA also revoked: refused.
    let both = ca_line("@cert-authority") + &ca_line("@revoked");
    std::fs::write(&known_hosts, both).unwrap();
    let (_, err, code) = ssh_strict(&ssh, &d.client_key, &known_hosts, d.port);
    assert_eq!(code, 255, "{err}");
    assert!(err.contains("Host key verification failed."), "{err}");
}

#[test]
fn burrow_trusts_sshd_host_certificate_through_a_cert_authority_line() {
    let Some(sshd) = start_sshd() else { return };
    let Some(keys) = Keys::new("ed25519") else {
        return;
    };
    let host = sshd.dir.join("host_key");
    let signed = |principal: &str, name: &str| {
        let path = sshd.dir.join(name);
        std::fs::rename(sign_host(&keys, &host, principal), &path).unwrap();
        format!("HostCertificate={}", path.display())
    };
    let good = signed("127.0.0.1", "good-cert.pub");
    let other = signed("other.example", "other-cert.pub");
    let dir = TempDir::new("hostcert-burrow");
    let connect_with = |cert: &str, marker_lines: &[&str], extra: &[&str]| {
        let (proc, port) = sshd_options(&sshd, &[cert.to_owned()]);
        let text: String = marker_lines
            .iter()
            .map(|m| match m.split_once(' ') {
                // "marker host": a line for another name (HostKeyAlias).
                Some((marker, host)) => format!("{marker} {host} {}", keys.ca_pub()),
                None => format!("{m} [127.0.0.1]:{port} {}", keys.ca_pub()),
            })
            .collect();
        std::fs::write(dir.join("known_hosts"), text).unwrap();
        // The first value of an option wins: strict checking before base_args' accept-new.
        let mut args: Vec<String> = ["-v", "-o", "StrictHostKeyChecking=yes", "-i"]
            .map(String::from)
            .to_vec();
        args.push(sshd.client_key.display().to_string());
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        args.extend(base_args(&dir, port));
        let result = burrow_echo(&dir, &args, None);
        drop(proc);
        result
    };
    let connect = |cert: &str, marker_lines: &[&str]| connect_with(cert, marker_lines, &[]);
    // Only the CA is known: the certificate is asked for first and trusted.
    let (out, err, code) = connect(&good, &["@cert-authority"]);
    assert_eq!((out.as_str(), code), ("ok\n", 0), "{err}");
    assert!(
        err.contains("Server host certificate: ssh-ed25519-cert-v01@openssh.com SHA256:")
            && err.contains("matches the ED25519-CERT host certificate"),
        "{err}"
    );
    // The CA revoked.
    let (out, err, code) = connect(&good, &["@cert-authority", "@revoked"]);
    assert_eq!((out.as_str(), code), ("", 255), "{err}");
    assert!(err.contains("is marked as revoked"), "{err}");
    assert!(err.contains("Host key verification failed."), "{err}");
    // A certificate for another name: ssh's reason, then the plain key is unknown.
    let (out, err, code) = connect(&other, &["@cert-authority"]);
    assert_eq!((out.as_str(), code), ("", 255), "{err}");
    assert!(
        err.contains("Certificate invalid: name is not a listed principal"),
        "{err}"
    );
    assert!(err.contains("Host key verification failed."), "{err}");
    // HostKeyAlias: the alias is the principal and the known_hosts name.
    let alias = ["-o", "HostKeyAlias=other.example"];
    let (out, err, code) = connect_with(&other, &["@cert-authority other.example"], &alias);
    assert_eq!((out.as_str(), code), ("ok\n", 0), "{err}");
    assert!(
        err.contains("Host 'other.example' is known and matches the ED25519-CERT"),
        "{err}"
    );
    // The CA signed with an algorithm outside CASignatureAlgorithms.
    let only_ecdsa = ["-o", "CASignatureAlgorithms=ecdsa-sha2-nistp256"];
    let (out, err, code) = connect_with(&good, &["@cert-authority"], &only_ecdsa);
    assert_eq!((out.as_str(), code), ("", 255), "{err}");
    assert!(
        err.contains("\"ssh-ed25519\" is not in CASignatureAlgorithms"),
        "{err}"
    );
}
