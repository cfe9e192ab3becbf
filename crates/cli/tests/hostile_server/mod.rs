//! A scripted, misbehaving SSH server for the client tests: burrow's own transport does the
//! key exchange; after it, a test script reads what the client sends and answers with any
//! payload it likes, including ones a well-behaved server never sends.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use burrow_keys::KeyPair;
use burrow_transport::{Transport, TransportConfig, TransportEvent};
use burrow_wire::{Reader, Writer, msg};
use bytes::{Bytes, BytesMut};

/// How long one read may wait before the script gives up on the client.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// A server on 127.0.0.1 that runs `script` on its first connection.
pub struct Hostile {
    /// The port it listens on.
    pub port: u16,
    /// Its host key.
    pub host_key: KeyPair,
    handle: Option<JoinHandle<Vec<String>>>,
    peer: Arc<Mutex<Option<SocketAddr>>>,
}

impl Hostile {
    /// Listens and runs `script` on the first connection (in a thread). What the script
    /// records with [`Conn::note`] comes back from [`Hostile::join`].
    pub fn start(script: impl FnOnce(&mut Conn) + Send + 'static) -> Self {
        Self::start_on(0, script)
    }

    /// As [`Hostile::start`], on 127.0.0.1:`port` (0: any free port).
    pub fn start_on(port: u16, script: impl FnOnce(&mut Conn) + Send + 'static) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let host_key = KeyPair::generate_ed25519(&mut rand_core::OsRng);
        let key: Arc<[KeyPair]> = Arc::new([host_key.clone()]);
        let peer = Arc::new(Mutex::new(None));
        let seen = peer.clone();
        let handle = std::thread::spawn(move || {
            let Ok((stream, from)) = listener.accept() else {
                return vec!["accept failed".to_owned()];
            };
            *seen.lock().unwrap() = Some(from);
            stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
            let transport = Transport::server(
                Arc::new(TransportConfig::default()),
                key,
                Box::new(rand_core::OsRng),
                Instant::now(),
            );
            let mut conn = Conn {
                stream,
                transport,
                input: BytesMut::new(),
                notes: Vec::new(),
            };
            script(&mut conn);
            conn.flush();
            conn.notes
        });
        Self {
            port,
            host_key,
            handle: Some(handle),
            peer,
        }
    }

    /// Where the client connected from, once it has.
    pub fn peer(&self) -> Option<SocketAddr> {
        *self.peer.lock().unwrap()
    }

    /// The known_hosts line for this server's key.
    pub fn known_hosts_line(&self) -> String {
        format!(
            "[127.0.0.1]:{} {}\n",
            self.port,
            self.host_key.public_key().to_openssh_line("")
        )
    }

    /// Waits for the script to end; returns its notes.
    pub fn join(mut self) -> Vec<String> {
        self.handle.take().unwrap().join().unwrap()
    }
}

/// One client connection, as a script sees it.
pub struct Conn {
    stream: TcpStream,
    transport: Transport,
    input: BytesMut,
    notes: Vec<String>,
}

impl Conn {
    /// Records something for the test to check.
    pub fn note(&mut self, what: impl Into<String>) {
        self.notes.push(what.into());
    }

    /// Writes everything the transport has ready.
    pub fn flush(&mut self) {
        let mut out = BytesMut::new();
        if self.transport.poll_transmit(&mut out) > 0 {
            let _ = self.stream.write_all(&out);
        }
    }

    /// Sends one payload (message number first).
    pub fn send(&mut self, payload: &[u8]) {
        if self.transport.send_payload(payload).is_ok() {
            self.flush();
        }
    }

    /// Sends `payloads` in one write (so that the client reads them together).
    pub fn send_together(&mut self, payloads: &[&[u8]]) {
        for p in payloads {
            if self.transport.send_payload(p).is_err() {
                return;
            }
        }
        self.flush();
    }

    /// The next service payload from the client; `None` once it disconnected, closed the
    /// socket or said nothing for [`READ_TIMEOUT`].
    pub fn recv(&mut self) -> Option<Bytes> {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            while let Some(ev) = self.transport.poll_event() {
                match ev {
                    TransportEvent::Payload(p) => return Some(p),
                    TransportEvent::Disconnected { description, .. } => {
                        self.note(format!("client disconnected: {description}"));
                        return None;
                    }
                    _ => {}
                }
            }
            self.flush();
            let n = match self.stream.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => n,
            };
            self.input.extend_from_slice(&buf[..n]);
            if self
                .transport
                .handle_input(&mut self.input, Instant::now())
                .is_err()
            {
                self.flush();
                return None;
            }
        }
    }

    /// Waits for the `ssh-userauth` service request and accepts it.
    pub fn accept_userauth(&mut self) -> bool {
        while let Some(p) = self.recv() {
            if p.first() == Some(&msg::SERVICE_REQUEST) {
                self.send(&burrow_transport::service::service_accept("ssh-userauth"));
                return true;
            }
        }
        false
    }

    /// The method name of the client's next USERAUTH_REQUEST (also noted as `auth <method>`);
    /// `None` once the client is gone.
    pub fn next_auth_method(&mut self) -> Option<String> {
        while let Some(p) = self.recv() {
            if p.first() != Some(&msg::USERAUTH_REQUEST) {
                continue;
            }
            let mut r = Reader::new(&p[1..]);
            let _user = r.string("user").ok()?;
            let _service = r.string("service").ok()?;
            let method = String::from_utf8_lossy(r.string("method").ok()?).into_owned();
            self.note(format!("auth {method}"));
            return Some(method);
        }
        None
    }

    /// USERAUTH_FAILURE listing `methods`.
    pub fn auth_failure(&mut self, methods: &str, partial: bool) {
        self.send(&payload(|w| {
            w.byte(msg::USERAUTH_FAILURE)
                .string(methods.as_bytes())
                .boolean(partial);
        }));
    }

    /// USERAUTH_SUCCESS.
    pub fn auth_success(&mut self) {
        self.send(&[msg::USERAUTH_SUCCESS]);
    }

    /// Answers every authentication request with failure until the client tries
    /// `publickey`, then with success. False when the client left first.
    pub fn accept_publickey(&mut self) -> bool {
        while let Some(m) = self.next_auth_method() {
            if m == "publickey" {
                self.auth_success();
                return true;
            }
            self.auth_failure("publickey", false);
        }
        false
    }

    /// USERAUTH_BANNER with raw `text` (not necessarily UTF-8).
    pub fn banner(&mut self, text: &[u8]) {
        self.send(&payload(|w| {
            w.byte(msg::USERAUTH_BANNER).string(text).string(b"");
        }));
    }

    /// DISCONNECT with `reason` and raw `text`.
    pub fn disconnect(&mut self, reason: u32, text: &[u8]) {
        self.send(&payload(|w| {
            w.byte(msg::DISCONNECT)
                .uint32(reason)
                .string(text)
                .string(b"");
        }));
    }

    /// Reads and drops everything until the client is gone; returns the message numbers seen.
    pub fn drain(&mut self) -> Vec<u8> {
        let mut seen = Vec::new();
        while let Some(p) = self.recv() {
            seen.extend(p.first().copied());
        }
        seen
    }
}

/// A payload written with `f`.
pub fn payload(f: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
    let mut buf = BytesMut::new();
    f(&mut Writer::new(&mut buf));
    buf.to_vec()
}
