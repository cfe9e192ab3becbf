//! Shared fixtures for the transport's integration tests: a seeded RNG and a client/server
//! pair joined by an in-memory byte pipe that delivers in random splits.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow_keys::KeyPair;
use burrow_transport::{HostKeyVerdict, Transport, TransportConfig, TransportEvent};
use bytes::{Bytes, BytesMut};
use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use rand_core::{CryptoRng, RngCore};

/// A deterministic RNG: the ChaCha20 keystream of a seed. For tests only.
pub struct SeededRng(ChaCha20);

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        Self(ChaCha20::new(&key.into(), &[0u8; 12].into()))
    }

    pub fn boxed(seed: u64) -> Box<dyn rand_core::CryptoRngCore + Send> {
        Box::new(Self::new(seed))
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

impl RngCore for SeededRng {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0);
        self.0.apply_keystream(dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for SeededRng {}

pub fn host_key() -> Arc<[KeyPair]> {
    Arc::new([KeyPair::from_ed25519_seed(&[0x42; 32])])
}

/// Everything one side reported.
#[derive(Default)]
pub struct Seen {
    pub payloads: Vec<Bytes>,
    pub kex_done: usize,
    pub host_keys: Vec<Bytes>,
    pub disconnected: Option<(burrow_wire::DisconnectReason, String)>,
}

/// A client and a server joined by two in-memory byte pipes.
pub struct Pair {
    pub client: Transport,
    pub server: Transport,
    /// Bytes the client sent that the server has not read yet.
    pub to_server: BytesMut,
    /// Bytes the server sent that the client has not read yet.
    pub to_client: BytesMut,
    /// The server's and the client's read buffers (what `handle_input` sees).
    pub server_input: BytesMut,
    pub client_input: BytesMut,
    pub client_seen: Seen,
    pub server_seen: Seen,
    pub splits: SeededRng,
    pub now: Instant,
    /// Deliver at most this many bytes per step (random below it).
    pub max_chunk: usize,
}

impl Pair {
    pub fn new(client_cfg: TransportConfig, server_cfg: TransportConfig, seed: u64) -> Self {
        let now = Instant::now();
        Self {
            client: Transport::client(Arc::new(client_cfg), SeededRng::boxed(seed), now),
            server: Transport::server(
                Arc::new(server_cfg),
                host_key(),
                SeededRng::boxed(seed ^ 0x5555),
                now,
            ),
            to_server: BytesMut::new(),
            to_client: BytesMut::new(),
            server_input: BytesMut::new(),
            client_input: BytesMut::new(),
            client_seen: Seen::default(),
            server_seen: Seen::default(),
            splits: SeededRng::new(seed ^ 0xaaaa),
            now,
            max_chunk: 700,
        }
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// One round: collect output, deliver a random piece each way, feed it, drain events.
    /// Returns whether any byte moved.
    pub fn step(&mut self) -> bool {
        let _ = self.client.poll_transmit(&mut self.to_server);
        let _ = self.server.poll_transmit(&mut self.to_client);
        let mut moved = false;
        if !self.to_server.is_empty() {
            let n = 1 + self.splits.below(self.max_chunk.min(self.to_server.len()));
            let chunk = self.to_server.split_to(n);
            self.server_input.extend_from_slice(&chunk);
            self.server
                .handle_input(&mut self.server_input, self.now)
                .expect("server input");
            moved = true;
        }
        if !self.to_client.is_empty() {
            let n = 1 + self.splits.below(self.max_chunk.min(self.to_client.len()));
            let chunk = self.to_client.split_to(n);
            self.client_input.extend_from_slice(&chunk);
            self.client
                .handle_input(&mut self.client_input, self.now)
                .expect("client input");
            moved = true;
        }
        self.drain_events();
        moved
    }

    pub fn drain_events(&mut self) {
        while let Some(ev) = self.client.poll_event() {
            match ev {
                TransportEvent::VerifyHostKey { host_key, .. } => {
                    self.client_seen.host_keys.push(host_key);
                    self.client.answer_host_key(HostKeyVerdict::Accept);
                    self.client
                        .handle_input(&mut self.client_input, self.now)
                        .expect("client input after verdict");
                }
                other => record(&mut self.client_seen, other),
            }
        }
        while let Some(ev) = self.server.poll_event() {
            record(&mut self.server_seen, ev);
        }
    }

    /// Steps until nothing moves.
    pub fn run(&mut self) {
        for _ in 0..1_000_000 {
            if !self.step() {
                let _ = self.client.poll_transmit(&mut self.to_server);
                let _ = self.server.poll_transmit(&mut self.to_client);
                if self.to_server.is_empty() && self.to_client.is_empty() {
                    return;
                }
            }
        }
        panic!("pair did not settle");
    }
}

fn record(seen: &mut Seen, ev: TransportEvent) {
    match ev {
        TransportEvent::Payload(p) => seen.payloads.push(p),
        TransportEvent::KexDone(_) => seen.kex_done += 1,
        TransportEvent::VerifyHostKey { host_key, .. } => seen.host_keys.push(host_key),
        TransportEvent::Disconnected {
            reason,
            description,
        } => seen.disconnected = Some((reason, description)),
        other => panic!("unexpected event {other:?}"),
    }
}

/// One unencrypted packet (block size 8, at least 4 bytes of padding).
pub fn clear_packet(payload: &[u8]) -> Vec<u8> {
    let mut padding = 8 - (5 + payload.len()) % 8;
    if padding < 4 {
        padding += 8;
    }
    let mut p = ((1 + payload.len() + padding) as u32)
        .to_be_bytes()
        .to_vec();
    p.push(padding as u8);
    p.extend_from_slice(payload);
    p.extend(std::iter::repeat_n(0u8, padding));
    p
}

/// The payloads of the clear packets in `stream` (after the version line, if it starts with
/// one), up to NEWKEYS.
pub fn clear_payloads(stream: &[u8]) -> Vec<Vec<u8>> {
    let start = if stream.starts_with(b"SSH-") {
        stream.windows(2).position(|w| w == b"\r\n").unwrap() + 2
    } else {
        0
    };
    let mut rest = &stream[start..];
    let mut out = Vec::new();
    while rest.len() >= 5 {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let pad = rest[4] as usize;
        let payload = rest[5..4 + len - pad].to_vec();
        rest = &rest[4 + len..];
        let newkeys = payload[0] == 21;
        out.push(payload);
        if newkeys {
            break;
        }
    }
    out
}
