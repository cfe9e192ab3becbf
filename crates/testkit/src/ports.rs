//! Free ports for listeners that a test asks a peer to bind later: taken below the
//! kernel's ephemeral range and never handed out twice by one process.
//!
//! A port found with `bind(0)` and released lies in the ephemeral range, where any other
//! `bind(0)` (an echo target of a parallel test) or the source port of any outgoing
//! connection may take it before the peer binds it. A connection to a port nobody listens
//! on may even get that port as its own source port and connect to itself, so that all it
//! writes comes back (a SOCKS greeting read back as `[5, 1]`). Ports below the ephemeral
//! range are never chosen by the kernel, so only another explicit choice can take them.

use std::net::{Ipv4Addr, TcpListener};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};

/// The lowest port handed out.
const FLOOR: u16 = 10_000;

/// The kernel's ephemeral port range (`/proc/sys/net/ipv4/ip_local_port_range`), or
/// Linux's default when it cannot be read.
pub fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|w| w.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        })
        .unwrap_or((32_768, 60_999))
}

/// A port on 127.0.0.1 that was free a moment ago, below the ephemeral range and not
/// returned before by this process. Processes start at different offsets (from the process
/// id) so that parallel test binaries rarely probe the same ports. When the ephemeral range
/// leaves no room below it, falls back to a port from `bind(0)`.
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let (low, _) = ephemeral_range();
    if low <= FLOOR + 1_000 {
        return bind_any();
    }
    let span = low - FLOOR;
    // The first call picks this process's offset; 0 means "not yet chosen".
    let _ = NEXT.compare_exchange(
        0,
        1 + (std::process::id() % u32::from(span)) as u16,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = FLOOR + n % span;
        if given.contains(&port) {
            continue;
        }
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            given.push(port);
            return port;
        }
    }
    panic!("no free port in {FLOOR}..{low}");
}

/// A port from `bind(0)` (in the ephemeral range).
fn bind_any() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_outside_the_ephemeral_range_and_never_repeat() {
        let (low, high) = ephemeral_range();
        let ports: Vec<u16> = (0..200).map(|_| free_port()).collect();
        for &p in &ports {
            assert!(
                !(low..=high).contains(&p),
                "port {p} is in the ephemeral range {low}..={high}: a bind(0) or an outgoing \
                 connection may take it before the peer binds it"
            );
        }
        let mut sorted = ports.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ports.len(), "a port was handed out twice");
    }

    #[test]
    fn a_port_given_out_is_bindable() {
        let p = free_port();
        TcpListener::bind((Ipv4Addr::LOCALHOST, p)).unwrap();
    }
}
