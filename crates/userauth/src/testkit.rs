//! Test fixtures: a scripted policy, a seeded RNG, key helpers, and a pump that runs a client
//! against a server with simulated time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow_keys::{KeyPair, PublicKey};
use burrow_wire::SessionId;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;

use crate::{
    AuthPolicy, Client, ClientConfig, ClientEvent, Identity, Server, ServerConfig, ServerEvent,
    UserauthError,
};

pub fn session_id() -> SessionId {
    SessionId::new(vec![0x5a; 32])
}

pub fn keypair(seed: u8) -> KeyPair {
    KeyPair::from_ed25519_seed(&[seed; 32])
}

pub fn rng() -> Box<ChaCha20Rng> {
    Box::new(ChaCha20Rng::seed_from_u64(7))
}

/// A policy backed by maps; permissions are a label naming what matched.
#[derive(Default)]
pub struct MapPolicy {
    pub keys: HashMap<String, Vec<PublicKey>>,
    pub passwords: HashMap<String, String>,
    pub key_lookups: Vec<String>,
    /// CA keys whose user certificates are accepted for any user they name.
    pub cas: Vec<PublicKey>,
    pub password_checks: Vec<String>,
}

impl MapPolicy {
    pub fn with_key(user: &str, key: PublicKey) -> Self {
        let mut p = Self::default();
        p.keys.insert(user.into(), vec![key]);
        p
    }
}

impl AuthPolicy for MapPolicy {
    type Permissions = String;

    fn public_key(&mut self, user: &str, key: &PublicKey) -> Option<String> {
        self.key_lookups.push(user.to_owned());
        self.keys
            .get(user)?
            .iter()
            .any(|k| k == key)
            .then(|| format!("key:{}", key.fingerprint()))
    }

    fn certificate(&mut self, user: &str, cert: &burrow_keys::Certificate) -> Option<String> {
        self.cas.contains(&cert.signature_key).then_some(())?;
        cert.check(burrow_keys::CertType::User, 1_800_000_000, |p| p == user)
            .ok()
            .map(|()| format!("cert:{}", cert.key_id))
    }

    fn password(&mut self, user: &str, password: &str) -> Option<String> {
        self.password_checks.push(user.to_owned());
        (self.passwords.get(user)? == password).then(|| "password".to_owned())
    }
}

/// Answers the client's questions in a test.
#[derive(Default)]
pub struct Script {
    pub passwords: Vec<Option<String>>,
    pub prompt_answers: Vec<Vec<String>>,
    /// Signs agent requests with this key (None: `signing_failed`).
    pub agent: Option<KeyPair>,
}

/// What a client-server run produced.
#[derive(Debug)]
pub struct Run {
    pub client_result: Result<(), UserauthError>,
    pub client_events: Vec<ClientEvent>,
    pub server_events: Vec<ServerEvent<String>>,
    /// Server payload numbers in the order they were delivered, with their release time.
    pub server_sent: Vec<(u8, Duration)>,
    pub client_sent: Vec<u8>,
    pub last_server_payload: Vec<u8>,
}

/// Runs `client` against `server` until both are quiet, advancing simulated time to the
/// server's `poll_timeout` when nothing else moves.
pub fn run(
    mut client: Client,
    server: &mut Server<String>,
    policy: &mut MapPolicy,
    script: &mut Script,
    t0: Instant,
) -> Run {
    let mut now = t0;
    let mut out = Run {
        client_result: Ok(()),
        client_events: Vec::new(),
        server_events: Vec::new(),
        server_sent: Vec::new(),
        client_sent: Vec::new(),
        last_server_payload: Vec::new(),
    };
    for _ in 0..1000 {
        let mut moved = false;
        while let Some(p) = client.poll_payload() {
            moved = true;
            out.client_sent.push(p[0]);
            server.handle_payload(&p, policy, now).unwrap();
        }
        while let Some(p) = server.poll_payload(now) {
            moved = true;
            out.server_sent.push((p[0], now - t0));
            out.last_server_payload = p.to_vec();
            if p[0] == burrow_wire::msg::DISCONNECT {
                continue;
            }
            if let Err(e) = client.handle_payload(&p) {
                out.client_result = Err(e);
            }
        }
        while let Some(ev) = server.poll_event() {
            out.server_events.push(ev);
        }
        while let Some(ev) = client.poll_event() {
            moved = true;
            let answer = match &ev {
                ClientEvent::PasswordPrompt { .. } => {
                    let pw = script.passwords.remove(0);
                    Some(client.answer_password(pw.as_deref()))
                }
                ClientEvent::Prompt { .. } => {
                    let answers = script.prompt_answers.remove(0);
                    let refs: Vec<&str> = answers.iter().map(String::as_str).collect();
                    Some(client.answer_prompts(&refs))
                }
                ClientEvent::SignRequest {
                    data, algorithm, ..
                } => Some(match &script.agent {
                    Some(k) => client.provide_signature(
                        &k.sign(*algorithm, data, &mut rand_core::OsRng)
                            .unwrap_or_default(),
                    ),
                    None => client.signing_failed(),
                }),
                _ => None,
            };
            if let Some(Err(e)) = answer {
                out.client_result = Err(e);
            }
            out.client_events.push(ev);
        }
        if !moved {
            match server.held_until() {
                Some(t) if t > now => {
                    assert_eq!(server.poll_timeout(), Some(t));
                    now = t;
                    server.handle_timeout(now);
                }
                _ => return out,
            }
        }
    }
    panic!("client and server did not settle");
}

pub fn client_config() -> ClientConfig {
    ClientConfig::new("alice", "server.example")
}

pub fn server_config() -> ServerConfig {
    ServerConfig {
        failure_jitter: Duration::ZERO,
        ..ServerConfig::default()
    }
}

pub fn pair(
    identities: Vec<Identity>,
    config: ServerConfig,
    t0: Instant,
) -> (Client, Server<String>) {
    (
        Client::new(
            client_config(),
            session_id(),
            identities,
            Box::new(rand_core::OsRng),
        ),
        Server::new(Arc::new(config), session_id(), rng(), t0),
    )
}

/// A user certificate (PROTOCOL.certkeys) for the ed25519 `key`, signed by `ca`, valid from
/// 1,700,000,000 to 1,900,000,000 for `principals`.
pub fn user_cert(ca: &KeyPair, key: &PublicKey, principals: &[&str]) -> Vec<u8> {
    let mut buf = bytes::BytesMut::new();
    let mut w = burrow_wire::Writer::new(&mut buf);
    let mut names = bytes::BytesMut::new();
    for p in principals {
        burrow_wire::Writer::new(&mut names).utf8(p);
    }
    let key_fields = key
        .blob()
        .get(4 + "ssh-ed25519".len()..)
        .unwrap_or_default();
    w.utf8("ssh-ed25519-cert-v01@openssh.com").string(b"nonce");
    w.raw(key_fields)
        .uint64(9)
        .uint32(1)
        .utf8("test-id")
        .string(&names)
        .uint64(1_700_000_000)
        .uint64(1_900_000_000)
        .string(b"")
        .string(b"")
        .string(b"")
        .string(ca.public_key().blob());
    let sig = ca
        .sign(burrow_keys::SigAlg::Ed25519, &buf, &mut rand_core::OsRng)
        .unwrap_or_default();
    burrow_wire::Writer::new(&mut buf).string(&sig);
    buf.to_vec()
}
