//! Byte-exact vectors written from RFC 4254 / OpenSSH PROTOCOL and the decoder's error cases.

use std::borrow::Cow;

use bytes::BytesMut;

use super::*;
use crate::{DecodeErrorKind, OpenFailureReason};

fn decodes_to(bytes: &[u8], expected: ConnectionMessage<'_>) {
    let decoded = ConnectionMessage::decode(bytes).unwrap();
    assert_eq!(decoded, expected);
    assert_eq!(&decoded.to_bytes()[..], bytes);
    assert_eq!(decoded.number(), bytes[0]);
}

#[test]
fn channel_data_vector() {
    // byte 94, uint32 recipient 3, string "hello".
    decodes_to(
        b"\x5e\x00\x00\x00\x03\x00\x00\x00\x05hello",
        ConnectionMessage::ChannelData(ChannelData {
            recipient_channel: 3,
            data: Cow::Borrowed(b"hello"),
        }),
    );
}

#[test]
fn channel_data_borrows_from_the_payload() {
    let bytes = b"\x5e\x00\x00\x00\x03\x00\x00\x00\x02hi";
    let m = ChannelData::decode(bytes).unwrap();
    assert!(matches!(&m.data, Cow::Borrowed(d) if d.as_ptr() == bytes[9..].as_ptr()));
}

#[test]
fn channel_data_header_plus_data_equals_channel_data() {
    let mut buf = BytesMut::new();
    encode_channel_data_header(3, 5, &mut crate::Writer::new(&mut buf));
    buf.extend_from_slice(b"hello");
    let full = ChannelData {
        recipient_channel: 3,
        data: Cow::Borrowed(b"hello"),
    }
    .to_bytes();
    assert_eq!(buf, full);
}

#[test]
fn tcpip_forward_vector() {
    // byte 80, string "tcpip-forward", boolean TRUE, string "127.0.0.1", uint32 8080.
    decodes_to(
        b"\x50\x00\x00\x00\x0dtcpip-forward\x01\x00\x00\x00\x09127.0.0.1\x00\x00\x1f\x90",
        ConnectionMessage::GlobalRequest(GlobalRequest {
            want_reply: true,
            request: GlobalRequestKind::TcpipForward {
                address_to_bind: Cow::Borrowed("127.0.0.1"),
                port_to_bind: 8080,
            },
        }),
    );
}

#[test]
fn keepalive_and_streamlocal_vectors() {
    decodes_to(
        b"\x50\x00\x00\x00\x15keepalive@openssh.com\x01",
        ConnectionMessage::GlobalRequest(GlobalRequest {
            want_reply: true,
            request: GlobalRequestKind::Keepalive,
        }),
    );
    decodes_to(
        b"\x50\x00\x00\x00\x26cancel-streamlocal-forward@openssh.com\x00\x00\x00\x00\x06/tmp/s",
        ConnectionMessage::GlobalRequest(GlobalRequest {
            want_reply: false,
            request: GlobalRequestKind::CancelStreamlocalForward {
                socket_path: Cow::Borrowed("/tmp/s"),
            },
        }),
    );
}

#[test]
fn keepalive_with_data_is_trailing_bytes() {
    let err =
        GlobalRequest::decode(b"\x50\x00\x00\x00\x15keepalive@openssh.com\x01\x00").unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::TrailingBytes { count: 1 });
}

#[test]
fn hostkeys_vector_lists_every_blob() {
    let bytes = b"\x50\x00\x00\x00\x17hostkeys-00@openssh.com\x00\
        \x00\x00\x00\x02k1\x00\x00\x00\x03key";
    decodes_to(
        bytes,
        ConnectionMessage::GlobalRequest(GlobalRequest {
            want_reply: false,
            request: GlobalRequestKind::HostKeys {
                keys: vec![Cow::Borrowed(b"k1"), Cow::Borrowed(b"key")],
            },
        }),
    );
}

#[test]
fn hostkeys_over_the_limit_is_rejected() {
    let mut bytes = b"\x50\x00\x00\x00\x17hostkeys-00@openssh.com\x00".to_vec();
    for _ in 0..=MAX_HOSTKEYS {
        bytes.extend([0, 0, 0, 0]);
    }
    let err = GlobalRequest::decode(&bytes).unwrap_err();
    assert_eq!(err.what, "hostkeys-00.keys");
    assert!(matches!(err.kind, DecodeErrorKind::TooLong { limit, .. } if limit == MAX_HOSTKEYS));
}

#[test]
fn unknown_global_request_keeps_raw_data() {
    let bytes = b"\x50\x00\x00\x00\x1dhostkeys-prove-00@openssh.com\x01\x00\x00\x00\x01x";
    let m = GlobalRequest::decode(bytes).unwrap();
    assert_eq!(
        m.request,
        GlobalRequestKind::Unknown {
            request_name: Cow::Borrowed("hostkeys-prove-00@openssh.com"),
            data: Cow::Borrowed(b"\x00\x00\x00\x01x"),
        }
    );
    assert_eq!(m.request.name(), "hostkeys-prove-00@openssh.com");
    assert_eq!(&m.to_bytes()[..], &bytes[..]);
}

#[test]
fn request_success_bound_port() {
    let bytes = b"\x51\x00\x00\xa4\x10";
    let m = RequestSuccess::decode(bytes).unwrap();
    assert_eq!(m.bound_port(), Some(42000));
    assert_eq!(
        &RequestSuccess::with_bound_port(42000).to_bytes()[..],
        bytes
    );
    let empty = RequestSuccess::decode(b"\x51").unwrap();
    assert_eq!(empty.bound_port(), None);
    assert_eq!(empty, RequestSuccess::default());
    assert_eq!(
        RequestSuccess::decode(b"\x51\x00\x01")
            .unwrap()
            .bound_port(),
        None
    );
}

#[test]
fn request_failure_vector() {
    decodes_to(b"\x52", ConnectionMessage::RequestFailure(RequestFailure));
}

#[test]
fn direct_tcpip_open_vector() {
    // byte 90, string "direct-tcpip", uint32 sender 1, uint32 window 2097152, uint32 max packet
    // 32768, string "example.org", uint32 22, string "127.0.0.1", uint32 40000.
    decodes_to(
        b"\x5a\x00\x00\x00\x0cdirect-tcpip\x00\x00\x00\x01\x00\x20\x00\x00\x00\x00\x80\x00\
          \x00\x00\x00\x0bexample.org\x00\x00\x00\x16\
          \x00\x00\x00\x09127.0.0.1\x00\x00\x9c\x40",
        ConnectionMessage::ChannelOpen(ChannelOpen {
            sender_channel: 1,
            initial_window_size: 2 * 1024 * 1024,
            maximum_packet_size: 32768,
            channel_type: ChannelOpenType::DirectTcpip {
                host_to_connect: Cow::Borrowed("example.org"),
                port_to_connect: 22,
                originator_address: Cow::Borrowed("127.0.0.1"),
                originator_port: 40000,
            },
        }),
    );
}

#[test]
fn direct_streamlocal_open_vector() {
    decodes_to(
        b"\x5a\x00\x00\x00\x1edirect-streamlocal@openssh.com\
          \x00\x00\x00\x07\x00\x00\x10\x00\x00\x00\x08\x00\
          \x00\x00\x00\x06/tmp/s\x00\x00\x00\x00\x00\x00\x00\x00",
        ConnectionMessage::ChannelOpen(ChannelOpen {
            sender_channel: 7,
            initial_window_size: 4096,
            maximum_packet_size: 2048,
            channel_type: ChannelOpenType::DirectStreamlocal {
                socket_path: Cow::Borrowed("/tmp/s"),
                reserved: Cow::Borrowed(""),
                reserved_port: 0,
            },
        }),
    );
}

#[test]
fn session_open_with_extra_bytes_is_rejected() {
    let err = ChannelOpen::decode(
        b"\x5a\x00\x00\x00\x07session\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff",
    )
    .unwrap_err();
    assert_eq!(
        err,
        crate::DecodeError::new("CHANNEL_OPEN", DecodeErrorKind::TrailingBytes { count: 1 })
    );
}

#[test]
fn truncated_forwarded_tcpip_names_the_field() {
    let err = ChannelOpen::decode(
        b"\x5a\x00\x00\x00\x0fforwarded-tcpip\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
          \x00\x00\x00\x00\x00\x00",
    )
    .unwrap_err();
    assert_eq!(err.what, "forwarded-tcpip.port_that_was_connected");
    assert_eq!(err.kind, DecodeErrorKind::Truncated { need: 4, have: 2 });
}

#[test]
fn open_confirmation_and_failure_vectors() {
    decodes_to(
        b"\x5b\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04",
        ConnectionMessage::ChannelOpenConfirmation(ChannelOpenConfirmation {
            recipient_channel: 1,
            sender_channel: 2,
            initial_window_size: 3,
            maximum_packet_size: 4,
            data: Cow::Borrowed(b""),
        }),
    );
    decodes_to(
        b"\x5c\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x04nope\x00\x00\x00\x00",
        ConnectionMessage::ChannelOpenFailure(ChannelOpenFailure {
            recipient_channel: 1,
            reason_code: OpenFailureReason::ConnectFailed,
            description: Cow::Borrowed("nope"),
            language_tag: Cow::Borrowed(""),
        }),
    );
}

#[test]
fn window_adjust_eof_close_success_failure_vectors() {
    decodes_to(
        b"\x5d\x00\x00\x00\x09\x00\x01\x00\x00",
        ConnectionMessage::ChannelWindowAdjust(ChannelWindowAdjust {
            recipient_channel: 9,
            bytes_to_add: 65536,
        }),
    );
    decodes_to(
        b"\x60\x00\x00\x00\x09",
        ConnectionMessage::ChannelEof(ChannelEof {
            recipient_channel: 9,
        }),
    );
    decodes_to(
        b"\x61\x00\x00\x00\x09",
        ConnectionMessage::ChannelClose(ChannelClose {
            recipient_channel: 9,
        }),
    );
    decodes_to(
        b"\x63\x00\x00\x00\x09",
        ConnectionMessage::ChannelSuccess(ChannelSuccess {
            recipient_channel: 9,
        }),
    );
    decodes_to(
        b"\x64\x00\x00\x00\x09",
        ConnectionMessage::ChannelFailure(ChannelFailure {
            recipient_channel: 9,
        }),
    );
}

#[test]
fn extended_data_stderr_vector() {
    decodes_to(
        b"\x5f\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x03err",
        ConnectionMessage::ChannelExtendedData(ChannelExtendedData {
            recipient_channel: 0,
            data_type_code: EXTENDED_DATA_STDERR,
            data: Cow::Borrowed(b"err"),
        }),
    );
}

#[test]
fn exit_status_and_exit_signal_vectors() {
    decodes_to(
        b"\x62\x00\x00\x00\x00\x00\x00\x00\x0bexit-status\x00\x00\x00\x00\x7f",
        ConnectionMessage::ChannelRequest(ChannelRequest {
            recipient_channel: 0,
            want_reply: false,
            request: ChannelRequestKind::ExitStatus { exit_status: 127 },
        }),
    );
    decodes_to(
        b"\x62\x00\x00\x00\x02\x00\x00\x00\x0bexit-signal\x00\
          \x00\x00\x00\x04TERM\x01\x00\x00\x00\x00\x00\x00\x00\x00",
        ConnectionMessage::ChannelRequest(ChannelRequest {
            recipient_channel: 2,
            want_reply: false,
            request: ChannelRequestKind::ExitSignal {
                signal_name: Cow::Borrowed("TERM"),
                core_dumped: true,
                error_message: Cow::Borrowed(""),
                language_tag: Cow::Borrowed(""),
            },
        }),
    );
}

#[test]
fn exec_env_eow_vectors() {
    decodes_to(
        b"\x62\x00\x00\x00\x00\x00\x00\x00\x04exec\x01\x00\x00\x00\x02ls",
        ConnectionMessage::ChannelRequest(ChannelRequest {
            recipient_channel: 0,
            want_reply: true,
            request: ChannelRequestKind::Exec {
                command: Cow::Borrowed(b"ls"),
            },
        }),
    );
    decodes_to(
        b"\x62\x00\x00\x00\x00\x00\x00\x00\x03env\x00\x00\x00\x00\x04LANG\x00\x00\x00\x01C",
        ConnectionMessage::ChannelRequest(ChannelRequest {
            recipient_channel: 0,
            want_reply: false,
            request: ChannelRequestKind::Env {
                name: Cow::Borrowed("LANG"),
                value: Cow::Borrowed(b"C"),
            },
        }),
    );
    decodes_to(
        b"\x62\x00\x00\x00\x05\x00\x00\x00\x0feow@openssh.com\x00",
        ConnectionMessage::ChannelRequest(ChannelRequest {
            recipient_channel: 5,
            want_reply: false,
            request: ChannelRequestKind::Eow,
        }),
    );
}

#[test]
fn unknown_channel_request_keeps_raw_data() {
    let bytes = b"\x62\x00\x00\x00\x00\x00\x00\x00\x05shell\x01";
    let m = ChannelRequest::decode(bytes).unwrap();
    assert_eq!(
        m.request,
        ChannelRequestKind::Unknown {
            request_type: Cow::Borrowed("shell"),
            data: Cow::Borrowed(b""),
        }
    );
    assert_eq!(&m.to_bytes()[..], &bytes[..]);
}

#[test]
fn connection_layer_rejects_other_numbers() {
    for number in [1u8, 20, 50, 83, 89, 101, 255] {
        assert_eq!(
            ConnectionMessage::decode(&[number]).unwrap_err().kind,
            DecodeErrorKind::UnknownMessage { number }
        );
    }
    assert_eq!(
        ChannelEof::decode(b"\x61\x00\x00\x00\x00")
            .unwrap_err()
            .kind,
        DecodeErrorKind::WrongMessage {
            expected: 96,
            found: 97
        }
    );
}

#[test]
fn truncated_channel_data_is_rejected() {
    let err = ChannelData::decode(b"\x5e\x00\x00\x00\x03\x00\x00\x00\x05hel").unwrap_err();
    assert_eq!(err.what, "CHANNEL_DATA.data");
    assert_eq!(err.kind, DecodeErrorKind::Truncated { need: 5, have: 3 });
}
