//! Fuzzes the userauth `Server`: arbitrary payload sequences (session id fixed), with time
//! advancing between them, against a policy that accepts one key and one password for
//! `alice`. Records can also ask for a correctly signed request so the success path is reached.
//! Checks: no panic, a token only for `alice`, and the outbox never grows past what was asked.
#![no_main]

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use burrow_keys::{KeyPair, PublicKey, SigAlg};
use burrow_userauth::{AuthPolicy, Method, Server, ServerConfig, ServerEvent};
use burrow_wire::SessionId;
use burrow_wire::userauth::{AuthMethod, UserauthRequest, publickey_signed_data};
use libfuzzer_sys::fuzz_target;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const SESSION_ID: [u8; 32] = [0x5a; 32];

struct Policy {
    key: PublicKey,
}

impl AuthPolicy for Policy {
    type Permissions = ();

    fn public_key(&mut self, user: &str, key: &PublicKey) -> Option<()> {
        (user == "alice" && *key == self.key).then_some(())
    }

    fn password(&mut self, user: &str, password: &str) -> Option<()> {
        (user == "alice" && password == "pw").then_some(())
    }
}

fn signed_request(key: &KeyPair, user: &str) -> Vec<u8> {
    let blob = key.public_key().to_blob();
    let data = publickey_signed_data(&SESSION_ID, user, "ssh-connection", "ssh-ed25519", &blob);
    UserauthRequest {
        user_name: user.into(),
        service_name: "ssh-connection".into(),
        method: AuthMethod::Publickey {
            algorithm: "ssh-ed25519".into(),
            public_key: Cow::Owned(blob),
            signature: Some(Cow::Owned(
                key.sign(SigAlg::Ed25519, &data, &mut ChaCha20Rng::seed_from_u64(0))
                    .unwrap_or_default(),
            )),
        },
    }
    .to_bytes()
    .to_vec()
}

/// Records processed per input: keeps each run short.
const MAX_RECORDS: usize = 64;

/// The signed requests records can ask for, made once: right key for alice, wrong key for
/// alice, right key for bob.
fn canned() -> &'static [Vec<u8>; 3] {
    static CANNED: OnceLock<[Vec<u8>; 3]> = OnceLock::new();
    CANNED.get_or_init(|| {
        let key = KeyPair::from_ed25519_seed(&[1; 32]);
        [
            signed_request(&key, "alice"),
            signed_request(&KeyPair::from_ed25519_seed(&[2; 32]), "alice"),
            signed_request(&key, "bob"),
        ]
    })
}

fn alice_key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| KeyPair::from_ed25519_seed(&[1; 32]).public_key().clone())
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let mut policy = Policy {
        key: alice_key().clone(),
    };
    let canned = canned();
    let config = ServerConfig {
        password: flags & 1 != 0,
        authentication_methods: if flags & 2 != 0 {
            vec![vec![Method::Publickey, Method::Password]]
        } else {
            Vec::new()
        },
        max_auth_tries: u32::from(flags >> 4).max(1),
        login_grace_time: Duration::from_secs(2),
        banner: (flags & 4 != 0).then(|| "hello".to_owned()),
        ..ServerConfig::default()
    };
    let t0 = Instant::now();
    let mut now = t0;
    let rng = Box::new(ChaCha20Rng::seed_from_u64(u64::from(flags)));
    let mut server: Server<()> = Server::new(
        std::sync::Arc::new(config),
        SessionId::new(SESSION_ID.to_vec()),
        rng,
        t0,
    );
    if flags & 8 != 0 {
        // Skip the service request so the fuzzer starts in userauth.
        let req = [
            5, 0, 0, 0, 12, b's', b's', b'h', b'-', b'u', b's', b'e', b'r', b'a', b'u', b't', b'h',
        ];
        assert!(server.handle_payload(&req, &mut policy, now).is_ok());
    }
    let mut sent = 0usize;
    let mut requests = 1usize;
    // Records: [time step in 10 ms units][kind][len][payload...].
    while let [step, kind, len, tail @ ..] = rest {
        if requests > MAX_RECORDS {
            break;
        }
        now += Duration::from_millis(u64::from(*step) * 10);
        let payload: Vec<u8> = match kind {
            0xfe => canned[0].clone(),
            0xfd => canned[1].clone(),
            0xfc => canned[2].clone(),
            _ => {
                let n = usize::from(*len).min(tail.len());
                let (p, _) = tail.split_at(n);
                p.to_vec()
            }
        };
        let consumed = if *kind >= 0xfc {
            0
        } else {
            usize::from(*len).min(tail.len())
        };
        rest = &tail[consumed..];
        requests += 1;
        server.handle_timeout(now);
        if server.handle_payload(&payload, &mut policy, now).is_err() {
            assert!(server.is_closed());
        }
        while server.poll_payload(now).is_some() {
            sent += 1;
        }
        while let Some(ev) = server.poll_event() {
            if let ServerEvent::Authenticated(a) = ev {
                assert_eq!(a.user(), "alice");
                assert!(!a.methods().is_empty());
            }
        }
    }
    let end = now + Duration::from_secs(10);
    server.handle_timeout(end);
    while server.poll_payload(end).is_some() {
        sent += 1;
    }
    // At most banner + reply + disconnect per request, plus SERVICE_ACCEPT.
    assert!(
        sent <= 3 * requests + 1,
        "{sent} payloads for {requests} requests"
    );
});
