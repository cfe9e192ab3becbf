//! Userauth interop, OpenSSH `ssh` -> burrow server state machine: login with a key, wrong key
//! and unknown user refused, MaxAuthTries, and known_hosts lines written by accept-new.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use burrow::host_key::{
    HostKeyCheck, HostKeyDecision, KnownHostLookup, StrictHostKeyChecking, decide,
};
use burrow_keyfiles::{KeyOptions, find_key};
use burrow_keys::{KeyPair, PublicKey};
use burrow_transport::{TransportConfig, TransportEvent};
use burrow_userauth::{AuthPolicy, Server, ServerConfig, ServerEvent, UserauthError};
use common::conn::Conn;
use common::{TempDir, keygen_ed25519, require_binary};

const TIMEOUT: Duration = Duration::from_secs(15);

/// authorized_keys text as the policy's only source: burrow-keys decides, with options.
struct AuthorizedKeysPolicy {
    user: String,
    authorized_keys: String,
}

impl AuthPolicy for AuthorizedKeysPolicy {
    type Permissions = KeyOptions;

    fn public_key(&mut self, user: &str, key: &PublicKey) -> Option<KeyOptions> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // Unknown users are looked up against an empty file: same code path.
        let text = if user == self.user {
            self.authorized_keys.as_str()
        } else {
            ""
        };
        find_key(
            text,
            &key.to_blob(),
            std::net::Ipv4Addr::LOCALHOST.into(),
            now,
            0,
        )
        .found
        .map(|k| k.options)
    }

    fn password(&mut self, _user: &str, _password: &str) -> Option<KeyOptions> {
        None
    }
}

#[derive(Debug)]
enum Served {
    Authenticated(String, KeyOptions),
    Closed(UserauthError),
    PeerLeft,
}

/// Accepts one connection and runs burrow's server state machine on it.
fn serve_userauth(
    listener: TcpListener,
    config: ServerConfig,
    mut policy: AuthorizedKeysPolicy,
) -> Served {
    let (stream, _) = listener.accept().expect("accept");
    let host_key = Arc::new([KeyPair::from_ed25519_seed(&[0x17; 32])]);
    let mut conn = Conn::server(stream, TransportConfig::default(), host_key);
    let deadline = Instant::now() + TIMEOUT;
    // The client's SERVICE_REQUEST can arrive with its NEWKEYS: keep it for the server.
    let mut early = Vec::new();
    while conn.t.session_id().is_none() || conn.kex_done == 0 {
        assert!(Instant::now() < deadline, "key exchange did not finish");
        match conn.next_event(Duration::from_millis(50)) {
            Some(TransportEvent::Payload(p)) => early.push(p),
            Some(other) => panic!("server: unexpected {other:?} during kex"),
            None => {}
        }
    }
    let session_id = conn.t.session_id().unwrap().clone();
    let mut server: Server<KeyOptions> = Server::new(
        Arc::new(config),
        session_id,
        Box::new(rand_core::OsRng),
        Instant::now(),
    );
    for p in early {
        if let Err(e) = server.handle_payload(&p, &mut policy, Instant::now()) {
            return Served::Closed(e);
        }
    }
    let mut outcome = None;
    while Instant::now() < deadline {
        while let Some(p) = server.poll_payload(Instant::now()) {
            conn.t.send_payload(&p).unwrap();
        }
        while let Some(ev) = server.poll_event() {
            outcome = Some(match ev {
                ServerEvent::Authenticated(a) => {
                    let (user, options) = a.into_parts();
                    Served::Authenticated(user, options)
                }
                ServerEvent::Closed(e) => Served::Closed(e),
            });
        }
        if let Some(outcome) = outcome {
            conn.flush();
            // Let ssh read the last message before the socket closes.
            std::thread::sleep(Duration::from_millis(300));
            return outcome;
        }
        let wait = server
            .poll_timeout()
            .map_or(Duration::from_millis(200), |t| {
                t.saturating_duration_since(Instant::now())
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(200));
        match conn.next_event(wait) {
            Some(TransportEvent::Payload(p)) => {
                if let Err(e) = server.handle_payload(&p, &mut policy, Instant::now()) {
                    return Served::Closed(e);
                }
            }
            Some(TransportEvent::Disconnected { .. }) => return Served::PeerLeft,
            Some(other) => panic!("server: unexpected {other:?}"),
            None if conn.t.is_closed() || peer_closed(&conn) => return Served::PeerLeft,
            None => {}
        }
        server.handle_timeout(Instant::now());
    }
    Served::PeerLeft
}

/// True when the peer has closed its end (a non-blocking peek reads end of file).
fn peer_closed(conn: &Conn) -> bool {
    conn.stream.set_nonblocking(true).unwrap();
    let eof = matches!(conn.stream.peek(&mut [0u8; 1]), Ok(0));
    conn.stream.set_nonblocking(false).unwrap();
    eof
}

/// Runs `ssh` with `keys` as `user` against a burrow server with `config`; returns what the
/// server saw and ssh's stderr.
fn ssh_to_burrow(
    user: &str,
    keys: &[&Path],
    authorized: &Path,
    config: ServerConfig,
) -> Option<(Served, String)> {
    ssh_to_burrow_with(user, keys, authorized, config, None)
}

/// Like `ssh_to_burrow`; with `accept_new_salt` set, known_hosts is first written by burrow's
/// accept-new decision (hashed when the salt is `Some`) and ssh runs with strict checking.
fn ssh_to_burrow_with(
    user: &str,
    keys: &[&Path],
    authorized: &Path,
    config: ServerConfig,
    accept_new_salt: Option<Option<[u8; 20]>>,
) -> Option<(Served, String)> {
    let ssh = require_binary("ssh")?;
    let dir = TempDir::new("ua-ssh");
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let known_hosts = dir.join("known_hosts");
    let mut strict = "StrictHostKeyChecking=no";
    if let Some(hash_salt) = accept_new_salt {
        let host_key = KeyPair::from_ed25519_seed(&[0x17; 32]).public_key().clone();
        let decision = decide(&HostKeyCheck {
            policy: StrictHostKeyChecking::AcceptNew,
            host: "127.0.0.1",
            port,
            key: &host_key,
            user_known_hosts: &known_hosts.display().to_string(),
            lookup: KnownHostLookup::Unknown,
            known_without_port: false,
            hash_salt,
        });
        let HostKeyDecision::AcceptAndAppend { line, message, .. } = decision else {
            panic!("accept-new did not append: {decision:?}");
        };
        assert_eq!(
            message,
            format!(
                "Warning: Permanently added '[127.0.0.1]:{port}' (ED25519) to the list of known hosts."
            )
        );
        std::fs::write(&known_hosts, line).unwrap();
        strict = "StrictHostKeyChecking=yes";
    }
    let policy = AuthorizedKeysPolicy {
        user: "alice".into(),
        authorized_keys: std::fs::read_to_string(authorized.with_extension("pub")).unwrap(),
    };
    let server = std::thread::spawn(move || serve_userauth(listener, config, policy));
    let mut cmd = Command::new(ssh);
    cmd.args(["-v", "-F", "/dev/null", "-p", &port.to_string()])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args(["-o", strict, "-o", "BatchMode=yes"])
        .args(["-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"])
        .env_remove("SSH_AUTH_SOCK");
    for key in keys {
        cmd.arg("-i").arg(key);
    }
    let out = cmd
        .args(["-N", &format!("{user}@127.0.0.1")])
        .stdin(Stdio::null())
        .output()
        .expect("run ssh");
    let served = server.join().expect("server thread");
    Some((served, String::from_utf8_lossy(&out.stderr).into_owned()))
}

#[test]
fn openssh_client_logs_in_to_burrow_server_with_its_key() {
    let dir = TempDir::new("ua-srv-ok");
    if require_binary("ssh-keygen").is_none() {
        return;
    }
    let key = dir.join("id_ed25519");
    keygen_ed25519(&key);
    let Some((served, stderr)) = ssh_to_burrow("alice", &[&key], &key, ServerConfig::default())
    else {
        return;
    };
    match served {
        Served::Authenticated(user, options) => {
            assert_eq!(user, "alice");
            assert!(options.port_forwarding, "{options:?}");
        }
        other => panic!("server: {other:?}\n{stderr}"),
    }
    assert!(
        stderr.contains("Authenticated to 127.0.0.1"),
        "ssh stderr:\n{stderr}"
    );
}

#[test]
fn burrow_server_refuses_wrong_key_and_unknown_user_like_sshd() {
    let dir = TempDir::new("ua-srv-refuse");
    if require_binary("ssh-keygen").is_none() {
        return;
    }
    let good = dir.join("id_good");
    let wrong = dir.join("id_wrong");
    keygen_ed25519(&good);
    keygen_ed25519(&wrong);
    for (user, key) in [("alice", &wrong), ("mallory", &good)] {
        let Some((served, stderr)) = ssh_to_burrow(user, &[key], &good, ServerConfig::default())
        else {
            return;
        };
        assert!(
            stderr.contains(&format!("{user}@127.0.0.1: Permission denied (publickey).")),
            "ssh stderr:\n{stderr}"
        );
        assert!(
            matches!(served, Served::PeerLeft),
            "{user}: server saw {served:?}"
        );
    }
}

#[test]
fn burrow_server_disconnects_ssh_after_max_auth_tries() {
    let dir = TempDir::new("ua-srv-tries");
    if require_binary("ssh-keygen").is_none() {
        return;
    }
    let good = dir.join("id_good");
    keygen_ed25519(&good);
    let wrong: Vec<PathBuf> = (0..3).map(|i| dir.join(&format!("id_wrong{i}"))).collect();
    for w in &wrong {
        keygen_ed25519(w);
    }
    let keys: Vec<&Path> = wrong.iter().map(PathBuf::as_path).collect();
    let config = ServerConfig {
        max_auth_tries: 2,
        ..ServerConfig::default()
    };
    let Some((served, stderr)) = ssh_to_burrow("alice", &keys, &good, config) else {
        return;
    };
    assert!(
        matches!(
            served,
            Served::Closed(UserauthError::TooManyAuthFailures {
                failures: 2,
                max: 2
            })
        ),
        "{served:?}"
    );
    assert!(
        stderr.contains(":2: Too many authentication failures"),
        "ssh stderr:\n{stderr}"
    );
}

#[test]
fn known_hosts_line_written_by_accept_new_is_trusted_by_strict_ssh() {
    let dir = TempDir::new("ua-srv-known");
    if require_binary("ssh-keygen").is_none() {
        return;
    }
    let key = dir.join("id_ed25519");
    keygen_ed25519(&key);
    for salt in [None, Some([0x42; 20])] {
        let Some((served, stderr)) =
            ssh_to_burrow_with("alice", &[&key], &key, ServerConfig::default(), Some(salt))
        else {
            return;
        };
        assert!(
            matches!(served, Served::Authenticated(..)),
            "hashed={}: {served:?}\n{stderr}",
            salt.is_some()
        );
        assert!(
            stderr.contains("Host '[127.0.0.1]:")
                && stderr.contains("is known and matches the ED25519 host key"),
            "ssh stderr:\n{stderr}"
        );
    }
}
