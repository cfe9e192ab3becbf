//! Property tests: encode then decode gives every message back, decode then encode gives the
//! same bytes, and arbitrary input never panics.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::DecodeErrorKind;
use crate::connection::*;
use crate::strategy;
use crate::transport::*;
use crate::userauth::*;

/// One property per message struct: `decode(encode(m)) == m` and the bytes re-encode equally.
macro_rules! struct_round_trip {
    ($($test:ident: $strategy:ident => $ty:ident;)*) => {
        proptest! {
            $(
                #[test]
                fn $test(m in strategy::$strategy()) {
                    let bytes = m.to_bytes();
                    let decoded = $ty::decode(&bytes);
                    prop_assert_eq!(decoded.as_ref(), Ok(&m));
                    prop_assert_eq!(&decoded.unwrap().to_bytes()[..], &bytes[..]);
                }
            )*
        }
    };
}

struct_round_trip! {
    disconnect_round_trips: disconnect => Disconnect;
    ignore_round_trips: ignore => Ignore;
    unimplemented_round_trips: unimplemented => Unimplemented;
    debug_round_trips: debug => Debug;
    service_request_round_trips: service_request => ServiceRequest;
    service_accept_round_trips: service_accept => ServiceAccept;
    ext_info_round_trips: ext_info => ExtInfo;
    kex_init_round_trips: kex_init => KexInit;
    new_keys_round_trips: new_keys => NewKeys;
    kex_ecdh_init_round_trips: kex_ecdh_init => KexEcdhInit;
    kex_ecdh_reply_round_trips: kex_ecdh_reply => KexEcdhReply;

    global_request_round_trips: global_request => GlobalRequest;
    request_success_round_trips: request_success => RequestSuccess;
    request_failure_round_trips: request_failure => RequestFailure;
    channel_open_round_trips: channel_open => ChannelOpen;
    channel_open_confirmation_round_trips: channel_open_confirmation => ChannelOpenConfirmation;
    channel_open_failure_round_trips: channel_open_failure => ChannelOpenFailure;
    channel_window_adjust_round_trips: channel_window_adjust => ChannelWindowAdjust;
    channel_data_round_trips: channel_data => ChannelData;
    channel_extended_data_round_trips: channel_extended_data => ChannelExtendedData;
    channel_eof_round_trips: channel_eof => ChannelEof;
    channel_close_round_trips: channel_close => ChannelClose;
    channel_request_round_trips: channel_request => ChannelRequest;
    channel_success_round_trips: channel_success => ChannelSuccess;
    channel_failure_round_trips: channel_failure => ChannelFailure;

    userauth_request_round_trips: userauth_request => UserauthRequest;
    userauth_failure_round_trips: userauth_failure => UserauthFailure;
    userauth_success_round_trips: userauth_success => UserauthSuccess;
    userauth_banner_round_trips: userauth_banner => UserauthBanner;
    userauth_pk_ok_round_trips: userauth_pk_ok => UserauthPkOk;
    userauth_passwd_changereq_round_trips: userauth_passwd_changereq => UserauthPasswdChangereq;
    userauth_info_request_round_trips: userauth_info_request => UserauthInfoRequest;
    userauth_info_response_round_trips: userauth_info_response => UserauthInfoResponse;
}

/// True for connection messages whose last field is "the rest of the payload", so an extra
/// byte is data, not an error.
fn has_raw_tail(m: &ConnectionMessage<'_>) -> bool {
    match m {
        ConnectionMessage::RequestSuccess(_) | ConnectionMessage::ChannelOpenConfirmation(_) => {
            true
        }
        ConnectionMessage::GlobalRequest(g) => {
            matches!(g.request, GlobalRequestKind::Unknown { .. })
        }
        ConnectionMessage::ChannelOpen(o) => {
            matches!(o.channel_type, ChannelOpenType::Unknown { .. })
        }
        ConnectionMessage::ChannelRequest(r) => {
            matches!(r.request, ChannelRequestKind::Unknown { .. })
        }
        _ => false,
    }
}

/// Numbers each layer owns, plus a few it does not, to seed the arbitrary-bytes properties.
fn number() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(vec![1u8, 2, 3, 4, 5, 6, 7, 20, 21, 30, 31]),
        prop::sample::select(vec![50u8, 51, 52, 53, 60, 61]),
        prop::sample::select((80u8..=82).chain(90..=100).collect::<Vec<_>>()),
        any::<u8>(),
    ]
}

const EXPECT60: [Expect60; 3] = [
    Expect60::PkOk,
    Expect60::PasswdChangereq,
    Expect60::InfoRequest,
];

proptest! {
    #[test]
    fn transport_message_round_trips(m in strategy::transport_message()) {
        let bytes = m.to_bytes();
        let decoded = TransportMessage::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &m);
        prop_assert_eq!(decoded.number(), bytes[0]);
        prop_assert_eq!(&decoded.to_bytes()[..], &bytes[..]);
    }

    #[test]
    fn connection_message_round_trips(m in strategy::connection_message()) {
        let bytes = m.to_bytes();
        let decoded = ConnectionMessage::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &m);
        prop_assert_eq!(decoded.number(), bytes[0]);
        prop_assert_eq!(&decoded.to_bytes()[..], &bytes[..]);
    }

    #[test]
    fn userauth_message_round_trips(m in strategy::userauth_message()) {
        let bytes = m.to_bytes();
        let expect = m.expect60().unwrap_or(Expect60::PkOk);
        let decoded = UserauthMessage::decode(&bytes, expect).unwrap();
        prop_assert_eq!(&decoded, &m);
        prop_assert_eq!(decoded.number(), bytes[0]);
        prop_assert_eq!(&decoded.to_bytes()[..], &bytes[..]);
    }

    #[test]
    fn layers_reject_each_others_messages(
        t in strategy::transport_message(),
        c in strategy::connection_message(),
        u in strategy::userauth_message(),
    ) {
        let (t, c, u) = (t.to_bytes(), c.to_bytes(), u.to_bytes());
        let unknown = |b: &[u8]| DecodeErrorKind::UnknownMessage { number: b[0] };
        prop_assert_eq!(ConnectionMessage::decode(&t).unwrap_err().kind, unknown(&t));
        prop_assert_eq!(UserauthMessage::decode(&t, Expect60::PkOk).unwrap_err().kind, unknown(&t));
        prop_assert_eq!(TransportMessage::decode(&c).unwrap_err().kind, unknown(&c));
        prop_assert_eq!(UserauthMessage::decode(&c, Expect60::PkOk).unwrap_err().kind, unknown(&c));
        prop_assert_eq!(TransportMessage::decode(&u).unwrap_err().kind, unknown(&u));
        prop_assert_eq!(ConnectionMessage::decode(&u).unwrap_err().kind, unknown(&u));
    }

    #[test]
    fn an_extra_byte_after_a_fixed_layout_message_is_rejected(
        t in strategy::transport_message(),
        c in strategy::connection_message(),
        extra in any::<u8>(),
    ) {
        let mut bytes = t.to_bytes();
        bytes.extend_from_slice(&[extra]);
        prop_assert!(TransportMessage::decode(&bytes).is_err());
        if !has_raw_tail(&c) {
            let mut bytes = c.to_bytes();
            bytes.extend_from_slice(&[extra]);
            prop_assert!(ConnectionMessage::decode(&bytes).is_err());
        }
    }

    #[test]
    fn every_strict_prefix_of_a_transport_message_is_rejected(
        m in strategy::transport_message(),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = m.to_bytes();
        let cut = cut.index(bytes.len());
        prop_assert!(TransportMessage::decode(&bytes[..cut]).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_what_decodes_round_trips(
        first in number(),
        tail in vec(any::<u8>(), 0..96),
    ) {
        let mut input = vec![first];
        input.extend(tail);
        if let Ok(m) = TransportMessage::decode(&input) {
            let again = m.to_bytes();
            prop_assert_eq!(TransportMessage::decode(&again).unwrap(), m);
        }
        if let Ok(m) = ConnectionMessage::decode(&input) {
            let again = m.to_bytes();
            prop_assert_eq!(ConnectionMessage::decode(&again).unwrap(), m);
        }
        for expect in EXPECT60 {
            if let Ok(m) = UserauthMessage::decode(&input, expect) {
                let again = m.to_bytes();
            prop_assert_eq!(UserauthMessage::decode(&again, expect).unwrap(), m);
            }
        }
    }

    #[test]
    fn decoded_channel_data_borrows_from_the_payload(m in strategy::channel_data()) {
        let bytes = m.to_bytes();
        let decoded = ChannelData::decode(&bytes).unwrap();
        let range = bytes.as_ptr_range();
        match &decoded.data {
            std::borrow::Cow::Borrowed(d) => prop_assert!(range.contains(&d.as_ptr()) || d.is_empty()),
            std::borrow::Cow::Owned(_) => prop_assert!(false, "CHANNEL_DATA was copied"),
        }
    }

    #[test]
    fn into_owned_keeps_every_name_keyed_field(
        o in strategy::channel_open(),
        g in strategy::global_request(),
        r in strategy::channel_request(),
    ) {
        let (ob, gb, rb) = (o.to_bytes(), g.to_bytes(), r.to_bytes());
        let owned = ChannelOpen::decode(&ob).unwrap().channel_type.into_owned();
        prop_assert_eq!(owned, o.channel_type);
        let owned = GlobalRequest::decode(&gb).unwrap().request.into_owned();
        prop_assert_eq!(owned, g.request);
        let owned = ChannelRequest::decode(&rb).unwrap().request.into_owned();
        prop_assert_eq!(owned, r.request);
    }
}
