//! Shared by the transport fuzz targets: a seeded RNG, fixed keys, a completed kex pair, and
//! the input format.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow_keys::KeyPair;
use burrow_transport::{HostKeyVerdict, Transport, TransportConfig, TransportEvent};
use bytes::BytesMut;
use rand_core::{CryptoRng, RngCore};

pub mod session;

/// A deterministic RNG (splitmix64): fuzzing must be reproducible. Never for real keys.
pub struct FuzzRng(u64);

impl RngCore for FuzzRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for FuzzRng {}

pub fn rng(seed: u64) -> Box<dyn rand_core::CryptoRngCore + Send> {
    Box::new(FuzzRng(seed))
}

pub fn host_key() -> Arc<[KeyPair]> {
    Arc::new([KeyPair::from_ed25519_seed(&[0x42; 32])])
}

/// A config picked by one byte: every cipher (and a non-ETM MAC) can be reached.
pub fn config(selector: u8) -> TransportConfig {
    let mut cfg = TransportConfig::default();
    let cipher = [
        "chacha20-poly1305@openssh.com",
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "aes128-ctr",
        "aes256-ctr",
    ][usize::from(selector % 5)];
    let mac = [
        "hmac-sha2-256-etm@openssh.com",
        "hmac-sha2-512",
        "hmac-sha2-256",
    ][usize::from(selector / 5 % 3)];
    if cfg.set_ciphers(cipher).is_err() || cfg.set_macs(mac).is_err() {
        return TransportConfig::default();
    }
    cfg
}

/// A client and a server that finished a real key exchange with fixed keys and seeds.
pub struct Connected {
    pub client: Transport,
    pub server: Transport,
    pub now: Instant,
}

pub fn connected(selector: u8) -> Option<Connected> {
    let now = Instant::now();
    let mut client = Transport::client(Arc::new(config(selector)), rng(1), now);
    let mut server = Transport::server(
        Arc::new(TransportConfig::default()),
        host_key(),
        rng(2),
        now,
    );
    let (mut c_in, mut s_in) = (BytesMut::new(), BytesMut::new());
    for _ in 0..20 {
        let _ = client.poll_transmit(&mut s_in);
        let _ = server.poll_transmit(&mut c_in);
        server.handle_input(&mut s_in, now).ok()?;
        client.handle_input(&mut c_in, now).ok()?;
        while let Some(ev) = client.poll_event() {
            if let TransportEvent::VerifyHostKey { .. } = ev {
                client.answer_host_key(HostKeyVerdict::Accept);
                client.handle_input(&mut c_in, now).ok()?;
            }
        }
        while server.poll_event().is_some() {}
        if client.is_established() && server.is_established() && s_in.is_empty() && c_in.is_empty()
        {
            return Some(Connected {
                client,
                server,
                now,
            });
        }
    }
    None
}

/// Splits fuzz data into messages: a big-endian u16 length, then that many bytes.
pub fn messages(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        let rest = &data[2..];
        let take = len.min(rest.len());
        out.push(&rest[..take]);
        data = &rest[take..];
    }
    out
}

/// Feeds `data` to a fresh transport after a valid peer version line, in pieces whose sizes
/// come from the data itself, and drains everything it produces.
pub fn fresh(mut t: Transport, data: &[u8]) {
    let now = Instant::now();
    let mut input = BytesMut::from(&b"SSH-2.0-fuzz_1.0\r\n"[..]);
    let mut out = BytesMut::new();
    for (i, chunk) in data.chunks(97).enumerate() {
        input.extend_from_slice(chunk);
        if t.handle_input(&mut input, now + Duration::from_secs(i as u64))
            .is_err()
        {
            break;
        }
        while t.poll_event().is_some() {}
        let _ = t.poll_transmit(&mut out);
        out.clear();
    }
    let _ = t.poll_transmit(&mut out);
}

/// After a completed kex, `sender` seals each message (any number, no checks) and `receiver`
/// takes them; every few messages the clock moves or a rekey starts.
pub fn speak_after_kex(
    sender: &mut Transport,
    receiver: &mut Transport,
    now: Instant,
    data: &[u8],
) {
    let mut wire = BytesMut::new();
    let mut back = BytesMut::new();
    for (i, msg) in messages(data).into_iter().enumerate() {
        if sender.fuzz_send_raw(msg).is_err() {
            return;
        }
        let _ = sender.poll_transmit(&mut wire);
        let t = now + Duration::from_secs(60 * i as u64);
        if receiver.handle_input(&mut wire, t).is_err() {
            let _ = receiver.poll_transmit(&mut back);
            return;
        }
        while let Some(ev) = receiver.poll_event() {
            if let TransportEvent::VerifyHostKey { .. } = ev {
                receiver.answer_host_key(HostKeyVerdict::Accept);
            }
        }
        if msg.first() == Some(&0xff) {
            let _ = receiver.rekey();
        }
        receiver.handle_timeout(t);
        let _ = receiver.poll_transmit(&mut back);
        // The sender reads the receiver's answers so both stay in step (errors end the run).
        if sender.handle_input(&mut back, t).is_err() {
            return;
        }
        while sender.poll_event().is_some() {}
    }
}
