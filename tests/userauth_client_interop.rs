//! Userauth interop, burrow client -> sshd: key file made by ssh-keygen, a real ssh-agent,
//! password and keyboard-interactive through PAM, publickey+password two-factor, refusals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use burrow::agent::codec::{self as agent, AgentReply, AgentRequestKind};
use burrow_keyfiles::PrivateKeyFile;
use burrow_keys::KeyPair;
use burrow_transport::{TransportConfig, TransportEvent};
use burrow_userauth::{Client, ClientConfig, ClientEvent, Identity, Method, UserauthError};
use common::agent::{AgentConn, SshAgent};
use common::auth::local_user;
use common::conn::Conn;
use common::pam_sshd::PamSshd;
use common::sshd::Sshd;
use common::{TempDir, keygen_ed25519};

const TIMEOUT: Duration = Duration::from_secs(15);

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
                ClientEvent::SignRequest {
                    key_blob,
                    algorithm,
                    data,
                } => {
                    let agent = agent.as_deref_mut().expect("agent for sign request");
                    match agent.call(
                        &agent::sign_request(&key_blob, &data, agent::sign_flags(algorithm)),
                        AgentRequestKind::Sign,
                    ) {
                        Ok(AgentReply::Signature(sig)) => client.provide_signature(&sig)?,
                        Ok(other) => panic!("agent answered {other:?}"),
                        Err(_) => client.signing_failed()?,
                    }
                }
                ClientEvent::PasswordPrompt { .. } => client.answer_password(password)?,
                ClientEvent::Prompt { prompts, .. } => {
                    let secret = password.expect("password for keyboard-interactive");
                    let answers: Vec<&str> = prompts.iter().map(|_| secret).collect();
                    client.answer_prompts(&answers)?;
                }
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
        Box::new(rand_core::OsRng),
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
    if let Err(log) = log_shows(|| sshd.log(), &["Accepted publickey for"]) {
        panic!("sshd log:\n{log}");
    }
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
    let mut agent = common::agent::connect(&agent_proc);
    let AgentReply::Identities(ids) = agent
        .call(&agent::request_identities(), AgentRequestKind::Identities)
        .unwrap()
    else {
        panic!("no identities answer");
    };
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].comment, "burrow-test");
    let identities = agent::identities(&ids);
    assert_eq!(identities.len(), 1);
    let mut conn = connect(&sshd);
    let mut client = client_for(&conn, &local_user(), vec![Method::Publickey], identities);
    drive_client(&mut conn, &mut client, Some(&mut agent), None).unwrap();
    assert!(client.is_authenticated());
    if let Err(log) = log_shows(|| sshd.log(), &["Accepted publickey for"]) {
        panic!("sshd log:\n{log}");
    }
}

#[test]
fn sshd_refuses_a_wrong_key_with_permission_denied() {
    let Some(sshd) = Sshd::start(&[]) else { return };
    let mut conn = connect(&sshd);
    let stranger = KeyPair::from_ed25519_seed(&[0x99; 32]);
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

/// The fixture sshd (UsePAM no) parses our password request and refuses it.
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
    if let Err(log) = log_shows(|| sshd.log(), &["Failed password for"]) {
        panic!("sshd log:\n{log}");
    }
}

/// Waits (up to 5 s) until `log()` contains every needle: sshd's monitor writes its log line
/// while the child is already sending the reply, so the line can trail the reply slightly.
fn log_shows(log: impl Fn() -> String, needles: &[&str]) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = log();
        if needles.iter().all(|n| text.contains(n)) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(text);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn burrow_client_logs_in_to_sshd_with_a_password_checked_by_pam() {
    let Some(sshd) = PamSshd::start("correct horse", &[]) else {
        return;
    };
    let mut conn = sshd.connect();
    let user = local_user();
    let mut client = client_for(&conn, &user, vec![Method::Password], vec![]);
    drive_client(&mut conn, &mut client, None, Some("correct horse")).unwrap();
    assert!(client.is_authenticated());
    if let Err(log) = log_shows(|| sshd.log(), &["Accepted password for"]) {
        panic!("sshd log:\n{log}");
    }
}

#[test]
fn burrow_client_logs_in_to_sshd_with_keyboard_interactive_via_pam() {
    let Some(sshd) = PamSshd::start("correct horse", &[]) else {
        return;
    };
    let mut conn = sshd.connect();
    let user = local_user();
    let mut client = client_for(&conn, &user, vec![Method::KeyboardInteractive], vec![]);
    drive_client(&mut conn, &mut client, None, Some("correct horse")).unwrap();
    assert!(client.is_authenticated());
    if let Err(log) = log_shows(|| sshd.log(), &["Accepted keyboard-interactive/pam for"]) {
        panic!("sshd log:\n{log}");
    }
}

#[test]
fn burrow_client_refused_by_pam_for_a_wrong_password() {
    let Some(sshd) = PamSshd::start("correct horse", &[]) else {
        return;
    };
    let mut conn = sshd.connect();
    let user = local_user();
    let mut client = client_for(&conn, &user, vec![Method::Password], vec![]);
    let err = drive_client(&mut conn, &mut client, None, Some("battery staple")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{user}@127.0.0.1: Permission denied (publickey,password,keyboard-interactive).")
    );
}

#[test]
fn burrow_client_does_publickey_then_password_when_sshd_requires_both() {
    let Some(sshd) = PamSshd::start(
        "correct horse",
        &["AuthenticationMethods publickey,password"],
    ) else {
        return;
    };
    let key = KeyPair::from_ed25519_seed(&[0x44; 32]);
    std::fs::write(
        sshd.dir.join("authorized_keys"),
        key.public_key().to_openssh_line("two-factor") + "\n",
    )
    .unwrap();
    let mut conn = sshd.connect();
    let user = local_user();
    let config = ClientConfig {
        methods: vec![Method::Publickey, Method::Password],
        password_attempts: 1,
        ..ClientConfig::new(&user, "127.0.0.1")
    };
    let mut client = Client::new(
        config,
        conn.t.session_id().unwrap().clone(),
        vec![Identity::KeyPair(key)],
        Box::new(rand_core::OsRng),
    );
    drive_client(&mut conn, &mut client, None, Some("correct horse")).unwrap();
    assert!(client.is_authenticated());
    if let Err(log) = log_shows(
        || sshd.log(),
        &["Partial publickey for", "Accepted password for"],
    ) {
        panic!("sshd log:\n{log}");
    }
}
