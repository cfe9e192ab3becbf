//! `Transport`: one side of an SSH transport connection as a sans-IO state machine, and its
//! public API (bytes and time in; bytes, events and deadlines out).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use burrow_keys::KeyPair;
use burrow_wire::transport::Disconnect;
use burrow_wire::{DisconnectReason, SessionId, Side};
use bytes::{Bytes, BytesMut};
use rand_core::CryptoRngCore;

use crate::TransportError;
use crate::admission::Phase;
use crate::config::TransportConfig;
use crate::event::{HostKeyVerdict, TransportEvent};
use crate::handshake::KexState;
use crate::host_key::{HostKeySigner, HostKeys};
use crate::packet::{PacketOpener, PacketSealer};
use crate::rekey::RekeyBase;
use crate::version::{VersionExchange, our_version_line};

/// The most bytes of description our DISCONNECT carries (OpenSSH formats its own into 1024).
const MAX_DISCONNECT_DESCRIPTION: usize = 1024;

/// One side of an SSH-2 transport connection (RFC 4253), with no I/O and no clock.
///
/// Feed received bytes to [`Transport::handle_input`], send service payloads with
/// [`Transport::send_payload`], then drain [`Transport::poll_event`] and
/// [`Transport::poll_transmit`], and call [`Transport::handle_timeout`] at
/// [`Transport::poll_timeout`].
pub struct Transport {
    pub(crate) side: Side,
    pub(crate) cfg: Arc<TransportConfig>,
    pub(crate) rng: Box<dyn CryptoRngCore + Send>,
    /// Server only: the host keys, one per key type at most being used.
    pub(crate) host_keys: Arc<dyn HostKeySigner>,
    pub(crate) version: VersionExchange,
    /// The peer's version line without CR LF, once received.
    pub(crate) peer_version: Option<Vec<u8>>,
    pub(crate) sealer: PacketSealer,
    pub(crate) opener: PacketOpener,
    /// Ciphertext waiting for `poll_transmit`. Bounded by what the caller sends: the hold queue
    /// bound during a rekey, and the service layer's flow control otherwise.
    pub(crate) out: BytesMut,
    /// Events waiting for `poll_event`: at most one per packet of the input handed in.
    pub(crate) events: VecDeque<TransportEvent>,
    pub(crate) kex: KexState,
    /// How many KEXINITs the peer has sent.
    pub(crate) peer_kexinits: u64,
    /// The peer sent KEXINIT and has not sent NEWKEYS yet.
    pub(crate) peer_in_kex: bool,
    /// Strict kex was negotiated in the initial key exchange.
    pub(crate) strict_kex: bool,
    /// The first key exchange has finished in both directions.
    pub(crate) initial_done: bool,
    pub(crate) session_id: Option<SessionId>,
    /// Payloads sent during a key exchange, in order; at most `cfg.max_held_bytes` bytes.
    pub(crate) held: VecDeque<Bytes>,
    pub(crate) held_bytes: usize,
    /// The peer guessed its first kex packet wrong: drop its next packet (RFC 4253 §7).
    pub(crate) ignore_next_packet: bool,
    /// Client: the last negotiation found both sides' first kex and host key algorithms equal,
    /// so a guess in the next exchange we start is right by every peer's rule.
    pub(crate) guess_predicted_right: bool,
    /// Client: input processing stops after the server's NEWKEYS until the host key verdict.
    pub(crate) paused: bool,
    pub(crate) closed: bool,
    /// Client: the first key exchange's host key blob, which a rekey must present again.
    pub(crate) first_host_key: Option<Bytes>,
    /// Client: the server's `server-sig-algs` from EXT_INFO (RFC 8308 §3.1).
    pub(crate) server_sig_algs: Option<Vec<String>>,
    pub(crate) rekey_base: RekeyBase,
    /// The latest time the caller gave us.
    pub(crate) now: Instant,
}

impl Transport {
    /// A client transport. Its version line and KEXINIT are ready for `poll_transmit` at once.
    pub fn client(
        cfg: Arc<TransportConfig>,
        rng: Box<dyn CryptoRngCore + Send>,
        now: Instant,
    ) -> Self {
        Self::new(
            Side::Client,
            cfg,
            Arc::new(HostKeys(Arc::new([]))),
            rng,
            now,
        )
    }

    /// A server transport holding `host_keys` (it offers the algorithms they sign with).
    /// Its version line and KEXINIT are ready at once.
    pub fn server(
        cfg: Arc<TransportConfig>,
        host_keys: Arc<[KeyPair]>,
        rng: Box<dyn CryptoRngCore + Send>,
        now: Instant,
    ) -> Self {
        Self::new(Side::Server, cfg, Arc::new(HostKeys(host_keys)), rng, now)
    }

    /// A server transport whose exchange hashes `signer` signs (keys held elsewhere).
    pub fn server_with_signer(
        cfg: Arc<TransportConfig>,
        signer: Arc<dyn HostKeySigner>,
        rng: Box<dyn CryptoRngCore + Send>,
        now: Instant,
    ) -> Self {
        Self::new(Side::Server, cfg, signer, rng, now)
    }

    fn new(
        side: Side,
        cfg: Arc<TransportConfig>,
        host_keys: Arc<dyn HostKeySigner>,
        rng: Box<dyn CryptoRngCore + Send>,
        now: Instant,
    ) -> Self {
        let mut t = Self {
            side,
            cfg,
            rng,
            host_keys,
            version: VersionExchange::new(side),
            peer_version: None,
            sealer: PacketSealer::new(),
            opener: PacketOpener::new(),
            out: BytesMut::new(),
            events: VecDeque::new(),
            kex: KexState::Idle,
            peer_kexinits: 0,
            peer_in_kex: false,
            strict_kex: false,
            initial_done: false,
            session_id: None,
            held: VecDeque::new(),
            held_bytes: 0,
            ignore_next_packet: false,
            guess_predicted_right: false,
            paused: false,
            closed: false,
            first_host_key: None,
            server_sig_algs: None,
            rekey_base: RekeyBase {
                sent_bytes: 0,
                sent_packets: 0,
                received_bytes: 0,
                received_packets: 0,
                at: now,
            },
            now,
        };
        t.out.extend_from_slice(our_version_line());
        if let Err(e) = t.start_kex(true) {
            // Only an unencodable configuration can fail here; the transport starts closed.
            t.closed = true;
            t.events.push_back(TransportEvent::Disconnected {
                reason: e.disconnect_reason(),
                description: e.to_string(),
            });
        }
        t
    }

    /// Which side this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The session id (the first exchange hash), once the first key exchange computed it.
    pub fn session_id(&self) -> Option<&SessionId> {
        self.session_id.as_ref()
    }

    /// The peer's version line without CR LF, once received.
    pub fn peer_version(&self) -> Option<&[u8]> {
        self.peer_version.as_deref()
    }

    /// Client: the signature algorithms the server announced in EXT_INFO `server-sig-algs`.
    pub fn server_sig_algs(&self) -> Option<&[String]> {
        self.server_sig_algs.as_deref()
    }

    /// True once the first key exchange has finished in both directions.
    pub fn is_established(&self) -> bool {
        self.initial_done && !self.closed
    }

    /// True when the transport is closed (by either side or by an error).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// False while a key exchange holds outgoing payloads (and once closed): the caller should
    /// stop taking new data until it turns true again.
    #[must_use]
    pub fn is_accepting_payloads(&self) -> bool {
        !self.closed && !self.kex.holds_payloads()
    }

    /// Takes whole packets off the front of `input` and processes them. Errors are fatal: the
    /// transport queues a DISCONNECT for `poll_transmit` and closes.
    pub fn handle_input(
        &mut self,
        input: &mut BytesMut,
        now: Instant,
    ) -> Result<(), TransportError> {
        self.now = now;
        if self.closed {
            return Err(TransportError::Closed);
        }
        match self.process_input(input) {
            Ok(()) => self.check_rekey(),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn process_input(&mut self, input: &mut BytesMut) -> Result<(), TransportError> {
        if self.peer_version.is_none() {
            match self.version.feed(input)? {
                Some(peer) => self.peer_version = Some(peer.line),
                None => return Ok(()),
            }
        }
        while !self.closed && !self.paused {
            let Some(payload) = self.opener.open(input)? else {
                break;
            };
            let seq = self.opener.sequence_number().wrapping_sub(1);
            self.on_packet(payload, seq)?;
        }
        Ok(())
    }

    /// Starts a time-based rekey when its deadline has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if let Err(e) = self.check_rekey() {
            self.fail(e);
        }
    }

    /// Sends a service-layer payload (message number first). During a key exchange it is held
    /// and sent, in order, right after our NEWKEYS.
    pub fn send_payload(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        self.send_payload_parts(&[payload])
    }

    /// [`Self::send_payload`] for a payload given in pieces, e.g. the 9-byte CHANNEL_DATA
    /// header and the application's data: the pieces are copied once, straight into the
    /// packet that is encrypted in place, with no contiguous copy of the payload first.
    pub fn send_payload_parts(&mut self, parts: &[&[u8]]) -> Result<(), TransportError> {
        if self.closed {
            return Err(TransportError::Closed);
        }
        let number = parts.iter().find_map(|p| p.first().copied()).unwrap_or(0);
        if number == 0 || (20..=49).contains(&number) {
            return Err(TransportError::NotAServicePayload { number });
        }
        let len = parts
            .iter()
            .try_fold(0usize, |sum, p| sum.checked_add(p.len()))
            .unwrap_or(usize::MAX);
        let limit = self.sealer.max_payload_len();
        if len > limit {
            return Err(TransportError::PayloadTooLarge { len, limit });
        }
        if self.kex.holds_payloads() {
            let held = self.held_bytes.saturating_add(len);
            if held > self.cfg.max_held_bytes {
                return Err(TransportError::HoldQueueFull {
                    limit: self.cfg.max_held_bytes,
                });
            }
            self.held.push_back(Bytes::from(parts.concat()));
            self.held_bytes = held;
            return Ok(());
        }
        self.sealer
            .seal_parts(parts, &mut self.out, &mut *self.rng)?;
        self.check_rekey()
    }

    /// Starts a key exchange now, unless one is running (or the first has not finished).
    pub fn rekey(&mut self) -> Result<(), TransportError> {
        if self.closed {
            return Err(TransportError::Closed);
        }
        if self.initial_done && self.kex.is_idle() {
            if let Err(e) = self.start_kex(true) {
                return Err(self.fail(e));
            }
        }
        Ok(())
    }

    /// Client: the caller's answer to [`TransportEvent::VerifyHostKey`]. After it, call
    /// `handle_input` again: input after the server's NEWKEYS waits for the verdict.
    pub fn answer_host_key(&mut self, verdict: HostKeyVerdict) {
        if let Err(e) = self.on_host_key_verdict(verdict) {
            self.fail(e);
        }
    }

    /// Sends SSH_MSG_DISCONNECT and closes the transport.
    pub fn disconnect(&mut self, reason: DisconnectReason, description: &str) {
        if self.closed {
            return;
        }
        self.send_disconnect(reason, description);
        self.closed = true;
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<TransportEvent> {
        self.events.pop_front()
    }

    /// Appends everything ready to send to `out`; returns how many bytes it appended.
    #[must_use]
    pub fn poll_transmit(&mut self, out: &mut BytesMut) -> usize {
        let n = self.out.len();
        if out.is_empty() {
            core::mem::swap(out, &mut self.out);
        } else {
            out.extend_from_slice(&self.out);
            self.out.clear();
        }
        n
    }

    /// Wire bytes of the packet being received once its length is read, else of the last one
    /// (0 before any): the room the input buffer needs for reads to end on packet boundaries.
    pub fn input_packet_hint(&self) -> usize {
        self.opener.packet_size_hint()
    }

    /// When `handle_timeout` should next be called: the time-based rekey deadline.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed || !self.initial_done || !self.kex.is_idle() {
            return None;
        }
        self.cfg.rekey_limit.deadline(self.rekey_base.at)
    }

    /// Fuzzing only: seals any payload with the current keys, bypassing every check, so a fuzz
    /// target can play a peer that speaks after a completed key exchange.
    #[cfg(feature = "internals")]
    pub fn fuzz_send_raw(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        self.seal(payload)
    }

    /// Seals one payload into the output buffer with the current keys.
    pub(crate) fn seal(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        self.sealer.seal(payload, &mut self.out, &mut *self.rng)?;
        Ok(())
    }

    /// Ends the transport for error `e`: queues a DISCONNECT (unless the peer disconnected or
    /// we already closed) and returns `e`.
    pub(crate) fn fail(&mut self, e: TransportError) -> TransportError {
        if !self.closed && !matches!(e, TransportError::PeerDisconnected { .. }) {
            self.send_disconnect(e.disconnect_reason(), &e.to_string());
        }
        self.closed = true;
        e
    }

    /// Queues a DISCONNECT. The description is cut to [`MAX_DISCONNECT_DESCRIPTION`] bytes,
    /// so an error that quotes a huge peer list still fits in one packet.
    fn send_disconnect(&mut self, reason: DisconnectReason, description: &str) {
        let mut end = description.len().min(MAX_DISCONNECT_DESCRIPTION);
        while !description.is_char_boundary(end) {
            end -= 1;
        }
        let msg = Disconnect {
            reason_code: reason,
            description: description.get(..end).unwrap_or_default().into(),
            language_tag: "".into(),
        };
        // Sealing appends nothing when it fails (a cipher at the end of its keystream); then
        // no DISCONNECT goes out, what was queued before still does, and the transport is
        // closed either way.
        if self.seal(&msg.to_bytes()).is_err() {
            self.closed = true;
        }
    }

    /// Where incoming messages are, for the admission gate.
    pub(crate) fn phase(&self) -> Phase {
        if self.peer_in_kex {
            if self.strict_kex && self.peer_kexinits == 1 {
                Phase::StrictInitialKex
            } else {
                Phase::Kex
            }
        } else if self.peer_kexinits == 0 {
            Phase::BeforePeerKexInit
        } else {
            Phase::Established
        }
    }
}
