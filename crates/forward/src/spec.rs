//! Parsing of `-L`, `-R`, `-D` and `-W` specifications exactly as ssh(1) reads them
//! (OpenSSH readconf.c `parse_forward`), into typed [`ForwardSpec`] values.
//!
//! Fields are separated by `:`. A field in square brackets is taken literally (so IPv6
//! addresses are written `[::1]`); outside brackets a backslash escapes the next character.
//! A field containing `/` is a unix-domain socket path. Modern ssh has no `/` field separator
//! (the old `port/host/hostport` form is read as one path), and neither does burrow.

use crate::error::{ForwardError, SpecKind};

/// Longest host name in a specification (NI_MAXHOST - 1, as ssh).
pub const MAX_HOST_LEN: usize = 1024;
/// Longest unix socket path (`sizeof(sun_path) - 1`, as ssh's PATH_MAX_SUN check).
pub const MAX_PATH_LEN: usize = 107;
/// At most four fields make a specification.
const MAX_FIELDS: usize = 4;

/// Where a forward listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Listen {
    /// A TCP port. `bind` is the address as written (`None` when omitted, `Some("")` for an
    /// empty field, `Some("*")`); port 0 asks the server to allocate (remote forwards only).
    Tcp {
        /// The bind address as written, if any.
        bind: Option<String>,
        /// The port.
        port: u16,
    },
    /// A unix-domain socket path.
    Unix(String),
}

impl std::fmt::Display for Listen {
    /// As ssh syntax: `port`, `bind:port` (IPv6 in brackets), or the path.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listen::Tcp { bind: None, port } => write!(f, "{port}"),
            Listen::Tcp {
                bind: Some(b),
                port,
            } if b.contains(':') => write!(f, "[{b}]:{port}"),
            Listen::Tcp {
                bind: Some(b),
                port,
            } => write!(f, "{b}:{port}"),
            Listen::Unix(path) => f.write_str(path),
        }
    }
}

/// Where forwarded connections go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Connect {
    /// A host name or address and a port.
    Tcp {
        /// Host name or literal address (without brackets).
        host: String,
        /// Port, never 0.
        port: u16,
    },
    /// A unix-domain socket path.
    Unix(String),
}

impl std::fmt::Display for Connect {
    /// `host:port` as ssh prints it in `Allocated port` lines, or the path.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Connect::Tcp { host, port } => write!(f, "{host}:{port}"),
            Connect::Unix(path) => f.write_str(path),
        }
    }
}

/// A listener paired with a destination: the body of a `-L` or `-R` specification.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Forward {
    /// Where to listen (locally for `-L`, on the server for `-R`).
    pub listen: Listen,
    /// Where to connect (on the server side for `-L`, locally for `-R`).
    pub connect: Connect,
}

/// One parsed forwarding option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardSpec {
    /// `-L`: listen locally, connect from the server.
    Local(Forward),
    /// `-R` with a destination: the server listens, the client connects.
    Remote(Forward),
    /// `-D`: a local SOCKS server.
    Dynamic(Listen),
    /// `-R [bind:]port` alone: the server listens, the client answers SOCKS on each
    /// forwarded connection (OpenSSH 7.6+).
    RemoteDynamic(Listen),
}

impl std::fmt::Display for ForwardSpec {
    /// The option and its argument: `-L 8080:localhost:80`, `-R 0:localhost:22`, `-D 1080`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let connect = |f: &mut std::fmt::Formatter<'_>, c: &Connect| match c {
            Connect::Tcp { host, port } if host.contains(':') => write!(f, ":[{host}]:{port}"),
            c => write!(f, ":{c}"),
        };
        match self {
            ForwardSpec::Local(fwd) => {
                write!(f, "-L {}", fwd.listen)?;
                connect(f, &fwd.connect)
            }
            ForwardSpec::Remote(fwd) => {
                write!(f, "-R {}", fwd.listen)?;
                connect(f, &fwd.connect)
            }
            ForwardSpec::Dynamic(listen) => write!(f, "-D {listen}"),
            ForwardSpec::RemoteDynamic(listen) => write!(f, "-R {listen}"),
        }
    }
}

impl ForwardSpec {
    /// True for `-R` forwards (fixed or dynamic): the server listens.
    pub fn is_remote(&self) -> bool {
        matches!(self, ForwardSpec::Remote(_) | ForwardSpec::RemoteDynamic(_))
    }

    /// Parses a `-L` argument.
    pub fn parse_local(spec: &str) -> Result<Self, ForwardError> {
        parse_forward(spec, false, false)
            .and_then(into_forward)
            .map(ForwardSpec::Local)
            .ok_or_else(|| bad(SpecKind::Local, spec))
    }

    /// Parses a `-R` argument: a forward, or else a reverse dynamic `[bind:]port`.
    pub fn parse_remote(spec: &str) -> Result<Self, ForwardError> {
        if let Some(fwd) = parse_forward(spec, false, true).and_then(into_forward) {
            return Ok(ForwardSpec::Remote(fwd));
        }
        parse_forward(spec, true, true)
            .map(|raw| ForwardSpec::RemoteDynamic(raw.listen))
            .ok_or_else(|| bad(SpecKind::Remote, spec))
    }

    /// Parses a `-D` argument.
    pub fn parse_dynamic(spec: &str) -> Result<Self, ForwardError> {
        parse_forward(spec, true, false)
            .map(|raw| ForwardSpec::Dynamic(raw.listen))
            .ok_or_else(|| bad(SpecKind::Dynamic, spec))
    }

    /// The listener of this forward.
    pub fn listen(&self) -> &Listen {
        match self {
            ForwardSpec::Local(f) | ForwardSpec::Remote(f) => &f.listen,
            ForwardSpec::Dynamic(l) | ForwardSpec::RemoteDynamic(l) => l,
        }
    }
}

/// Parses a `-W host:port` (or `-W /path`) argument: where stdin/stdout are forwarded.
pub fn parse_stdio(spec: &str) -> Result<Connect, ForwardError> {
    match parse_forward(spec, true, false).map(|raw| raw.listen) {
        Some(Listen::Tcp {
            bind: Some(host),
            port,
        }) if !host.is_empty() => Ok(Connect::Tcp { host, port }),
        Some(Listen::Unix(path)) => Ok(Connect::Unix(path)),
        _ => Err(bad(SpecKind::Stdio, spec)),
    }
}

fn bad(kind: SpecKind, spec: &str) -> ForwardError {
    ForwardError::BadSpec {
        kind,
        spec: spec.chars().take(MAX_HOST_LEN * 2).collect(),
    }
}

/// One field and whether it names a path.
struct Field {
    text: String,
    is_path: bool,
}

/// What `parse_forward` found before the per-kind checks.
struct Raw {
    listen: Listen,
    connect: Option<Connect>,
}

fn into_forward(raw: Raw) -> Option<Forward> {
    raw.connect.map(|connect| Forward {
        listen: raw.listen,
        connect,
    })
}

/// Splits off the next field: `Ok(None)` at the end of input, `Err(())` on a malformed
/// bracket or a trailing backslash.
fn next_field(rest: &mut &str) -> Result<Option<Field>, ()> {
    let s = *rest;
    if s.is_empty() {
        return Ok(None);
    }
    if let Some(inner) = s.strip_prefix('[') {
        let close = inner.find(']').ok_or(())?;
        let (text, after) = inner.split_at(close);
        let after = after.get(1..).ok_or(())?;
        *rest = match after.strip_prefix(':') {
            Some(r) => r,
            None if after.is_empty() => after,
            None => return Err(()),
        };
        return Ok(Some(Field {
            is_path: text.contains('/'),
            text: text.to_owned(),
        }));
    }
    let mut text = String::new();
    let mut is_path = false;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => text.push(chars.next().ok_or(())?.1),
            ':' => {
                *rest = s.get(i + 1..).ok_or(())?;
                return Ok(Some(Field { text, is_path }));
            }
            c => {
                is_path |= c == '/';
                text.push(c);
            }
        }
    }
    *rest = "";
    Ok(Some(Field { text, is_path }))
}

/// ssh's `a2port`: a decimal 0-65535, or a well-known service name.
pub fn parse_port(s: &str) -> Option<u16> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.trim_start_matches('0').parse::<u16>().ok().or_else(|| {
            // All zeros trims to "".
            s.bytes().all(|b| b == b'0').then_some(0)
        });
    }
    SERVICES
        .iter()
        .find(|(name, _)| *name == s)
        .map(|&(_, port)| port)
}

/// The service names ssh would find in a stock /etc/services, for the common ports.
const SERVICES: &[(&str, u16)] = &[
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("http", 80),
    ("pop3", 110),
    ("imap", 143),
    ("imap2", 143),
    ("ldap", 389),
    ("https", 443),
    ("submission", 587),
    ("ldaps", 636),
    ("imaps", 993),
    ("pop3s", 995),
    ("socks", 1080),
    ("postgresql", 5432),
    ("http-alt", 8080),
];

fn tcp_listen(bind: Option<String>, port: &str) -> Option<Listen> {
    Some(Listen::Tcp {
        bind,
        port: parse_port(port)?,
    })
}

fn tcp_connect(host: String, port: &str) -> Option<Connect> {
    match parse_port(port)? {
        0 => None,
        port => Some(Connect::Tcp { host, port }),
    }
}

/// ssh's `parse_forward`: `dynamic` wants one or two fields and no destination; `remote`
/// allows listen port 0.
fn parse_forward(spec: &str, dynamic: bool, remote: bool) -> Option<Raw> {
    let mut rest = spec.trim_start();
    let mut fields = Vec::with_capacity(MAX_FIELDS);
    while fields.len() < MAX_FIELDS {
        match next_field(&mut rest).ok()? {
            Some(f) => fields.push(f),
            None => break,
        }
    }
    if !rest.is_empty() {
        return None;
    }
    let raw = match fields.as_mut_slice() {
        [a] if a.is_path => Raw {
            listen: Listen::Unix(std::mem::take(&mut a.text)),
            connect: None,
        },
        [a] => Raw {
            listen: tcp_listen(None, &a.text)?,
            connect: None,
        },
        [a, b] if a.is_path && b.is_path => Raw {
            listen: Listen::Unix(std::mem::take(&mut a.text)),
            connect: Some(Connect::Unix(std::mem::take(&mut b.text))),
        },
        [a, b] if b.is_path => Raw {
            listen: tcp_listen(None, &a.text)?,
            connect: Some(Connect::Unix(std::mem::take(&mut b.text))),
        },
        [a, b] => Raw {
            listen: tcp_listen(Some(std::mem::take(&mut a.text)), &b.text)?,
            connect: None,
        },
        [a, b, c] if a.is_path => Raw {
            listen: Listen::Unix(std::mem::take(&mut a.text)),
            connect: Some(tcp_connect(std::mem::take(&mut b.text), &c.text)?),
        },
        [a, b, c] if c.is_path => Raw {
            listen: tcp_listen(Some(std::mem::take(&mut a.text)), &b.text)?,
            connect: Some(Connect::Unix(std::mem::take(&mut c.text))),
        },
        [a, b, c] => Raw {
            listen: tcp_listen(None, &a.text)?,
            connect: Some(tcp_connect(std::mem::take(&mut b.text), &c.text)?),
        },
        [a, b, c, d] => Raw {
            listen: tcp_listen(Some(std::mem::take(&mut a.text)), &b.text)?,
            connect: Some(tcp_connect(std::mem::take(&mut c.text), &d.text)?),
        },
        _ => return None,
    };
    check(raw, dynamic, remote, fields.len())
}

/// The checks ssh applies once the fields are assigned.
fn check(raw: Raw, dynamic: bool, remote: bool, nfields: usize) -> Option<Raw> {
    if dynamic {
        // One or two fields, and the two-field form must be bind:port (not paths).
        if raw.connect.is_some() || nfields > 2 {
            return None;
        }
    } else if raw.connect.is_none() {
        return None;
    }
    match &raw.listen {
        Listen::Tcp { port: 0, .. } if !remote => return None,
        Listen::Tcp {
            bind: Some(host), ..
        } if host.len() > MAX_HOST_LEN => return None,
        Listen::Unix(path) if path.len() > MAX_PATH_LEN => return None,
        _ => {}
    }
    match &raw.connect {
        Some(Connect::Tcp { host, .. }) if host.len() > MAX_HOST_LEN => None,
        Some(Connect::Unix(path)) if path.len() > MAX_PATH_LEN => None,
        _ => Some(raw),
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
