//! Server transitions, one test per message and limit, with hand-built client payloads.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow_wire::transport::ServiceRequest;
use burrow_wire::userauth::{
    AuthMethod, UserauthFailure, UserauthPkOk, UserauthRequest, publickey_signed_data,
};
use burrow_wire::{DisconnectReason, msg};
use bytes::Bytes;

use super::*;
use crate::testkit::{MapPolicy, keypair, rng, server_config, session_id};

fn service(name: &str) -> Bytes {
    encode(|w| {
        ServiceRequest {
            service_name: name.into(),
        }
        .encode(w);
    })
}

fn request(user: &str, service: &str, method: AuthMethod<'_>) -> Bytes {
    let r = UserauthRequest {
        user_name: user.into(),
        service_name: service.into(),
        method,
    };
    encode(|w| r.encode(w))
}

fn none(user: &str) -> Bytes {
    request(user, "ssh-connection", AuthMethod::None)
}

fn signed(user: &str, key: &burrow_keys::KeyPair, sid: &[u8]) -> Bytes {
    let blob = key.public_key().to_blob();
    let data = publickey_signed_data(sid, user, "ssh-connection", "ssh-ed25519", &blob);
    let sig = key
        .sign(burrow_keys::SigAlg::Ed25519, &data, &mut rand_core::OsRng)
        .unwrap();
    request(
        user,
        "ssh-connection",
        AuthMethod::Publickey {
            algorithm: "ssh-ed25519".into(),
            public_key: Cow::Owned(blob),
            signature: Some(Cow::Owned(sig)),
        },
    )
}

/// A server past SERVICE_REQUEST, with SERVICE_ACCEPT drained.
fn ready(config: ServerConfig, t0: Instant) -> Server<String> {
    let mut s = Server::new(Arc::new(config), session_id(), rng(), t0);
    s.handle_payload(&service("ssh-userauth"), &mut MapPolicy::default(), t0)
        .unwrap();
    assert_eq!(s.poll_payload(t0).unwrap()[0], msg::SERVICE_ACCEPT);
    s
}

/// Every payload released by `at`.
fn drain(s: &mut Server<String>, at: Instant) -> Vec<Bytes> {
    core::iter::from_fn(|| s.poll_payload(at)).collect()
}

fn failure_of(p: &[u8]) -> UserauthFailure<'_> {
    UserauthFailure::decode(p).unwrap()
}

const LATER: Duration = Duration::from_secs(1);

#[test]
fn other_service_is_not_available() {
    let t0 = Instant::now();
    let mut s: Server<String> = Server::new(Arc::new(server_config()), session_id(), rng(), t0);
    let err = s
        .handle_payload(&service("ssh-connection"), &mut MapPolicy::default(), t0)
        .unwrap_err();
    assert_eq!(
        err.disconnect_reason(),
        DisconnectReason::ServiceNotAvailable
    );
    assert!(s.is_closed());
    assert!(s.poll_payload(t0).is_none());
}

#[test]
fn userauth_request_before_service_request_is_a_protocol_error() {
    let t0 = Instant::now();
    let mut s: Server<String> = Server::new(Arc::new(server_config()), session_id(), rng(), t0);
    assert_eq!(
        s.handle_payload(&none("alice"), &mut MapPolicy::default(), t0)
            .unwrap_err(),
        UserauthError::UnexpectedMessage {
            number: 50,
            state: "waiting for SERVICE_REQUEST"
        }
    );
}

#[test]
fn first_none_lists_configured_methods_and_is_free() {
    let t0 = Instant::now();
    let mut s = ready(
        ServerConfig {
            password: true,
            ..server_config()
        },
        t0,
    );
    s.handle_payload(&none("alice"), &mut MapPolicy::default(), t0)
        .unwrap();
    let out = drain(&mut s, t0);
    let f = failure_of(&out[0]);
    assert_eq!(
        f.authentications_that_can_continue.as_str(),
        "publickey,password"
    );
    assert!(!f.partial_success);
    assert_eq!(s.failures(), 0);
    // A second none counts.
    s.handle_payload(&none("alice"), &mut MapPolicy::default(), t0)
        .unwrap();
    assert_eq!(s.failures(), 1);
}

#[test]
fn banner_goes_out_once_before_the_first_reply() {
    let t0 = Instant::now();
    let mut s = ready(
        ServerConfig {
            banner: Some("Welcome\n".into()),
            ..server_config()
        },
        t0,
    );
    let mut policy = MapPolicy::default();
    s.handle_payload(&none("alice"), &mut policy, t0).unwrap();
    s.handle_payload(&none("alice"), &mut policy, t0).unwrap();
    let numbers: Vec<u8> = drain(&mut s, t0).iter().map(|p| p[0]).collect();
    assert_eq!(numbers, [msg::USERAUTH_BANNER, 51, 51]);
}

#[test]
fn changing_user_between_requests_is_refused() {
    let t0 = Instant::now();
    let mut s = ready(server_config(), t0);
    let mut policy = MapPolicy::default();
    s.handle_payload(&none("alice"), &mut policy, t0).unwrap();
    let err = s
        .handle_payload(&none("root"), &mut policy, t0)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "change of username or service not allowed: (alice,ssh-connection) -> (root,ssh-connection)"
    );
    assert!(s.is_closed());
}

#[test]
fn query_for_an_accepted_key_gets_pk_ok_for_that_key() {
    let t0 = Instant::now();
    let key = keypair(1);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let mut s = ready(server_config(), t0);
    let blob = key.public_key().to_blob();
    let q = request(
        "alice",
        "ssh-connection",
        AuthMethod::Publickey {
            algorithm: "ssh-ed25519".into(),
            public_key: Cow::Owned(blob.clone()),
            signature: None,
        },
    );
    s.handle_payload(&q, &mut policy, t0).unwrap();
    // Not held like a refusal: it leaves at once.
    let out = drain(&mut s, t0);
    let ok = UserauthPkOk::decode(&out[0]).unwrap();
    assert_eq!(
        (&*ok.algorithm, &*ok.public_key),
        ("ssh-ed25519", &blob[..])
    );
    assert_eq!(s.failures(), 0);
    assert!(!s.is_authenticated());
}

#[test]
fn signature_over_another_session_id_is_refused() {
    let t0 = Instant::now();
    let key = keypair(1);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let mut s = ready(server_config(), t0);
    s.handle_payload(&signed("alice", &key, &[0u8; 32]), &mut policy, t0)
        .unwrap();
    let out = drain(&mut s, t0 + LATER);
    assert_eq!(out[0][0], msg::USERAUTH_FAILURE);
    assert!(s.poll_event().is_none());
    assert_eq!(s.failures(), 1);
}

#[test]
fn signed_request_succeeds_and_yields_the_token_when_released() {
    let t0 = Instant::now();
    let key = keypair(1);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let mut s = ready(server_config(), t0);
    s.handle_payload(
        &signed("alice", &key, session_id().as_bytes()),
        &mut policy,
        t0,
    )
    .unwrap();
    assert!(s.is_authenticated());
    assert!(s.poll_event().is_none(), "token before SUCCESS left");
    assert_eq!(s.poll_payload(t0).unwrap()[0], msg::USERAUTH_SUCCESS);
    let Some(ServerEvent::Authenticated(a)) = s.poll_event() else {
        panic!("no token");
    };
    assert_eq!(a.user(), "alice");
    // Requests after success are ignored, as OpenSSH does.
    s.handle_payload(&none("alice"), &mut policy, t0).unwrap();
    assert!(s.poll_payload(t0 + LATER).is_none());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn non_ed25519_algorithm_is_refused_without_lookup() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    let mut s = ready(server_config(), t0);
    let q = request(
        "alice",
        "ssh-connection",
        AuthMethod::Publickey {
            algorithm: "ssh-rsa".into(),
            public_key: Cow::Borrowed(b"\0\0\0\x07ssh-rsa"),
            signature: None,
        },
    );
    s.handle_payload(&q, &mut policy, t0).unwrap();
    assert!(policy.key_lookups.is_empty());
    assert_eq!(drain(&mut s, t0 + LATER)[0][0], msg::USERAUTH_FAILURE);
}

#[test]
fn key_blob_naming_another_algorithm_than_the_request_is_refused() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    let mut s = ready(server_config(), t0);
    let q = request(
        "alice",
        "ssh-connection",
        AuthMethod::Publickey {
            algorithm: "ssh-ed25519".into(),
            public_key: Cow::Borrowed(b"\0\0\0\x07ssh-rsa\0\0\0\x01\x03"),
            signature: None,
        },
    );
    s.handle_payload(&q, &mut policy, t0).unwrap();
    assert!(policy.key_lookups.is_empty());
    assert_eq!(s.failures(), 1);
}

#[test]
fn password_change_attempt_is_refused_without_checking() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    policy.passwords.insert("alice".into(), "old".into());
    let mut s = ready(
        ServerConfig {
            password: true,
            ..server_config()
        },
        t0,
    );
    let q = request(
        "alice",
        "ssh-connection",
        AuthMethod::Password {
            password: "old".into(),
            new_password: Some("new".into()),
        },
    );
    s.handle_payload(&q, &mut policy, t0).unwrap();
    assert!(policy.password_checks.is_empty());
    assert_eq!(s.failures(), 1);
}

#[test]
fn other_service_than_ssh_connection_fails_every_method() {
    let t0 = Instant::now();
    let key = keypair(1);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let mut s = ready(server_config(), t0);
    let blob = key.public_key().to_blob();
    let data = publickey_signed_data(
        session_id().as_bytes(),
        "alice",
        "ssh-agent-forward",
        "ssh-ed25519",
        &blob,
    );
    let q = request(
        "alice",
        "ssh-agent-forward",
        AuthMethod::Publickey {
            algorithm: "ssh-ed25519".into(),
            public_key: Cow::Owned(blob),
            signature: Some(Cow::Owned(
                key.sign(burrow_keys::SigAlg::Ed25519, &data, &mut rand_core::OsRng)
                    .unwrap(),
            )),
        },
    );
    s.handle_payload(&q, &mut policy, t0).unwrap();
    assert!(!s.is_authenticated());
    assert!(policy.key_lookups.is_empty());
}

#[test]
fn unknown_and_keyboard_interactive_methods_fail_and_count() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    let mut s = ready(server_config(), t0);
    let hostbased = request(
        "alice",
        "ssh-connection",
        AuthMethod::Unknown {
            method_name: "hostbased".into(),
            data: Cow::Borrowed(b"xyz"),
        },
    );
    s.handle_payload(&hostbased, &mut policy, t0).unwrap();
    let kbd = request(
        "alice",
        "ssh-connection",
        AuthMethod::KeyboardInteractive {
            language_tag: "".into(),
            submethods: "".into(),
        },
    );
    s.handle_payload(&kbd, &mut policy, t0).unwrap();
    assert_eq!(s.failures(), 2);
    assert!(drain(&mut s, t0).is_empty(), "refusals are held");
    assert_eq!(drain(&mut s, t0 + LATER).len(), 2);
}

#[test]
fn info_response_is_a_protocol_error() {
    let t0 = Instant::now();
    let mut s = ready(server_config(), t0);
    assert!(matches!(
        s.handle_payload(&[61, 0, 0, 0, 0], &mut MapPolicy::default(), t0),
        Err(UserauthError::UnexpectedMessage { number: 61, .. })
    ));
}

#[test]
fn malformed_request_is_a_decode_error() {
    let t0 = Instant::now();
    let mut s = ready(server_config(), t0);
    assert!(matches!(
        s.handle_payload(&[50, 0, 0, 0, 5, b'a'], &mut MapPolicy::default(), t0),
        Err(UserauthError::Decode(_))
    ));
    assert!(s.is_closed());
}

#[test]
fn max_auth_tries_counts_like_openssh() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    let mut s = ready(
        ServerConfig {
            max_auth_tries: 3,
            ..server_config()
        },
        t0,
    );
    s.handle_payload(&none("alice"), &mut policy, t0).unwrap();
    for _ in 0..3 {
        s.handle_payload(
            &signed("alice", &keypair(5), session_id().as_bytes()),
            &mut policy,
            t0,
        )
        .unwrap();
    }
    let out = drain(&mut s, t0 + LATER);
    let numbers: Vec<u8> = out.iter().map(|p| p[0]).collect();
    assert_eq!(numbers, [51, 51, 51, msg::DISCONNECT]);
    let d = burrow_wire::transport::Disconnect::decode(out.last().unwrap()).unwrap();
    assert_eq!(
        (d.reason_code, &*d.description),
        (
            DisconnectReason::ProtocolError,
            "Too many authentication failures"
        )
    );
    // Closed: later requests are not looked at.
    s.handle_payload(&none("alice"), &mut policy, t0 + LATER)
        .unwrap();
    assert!(s.poll_payload(t0 + LATER).is_none());
}

#[test]
fn request_cap_closes_even_without_failures() {
    let t0 = Instant::now();
    let key = keypair(1);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let mut s = ready(
        ServerConfig {
            max_auth_tries: u32::MAX,
            ..server_config()
        },
        t0,
    );
    let q = request(
        "alice",
        "ssh-connection",
        AuthMethod::Publickey {
            algorithm: "ssh-ed25519".into(),
            public_key: Cow::Owned(key.public_key().to_blob()),
            signature: None,
        },
    );
    for _ in 0..MAX_REQUESTS {
        s.handle_payload(&q, &mut policy, t0).unwrap();
    }
    assert!(!s.is_closed());
    s.handle_payload(&q, &mut policy, t0).unwrap();
    assert!(s.is_closed());
    let out = drain(&mut s, t0 + LATER);
    assert_eq!(out.len(), MAX_REQUESTS as usize + 1);
    assert!(matches!(
        s.poll_event(),
        Some(ServerEvent::Closed(UserauthError::TooManyAttempts {
            attempts: 1025
        }))
    ));
}

#[test]
fn held_replies_keep_their_order_behind_a_delay() {
    let t0 = Instant::now();
    let key = keypair(1);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let mut s = ready(server_config(), t0);
    s.handle_payload(
        &signed("alice", &keypair(2), session_id().as_bytes()),
        &mut policy,
        t0,
    )
    .unwrap();
    // Pipelined right behind: its SUCCESS must not overtake the held FAILURE.
    s.handle_payload(
        &signed("alice", &key, session_id().as_bytes()),
        &mut policy,
        t0,
    )
    .unwrap();
    assert!(s.poll_payload(t0).is_none());
    let at = s.poll_timeout().unwrap();
    assert_eq!(at, t0 + Duration::from_millis(100));
    let numbers: Vec<u8> = drain(&mut s, at).iter().map(|p| p[0]).collect();
    assert_eq!(numbers, [51, 52]);
}

proptest::proptest! {
    #[test]
    fn arbitrary_client_payloads_never_panic_nor_authenticate(
        payloads in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..48), 0..12)
    ) {
        let t0 = Instant::now();
        let mut policy = MapPolicy::with_key("alice", keypair(1).public_key().clone());
        let mut s = ready(server_config(), t0);
        let mut now = t0;
        for p in payloads {
            now += Duration::from_millis(150);
            if s.handle_payload(&p, &mut policy, now).is_err() {
                proptest::prop_assert!(s.is_closed());
            }
            while s.poll_payload(now).is_some() {}
            // Random bytes never carry a valid signature: no token, ever.
            proptest::prop_assert!(!matches!(s.poll_event(), Some(ServerEvent::Authenticated(_))));
        }
    }
}

#[test]
fn login_grace_time_0_is_no_limit() {
    let t0 = Instant::now();
    let config = ServerConfig {
        login_grace_time: Duration::ZERO,
        ..server_config()
    };
    let mut s = ready(config, t0);
    assert_eq!(s.poll_timeout(), None);
    let later = t0 + Duration::from_secs(86_400);
    s.handle_timeout(later);
    assert!(!s.is_closed());
    s.handle_payload(&none("alice"), &mut MapPolicy::default(), later)
        .unwrap();
    assert!(!s.is_closed());
}

fn signed_cert(user: &str, key: &burrow_keys::KeyPair, cert: &[u8]) -> Bytes {
    let alg = "ssh-ed25519-cert-v01@openssh.com";
    let data = publickey_signed_data(session_id().as_bytes(), user, "ssh-connection", alg, cert);
    let sig = key
        .sign(burrow_keys::SigAlg::Ed25519, &data, &mut rand_core::OsRng)
        .unwrap();
    request(
        user,
        "ssh-connection",
        AuthMethod::Publickey {
            algorithm: alg.into(),
            public_key: Cow::Owned(cert.to_vec()),
            signature: Some(Cow::Owned(sig)),
        },
    )
}

#[test]
fn a_user_certificate_from_a_trusted_ca_logs_in_and_others_do_not() {
    let t0 = Instant::now();
    let (key, ca) = (keypair(1), keypair(2));
    let cert = crate::testkit::user_cert(&ca, key.public_key(), &["alice"]);
    let mut policy = MapPolicy {
        cas: vec![ca.public_key().clone()],
        ..MapPolicy::default()
    };
    // Not a listed principal, then a CA the policy does not trust, then signed by another key.
    let mut s = ready(server_config(), t0);
    s.handle_payload(&signed_cert("bob", &key, &cert), &mut policy, t0)
        .unwrap();
    let rogue = crate::testkit::user_cert(&keypair(3), key.public_key(), &["alice"]);
    s.handle_payload(&signed_cert("bob", &key, &rogue), &mut policy, t0)
        .unwrap();
    s.handle_payload(&signed_cert("bob", &keypair(4), &cert), &mut policy, t0)
        .unwrap();
    assert_eq!(s.failures(), 3);
    assert!(
        policy.key_lookups.is_empty(),
        "a certificate is no plain key"
    );
    let mut s = ready(server_config(), t0);
    s.handle_payload(&signed_cert("alice", &key, &cert), &mut policy, t0)
        .unwrap();
    assert!(s.is_authenticated());
    assert_eq!(s.poll_payload(t0).unwrap()[0], msg::USERAUTH_SUCCESS);
    let Some(ServerEvent::Authenticated(a)) = s.poll_event() else {
        panic!("no token");
    };
    assert_eq!(a.into_parts().1, "cert:test-id");
    // CASignatureAlgorithms without ssh-ed25519 refuses the same certificate.
    let mut config = server_config();
    config.ca_algorithms = vec![burrow_keys::SigAlg::RsaSha512];
    let mut s = ready(config, t0);
    s.handle_payload(&signed_cert("alice", &key, &cert), &mut policy, t0)
        .unwrap();
    assert!(!s.is_authenticated());
}
