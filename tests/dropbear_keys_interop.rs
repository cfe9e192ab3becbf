//! Dropbear (Debian's dropbear-bin 2022.83) both ways for every key type (issue 13): burrow
//! logs in to a dropbear server with RSA, ECDSA and ed25519 user keys and reaches servers
//! whose only host key is one of those types (known_hosts holds just that key); dbclient
//! logs in to burrowd with each user key (converted with dropbearconvert) and verifies
//! burrowd's RSA, ECDSA or ed25519 host key signature. Each cell carries 256 KiB through
//! a `-W`/`-B` stdio forward to an echo and back, and the server must log the key type it
//! accepted (Dropbear `with ecdsa-sha2-nistp384 key`, burrowd `ssh2: ECDSA ...`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use burrow_testkit::burrow::{Burrowd, burrow_command};
use burrow_testkit::dropbear::{Dropbear, dbclient_command};
use burrow_testkit::keys::{
    KEY_TYPES, keygen, known_hosts_line, pub_path, public_key_text, to_dropbear,
};
use burrow_testkit::targets::{echo_tcp, stdio_round_trip};
use burrow_testkit::{TempDir, local_user, require_binary};

const BYTES: usize = 256 << 10;

/// The SSH key algorithm name of a key type from `KEY_TYPES`.
fn algorithm(kind: &str) -> &'static str {
    match kind {
        "rsa-3072" => "ssh-rsa",
        "ecdsa-p256" => "ecdsa-sha2-nistp256",
        "ecdsa-p384" => "ecdsa-sha2-nistp384",
        "ecdsa-p521" => "ecdsa-sha2-nistp521",
        _ => "ssh-ed25519",
    }
}

/// The non-default key types: the ones issue 13 asks for, plus ed25519 as the control.
fn kinds() -> impl Iterator<Item = &'static str> {
    KEY_TYPES.iter().map(|(n, _)| *n)
}

/// burrow → dropbear with `user_kind` as the identity and `host_kind` as the server's only
/// host key; `Err` says what failed.
fn burrow_to_dropbear(
    dir: &TempDir,
    echo: u16,
    user_kind: &str,
    host_kind: &str,
) -> Option<Result<(), String>> {
    let key = dir.join(&format!("id_{user_kind}_{host_kind}"));
    keygen(user_kind, &key);
    let server = Dropbear::start(&(public_key_text(&pub_path(&key)) + "\n"), host_kind, &[])?;
    let known = dir.join(&format!("known_{user_kind}_{host_kind}"));
    std::fs::write(&known, known_hosts_line(server.port, &server.host_pub)).unwrap();
    let mut cmd = burrow_command(server.port, &key, &known, dir.path());
    cmd.arg("-W")
        .arg(format!("127.0.0.1:{echo}"))
        .arg(format!("{}@127.0.0.1", local_user()));
    let log = dir.join(&format!("burrow_{user_kind}_{host_kind}.log"));
    let r = stdio_round_trip(cmd, &log, BYTES).and_then(|()| {
        // Dropbear names the key type it accepted.
        let want = format!("with {} key", algorithm(user_kind));
        let log = server.log();
        match log.lines().find(|l| l.contains("auth succeeded")) {
            Some(l) if l.contains(&want) => Ok(()),
            other => Err(format!("dropbear did not log \"{want}\": {other:?}")),
        }
    });
    Some(r.map_err(|e| format!("{e}\ndropbear log:\n{}", server.log())))
}

/// dbclient → burrowd with `user_kind` as the identity and `host_kind` as burrowd's host key.
fn dbclient_to_burrowd(
    dir: &TempDir,
    echo: u16,
    user_kind: &str,
    host_kind: &str,
) -> Option<Result<(), String>> {
    let dbclient = require_binary("dbclient")?;
    let key = dir.join(&format!("db_{user_kind}_{host_kind}"));
    keygen(user_kind, &key);
    let key_db = dir.join(&format!("db_{user_kind}_{host_kind}.dropbear"));
    to_dropbear(&key, &key_db)?;
    let host = dir.join(&format!("host_{user_kind}_{host_kind}"));
    keygen(host_kind, &host);
    let server = Burrowd::start(&host, &(public_key_text(&pub_path(&key)) + "\n"), &[]);
    let mut cmd = dbclient_command(&dbclient, &key_db, server.port, dir.path());
    cmd.arg("-B")
        .arg(format!("127.0.0.1:{echo}"))
        .arg(format!("{}@127.0.0.1", local_user()));
    let log = dir.join(&format!("dbclient_{user_kind}_{host_kind}.log"));
    let r = stdio_round_trip(cmd, &log, BYTES).and_then(|()| {
        // burrowd logs the accepted key's type as sshd does (`ssh2: ECDSA SHA256:...`).
        let label = match user_kind.split('-').next() {
            Some("rsa") => "RSA",
            Some("ecdsa") => "ECDSA",
            _ => "ED25519",
        };
        let want = format!("ssh2: {label} ");
        let log = server.log();
        match log.lines().find(|l| l.contains("Accepted publickey")) {
            Some(l) if l.contains(&want) => Ok(()),
            other => Err(format!("burrowd did not log \"{want}\": {other:?}")),
        }
    });
    Some(r.map_err(|e| format!("{e}\nburrowd log:\n{}", server.log())))
}

/// Runs `cell` for every user key type (host ed25519) and every host key type (user
/// ed25519); prints the table and fails on any failing cell.
/// One cell: (temp dir, echo port, user key type, host key type) → `None` when a peer is
/// missing, else the result.
type Cell = fn(&TempDir, u16, &str, &str) -> Option<Result<(), String>>;

fn table(name: &str, cell: Cell) {
    let dir = TempDir::new("dropbear-keys");
    let echo = echo_tcp();
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (role, user, host) in kinds().map(|k| ("user key", k, "ed25519")).chain(
        kinds()
            .filter(|k| *k != "ed25519")
            .map(|k| ("host key", "ed25519", k)),
    ) {
        let label = format!(
            "{name}, {role} {}",
            if role == "user key" { user } else { host }
        );
        let Some(r) = cell(&dir, echo, user, host) else {
            return;
        };
        rows.push(format!(
            "{label}: {}",
            if r.is_ok() { "pass" } else { "FAIL" }
        ));
        if let Err(e) = r {
            failures.push(format!("{label}: {e}"));
        }
    }
    println!("{}", rows.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn burrow_to_dropbear_every_key_type() {
    table("burrow → dropbear", burrow_to_dropbear);
}

#[test]
fn dbclient_to_burrowd_every_key_type() {
    table("dbclient → burrowd", dbclient_to_burrowd);
}
