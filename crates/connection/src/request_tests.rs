//! Global and channel requests through `Connection`: policy, ordering, limits and errors.

use std::borrow::Cow;

use burrow_wire::connection::*;
use burrow_wire::{Side, msg};

use crate::config::ConnectionConfig;
use crate::connection::tests::{bytes, events, sent, server, server_with_channel};
use crate::{ChannelRequestId, Connection, Error, Event, GlobalRequestId};

fn global(want_reply: bool, request: GlobalRequestKind<'static>) -> bytes::Bytes {
    bytes(ConnectionMessage::GlobalRequest(GlobalRequest {
        want_reply,
        request,
    }))
}

fn forward(port: u32) -> GlobalRequestKind<'static> {
    GlobalRequestKind::TcpipForward {
        address_to_bind: Cow::Borrowed("localhost"),
        port_to_bind: port,
    }
}

fn unknown_global() -> GlobalRequestKind<'static> {
    GlobalRequestKind::Unknown {
        request_name: Cow::Borrowed("x@example.org"),
        data: Cow::Borrowed(&[]),
    }
}

fn numbers(c: &mut Connection) -> Vec<u8> {
    sent(c).iter().map(|m| m[0]).collect()
}

fn global_ids(c: &mut Connection) -> Vec<GlobalRequestId> {
    events(c)
        .into_iter()
        .map(|e| match e {
            Event::GlobalRequest { id, .. } => id,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn channel_request(
    recipient: u32,
    want_reply: bool,
    request: ChannelRequestKind<'static>,
) -> bytes::Bytes {
    bytes(ConnectionMessage::ChannelRequest(ChannelRequest {
        recipient_channel: recipient,
        want_reply,
        request,
    }))
}

fn exec() -> ChannelRequestKind<'static> {
    ChannelRequestKind::Exec {
        command: Cow::Borrowed(b"true"),
    }
}

fn unknown_channel_request() -> ChannelRequestKind<'static> {
    ChannelRequestKind::Unknown {
        request_type: Cow::Borrowed("pty-req"),
        data: Cow::Borrowed(&[]),
    }
}

// ----- the peer's global requests -----

#[test]
fn tcpip_forward_to_port_0_replies_with_the_bound_port() {
    let mut c = server();
    c.handle_message(&global(true, forward(0))).unwrap();
    let got = events(&mut c);
    let id = match got.as_slice() {
        [
            Event::GlobalRequest {
                id,
                want_reply: true,
                request,
            },
        ] if *request == forward(0) => *id,
        other => panic!("unexpected {other:?}"),
    };
    assert!(sent(&mut c).is_empty());
    c.accept_global_request(id, Some(40001)).unwrap();
    let out = sent(&mut c);
    match ConnectionMessage::decode(&out[0]).unwrap() {
        ConnectionMessage::RequestSuccess(s) => assert_eq!(s.bound_port(), Some(40001)),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn global_replies_leave_in_request_order() {
    let mut c = server();
    c.handle_message(&global(true, forward(1))).unwrap();
    c.handle_message(&global(true, forward(2))).unwrap();
    let ids = global_ids(&mut c);
    c.reject_global_request(ids[1]).unwrap();
    assert!(sent(&mut c).is_empty(), "the second waits for the first");
    c.accept_global_request(ids[0], None).unwrap();
    assert_eq!(
        numbers(&mut c),
        vec![msg::REQUEST_SUCCESS, msg::REQUEST_FAILURE]
    );
}

#[test]
fn keepalive_is_answered_with_failure_in_order() {
    let mut c = server();
    c.handle_message(&global(true, forward(1))).unwrap();
    c.handle_message(&global(true, GlobalRequestKind::Keepalive))
        .unwrap();
    let ids = global_ids(&mut c);
    assert_eq!(ids.len(), 1, "keepalive makes no event");
    assert!(
        sent(&mut c).is_empty(),
        "keepalive's failure waits behind the forward"
    );
    c.accept_global_request(ids[0], None).unwrap();
    assert_eq!(
        numbers(&mut c),
        vec![msg::REQUEST_SUCCESS, msg::REQUEST_FAILURE]
    );
}

#[test]
fn unknown_global_request_with_want_reply_gets_failure() {
    let mut c = server();
    c.handle_message(&global(true, unknown_global())).unwrap();
    assert!(events(&mut c).is_empty());
    assert_eq!(numbers(&mut c), vec![msg::REQUEST_FAILURE]);
    c.handle_message(&global(false, unknown_global())).unwrap();
    assert!(sent(&mut c).is_empty());
    assert!(
        c.global.replies.is_empty(),
        "refused requests leave nothing behind"
    );
}

#[test]
fn client_refuses_forward_requests_from_the_server() {
    let mut c = Connection::new(Side::Client, ConnectionConfig::default());
    c.handle_message(&global(true, forward(0))).unwrap();
    assert!(events(&mut c).is_empty());
    assert_eq!(numbers(&mut c), vec![msg::REQUEST_FAILURE]);
}

#[test]
fn client_ignores_host_key_announcements() {
    let mut c = Connection::new(Side::Client, ConnectionConfig::default());
    let keys = GlobalRequestKind::HostKeys {
        keys: vec![Cow::Borrowed(&b"key"[..])],
    };
    c.handle_message(&global(false, keys)).unwrap();
    assert!(events(&mut c).is_empty());
    assert!(sent(&mut c).is_empty());
}

#[test]
fn no_more_sessions_with_reply_is_accepted_by_a_server() {
    let mut c = server();
    c.handle_message(&global(true, GlobalRequestKind::NoMoreSessions))
        .unwrap();
    assert_eq!(numbers(&mut c), vec![msg::REQUEST_SUCCESS]);
}

#[test]
fn too_many_pending_global_requests_is_protocol_error() {
    let mut c = Connection::new(
        Side::Server,
        ConnectionConfig {
            max_pending_requests: 3,
            ..ConnectionConfig::default()
        },
    );
    for _ in 0..3 {
        c.handle_message(&global(true, forward(1))).unwrap();
    }
    assert_eq!(
        c.handle_message(&global(true, forward(1))),
        Err(Error::TooManyGlobalRequests { limit: 3 })
    );
}

#[test]
fn a_full_global_reply_queue_is_not_ready_for_more_requests_until_answered() {
    let mut c = Connection::new(
        Side::Server,
        ConnectionConfig {
            max_pending_requests: 2,
            ..ConnectionConfig::default()
        },
    );
    let request = global(true, forward(1));
    assert!(c.is_ready_for(&request));
    c.handle_message(&request).unwrap();
    c.handle_message(&request).unwrap();
    assert!(!c.is_ready_for(&request), "two replies owed of two");
    assert!(
        c.is_ready_for(&crate::connection::tests::peer_open(1, 10, 10)),
        "only requests wait"
    );
    let ids = global_ids(&mut c);
    c.accept_global_request(ids[0], None).unwrap();
    assert!(c.is_ready_for(&request), "one answered, one owed");
    c.handle_message(&request).unwrap();
    assert_eq!(numbers(&mut c), vec![msg::REQUEST_SUCCESS]);
}

#[test]
fn queued_messages_counts_replies_until_taken() {
    let mut c = server();
    for _ in 0..3 {
        c.handle_message(&global(true, GlobalRequestKind::Keepalive))
            .unwrap();
    }
    assert_eq!(c.queued_messages(), 3);
    assert!(c.poll_message().is_some());
    assert_eq!(c.queued_messages(), 2);
    sent(&mut c);
    assert_eq!(c.queued_messages(), 0);
}

#[test]
fn many_refused_global_requests_leave_nothing_behind() {
    let mut c = server();
    for _ in 0..10_000 {
        c.handle_message(&global(true, GlobalRequestKind::Keepalive))
            .unwrap();
        assert_eq!(sent(&mut c).len(), 1);
    }
    assert!(c.global.replies.is_empty());
}

#[test]
fn answering_an_unknown_global_request_is_local_error() {
    let mut c = server();
    c.handle_message(&global(false, forward(1))).unwrap();
    let ids = global_ids(&mut c);
    let e = c.accept_global_request(ids[0], None).unwrap_err();
    assert_eq!(e, Error::NoSuchRequest { id: ids[0].0 });
    assert!(!e.is_peer_error());
}

// ----- our global requests -----

#[test]
fn our_global_replies_are_matched_in_order() {
    let mut c = Connection::new(Side::Client, ConnectionConfig::default());
    let a = c.send_global_request(forward(0), true).unwrap().unwrap();
    assert_eq!(
        c.send_global_request(GlobalRequestKind::Keepalive, false),
        Ok(None)
    );
    let b = c.send_global_request(forward(2222), true).unwrap().unwrap();
    assert_eq!(numbers(&mut c), vec![msg::GLOBAL_REQUEST; 3]);
    let port = RequestSuccess::with_bound_port(50000);
    c.handle_message(&bytes(ConnectionMessage::RequestSuccess(port.clone())))
        .unwrap();
    c.handle_message(&bytes(ConnectionMessage::RequestSuccess(port)))
        .unwrap();
    assert_eq!(
        events(&mut c),
        vec![
            Event::GlobalRequestReply {
                id: a,
                accepted: true,
                bound_port: Some(50000)
            },
            Event::GlobalRequestReply {
                id: b,
                accepted: true,
                bound_port: None
            },
        ]
    );
}

#[test]
fn our_global_failure_is_reported() {
    let mut c = Connection::new(Side::Client, ConnectionConfig::default());
    let a = c.send_global_request(forward(1), true).unwrap().unwrap();
    c.handle_message(&bytes(ConnectionMessage::RequestFailure(RequestFailure)))
        .unwrap();
    assert_eq!(
        events(&mut c),
        vec![Event::GlobalRequestReply {
            id: a,
            accepted: false,
            bound_port: None
        }]
    );
}

#[test]
fn global_reply_without_request_is_protocol_error() {
    let mut c = server();
    assert_eq!(
        c.handle_message(&bytes(ConnectionMessage::RequestFailure(RequestFailure))),
        Err(Error::UnexpectedGlobalReply {
            message: msg::REQUEST_FAILURE
        })
    );
}

#[test]
fn too_many_outstanding_global_requests_is_local_error() {
    let mut c = Connection::new(
        Side::Client,
        ConnectionConfig {
            max_pending_requests: 1,
            ..ConnectionConfig::default()
        },
    );
    c.send_global_request(GlobalRequestKind::Keepalive, true)
        .unwrap();
    assert_eq!(
        c.send_global_request(GlobalRequestKind::Keepalive, true),
        Err(Error::TooManyOutstandingRequests { limit: 1 })
    );
}

// ----- channel requests -----

#[test]
fn channel_request_goes_to_the_application_and_is_answered() {
    let (mut c, ch) = server_with_channel();
    c.handle_message(&channel_request(ch.0, true, exec()))
        .unwrap();
    let id = match events(&mut c).as_slice() {
        [
            Event::ChannelRequest {
                channel,
                id,
                want_reply: true,
                request,
            },
        ] if *channel == ch && *request == exec() => *id,
        other => panic!("unexpected {other:?}"),
    };
    c.reply_channel_request(ch, id, false).unwrap();
    let out = sent(&mut c);
    assert_eq!(
        ConnectionMessage::decode(&out[0]).unwrap(),
        ConnectionMessage::ChannelFailure(ChannelFailure {
            recipient_channel: 77
        })
    );
}

#[test]
fn channel_replies_leave_in_request_order() {
    let (mut c, ch) = server_with_channel();
    c.handle_message(&channel_request(ch.0, true, exec()))
        .unwrap();
    c.handle_message(&channel_request(ch.0, true, unknown_channel_request()))
        .unwrap();
    c.handle_message(&channel_request(ch.0, true, ChannelRequestKind::Eow))
        .unwrap();
    let ids: Vec<ChannelRequestId> = events(&mut c)
        .into_iter()
        .map(|e| match e {
            Event::ChannelRequest { id, .. } => id,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(ids.len(), 2, "the unknown request makes no event");
    c.reply_channel_request(ch, ids[1], true).unwrap();
    assert!(sent(&mut c).is_empty());
    c.reply_channel_request(ch, ids[0], true).unwrap();
    assert_eq!(
        numbers(&mut c),
        vec![
            msg::CHANNEL_SUCCESS,
            msg::CHANNEL_FAILURE,
            msg::CHANNEL_SUCCESS
        ]
    );
}

#[test]
fn unknown_channel_request_with_want_reply_gets_failure() {
    let (mut c, ch) = server_with_channel();
    c.handle_message(&channel_request(ch.0, true, unknown_channel_request()))
        .unwrap();
    assert!(events(&mut c).is_empty());
    assert_eq!(numbers(&mut c), vec![msg::CHANNEL_FAILURE]);
    c.handle_message(&channel_request(ch.0, false, unknown_channel_request()))
        .unwrap();
    assert!(sent(&mut c).is_empty());
}

#[test]
fn exit_status_without_reply_is_an_event() {
    let (mut c, ch) = server_with_channel();
    let status = ChannelRequestKind::ExitStatus { exit_status: 3 };
    c.handle_message(&channel_request(ch.0, false, status.clone()))
        .unwrap();
    assert!(matches!(
        events(&mut c).as_slice(),
        [Event::ChannelRequest { want_reply: false, request, .. }] if *request == status
    ));
}

#[test]
fn too_many_pending_channel_requests_is_protocol_error() {
    let mut c = Connection::new(
        Side::Server,
        ConnectionConfig {
            max_pending_requests: 2,
            ..ConnectionConfig::default()
        },
    );
    c.handle_message(&crate::connection::tests::peer_open(1, 10, 10))
        .unwrap();
    let ch = crate::LocalChannelId(0);
    c.accept_channel(ch).unwrap();
    c.handle_message(&channel_request(0, true, exec())).unwrap();
    c.handle_message(&channel_request(0, true, exec())).unwrap();
    assert_eq!(
        c.handle_message(&channel_request(0, true, exec())),
        Err(Error::TooManyChannelRequests {
            channel: ch,
            limit: 2
        })
    );
}

#[test]
fn a_full_channel_reply_queue_is_not_ready_for_more_requests_on_that_channel() {
    let mut c = Connection::new(
        Side::Server,
        ConnectionConfig {
            max_pending_requests: 1,
            ..ConnectionConfig::default()
        },
    );
    for sender in [1, 2] {
        c.handle_message(&crate::connection::tests::peer_open(sender, 10, 10))
            .unwrap();
    }
    c.accept_channel(crate::LocalChannelId(0)).unwrap();
    c.accept_channel(crate::LocalChannelId(1)).unwrap();
    c.handle_message(&channel_request(0, true, exec())).unwrap();
    assert!(!c.is_ready_for(&channel_request(0, true, exec())));
    assert!(c.is_ready_for(&channel_request(1, true, exec())));
    assert!(
        c.is_ready_for(&channel_request(7, true, exec())),
        "an unknown channel is the handler's error to report"
    );
    let id = events(&mut c)
        .into_iter()
        .find_map(|e| match e {
            Event::ChannelRequest { id, .. } => Some(id),
            _ => None,
        })
        .unwrap();
    c.reply_channel_request(crate::LocalChannelId(0), id, true)
        .unwrap();
    assert!(c.is_ready_for(&channel_request(0, true, exec())));
}

#[test]
fn channel_request_after_our_close_is_ignored() {
    let (mut c, ch) = server_with_channel();
    c.close(ch).unwrap();
    sent(&mut c);
    c.handle_message(&channel_request(ch.0, true, unknown_channel_request()))
        .unwrap();
    assert!(sent(&mut c).is_empty(), "nothing may follow our close");
    assert!(events(&mut c).is_empty());
}

#[test]
fn channel_request_for_unknown_channel_is_protocol_error() {
    let mut c = server();
    assert_eq!(
        c.handle_message(&channel_request(5, true, exec())),
        Err(Error::UnknownChannel {
            channel: 5,
            message: msg::CHANNEL_REQUEST
        })
    );
}

#[test]
fn our_channel_requests_are_matched_in_order() {
    let (mut c, ch) = server_with_channel();
    let status = ChannelRequestKind::ExitStatus { exit_status: 0 };
    assert_eq!(c.send_channel_request(ch, status, false), Ok(None));
    let a = c
        .send_channel_request(ch, ChannelRequestKind::Eow, true)
        .unwrap()
        .unwrap();
    let b = c.send_channel_request(ch, exec(), true).unwrap().unwrap();
    assert_eq!(numbers(&mut c), vec![msg::CHANNEL_REQUEST; 3]);
    let success = bytes(ConnectionMessage::ChannelSuccess(ChannelSuccess {
        recipient_channel: ch.0,
    }));
    let failure = bytes(ConnectionMessage::ChannelFailure(ChannelFailure {
        recipient_channel: ch.0,
    }));
    c.handle_message(&failure).unwrap();
    c.handle_message(&success).unwrap();
    assert_eq!(
        events(&mut c),
        vec![
            Event::ChannelRequestReply {
                channel: ch,
                id: a,
                accepted: false
            },
            Event::ChannelRequestReply {
                channel: ch,
                id: b,
                accepted: true
            },
        ]
    );
    assert_eq!(
        c.handle_message(&success),
        Err(Error::UnexpectedChannelReply {
            channel: ch,
            message: msg::CHANNEL_SUCCESS
        })
    );
}

#[test]
fn request_on_a_closed_channel_is_local_error() {
    let (mut c, ch) = server_with_channel();
    c.close(ch).unwrap();
    assert!(matches!(
        c.send_channel_request(ch, exec(), true),
        Err(Error::ChannelStateMismatch { .. })
    ));
}

#[test]
fn peer_close_drops_requests_both_ways() {
    let (mut c, ch) = server_with_channel();
    c.send_channel_request(ch, exec(), true).unwrap();
    c.handle_message(&channel_request(ch.0, true, exec()))
        .unwrap();
    let close = bytes(ConnectionMessage::ChannelClose(ChannelClose {
        recipient_channel: ch.0,
    }));
    c.handle_message(&close).unwrap();
    let chan = c.channels.get(ch).unwrap();
    assert!(chan.requests.is_none());
}
