//! Client against server, sans-IO, for every method and the server's limits.

use std::time::{Duration, Instant};

use burrow_wire::transport::Disconnect;
use burrow_wire::{DisconnectReason, msg};

use crate::testkit::{MapPolicy, Script, keypair, pair, run, server_config};
use crate::{Identity, Method, ServerConfig, ServerEvent, UserauthError};

fn authenticated(events: &[ServerEvent<String>]) -> Option<(&str, &[Method], &str)> {
    events.iter().find_map(|e| match e {
        ServerEvent::Authenticated(a) => Some((a.user(), a.methods(), a.permissions().as_str())),
        ServerEvent::Closed(_) => None,
    })
}

#[test]
fn signed_publickey_succeeds_without_a_pk_ok_round_trip() {
    let t0 = Instant::now();
    let key = keypair(1);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let fp = key.public_key().fingerprint();
    let (client, mut server) = pair(vec![Identity::KeyPair(key)], server_config(), t0);
    let r = run(client, &mut server, &mut policy, &mut Script::default(), t0);
    assert_eq!(r.client_result, Ok(()));
    assert!(r.client_events.contains(&crate::ClientEvent::Success));
    let (user, methods, perms) = authenticated(&r.server_events).unwrap();
    assert_eq!(user, "alice");
    assert_eq!(methods, [Method::Publickey]);
    assert_eq!(perms, format!("key:{fp}"));
    // SERVICE_REQUEST, none, one signed publickey request: no query.
    assert_eq!(r.client_sent, [msg::SERVICE_REQUEST, 50, 50]);
    assert!(!r.server_sent.iter().any(|(n, _)| *n == 60));
    // SUCCESS is not delayed.
    assert_eq!(r.server_sent.last(), Some(&(52, Duration::ZERO)));
}

#[test]
fn agent_key_queries_then_signs_after_pk_ok() {
    let t0 = Instant::now();
    let key = keypair(2);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let (client, mut server) = pair(
        vec![Identity::External(key.public_key().clone())],
        server_config(),
        t0,
    );
    let mut script = Script {
        agent: Some(key),
        ..Script::default()
    };
    let r = run(client, &mut server, &mut policy, &mut script, t0);
    assert_eq!(r.client_result, Ok(()));
    assert!(r.server_sent.iter().any(|(n, _)| *n == msg::USERAUTH_PK_OK));
    assert!(
        r.client_events
            .iter()
            .any(|e| matches!(e, crate::ClientEvent::SignRequest { .. }))
    );
    assert!(authenticated(&r.server_events).is_some());
    // The key was looked up twice: query and signed request.
    assert_eq!(policy.key_lookups.len(), 2);
}

#[test]
fn agent_that_cannot_sign_moves_on_to_denied() {
    let t0 = Instant::now();
    let key = keypair(2);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let (client, mut server) = pair(
        vec![Identity::External(key.public_key().clone())],
        server_config(),
        t0,
    );
    let r = run(client, &mut server, &mut policy, &mut Script::default(), t0);
    assert_eq!(
        r.client_result.unwrap_err().to_string(),
        "alice@server.example: Permission denied (publickey)."
    );
    assert!(authenticated(&r.server_events).is_none());
}

#[test]
fn agent_signature_from_another_key_is_refused() {
    let t0 = Instant::now();
    let key = keypair(2);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let (client, mut server) = pair(
        vec![Identity::External(key.public_key().clone())],
        server_config(),
        t0,
    );
    let mut script = Script {
        agent: Some(keypair(9)),
        ..Script::default()
    };
    let r = run(client, &mut server, &mut policy, &mut script, t0);
    assert!(matches!(
        r.client_result,
        Err(UserauthError::ExternalSignatureInvalid | UserauthError::PermissionDenied { .. })
    ));
    assert!(authenticated(&r.server_events).is_none());
}

#[test]
fn wrong_key_is_denied_with_openssh_message() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::with_key("alice", keypair(1).public_key().clone());
    let (client, mut server) = pair(vec![Identity::KeyPair(keypair(3))], server_config(), t0);
    let r = run(client, &mut server, &mut policy, &mut Script::default(), t0);
    let err = r.client_result.unwrap_err();
    assert_eq!(
        err.to_string(),
        "alice@server.example: Permission denied (publickey)."
    );
    assert_eq!(
        err.disconnect_reason(),
        DisconnectReason::NoMoreAuthMethodsAvailable
    );
    assert!(authenticated(&r.server_events).is_none());
    assert_eq!(server.failures(), 1);
}

#[test]
fn unknown_user_takes_the_same_path_and_time_as_a_wrong_key() {
    let t0 = Instant::now();
    let mut known = MapPolicy::with_key("alice", keypair(1).public_key().clone());
    let (c1, mut s1) = pair(vec![Identity::KeyPair(keypair(3))], server_config(), t0);
    let r1 = run(c1, &mut s1, &mut known, &mut Script::default(), t0);

    let mut nobody = MapPolicy::with_key("bob", keypair(1).public_key().clone());
    let (c2, mut s2) = pair(vec![Identity::KeyPair(keypair(3))], server_config(), t0);
    let r2 = run(c2, &mut s2, &mut nobody, &mut Script::default(), t0);

    assert_eq!(r1.server_sent, r2.server_sent);
    assert_eq!(r1.last_server_payload, r2.last_server_payload);
    assert_eq!(nobody.key_lookups, ["alice"]);
}

#[test]
fn none_probe_is_answered_at_once_and_lists_offered_methods() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    let config = ServerConfig {
        password: true,
        ..server_config()
    };
    let (client, mut server) = pair(vec![], config, t0);
    let mut script = Script {
        passwords: vec![None],
        ..Script::default()
    };
    let r = run(client, &mut server, &mut policy, &mut script, t0);
    assert_eq!(
        r.client_result.unwrap_err().to_string(),
        "alice@server.example: Permission denied (publickey,password)."
    );
    // SERVICE_ACCEPT and the FAILURE to none, both immediate.
    assert_eq!(r.server_sent, [(6, Duration::ZERO), (51, Duration::ZERO)]);
    assert_eq!(server.failures(), 0);
}

#[test]
fn password_succeeds_when_configured() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    policy.passwords.insert("alice".into(), "hunter2".into());
    let config = ServerConfig {
        password: true,
        ..server_config()
    };
    let (client, mut server) = pair(vec![], config, t0);
    let mut script = Script {
        passwords: vec![Some("wrong".into()), Some("hunter2".into())],
        ..Script::default()
    };
    let r = run(client, &mut server, &mut policy, &mut script, t0);
    assert_eq!(r.client_result, Ok(()));
    assert!(
        r.client_events
            .contains(&crate::ClientEvent::PasswordPrompt {
                prompt: "alice@server.example's password: ".into()
            })
    );
    let (_, methods, perms) = authenticated(&r.server_events).unwrap();
    assert_eq!((methods, perms), (&[Method::Password][..], "password"));
    assert_eq!(server.failures(), 1);
}

#[test]
fn password_is_refused_when_not_configured() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    policy.passwords.insert("alice".into(), "hunter2".into());
    let (mut client, mut server) = pair(vec![], server_config(), t0);
    // Force a password request although the server does not offer it.
    let mut c2 = crate::Client::new(
        crate::ClientConfig {
            methods: vec![Method::Password],
            ..crate::testkit::client_config()
        },
        crate::testkit::session_id(),
        vec![],
        Box::new(rand_core::OsRng),
    );
    core::mem::swap(&mut client, &mut c2);
    let r = run(client, &mut server, &mut policy, &mut Script::default(), t0);
    assert_eq!(
        r.client_result.unwrap_err().to_string(),
        "alice@server.example: Permission denied (publickey)."
    );
    assert!(policy.password_checks.is_empty());
}

#[test]
fn publickey_then_password_two_factor_with_partial_success() {
    let t0 = Instant::now();
    let key = keypair(1);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    policy.passwords.insert("alice".into(), "hunter2".into());
    let config = ServerConfig {
        password: true,
        authentication_methods: vec![vec![Method::Publickey, Method::Password]],
        ..server_config()
    };
    let fp = key.public_key().fingerprint();
    let (client, mut server) = pair(vec![Identity::KeyPair(key)], config, t0);
    let mut script = Script {
        passwords: vec![Some("hunter2".into())],
        ..Script::default()
    };
    let r = run(client, &mut server, &mut policy, &mut script, t0);
    assert_eq!(r.client_result, Ok(()));
    assert!(r.client_events.contains(&crate::ClientEvent::Failure {
        method: Method::Publickey,
        methods_left: vec!["password".into()],
        partial: true
    }));
    let (_, methods, perms) = authenticated(&r.server_events).unwrap();
    assert_eq!(methods, [Method::Publickey, Method::Password]);
    // The key's permissions (authorized_keys restrictions) survive the second factor.
    assert_eq!(perms, format!("key:{fp}"));
    assert_eq!(server.failures(), 0);
}

#[test]
fn second_factor_alone_is_not_enough() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    policy.passwords.insert("alice".into(), "hunter2".into());
    let config = ServerConfig {
        password: true,
        authentication_methods: vec![vec![Method::Publickey, Method::Password]],
        ..server_config()
    };
    let (client, mut server) = pair(vec![Identity::KeyPair(keypair(4))], config, t0);
    let mut script = Script {
        passwords: vec![Some("hunter2".into())],
        ..Script::default()
    };
    let r = run(client, &mut server, &mut policy, &mut script, t0);
    assert_eq!(
        r.client_result.unwrap_err().to_string(),
        "alice@server.example: Permission denied (publickey)."
    );
    assert!(policy.password_checks.is_empty());
    assert!(authenticated(&r.server_events).is_none());
}

#[test]
fn try_limit_disconnects_with_openssh_text() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::with_key("alice", keypair(1).public_key().clone());
    let wrong: Vec<Identity> = (10..20).map(|s| Identity::KeyPair(keypair(s))).collect();
    let (client, mut server) = pair(wrong, server_config(), t0);
    let r = run(client, &mut server, &mut policy, &mut Script::default(), t0);
    // none (free) + 6 wrong keys: 5 FAILUREs, then DISCONNECT instead of the 6th.
    assert_eq!(r.client_sent.iter().filter(|n| **n == 50).count(), 7);
    let failures = r.server_sent.iter().filter(|(n, _)| *n == 51).count();
    assert_eq!(failures, 1 + 5);
    assert_eq!(r.server_sent.last().map(|(n, _)| *n), Some(msg::DISCONNECT));
    let d = Disconnect::decode(&r.last_server_payload).unwrap();
    assert_eq!(d.reason_code, DisconnectReason::ProtocolError);
    assert_eq!(d.description, "Too many authentication failures");
    assert!(matches!(
        r.server_events.last(),
        Some(ServerEvent::Closed(UserauthError::TooManyAuthFailures {
            failures: 6,
            max: 6
        }))
    ));
    assert!(server.is_closed());
}

#[test]
fn login_grace_time_expiry_disconnects() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    let (mut client, mut server) = pair(vec![], server_config(), t0);
    let req = client.poll_payload().unwrap();
    server.handle_payload(&req, &mut policy, t0).unwrap();
    assert_eq!(server.poll_payload(t0).unwrap()[0], msg::SERVICE_ACCEPT);
    let deadline = t0 + Duration::from_secs(120);
    assert_eq!(server.poll_timeout(), Some(deadline));
    server.handle_timeout(deadline - Duration::from_millis(1));
    assert!(server.poll_payload(deadline).is_none());
    server.handle_timeout(deadline);
    let d = server.poll_payload(deadline).unwrap();
    assert_eq!(d[0], msg::DISCONNECT);
    assert!(matches!(
        server.poll_event(),
        Some(ServerEvent::Closed(UserauthError::LoginGraceTimeExpired {
            seconds: 120
        }))
    ));
    assert!(server.is_closed());
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn request_after_grace_time_is_not_answered() {
    let t0 = Instant::now();
    let key = keypair(1);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let (mut client, mut server) = pair(vec![Identity::KeyPair(key)], server_config(), t0);
    let late = t0 + Duration::from_secs(121);
    let req = client.poll_payload().unwrap();
    server.handle_payload(&req, &mut policy, late).unwrap();
    assert_eq!(server.poll_payload(late).unwrap()[0], msg::DISCONNECT);
    assert!(policy.key_lookups.is_empty());
}

#[test]
fn failure_is_held_until_the_delay_floor() {
    let t0 = Instant::now();
    let mut policy = MapPolicy::default();
    let config = ServerConfig {
        failure_delay: Duration::from_millis(100),
        failure_jitter: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let (mut client, mut server) = pair(vec![Identity::KeyPair(keypair(3))], config, t0);
    // SERVICE_REQUEST -> ACCEPT -> none -> FAILURE -> publickey.
    for _ in 0..2 {
        let p = client.poll_payload().unwrap();
        server.handle_payload(&p, &mut policy, t0).unwrap();
        let reply = server.poll_payload(t0).unwrap();
        client.handle_payload(&reply).unwrap();
    }
    let signed = client.poll_payload().unwrap();
    let arrival = t0 + Duration::from_secs(1);
    server
        .handle_payload(&signed, &mut policy, arrival)
        .unwrap();
    let release = server.poll_timeout().unwrap();
    assert!(release >= arrival + Duration::from_millis(100));
    assert!(release <= arrival + Duration::from_millis(300));
    assert!(
        server
            .poll_payload(arrival + Duration::from_millis(99))
            .is_none()
    );
    assert!(
        server
            .poll_payload(release - Duration::from_nanos(1))
            .is_none()
    );
    assert_eq!(
        server.poll_payload(release).unwrap()[0],
        msg::USERAUTH_FAILURE
    );
}

#[test]
fn jitter_comes_from_the_injected_rng() {
    let t0 = Instant::now();
    let config = ServerConfig {
        failure_jitter: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let release = |config: ServerConfig| {
        let mut policy = MapPolicy::default();
        let (mut client, mut server) = pair(vec![Identity::KeyPair(keypair(3))], config, t0);
        for _ in 0..2 {
            let p = client.poll_payload().unwrap();
            server.handle_payload(&p, &mut policy, t0).unwrap();
            client
                .handle_payload(&server.poll_payload(t0).unwrap())
                .unwrap();
        }
        let p = client.poll_payload().unwrap();
        server.handle_payload(&p, &mut policy, t0).unwrap();
        server.poll_timeout().unwrap()
    };
    // Same seed, same delay: the transcript is reproducible.
    assert_eq!(release(config.clone()), release(config));
}

#[test]
fn pk_ok_leaves_at_once_unlike_a_failure() {
    let t0 = Instant::now();
    let key = keypair(2);
    let mut policy = MapPolicy::with_key("alice", key.public_key().clone());
    let (client, mut server) = pair(
        vec![Identity::External(key.public_key().clone())],
        server_config(),
        t0,
    );
    let mut script = Script {
        agent: Some(key),
        ..Script::default()
    };
    let r = run(client, &mut server, &mut policy, &mut script, t0);
    let pk_ok_time = r.server_sent.iter().find(|(n, _)| *n == 60).unwrap().1;
    assert_eq!(pk_ok_time, Duration::ZERO);
}

#[test]
fn certificates_log_in_from_a_key_at_hand_and_from_the_agent() {
    let t0 = Instant::now();
    let (key, ca) = (keypair(1), keypair(2));
    let cert = burrow_keys::Certificate::from_blob(
        &crate::testkit::user_cert(&ca, key.public_key(), &["alice"]),
        &burrow_keys::SigAlg::ALL,
    )
    .unwrap();
    let certified = |id: Identity| Identity::Certified {
        key: Box::new(id),
        cert: Box::new(cert.clone()),
    };
    let mut policy = MapPolicy {
        cas: vec![ca.public_key().clone()],
        ..MapPolicy::default()
    };
    let at_hand = certified(Identity::KeyPair(keypair(1)));
    let (client, mut server) = pair(vec![at_hand], server_config(), t0);
    let r = run(client, &mut server, &mut policy, &mut Script::default(), t0);
    assert_eq!(r.client_result, Ok(()));
    assert_eq!(authenticated(&r.server_events).unwrap().2, "cert:test-id");
    assert!(policy.key_lookups.is_empty());
    let held = certified(Identity::External(key.public_key().clone()));
    let (client, mut server) = pair(vec![held], server_config(), t0);
    let mut script = Script {
        agent: Some(key),
        ..Script::default()
    };
    let r = run(client, &mut server, &mut policy, &mut script, t0);
    assert_eq!(r.client_result, Ok(()));
    // The agent is asked to sign with the certificate blob, as ssh asks ssh-agent.
    assert!(r.client_events.iter().any(|e| matches!(
        e,
        crate::ClientEvent::SignRequest { key_blob, .. } if key_blob == cert.blob()
    )));
    assert!(authenticated(&r.server_events).is_some());
}
