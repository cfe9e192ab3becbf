//! Records an in-process burrow client <-> server session (kex, userauth, channels, data,
//! requests, close) through the real transport, userauth and connection state machines, and
//! writes what each fuzz target reads as seed files: `record_seeds <dir>` writes
//! `<dir>/<target>/<name>`. Deterministic: the same code writes the same seeds.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use burrow_connection::{Connection, ConnectionConfig, Event};
use burrow_keyfiles::encode_unencrypted;
use burrow_keys::{KeyPair, PublicKey};
use burrow_transport::{HostKeyVerdict, Transport, TransportConfig, TransportEvent};
use burrow_userauth::{
    AuthPolicy, Client as AuthClient, ClientConfig as AuthClientConfig, ClientEvent, Identity,
    Method, Server as AuthServer, ServerConfig as AuthServerConfig, ServerEvent,
};
use burrow_wire::connection::{ChannelOpenType, ChannelRequestKind, GlobalRequestKind};
use burrow_wire::{SessionId, Side};
use bytes::{Bytes, BytesMut};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[path = "../fuzz_targets/support/mod.rs"]
mod support;

/// Everything that crossed the wire, both ways.
#[derive(Default)]
struct Record {
    /// Raw bytes each way (version line, clear kex packets, ciphertext).
    c2s_raw: Vec<u8>,
    s2c_raw: Vec<u8>,
    /// Service payloads each way, in order.
    c2s: Vec<Bytes>,
    s2c: Vec<Bytes>,
}

/// The two transports, their read buffers and the record.
struct Wire {
    client: Transport,
    server: Transport,
    c_in: BytesMut,
    s_in: BytesMut,
    now: Instant,
    rec: Record,
    /// Payloads delivered and not yet taken by the layers above.
    to_client: Vec<Bytes>,
    to_server: Vec<Bytes>,
}

impl Wire {
    fn new() -> Self {
        Self::with_kex(None)
    }

    /// A pair whose client offers only `kex` (default: every kex, the default's first wins).
    fn with_kex(kex: Option<&str>) -> Self {
        let now = Instant::now();
        let mut client_cfg = TransportConfig::default();
        if let Some(kex) = kex {
            client_cfg.set_kex_algorithms(kex).expect("kex name");
        }
        let client = Transport::client(
            Arc::new(client_cfg),
            Box::new(ChaCha20Rng::seed_from_u64(1)),
            now,
        );
        let server = Transport::server(
            Arc::new(TransportConfig::default()),
            Arc::new([KeyPair::from_ed25519_seed(&[0x42; 32])]),
            Box::new(ChaCha20Rng::seed_from_u64(2)),
            now,
        );
        Self {
            client,
            server,
            c_in: BytesMut::new(),
            s_in: BytesMut::new(),
            now,
            rec: Record::default(),
            to_client: Vec::new(),
            to_server: Vec::new(),
        }
    }

    /// Moves bytes both ways until nothing is left to move.
    fn pump(&mut self) {
        for _ in 0..100 {
            let mut moved = false;
            let mut buf = BytesMut::new();
            if self.client.poll_transmit(&mut buf) > 0 {
                self.rec.c2s_raw.extend_from_slice(&buf);
                self.s_in.extend_from_slice(&buf);
                self.server
                    .handle_input(&mut self.s_in, self.now)
                    .expect("server input");
                moved = true;
            }
            let mut buf = BytesMut::new();
            if self.server.poll_transmit(&mut buf) > 0 {
                self.rec.s2c_raw.extend_from_slice(&buf);
                self.c_in.extend_from_slice(&buf);
                self.client
                    .handle_input(&mut self.c_in, self.now)
                    .expect("client input");
                moved = true;
            }
            while let Some(ev) = self.client.poll_event() {
                match ev {
                    TransportEvent::VerifyHostKey { .. } => {
                        self.client.answer_host_key(HostKeyVerdict::Accept);
                        self.client
                            .handle_input(&mut self.c_in, self.now)
                            .expect("client input");
                    }
                    TransportEvent::Payload(p) => self.to_client.push(p),
                    _ => {}
                }
            }
            while let Some(ev) = self.server.poll_event() {
                if let TransportEvent::Payload(p) = ev {
                    self.to_server.push(p);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("session did not settle");
    }

    fn client_send(&mut self, p: &[u8]) {
        self.client.send_payload(p).expect("client send");
        self.rec.c2s.push(Bytes::copy_from_slice(p));
    }

    fn server_send(&mut self, p: &[u8]) {
        self.server.send_payload(p).expect("server send");
        self.rec.s2c.push(Bytes::copy_from_slice(p));
    }
}

/// Accepts `key` (for any user) and password "pw" for alice.
struct Policy(PublicKey);

impl AuthPolicy for Policy {
    type Permissions = ();
    fn public_key(&mut self, _user: &str, key: &PublicKey) -> Option<()> {
        (*key == self.0).then_some(())
    }
    fn password(&mut self, user: &str, password: &str) -> Option<()> {
        (user == "alice" && password == "pw").then_some(())
    }
}

/// Runs userauth to success over `wire`; with `password`, the client only tries passwords
/// (a wrong one first).
fn userauth(wire: &mut Wire, session_id: SessionId, user: &str, seed: [u8; 32], password: bool) {
    let right = KeyPair::from_ed25519_seed(&seed);
    let mut cfg = AuthClientConfig::new(user, "host");
    let identities = if password {
        cfg.methods = vec![Method::Password];
        Vec::new()
    } else {
        vec![
            Identity::KeyPair(KeyPair::from_ed25519_seed(&[9; 32])),
            Identity::KeyPair(KeyPair::from_ed25519_seed(&seed)),
        ]
    };
    let mut client = AuthClient::new(
        cfg,
        session_id.clone(),
        identities,
        Box::new(ChaCha20Rng::seed_from_u64(3)),
    );
    let server_cfg = AuthServerConfig {
        password: true,
        banner: Some("welcome\n".to_owned()),
        ..AuthServerConfig::default()
    };
    let mut server: AuthServer<()> = AuthServer::new(
        Arc::new(server_cfg),
        session_id,
        Box::new(ChaCha20Rng::seed_from_u64(3)),
        wire.now,
    );
    let mut policy = Policy(right.public_key().clone());
    let mut answers = ["wrong", "pw"].into_iter();
    for _ in 0..50 {
        // The server holds failures back for a while (timing defence): let time pass.
        wire.now += std::time::Duration::from_millis(500);
        server.handle_timeout(wire.now);
        while let Some(p) = client.poll_payload() {
            wire.client_send(&p);
        }
        wire.pump();
        for p in std::mem::take(&mut wire.to_server) {
            server
                .handle_payload(&p, &mut policy, wire.now)
                .expect("userauth server");
        }
        while let Some(p) = server.poll_payload(wire.now) {
            wire.server_send(&p);
        }
        while let Some(ev) = server.poll_event() {
            assert!(matches!(ev, ServerEvent::Authenticated(_)), "{ev:?}");
        }
        wire.pump();
        for p in std::mem::take(&mut wire.to_client) {
            client.handle_payload(&p).expect("userauth client");
        }
        while let Some(ev) = client.poll_event() {
            if let ClientEvent::PasswordPrompt { .. } = ev {
                client.answer_password(answers.next()).expect("password");
            }
        }
        if client.is_authenticated() {
            return;
        }
    }
    panic!("userauth did not finish");
}

/// Channels, data, requests and close between two `Connection`s over `wire`.
fn connection(wire: &mut Wire) {
    let mut cc = Connection::new(Side::Client, ConnectionConfig::default());
    let mut sc = Connection::new(Side::Server, ConnectionConfig::default());
    let session = cc.open_channel(ChannelOpenType::Session).expect("open");
    let tcpip = cc
        .open_channel(ChannelOpenType::DirectTcpip {
            host_to_connect: Cow::Borrowed("localhost"),
            port_to_connect: 8080,
            originator_address: Cow::Borrowed("127.0.0.1"),
            originator_port: 40000,
        })
        .expect("open");
    let _ = cc.open_channel(ChannelOpenType::DirectStreamlocal {
        socket_path: Cow::Borrowed("/tmp/socket"),
        reserved: Cow::Borrowed(""),
        reserved_port: 0,
    });
    let global = [
        GlobalRequestKind::TcpipForward {
            address_to_bind: Cow::Borrowed("localhost"),
            port_to_bind: 0,
        },
        GlobalRequestKind::Keepalive,
        GlobalRequestKind::StreamlocalForward {
            socket_path: Cow::Borrowed("/tmp/fwd.sock"),
        },
        GlobalRequestKind::CancelTcpipForward {
            address_to_bind: Cow::Borrowed("localhost"),
            port_to_bind: 4242,
        },
    ];
    for g in global {
        cc.send_global_request(g, true).expect("global");
    }
    cc.send_global_request(GlobalRequestKind::NoMoreSessions, false)
        .expect("global");
    let mut step = 0;
    for _round in 0..40 {
        step += 1;
        // Client application.
        while let Some(ev) = cc.poll_event() {
            match ev {
                Event::ChannelOpened { channel } if channel == session => {
                    let reqs = [
                        ChannelRequestKind::Env {
                            name: Cow::Borrowed("LANG"),
                            value: Cow::Borrowed(b"C.UTF-8"),
                        },
                        ChannelRequestKind::Exec {
                            command: Cow::Borrowed(b"cat /etc/hostname"),
                        },
                    ];
                    for r in reqs {
                        cc.send_channel_request(channel, r, true).expect("request");
                    }
                }
                Event::ChannelOpened { channel } => {
                    let mut data =
                        Bytes::from((0..3000u32).map(|i| (i * 7) as u8).collect::<Vec<_>>());
                    cc.write(channel, &mut data).expect("write");
                    cc.send_channel_request(channel, ChannelRequestKind::Eow, false)
                        .expect("eow");
                    cc.eof(channel).expect("eof");
                }
                Event::ChannelOpenRequest { channel, .. } => {
                    cc.accept_channel(channel).expect("accept")
                }
                Event::Readable { channel } => while let Ok(Some(_)) = cc.read(channel, 1 << 16) {},
                Event::PeerClosed { channel } => {
                    let _ = cc.close(channel);
                }
                _ => {}
            }
        }
        // Server application.
        while let Some(ev) = sc.poll_event() {
            match ev {
                Event::ChannelOpenRequest {
                    channel,
                    channel_type,
                } => match channel_type {
                    ChannelOpenType::DirectStreamlocal { .. } => sc
                        .reject_channel(
                            channel,
                            burrow_wire::OpenFailureReason::AdministrativelyProhibited,
                            "no",
                        )
                        .expect("reject"),
                    _ => sc.accept_channel(channel).expect("accept"),
                },
                Event::GlobalRequest {
                    id,
                    want_reply: true,
                    request,
                } => match request {
                    GlobalRequestKind::TcpipForward { .. } => {
                        sc.accept_global_request(id, Some(4242))
                            .expect("global reply");
                        let _ = sc.open_channel(ChannelOpenType::ForwardedTcpip {
                            address_that_was_connected: Cow::Borrowed("localhost"),
                            port_that_was_connected: 4242,
                            originator_address: Cow::Borrowed("127.0.0.1"),
                            originator_port: 50000,
                        });
                    }
                    _ => sc.reject_global_request(id).expect("global reply"),
                },
                Event::ChannelRequest {
                    channel,
                    id,
                    want_reply: true,
                    request,
                } => {
                    let exec = matches!(request, ChannelRequestKind::Exec { .. });
                    sc.reply_channel_request(channel, id, true).expect("reply");
                    if exec {
                        let mut out = Bytes::from_static(b"burrow-test-host\n");
                        sc.write(channel, &mut out).expect("write");
                        let status = ChannelRequestKind::ExitStatus { exit_status: 0 };
                        sc.send_channel_request(channel, status, false)
                            .expect("exit-status");
                        sc.eof(channel).expect("eof");
                        sc.close(channel).expect("close");
                    }
                }
                Event::ChannelOpened { channel } => {
                    let mut data = Bytes::from_static(b"GET / HTTP/1.0\r\n\r\n");
                    sc.write(channel, &mut data).expect("write");
                    sc.close(channel).expect("close");
                }
                Event::Readable { channel } => {
                    while let Ok(Some(data)) = sc.read(channel, 1 << 16) {
                        let mut echo = data;
                        let _ = sc.write(channel, &mut echo);
                    }
                }
                Event::Eof { channel } | Event::PeerClosed { channel } => {
                    let _ = sc.eof(channel);
                    let _ = sc.close(channel);
                }
                _ => {}
            }
        }
        let mut buf = BytesMut::new();
        while let Some(m) = cc.poll_message() {
            buf.clear();
            m.encode(&mut buf);
            wire.client_send(&buf);
        }
        while let Some(m) = sc.poll_message() {
            buf.clear();
            m.encode(&mut buf);
            wire.server_send(&buf);
        }
        wire.pump();
        for p in std::mem::take(&mut wire.to_server) {
            sc.handle_message(&p).expect("server connection");
        }
        for p in std::mem::take(&mut wire.to_client) {
            cc.handle_message(&p).expect("client connection");
        }
        if step > 5 && !cc.has_messages() && !sc.has_messages() && cc.channel_count() == 0 {
            break;
        }
    }
    let _ = tcpip;
}

/// The clear packets' payloads of a raw stream after its version line, up to NEWKEYS.
fn clear_payloads(raw: &[u8]) -> Vec<Vec<u8>> {
    let Some(nl) = raw.iter().position(|&b| b == b'\n') else {
        return Vec::new();
    };
    let mut rest = &raw[nl + 1..];
    let mut out = Vec::new();
    while rest.len() >= 5 {
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let pad = usize::from(rest[4]);
        let payload = rest[5..4 + len - pad].to_vec();
        rest = &rest[4 + len..];
        let newkeys = payload.first() == Some(&21);
        out.push(payload);
        if newkeys {
            break;
        }
    }
    out
}

/// The stream after the version line.
fn after_version(raw: &[u8]) -> &[u8] {
    let nl = raw.iter().position(|&b| b == b'\n').map_or(0, |n| n + 1);
    &raw[nl..]
}

/// `u16` length-prefixed messages (the transport targets' post-kex format).
fn framed(payloads: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads.iter().filter(|p| p.len() <= usize::from(u16::MAX)) {
        out.extend_from_slice(&(p.len() as u16).to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// Plaintext packets (`uint32 length || padding_length || payload || padding`) of `block`.
fn plain_packets(payloads: &[Vec<u8>], block: usize, length_in_block: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        let counted = if length_in_block {
            4 + 1 + p.len()
        } else {
            1 + p.len()
        };
        let mut pad = block - counted % block;
        if pad < 4 {
            pad += block;
        }
        out.extend_from_slice(&((1 + p.len() + pad) as u32).to_be_bytes());
        out.push(pad as u8);
        out.extend_from_slice(p);
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    out
}

/// userauth_server records: `[time step][kind][len][payload]`, raw payloads only.
fn auth_records(flags: u8, payloads: &[Bytes]) -> Vec<u8> {
    let mut out = vec![flags];
    for p in payloads.iter().filter(|p| p.len() <= 255) {
        out.extend_from_slice(&[1, 0, p.len() as u8]);
        out.extend_from_slice(p);
    }
    out
}

/// connection_messages raw-payload ops: `[0][len][number - 80][body...][flags]`.
fn connection_ops(payloads: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        let Some((&n, body)) = p.split_first() else {
            continue;
        };
        if (80..=100).contains(&n) && body.len() <= 255 {
            out.extend_from_slice(&[0, body.len() as u8, n - 80]);
            out.extend_from_slice(body);
            out.push(3);
        }
    }
    out
}

/// The service payloads each side's transport delivered (client to server, server to
/// client) in a session between the `handshake_*` targets' own endpoints (`support::session`)
/// after `support::connected(selector)`: userauth by alice's key, then the client's channels.
fn handshake(selector: u8) -> (Vec<Bytes>, Vec<Bytes>) {
    use support::session::Endpoint;
    let c = support::connected(selector).expect("kex");
    let now = c.now;
    let mut client = Endpoint::client(c.client).expect("client");
    let mut server = Endpoint::server(c.server, true, now).expect("server");
    client.received = Some(Vec::new());
    server.received = Some(Vec::new());
    let (mut c2s, mut s2c) = (BytesMut::new(), BytesMut::new());
    client.step(now).expect("client start");
    for i in 0..100u64 {
        let t = now + std::time::Duration::from_millis(250 * i);
        let _ = client.transport.poll_transmit(&mut c2s);
        server.input(&mut c2s, t).expect("server input");
        let _ = server.transport.poll_transmit(&mut s2c);
        if s2c.is_empty() && i > 10 {
            break;
        }
        client.input(&mut s2c, t).expect("client input");
    }
    assert!(client.authenticated() && server.authenticated());
    let take = |e: Endpoint| e.received.unwrap_or_default().into_iter().map(Bytes::from);
    (take(server).collect(), take(client).collect())
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "seeds".to_owned());
    let mut seeds: BTreeMap<(&str, String), Vec<u8>> = BTreeMap::new();
    let mut add = |target: &'static str, name: String, data: Vec<u8>| {
        seeds.insert((target, name), data);
    };

    // The session: kex, publickey (a refused key first), channels, data, requests, close.
    let mut wire = Wire::new();
    wire.pump();
    assert!(wire.client.is_established() && wire.server.is_established());
    let sid = wire.client.session_id().expect("session id").clone();
    let key = KeyPair::from_ed25519_seed(&[0x33; 32]);
    userauth(&mut wire, sid, "tester", [0x33; 32], false);
    let auth_c2s = wire.rec.c2s.clone();
    connection(&mut wire);
    wire.client.rekey().expect("rekey");
    wire.pump();
    let rec = &wire.rec;
    let conn_c2s: Vec<Bytes> = rec.c2s[auth_c2s.len()..].to_vec();

    // Userauth alone with the userauth_server target's session id and alice's key, by key
    // and by password: these reach success.
    let fuzz_sid = SessionId::new(vec![0x5a; 32]);
    let mut by_key = Wire::new();
    by_key.pump();
    userauth(&mut by_key, fuzz_sid.clone(), "alice", [1; 32], false);
    let mut by_password = Wire::new();
    by_password.pump();
    userauth(&mut by_password, fuzz_sid, "alice", [1; 32], true);

    let kex_c2s = clear_payloads(&rec.c2s_raw);
    let kex_s2c = clear_payloads(&rec.s2c_raw);

    // wire_message: every payload, each direction.
    let all: Vec<(&str, Vec<u8>)> = kex_c2s
        .iter()
        .map(|p| ("c2s", p.clone()))
        .chain(kex_s2c.iter().map(|p| ("s2c", p.clone())))
        .chain(rec.c2s.iter().map(|p| ("c2s", p.to_vec())))
        .chain(rec.s2c.iter().map(|p| ("s2c", p.to_vec())))
        .chain(by_password.rec.c2s.iter().map(|p| ("c2s", p.to_vec())))
        .collect();
    for (i, (dir, p)) in all.iter().enumerate() {
        let n = p.first().copied().unwrap_or(0);
        add("wire_message", format!("{i:03}-{dir}-msg{n}"), p.clone());
    }

    // transport_server / transport_client: the peer's raw stream into a fresh transport
    // (even mode), and the peer's service payloads after a completed kex (odd mode).
    add(
        "transport_server",
        "fresh-session".into(),
        [&[0u8][..], after_version(&rec.c2s_raw)].concat(),
    );
    // The same first flights with the classic curve25519 kex (the default is a hybrid one).
    let mut classic = Wire::with_kex(Some("curve25519-sha256"));
    classic.pump();
    for (target, raw) in [
        ("transport_server", &classic.rec.c2s_raw),
        ("transport_client", &classic.rec.s2c_raw),
    ] {
        add(
            target,
            "fresh-curve25519".into(),
            [&[0u8][..], after_version(raw)].concat(),
        );
    }
    add(
        "transport_client",
        "fresh-session".into(),
        [&[0u8][..], after_version(&rec.s2c_raw)].concat(),
    );
    for selector in 0u8..5 {
        let mode = 1 | (selector << 1);
        add(
            "transport_server",
            format!("after-kex-{selector}"),
            [vec![mode], framed(&rec.c2s)].concat(),
        );
        add(
            "transport_client",
            format!("after-kex-{selector}"),
            [vec![mode], framed(&rec.s2c)].concat(),
        );
    }

    // packet_decoder: the clear kex stream, and the session's payloads as plaintext packets
    // for each keyed suite (both alignments of the length field).
    add(
        "packet_decoder",
        "clear-c2s".into(),
        [&[0u8, 7][..], after_version(&rec.c2s_raw)].concat(),
    );
    add(
        "packet_decoder",
        "clear-s2c".into(),
        [&[0u8, 7][..], after_version(&rec.s2c_raw)].concat(),
    );
    let payloads: Vec<Vec<u8>> = rec.c2s.iter().take(12).map(|p| p.to_vec()).collect();
    for suite in 1u8..12 {
        for (tag, in_block) in [("len-in-block", true), ("len-outside", false)] {
            let block = if suite == 1 { 8 } else { 16 };
            let body = plain_packets(&payloads, block, in_block);
            add(
                "packet_decoder",
                format!("suite{suite:02}-{tag}"),
                [vec![0x10 | suite, 7], body].concat(),
            );
        }
    }

    // userauth_server: the real session's requests (signatures over another session id) and
    // the successful runs (publickey, password).
    add(
        "userauth_server",
        "session".into(),
        auth_records(0, &auth_c2s),
    );
    add(
        "userauth_server",
        "alice-key".into(),
        auth_records(4, &by_key.rec.c2s),
    );
    add(
        "userauth_server",
        "alice-password".into(),
        auth_records(1, &by_password.rec.c2s),
    );

    // connection_messages: the client's connection payloads as raw-payload ops.
    add(
        "connection_messages",
        "session".into(),
        connection_ops(&conn_c2s),
    );
    for (i, p) in conn_c2s.iter().enumerate() {
        let op = connection_ops(std::slice::from_ref(p));
        if !op.is_empty() {
            add("connection_messages", format!("msg-{i:02}"), op);
        }
    }

    // File formats, written by burrow's own encoders.
    let line = key.public_key().to_openssh_line("user@host");
    add(
        "authorized_keys_parse",
        "plain".into(),
        format!("{line}\n").into_bytes(),
    );
    add(
        "authorized_keys_parse",
        "options".into(),
        format!(
            "# comment\nfrom=\"10.0.0.0/8,!10.1.*\",no-pty,permitopen=\"localhost:80\",expiry-time=\"20300101\" {line}\n\
             restrict,port-forwarding,command=\"echo hi\",environment=\"A=b\" {line}\ncert-authority,principals=\"a,b\" {line}\n"
        )
        .into_bytes(),
    );
    add(
        "known_hosts_parse",
        "entries".into(),
        format!(
            "host,10.0.0.1 {line}\n[host]:2222 {line}\n@revoked * {line}\n@cert-authority *.example {line}\n\
             |1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g= {line}\n!bad,*.host ?ost {line}\n"
        )
        .into_bytes(),
    );
    let armored = encode_unencrypted(&key, "user@host", 0x1234_5678).expect("encode key");
    add(
        "private_key_parse",
        "armored".into(),
        [b"\x01".to_vec(), armored.clone().into_bytes()].concat(),
    );
    if let Ok(body) = burrow_keyfiles::private_key::decode_armor(&armored) {
        add(
            "private_key_parse",
            "binary".into(),
            [vec![0u8], body.to_vec()].concat(),
        );
    }
    add(
        "ssh_config_parse",
        "config".into(),
        b"Host bastion *.internal !skip\n  HostName 10.0.0.5\n  User admin\n  Port 2222\n  IdentityFile ~/.ssh/id_ed25519\n  \
          LocalForward 8080 localhost:80\n  RemoteForward 0 localhost:22\n  DynamicForward 1080\n  ProxyJump jump\n  \
          ServerAliveInterval 15\n  Ciphers ^aes128-ctr\n  MACs hmac-sha2-256\n  KexAlgorithms -curve25519-sha256@libssh.org\n  \
          RekeyLimit 1G 1h\n  ExitOnForwardFailure yes\n  StrictHostKeyChecking accept-new\nMatch host foo exec \"true\"\n  \
          Compression no\nInclude ~/.ssh/config.d/*\nHost *\n  ConnectTimeout=10\n"
            .to_vec(),
    );
    add(
        "sshd_config_parse",
        "config".into(),
        b"Port 2222\nListenAddress 127.0.0.1\nHostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin prohibit-password\n\
          PasswordAuthentication no\nAuthorizedKeysFile .ssh/authorized_keys %h/.ssh/keys2\nAllowTcpForwarding local\n\
          PermitOpen localhost:80 any\nPermitListen 8080\nGatewayPorts clientspecified\nMaxStartups 10:30:100\n\
          MaxAuthTries 3\nLoginGraceTime 30s\nClientAliveInterval 15\nAuthenticationMethods publickey,password\n\
          Match User alice Address 10.0.0.0/8\n  AllowTcpForwarding no\n"
            .to_vec(),
    );
    // socks_server: [cut count][cuts...][request]: SOCKS4, 4a and 5 CONNECT requests.
    add(
        "socks_server",
        "socks4".into(),
        b"\x00\x04\x01\x00\x50\x7f\x00\x00\x01user\x00".to_vec(),
    );
    add(
        "socks_server",
        "socks4a".into(),
        b"\x01\x03\x04\x01\x00\x50\x00\x00\x00\x01\x00example.com\x00".to_vec(),
    );
    add(
        "socks_server",
        "socks5-domain".into(),
        b"\x02\x02\x05\x05\x01\x00\x05\x01\x00\x03\x0bexample.com\x00\x50".to_vec(),
    );
    add("socks_server", "socks5-ipv6".into(), b"\x00\x05\x01\x00\x05\x01\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x16".to_vec());

    // The handshake targets: `[selector][flags]` then the peer's payloads, for every cipher
    // and the MACs; flags 1 (alice already logged in) with the connection payloads only.
    for selector in [0u8, 1, 2, 3, 4, 8, 13] {
        let (c2s, s2c) = handshake(selector);
        let conn: Vec<Bytes> = c2s.iter().filter(|p| p[0] >= 80).cloned().collect();
        add(
            "handshake_server",
            format!("session-{selector}"),
            [vec![selector, 0], framed(&c2s)].concat(),
        );
        add(
            "handshake_server",
            format!("connection-{selector}"),
            [vec![selector, 1], framed(&conn)].concat(),
        );
        add(
            "handshake_client",
            format!("session-{selector}"),
            [vec![selector, 0], framed(&s2c)].concat(),
        );
    }

    // ssh_match: `[flags]` then Match arguments, one line each (flags 1: the final pass,
    // 2-16: HostName, User, Port, Tag set, 32: `exec` answers true).
    let match_lines = "Match host web,*.example.com user alice\n\
        Match originalhost web exec \"test %h = web -a %p = 22\"\n\
        Match final host web.example.com\n\
        Match canonical all\n\
        Match localnetwork 192.168.0.0/16,::1/128 !localuser bob\n\
        Match tagged work version burrow_* exec=true\n";
    add(
        "ssh_match",
        "first-pass".into(),
        [&b"\x00"[..], match_lines.as_bytes()].concat(),
    );
    add(
        "ssh_match",
        "final-pass".into(),
        [&b"\x3f"[..], match_lines.as_bytes()].concat(),
    );

    let root = Path::new(&dir);
    let mut per_target: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for ((target, name), data) in &seeds {
        let d = root.join(target);
        std::fs::create_dir_all(&d).expect("create seed dir");
        std::fs::write(d.join(name), data).expect("write seed");
        let e = per_target.entry(target).or_default();
        e.0 += 1;
        e.1 += data.len();
    }
    for (target, (files, bytes)) in per_target {
        println!("{target:24} {files:4} seeds {bytes:8} bytes");
    }
}
