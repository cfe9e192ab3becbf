//! Loopback helpers beyond benches/common: an echo server that counts its connections, a
//! sink whose byte count is read while data flows, a writer that pushes until stopped, and
//! a user-space delay relay (the machine has no netem; see INTEROP-NOTES "Emulating a long
//! path").

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

type Handler = Arc<dyn Fn(TcpStream) + Send + Sync>;

/// A thread-per-connection server on 127.0.0.1; returns its port and accepted-connection count.
fn serve(f: Handler) -> (u16, Arc<AtomicU64>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            count.fetch_add(1, Ordering::Relaxed);
            s.set_nodelay(true).ok();
            let f = f.clone();
            std::thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn(move || f(s))
                .unwrap();
        }
    });
    (port, accepted)
}

/// An echo server (no mode byte); returns its port and its accepted-connection count.
pub fn counting_echo() -> (u16, Arc<AtomicU64>) {
    serve(Arc::new(echo))
}

/// A sink adding every byte it reads (on any connection) to the returned counter; a
/// connection whose first byte is `E` is echoed instead (the tunnels' readiness probe).
pub fn rate_sink() -> (u16, Arc<AtomicU64>) {
    let bytes = Arc::new(AtomicU64::new(0));
    let b = bytes.clone();
    let (port, _) = serve(Arc::new(move |mut s: TcpStream| {
        let mut buf = vec![0u8; 256 * 1024];
        let mut first = true;
        while let Ok(k @ 1..) = s.read(&mut buf) {
            if first && buf[0] == b'E' {
                s.write_all(&buf[1..k]).ok();
                return echo(s);
            }
            first = false;
            b.fetch_add(k as u64, Ordering::Relaxed);
        }
    }));
    (port, bytes)
}

fn echo(mut s: TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(k @ 1..) = s.read(&mut buf) {
        if s.write_all(&buf[..k]).is_err() {
            return;
        }
    }
}

/// Writes into `port` for `warmup` + `window`, and returns the rate (10^6 B/s) at which
/// `counter` grew during the window.
pub fn timed_push(port: u16, counter: &AtomicU64, warmup: Duration, window: Duration) -> f64 {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let block = vec![0x5au8; 1 << 20];
        while w.write_all(&block).is_ok() {}
    });
    std::thread::sleep(warmup);
    let (b0, t0) = (counter.load(Ordering::Relaxed), Instant::now());
    std::thread::sleep(window);
    let (b1, dt) = (counter.load(Ordering::Relaxed), t0.elapsed());
    s.shutdown(Shutdown::Both).ok();
    writer.join().ok();
    (b1 - b0) as f64 / dt.as_secs_f64() / 1e6
}

/// A relay on 127.0.0.1 to `to` that holds every chunk for `delay` in each direction
/// (100 ms RTT with 50 ms), with up to 1,024 reads (of at most 256 KiB) in flight per
/// direction, far above any SSH window. Returns its port.
pub fn delay_relay(to: u16, delay: Duration) -> u16 {
    let (port, _) = serve(Arc::new(move |a: TcpStream| {
        let Ok(b) = TcpStream::connect(("127.0.0.1", to)) else {
            return;
        };
        b.set_nodelay(true).ok();
        let (a2, b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
        std::thread::spawn(move || pipe(a2, b2, delay));
        pipe(b, a, delay);
    }));
    port
}

/// One direction of the relay: a reader queues (deadline, chunk), a writer sends each chunk
/// at its deadline; EOF is passed on as a half-close after the queued data.
fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    const CHUNK: usize = 256 * 1024;
    let (tx, rx) = sync_channel::<(Instant, Vec<u8>)>(1024);
    let writer = std::thread::spawn(move || {
        for (at, chunk) in rx {
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
            if to.write_all(&chunk).is_err() {
                return;
            }
        }
        to.shutdown(Shutdown::Write).ok();
    });
    let mut buf = vec![0u8; CHUNK];
    while let Ok(k @ 1..) = from.read(&mut buf) {
        if tx
            .send((Instant::now() + delay, buf[..k].to_vec()))
            .is_err()
        {
            break;
        }
    }
    drop(tx);
    writer.join().ok();
}
