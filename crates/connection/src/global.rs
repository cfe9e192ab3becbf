//! Global requests (RFC 4254 §4, OpenSSH PROTOCOL §2.5, §4.2), replies matched strictly in
//! order both ways.

use std::borrow::Cow;
use std::collections::VecDeque;

use burrow_wire::connection::{
    ConnectionMessage, GlobalRequest, GlobalRequestKind, RequestFailure, RequestSuccess,
};
use burrow_wire::{Side, msg};

use crate::connection::Connection;
use crate::error::Error;
use crate::event::Event;
use crate::id::GlobalRequestId;
use crate::reply::ReplyQueue;

/// A reply we owe: success (with the bound port for tcpip-forward to port 0) or failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalReply {
    /// REQUEST_SUCCESS, with the port when one was bound.
    Success(Option<u32>),
    /// REQUEST_FAILURE.
    Failure,
}

/// Both directions of global requests for one connection.
#[derive(Debug, Default)]
pub struct GlobalRequests {
    /// The peer's requests waiting for our replies.
    pub replies: ReplyQueue<GlobalReply>,
    /// Ours waiting for the peer's replies, oldest first, each with whether its success
    /// carries a bound port (tcpip-forward to port 0).
    pub outstanding: VecDeque<(GlobalRequestId, bool)>,
}

/// What this crate does with a peer's global request by itself.
enum Disposition {
    /// Ask the application.
    Offer,
    /// Answer now, without the application.
    Answer(GlobalReply),
}

fn disposition(side: Side, request: &GlobalRequestKind<'_>) -> Disposition {
    match request {
        GlobalRequestKind::TcpipForward { .. }
        | GlobalRequestKind::CancelTcpipForward { .. }
        | GlobalRequestKind::StreamlocalForward { .. }
        | GlobalRequestKind::CancelStreamlocalForward { .. } => match side {
            Side::Server => Disposition::Offer,
            Side::Client => Disposition::Answer(GlobalReply::Failure),
        },
        // OpenSSH answers keepalives with failure; any reply proves liveness.
        GlobalRequestKind::Keepalive => Disposition::Answer(GlobalReply::Failure),
        GlobalRequestKind::NoMoreSessions => match side {
            Side::Server => Disposition::Answer(GlobalReply::Success(None)),
            Side::Client => Disposition::Answer(GlobalReply::Failure),
        },
        // The client accepts and ignores host key announcements (no rotation yet).
        GlobalRequestKind::HostKeys { .. } | GlobalRequestKind::Unknown { .. } => {
            Disposition::Answer(GlobalReply::Failure)
        }
    }
}

impl Connection {
    /// The peer's GLOBAL_REQUEST.
    pub(crate) fn on_global_request(&mut self, m: GlobalRequest<'_>) -> Result<(), Error> {
        let limit = self.config().max_pending_requests;
        if m.want_reply && self.global.replies.len() >= limit {
            return Err(Error::TooManyGlobalRequests { limit });
        }
        if m.request == GlobalRequestKind::NoMoreSessions && self.side() == Side::Server {
            self.no_more_sessions = true;
        }
        let id = GlobalRequestId(self.next_request_id());
        match disposition(self.side(), &m.request) {
            Disposition::Answer(reply) => {
                if m.want_reply {
                    self.global.replies.push_answered(id.0, reply);
                }
            }
            Disposition::Offer => {
                if m.want_reply {
                    self.global.replies.push_pending(id.0);
                }
                self.push_event(Event::GlobalRequest {
                    id,
                    want_reply: m.want_reply,
                    request: m.request.into_owned(),
                });
            }
        }
        self.flush_global_replies();
        Ok(())
    }

    /// The peer's REQUEST_SUCCESS (`Some`) or REQUEST_FAILURE: answers our oldest request.
    pub(crate) fn on_request_reply(
        &mut self,
        success: Option<RequestSuccess<'_>>,
    ) -> Result<(), Error> {
        let message = match success {
            Some(_) => msg::REQUEST_SUCCESS,
            None => msg::REQUEST_FAILURE,
        };
        let Some((id, wants_port)) = self.global.outstanding.pop_front() else {
            return Err(Error::UnexpectedGlobalReply { message });
        };
        let bound_port = match (&success, wants_port) {
            (Some(s), true) => s.bound_port(),
            _ => None,
        };
        self.push_event(Event::GlobalRequestReply {
            id,
            accepted: success.is_some(),
            bound_port,
        });
        Ok(())
    }

    /// Sends a global request. With `want_reply`, returns the id its
    /// [`Event::GlobalRequestReply`] will carry; at most `max_pending_requests` wait at once.
    pub fn send_global_request(
        &mut self,
        request: GlobalRequestKind<'_>,
        want_reply: bool,
    ) -> Result<Option<GlobalRequestId>, Error> {
        let limit = self.config().max_pending_requests;
        let mut reply_id = None;
        if want_reply {
            if self.global.outstanding.len() >= limit {
                return Err(Error::TooManyOutstandingRequests { limit });
            }
            let wants_port = matches!(
                request,
                GlobalRequestKind::TcpipForward {
                    port_to_bind: 0,
                    ..
                }
            );
            let id = GlobalRequestId(self.next_request_id());
            self.global.outstanding.push_back((id, wants_port));
            reply_id = Some(id);
        }
        self.send(ConnectionMessage::GlobalRequest(GlobalRequest {
            want_reply,
            request,
        }));
        Ok(reply_id)
    }

    /// Accepts the peer's global request `id`; `bound_port` is the port bound for a
    /// tcpip-forward to port 0 (RFC 4254 §7.1). Only requests with `want_reply` take an answer
    /// (others: [`Error::NoSuchRequest`]).
    pub fn accept_global_request(
        &mut self,
        id: GlobalRequestId,
        bound_port: Option<u32>,
    ) -> Result<(), Error> {
        self.answer_global(id, GlobalReply::Success(bound_port))
    }

    /// Refuses the peer's global request `id`.
    pub fn reject_global_request(&mut self, id: GlobalRequestId) -> Result<(), Error> {
        self.answer_global(id, GlobalReply::Failure)
    }

    fn answer_global(&mut self, id: GlobalRequestId, reply: GlobalReply) -> Result<(), Error> {
        if !self.global.replies.answer(id.0, reply) {
            return Err(Error::NoSuchRequest { id: id.0 });
        }
        self.flush_global_replies();
        Ok(())
    }

    fn flush_global_replies(&mut self) {
        while let Some(reply) = self.global.replies.pop_ready() {
            let message = match reply {
                GlobalReply::Success(Some(port)) => {
                    ConnectionMessage::RequestSuccess(RequestSuccess::with_bound_port(port))
                }
                GlobalReply::Success(None) => ConnectionMessage::RequestSuccess(RequestSuccess {
                    data: Cow::Borrowed(&[]),
                }),
                GlobalReply::Failure => ConnectionMessage::RequestFailure(RequestFailure),
            };
            self.send(message);
        }
    }
}
