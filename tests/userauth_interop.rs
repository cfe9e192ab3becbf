//! Userauth interop with OpenSSH: burrow's client state machine logs in to sshd (key file,
//! ssh-agent, refusals), and `ssh` logs in to burrow's server state machine (key, wrong key,
//! unknown user, MaxAuthTries).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use burrow_keys::{Ed25519KeyPair, Ed25519PublicKey, KeyOptions, PrivateKeyFile, find_key};
use burrow_transport::{TransportConfig, TransportEvent};
use burrow_userauth::agent::{self, AgentReply, AgentRequestKind};
use burrow_userauth::host_key::{
    HostKeyCheck, HostKeyDecision, KnownHostLookup, StrictHostKeyChecking, decide,
};
use burrow_userauth::{
    AuthPolicy, Client, ClientConfig, ClientEvent, Identity, Method, Server, ServerConfig,
    ServerEvent, UserauthError,
};
use bytes::BytesMut;
use common::auth::local_user;
use common::conn::Conn;
use common::sshd::Sshd;
use common::{TempDir, keygen_ed25519, require_binary};

const TIMEOUT: Duration = Duration::from_secs(15);

/// A connected ssh-agent socket speaking burrow's agent codec.
struct AgentConn(UnixStream);

impl AgentConn {
    fn call(
        &mut self,
        request: &[u8],
        kind: AgentRequestKind,
    ) -> Result<AgentReply, UserauthError> {
        self.0.write_all(request).unwrap();
        let mut input = BytesMut::new();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(body) = agent::take_frame(&mut input)? {
                return agent::decode_reply(&body, kind);
            }
            let n = self.0.read(&mut buf).unwrap();
            assert!(n > 0, "agent closed the socket");
            input.extend_from_slice(&buf[..n]);
        }
    }
}

/// A real `ssh-agent -D -a <sock>`, stopped by PID on drop.
struct SshAgent {
    child: Child,
    sock: PathBuf,
}

impl SshAgent {
    fn start(dir: &TempDir) -> Option<SshAgent> {
        let bin = require_binary("ssh-agent")?;
        require_binary("ssh-add")?;
        let sock = dir.join("agent.sock");
        let child = Command::new(bin)
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ssh-agent");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sock.exists() {
            assert!(Instant::now() < deadline, "ssh-agent socket did not appear");
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(SshAgent { child, sock })
    }

    fn add(&self, key: &Path) {
        let status = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.sock)
            .stderr(Stdio::null())
            .status()
            .expect("run ssh-add");
        assert!(status.success(), "ssh-add failed");
    }

    fn connect(&self) -> AgentConn {
        AgentConn(UnixStream::connect(&self.sock).expect("connect to agent"))
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let termed = Command::new("kill").args(["-TERM", &pid]).status();
        if !termed.is_ok_and(|s| s.success()) && self.child.kill().is_err() {
            eprintln!("ssh-agent {pid} already gone");
        }
        if self.child.wait().is_err() {
            eprintln!("could not reap ssh-agent {pid}");
        }
    }
}

/// Runs burrow's client state machine over `conn` until success or an error. Agent sign
/// requests go to `agent`; password prompts get `password`.
fn drive_client(
    conn: &mut Conn,
    client: &mut Client,
    mut agent: Option<&mut AgentConn>,
    password: Option<&str>,
) -> Result<(), UserauthError> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        assert!(Instant::now() < deadline, "client authentication timed out");
        while let Some(p) = client.poll_payload() {
            conn.t.send_payload(&p).unwrap();
        }
        while let Some(ev) = client.poll_event() {
            match ev {
                ClientEvent::Success => return Ok(()),
                ClientEvent::SignRequest { key_blob, data } => {
                    let agent = agent.as_deref_mut().expect("agent for sign request");
                    match agent.call(
                        &agent::sign_request(&key_blob, &data),
                        AgentRequestKind::Sign,
                    ) {
                        Ok(AgentReply::Signature(sig)) => client.provide_signature(&sig)?,
                        Ok(other) => panic!("agent answered {other:?}"),
                        Err(_) => client.signing_failed()?,
                    }
                }
                ClientEvent::PasswordPrompt { .. } => client.answer_password(password)?,
                ClientEvent::Prompt { .. } => panic!("no keyboard-interactive in these tests"),
                ClientEvent::Banner { .. } | ClientEvent::Failure { .. } => {}
            }
        }
        while let Some(p) = client.poll_payload() {
            conn.t.send_payload(&p).unwrap();
        }
        match conn.next_event(Duration::from_millis(500)) {
            Some(TransportEvent::Payload(p)) => {
                if let Some(algs) = conn.t.server_sig_algs() {
                    client.set_server_sig_algs(algs.to_vec());
                }
                client.handle_payload(&p)?;
            }
            Some(TransportEvent::Disconnected {
                reason,
                description,
            }) => panic!("server disconnected: {reason}: {description}"),
            Some(other) => panic!("unexpected {other:?}"),
            None => assert!(!conn.t.is_closed(), "connection closed"),
        }
    }
}

fn connect(sshd: &Sshd) -> Conn {
    let mut conn = Conn::client(sshd.port, TransportConfig::default());
    conn.expected_host_key = Some(sshd.host_key_blob.clone());
    conn.wait_kex(1, TIMEOUT);
    conn
}

fn client_for(conn: &Conn, user: &str, methods: Vec<Method>, ids: Vec<Identity>) -> Client {
    let config = ClientConfig {
        methods,
        password_attempts: 1,
        ..ClientConfig::new(user, "127.0.0.1")
    };
    Client::new(
        config,
        conn.t.session_id().expect("session id").clone(),
        ids,
    )
}

/// Generates a key with ssh-keygen, adds its public half to sshd's authorized_keys.
fn authorized_key_file(sshd: &Sshd, dir: &TempDir, name: &str) -> PathBuf {
    let path = dir.join(name);
    keygen_ed25519(&path);
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(sshd.dir.join("authorized_keys"))
        .unwrap();
    file.write_all(public.as_bytes()).unwrap();
    path
}

#[test]
fn burrow_client_logs_in_to_sshd_with_an_ssh_keygen_key_file() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let dir = TempDir::new("ua-keyfile");
    let key_path = authorized_key_file(&sshd, &dir, "id_ed25519");
    let key = PrivateKeyFile::parse(&std::fs::read_to_string(&key_path).unwrap())
        .unwrap()
        .decrypt(b"")
        .unwrap()
        .into_keypair();
    let mut conn = connect(&sshd);
    let mut client = client_for(
        &conn,
        &local_user(),
        vec![Method::Publickey],
        vec![Identity::KeyPair(key)],
    );
    drive_client(&mut conn, &mut client, None, None).unwrap();
    assert!(client.is_authenticated());
    assert!(
        sshd.log().contains("Accepted publickey for"),
        "sshd log:\n{}",
        sshd.log()
    );
}

#[test]
fn burrow_client_logs_in_to_sshd_through_a_real_ssh_agent() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let dir = TempDir::new("ua-agent");
    let Some(agent_proc) = SshAgent::start(&dir) else {
        return;
    };
    let key_path = authorized_key_file(&sshd, &dir, "id_agent");
    agent_proc.add(&key_path);
    let mut agent = agent_proc.connect();
    let AgentReply::Identities(ids) = agent
        .call(&agent::request_identities(), AgentRequestKind::Identities)
        .unwrap()
    else {
        panic!("no identities answer");
    };
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].comment, "burrow-test");
    let public = Ed25519PublicKey::from_blob(&ids[0].key_blob).unwrap();
    let mut conn = connect(&sshd);
    let mut client = client_for(
        &conn,
        &local_user(),
        vec![Method::Publickey],
        vec![Identity::External(public)],
    );
    drive_client(&mut conn, &mut client, Some(&mut agent), None).unwrap();
    assert!(client.is_authenticated());
    let log = sshd.log();
    assert!(log.contains("Accepted publickey for"), "sshd log:\n{log}");
}

#[test]
fn sshd_refuses_a_wrong_key_with_permission_denied() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let mut conn = connect(&sshd);
    let stranger = Ed25519KeyPair::from_seed(&[0x99; 32]);
    let user = local_user();
    let mut client = client_for(
        &conn,
        &user,
        vec![Method::Publickey],
        vec![Identity::KeyPair(stranger)],
    );
    let err = drive_client(&mut conn, &mut client, None, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{user}@127.0.0.1: Permission denied (publickey).")
    );
}

#[test]
fn sshd_refuses_an_unknown_user_with_permission_denied() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let mut conn = connect(&sshd);
    let key = sshd.client_key.clone();
    let mut client = client_for(
        &conn,
        "no-such-user-burrow",
        vec![Method::Publickey],
        vec![Identity::KeyPair(key)],
    );
    let err = drive_client(&mut conn, &mut client, None, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no-such-user-burrow@127.0.0.1: Permission denied (publickey)."
    );
}

/// sshd parses our password request and refuses it (the test user has no password sshd could
/// check without PAM, so only the refusal can be tested against a real sshd).
#[test]
fn sshd_parses_and_refuses_a_wrong_password() {
    let Some(sshd) = Sshd::start(&[
        // The fixture says `PasswordAuthentication no` first, and sshd keeps the first value:
        // a trailing Match block overrides it.
        "Match all",
        "PasswordAuthentication yes",
    ]) else {
        return;
    };
    let mut conn = connect(&sshd);
    let user = local_user();
    let mut client = client_for(&conn, &user, vec![Method::Password], vec![]);
    let err = drive_client(&mut conn, &mut client, None, Some("not-the-password")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{user}@127.0.0.1: Permission denied (publickey,password).")
    );
    let log = sshd.log();
    assert!(log.contains("Failed password for"), "sshd log:\n{log}");
}

/// authorized_keys text as the policy's only source: burrow-keys decides, with options.
struct AuthorizedKeysPolicy {
    user: String,
    authorized_keys: String,
}

impl AuthPolicy for AuthorizedKeysPolicy {
    type Permissions = KeyOptions;

    fn public_key(&mut self, user: &str, key: &Ed25519PublicKey) -> Option<KeyOptions> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // Unknown users are looked up against an empty file: same code path.
        let text = if user == self.user {
            self.authorized_keys.as_str()
        } else {
            ""
        };
        find_key(text, &key.to_blob(), "127.0.0.1", now)
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
    let host_key = Arc::new(Ed25519KeyPair::from_seed(&[0x17; 32]));
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
        let host_key = Ed25519KeyPair::from_seed(&[0x17; 32]).public_key();
        let decision = decide(&HostKeyCheck {
            policy: StrictHostKeyChecking::AcceptNew,
            host: "127.0.0.1",
            port,
            key: &host_key,
            user_known_hosts: &known_hosts.display().to_string(),
            lookup: KnownHostLookup::Unknown,
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
