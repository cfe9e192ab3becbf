//! Channel requests (RFC 4254 §5.4, §6.5, §6.10): the peer's and ours, replies in order per
//! channel.

use burrow_wire::connection::{
    ChannelFailure, ChannelRequest, ChannelRequestKind, ChannelSuccess, ConnectionMessage,
};
use burrow_wire::msg;

use crate::connection::Connection;
use crate::error::Error;
use crate::event::Event;
use crate::id::{ChannelRequestId, LocalChannelId};

impl Connection {
    /// The peer's CHANNEL_REQUEST: unknown types are refused here (when a reply is wanted),
    /// the others go to the application. Ignored after our CLOSE.
    pub(crate) fn on_channel_request(&mut self, m: ChannelRequest<'_>) -> Result<(), Error> {
        let limit = self.config().max_pending_requests;
        let request_id = ChannelRequestId(self.next_request_id());
        let (id, c) = self.peer_channel(m.recipient_channel, msg::CHANNEL_REQUEST)?;
        if !c.state.check_peer_message(id, msg::CHANNEL_REQUEST)? {
            return Ok(());
        }
        if m.want_reply && c.owed_replies() >= limit {
            return Err(Error::TooManyChannelRequests { channel: id, limit });
        }
        if let ChannelRequestKind::Unknown { .. } = m.request {
            if m.want_reply {
                c.requests().replies.push_answered(request_id.0, false);
                self.flush_channel_replies(id);
            }
            return Ok(());
        }
        if m.want_reply {
            c.requests().replies.push_pending(request_id.0);
        }
        self.push_event(Event::ChannelRequest {
            channel: id,
            id: request_id,
            want_reply: m.want_reply,
            request: m.request.into_owned(),
        });
        Ok(())
    }

    /// The peer's CHANNEL_SUCCESS (`accepted`) or CHANNEL_FAILURE: answers our oldest request
    /// on the channel. Ignored after our CLOSE (we dropped the requests).
    pub(crate) fn on_channel_reply(&mut self, channel: u32, accepted: bool) -> Result<(), Error> {
        let message = match accepted {
            true => msg::CHANNEL_SUCCESS,
            false => msg::CHANNEL_FAILURE,
        };
        let (id, c) = self.peer_channel(channel, message)?;
        if !c.state.check_peer_message(id, message)? {
            return Ok(());
        }
        let Some(request) = c.requests.as_mut().and_then(|r| r.outstanding.pop_front()) else {
            return Err(Error::UnexpectedChannelReply {
                channel: id,
                message,
            });
        };
        c.tidy_requests();
        self.push_event(Event::ChannelRequestReply {
            channel: id,
            id: request,
            accepted,
        });
        Ok(())
    }

    /// Sends a channel request on an open channel. With `want_reply`, returns the id its
    /// [`Event::ChannelRequestReply`] will carry; at most `max_pending_requests` wait at once.
    pub fn send_channel_request(
        &mut self,
        id: LocalChannelId,
        request: ChannelRequestKind<'_>,
        want_reply: bool,
    ) -> Result<Option<ChannelRequestId>, Error> {
        let limit = self.config().max_pending_requests;
        let request_id = ChannelRequestId(self.next_request_id());
        let c = self.local_channel(id)?;
        if !c.state.can_send_messages() {
            return Err(Error::ChannelStateMismatch {
                channel: id,
                action: "send a request",
                state: c.state.name(),
            });
        }
        let mut reply_id = None;
        if want_reply {
            let outstanding = &mut c.requests().outstanding;
            if outstanding.len() >= limit {
                return Err(Error::TooManyOutstandingRequests { limit });
            }
            outstanding.push_back(request_id);
            reply_id = Some(request_id);
        }
        let recipient_channel = c.remote.0;
        self.send(ConnectionMessage::ChannelRequest(ChannelRequest {
            recipient_channel,
            want_reply,
            request,
        }));
        Ok(reply_id)
    }

    /// Answers the peer's channel request `request` (from [`Event::ChannelRequest`] with
    /// `want_reply`). Replies leave in request order. Answers on a closing channel are
    /// dropped (no reply may follow a CLOSE).
    pub fn reply_channel_request(
        &mut self,
        id: LocalChannelId,
        request: ChannelRequestId,
        accepted: bool,
    ) -> Result<(), Error> {
        let c = self.local_channel(id)?;
        if !c.state.can_send_messages() {
            return Ok(());
        }
        if !c
            .requests
            .as_mut()
            .is_some_and(|r| r.replies.answer(request.0, accepted))
        {
            return Err(Error::NoSuchRequest { id: request.0 });
        }
        self.flush_channel_replies(id);
        Ok(())
    }

    fn flush_channel_replies(&mut self, id: LocalChannelId) {
        let mut replies = Vec::new();
        let Some(c) = self.channels.get_mut(id) else {
            return;
        };
        let recipient_channel = c.remote.0;
        while let Some(accepted) = c.requests.as_mut().and_then(|r| r.replies.pop_ready()) {
            replies.push(accepted);
        }
        c.tidy_requests();
        for accepted in replies {
            let message = match accepted {
                true => ConnectionMessage::ChannelSuccess(ChannelSuccess { recipient_channel }),
                false => ConnectionMessage::ChannelFailure(ChannelFailure { recipient_channel }),
            };
            self.send(message);
        }
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
