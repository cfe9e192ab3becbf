//! Client transitions against a scripted server, one test per transition and hostile reply.

use std::borrow::Cow;

use burrow_wire::userauth::{
    AuthMethod, Prompt, UserauthBanner, UserauthFailure, UserauthInfoRequest, UserauthInfoResponse,
    UserauthMessage, UserauthPasswdChangereq, UserauthPkOk, UserauthRequest, UserauthSuccess,
};
use burrow_wire::{NameList, msg};
use bytes::Bytes;

use super::*;
use crate::server::encode;
use crate::testkit::{client_config, keypair, session_id};

fn accept() -> Bytes {
    encode(|w| {
        ServiceAccept {
            service_name: "ssh-userauth".into(),
        }
        .encode(w);
    })
}

fn failure(methods: &[&str], partial: bool) -> Bytes {
    let f = UserauthFailure {
        authentications_that_can_continue: NameList::from_names(methods).unwrap(),
        partial_success: partial,
    };
    encode(|w| f.encode(w))
}

fn success() -> Bytes {
    encode(|w| UserauthSuccess.encode(w))
}

fn decode_request(p: &[u8]) -> UserauthRequest<'_> {
    match UserauthMessage::decode(p, Expect60::PkOk).unwrap() {
        UserauthMessage::UserauthRequest(r) => r,
        other => panic!("not a request: {other:?}"),
    }
}

/// A client that has sent SERVICE_REQUEST and `none` and got FAILURE listing `methods`.
fn after_none(config: ClientConfig, ids: Vec<Identity>, methods: &[&str]) -> Client {
    let mut c = Client::new(config, session_id(), ids, Box::new(rand_core::OsRng));
    assert_eq!(c.poll_payload().unwrap()[0], msg::SERVICE_REQUEST);
    c.handle_payload(&accept()).unwrap();
    let none = c.poll_payload().unwrap();
    assert_eq!(decode_request(&none).method, AuthMethod::None);
    c.handle_payload(&failure(methods, false)).unwrap();
    c
}

fn kbd_config() -> ClientConfig {
    ClientConfig {
        methods: vec![Method::KeyboardInteractive],
        ..client_config()
    }
}

#[test]
fn none_success_needs_no_method() {
    let mut c = Client::new(
        client_config(),
        session_id(),
        vec![],
        Box::new(rand_core::OsRng),
    );
    assert!(c.poll_payload().is_some());
    c.handle_payload(&accept()).unwrap();
    assert!(c.poll_payload().is_some());
    c.handle_payload(&success()).unwrap();
    assert!(c.is_authenticated());
    assert_eq!(c.poll_event(), Some(ClientEvent::Success));
    let proof = c.take_authenticated().expect("a proof on success");
    assert_eq!(proof.user(), client_config().user);
    assert!(proof.methods().is_empty());
    assert!(
        c.take_authenticated().is_none(),
        "the proof is handed out once"
    );
}

#[test]
fn other_service_accepted_is_an_error() {
    let mut c = Client::new(
        client_config(),
        session_id(),
        vec![],
        Box::new(rand_core::OsRng),
    );
    let wrong = encode(|w| {
        ServiceAccept {
            service_name: "ssh-connection".into(),
        }
        .encode(w);
    });
    assert_eq!(
        c.handle_payload(&wrong).unwrap_err(),
        UserauthError::WrongServiceAccepted {
            service: "ssh-connection".into()
        }
    );
    assert!(c.is_failed());
}

#[test]
fn success_before_service_accept_is_unexpected() {
    let mut c = Client::new(
        client_config(),
        session_id(),
        vec![],
        Box::new(rand_core::OsRng),
    );
    assert_eq!(
        c.handle_payload(&success()).unwrap_err(),
        UserauthError::UnexpectedMessage {
            number: 52,
            state: "waiting for SERVICE_ACCEPT"
        }
    );
}

#[test]
fn signed_request_covers_the_rfc4252_blob_with_session_id() {
    let key = keypair(1);
    let public = key.public_key().clone();
    let mut c = after_none(
        client_config(),
        vec![Identity::KeyPair(key)],
        &["publickey"],
    );
    let p = c.poll_payload().unwrap();
    let req = decode_request(&p);
    let AuthMethod::Publickey {
        algorithm,
        public_key,
        signature: Some(sig),
    } = req.method
    else {
        panic!("not a signed publickey request");
    };
    assert_eq!(algorithm, "ssh-ed25519");
    assert_eq!(*public_key, public.to_blob()[..]);
    let signed = burrow_wire::userauth::publickey_signed_data(
        session_id().as_bytes(),
        "alice",
        "ssh-connection",
        "ssh-ed25519",
        &public.to_blob(),
    );
    public
        .verify(burrow_keys::SigAlg::Ed25519, &signed, &sig)
        .unwrap();
}

/// An RSA-2048 public key made by `ssh-keygen -t rsa -b 2048`.
const RSA_2048: [&str; 5] = [
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQC5z0ZG5v+gB+RUAAhQkZ8oAztckDHw66SxXg5TTn/aiWFfXTCh",
    "ZjMk+iMVxnugrwydV6zoiwohnW6QzqkhomjeCM3TO5ilzy5aqCVjD7WIJY9QNa5wVVQ65Mlj7KvK4XXp",
    "DggHxjGwurQP78xdVCXzOGnAtwiMnHkK1MGV/mZMNebQsBh8epqqL0Q+aJpwuwYvrs4u1hW/D13qYrO8",
    "AFN+Qt5NxscymNzVAu1d9vd+VKsIBpK6Brm7LXcUgJCy7LewHb7+kYilfcOJHf5tZYl8YNJF1uZyIttH",
    "Wvznpcw0CUOYzXd4svPPMqxSgzLWuDl0feVYPjwJEKYY71qgPOOx",
];

fn rsa_identity() -> Identity {
    let line = format!("ssh-rsa {}", RSA_2048.concat());
    Identity::External(burrow_keyfiles::parse_public_key_line(&line).unwrap().0)
}

/// The algorithm of the first publickey request after `none` for one identity.
fn first_algorithm(
    config: ClientConfig,
    id: Identity,
    sig_algs: Option<&[&str]>,
) -> Option<String> {
    let mut c = Client::new(config, session_id(), vec![id], Box::new(rand_core::OsRng));
    if let Some(algs) = sig_algs {
        c.set_server_sig_algs(algs.iter().map(|a| (*a).to_owned()).collect());
    }
    assert!(c.poll_payload().is_some());
    c.handle_payload(&accept()).unwrap();
    assert!(c.poll_payload().is_some());
    if c.handle_payload(&failure(&["publickey"], false)).is_err() {
        return None;
    }
    match decode_request(&c.poll_payload().unwrap()).method {
        AuthMethod::Publickey { algorithm, .. } => Some(algorithm.into_owned()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_sig_algs_choose_the_rsa_hash_as_openssh_does() {
    let alg = |algs| first_algorithm(client_config(), rsa_identity(), algs);
    assert_eq!(
        alg(Some(&["rsa-sha2-512", "rsa-sha2-256"])).as_deref(),
        Some("rsa-sha2-512")
    );
    assert_eq!(
        alg(Some(&["ssh-ed25519", "rsa-sha2-256"])).as_deref(),
        Some("rsa-sha2-256")
    );
    // No server-sig-algs means ssh-rsa (SHA-1), which is not accepted by default: skipped.
    assert_eq!(alg(None), None);
    assert_eq!(alg(Some(&["ssh-rsa"])), None);
    let sha1 = ClientConfig {
        pubkey_algorithms: vec![burrow_keys::SigAlg::RsaSha1],
        ..client_config()
    };
    assert_eq!(
        first_algorithm(sha1, rsa_identity(), None).as_deref(),
        Some("ssh-rsa")
    );
}

#[test]
fn non_rsa_keys_ignore_server_sig_algs_but_follow_pubkey_accepted_algorithms() {
    let ed = || Identity::KeyPair(keypair(1));
    assert_eq!(
        first_algorithm(client_config(), ed(), Some(&["rsa-sha2-512"])).as_deref(),
        Some("ssh-ed25519")
    );
    let no_ed = ClientConfig {
        pubkey_algorithms: vec![burrow_keys::SigAlg::RsaSha512],
        ..client_config()
    };
    assert_eq!(first_algorithm(no_ed, ed(), None), None);
}

#[test]
fn methods_follow_configured_order_within_servers_list() {
    let config = ClientConfig {
        methods: vec![Method::Password, Method::Publickey],
        ..client_config()
    };
    let mut c = after_none(
        config,
        vec![Identity::KeyPair(keypair(1))],
        &["publickey", "password"],
    );
    assert!(c.poll_payload().is_none());
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::PasswordPrompt { .. })
    ));
}

#[test]
fn pk_ok_for_another_key_is_refused() {
    let key = keypair(2);
    let mut c = after_none(
        client_config(),
        vec![Identity::External(key.public_key().clone())],
        &["publickey"],
    );
    let p = c.poll_payload().unwrap();
    assert!(matches!(
        decode_request(&p).method,
        AuthMethod::Publickey {
            signature: None,
            ..
        }
    ));
    let other = UserauthPkOk {
        algorithm: "ssh-ed25519".into(),
        public_key: Cow::Owned(keypair(3).public_key().to_blob()),
    };
    assert_eq!(
        c.handle_payload(&encode(|w| other.encode(w))).unwrap_err(),
        UserauthError::PkOkForOtherKey
    );
}

#[test]
fn pk_ok_after_a_signed_request_is_unexpected() {
    let mut c = after_none(
        client_config(),
        vec![Identity::KeyPair(keypair(1))],
        &["publickey"],
    );
    assert!(c.poll_payload().is_some());
    let ok = UserauthPkOk {
        algorithm: "ssh-ed25519".into(),
        public_key: Cow::Owned(keypair(1).public_key().to_blob()),
    };
    assert!(matches!(
        c.handle_payload(&encode(|w| ok.encode(w))).unwrap_err(),
        UserauthError::UnexpectedMessage { number: 60, .. }
    ));
}

#[test]
fn keyboard_interactive_prompts_go_out_and_answers_come_back() {
    let mut c = after_none(kbd_config(), vec![], &["keyboard-interactive"]);
    let p = c.poll_payload().unwrap();
    assert!(matches!(
        decode_request(&p).method,
        AuthMethod::KeyboardInteractive { .. }
    ));
    let info = UserauthInfoRequest {
        name: "Two-step".into(),
        instruction: "Answer both".into(),
        language_tag: "".into(),
        prompts: vec![
            Prompt {
                prompt: "Password: ".into(),
                echo: false,
            },
            Prompt {
                prompt: "Code: ".into(),
                echo: true,
            },
        ],
    };
    c.handle_payload(&encode(|w| info.encode(w))).unwrap();
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Prompt {
            name: "Two-step".into(),
            instruction: "Answer both".into(),
            prompts: vec![
                PromptLine {
                    text: "Password: ".into(),
                    echo: false
                },
                PromptLine {
                    text: "Code: ".into(),
                    echo: true
                },
            ]
        })
    );
    assert_eq!(
        c.answer_prompts(&["only one"]).unwrap_err(),
        UserauthError::WrongAnswerCount {
            expected: 2,
            given: 1
        }
    );
    c.answer_prompts(&["hunter2", "123456"]).unwrap();
    let p = c.poll_payload().unwrap();
    assert_eq!(
        UserauthInfoResponse::decode(&p).unwrap().responses,
        ["hunter2", "123456"]
    );
    // OpenSSH's final empty INFO_REQUEST is answered without asking.
    let empty = UserauthInfoRequest {
        name: "".into(),
        instruction: "".into(),
        language_tag: "".into(),
        prompts: vec![],
    };
    c.handle_payload(&encode(|w| empty.encode(w))).unwrap();
    let p = c.poll_payload().unwrap();
    assert!(
        UserauthInfoResponse::decode(&p)
            .unwrap()
            .responses
            .is_empty()
    );
    c.handle_payload(&success()).unwrap();
    assert!(c.is_authenticated());
    let proof = c.take_authenticated().unwrap();
    assert_eq!(proof.methods(), [Method::KeyboardInteractive]);
}

#[test]
fn keyboard_interactive_is_retried_up_to_the_attempt_limit() {
    let config = ClientConfig {
        password_attempts: 2,
        ..kbd_config()
    };
    let mut c = after_none(config, vec![], &["keyboard-interactive"]);
    assert!(c.poll_payload().is_some());
    c.handle_payload(&failure(&["keyboard-interactive"], false))
        .unwrap();
    assert!(c.poll_payload().is_some());
    let err = c
        .handle_payload(&failure(&["keyboard-interactive"], false))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "alice@server.example: Permission denied (keyboard-interactive)."
    );
}

#[test]
fn info_request_during_publickey_is_refused() {
    let mut c = after_none(
        client_config(),
        vec![Identity::KeyPair(keypair(1))],
        &["publickey"],
    );
    assert!(c.poll_payload().is_some());
    // Decoded as PK_OK (the only 60 expected now): its contents do not match our key.
    let info = UserauthInfoRequest {
        name: "".into(),
        instruction: "".into(),
        language_tag: "".into(),
        prompts: vec![],
    };
    assert!(c.handle_payload(&encode(|w| info.encode(w))).is_err());
}

#[test]
fn password_change_request_is_reported_clearly() {
    let config = ClientConfig {
        methods: vec![Method::Password],
        ..client_config()
    };
    let mut c = after_none(config, vec![], &["password"]);
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::PasswordPrompt {
            prompt: "alice@server.example's password: ".into()
        })
    );
    c.answer_password(Some("old")).unwrap();
    let p = c.poll_payload().unwrap();
    assert_eq!(
        decode_request(&p).method,
        AuthMethod::Password {
            password: "old".into(),
            new_password: None
        }
    );
    let change = UserauthPasswdChangereq {
        prompt: "Your password has expired".into(),
        language_tag: "".into(),
    };
    let err = c.handle_payload(&encode(|w| change.encode(w))).unwrap_err();
    assert_eq!(
        err,
        UserauthError::PasswordChangeRequired {
            prompt: "Your password has expired".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "server requires a password change (\"Your password has expired\"); burrow cannot change passwords"
    );
    assert!(c.is_failed());
}

#[test]
fn declining_the_password_prompt_moves_on() {
    let config = ClientConfig {
        methods: vec![Method::Password],
        ..client_config()
    };
    let mut c = after_none(config, vec![], &["password"]);
    assert!(c.poll_event().is_some());
    let err = c.answer_password(None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "alice@server.example: Permission denied (password)."
    );
    assert!(c.poll_payload().is_none());
}

#[test]
fn banner_is_handed_to_the_caller() {
    let mut c = Client::new(
        client_config(),
        session_id(),
        vec![],
        Box::new(rand_core::OsRng),
    );
    assert!(c.poll_payload().is_some());
    c.handle_payload(&accept()).unwrap();
    let banner = UserauthBanner {
        message: b"Authorized use only\n".as_slice().into(),
        language_tag: "".into(),
    };
    c.handle_payload(&encode(|w| banner.encode(w))).unwrap();
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Banner {
            message: b"Authorized use only\n".to_vec()
        })
    );
}

#[test]
fn verbs_out_of_turn_are_refused() {
    let mut c = Client::new(
        client_config(),
        session_id(),
        vec![],
        Box::new(rand_core::OsRng),
    );
    assert_eq!(
        c.provide_signature(b"sig").unwrap_err(),
        UserauthError::NotWaitingFor {
            what: "provide_signature"
        }
    );
    assert!(c.signing_failed().is_err());
    assert!(c.answer_prompts(&[]).is_err());
    assert!(c.answer_password(Some("x")).is_err());
    assert!(!c.is_failed());
}

#[test]
fn connection_layer_message_during_auth_is_unexpected() {
    let mut c = after_none(
        client_config(),
        vec![Identity::KeyPair(keypair(1))],
        &["publickey"],
    );
    assert!(matches!(
        c.handle_payload(&[msg::CHANNEL_DATA, 0, 0, 0, 0])
            .unwrap_err(),
        UserauthError::UnexpectedMessage { number: 94, .. }
    ));
}

#[test]
fn truncated_failure_is_a_decode_error() {
    let mut c = after_none(
        client_config(),
        vec![Identity::KeyPair(keypair(1))],
        &["publickey"],
    );
    assert!(matches!(
        c.handle_payload(&[51, 0, 0, 0, 9, b'p']).unwrap_err(),
        UserauthError::Decode(_)
    ));
    assert!(c.is_failed());
    // A failed client ignores whatever comes after.
    assert_eq!(c.handle_payload(&success()), Ok(()));
    assert!(!c.is_authenticated());
    assert!(c.take_authenticated().is_none(), "no proof after a failure");
}

#[test]
fn partial_success_continues_with_the_new_list() {
    let config = ClientConfig {
        methods: vec![Method::Publickey, Method::Password],
        ..client_config()
    };
    let mut c = after_none(config, vec![Identity::KeyPair(keypair(1))], &["publickey"]);
    assert!(c.poll_payload().is_some());
    c.handle_payload(&failure(&["password"], true)).unwrap();
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Failure {
            method: Method::Publickey,
            methods_left: vec!["password".into()],
            partial: true
        })
    );
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::PasswordPrompt { .. })
    ));
}

proptest::proptest! {
    #[test]
    fn arbitrary_server_payloads_never_panic(
        payloads in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..40), 0..8)
    ) {
        let mut c = Client::new(client_config(), session_id(), vec![Identity::KeyPair(keypair(1))], Box::new(rand_core::OsRng));
        let mut first = vec![accept().to_vec()];
        first.extend(payloads);
        for p in first {
            if c.handle_payload(&p).is_err() {
                proptest::prop_assert!(c.is_failed());
            }
            while c.poll_payload().is_some() {}
        }
    }
}
