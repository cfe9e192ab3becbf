//! Structure-aware: a real client and server transport finish a key exchange (fixed keys,
//! deterministic RNGs, cipher picked by the first byte), then the fuzzer plays the client:
//! each input message (u16 length, bytes) is sealed by the client transport and goes through
//! the real packet layer into the server's transport, userauth and connection code
//! (`support::session`). Byte 2, bit 0: alice logs in first with her signed key (the fuzz
//! input then starts in the connection layer); a message `[0xfe]` is that signed request.
//! Checks: no panic, only alice is authenticated, connection errors are the peer's fault,
//! buffered data stays within the granted windows.
#![no_main]

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use support::session::{Endpoint, expand, service_request, signed_request};

/// Messages handled per input: keeps each run short.
const MAX_MESSAGES: usize = 256;

fuzz_target!(|data: &[u8]| {
    let [selector, flags, rest @ ..] = data else {
        return;
    };
    let Some(c) = support::connected(*selector) else {
        return;
    };
    let (mut peer, now) = (c.client, c.now);
    let Some(mut server) = Endpoint::server(c.server, flags & 2 != 0, now) else {
        return;
    };
    let Some(session_id) = peer.session_id().map(|s| s.as_bytes().to_vec()) else {
        return;
    };
    let mut messages: Vec<Vec<u8>> = Vec::new();
    if flags & 1 != 0 {
        messages.push(service_request());
        messages.push(signed_request(&session_id));
    }
    for m in support::messages(rest).into_iter().take(MAX_MESSAGES) {
        messages.push(expand(m, &session_id).unwrap_or_else(|| m.to_vec()));
    }
    let (mut wire, mut back) = (BytesMut::new(), BytesMut::new());
    for (i, m) in messages.iter().enumerate() {
        // Time moves a quarter second a message: failure delays, the grace time, window tuning.
        let t = now + Duration::from_millis(250 * i as u64);
        if peer.fuzz_send_raw(m).is_err() {
            break;
        }
        let _ = peer.poll_transmit(&mut wire);
        if server.input(&mut wire, t).is_err() {
            let _ = server.transport.poll_transmit(&mut back);
            break;
        }
        let _ = server.transport.poll_transmit(&mut back);
        // The client transport reads the answers so both stay in step (rekeys included).
        if peer.handle_input(&mut back, t).is_err() {
            break;
        }
        while peer.poll_event().is_some() {}
    }
});
