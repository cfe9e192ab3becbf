//! Byte-exact vectors written from RFC 4253 / RFC 8308 and the decoder's error cases.

use std::borrow::Cow;

use super::*;
use crate::{DecodeErrorKind, DisconnectReason, NameList};

fn decodes_to(bytes: &[u8], expected: TransportMessage<'_>) {
    let decoded = TransportMessage::decode(bytes).unwrap();
    assert_eq!(decoded, expected);
    assert_eq!(&decoded.to_bytes()[..], bytes);
    assert_eq!(decoded.number(), bytes[0]);
}

#[test]
fn disconnect_vector() {
    // byte 1, uint32 reason 2 (PROTOCOL_ERROR), string "bad", string "".
    let bytes = b"\x01\x00\x00\x00\x02\x00\x00\x00\x03bad\x00\x00\x00\x00";
    decodes_to(
        bytes,
        TransportMessage::Disconnect(Disconnect {
            reason_code: DisconnectReason::ProtocolError,
            description: Cow::Borrowed("bad"),
            language_tag: Cow::Borrowed(""),
        }),
    );
}

#[test]
fn disconnect_keeps_unknown_reason_codes() {
    let bytes = b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x02en";
    let m = Disconnect::decode(bytes).unwrap();
    assert_eq!(m.reason_code, DisconnectReason::Other(256));
    assert_eq!(m.language_tag, "en");
    assert_eq!(&m.to_bytes()[..], bytes);
}

#[test]
fn ignore_unimplemented_debug_vectors() {
    decodes_to(
        b"\x02\x00\x00\x00\x02hi",
        TransportMessage::Ignore(Ignore {
            data: Cow::Borrowed(b"hi"),
        }),
    );
    decodes_to(
        b"\x03\x00\x00\x01\x07",
        TransportMessage::Unimplemented(Unimplemented {
            sequence_number: 263,
        }),
    );
    decodes_to(
        b"\x04\x01\x00\x00\x00\x02hi\x00\x00\x00\x00",
        TransportMessage::Debug(Debug {
            always_display: true,
            message: Cow::Borrowed("hi"),
            language_tag: Cow::Borrowed(""),
        }),
    );
}

#[test]
fn service_request_and_accept_vectors() {
    decodes_to(
        b"\x05\x00\x00\x00\x0cssh-userauth",
        TransportMessage::ServiceRequest(ServiceRequest {
            service_name: Cow::Borrowed("ssh-userauth"),
        }),
    );
    decodes_to(
        b"\x06\x00\x00\x00\x0essh-connection",
        TransportMessage::ServiceAccept(ServiceAccept {
            service_name: Cow::Borrowed("ssh-connection"),
        }),
    );
}

#[test]
fn ext_info_vector_and_server_sig_algs() {
    let bytes = b"\x07\x00\x00\x00\x01\
        \x00\x00\x00\x0fserver-sig-algs\
        \x00\x00\x00\x18ssh-ed25519,rsa-sha2-256";
    let m = ExtInfo::decode(bytes).unwrap();
    assert_eq!(m.extensions.len(), 1);
    let algs = m.server_sig_algs().unwrap().unwrap();
    assert_eq!(
        algs.iter().collect::<Vec<_>>(),
        ["ssh-ed25519", "rsa-sha2-256"]
    );
    assert_eq!(&m.to_bytes()[..], &bytes[..]);
    let built = ExtInfo::with_server_sig_algs(&algs);
    assert_eq!(&built.to_bytes()[..], &bytes[..]);
}

#[test]
fn ext_info_without_server_sig_algs_is_none() {
    let bytes = b"\x07\x00\x00\x00\x01\x00\x00\x00\x01x\x00\x00\x00\x00";
    let m = ExtInfo::decode(bytes).unwrap();
    assert_eq!(m.server_sig_algs().unwrap(), None);
    assert_eq!(m.get("x"), Some(&b""[..]));
}

#[test]
fn ext_info_bad_server_sig_algs_is_an_error() {
    let bytes = b"\x07\x00\x00\x00\x01\x00\x00\x00\x0fserver-sig-algs\x00\x00\x00\x02a,";
    let m = ExtInfo::decode(bytes).unwrap();
    assert_eq!(
        m.server_sig_algs().unwrap_err().kind,
        DecodeErrorKind::EmptyName
    );
}

#[test]
fn ext_info_huge_count_is_rejected_before_allocating() {
    let bytes = b"\x07\xff\xff\xff\xff";
    let err = ExtInfo::decode(bytes).unwrap_err();
    assert_eq!(err.what, "EXT_INFO.nr_extensions");
    assert!(matches!(err.kind, DecodeErrorKind::TooLong { .. }));
    // Under the limit but more than the input can hold.
    let err = ExtInfo::decode(b"\x07\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00").unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::Truncated { need: 16, have: 8 });
}

fn kexinit_vector() -> Vec<u8> {
    let mut v = vec![20u8];
    v.extend(0u8..16); // cookie
    for list in [
        &b"curve25519-sha256"[..],
        b"ssh-ed25519",
        b"aes128-ctr",
        b"aes128-ctr",
        b"hmac-sha2-256",
        b"hmac-sha2-256",
        b"none",
        b"none",
        b"",
        b"",
    ] {
        v.extend((list.len() as u32).to_be_bytes());
        v.extend(list);
    }
    v.push(0); // first_kex_packet_follows
    v.extend([0, 0, 0, 0]); // reserved
    v
}

#[test]
fn kexinit_vector_decodes_field_by_field() {
    let bytes = kexinit_vector();
    let m = KexInit::decode(&bytes).unwrap();
    let cookie: Vec<u8> = (0u8..16).collect();
    assert_eq!(&m.cookie[..], &cookie[..]);
    assert_eq!(m.kex_algorithms.as_str(), "curve25519-sha256");
    assert_eq!(m.server_host_key_algorithms.as_str(), "ssh-ed25519");
    assert_eq!(
        m.encryption_algorithms_server_to_client.as_str(),
        "aes128-ctr"
    );
    assert_eq!(m.mac_algorithms_client_to_server.as_str(), "hmac-sha2-256");
    assert_eq!(m.compression_algorithms_server_to_client.as_str(), "none");
    assert!(m.languages_client_to_server.is_empty());
    assert!(!m.first_kex_packet_follows);
    assert_eq!(m.reserved, 0);
    assert_eq!(&m.to_bytes()[..], &bytes[..]);
}

#[test]
fn kexinit_with_empty_name_is_rejected() {
    let mut bytes = kexinit_vector();
    // Turn "ssh-ed25519" into "ssh-ed25519," is not possible in place; break the kex list:
    // "curve25519-sha256" -> "curve25519,sha256" is fine, "curve25519-sha25," is not.
    bytes[17 + 4 + 16] = b',';
    let err = KexInit::decode(&bytes).unwrap_err();
    assert_eq!(err.what, "KEXINIT.kex_algorithms");
    assert_eq!(err.kind, DecodeErrorKind::EmptyName);
}

#[test]
fn kexinit_truncated_names_the_missing_field() {
    let bytes = kexinit_vector();
    let err = KexInit::decode(&bytes[..bytes.len() - 4]).unwrap_err();
    assert_eq!(err.what, "KEXINIT.reserved");
    assert_eq!(err.kind, DecodeErrorKind::Truncated { need: 4, have: 0 });
}

#[test]
fn newkeys_and_ecdh_vectors() {
    decodes_to(b"\x15", TransportMessage::NewKeys(NewKeys));
    let mut init = vec![30u8, 0, 0, 0, 32];
    init.extend([9u8; 32]);
    decodes_to(
        &init,
        TransportMessage::KexEcdhInit(KexEcdhInit {
            client_ephemeral_public_key: Cow::Borrowed(&[9u8; 32]),
        }),
    );
    decodes_to(
        b"\x1f\x00\x00\x00\x01K\x00\x00\x00\x01Q\x00\x00\x00\x03sig",
        TransportMessage::KexEcdhReply(KexEcdhReply {
            host_key: Cow::Borrowed(b"K"),
            server_ephemeral_public_key: Cow::Borrowed(b"Q"),
            signature: Cow::Borrowed(b"sig"),
        }),
    );
}

#[test]
fn trailing_bytes_after_newkeys_are_rejected() {
    assert_eq!(
        TransportMessage::decode(b"\x15\x00").unwrap_err(),
        crate::DecodeError::new("NEWKEYS", DecodeErrorKind::TrailingBytes { count: 1 })
    );
}

#[test]
fn unknown_and_empty_payloads_are_rejected() {
    assert_eq!(
        TransportMessage::decode(b"\x32").unwrap_err().kind,
        DecodeErrorKind::UnknownMessage { number: 50 }
    );
    assert_eq!(
        TransportMessage::decode(b"").unwrap_err().kind,
        DecodeErrorKind::Truncated { need: 1, have: 0 }
    );
}

#[test]
fn struct_decode_checks_its_number() {
    assert_eq!(
        Disconnect::decode(b"\x02\x00\x00\x00\x00")
            .unwrap_err()
            .kind,
        DecodeErrorKind::WrongMessage {
            expected: 1,
            found: 2
        }
    );
}

#[test]
fn truncated_disconnect_names_the_field() {
    let err = Disconnect::decode(b"\x01\x00\x00\x00\x02\x00\x00\x00\x05ab").unwrap_err();
    assert_eq!(err.what, "DISCONNECT.description");
    assert_eq!(err.kind, DecodeErrorKind::Truncated { need: 5, have: 2 });
}

#[test]
fn name_list_from_names_feeds_kexinit() {
    let list = NameList::from_names(&["curve25519-sha256"]).unwrap();
    let bytes = kexinit_vector();
    assert_eq!(KexInit::decode(&bytes).unwrap().kex_algorithms, list);
}
