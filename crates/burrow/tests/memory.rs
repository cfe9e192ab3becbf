//! Memory per channel, measured as RSS deltas (VmRSS) with 1,000 channels open on one
//! in-process connection: idle, then after each carried 1 KiB both ways and was drained.
//! Both ends live in this process, so each number covers a client and a server channel.
//! Run with `--nocapture` to see the numbers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod util;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use util::*;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

const N: usize = 1000;

#[tokio::test(flavor = "current_thread")]
async fn memory_per_idle_and_used_channel_stays_small() {
    let (session, handler, _t) = duplex_pair(client_config(4096), server_config(4096)).await;
    // One channel first, so that one-time allocations (buffers of the driver) are not
    // counted per channel.
    let first = session.open_direct_tcpip("hold", 7, "", 0).await.unwrap();
    handler.held.lock().unwrap().clear();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let before = rss_kib();
    let mut chans = Vec::with_capacity(N);
    for _ in 0..N {
        chans.push(session.open_direct_tcpip("hold", 7, "", 0).await.unwrap());
    }
    let idle = rss_kib();
    let mut server_side: Vec<_> = std::mem::take(&mut *handler.held.lock().unwrap());
    assert_eq!(server_side.len(), N);

    // One channel at a time, so that the number shows what a channel keeps after its data
    // is drained, not the data of 1,000 channels in flight at once.
    let block = pattern(1024, 5);
    let mut buf = vec![0u8; 1024];
    for (c, s) in chans.iter_mut().zip(server_side.iter_mut()) {
        c.write_all(&block).await.unwrap();
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, block);
        s.write_all(&block).await.unwrap();
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, block);
        assert_eq!(c.buffered() + s.buffered(), 0);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let used = rss_kib();

    let idle_bytes = (idle.saturating_sub(before)) * 1024 / N as u64;
    let used_bytes = (used.saturating_sub(before)) * 1024 / N as u64;
    eprintln!(
        "memory per channel pair (client + server side): idle {idle_bytes} B, after carrying data {used_bytes} B \
         (RSS {before} -> {idle} -> {used} KiB for {N} channels)"
    );
    // Generous bounds: they catch a per-channel buffer kept while idle (a 32 KiB read
    // buffer would be 64 KiB per pair here).
    assert!(
        idle_bytes < 8 * 1024,
        "idle channel pair costs {idle_bytes} B"
    );
    assert!(
        used_bytes < 16 * 1024,
        "used channel pair costs {used_bytes} B"
    );
    drop(server_side);
    drop(first);
}
