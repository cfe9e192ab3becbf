//! Arbitrary bytes into a burrow client transport: either a fresh one right after the
//! server's version line, or (first byte odd) one that finished a real key exchange with fixed
//! keys, fed sealed messages of the fuzzer's choosing.
#![no_main]

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use burrow_transport::Transport;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let cfg = Arc::new(support::config(mode >> 1));
        let t = Transport::client(cfg, support::rng(4), Instant::now());
        support::fresh(t, rest);
    } else if let Some(mut c) = support::connected(mode >> 1) {
        support::speak_after_kex(&mut c.server, &mut c.client, c.now, rest);
    }
});
