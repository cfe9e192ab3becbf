//! Arbitrary bytes into a burrow server transport: either a fresh one right after the
//! client's version line, or (first byte odd) one that finished a real key exchange with fixed
//! keys, fed sealed messages of the fuzzer's choosing.
#![no_main]

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use burrow_transport::{Transport, TransportConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let cfg = Arc::new(TransportConfig::default());
        let t = Transport::server(cfg, support::host_key(), support::rng(3), Instant::now());
        support::fresh(t, rest);
    } else if let Some(mut c) = support::connected(mode >> 1) {
        support::speak_after_kex(&mut c.client, &mut c.server, c.now, rest);
    }
});
