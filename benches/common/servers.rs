//! The benches' loopback target, run on plain threads in the bench process: a sink that
//! counts what it gets and answers the count at EOF, or an echo, picked by the first byte
//! (the plain echo is the test kit's `targets::echo_tcp`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// The target behind every tunnel, on 127.0.0.1 with TCP_NODELAY: the first byte picks the
/// mode. `S`: a sink that reads to EOF, then writes the byte count (u64 big-endian) and
/// closes. `E`: echo. Returns its port.
pub fn target() -> u16 {
    serve(|mut s| {
        s.set_nodelay(true).unwrap_or_default();
        let mut mode = [0u8; 1];
        if s.read_exact(&mut mode).is_err() {
            return;
        }
        if mode[0] == b'E' {
            echo_on(s);
        } else {
            sink_on(s);
        }
    })
}

fn sink_on(mut s: TcpStream) {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(_) => return,
        }
    }
    s.write_all(&total.to_be_bytes()).unwrap_or_default();
}

fn echo_on(mut s: TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if s.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

fn serve(f: fn(TcpStream)) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || f(s))
                .unwrap();
        }
    });
    port
}

/// Pushes `total` bytes into `port`, half-closes and waits for the sink's count. Returns
/// the count.
pub fn push(port: u16, total: u64) -> u64 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(b"S").unwrap();
    let block = vec![0x5au8; 1 << 20];
    let mut left = total;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        s.write_all(&block[..n]).unwrap();
        left -= n as u64;
    }
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut count = [0u8; 8];
    s.read_exact(&mut count).unwrap();
    u64::from_be_bytes(count)
}

/// A connection to [`target`] in echo mode, for [`ping_pong`].
pub fn ping_pong_conn(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(b"E").unwrap();
    s
}

/// `n` one-byte round trips on `s`; each in µs.
pub fn ping_pong(s: &mut TcpStream, n: usize) -> Vec<f64> {
    let mut b = [0u8; 1];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = std::time::Instant::now();
        s.write_all(&[i as u8]).unwrap();
        s.read_exact(&mut b).unwrap();
        out.push(t.elapsed().as_secs_f64() * 1e6);
        assert_eq!(b[0], i as u8);
    }
    out
}
