//! Seal and open throughput of each packet cipher on 32 KiB CHANNEL_DATA-sized payloads, in
//! isolation from I/O: `cargo bench -p burrow-transport --bench cipher` (release profile).
//! Set `CIPHER_BENCH_MB` to change the volume per measurement (default 256),
//! `CIPHER_BENCH_ONLY` to a name prefix (`chacha`, `aes128-gcm`) to measure fewer ciphers. MB/s are per
//! second of this thread's CPU time (`/proc/thread-self/schedstat`), so other work on a
//! shared machine does not lower them; wall-clock time is the fallback elsewhere.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use burrow_transport::cipher::{CipherAlg, DirectionKeys, MacAlg};
use burrow_transport::packet::{PacketOpener, PacketSealer};
use bytes::BytesMut;
use zeroize::Zeroizing;

const PAYLOAD: usize = 32 * 1024 + 9;
const BATCH: usize = 64;

fn keys(cipher: CipherAlg, mac: Option<MacAlg>) -> DirectionKeys {
    DirectionKeys {
        cipher,
        mac,
        enc_key: Zeroizing::new(vec![0x42; cipher.key_len()]),
        iv: Zeroizing::new(vec![0x17; cipher.iv_len()]),
        mac_key: Zeroizing::new(vec![0x99; mac.map_or(0, |m| m.key_len())]),
    }
}

/// A clock that only advances while this thread runs: its CPU time, where Linux shows it.
struct CpuClock(Instant);

impl CpuClock {
    fn start() -> Self {
        Self(Instant::now())
    }

    fn now(&self) -> Duration {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .map_or_else(|| self.0.elapsed(), Duration::from_nanos)
    }
}

/// Returns (seal, open) in MB/s of payload.
fn measure(k: &DirectionKeys, megabytes: usize) -> (f64, f64) {
    let mut sealer = PacketSealer::new();
    let mut opener = PacketOpener::new();
    sealer.set_keys(k).unwrap();
    opener.set_keys(k).unwrap();
    let payload = vec![0x5a; PAYLOAD];
    let rounds = (megabytes << 20) / (PAYLOAD * BATCH);
    let (mut seal_time, mut open_time) = (Duration::ZERO, Duration::ZERO);
    let mut rng = rand_core::OsRng;
    let clock = CpuClock::start();
    for _ in 0..rounds.max(1) {
        let mut wire = BytesMut::with_capacity(BATCH * (PAYLOAD + 64));
        let t = clock.now();
        for _ in 0..BATCH {
            sealer.seal(&payload, &mut wire, &mut rng).unwrap();
        }
        seal_time += clock.now() - t;
        let t = clock.now();
        for _ in 0..BATCH {
            let got = opener.open(&mut wire).unwrap().unwrap();
            assert_eq!(got.len(), PAYLOAD);
        }
        open_time += clock.now() - t;
        assert!(wire.is_empty());
    }
    let bytes = (rounds.max(1) * BATCH * PAYLOAD) as f64;
    (
        bytes / seal_time.as_secs_f64() / 1e6,
        bytes / open_time.as_secs_f64() / 1e6,
    )
}

fn main() {
    let megabytes = std::env::var("CIPHER_BENCH_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    let cases = [
        (CipherAlg::Aes128Gcm, None),
        (CipherAlg::Aes256Gcm, None),
        (CipherAlg::Chacha20Poly1305, None),
        (CipherAlg::Aes128Ctr, Some(MacAlg::HmacSha256Etm)),
    ];
    let only = std::env::var("CIPHER_BENCH_ONLY").unwrap_or_default();
    for (cipher, mac) in cases {
        if !cipher.name().starts_with(only.as_str()) {
            continue;
        }
        let k = keys(cipher, mac);
        measure(&k, 16);
        let (seal, open) = measure(&k, megabytes);
        let name = match mac {
            Some(m) => format!("{} + {}", cipher.name(), m.name()),
            None => cipher.name().to_owned(),
        };
        println!("{name:<50} seal {seal:>6.0} MB/s  open {open:>6.0} MB/s  (32 KiB packets)");
    }
}
