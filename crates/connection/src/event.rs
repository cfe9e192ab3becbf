//! What the connection tells the application (`Connection::poll_event`).

use burrow_wire::OpenFailureReason;
use burrow_wire::connection::{ChannelOpenType, ChannelRequestKind, GlobalRequestKind};
use bytes::Bytes;

use crate::id::{ChannelRequestId, GlobalRequestId, LocalChannelId};

/// An event for the application. Each handled message queues at most one; drain them with
/// `poll_event` after every `handle_message`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The peer asks to open a channel of a type this side serves. Answer with
    /// `accept_channel` or `reject_channel`; until then the channel counts against the limit.
    ChannelOpenRequest {
        /// Our id for the channel.
        channel: LocalChannelId,
        /// What the peer wants (never `Unknown`: those are refused here).
        channel_type: ChannelOpenType<'static>,
    },
    /// The peer confirmed a channel we opened; it may be written now.
    ChannelOpened {
        /// Our id.
        channel: LocalChannelId,
    },
    /// The peer refused a channel we opened; the id is free again.
    ChannelOpenFailed {
        /// Our id (no longer valid).
        channel: LocalChannelId,
        /// The RFC reason code.
        reason: OpenFailureReason,
        /// The peer's description.
        description: String,
    },
    /// Data is waiting on a channel whose buffer was empty (edge-triggered): call `read`.
    Readable {
        /// Our id.
        channel: LocalChannelId,
    },
    /// CHANNEL_EXTENDED_DATA (stderr is `data_type_code` 1). Its window credit is returned
    /// when this event is taken by `poll_event`.
    ExtendedData {
        /// Our id.
        channel: LocalChannelId,
        /// The RFC 4254 §5.2 data type code.
        data_type_code: u32,
        /// The data, sharing the payload's memory.
        data: Bytes,
    },
    /// The peer added to a send window that was empty: `write` may take more.
    Writable {
        /// Our id.
        channel: LocalChannelId,
    },
    /// The peer sent EOF: after the buffered data, nothing more will come.
    Eof {
        /// Our id.
        channel: LocalChannelId,
    },
    /// The peer sent CLOSE. If we had already closed, the id is free now; otherwise read
    /// what is left and call `close`, which frees it. Our requests on it get no replies.
    PeerClosed {
        /// Our id.
        channel: LocalChannelId,
    },
    /// The peer sent a channel request. Answer with `reply_channel_request` when
    /// `want_reply`; replies go out in request order. Unknown requests are refused here.
    ChannelRequest {
        /// Our id.
        channel: LocalChannelId,
        /// Names the request for the reply.
        id: ChannelRequestId,
        /// The peer waits for a reply.
        want_reply: bool,
        /// The request.
        request: ChannelRequestKind<'static>,
    },
    /// The peer replied to one of our channel requests.
    ChannelRequestReply {
        /// Our id.
        channel: LocalChannelId,
        /// The request it answers.
        id: ChannelRequestId,
        /// CHANNEL_SUCCESS (true) or CHANNEL_FAILURE.
        accepted: bool,
    },
    /// The peer sent a global request this side serves (server: tcpip-forward,
    /// streamlocal-forward and their cancels). Answer with `accept_global_request` or
    /// `reject_global_request` when `want_reply`; replies go out in request order.
    GlobalRequest {
        /// Names the request for the reply.
        id: GlobalRequestId,
        /// The peer waits for a reply.
        want_reply: bool,
        /// The request.
        request: GlobalRequestKind<'static>,
    },
    /// The peer replied to one of our global requests.
    GlobalRequestReply {
        /// The request it answers.
        id: GlobalRequestId,
        /// REQUEST_SUCCESS (true) or REQUEST_FAILURE.
        accepted: bool,
        /// For a tcpip-forward with port 0: the port the peer bound.
        bound_port: Option<u32>,
    },
}
