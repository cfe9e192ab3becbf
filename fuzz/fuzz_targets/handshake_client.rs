//! Structure-aware: a real client and server transport finish a key exchange (fixed keys,
//! deterministic RNGs, cipher picked by the first byte), then the fuzzer plays the server:
//! each input message (u16 length, bytes) is sealed by the server transport and goes through
//! the real packet layer into the client's transport, userauth (alice's key, then
//! keyboard-interactive and password answers) and connection code (`support::session`; once
//! logged in the client opens a `direct-tcpip` channel, a session and a `tcpip-forward`).
//! Byte 2 is reserved for flags. Checks: no panic, connection errors are the peer's fault,
//! buffered data stays within the granted windows.
#![no_main]

#[path = "support/mod.rs"]
mod support;

use libfuzzer_sys::fuzz_target;
use support::session::{Endpoint, play};

/// Messages handled per input: keeps each run short.
const MAX_MESSAGES: usize = 256;

fuzz_target!(|data: &[u8]| {
    let [selector, _flags, rest @ ..] = data else {
        return;
    };
    let Some(c) = support::connected(*selector) else {
        return;
    };
    let (mut peer, now) = (c.server, c.now);
    let Some(mut client) = Endpoint::client(c.client) else {
        return;
    };
    if client.step(now).is_err() {
        return;
    }
    let messages = support::messages(rest).into_iter().take(MAX_MESSAGES);
    play(&mut peer, &mut client, messages, now);
});
