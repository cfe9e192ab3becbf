//! The broker protocol between a sandboxed protocol child and its monitor: typed requests
//! (host keys, signatures, authentication, then the user's sockets) and replies, encoded
//! with SSH's field types. Every message fits in [`super::fdpass::MAX_MESSAGE`] bytes, so
//! every length and count read is bounded by it.

use burrow_forward::{BindAddr, Connect};
use burrow_keyfiles::authorized_keys::{OtherOption, PermitListen, PermitOpen};
use burrow_keyfiles::{ExpiryTime, KeyOptions};
use burrow_wire::{DecodeError, DecodeErrorKind, Reader, Writer};
use bytes::BytesMut;

/// What the child asks of the monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The public host keys (blobs).
    HostKeys,
    /// Sign an exchange hash with the host key of algorithm `alg`.
    Sign {
        /// The signature algorithm name.
        alg: String,
        /// The exchange hash.
        data: Vec<u8>,
    },
    /// May the key `key` (a blob) log in as `user` from the connection's address?
    AuthQuery {
        /// The user name.
        user: String,
        /// The public key blob.
        key: Vec<u8>,
    },
    /// The USERAUTH_REQUEST that the child says completed authentication.
    Authenticate {
        /// Its payload.
        request: Vec<u8>,
    },
    /// Connect to a target, giving up after `timeout_ms`.
    Connect {
        /// Where.
        target: Connect,
        /// The timeout in milliseconds.
        timeout_ms: u32,
    },
    /// Bind TCP listeners.
    BindTcp {
        /// The address.
        addr: BindAddr,
        /// The port (0: any).
        port: u16,
    },
    /// Bind a unix listener.
    BindUnix {
        /// The path.
        path: String,
        /// StreamLocalBindUnlink.
        unlink: bool,
    },
    /// Remove a closed unix listener's socket file.
    RemoveSocket {
        /// The path.
        path: String,
    },
    /// MetricsListen: the connection's counters (a `metrics::Snapshot` as JSON), for the
    /// monitor to pass on to the listener.
    Report {
        /// The JSON text.
        json: String,
    },
}

/// The monitor's answer; socket replies carry their descriptors beside the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Done (for socket requests: the descriptors are attached).
    Done,
    /// Refused by policy, with the reason.
    Refused(String),
    /// A system call failed: its errno (0 when none) and message.
    Failed {
        /// The errno.
        errno: i32,
        /// What failed.
        message: String,
    },
    /// The public host key blobs.
    Keys(Vec<Vec<u8>>),
    /// A signature blob.
    Signature(Vec<u8>),
    /// The authorized_keys options of an accepted key.
    Options(KeyOptions),
}

fn encode(f: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
    let mut buf = BytesMut::new();
    f(&mut Writer::new(&mut buf));
    buf.to_vec()
}

fn text(r: &mut Reader<'_>, what: &'static str) -> Result<String, DecodeError> {
    Ok(r.utf8(what)?.into_owned())
}

fn opt_port(w: &mut Writer<'_>, port: Option<u16>) {
    w.uint32(port.map_or(u32::MAX, u32::from));
}

fn read_opt_port(r: &mut Reader<'_>) -> Result<Option<u16>, DecodeError> {
    Ok(u16::try_from(r.uint32("port")?).ok())
}

impl Request {
    /// The encoded message.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(|w| match self {
            Self::HostKeys => {
                w.byte(1);
            }
            Self::Sign { alg, data } => {
                w.byte(2).utf8(alg).string(data);
            }
            Self::AuthQuery { user, key } => {
                w.byte(3).utf8(user).string(key);
            }
            Self::Authenticate { request } => {
                w.byte(4).string(request);
            }
            Self::Connect { target, timeout_ms } => {
                w.byte(5).uint32(*timeout_ms);
                match target {
                    Connect::Tcp { host, port } => w.byte(0).utf8(host).uint32(u32::from(*port)),
                    Connect::Unix(path) => w.byte(1).utf8(path),
                };
            }
            Self::BindTcp { addr, port } => {
                w.byte(6).uint32(u32::from(*port));
                match addr {
                    BindAddr::Loopback => w.byte(0),
                    BindAddr::Wildcard => w.byte(1),
                    BindAddr::Host(h) => w.byte(2).utf8(h),
                };
            }
            Self::BindUnix { path, unlink } => {
                w.byte(7).utf8(path).boolean(*unlink);
            }
            Self::RemoveSocket { path } => {
                w.byte(8).utf8(path);
            }
            Self::Report { json } => {
                w.byte(9).utf8(json);
            }
        })
    }

    /// Decodes a message; anything malformed or left over is an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let port = |r: &mut Reader<'_>| -> Result<u16, DecodeError> {
            let p = r.uint32("port")?;
            u16::try_from(p).map_err(|_| too_big("port", p, 65535))
        };
        let tag = r.byte("request")?;
        let req = match tag {
            1 => Self::HostKeys,
            2 => Self::Sign {
                alg: text(&mut r, "algorithm")?,
                data: r.string("data")?.to_vec(),
            },
            3 => Self::AuthQuery {
                user: text(&mut r, "user")?,
                key: r.string("key")?.to_vec(),
            },
            4 => Self::Authenticate {
                request: r.string("request")?.to_vec(),
            },
            5 => {
                let timeout_ms = r.uint32("timeout")?;
                let kind = r.byte("target kind")?;
                let target = match kind {
                    0 => Connect::Tcp {
                        host: text(&mut r, "host")?,
                        port: port(&mut r)?,
                    },
                    1 => Connect::Unix(text(&mut r, "path")?),
                    _ => return Err(bad("target kind", kind)),
                };
                Self::Connect { target, timeout_ms }
            }
            6 => {
                let p = port(&mut r)?;
                let kind = r.byte("address kind")?;
                let addr = match kind {
                    0 => BindAddr::Loopback,
                    1 => BindAddr::Wildcard,
                    2 => BindAddr::Host(text(&mut r, "address")?),
                    _ => return Err(bad("address kind", kind)),
                };
                Self::BindTcp { addr, port: p }
            }
            7 => Self::BindUnix {
                path: text(&mut r, "path")?,
                unlink: r.boolean("unlink")?,
            },
            8 => Self::RemoveSocket {
                path: text(&mut r, "path")?,
            },
            9 => Self::Report {
                json: text(&mut r, "report")?,
            },
            _ => return Err(bad("request", tag)),
        };
        r.finish("broker request")?;
        Ok(req)
    }
}

/// An unknown tag byte.
fn bad(what: &'static str, number: u8) -> DecodeError {
    DecodeError::new(what, DecodeErrorKind::UnknownMessage { number })
}

/// A number past its field's range.
fn too_big(what: &'static str, value: u32, limit: usize) -> DecodeError {
    let len = usize::try_from(value).unwrap_or(usize::MAX);
    DecodeError::new(what, DecodeErrorKind::TooLong { len, limit })
}

fn write_options(w: &mut Writer<'_>, o: &KeyOptions) {
    w.boolean(o.port_forwarding)
        .boolean(o.restrict)
        .boolean(o.cert_authority);
    w.uint32(u32::try_from(o.permit_open.len()).unwrap_or(0));
    for p in &o.permit_open {
        w.utf8(&p.host);
        opt_port(w, p.port);
    }
    w.uint32(u32::try_from(o.permit_listen.len()).unwrap_or(0));
    for p in &o.permit_listen {
        w.utf8(&p.host);
        opt_port(w, p.port);
    }
    w.boolean(o.from.is_some())
        .utf8(o.from.as_deref().unwrap_or(""));
    match o.expiry_time {
        Some(e) => w.boolean(true).uint64(e.seconds).boolean(e.utc),
        None => w.boolean(false),
    };
    w.uint32(u32::try_from(o.other.len()).unwrap_or(0));
    for x in &o.other {
        w.utf8(&x.name).boolean(x.value.is_some());
        w.utf8(x.value.as_deref().unwrap_or(""));
    }
}

fn read_options(r: &mut Reader<'_>) -> Result<KeyOptions, DecodeError> {
    let mut o = KeyOptions {
        port_forwarding: r.boolean("port-forwarding")?,
        restrict: r.boolean("restrict")?,
        cert_authority: r.boolean("cert-authority")?,
        ..KeyOptions::unrestricted()
    };
    // Each entry takes at least 8 bytes, so the counts are bounded by the message length.
    for _ in 0..r.uint32("permitopen count")? {
        let host = text(r, "permitopen")?;
        let port = read_opt_port(r)?;
        o.permit_open.push(PermitOpen { host, port });
    }
    for _ in 0..r.uint32("permitlisten count")? {
        let host = text(r, "permitlisten")?;
        let port = read_opt_port(r)?;
        o.permit_listen.push(PermitListen { host, port });
    }
    let has_from = r.boolean("from")?;
    let from = text(r, "from")?;
    o.from = has_from.then_some(from);
    if r.boolean("expiry-time")? {
        o.expiry_time = Some(ExpiryTime {
            seconds: r.uint64("expiry-time")?,
            utc: r.boolean("expiry-time utc")?,
        });
    }
    for _ in 0..r.uint32("other count")? {
        let name = text(r, "option")?;
        let has = r.boolean("option value")?;
        let value = text(r, "option value")?;
        o.other.push(OtherOption {
            name,
            value: has.then_some(value),
        });
    }
    Ok(o)
}

impl Reply {
    /// The encoded message.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(|w| match self {
            Self::Done => {
                w.byte(0);
            }
            Self::Refused(why) => {
                w.byte(1).utf8(why);
            }
            Self::Failed { errno, message } => {
                w.byte(2).uint32(errno.unsigned_abs()).utf8(message);
            }
            Self::Keys(keys) => {
                w.byte(3).uint32(u32::try_from(keys.len()).unwrap_or(0));
                for k in keys {
                    w.string(k);
                }
            }
            Self::Signature(sig) => {
                w.byte(4).string(sig);
            }
            Self::Options(o) => {
                w.byte(5);
                write_options(w, o);
            }
        })
    }

    /// Decodes a message; anything malformed or left over is an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let tag = r.byte("reply")?;
        let reply = match tag {
            0 => Self::Done,
            1 => Self::Refused(text(&mut r, "reason")?),
            2 => Self::Failed {
                errno: {
                    let n = r.uint32("errno")?;
                    i32::try_from(n).map_err(|_| too_big("errno", n, 4095))?
                },
                message: text(&mut r, "message")?,
            },
            3 => {
                let mut keys = Vec::new();
                for _ in 0..r.uint32("key count")? {
                    keys.push(r.string("key")?.to_vec());
                }
                Self::Keys(keys)
            }
            4 => Self::Signature(r.string("signature")?.to_vec()),
            5 => Self::Options(read_options(&mut r)?),
            _ => return Err(bad("reply", tag)),
        };
        r.finish("broker reply")?;
        Ok(reply)
    }

    /// A failed system call's reply.
    pub fn failed(e: &std::io::Error) -> Self {
        Self::Failed {
            errno: e.raw_os_error().unwrap_or(0),
            message: e.to_string(),
        }
    }

    /// The error a `Failed` or `Refused` reply stands for (errno kept, so messages read
    /// as the direct call's would).
    pub fn into_error(self) -> std::io::Error {
        match self {
            Self::Failed { errno, .. } if errno > 0 => std::io::Error::from_raw_os_error(errno),
            Self::Failed { message, .. } | Self::Refused(message) => std::io::Error::other(message),
            other => std::io::Error::other(format!("unexpected broker reply {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests() -> Vec<Request> {
        vec![
            Request::HostKeys,
            Request::Sign {
                alg: "ssh-ed25519".into(),
                data: vec![1, 2, 3],
            },
            Request::AuthQuery {
                user: "alice".into(),
                key: vec![9; 51],
            },
            Request::Authenticate {
                request: vec![50, 0, 0, 0, 1, b'a'],
            },
            Request::Connect {
                target: Connect::Tcp {
                    host: "example.org".into(),
                    port: 22,
                },
                timeout_ms: 10_000,
            },
            Request::Connect {
                target: Connect::Unix("/run/x.sock".into()),
                timeout_ms: 1,
            },
            Request::BindTcp {
                addr: BindAddr::Host("::1".into()),
                port: 0,
            },
            Request::BindTcp {
                addr: BindAddr::Wildcard,
                port: 8080,
            },
            Request::BindTcp {
                addr: BindAddr::Loopback,
                port: 1,
            },
            Request::BindUnix {
                path: "/tmp/a.sock".into(),
                unlink: true,
            },
            Request::RemoveSocket {
                path: "/tmp/a.sock".into(),
            },
            Request::Report {
                json: "{\"reconnects\":0}".into(),
            },
        ]
    }

    #[test]
    fn requests_round_trip_and_every_cut_is_an_error() {
        for req in requests() {
            let bytes = req.to_bytes();
            assert_eq!(Request::decode(&bytes).unwrap(), req);
            for n in 0..bytes.len() {
                assert!(Request::decode(&bytes[..n]).is_err(), "{req:?} cut at {n}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(
                Request::decode(&longer).is_err(),
                "trailing byte after {req:?}"
            );
        }
        assert!(Request::decode(&[99]).is_err());
        // A port past 65535 is not truncated into range.
        let mut bad = Request::BindTcp {
            addr: BindAddr::Loopback,
            port: 0,
        }
        .to_bytes();
        bad[1..5].copy_from_slice(&70_000u32.to_be_bytes());
        assert!(Request::decode(&bad).is_err());
    }

    #[test]
    fn replies_round_trip_with_full_key_options() {
        let options = KeyOptions {
            port_forwarding: false,
            permit_open: vec![
                PermitOpen {
                    host: "db".into(),
                    port: Some(5432),
                },
                PermitOpen {
                    host: "*".into(),
                    port: None,
                },
            ],
            permit_listen: vec![PermitListen {
                host: "localhost".into(),
                port: Some(8080),
            }],
            from: Some("10.0.0.0/8,!10.1.2.3".into()),
            expiry_time: Some(ExpiryTime {
                seconds: 1_900_000_000,
                utc: false,
            }),
            restrict: true,
            cert_authority: false,
            other: vec![
                OtherOption {
                    name: "no-pty".into(),
                    value: None,
                },
                OtherOption {
                    name: "command".into(),
                    value: Some(String::new()),
                },
            ],
        };
        let replies = vec![
            Reply::Done,
            Reply::Refused("not allowed".into()),
            Reply::Failed {
                errno: 13,
                message: "Permission denied".into(),
            },
            Reply::Keys(vec![vec![1; 51], vec![2; 279]]),
            Reply::Signature(vec![3; 83]),
            Reply::Options(options),
            Reply::Options(KeyOptions::unrestricted()),
        ];
        for reply in replies {
            let bytes = reply.to_bytes();
            assert_eq!(Reply::decode(&bytes).unwrap(), reply);
            for n in 0..bytes.len() {
                assert!(Reply::decode(&bytes[..n]).is_err(), "{reply:?} cut at {n}");
            }
        }
    }

    #[test]
    fn a_failed_reply_keeps_the_errno_for_the_message() {
        let e = std::io::Error::from_raw_os_error(13);
        let back = Reply::decode(&Reply::failed(&e).to_bytes())
            .unwrap()
            .into_error();
        assert_eq!(back.raw_os_error(), Some(13));
        assert_eq!(back.to_string(), e.to_string());
    }

    #[test]
    fn a_huge_count_fails_at_the_end_of_the_message_without_allocating() {
        let mut bytes = vec![3u8];
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(Reply::decode(&bytes).is_err());
    }
}
