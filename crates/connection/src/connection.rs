//! The `Connection` state machine: decoded payloads in, events and payloads out (quinn shape).

use std::collections::VecDeque;

use burrow_wire::Side;
use burrow_wire::Writer;
use burrow_wire::connection::ConnectionMessage;
use bytes::{Bytes, BytesMut};

use crate::channel::Channel;
use crate::config::ConnectionConfig;
use crate::error::Error;
use crate::event::Event;
use crate::global::GlobalRequests;
use crate::id::{LocalChannelId, RemoteChannelId};
use crate::outgoing::Outgoing;
use crate::state::ChannelState;
use crate::table::ChannelTable;
use crate::window::{RecvWindow, SendWindow};

/// The connection protocol (RFC 4254) for one SSH connection, client or server side.
///
/// Method groups, as in quinn-proto: getters; [`Connection::handle_message`] for input from the
/// peer; verbs for the application (`open_channel`, `accept_channel`, `write`, `read`, ...);
/// and `poll_event` / `poll_message` for output. No I/O, no clock: this layer has no timers
/// (keepalives are the driver's, sent with `send_global_request`).
///
/// Policy lives above: the application decides on channel opens and global requests it gets
/// as events. This crate only refuses, by itself, what no policy could accept: unknown channel
/// types and requests, types the other side serves (a server never accepts `forwarded-tcpip`),
/// opens past the channel limit, and sessions after `no-more-sessions@openssh.com`.
///
/// Queues and their bounds: received data per channel ≤ the window we granted; requests
/// waiting for replies ≤ `max_pending_requests` (per direction, globally and per channel);
/// channels ≤ `max_channels`; events and outgoing payloads grow by a bounded number per
/// handled message or verb, so a driver that drains them after each call keeps them small.
#[derive(Debug)]
pub struct Connection {
    side: Side,
    config: ConnectionConfig,
    pub(crate) channels: ChannelTable<Channel>,
    pub(crate) global: GlobalRequests,
    events: VecDeque<Event>,
    pub(crate) out: VecDeque<Outgoing>,
    /// How many of `out` are messages other than channel data (replies among them).
    queued_messages: usize,
    scratch: BytesMut,
    next_request_id: u64,
    pub(crate) no_more_sessions: bool,
    /// The first time the caller passed in (`set_now`).
    pub(crate) epoch: Option<std::time::Instant>,
    /// Microseconds since `epoch` at the last `set_now` (wrapping); `None`: windows are not
    /// tuned.
    pub(crate) now: Option<u32>,
    /// Bytes the receive windows commit (see `committed_window`).
    pub(crate) committed: u64,
}

impl Connection {
    /// A connection for `side` with the given limits.
    pub fn new(side: Side, config: ConnectionConfig) -> Self {
        Self {
            side,
            channels: ChannelTable::new(config.max_channels),
            global: GlobalRequests::default(),
            config,
            events: VecDeque::new(),
            out: VecDeque::new(),
            queued_messages: 0,
            scratch: BytesMut::new(),
            next_request_id: 0,
            no_more_sessions: false,
            epoch: None,
            now: None,
            committed: 0,
        }
    }

    // ----- getters -----

    /// Which side this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The limits in force.
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// Live channels (opening, offered, open or closing).
    pub fn channel_count(&self) -> u32 {
        self.channels.len()
    }

    /// Ids of live channels.
    pub fn channel_ids(&self) -> impl Iterator<Item = LocalChannelId> + '_ {
        self.channels.ids()
    }

    /// A channel's state, or `None` when the id is not live.
    pub fn channel_state(&self, id: LocalChannelId) -> Option<ChannelState> {
        self.channels.get(id).map(|c| c.state)
    }

    /// The peer's id for a channel (meaningless while our open is unconfirmed).
    pub fn remote_channel(&self, id: LocalChannelId) -> Option<RemoteChannelId> {
        self.channels.get(id).map(|c| c.remote)
    }

    /// Our send window on a channel.
    pub fn send_window(&self, id: LocalChannelId) -> Option<&SendWindow> {
        self.channels.get(id).map(|c| &c.send_window)
    }

    /// Our receive window on a channel.
    pub fn recv_window(&self, id: LocalChannelId) -> Option<&RecvWindow> {
        self.channels.get(id).map(|c| &c.recv_window)
    }

    /// Bytes `write` would take now (0 unless open with no EOF or CLOSE sent).
    pub fn writable(&self, id: LocalChannelId) -> u32 {
        match self.channels.get(id) {
            Some(c) if c.state.can_send_data() => c.send_window.remaining(),
            _ => 0,
        }
    }

    /// Received bytes waiting for `read` on a channel.
    pub fn buffered(&self, id: LocalChannelId) -> usize {
        self.channels.get(id).map_or(0, |c| c.buffer.len())
    }

    /// True when the peer will send no more data on the channel (EOF or CLOSE came, or the
    /// id is not live); `read` still returns what is buffered.
    pub fn peer_finished(&self, id: LocalChannelId) -> bool {
        self.channels
            .get(id)
            .is_none_or(|c| c.state.peer_finished())
    }

    /// True when `poll_message` has something.
    pub fn has_messages(&self) -> bool {
        !self.out.is_empty()
    }

    /// Payloads waiting in `poll_message` other than channel data: the replies, refusals and
    /// window adjustments a peer provokes. A driver stops reading while many wait, so a peer
    /// that sends requests and never reads the answers cannot make this queue grow.
    pub fn queued_messages(&self) -> usize {
        self.queued_messages
    }

    /// True when `payload` can be handled now without going past a limit on replies owed:
    /// false for a GLOBAL_REQUEST while `max_pending_requests` global replies are owed, and
    /// for a CHANNEL_REQUEST while as many are owed on its channel. A driver holds such a
    /// payload, and stops reading, until the application's answers drain the queue: pipelined
    /// requests then get backpressure instead of [`Error::TooManyGlobalRequests`].
    pub fn is_ready_for(&self, payload: &[u8]) -> bool {
        let limit = self.config.max_pending_requests;
        match payload.first().copied() {
            Some(burrow_wire::msg::GLOBAL_REQUEST) => self.global.replies.len() < limit,
            Some(burrow_wire::msg::CHANNEL_REQUEST) => {
                let id = payload
                    .get(1..5)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(|b| LocalChannelId(u32::from_be_bytes(b)));
                id.and_then(|id| self.channels.get(id))
                    .is_none_or(|c| c.owed_replies() < limit)
            }
            _ => true,
        }
    }

    // ----- input -----

    /// Handles one connection-layer payload (numbers 80-100) from the transport, a payload
    /// that owns its memory (see [`Connection::handle_message_in`] for one that shares it).
    ///
    /// Takes the payload as `Bytes` rather than a decoded message so that CHANNEL_DATA is
    /// buffered as a slice of it, without a copy. An `Err` with
    /// [`Error::is_peer_error`] means the connection must end with
    /// [`Error::disconnect_reason`]; nothing is half-applied.
    pub fn handle_message(&mut self, payload: &Bytes) -> Result<(), Error> {
        self.handle_message_in(payload, payload.len())
    }

    /// Handles one payload that is a slice of a larger allocation of `allocation` bytes (such
    /// as the driver's read buffer, which the transport decrypts in place). Received data is
    /// kept without a copy only where that pins at most [`crate::MAX_PIN_RATIO`] times its
    /// size, so what a stalled channel keeps alive stays about its window.
    pub fn handle_message_in(&mut self, payload: &Bytes, allocation: usize) -> Result<(), Error> {
        match ConnectionMessage::decode(payload)? {
            ConnectionMessage::GlobalRequest(m) => self.on_global_request(m),
            ConnectionMessage::RequestSuccess(m) => self.on_request_reply(Some(m)),
            ConnectionMessage::RequestFailure(_) => self.on_request_reply(None),
            ConnectionMessage::ChannelOpen(m) => self.on_channel_open(m),
            ConnectionMessage::ChannelOpenConfirmation(m) => self.on_open_confirmation(m),
            ConnectionMessage::ChannelOpenFailure(m) => self.on_open_failure(m),
            ConnectionMessage::ChannelWindowAdjust(m) => self.on_window_adjust(m),
            ConnectionMessage::ChannelData(m) => {
                let data = tail_of(payload, m.data.len());
                self.on_data(m.recipient_channel, None, data, allocation)
            }
            ConnectionMessage::ChannelExtendedData(m) => {
                let data = tail_of(payload, m.data.len());
                self.on_data(
                    m.recipient_channel,
                    Some(m.data_type_code),
                    data,
                    allocation,
                )
            }
            ConnectionMessage::ChannelEof(m) => self.on_eof(m.recipient_channel),
            ConnectionMessage::ChannelClose(m) => self.on_close(m.recipient_channel),
            ConnectionMessage::ChannelRequest(m) => self.on_channel_request(m),
            ConnectionMessage::ChannelSuccess(m) => {
                self.on_channel_reply(m.recipient_channel, true)
            }
            ConnectionMessage::ChannelFailure(m) => {
                self.on_channel_reply(m.recipient_channel, false)
            }
        }
    }

    // ----- output -----

    /// The next event for the application. Taking an `ExtendedData` event returns its window
    /// credit to the peer.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front()?;
        if let Event::ExtendedData { channel, data, .. } = &event {
            self.credit_extended(*channel, data.len());
        }
        Some(event)
    }

    /// The next payload for the transport, in the order it must be sent.
    #[must_use]
    pub fn poll_message(&mut self) -> Option<Outgoing> {
        let out = self.out.pop_front()?;
        if let Outgoing::Message(_) = out {
            self.queued_messages = self.queued_messages.saturating_sub(1);
        }
        Some(out)
    }

    // ----- helpers for the other modules -----

    /// The channel `channel` names, for a message `message` from the peer.
    pub(crate) fn peer_channel(
        &mut self,
        channel: u32,
        message: u8,
    ) -> Result<(LocalChannelId, &mut Channel), Error> {
        let id = LocalChannelId(channel);
        match self.channels.get_mut(id) {
            Some(c) => Ok((id, c)),
            None => Err(Error::UnknownChannel { channel, message }),
        }
    }

    /// The channel the application names.
    pub(crate) fn local_channel(&mut self, id: LocalChannelId) -> Result<&mut Channel, Error> {
        self.channels
            .get_mut(id)
            .ok_or(Error::NoSuchChannel { channel: id })
    }

    /// Frees a channel whose CLOSE went both ways. Its `ExtendedData` events still queued go
    /// too: the application closed it, and their credit must not land on a later channel
    /// that reuses the id.
    pub(crate) fn free_channel(&mut self, id: LocalChannelId) {
        self.discharge(id);
        self.channels.remove(id);
        self.events
            .retain(|e| !matches!(e, Event::ExtendedData { channel, .. } if *channel == id));
    }

    pub(crate) fn push_event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    /// Encodes `msg` and queues it.
    pub(crate) fn send(&mut self, msg: ConnectionMessage<'_>) {
        msg.encode(&mut Writer::new(&mut self.scratch));
        let payload = self.scratch.split().freeze();
        self.out.push_back(Outgoing::Message(payload));
        self.queued_messages = self.queued_messages.saturating_add(1);
    }

    pub(crate) fn next_request_id(&mut self) -> u64 {
        let id = self.next_request_id;
        self.next_request_id = self.next_request_id.wrapping_add(1);
        id
    }
}

/// The last `len` bytes of `payload` as a shared slice. CHANNEL_DATA and EXTENDED_DATA end with
/// their data string and decoding rejects trailing bytes, so the data is exactly this tail.
fn tail_of(payload: &Bytes, len: usize) -> Bytes {
    match payload.len().checked_sub(len) {
        Some(start) => payload.slice(start..),
        None => Bytes::new(),
    }
}

#[cfg(test)]
#[path = "connection_tests.rs"]
pub(crate) mod tests;
