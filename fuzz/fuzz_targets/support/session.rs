//! One endpoint of a connection after key exchange, glued as burrow's driver glues it: the
//! transport's payloads routed (`burrow_userauth::route`) to userauth, then, with the proof of
//! authentication, to the connection layer, and everything they answer sealed back. A small
//! application reacts to the connection's events (accept, reply, echo, close), and a client
//! opens a session, a `direct-tcpip` channel and a `tcpip-forward` once logged in. Used by the
//! `handshake_*` targets and by `examples/record_seeds.rs`, which records two of them.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow_connection::{Connection, ConnectionConfig, Event, Outgoing, channel_data_header};
use burrow_keys::{KeyPair, PublicKey, SigAlg};
use burrow_transport::{HostKeyVerdict, Transport, TransportEvent};
use burrow_userauth::{
    AuthPolicy, Client, ClientConfig, ClientEvent, Identity, Method, Route, Server, ServerConfig,
    ServerEvent, route,
};
use burrow_wire::connection::{ChannelOpenType, ChannelRequestKind, GlobalRequestKind};
use burrow_wire::userauth::{AuthMethod, UserauthRequest, publickey_signed_data};
use burrow_wire::{Side, msg};
use bytes::{Bytes, BytesMut};

/// The user every endpoint logs in as, and its password.
pub const USER: &str = "alice";
pub const PASSWORD: &str = "pw";

/// Small limits, so that windows, packet sizes and the channel limit are all reachable.
pub const LIMITS: ConnectionConfig = ConnectionConfig {
    max_channels: 8,
    window_size: 8192,
    max_packet: 2048,
    max_send_packet: 1024,
    max_pending_requests: 4,
    window_budget: 64 << 10,
};

/// alice's key (a fixed seed).
pub fn user_key() -> KeyPair {
    KeyPair::from_ed25519_seed(&[1; 32])
}

/// The server's policy: alice with her key or her password.
struct Policy(PublicKey);

impl AuthPolicy for Policy {
    type Permissions = ();

    fn public_key(&mut self, user: &str, key: &PublicKey) -> Option<()> {
        (user == USER && *key == self.0).then_some(())
    }

    fn password(&mut self, user: &str, password: &str) -> Option<()> {
        (user == USER && password == PASSWORD).then_some(())
    }
}

/// USERAUTH_REQUEST for alice by publickey, signed over `session_id`.
pub fn signed_request(session_id: &[u8]) -> Vec<u8> {
    let key = user_key();
    let blob = key.public_key().to_blob();
    let alg = SigAlg::Ed25519.name();
    let data = publickey_signed_data(session_id, USER, "ssh-connection", alg, &blob);
    let signature = key
        .sign(SigAlg::Ed25519, &data, &mut super::FuzzRng(7))
        .unwrap_or_default();
    UserauthRequest {
        user_name: USER.into(),
        service_name: "ssh-connection".into(),
        method: AuthMethod::Publickey {
            algorithm: alg.into(),
            public_key: Cow::Owned(blob),
            signature: Some(Cow::Owned(signature)),
        },
    }
    .to_bytes()
    .to_vec()
}

enum Auth {
    Server(Box<Server<()>>, Policy),
    Client(Box<Client>),
}

/// Transport, userauth and (once authenticated) connection of one side.
pub struct Endpoint {
    pub transport: Transport,
    auth: Auth,
    conn: Option<Connection>,
    side: Side,
    /// Every service payload the transport delivered, when recording.
    pub received: Option<Vec<Vec<u8>>>,
}

impl Endpoint {
    /// A server endpoint on an established transport; `password` also offers passwords.
    pub fn server(transport: Transport, password: bool, now: Instant) -> Option<Self> {
        let config = ServerConfig {
            password,
            max_auth_tries: 4,
            login_grace_time: Duration::from_secs(30),
            banner: Some("fuzz banner\n".into()),
            ..ServerConfig::default()
        };
        let session_id = transport.session_id()?.clone();
        let server = Server::new(Arc::new(config), session_id, super::rng(5), now);
        let policy = Policy(user_key().public_key().clone());
        Some(Self::new(
            transport,
            Auth::Server(Box::new(server), policy),
            Side::Server,
        ))
    }

    /// A client endpoint on an established transport: alice's key, then passwords.
    pub fn client(transport: Transport) -> Option<Self> {
        let mut config = ClientConfig::new(USER, "fuzz.example");
        config.methods = vec![
            Method::Publickey,
            Method::KeyboardInteractive,
            Method::Password,
        ];
        let session_id = transport.session_id()?.clone();
        let identities = vec![Identity::KeyPair(user_key())];
        let client = Client::new(config, session_id, identities, super::rng(6));
        Some(Self::new(
            transport,
            Auth::Client(Box::new(client)),
            Side::Client,
        ))
    }

    fn new(transport: Transport, auth: Auth, side: Side) -> Self {
        Self {
            transport,
            auth,
            conn: None,
            side,
            received: None,
        }
    }

    /// True once the connection layer runs.
    pub fn authenticated(&self) -> bool {
        self.conn.is_some()
    }

    /// Takes the peer's bytes and everything they cause; `Err` when the connection is over.
    pub fn input(&mut self, wire: &mut BytesMut, now: Instant) -> Result<(), ()> {
        self.transport.handle_input(wire, now).map_err(drop)?;
        self.step(now)
    }

    /// Handles what the transport delivered and the timers, and seals every answer.
    pub fn step(&mut self, now: Instant) -> Result<(), ()> {
        self.transport.handle_timeout(now);
        while let Some(event) = self.transport.poll_event() {
            match event {
                TransportEvent::Payload(p) => self.payload(p, now)?,
                TransportEvent::VerifyHostKey { .. } => {
                    self.transport.answer_host_key(HostKeyVerdict::Accept);
                }
                TransportEvent::Disconnected { .. } => return Err(()),
                _ => {}
            }
        }
        self.flush(now)
    }

    fn payload(&mut self, p: Bytes, now: Instant) -> Result<(), ()> {
        if let Some(log) = &mut self.received {
            log.push(p.to_vec());
        }
        let number = p.first().copied().unwrap_or(0);
        match route(self.side, self.conn.is_some(), number) {
            Route::Userauth => match &mut self.auth {
                Auth::Server(s, policy) => s.handle_payload(&p, policy, now).map_err(drop),
                Auth::Client(c) => c.handle_payload(&p).map_err(drop),
            },
            Route::Connection => {
                let Some(conn) = &mut self.conn else {
                    return Err(());
                };
                conn.set_now(now);
                conn.handle_message(&p)
                    .map_err(|e| assert!(e.is_peer_error(), "{e}"))
            }
            Route::Ignore | Route::Unimplemented => Ok(()),
            Route::Refuse => Err(()),
        }
    }

    /// Moves userauth's output and outcome, the application's answers and the connection's
    /// payloads into the transport.
    fn flush(&mut self, now: Instant) -> Result<(), ()> {
        let mut out = Vec::new();
        let mut proof = false;
        match &mut self.auth {
            Auth::Server(s, _) => {
                s.handle_timeout(now);
                while let Some(p) = s.poll_payload(now) {
                    out.push(p);
                }
                while let Some(event) = s.poll_event() {
                    match event {
                        ServerEvent::Authenticated(a) => {
                            assert_eq!(a.user(), USER);
                            proof = true;
                        }
                        ServerEvent::Closed(_) => return Err(()),
                    }
                }
            }
            Auth::Client(c) => {
                while let Some(event) = c.poll_event() {
                    // Local answers may be refused in a wrong state: never a panic.
                    let _ = match event {
                        ClientEvent::Prompt { prompts, .. } => {
                            let answers = vec![PASSWORD; prompts.len()];
                            c.answer_prompts(&answers)
                        }
                        ClientEvent::PasswordPrompt { .. } => c.answer_password(Some(PASSWORD)),
                        ClientEvent::SignRequest { .. } => c.signing_failed(),
                        _ => Ok(()),
                    };
                }
                while let Some(p) = c.poll_payload() {
                    out.push(p);
                }
                proof = c.take_authenticated().is_some();
                if c.is_failed() {
                    return Err(());
                }
            }
        }
        for p in out {
            self.transport.send_payload(&p).map_err(drop)?;
        }
        if proof && self.conn.is_none() {
            let mut conn = Connection::new(self.side, LIMITS);
            conn.set_now(now);
            if self.side == Side::Client {
                open_client_channels(&mut conn);
            }
            self.conn = Some(conn);
        }
        let Some(conn) = &mut self.conn else {
            return Ok(());
        };
        react(conn, self.side);
        while let Some(o) = conn.poll_message() {
            match o {
                Outgoing::Data { recipient, data } => {
                    let len = u32::try_from(data.len()).map_err(drop)?;
                    let header = channel_data_header(recipient, len);
                    self.transport.send_payload_parts(&[&header, &data])
                }
                Outgoing::Message(m) => self.transport.send_payload(&m),
            }
            .map_err(drop)?;
        }
        Ok(())
    }
}

/// What burrow's client does after login: `-W`-style `direct-tcpip`, a remote forward, and a
/// session with a command.
fn open_client_channels(conn: &mut Connection) {
    let _ = conn.open_channel(ChannelOpenType::DirectTcpip {
        host_to_connect: Cow::Borrowed("localhost"),
        port_to_connect: 7,
        originator_address: Cow::Borrowed("127.0.0.1"),
        originator_port: 40000,
    });
    let _ = conn.send_global_request(
        GlobalRequestKind::TcpipForward {
            address_to_bind: Cow::Borrowed("localhost"),
            port_to_bind: 0,
        },
        true,
    );
    let _ = conn.open_channel(ChannelOpenType::Session);
}

/// A tiny application: accepts what is offered, says yes to requests (a forward gets port
/// 2222), echoes data on the server and sends some on a client's opened channel, answers EOF
/// with EOF and CLOSE with CLOSE. Local refusals are fine; a panic is not.
fn react(conn: &mut Connection, side: Side) {
    while let Some(event) = conn.poll_event() {
        let _ = match event {
            Event::ChannelOpenRequest { channel, .. } => conn.accept_channel(channel),
            Event::ChannelOpened { channel } if side == Side::Client => {
                let exec = ChannelRequestKind::Exec {
                    command: Cow::Borrowed(b"echo hi"),
                };
                let _ = conn.send_channel_request(channel, exec, true);
                let mut data = Bytes::from_static(&[0x61; 3000]);
                let _ = conn.write(channel, &mut data);
                conn.eof(channel)
            }
            Event::Readable { channel } => {
                while let Ok(Some(mut chunk)) = conn.read(channel, 4096) {
                    if side == Side::Server {
                        let _ = conn.write(channel, &mut chunk);
                    }
                }
                Ok(())
            }
            Event::ChannelRequest {
                channel,
                id,
                want_reply: true,
                ..
            } => conn.reply_channel_request(channel, id, true),
            Event::GlobalRequest {
                id,
                want_reply: true,
                request,
            } => {
                let port =
                    matches!(request, GlobalRequestKind::TcpipForward { .. }).then_some(2222);
                conn.accept_global_request(id, port)
            }
            Event::Eof { channel } => {
                let _ = conn.eof(channel);
                conn.close(channel)
            }
            Event::PeerClosed { channel } => conn.close(channel),
            _ => Ok(()),
        };
    }
    // Never more buffered than the windows granted.
    for id in conn.channel_ids().collect::<Vec<_>>() {
        if let Some(w) = conn.recv_window(id) {
            assert!(conn.buffered(id) as u64 <= u64::from(w.size()) + u64::from(w.excess()));
        }
    }
    assert!(conn.channel_count() <= LIMITS.max_channels);
}

/// The fuzzer's side: for each message, `peer` first reads what `ep` sent (so both stay in
/// step, rekeys included), then seals the message (no checks) for `ep`, which takes it at a
/// time a quarter second later than the last (failure delays, grace time, window tuning).
pub fn play<'a>(
    peer: &mut Transport,
    ep: &mut Endpoint,
    messages: impl Iterator<Item = &'a [u8]>,
    now: Instant,
) {
    let (mut wire, mut back) = (BytesMut::new(), BytesMut::new());
    for (i, m) in messages.enumerate() {
        let t = now + Duration::from_millis(250 * i as u64);
        let _ = ep.transport.poll_transmit(&mut back);
        if peer.handle_input(&mut back, t).is_err() {
            return;
        }
        while peer.poll_event().is_some() {}
        if peer.fuzz_send_raw(m).is_err() {
            return;
        }
        let _ = peer.poll_transmit(&mut wire);
        if ep.input(&mut wire, t).is_err() {
            let _ = ep.transport.poll_transmit(&mut back);
            return;
        }
    }
}

/// A message the handshake targets turn into a whole one: `[0xfe]` is alice's signed
/// publickey request for this session (a fuzzer cannot forge the signature).
pub fn expand(message: &[u8], session_id: &[u8]) -> Option<Vec<u8>> {
    (message == [0xfe]).then(|| signed_request(session_id))
}

/// SERVICE_REQUEST("ssh-userauth").
pub fn service_request() -> Vec<u8> {
    let mut v = vec![msg::SERVICE_REQUEST, 0, 0, 0, 12];
    v.extend_from_slice(b"ssh-userauth");
    v
}
