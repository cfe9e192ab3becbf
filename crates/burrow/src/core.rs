//! `SessionCore`: the sans-IO glue of one connection (transport, then auth payloads, then the
//! connection layer), which the driver feeds with bytes and time and channel handles lock.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use burrow_connection::{
    ChannelRequestId, Connection, ConnectionConfig, GlobalRequestId, LocalChannelId, Outgoing,
    channel_data_header,
};
use burrow_keys::{Certificate, PublicKey, SigAlg};
use burrow_transport::{HostKeyVerdict, Transport, TransportEvent};
use burrow_userauth::{Authenticated, Route, route};
use burrow_wire::connection::{ChannelOpenType, GlobalRequestKind};
use burrow_wire::{DisconnectReason, Side, msg};
use bytes::{Bytes, BytesMut};
use tokio::sync::oneshot;

use crate::budget::SendBudget;
use crate::counters::Counting;
use crate::error::{Error, ErrorKind, Phase};
use crate::input_alloc::InputAllocation;
use crate::keepalive::Keepalive;
use crate::slot::Slots;

/// Channels per connection by default: room for 10,000 idle channels (an idle channel costs
/// a few hundred bytes; the connection crate's own default is 1,024).
pub const DEFAULT_MAX_CHANNELS: u32 = 16_384;

/// The connection limits burrow's configs start from.
pub(crate) fn default_connection_config() -> ConnectionConfig {
    ConnectionConfig {
        max_channels: DEFAULT_MAX_CHANNELS,
        ..ConnectionConfig::default()
    }
}

/// The host-key check the core calls when the server proved its key.
/// The certificate is given when the server's host key is one (the key is the one inside).
pub(crate) type HostKeyFn = dyn Fn(&PublicKey, Option<&Certificate>) -> bool + Send + Sync;

/// The server's proven host key, and the certificate it came in, if any.
pub(crate) type HostKeyQuestion = (PublicKey, Option<Certificate>);

/// The answer to one of our global requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GlobalReply {
    pub(crate) accepted: bool,
    pub(crate) bound_port: Option<u32>,
}

/// Something the peer asked for that the application's handler must answer, handed out by the
/// driver after it released the lock.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A CHANNEL_OPEN of a type this side serves; the channel is `Offered`.
    Channel(LocalChannelId, ChannelOpenType<'static>),
    /// A GLOBAL_REQUEST this side serves.
    Global(GlobalRequestId, bool, GlobalRequestKind<'static>),
}

/// The state of one connection, shared by the driver and every handle behind one mutex.
pub(crate) struct SessionCore {
    pub(crate) peer: String,
    pub(crate) phase: Phase,
    pub(crate) transport: Transport,
    /// Present once authentication succeeded.
    pub(crate) conn: Option<Connection>,
    conn_config: ConnectionConfig,
    /// Client: the host key check; taken by the driver with the question.
    host_key_check: Option<Arc<HostKeyFn>>,
    /// Client: the server's key, proven in the first exchange, that the driver must have
    /// checked (off the lock) before input processing goes on.
    host_key_question: Option<HostKeyQuestion>,
    pub(crate) host_key: Option<PublicKey>,
    /// Userauth payloads (numbers 5, 6, 50-79) for the handshake code, then (client) what
    /// followed USERAUTH_SUCCESS. Bound: at most the packets of one read buffer, since the
    /// handshake drains it after every read.
    pub(crate) auth_inbox: VecDeque<Bytes>,
    /// Client: USERAUTH_SUCCESS is in `auth_inbox`.
    success_queued: bool,
    /// Per open channel with a handle: wakers and session-channel extras.
    pub(crate) slots: Slots,
    /// Our channel opens waiting for the peer. Bound: the channel limit.
    pub(crate) opens: HashMap<LocalChannelId, oneshot::Sender<Result<(), Error>>>,
    /// Our global requests waiting for a reply. Bound: `max_pending_requests`.
    pub(crate) globals: HashMap<GlobalRequestId, oneshot::Sender<GlobalReply>>,
    /// Our channel requests waiting for a reply. Bound: `max_pending_requests` per channel.
    pub(crate) chan_requests: HashMap<(LocalChannelId, ChannelRequestId), oneshot::Sender<bool>>,
    /// Connection payloads held back (with the size of the allocation they share) while
    /// replies are owed past the limit. Bound: the driver does not read while any is held,
    /// so at most the packets of one read.
    pub(crate) held: VecDeque<(Bytes, usize)>,
    /// Requests for the handler. Bound: offered channels count against the channel limit and
    /// global requests against `max_pending_requests`; the driver drains it every turn.
    pub(crate) incoming: VecDeque<Incoming>,
    /// What the connection buffers for sending, and the writers waiting for room.
    pub(crate) budget: SendBudget,
    /// Why the session ended, once it did.
    pub(crate) closed: Option<Arc<Error>>,
    /// The application asked to disconnect.
    pub(crate) disconnect_requested: bool,
    pub(crate) keepalive: Option<Keepalive>,
    /// Rekeys and keepalive round trips, for metrics.
    pub(crate) counting: Counting,
    /// Server stop: disconnect once no channel is left, or at this deadline.
    pub(crate) drain_deadline: Option<Instant>,
    /// The allocation received payloads share, so the connection layer copies data that
    /// would pin much more than itself.
    input_alloc: InputAllocation,
}

impl SessionCore {
    /// A core around a fresh transport.
    pub(crate) fn new(
        peer: String,
        transport: Transport,
        conn_config: ConnectionConfig,
        host_key_check: Option<Arc<HostKeyFn>>,
    ) -> Self {
        Self {
            peer,
            phase: Phase::KeyExchange,
            transport,
            conn: None,
            conn_config,
            host_key_check,
            host_key_question: None,
            host_key: None,
            auth_inbox: VecDeque::new(),
            success_queued: false,
            slots: Slots::default(),
            opens: HashMap::new(),
            globals: HashMap::new(),
            chan_requests: HashMap::new(),
            held: VecDeque::new(),
            incoming: VecDeque::new(),
            budget: SendBudget::default(),
            closed: None,
            disconnect_requested: false,
            keepalive: None,
            counting: Counting::default(),
            drain_deadline: None,
            input_alloc: InputAllocation::default(),
        }
    }

    /// Which side this is.
    pub(crate) fn side(&self) -> Side {
        self.transport.side()
    }

    /// An error about this session in its current phase.
    pub(crate) fn error(&self, kind: ErrorKind) -> Error {
        Error::new(&self.peer, self.phase, kind)
    }

    /// The error handles see once the session is over.
    pub(crate) fn closed_error(&self) -> Error {
        match &self.closed {
            Some(e) => Error::new(&e.peer, e.phase, ErrorKind::SessionClosed(e.clone())),
            None => self.error(ErrorKind::LocallyClosed),
        }
    }

    /// Starts the connection layer; only userauth's proof of a successful login opens it, on
    /// either side (ARCHITECTURE §4).
    pub(crate) fn start_connection<P>(&mut self, _proof: &Authenticated<P>) {
        self.conn = Some(Connection::new(self.side(), self.conn_config.clone()));
        self.phase = Phase::Connection;
    }

    /// Handles the payloads that arrived before the connection layer started.
    pub(crate) fn replay_inbox(&mut self) -> Result<(), Error> {
        while let Some(p) = self.auth_inbox.pop_front() {
            self.on_payload(p)?;
        }
        Ok(())
    }

    /// Feeds received bytes through the transport and the layers above. The transport takes
    /// no input past a host key question; the driver answers it and calls this again.
    pub(crate) fn handle_input(&mut self, input: &mut BytesMut, now: Instant) -> Result<(), Error> {
        if let Some(k) = self.keepalive.as_mut() {
            k.on_input(now);
        }
        if let Some(conn) = self.conn.as_mut() {
            conn.set_now(now); // receive windows are sized from arrival times
        }
        self.input_alloc.observe(input);
        self.transport
            .handle_input(input, now)
            .map_err(|e| self.error(ErrorKind::Transport(e)))?;
        self.process_transport_events()
    }

    /// Drains transport events.
    fn process_transport_events(&mut self) -> Result<(), Error> {
        while let Some(event) = self.transport.poll_event() {
            match event {
                TransportEvent::Payload(p) => self.on_payload(p)?,
                TransportEvent::VerifyHostKey { host_key, .. } => {
                    // A certificate's CA signature was checked by the transport.
                    let question = match PublicKey::from_blob(&host_key) {
                        Ok(key) => Ok((key, None)),
                        Err(_) => Certificate::from_blob(&host_key, &SigAlg::ALL)
                            .map(|c| (c.key.clone(), Some(c))),
                    };
                    let question = question.map_err(|_| {
                        self.error(ErrorKind::Transport(
                            burrow_transport::TransportError::BadHostKey,
                        ))
                    })?;
                    self.host_key_question = Some(question);
                }
                TransportEvent::KexDone(info) => {
                    tracing::debug!(initial = info.initial, kex = ?info.kex, "key exchange done");
                    if info.initial && self.phase == Phase::KeyExchange {
                        self.phase = Phase::Authentication;
                    } else if !info.initial {
                        self.counting.counters.rekeys =
                            self.counting.counters.rekeys.saturating_add(1);
                    }
                }
                TransportEvent::Disconnected {
                    reason,
                    description,
                } => {
                    return Err(self.error(ErrorKind::PeerDisconnected {
                        reason,
                        description,
                    }));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The host key question for the driver to check off the lock, with the check to run.
    pub(crate) fn take_host_key_question(
        &mut self,
    ) -> Option<(HostKeyQuestion, Option<Arc<HostKeyFn>>)> {
        let question = self.host_key_question.take()?;
        Some((question, self.host_key_check.take()))
    }

    /// The driver's verdict on `key`; input processing may go on after it.
    pub(crate) fn answer_host_key(&mut self, key: PublicKey, trusted: bool) -> Result<(), Error> {
        let fingerprint = key.fingerprint();
        self.host_key = Some(key);
        if trusted {
            self.transport.answer_host_key(HostKeyVerdict::Accept);
            Ok(())
        } else {
            self.transport.answer_host_key(HostKeyVerdict::Reject);
            Err(self.error(ErrorKind::HostKeyRejected { fingerprint }))
        }
    }

    /// Sends a service-layer payload where `burrow_userauth::route` admits it: to the
    /// handshake code's inbox, to the connection layer, or nowhere.
    fn on_payload(&mut self, payload: Bytes) -> Result<(), Error> {
        let number = payload.first().copied().unwrap_or(0);
        // A client's connection layer starts when the handshake code took the proof of
        // USERAUTH_SUCCESS from the inbox; what follows the success (a server's first global
        // requests can come in the same read) waits behind it.
        let authenticated = self.conn.is_some() || self.success_queued;
        match route(self.side(), authenticated, number) {
            Route::Userauth => {
                self.success_queued |= number == msg::USERAUTH_SUCCESS;
                self.auth_inbox.push_back(payload);
                Ok(())
            }
            Route::Connection if self.conn.is_some() => {
                self.handle_or_hold(payload, self.input_alloc.size())
            }
            Route::Connection => {
                self.auth_inbox.push_back(payload);
                Ok(())
            }
            Route::Ignore => Ok(()),
            Route::Unimplemented | Route::Refuse => {
                let e = burrow_transport::TransportError::UnexpectedMessage {
                    number,
                    phase: if authenticated {
                        "connection"
                    } else {
                        "authentication"
                    },
                };
                // The transport did not see it as an error: the DISCONNECT is sent here.
                self.transport
                    .disconnect(DisconnectReason::ProtocolError, &e.to_string());
                Err(self.error(ErrorKind::Transport(e)))
            }
        }
    }

    /// Closes a channel nobody holds a handle to (handle dropped, opener gone).
    pub(crate) fn release_channel(&mut self, channel: LocalChannelId) {
        self.slots.remove(&channel);
        self.budget.forget(channel);
        self.chan_requests.retain(|(c, _), _| *c != channel);
        if let Some(conn) = self.conn.as_mut() {
            if let Err(e) = conn.close(channel) {
                tracing::trace!(error = %e, "close of a channel already gone");
            }
        }
    }

    /// Moves connection-layer payloads into the transport while it takes them and the send
    /// budget allows, then wakes writers waiting for the budget.
    pub(crate) fn flush(&mut self) -> Result<(), Error> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        while self.transport.is_accepting_payloads() && self.budget.can_seal() {
            let Some(out) = conn.poll_message() else {
                break;
            };
            // Channel data goes in two pieces, copied once, into the packet sealed in place.
            let sent = match &out {
                Outgoing::Data { recipient, data } => {
                    self.budget.dequeued(data.len());
                    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
                    let header = channel_data_header(*recipient, len);
                    self.transport.send_payload_parts(&[&header, data])
                }
                Outgoing::Message(m) => self.transport.send_payload(m),
            };
            if let Err(e) = sent {
                return Err(Error::new(&self.peer, self.phase, ErrorKind::Transport(e)));
            }
            // Sealed bytes count against the budget until the driver writes them.
            self.budget.sealed(out.len());
        }
        for id in self.budget.take_woken() {
            if let Some(s) = self.slots.get_mut(&id) {
                s.wake_write();
            }
        }
        Ok(())
    }

    /// Sends a userauth payload through the transport.
    pub(crate) fn send_auth_payload(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.transport
            .send_payload(payload)
            .map_err(|e| self.error(ErrorKind::Transport(e)))
    }

    /// Queues a DISCONNECT for `err` unless the peer ended the session or the transport
    /// already sent one.
    pub(crate) fn send_disconnect_for(&mut self, err: &Error) {
        if matches!(
            *err.kind,
            ErrorKind::PeerDisconnected { .. } | ErrorKind::Transport(_) | ErrorKind::Io(_)
        ) {
            return;
        }
        let reason = err.disconnect_reason();
        let text = match reason {
            DisconnectReason::ByApplication => "disconnected by application".to_owned(),
            _ => err.kind.to_string(),
        };
        self.transport.disconnect(reason, &text);
    }

    /// Ends the session: DISCONNECT with the error's reason (unless the peer ended it), wakes
    /// every handle and waiter.
    pub(crate) fn fail(&mut self, err: Error) {
        if self.closed.is_some() {
            return;
        }
        self.send_disconnect_for(&err);
        tracing::debug!(error = %err, "session ended");
        self.closed = Some(Arc::new(err));
        self.opens.clear();
        self.globals.clear();
        self.chan_requests.clear();
        for slot in self.slots.values_mut() {
            slot.wake_all();
        }
    }

    /// The next time the driver must call `handle_timeout`.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let times = [
            self.transport.poll_timeout(),
            self.keepalive.as_ref().map(Keepalive::deadline),
            self.drain_deadline,
        ];
        times.into_iter().flatten().min()
    }

    /// Time-based work: rekey, keepalives, the drain deadline of a server stop.
    pub(crate) fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.transport.handle_timeout(now);
        if let Some(k) = self.keepalive.as_mut() {
            match k.on_timeout(now) {
                crate::keepalive::Action::Nothing => {}
                crate::keepalive::Action::Send => {
                    if let Some(conn) = self.conn.as_mut() {
                        // A full request queue is itself a sign the peer is not answering.
                        match conn.send_global_request(GlobalRequestKind::Keepalive, true) {
                            Ok(Some(id)) => self.counting.keepalive_sent(id, now),
                            Ok(None) => {}
                            Err(e) => tracing::debug!(error = %e, "keepalive not sent"),
                        }
                    }
                }
                crate::keepalive::Action::Dead(count) => {
                    return Err(self.error(ErrorKind::KeepaliveTimeout { count }));
                }
            }
        }
        if self.drain_deadline.is_some_and(|d| now >= d) {
            return Err(self.error(ErrorKind::LocallyClosed));
        }
        Ok(())
    }

    /// True when a server stop is draining and no channel is left.
    pub(crate) fn drained(&self) -> bool {
        self.drain_deadline.is_some() && self.conn.as_ref().is_none_or(|c| c.channel_count() == 0)
    }
}
