//! Byte-exact vectors written from RFC 4252 / RFC 4256 and the decoder's error cases.

use std::borrow::Cow;

use super::*;
use crate::{DecodeErrorKind, NameList};

fn decodes_to(bytes: &[u8], expect: Expect60, expected: UserauthMessage<'_>) {
    let decoded = UserauthMessage::decode(bytes, expect).unwrap();
    assert_eq!(decoded, expected);
    assert_eq!(&decoded.to_bytes()[..], bytes);
    assert_eq!(decoded.number(), bytes[0]);
}

/// byte 50, string "alice", string "ssh-connection", then the method name.
const HEAD: &[u8] = b"\x32\x00\x00\x00\x05alice\x00\x00\x00\x0essh-connection";

fn request(method: &[u8]) -> Vec<u8> {
    let mut v = HEAD.to_vec();
    v.extend(method);
    v
}

fn alice(method: AuthMethod<'static>) -> UserauthMessage<'static> {
    UserauthMessage::UserauthRequest(UserauthRequest {
        user_name: Cow::Borrowed("alice"),
        service_name: Cow::Borrowed("ssh-connection"),
        method,
    })
}

#[test]
fn none_request_vector() {
    decodes_to(
        &request(b"\x00\x00\x00\x04none"),
        Expect60::PkOk,
        alice(AuthMethod::None),
    );
}

#[test]
fn password_request_vectors() {
    decodes_to(
        &request(b"\x00\x00\x00\x08password\x00\x00\x00\x00\x06secret"),
        Expect60::PkOk,
        alice(AuthMethod::Password {
            password: Cow::Borrowed("secret"),
            new_password: None,
        }),
    );
    decodes_to(
        &request(b"\x00\x00\x00\x08password\x01\x00\x00\x00\x03old\x00\x00\x00\x03new"),
        Expect60::PkOk,
        alice(AuthMethod::Password {
            password: Cow::Borrowed("old"),
            new_password: Some(Cow::Borrowed("new")),
        }),
    );
}

#[test]
fn password_change_without_new_password_is_truncated() {
    let err = UserauthRequest::decode(&request(b"\x00\x00\x00\x08password\x01\x00\x00\x00\x03old"))
        .unwrap_err();
    assert_eq!(err.what, "password.new_password");
}

#[test]
fn publickey_query_and_signed_request_vectors() {
    decodes_to(
        &request(b"\x00\x00\x00\x09publickey\x00\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x03KEY"),
        Expect60::PkOk,
        alice(AuthMethod::Publickey {
            algorithm: Cow::Borrowed("ssh-ed25519"),
            public_key: Cow::Borrowed(b"KEY"),
            signature: None,
        }),
    );
    decodes_to(
        &request(
            b"\x00\x00\x00\x09publickey\x01\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x03KEY\
              \x00\x00\x00\x03SIG",
        ),
        Expect60::PkOk,
        alice(AuthMethod::Publickey {
            algorithm: Cow::Borrowed("ssh-ed25519"),
            public_key: Cow::Borrowed(b"KEY"),
            signature: Some(Cow::Borrowed(b"SIG")),
        }),
    );
}

#[test]
fn publickey_signed_data_follows_rfc4252_section_7() {
    let expected = b"\x00\x00\x00\x02ID\x32\x00\x00\x00\x05alice\
        \x00\x00\x00\x0essh-connection\x00\x00\x00\x09publickey\x01\
        \x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x03KEY";
    let got = publickey_signed_data(b"ID", "alice", "ssh-connection", "ssh-ed25519", b"KEY");
    assert_eq!(&got[..], &expected[..]);
    let bytes = request(
        b"\x00\x00\x00\x09publickey\x01\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x03KEY\
          \x00\x00\x00\x03SIG",
    );
    let req = UserauthRequest::decode(&bytes).unwrap();
    assert_eq!(&req.signed_data(b"ID").unwrap()[..], &expected[..]);
    let none_bytes = request(b"\x00\x00\x00\x04none");
    let none = UserauthRequest::decode(&none_bytes).unwrap();
    assert_eq!(none.signed_data(b"ID"), None);
}

#[test]
fn keyboard_interactive_request_vector() {
    decodes_to(
        &request(b"\x00\x00\x00\x14keyboard-interactive\x00\x00\x00\x00\x00\x00\x00\x00"),
        Expect60::InfoRequest,
        alice(AuthMethod::KeyboardInteractive {
            language_tag: Cow::Borrowed(""),
            submethods: Cow::Borrowed(""),
        }),
    );
}

#[test]
fn unknown_method_keeps_raw_data() {
    let bytes = request(b"\x00\x00\x00\x09hostbased\x00\x00\x00\x01x");
    let m = UserauthRequest::decode(&bytes).unwrap();
    assert_eq!(
        m.method,
        AuthMethod::Unknown {
            method_name: Cow::Borrowed("hostbased"),
            data: Cow::Borrowed(b"\x00\x00\x00\x01x"),
        }
    );
    assert_eq!(m.method.name(), "hostbased");
    assert_eq!(&m.to_bytes()[..], &bytes[..]);
}

#[test]
fn failure_success_banner_vectors() {
    decodes_to(
        b"\x33\x00\x00\x00\x12publickey,password\x00",
        Expect60::PkOk,
        UserauthMessage::UserauthFailure(UserauthFailure {
            authentications_that_can_continue: NameList::from_names(&["publickey", "password"])
                .unwrap(),
            partial_success: false,
        }),
    );
    decodes_to(
        b"\x34",
        Expect60::PkOk,
        UserauthMessage::UserauthSuccess(UserauthSuccess),
    );
    decodes_to(
        b"\x35\x00\x00\x00\x03hi\n\x00\x00\x00\x00",
        Expect60::PkOk,
        UserauthMessage::UserauthBanner(UserauthBanner {
            message: Cow::Borrowed(b"hi\n"),
            language_tag: Cow::Borrowed(""),
        }),
    );
}

#[test]
fn message_60_is_read_as_expected() {
    // Two strings: valid as PK_OK and as PASSWD_CHANGEREQ, read by what the client tried.
    let bytes = b"\x3c\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x03KEY";
    decodes_to(
        bytes,
        Expect60::PkOk,
        UserauthMessage::UserauthPkOk(UserauthPkOk {
            algorithm: Cow::Borrowed("ssh-ed25519"),
            public_key: Cow::Borrowed(b"KEY"),
        }),
    );
    decodes_to(
        bytes,
        Expect60::PasswdChangereq,
        UserauthMessage::UserauthPasswdChangereq(UserauthPasswdChangereq {
            prompt: Cow::Borrowed("ssh-ed25519"),
            language_tag: Cow::Borrowed("KEY"),
        }),
    );
    let err = UserauthMessage::decode(bytes, Expect60::InfoRequest).unwrap_err();
    assert_eq!(err.what, "USERAUTH_INFO_REQUEST.language_tag");
}

#[test]
fn info_request_and_response_vectors() {
    decodes_to(
        b"\x3c\x00\x00\x00\x00\x00\x00\x00\x02hi\x00\x00\x00\x00\x00\x00\x00\x02\
          \x00\x00\x00\x0aPassword: \x00\x00\x00\x00\x04OTP:\x01",
        Expect60::InfoRequest,
        UserauthMessage::UserauthInfoRequest(UserauthInfoRequest {
            name: Cow::Borrowed(""),
            instruction: Cow::Borrowed("hi"),
            language_tag: Cow::Borrowed(""),
            prompts: vec![
                Prompt {
                    prompt: Cow::Borrowed("Password: "),
                    echo: false,
                },
                Prompt {
                    prompt: Cow::Borrowed("OTP:"),
                    echo: true,
                },
            ],
        }),
    );
    decodes_to(
        b"\x3d\x00\x00\x00\x02\x00\x00\x00\x02pw\x00\x00\x00\x00",
        Expect60::PkOk,
        UserauthMessage::UserauthInfoResponse(UserauthInfoResponse {
            responses: vec![Cow::Borrowed("pw"), Cow::Borrowed("")],
        }),
    );
}

#[test]
fn info_request_prompt_count_is_limited() {
    let mut bytes = b"\x3c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    bytes.extend(u32::try_from(MAX_PROMPTS + 1).unwrap().to_be_bytes());
    let err = UserauthInfoRequest::decode(&bytes).unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::TooLong {
            len: MAX_PROMPTS + 1,
            limit: MAX_PROMPTS
        }
    );
    // A count under the limit that the input cannot hold fails before allocating.
    let err = UserauthInfoResponse::decode(b"\x3d\x00\x00\x00\xff").unwrap_err();
    assert_eq!(
        err.kind,
        DecodeErrorKind::Truncated {
            need: 1020,
            have: 0
        }
    );
}

#[test]
fn userauth_layer_rejects_other_numbers() {
    for number in [1u8, 49, 54, 59, 62, 80] {
        assert_eq!(
            UserauthMessage::decode(&[number], Expect60::PkOk)
                .unwrap_err()
                .kind,
            DecodeErrorKind::UnknownMessage { number }
        );
    }
    assert_eq!(
        UserauthSuccess::decode(b"\x34\x00").unwrap_err().kind,
        DecodeErrorKind::TrailingBytes { count: 1 }
    );
}
