//! The messages of OpenSSH's multiplexing protocol (PROTOCOL.mux, version 4) as typed
//! values, with their framing: `uint32 length` then a body that starts with `uint32 type`.

use burrow_wire::{DecodeError, Reader, Writer};
use bytes::BytesMut;

/// The protocol version both sides announce in their hello.
pub const VERSION: u32 = 4;
/// The longest packet body either side sends or accepts (OpenSSH's requests are far
/// shorter; a new-session request carrying environment strings is the largest).
pub const MAX_PACKET: usize = 256 * 1024;
/// The most hello extensions accepted from a peer.
pub const MAX_EXTENSIONS: usize = 16;
/// A listen or connect "port" meaning the host field is a unix socket path.
pub const PORT_STREAMLOCAL: u32 = 0xffff_fffe;
/// The hello extension a burrow master announces: it answers [`Message::Stats`].
pub const STATS_EXTENSION: &str = "stats@burrow";

/// Message numbers, with PROTOCOL.mux's names.
pub mod num {
    /// `MUX_MSG_HELLO`.
    pub const HELLO: u32 = 0x0000_0001;
    /// `MUX_C_NEW_SESSION`.
    pub const C_NEW_SESSION: u32 = 0x1000_0002;
    /// `MUX_C_ALIVE_CHECK`.
    pub const C_ALIVE_CHECK: u32 = 0x1000_0004;
    /// `MUX_C_TERMINATE`.
    pub const C_TERMINATE: u32 = 0x1000_0005;
    /// `MUX_C_OPEN_FWD`.
    pub const C_OPEN_FWD: u32 = 0x1000_0006;
    /// `MUX_C_CLOSE_FWD`.
    pub const C_CLOSE_FWD: u32 = 0x1000_0007;
    /// `MUX_C_NEW_STDIO_FWD`.
    pub const C_NEW_STDIO_FWD: u32 = 0x1000_0008;
    /// `MUX_C_STOP_LISTENING`.
    pub const C_STOP_LISTENING: u32 = 0x1000_0009;
    /// burrow's extension (only sent to a master announcing [`super::STATS_EXTENSION`]).
    pub const C_STATS: u32 = 0x1000_0100;
    /// `MUX_S_OK`.
    pub const S_OK: u32 = 0x8000_0001;
    /// `MUX_S_PERMISSION_DENIED`.
    pub const S_PERMISSION_DENIED: u32 = 0x8000_0002;
    /// `MUX_S_FAILURE`.
    pub const S_FAILURE: u32 = 0x8000_0003;
    /// `MUX_S_EXIT_MESSAGE`.
    pub const S_EXIT_MESSAGE: u32 = 0x8000_0004;
    /// `MUX_S_ALIVE`.
    pub const S_ALIVE: u32 = 0x8000_0005;
    /// `MUX_S_SESSION_OPENED`.
    pub const S_SESSION_OPENED: u32 = 0x8000_0006;
    /// `MUX_S_REMOTE_PORT`.
    pub const S_REMOTE_PORT: u32 = 0x8000_0007;
    /// burrow's answer to [`C_STATS`]: a JSON text.
    pub const S_STATS: u32 = 0x8000_0100;
}

/// `MUX_FWD_LOCAL`, `MUX_FWD_REMOTE`, `MUX_FWD_DYNAMIC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FwdKind {
    /// `-L`.
    Local,
    /// `-R`.
    Remote,
    /// `-D`.
    Dynamic,
}

impl FwdKind {
    fn code(self) -> u32 {
        match self {
            FwdKind::Local => 1,
            FwdKind::Remote => 2,
            FwdKind::Dynamic => 3,
        }
    }
}

/// The forward of a `MUX_C_OPEN_FWD` / `MUX_C_CLOSE_FWD` request, as on the wire: an empty
/// host is "none given", a port of [`PORT_STREAMLOCAL`] makes the host a socket path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuxForward {
    /// Which kind of forward; `None` for a type number PROTOCOL.mux does not define.
    pub kind: Option<FwdKind>,
    /// Listen host (or path).
    pub listen_host: String,
    /// Listen port, or [`PORT_STREAMLOCAL`].
    pub listen_port: u32,
    /// Connect host (or path); empty for dynamic forwards.
    pub connect_host: String,
    /// Connect port, or [`PORT_STREAMLOCAL`]; 0 for dynamic forwards.
    pub connect_port: u32,
}

/// One mux message, either direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `MUX_MSG_HELLO`: version and `(name, value)` extensions.
    Hello {
        /// Protocol version.
        version: u32,
        /// Extensions, at most [`MAX_EXTENSIONS`].
        extensions: Vec<(String, String)>,
    },
    /// `MUX_C_NEW_SESSION` (burrow masters refuse it; only the request id is kept).
    NewSession {
        /// Request id.
        id: u32,
    },
    /// `MUX_C_ALIVE_CHECK`.
    AliveCheck {
        /// Request id.
        id: u32,
    },
    /// `MUX_C_TERMINATE`.
    Terminate {
        /// Request id.
        id: u32,
    },
    /// `MUX_C_OPEN_FWD`.
    OpenForward {
        /// Request id.
        id: u32,
        /// The forward.
        fwd: MuxForward,
    },
    /// `MUX_C_CLOSE_FWD`.
    CloseForward {
        /// Request id.
        id: u32,
        /// The forward.
        fwd: MuxForward,
    },
    /// `MUX_C_NEW_STDIO_FWD` (the port is a `uint32`, as OpenSSH sends it).
    StdioForward {
        /// Request id.
        id: u32,
        /// Connect host.
        host: String,
        /// Connect port.
        port: u32,
    },
    /// `MUX_C_STOP_LISTENING`.
    StopListening {
        /// Request id.
        id: u32,
    },
    /// burrow's `-O stats` request.
    Stats {
        /// Request id.
        id: u32,
    },
    /// A request this side does not implement (`MUX_C_PROXY` 0x1000000f, unknown numbers).
    Unsupported {
        /// Its type.
        kind: u32,
        /// Its request id.
        id: u32,
    },
    /// `MUX_S_OK`.
    Ok {
        /// Client request id.
        id: u32,
    },
    /// `MUX_S_PERMISSION_DENIED`.
    PermissionDenied {
        /// Client request id.
        id: u32,
        /// Reason (peer text).
        reason: String,
    },
    /// `MUX_S_FAILURE`.
    Failure {
        /// Client request id.
        id: u32,
        /// Reason (peer text).
        reason: String,
    },
    /// `MUX_S_EXIT_MESSAGE`.
    Exit {
        /// Session id.
        session: u32,
        /// Exit value.
        value: u32,
    },
    /// `MUX_S_ALIVE`.
    Alive {
        /// Client request id.
        id: u32,
        /// The master's process id.
        pid: u32,
    },
    /// `MUX_S_SESSION_OPENED`.
    SessionOpened {
        /// Client request id.
        id: u32,
        /// Session id.
        session: u32,
    },
    /// `MUX_S_REMOTE_PORT`.
    RemotePort {
        /// Client request id.
        id: u32,
        /// The port the server allocated.
        port: u32,
    },
    /// burrow's answer to [`Message::Stats`].
    StatsReply {
        /// Client request id.
        id: u32,
        /// The counters as one JSON object.
        json: String,
    },
}

/// A packet that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The length prefix is over [`MAX_PACKET`] (or under the 4 bytes of a type).
    BadLength(u32),
    /// A field is missing, cut short or not UTF-8.
    Decode(DecodeError),
    /// A hello carried more than [`MAX_EXTENSIONS`] extensions.
    TooManyExtensions,
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodecError::BadLength(n) => {
                write!(f, "mux packet length {n} is outside 4..={MAX_PACKET} bytes")
            }
            CodecError::Decode(e) => write!(f, "malformed mux message: {e}"),
            CodecError::TooManyExtensions => {
                write!(f, "mux hello with more than {MAX_EXTENSIONS} extensions")
            }
        }
    }
}

impl std::error::Error for CodecError {}

impl From<DecodeError> for CodecError {
    fn from(e: DecodeError) -> Self {
        CodecError::Decode(e)
    }
}

/// Checks a packet's length prefix; returns the body length to read.
pub fn body_len(prefix: [u8; 4]) -> Result<usize, CodecError> {
    let n = u32::from_be_bytes(prefix);
    match usize::try_from(n) {
        Ok(len) if (4..=MAX_PACKET).contains(&len) => Ok(len),
        _ => Err(CodecError::BadLength(n)),
    }
}

fn text(r: &mut Reader<'_>, what: &'static str) -> Result<String, DecodeError> {
    Ok(String::from_utf8_lossy(r.string(what)?).into_owned())
}

fn forward(r: &mut Reader<'_>) -> Result<MuxForward, DecodeError> {
    let kind = match r.uint32("MUX_C_OPEN_FWD.forwarding type")? {
        1 => Some(FwdKind::Local),
        2 => Some(FwdKind::Remote),
        3 => Some(FwdKind::Dynamic),
        _ => None,
    };
    Ok(MuxForward {
        kind,
        listen_host: text(r, "MUX_C_OPEN_FWD.listen host")?,
        listen_port: r.uint32("MUX_C_OPEN_FWD.listen port")?,
        connect_host: text(r, "MUX_C_OPEN_FWD.connect host")?,
        connect_port: r.uint32("MUX_C_OPEN_FWD.connect port")?,
    })
}

impl Message {
    /// Decodes one packet body (without its length prefix). Trailing bytes are ignored, as
    /// OpenSSH does (a new-session request carries optional environment strings).
    pub fn decode(body: &[u8]) -> Result<Message, CodecError> {
        let mut r = Reader::new(body);
        let kind = r.uint32("mux packet type")?;
        if kind == num::HELLO {
            let version = r.uint32("MUX_MSG_HELLO.version")?;
            let mut extensions = Vec::new();
            while !r.is_empty() {
                if extensions.len() == MAX_EXTENSIONS {
                    return Err(CodecError::TooManyExtensions);
                }
                let name = text(&mut r, "MUX_MSG_HELLO.extension name")?;
                extensions.push((name, text(&mut r, "MUX_MSG_HELLO.extension value")?));
            }
            return Ok(Message::Hello {
                version,
                extensions,
            });
        }
        let id = r.uint32("mux request id")?;
        let m = match kind {
            num::C_NEW_SESSION => Message::NewSession { id },
            num::C_ALIVE_CHECK => Message::AliveCheck { id },
            num::C_TERMINATE => Message::Terminate { id },
            num::C_OPEN_FWD => Message::OpenForward {
                id,
                fwd: forward(&mut r)?,
            },
            num::C_CLOSE_FWD => Message::CloseForward {
                id,
                fwd: forward(&mut r)?,
            },
            num::C_NEW_STDIO_FWD => {
                r.string("MUX_C_NEW_STDIO_FWD.reserved")?;
                Message::StdioForward {
                    id,
                    host: text(&mut r, "MUX_C_NEW_STDIO_FWD.connect host")?,
                    port: r.uint32("MUX_C_NEW_STDIO_FWD.connect port")?,
                }
            }
            num::C_STOP_LISTENING => Message::StopListening { id },
            num::C_STATS => Message::Stats { id },
            num::S_OK => Message::Ok { id },
            num::S_PERMISSION_DENIED => Message::PermissionDenied {
                id,
                reason: text(&mut r, "MUX_S_PERMISSION_DENIED.reason")?,
            },
            num::S_FAILURE => Message::Failure {
                id,
                reason: text(&mut r, "MUX_S_FAILURE.reason")?,
            },
            num::S_EXIT_MESSAGE => Message::Exit {
                session: id,
                value: r.uint32("MUX_S_EXIT_MESSAGE.exit value")?,
            },
            num::S_ALIVE => Message::Alive {
                id,
                pid: r.uint32("MUX_S_ALIVE.pid")?,
            },
            num::S_SESSION_OPENED => Message::SessionOpened {
                id,
                session: r.uint32("MUX_S_SESSION_OPENED.session id")?,
            },
            num::S_REMOTE_PORT => Message::RemotePort {
                id,
                port: r.uint32("MUX_S_REMOTE_PORT.port")?,
            },
            num::S_STATS => Message::StatsReply {
                id,
                json: text(&mut r, "burrow stats reply")?,
            },
            kind => Message::Unsupported { kind, id },
        };
        Ok(m)
    }

    /// The packet: length prefix, type, fields.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = BytesMut::new();
        let mut w = Writer::new(&mut body);
        let fwd = |w: &mut Writer<'_>, f: &MuxForward| {
            w.uint32(f.kind.map_or(0, FwdKind::code))
                .utf8(&f.listen_host)
                .uint32(f.listen_port)
                .utf8(&f.connect_host)
                .uint32(f.connect_port);
        };
        match self {
            Message::Hello {
                version,
                extensions,
            } => {
                w.uint32(num::HELLO).uint32(*version);
                for (name, value) in extensions {
                    w.utf8(name).utf8(value);
                }
            }
            Message::NewSession { id } => {
                w.uint32(num::C_NEW_SESSION).uint32(*id);
            }
            Message::AliveCheck { id } => {
                w.uint32(num::C_ALIVE_CHECK).uint32(*id);
            }
            Message::Terminate { id } => {
                w.uint32(num::C_TERMINATE).uint32(*id);
            }
            Message::OpenForward { id, fwd: f } => {
                w.uint32(num::C_OPEN_FWD).uint32(*id);
                fwd(&mut w, f);
            }
            Message::CloseForward { id, fwd: f } => {
                w.uint32(num::C_CLOSE_FWD).uint32(*id);
                fwd(&mut w, f);
            }
            Message::StdioForward { id, host, port } => {
                w.uint32(num::C_NEW_STDIO_FWD)
                    .uint32(*id)
                    .string(b"")
                    .utf8(host)
                    .uint32(*port);
            }
            Message::StopListening { id } => {
                w.uint32(num::C_STOP_LISTENING).uint32(*id);
            }
            Message::Stats { id } => {
                w.uint32(num::C_STATS).uint32(*id);
            }
            Message::Unsupported { kind, id } => {
                w.uint32(*kind).uint32(*id);
            }
            Message::Ok { id } => {
                w.uint32(num::S_OK).uint32(*id);
            }
            Message::PermissionDenied { id, reason } => {
                w.uint32(num::S_PERMISSION_DENIED).uint32(*id).utf8(reason);
            }
            Message::Failure { id, reason } => {
                w.uint32(num::S_FAILURE).uint32(*id).utf8(reason);
            }
            Message::Exit { session, value } => {
                w.uint32(num::S_EXIT_MESSAGE)
                    .uint32(*session)
                    .uint32(*value);
            }
            Message::Alive { id, pid } => {
                w.uint32(num::S_ALIVE).uint32(*id).uint32(*pid);
            }
            Message::SessionOpened { id, session } => {
                w.uint32(num::S_SESSION_OPENED).uint32(*id).uint32(*session);
            }
            Message::RemotePort { id, port } => {
                w.uint32(num::S_REMOTE_PORT).uint32(*id).uint32(*port);
            }
            Message::StatsReply { id, json } => {
                w.uint32(num::S_STATS).uint32(*id).utf8(json);
            }
        }
        let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(body.len().saturating_add(4));
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&body);
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use proptest::prelude::*;

    fn round_trip(m: Message) {
        let packet = m.encode();
        let len = body_len(packet[..4].try_into().unwrap()).unwrap();
        assert_eq!(len, packet.len() - 4);
        assert_eq!(Message::decode(&packet[4..]).unwrap(), m);
    }

    #[test]
    fn every_message_round_trips() {
        let fwd = MuxForward {
            kind: Some(FwdKind::Remote),
            listen_host: String::new(),
            listen_port: 0,
            connect_host: "localhost".into(),
            connect_port: 22,
        };
        for m in [
            Message::Hello {
                version: VERSION,
                extensions: vec![(STATS_EXTENSION.into(), String::new())],
            },
            Message::NewSession { id: 1 },
            Message::AliveCheck { id: 2 },
            Message::Terminate { id: 3 },
            Message::OpenForward {
                id: 4,
                fwd: fwd.clone(),
            },
            Message::CloseForward { id: 5, fwd },
            Message::StdioForward {
                id: 6,
                host: "h".into(),
                port: 80,
            },
            Message::StopListening { id: 7 },
            Message::Stats { id: 8 },
            Message::Unsupported {
                kind: 0x1000_000f,
                id: 9,
            },
            Message::Ok { id: 10 },
            Message::PermissionDenied {
                id: 11,
                reason: "Permission denied".into(),
            },
            Message::Failure {
                id: 12,
                reason: "Port forwarding failed".into(),
            },
            Message::Exit {
                session: 1,
                value: 3,
            },
            Message::Alive { id: 13, pid: 4242 },
            Message::SessionOpened { id: 14, session: 2 },
            Message::RemotePort {
                id: 15,
                port: 40000,
            },
            Message::StatsReply {
                id: 16,
                json: "{}".into(),
            },
        ] {
            round_trip(m);
        }
    }

    #[test]
    fn alive_check_bytes_are_openssh_s() {
        // uint32 length 8, MUX_C_ALIVE_CHECK, request id 0.
        assert_eq!(
            Message::AliveCheck { id: 0 }.encode(),
            [0, 0, 0, 8, 0x10, 0, 0, 4, 0, 0, 0, 0]
        );
    }

    #[test]
    fn lengths_outside_the_limit_are_refused() {
        assert_eq!(body_len([0, 0, 0, 3]), Err(CodecError::BadLength(3)));
        assert_eq!(
            body_len([0xff, 0xff, 0xff, 0xff]),
            Err(CodecError::BadLength(u32::MAX))
        );
        assert!(body_len([0, 4, 0, 1]).is_err());
        assert_eq!(body_len([0, 4, 0, 0]), Ok(MAX_PACKET));
    }

    #[test]
    fn a_hello_with_too_many_extensions_is_refused() {
        let m = Message::Hello {
            version: 4,
            extensions: vec![(String::new(), String::new()); MAX_EXTENSIONS + 1],
        };
        let p = m.encode();
        assert_eq!(Message::decode(&p[4..]), Err(CodecError::TooManyExtensions));
    }

    #[test]
    fn a_string_longer_than_the_packet_is_an_error() {
        let mut body = num::C_OPEN_FWD.to_be_bytes().to_vec();
        body.extend([0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xf0, b'x']);
        assert!(matches!(Message::decode(&body), Err(CodecError::Decode(_))));
    }

    proptest! {
        #[test]
        fn garbage_never_panics(body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = Message::decode(&body);
        }

        #[test]
        fn garbage_after_a_known_type_never_panics(
            kind in prop::sample::select(vec![
                num::HELLO, num::C_OPEN_FWD, num::C_CLOSE_FWD, num::C_NEW_STDIO_FWD,
                num::S_FAILURE, num::S_REMOTE_PORT, num::S_STATS,
            ]),
            rest in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut body = kind.to_be_bytes().to_vec();
            body.extend(rest);
            let _ = Message::decode(&body);
        }
    }
}
