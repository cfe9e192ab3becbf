//! Targets behind the tunnels (echo over TCP and unix sockets, a rate-limited sink, a
//! source, a closed port) and the integrity check: data both ways, half-close, hashes.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// Deterministic test bytes; `seed` makes streams of different connections differ.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 8) as u8))
        .collect()
}

/// FNV-1a 64 of `data`: the digest the integrity checks print.
pub fn hash(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Accepts connections on `l` forever, each served on its own thread by `serve`.
fn serve_tcp(l: TcpListener, serve: fn(TcpStream)) {
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            s.set_nodelay(true).unwrap_or_default();
            std::thread::spawn(move || serve(s));
        }
    });
}

fn bind() -> (TcpListener, u16) {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind target");
    let port = l.local_addr().expect("target addr").port();
    (l, port)
}

/// A TCP echo server on 127.0.0.1: echoes until EOF, then half-closes. Returns its port.
pub fn echo_tcp() -> u16 {
    let (l, port) = bind();
    serve_tcp(l, |s| {
        let mut r = s.try_clone().expect("clone echo socket");
        let mut w = s;
        if std::io::copy(&mut r, &mut w).is_ok() {
            w.shutdown(Shutdown::Write).unwrap_or_default();
        }
    });
    port
}

/// A unix-socket echo server at `path` (same behaviour as [`echo_tcp`]).
pub fn echo_unix(path: &Path) {
    let l = UnixListener::bind(path).expect("bind unix echo");
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut r = s.try_clone().expect("clone echo socket");
                let mut w = s;
                if std::io::copy(&mut r, &mut w).is_ok() {
                    w.shutdown(Shutdown::Write).unwrap_or_default();
                }
            });
        }
    });
}

/// A sink that reads at most `bytes_per_sec` until EOF, then answers the byte count and
/// the [`hash`] of what it got (two u64 big-endian) and closes. Returns its port.
pub fn slow_sink(bytes_per_sec: u64) -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind sink");
    let port = l.local_addr().expect("sink addr").port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut buf = vec![0u8; 16 * 1024];
                let (mut total, mut h) = (0u64, 0xcbf2_9ce4_8422_2325u64);
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            for &b in &buf[..n] {
                                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                            }
                            total += n as u64;
                        }
                    }
                    let due = Duration::from_secs_f64(total as f64 / bytes_per_sec as f64);
                    if let Some(wait) = due.checked_sub(start.elapsed()) {
                        std::thread::sleep(wait);
                    }
                }
                let mut answer = total.to_be_bytes().to_vec();
                answer.extend_from_slice(&h.to_be_bytes());
                s.write_all(&answer).unwrap_or_default();
            });
        }
    });
    port
}

/// A source that writes `len` bytes of `pattern(len, 7)` as fast as it may, then closes.
pub fn source(len: usize) -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind source");
    let port = l.local_addr().expect("source addr").port();
    std::thread::spawn(move || {
        let data = pattern(len, 7);
        for mut s in l.incoming().flatten() {
            let data = data.clone();
            std::thread::spawn(move || {
                s.write_all(&data).unwrap_or_default();
                s.shutdown(Shutdown::Write).unwrap_or_default();
            });
        }
    });
    port
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
pub fn closed_port() -> u16 {
    crate::free_port()
}

/// A byte stream the integrity check can drive: TCP or unix socket.
pub trait Stream: Read + Write + Send + Sized + 'static {
    /// A second handle to the same socket.
    fn dup(&self) -> std::io::Result<Self>;
    /// Half-close: no more writes.
    fn shut_write(&self) -> std::io::Result<()>;
    /// Bounds every read.
    fn read_timeout(&self, t: Duration) -> std::io::Result<()>;
}

impl Stream for TcpStream {
    fn dup(&self) -> std::io::Result<Self> {
        self.try_clone()
    }
    fn shut_write(&self) -> std::io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
    fn read_timeout(&self, t: Duration) -> std::io::Result<()> {
        self.set_read_timeout(Some(t))
    }
}

impl Stream for UnixStream {
    fn dup(&self) -> std::io::Result<Self> {
        self.try_clone()
    }
    fn shut_write(&self) -> std::io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
    fn read_timeout(&self, t: Duration) -> std::io::Result<()> {
        self.set_read_timeout(Some(t))
    }
}

/// Writes `data` and half-closes while reading everything back from an echo; checks the
/// length and [`hash`] of what came back. `Err` says what differed.
pub fn round_trip<S: Stream>(s: S, data: &[u8]) -> Result<(), String> {
    s.read_timeout(Duration::from_secs(30))
        .map_err(|e| format!("set timeout: {e}"))?;
    let mut w = s.dup().map_err(|e| format!("clone: {e}"))?;
    let out = data.to_vec();
    let writer = std::thread::spawn(move || -> Result<(), String> {
        w.write_all(&out).map_err(|e| format!("write: {e}"))?;
        w.shut_write().map_err(|e| format!("half-close: {e}"))
    });
    let mut back = Vec::with_capacity(data.len());
    let mut r = s;
    let read = r.read_to_end(&mut back);
    let wrote = writer
        .join()
        .unwrap_or_else(|_| Err("writer panicked".into()));
    read.map_err(|e| format!("read after {} of {} bytes: {e}", back.len(), data.len()))?;
    // Different data is the finding that matters; a peer that closed early (a source, not an
    // echo) may also make the half-close fail with ENOTCONN, so it is checked first.
    if back.len() != data.len() || hash(&back) != hash(data) || back != data {
        return Err(format!(
            "echo differs: sent {} bytes (hash {:016x}), got {} (hash {:016x})",
            data.len(),
            hash(data),
            back.len(),
            hash(&back)
        ));
    }
    wrote
}

/// Connects to 127.0.0.1:`port` and runs [`round_trip`] with `len` bytes.
pub fn tcp_round_trip(port: u16, len: usize, seed: u8) -> Result<(), String> {
    let s = connect_listener(port)
        .ok_or_else(|| format!("connect 127.0.0.1:{port}: refused (or connected to itself)"))?;
    s.set_nodelay(true).unwrap_or_default();
    round_trip(s, &pattern(len, seed))
}

/// Connects to the unix socket `path` and runs [`round_trip`] with `len` bytes.
pub fn unix_round_trip(path: &Path, len: usize, seed: u8) -> Result<(), String> {
    let s = UnixStream::connect(path).map_err(|e| format!("connect {}: {e}", path.display()))?;
    round_trip(s, &pattern(len, seed))
}

/// A connection to 127.0.0.1:`port` that reached a listener: `None` when the connect failed
/// or when the socket connected to itself (the kernel may pick the destination port as the
/// source port while nothing listens there; such a socket echoes whatever it is sent).
pub fn connect_listener(port: u16) -> Option<TcpStream> {
    let s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    (!connected_to_itself(&s)).then_some(s)
}

/// True when `s` is connected to itself (its own address is its peer's).
fn connected_to_itself(s: &TcpStream) -> bool {
    s.local_addr().ok() == s.peer_addr().ok()
}

/// Waits up to `timeout` until 127.0.0.1:`port` accepts connections.
pub fn wait_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if connect_listener(port).is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Waits up to `timeout` until the unix socket `path` accepts connections.
pub fn wait_unix(path: &Path, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if UnixStream::connect(path).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// True once a connection to 127.0.0.1:`port` reads `SSH-2.0-` within `timeout`.
pub fn wait_banner(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(mut s) = connect_listener(port) {
            s.set_read_timeout(Some(Duration::from_secs(2)))
                .unwrap_or_default();
            let mut buf = [0u8; 8];
            if s.read_exact(&mut buf).is_ok() && &buf == b"SSH-2.0-" {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Runs a client whose stdin/stdout are joined to an echo (`-W host:port`, dbclient `-B`):
/// writes `len` bytes to its stdin and closes it, reads its stdout to EOF, checks the bytes
/// and the exit status 0. Its stderr goes to `log`.
pub fn stdio_round_trip(
    mut cmd: std::process::Command,
    log: &Path,
    len: usize,
) -> Result<(), String> {
    use std::process::Stdio;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut proc = crate::proc::Proc::spawn(cmd, log);
    let mut stdin = proc.child.stdin.take().expect("piped stdin");
    let mut stdout = proc.child.stdout.take().expect("piped stdout");
    let data = pattern(len, 3);
    let sent = data.clone();
    let writer = std::thread::spawn(move || stdin.write_all(&sent).map_err(|e| e.to_string()));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut back = Vec::new();
        let r = stdout.read_to_end(&mut back).map(|_| back);
        tx.send(r).unwrap_or_default();
    });
    let back = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return Err(format!("read stdout: {e}")),
        Err(_) => return Err(format!("stdio forward timed out; log:\n{}", proc.log())),
    };
    if let Ok(Err(e)) = writer.join() {
        return Err(format!("write stdin: {e}; log:\n{}", proc.log()));
    }
    let code = proc.wait_exit(Duration::from_secs(10));
    if back != data {
        return Err(format!(
            "stdio echo differs: sent {} (hash {:016x}), got {} (hash {:016x}); exit {code:?}; log:\n{}",
            data.len(),
            hash(&data),
            back.len(),
            hash(&back),
            proc.log()
        ));
    }
    if code != Some(0) {
        return Err(format!(
            "exit {code:?} after the stdio forward; log:\n{}",
            proc.log()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_round_trip_and_corruption_detection() {
        let port = echo_tcp();
        tcp_round_trip(port, 300_000, 1).unwrap();
        // A source is not an echo: the check must notice.
        let src = source(1000);
        let err = tcp_round_trip(src, 1000, 1).unwrap_err();
        assert!(err.contains("echo differs"), "{err}");
    }

    #[test]
    fn a_socket_connected_to_itself_is_no_listener() {
        use nix::sys::socket::{
            AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, setsockopt, socket,
            sockopt,
        };
        use std::os::fd::AsRawFd;
        // What a connect to a port nobody listens on may get: the kernel picks the
        // destination port as the source port and the socket opens to itself. Made here
        // on purpose by binding that port before connecting.
        let port = crate::free_port();
        let fd = socket(
            AddressFamily::Inet,
            SockType::Stream,
            SockFlag::empty(),
            None,
        )
        .unwrap();
        setsockopt(&fd, sockopt::ReuseAddr, &true).unwrap();
        let addr = SockaddrIn::new(127, 0, 0, 1, port);
        bind(fd.as_raw_fd(), &addr).unwrap();
        connect(fd.as_raw_fd(), &addr).unwrap();
        let mut s = TcpStream::from(fd);
        // It "echoes" a SOCKS greeting, as the flaky matrix cell saw.
        s.write_all(&[5, 1, 0]).unwrap();
        let mut back = [0u8; 2];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, [5, 1]);
        assert!(connected_to_itself(&s));
        let real = TcpStream::connect((Ipv4Addr::LOCALHOST, echo_tcp())).unwrap();
        assert!(!connected_to_itself(&real));
    }

    #[test]
    fn unix_echo_round_trip() {
        let dir = crate::TempDir::new("kit-unix");
        let path = dir.join("e.sock");
        echo_unix(&path);
        unix_round_trip(&path, 100_000, 2).unwrap();
    }

    #[test]
    fn sink_answers_count_and_hash() {
        let port = slow_sink(50 << 20);
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        let data = pattern(70_000, 9);
        s.write_all(&data).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut answer = [0u8; 16];
        s.read_exact(&mut answer).unwrap();
        assert_eq!(answer[..8], (data.len() as u64).to_be_bytes());
        assert_eq!(answer[8..], hash(&data).to_be_bytes());
    }
}
