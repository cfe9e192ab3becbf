//! A blocking driver for a sans-IO `Transport` over a `std::net::TcpStream`, for tests.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow_keys::KeyPair;
use burrow_transport::{HostKeyVerdict, Transport, TransportConfig, TransportEvent};
use bytes::BytesMut;

/// A transport and its socket. Host keys are accepted when they match `expected_host_key`
/// (or always, when it is `None`).
pub struct Conn {
    pub stream: TcpStream,
    pub t: Transport,
    input: BytesMut,
    out: BytesMut,
    pub expected_host_key: Option<Vec<u8>>,
    pub kex_done: usize,
}

impl Conn {
    /// Connects a burrow client to 127.0.0.1:`port`; its first flight goes out at once.
    pub fn client(port: u16, cfg: TransportConfig) -> Conn {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
        let t = Transport::client(Arc::new(cfg), Box::new(rand_core::OsRng), Instant::now());
        Self::wrap(stream, t)
    }

    /// A burrow server on an accepted socket.
    pub fn server(stream: TcpStream, cfg: TransportConfig, host_key: Arc<[KeyPair]>) -> Conn {
        let t = Transport::server(
            Arc::new(cfg),
            host_key,
            Box::new(rand_core::OsRng),
            Instant::now(),
        );
        Self::wrap(stream, t)
    }

    fn wrap(stream: TcpStream, t: Transport) -> Conn {
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let mut c = Conn {
            stream,
            t,
            input: BytesMut::with_capacity(64 * 1024),
            out: BytesMut::new(),
            expected_host_key: None,
            kex_done: 0,
        };
        c.flush();
        c
    }

    /// Writes everything the transport has to send.
    pub fn flush(&mut self) {
        let _ = self.t.poll_transmit(&mut self.out);
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).expect("write to peer");
            self.out.clear();
        }
    }

    /// Reads what arrives within `wait` and feeds it to the transport. Returns false on EOF.
    pub fn read_once(&mut self, wait: Duration) -> bool {
        self.stream
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
            .expect("read timeout");
        let mut buf = [0u8; 32 * 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.input.extend_from_slice(&buf[..n]);
                self.t
                    .handle_input(&mut self.input, Instant::now())
                    .unwrap_or_else(|e| panic!("transport error: {e}"));
                true
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => true,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => false,
            Err(e) => panic!("read: {e}"),
        }
    }

    /// The next event other than host-key checks, KexDone (those are handled and counted) and
    /// GLOBAL_REQUEST (dropped),
    /// or `None` when the deadline passes or the peer closes.
    pub fn next_event(&mut self, timeout: Duration) -> Option<TransportEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Some(ev) = self.t.poll_event() {
                match ev {
                    TransportEvent::VerifyHostKey { host_key, .. } => {
                        let ok = self
                            .expected_host_key
                            .as_ref()
                            .is_none_or(|want| want[..] == host_key[..]);
                        let verdict = if ok {
                            HostKeyVerdict::Accept
                        } else {
                            HostKeyVerdict::Reject
                        };
                        self.t.answer_host_key(verdict);
                        assert!(ok, "unexpected host key");
                        self.t
                            .handle_input(&mut self.input, Instant::now())
                            .unwrap_or_else(|e| panic!("transport error: {e}"));
                    }
                    TransportEvent::KexDone(_) => self.kex_done += 1,
                    // sshd's hostkeys-00@openssh.com after auth (want_reply false): not ours.
                    TransportEvent::Payload(p) if p.first() == Some(&80) => {}
                    other => return Some(other),
                }
            }
            self.flush();
            let now = Instant::now();
            if now >= deadline || self.t.is_closed() {
                return None;
            }
            if !self.read_once((deadline - now).min(Duration::from_millis(200))) {
                return self.t.poll_event();
            }
        }
    }

    /// Processes input until the first key exchange is done (or panics after `timeout`).
    pub fn wait_kex(&mut self, want: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.kex_done < want {
            assert!(
                Instant::now() < deadline,
                "key exchange {want} did not finish"
            );
            if let Some(ev) = self.next_event(Duration::from_millis(50)) {
                panic!("unexpected event before kex: {ev:?}");
            }
        }
    }
}
