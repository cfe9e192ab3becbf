//! End to end as root, with throwaway users and OpenSSH's `ssh`: who burrowd lets in.
//! `AllowUsers user@host` checks the client address, locked (`!`) and expired accounts are
//! refused, and a symlinked authorized_keys is judged where it points and read with the
//! user's rights.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod privsep;

use std::net::{Ipv4Addr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::*;
use privsep::*;

/// Whether `user` logs in: `ssh -N -L` comes up (true) or ssh exits (false).
fn logs_in(d: &Daemon, user: &User) -> bool {
    let ssh = require_binary("ssh").unwrap();
    let dir = TempDir::new("acct");
    let lport = free_port();
    let mut a = client_opts(&dir, &user.key, d.port);
    a.extend(
        [
            "-o",
            "ExitOnForwardFailure=yes",
            "-N",
            "-L",
            &format!("{lport}:127.0.0.1:9"),
        ]
        .map(str::to_owned),
    );
    a.push(format!("{}@127.0.0.1", user.name));
    let mut c = spawn(ssh.to_str().unwrap(), &a, &dir, "ssh.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if c.child.try_wait().unwrap().is_some() {
            assert!(c.log().contains("Permission denied"), "{}", c.log());
            return false;
        }
        if TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("ssh neither logged in nor failed:\n{}", c.log());
}

#[test]
fn allow_users_user_at_host_checks_the_client_address() {
    if !can_run() {
        return;
    }
    let a = User::new("ah", false);
    let elsewhere = start_daemon(&[&format!("AllowUsers {}@10.0.0.0/8", a.name)], None);
    assert!(!logs_in(&elsewhere, &a), "the host part was ignored");
    elsewhere.proc.expect_log(
        "not allowed by AllowUsers/DenyUsers",
        Duration::from_secs(5),
    );
    let here = start_daemon(&[&format!("AllowUsers {}@127.0.0.0/8", a.name)], None);
    assert!(logs_in(&here, &a), "{}", here.proc.log());
    let denied = start_daemon(&[&format!("DenyUsers {}@127.0.0.1", a.name)], None);
    assert!(!logs_in(&denied, &a));
}

#[test]
fn locked_account_is_refused() {
    if !can_run() {
        return;
    }
    let a = User::new("lk", true);
    let d = start_daemon(&[], None);
    assert!(!logs_in(&d, &a), "a locked (!) account logged in");
    d.proc.expect_log(
        &format!("User {} not allowed because account is locked", a.name),
        Duration::from_secs(5),
    );
    // `*` (no password, keys only) is not a lock.
    a.usermod(&["-p", "*"]);
    assert!(logs_in(&d, &a), "{}", d.proc.log());
}

#[test]
fn expired_account_is_refused() {
    if !can_run() {
        return;
    }
    let a = User::new("ex", false);
    a.usermod(&["-e", "1970-01-02"]);
    let d = start_daemon(&[], None);
    assert!(!logs_in(&d, &a), "an expired account logged in");
    d.proc.expect_log(
        &format!("Account {} has expired", a.name),
        Duration::from_secs(5),
    );
    a.usermod(&["-e", ""]);
    assert!(logs_in(&d, &a), "{}", d.proc.log());
}

#[test]
fn symlinked_authorized_keys_is_checked_where_it_points_and_read_as_the_user() {
    if !can_run() {
        return;
    }
    let a = User::new("sl", false);
    let d = start_daemon(&[], None);
    let ak = a.home.join(".ssh/authorized_keys");
    let key_line = std::fs::read_to_string(&ak).unwrap();
    let relink = |target: &std::path::Path| {
        std::fs::remove_file(&ak).unwrap();
        std::os::unix::fs::symlink(target, &ak).unwrap();
        std::os::unix::fs::lchown(&ak, Some(a.uid), Some(a.gid)).unwrap();
    };
    // 1. Into a world-writable directory: anyone could have written the keys there.
    let shared = TempDir::new("acct-shared");
    std::fs::set_permissions(&shared.0, std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::write(shared.join("keys"), &key_line).unwrap();
    std::fs::set_permissions(shared.join("keys"), std::fs::Permissions::from_mode(0o644)).unwrap();
    relink(&shared.join("keys"));
    assert!(
        !logs_in(&d, &a),
        "keys in a world-writable directory were used"
    );
    d.proc.expect_log(
        "Authentication refused: bad ownership or modes for directory",
        Duration::from_secs(5),
    );
    // 2. To a file only root can reach: burrowd reads it as the user, so it is not used.
    let secret = std::path::PathBuf::from(format!("/home/bwroot{}", std::process::id()));
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(secret.join("keys"), &key_line).unwrap();
    relink(&secret.join("keys"));
    let refused = !logs_in(&d, &a);
    std::fs::remove_dir_all(&secret).unwrap();
    assert!(refused, "a root-only file was read for the user");
    // 3. Control: a link to a file in the user's own .ssh is followed.
    let own = a.home.join(".ssh/real_keys");
    std::fs::write(&own, &key_line).unwrap();
    std::os::unix::fs::chown(&own, Some(a.uid), Some(a.gid)).unwrap();
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o600)).unwrap();
    relink(&own);
    assert!(logs_in(&d, &a), "{}", d.proc.log());
}
