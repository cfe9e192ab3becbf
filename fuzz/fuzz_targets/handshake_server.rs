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

use libfuzzer_sys::fuzz_target;
use support::session::{Endpoint, expand, play, service_request, signed_request};

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
    play(
        &mut peer,
        &mut server,
        messages.iter().map(Vec::as_slice),
        now,
    );
});
