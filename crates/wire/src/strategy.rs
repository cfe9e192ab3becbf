//! proptest strategies producing owned (`'static`) values of every message type, for tests.

use std::borrow::Cow;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::connection::*;
use crate::transport::*;
use crate::userauth::*;
use crate::{DisconnectReason, NameList, OpenFailureReason};

/// UTF-8 text, including non-ASCII.
pub fn text() -> impl Strategy<Value = Cow<'static, str>> {
    "\\PC{0,12}".prop_map(Cow::Owned)
}

/// Arbitrary bytes.
pub fn bytes() -> impl Strategy<Value = Cow<'static, [u8]>> {
    vec(any::<u8>(), 0..24).prop_map(Cow::Owned)
}

/// A valid name-list of 0-4 names (printable ASCII without commas, 1-64 bytes).
pub fn name_list() -> impl Strategy<Value = NameList<'static>> {
    vec("[!-+\\--~]{1,64}", 0..4).prop_map(|names| NameList::from_names(&names).unwrap())
}

/// Text that is none of `known`, for `Unknown` variants.
fn unknown_name(known: &'static [&'static str]) -> impl Strategy<Value = Cow<'static, str>> {
    text().prop_filter("a known name", move |n| !known.contains(&n.as_ref()))
}

fn u32s() -> impl Strategy<Value = u32> {
    any::<u32>()
}

// ---- transport ----

pub fn disconnect() -> impl Strategy<Value = Disconnect<'static>> {
    (u32s(), text(), text()).prop_map(|(code, description, language_tag)| Disconnect {
        reason_code: DisconnectReason::from_code(code),
        description,
        language_tag,
    })
}

pub fn ignore() -> impl Strategy<Value = Ignore<'static>> {
    bytes().prop_map(|data| Ignore { data })
}

pub fn unimplemented() -> impl Strategy<Value = Unimplemented> {
    u32s().prop_map(|sequence_number| Unimplemented { sequence_number })
}

pub fn debug() -> impl Strategy<Value = Debug<'static>> {
    (any::<bool>(), text(), text()).prop_map(|(always_display, message, language_tag)| Debug {
        always_display,
        message,
        language_tag,
    })
}

pub fn service_request() -> impl Strategy<Value = ServiceRequest<'static>> {
    text().prop_map(|service_name| ServiceRequest { service_name })
}

pub fn service_accept() -> impl Strategy<Value = ServiceAccept<'static>> {
    text().prop_map(|service_name| ServiceAccept { service_name })
}

pub fn ext_info() -> impl Strategy<Value = ExtInfo<'static>> {
    vec((text(), bytes()), 0..5).prop_map(|extensions| ExtInfo { extensions })
}

pub fn kex_init() -> impl Strategy<Value = KexInit<'static>> {
    (
        any::<[u8; 16]>(),
        [
            name_list(),
            name_list(),
            name_list(),
            name_list(),
            name_list(),
        ],
        [
            name_list(),
            name_list(),
            name_list(),
            name_list(),
            name_list(),
        ],
        any::<bool>(),
        u32s(),
    )
        .prop_map(
            |(cookie, [a, b, c, d, e], [f, g, h, i, j], follows, reserved)| KexInit {
                cookie,
                kex_algorithms: a,
                server_host_key_algorithms: b,
                encryption_algorithms_client_to_server: c,
                encryption_algorithms_server_to_client: d,
                mac_algorithms_client_to_server: e,
                mac_algorithms_server_to_client: f,
                compression_algorithms_client_to_server: g,
                compression_algorithms_server_to_client: h,
                languages_client_to_server: i,
                languages_server_to_client: j,
                first_kex_packet_follows: follows,
                reserved,
            },
        )
}

pub fn new_keys() -> impl Strategy<Value = NewKeys> {
    Just(NewKeys)
}

pub fn kex_ecdh_init() -> impl Strategy<Value = KexEcdhInit<'static>> {
    bytes().prop_map(|client_ephemeral_public_key| KexEcdhInit {
        client_ephemeral_public_key,
    })
}

pub fn kex_ecdh_reply() -> impl Strategy<Value = KexEcdhReply<'static>> {
    (bytes(), bytes(), bytes()).prop_map(|(host_key, server_ephemeral_public_key, signature)| {
        KexEcdhReply {
            host_key,
            server_ephemeral_public_key,
            signature,
        }
    })
}

pub fn transport_message() -> impl Strategy<Value = TransportMessage<'static>> {
    prop_oneof![
        disconnect().prop_map(TransportMessage::Disconnect),
        ignore().prop_map(TransportMessage::Ignore),
        unimplemented().prop_map(TransportMessage::Unimplemented),
        debug().prop_map(TransportMessage::Debug),
        service_request().prop_map(TransportMessage::ServiceRequest),
        service_accept().prop_map(TransportMessage::ServiceAccept),
        ext_info().prop_map(TransportMessage::ExtInfo),
        kex_init().prop_map(TransportMessage::KexInit),
        new_keys().prop_map(TransportMessage::NewKeys),
        kex_ecdh_init().prop_map(TransportMessage::KexEcdhInit),
        kex_ecdh_reply().prop_map(TransportMessage::KexEcdhReply),
    ]
}

// ---- connection ----

const GLOBAL_NAMES: &[&str] = &[
    TCPIP_FORWARD,
    CANCEL_TCPIP_FORWARD,
    STREAMLOCAL_FORWARD,
    CANCEL_STREAMLOCAL_FORWARD,
    KEEPALIVE,
    NO_MORE_SESSIONS,
    HOSTKEYS,
];

pub fn global_request_kind() -> impl Strategy<Value = GlobalRequestKind<'static>> {
    prop_oneof![
        (text(), u32s()).prop_map(|(address_to_bind, port_to_bind)| {
            GlobalRequestKind::TcpipForward {
                address_to_bind,
                port_to_bind,
            }
        }),
        (text(), u32s()).prop_map(|(address_to_bind, port_to_bind)| {
            GlobalRequestKind::CancelTcpipForward {
                address_to_bind,
                port_to_bind,
            }
        }),
        text().prop_map(|socket_path| GlobalRequestKind::StreamlocalForward { socket_path }),
        text().prop_map(|socket_path| GlobalRequestKind::CancelStreamlocalForward { socket_path }),
        Just(GlobalRequestKind::Keepalive),
        Just(GlobalRequestKind::NoMoreSessions),
        vec(bytes(), 0..4).prop_map(|keys| GlobalRequestKind::HostKeys { keys }),
        (unknown_name(GLOBAL_NAMES), bytes())
            .prop_map(|(request_name, data)| GlobalRequestKind::Unknown { request_name, data }),
    ]
}

pub fn global_request() -> impl Strategy<Value = GlobalRequest<'static>> {
    (any::<bool>(), global_request_kind()).prop_map(|(want_reply, request)| GlobalRequest {
        want_reply,
        request,
    })
}

pub fn request_success() -> impl Strategy<Value = RequestSuccess<'static>> {
    prop_oneof![
        bytes().prop_map(|data| RequestSuccess { data }),
        u32s().prop_map(RequestSuccess::with_bound_port),
    ]
}

pub fn request_failure() -> impl Strategy<Value = RequestFailure> {
    Just(RequestFailure)
}

const CHANNEL_TYPES: &[&str] = &[
    SESSION,
    DIRECT_TCPIP,
    FORWARDED_TCPIP,
    DIRECT_STREAMLOCAL,
    FORWARDED_STREAMLOCAL,
];

pub fn channel_open_type() -> impl Strategy<Value = ChannelOpenType<'static>> {
    prop_oneof![
        Just(ChannelOpenType::Session),
        (text(), u32s(), text(), u32s()).prop_map(|(h, p, oa, op)| {
            ChannelOpenType::DirectTcpip {
                host_to_connect: h,
                port_to_connect: p,
                originator_address: oa,
                originator_port: op,
            }
        }),
        (text(), u32s(), text(), u32s()).prop_map(|(h, p, oa, op)| {
            ChannelOpenType::ForwardedTcpip {
                address_that_was_connected: h,
                port_that_was_connected: p,
                originator_address: oa,
                originator_port: op,
            }
        }),
        (text(), text(), u32s()).prop_map(|(socket_path, reserved, reserved_port)| {
            ChannelOpenType::DirectStreamlocal {
                socket_path,
                reserved,
                reserved_port,
            }
        }),
        (text(), text()).prop_map(|(socket_path, reserved)| {
            ChannelOpenType::ForwardedStreamlocal {
                socket_path,
                reserved,
            }
        }),
        (unknown_name(CHANNEL_TYPES), bytes())
            .prop_map(|(channel_type, data)| ChannelOpenType::Unknown { channel_type, data }),
    ]
}

pub fn channel_open() -> impl Strategy<Value = ChannelOpen<'static>> {
    (u32s(), u32s(), u32s(), channel_open_type()).prop_map(|(s, w, m, channel_type)| ChannelOpen {
        sender_channel: s,
        initial_window_size: w,
        maximum_packet_size: m,
        channel_type,
    })
}

pub fn channel_open_confirmation() -> impl Strategy<Value = ChannelOpenConfirmation<'static>> {
    (u32s(), u32s(), u32s(), u32s(), bytes()).prop_map(|(r, s, w, m, data)| {
        ChannelOpenConfirmation {
            recipient_channel: r,
            sender_channel: s,
            initial_window_size: w,
            maximum_packet_size: m,
            data,
        }
    })
}

pub fn channel_open_failure() -> impl Strategy<Value = ChannelOpenFailure<'static>> {
    (u32s(), u32s(), text(), text()).prop_map(|(r, code, description, language_tag)| {
        ChannelOpenFailure {
            recipient_channel: r,
            reason_code: OpenFailureReason::from_code(code),
            description,
            language_tag,
        }
    })
}

pub fn channel_window_adjust() -> impl Strategy<Value = ChannelWindowAdjust> {
    (u32s(), u32s()).prop_map(|(recipient_channel, bytes_to_add)| ChannelWindowAdjust {
        recipient_channel,
        bytes_to_add,
    })
}

pub fn channel_data() -> impl Strategy<Value = ChannelData<'static>> {
    (u32s(), bytes()).prop_map(|(recipient_channel, data)| ChannelData {
        recipient_channel,
        data,
    })
}

pub fn channel_extended_data() -> impl Strategy<Value = ChannelExtendedData<'static>> {
    (u32s(), u32s(), bytes()).prop_map(|(recipient_channel, data_type_code, data)| {
        ChannelExtendedData {
            recipient_channel,
            data_type_code,
            data,
        }
    })
}

pub fn channel_eof() -> impl Strategy<Value = ChannelEof> {
    u32s().prop_map(|recipient_channel| ChannelEof { recipient_channel })
}

pub fn channel_close() -> impl Strategy<Value = ChannelClose> {
    u32s().prop_map(|recipient_channel| ChannelClose { recipient_channel })
}

pub fn channel_success() -> impl Strategy<Value = ChannelSuccess> {
    u32s().prop_map(|recipient_channel| ChannelSuccess { recipient_channel })
}

pub fn channel_failure() -> impl Strategy<Value = ChannelFailure> {
    u32s().prop_map(|recipient_channel| ChannelFailure { recipient_channel })
}

const CHANNEL_REQUESTS: &[&str] = &[EXEC, ENV, EXIT_STATUS, EXIT_SIGNAL, EOW];

pub fn channel_request_kind() -> impl Strategy<Value = ChannelRequestKind<'static>> {
    prop_oneof![
        bytes().prop_map(|command| ChannelRequestKind::Exec { command }),
        (text(), bytes()).prop_map(|(name, value)| ChannelRequestKind::Env { name, value }),
        u32s().prop_map(|exit_status| ChannelRequestKind::ExitStatus { exit_status }),
        (text(), any::<bool>(), text(), text()).prop_map(|(s, c, e, l)| {
            ChannelRequestKind::ExitSignal {
                signal_name: s,
                core_dumped: c,
                error_message: e,
                language_tag: l,
            }
        }),
        Just(ChannelRequestKind::Eow),
        (unknown_name(CHANNEL_REQUESTS), bytes())
            .prop_map(|(request_type, data)| ChannelRequestKind::Unknown { request_type, data }),
    ]
}

pub fn channel_request() -> impl Strategy<Value = ChannelRequest<'static>> {
    (u32s(), any::<bool>(), channel_request_kind()).prop_map(|(r, want_reply, request)| {
        ChannelRequest {
            recipient_channel: r,
            want_reply,
            request,
        }
    })
}

pub fn connection_message() -> impl Strategy<Value = ConnectionMessage<'static>> {
    prop_oneof![
        global_request().prop_map(ConnectionMessage::GlobalRequest),
        request_success().prop_map(ConnectionMessage::RequestSuccess),
        request_failure().prop_map(ConnectionMessage::RequestFailure),
        channel_open().prop_map(ConnectionMessage::ChannelOpen),
        channel_open_confirmation().prop_map(ConnectionMessage::ChannelOpenConfirmation),
        channel_open_failure().prop_map(ConnectionMessage::ChannelOpenFailure),
        channel_window_adjust().prop_map(ConnectionMessage::ChannelWindowAdjust),
        channel_data().prop_map(ConnectionMessage::ChannelData),
        channel_extended_data().prop_map(ConnectionMessage::ChannelExtendedData),
        channel_eof().prop_map(ConnectionMessage::ChannelEof),
        channel_close().prop_map(ConnectionMessage::ChannelClose),
        channel_request().prop_map(ConnectionMessage::ChannelRequest),
        channel_success().prop_map(ConnectionMessage::ChannelSuccess),
        channel_failure().prop_map(ConnectionMessage::ChannelFailure),
    ]
}

// ---- userauth ----

const METHODS: &[&str] = &[NONE, PASSWORD, PUBLICKEY, KEYBOARD_INTERACTIVE];

pub fn auth_method() -> impl Strategy<Value = AuthMethod<'static>> {
    prop_oneof![
        Just(AuthMethod::None),
        (text(), option::of(text())).prop_map(|(password, new_password)| {
            AuthMethod::Password {
                password,
                new_password,
            }
        }),
        (text(), bytes(), option::of(bytes())).prop_map(|(algorithm, public_key, signature)| {
            AuthMethod::Publickey {
                algorithm,
                public_key,
                signature,
            }
        }),
        (text(), text()).prop_map(|(language_tag, submethods)| {
            AuthMethod::KeyboardInteractive {
                language_tag,
                submethods,
            }
        }),
        (unknown_name(METHODS), bytes())
            .prop_map(|(method_name, data)| AuthMethod::Unknown { method_name, data }),
    ]
}

pub fn userauth_request() -> impl Strategy<Value = UserauthRequest<'static>> {
    (text(), text(), auth_method()).prop_map(|(user_name, service_name, method)| UserauthRequest {
        user_name,
        service_name,
        method,
    })
}

pub fn userauth_failure() -> impl Strategy<Value = UserauthFailure<'static>> {
    (name_list(), any::<bool>()).prop_map(|(list, partial_success)| UserauthFailure {
        authentications_that_can_continue: list,
        partial_success,
    })
}

pub fn userauth_success() -> impl Strategy<Value = UserauthSuccess> {
    Just(UserauthSuccess)
}

pub fn userauth_banner() -> impl Strategy<Value = UserauthBanner<'static>> {
    (text(), text()).prop_map(|(message, language_tag)| UserauthBanner {
        message: Cow::Owned(message.into_owned().into_bytes()),
        language_tag,
    })
}

pub fn userauth_pk_ok() -> impl Strategy<Value = UserauthPkOk<'static>> {
    (text(), bytes()).prop_map(|(algorithm, public_key)| UserauthPkOk {
        algorithm,
        public_key,
    })
}

pub fn userauth_passwd_changereq() -> impl Strategy<Value = UserauthPasswdChangereq<'static>> {
    (text(), text()).prop_map(|(prompt, language_tag)| UserauthPasswdChangereq {
        prompt,
        language_tag,
    })
}

pub fn userauth_info_request() -> impl Strategy<Value = UserauthInfoRequest<'static>> {
    let prompt = (text(), any::<bool>()).prop_map(|(prompt, echo)| Prompt { prompt, echo });
    (text(), text(), text(), vec(prompt, 0..5)).prop_map(
        |(name, instruction, language_tag, prompts)| UserauthInfoRequest {
            name,
            instruction,
            language_tag,
            prompts,
        },
    )
}

pub fn userauth_info_response() -> impl Strategy<Value = UserauthInfoResponse<'static>> {
    vec(text(), 0..5).prop_map(|responses| UserauthInfoResponse { responses })
}

pub fn userauth_message() -> impl Strategy<Value = UserauthMessage<'static>> {
    prop_oneof![
        userauth_request().prop_map(UserauthMessage::UserauthRequest),
        userauth_failure().prop_map(UserauthMessage::UserauthFailure),
        userauth_success().prop_map(UserauthMessage::UserauthSuccess),
        userauth_banner().prop_map(UserauthMessage::UserauthBanner),
        userauth_pk_ok().prop_map(UserauthMessage::UserauthPkOk),
        userauth_passwd_changereq().prop_map(UserauthMessage::UserauthPasswdChangereq),
        userauth_info_request().prop_map(UserauthMessage::UserauthInfoRequest),
        userauth_info_response().prop_map(UserauthMessage::UserauthInfoResponse),
    ]
}
