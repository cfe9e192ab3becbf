//! A user-space long path for tests and benchmarks (there is no netem here): a TCP relay that
//! holds every chunk it reads for a fixed delay before writing it on, in each direction, with
//! an unbounded queue so that the relay itself never limits a window.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Bytes read from a socket at once.
const CHUNK: usize = 256 << 10;

/// Starts a relay on a free loopback port that forwards every connection to `target` on
/// loopback, `one_way` late in each direction (a round trip of twice that). Returns its port.
pub fn start(target: u16, one_way: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            for s in [&client, &server] {
                s.set_nodelay(true).ok();
            }
            pump(
                client.try_clone().unwrap(),
                server.try_clone().unwrap(),
                one_way,
            );
            pump(server, client, one_way);
        }
    });
    port
}

/// Copies `from` to `to`, each chunk `delay` after it was read; EOF is passed on as a
/// half-close, also late.
fn pump(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (tx, rx) = mpsc::channel::<(Instant, Option<Vec<u8>>)>();
    std::thread::spawn(move || {
        loop {
            let mut buf = vec![0u8; CHUNK];
            let n = from.read(&mut buf).unwrap_or(0);
            let due = Instant::now() + delay;
            if n == 0 {
                tx.send((due, None)).ok();
                return;
            }
            buf.truncate(n);
            if tx.send((due, Some(buf))).is_err() {
                return;
            }
        }
    });
    std::thread::spawn(move || {
        while let Ok((due, chunk)) = rx.recv() {
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            let Some(chunk) = chunk else {
                to.shutdown(Shutdown::Write).ok();
                return;
            };
            if to.write_all(&chunk).is_err() {
                return;
            }
        }
    });
}
