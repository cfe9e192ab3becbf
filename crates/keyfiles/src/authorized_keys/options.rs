//! authorized_keys options (`restrict,permitopen="host:port",from="..."`, sshd(8)
//! AUTHORIZED_KEYS FILE FORMAT): the parser and the permissions they grant.

use super::expiry::{ExpiryTime, parse_expiry_time};
use super::from::{from_allows, validate_from};
use crate::KeyError;
use crate::pattern::match_pattern;
use burrow_keys::input_name;

/// Most `permitopen=` (and, separately, `permitlisten=`) options on one line, as OpenSSH.
pub const MAX_PERMITS: usize = 4096;
/// Most other options kept on one line.
pub const MAX_OTHER_OPTIONS: usize = 1024;
/// Longest host name in a permission (NI_MAXHOST - 1).
const MAX_HOST_LEN: usize = 1024;

/// One `permitopen="host:port"`: where a `-L`/direct-tcpip channel may connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitOpen {
    /// The host, compared exactly as OpenSSH does; `*` allows any host.
    pub host: String,
    /// The port; `None` for `*` (any port).
    pub port: Option<u16>,
}

impl PermitOpen {
    /// True when a connection to `host`:`port` is allowed by this entry.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        self.port.is_none_or(|p| p == port) && (self.host == "*" || self.host == host)
    }
}

/// One `permitlisten="[host:]port"`: where a `-R`/tcpip-forward listener may be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitListen {
    /// A wildcard pattern for the listen address (`*` when only a port was given).
    pub host: String,
    /// The port; `None` for `*` (any port).
    pub port: Option<u16>,
}

impl PermitListen {
    /// True when listening on `host`:`port` is allowed by this entry (the host matched
    /// as a case-insensitive wildcard pattern, as OpenSSH).
    pub fn allows(&self, host: &str, port: u16) -> bool {
        self.port.is_none_or(|p| p == port) && match_pattern(&self.host, host)
    }
}

/// An option burrow parses but does not enforce (it is forwarding-only): kept so the caller
/// can log it. Flags have no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherOption {
    /// The option name, lower case (`command`, `no-pty`, `environment`, ...).
    pub name: String,
    /// The unquoted value, for options that take one.
    pub value: Option<String>,
}

/// The options of one authorized_keys line, as forwarding permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOptions {
    /// TCP forwarding allowed at all: false after `restrict` or `no-port-forwarding`,
    /// unless a later `port-forwarding` turns it back on.
    pub port_forwarding: bool,
    /// `permitopen=` entries; empty means any destination (when `port_forwarding`).
    pub permit_open: Vec<PermitOpen>,
    /// `permitlisten=` entries; empty means any listen address (when `port_forwarding`).
    pub permit_listen: Vec<PermitListen>,
    /// The `from=` pattern list, if any.
    pub from: Option<String>,
    /// `expiry-time=` (the earliest, if repeated).
    pub expiry_time: Option<ExpiryTime>,
    /// `restrict` was given.
    pub restrict: bool,
    /// `cert-authority`: the line is for certificates and never matches a plain key.
    pub cert_authority: bool,
    /// Options parsed but not enforced by burrow, in file order.
    pub other: Vec<OtherOption>,
}

impl Default for KeyOptions {
    fn default() -> Self {
        Self::unrestricted()
    }
}

impl KeyOptions {
    /// The permissions of a line without options.
    pub fn unrestricted() -> Self {
        Self {
            port_forwarding: true,
            permit_open: Vec::new(),
            permit_listen: Vec::new(),
            from: None,
            expiry_time: None,
            restrict: false,
            cert_authority: false,
            other: Vec::new(),
        }
    }

    /// True when a direct-tcpip channel to `host`:`port` is allowed.
    pub fn allows_open(&self, host: &str, port: u16) -> bool {
        self.port_forwarding
            && (self.permit_open.is_empty()
                || self.permit_open.iter().any(|p| p.allows(host, port)))
    }

    /// True when a tcpip-forward listener on `host`:`port` is allowed.
    pub fn allows_listen(&self, host: &str, port: u16) -> bool {
        self.port_forwarding
            && (self.permit_listen.is_empty()
                || self.permit_listen.iter().any(|p| p.allows(host, port)))
    }

    /// True when `from=` is absent or allows a client at `client`.
    pub fn from_allows(&self, client: core::net::IpAddr) -> bool {
        self.from
            .as_deref()
            .is_none_or(|list| from_allows(list, client))
    }

    /// True when `expiry-time=` is set and has passed at `now_unix`, local time being
    /// `utc_offset` seconds ahead of UTC.
    pub fn is_expired(&self, now_unix: u64, utc_offset: i32) -> bool {
        self.expiry_time
            .is_some_and(|t| t.has_passed(now_unix, utc_offset))
    }
}

fn bad(name: &str, reason: &'static str) -> KeyError {
    KeyError::BadOption {
        name: input_name(name.as_bytes()),
        reason,
    }
}

/// Parses the options at the start of `s` up to the first unquoted space or tab, and
/// returns them with the rest of the line (the key). Option names are case-insensitive.
pub(crate) fn parse_options(s: &str) -> Result<(KeyOptions, &str), KeyError> {
    let mut opts = KeyOptions::unrestricted();
    let mut rest = s;
    loop {
        let end = rest.find(['=', ',', ' ', '\t']).unwrap_or(rest.len());
        let (name, after) = rest.split_at(end);
        let (value, after) = match after.strip_prefix('=') {
            Some(quoted) => {
                let (v, a) = dequote(quoted).map_err(|reason| bad(name, reason))?;
                (Some(v), a)
            }
            None => (None, after),
        };
        apply(&mut opts, name, value)?;
        rest = after;
        if rest.is_empty() || rest.starts_with([' ', '\t']) {
            return Ok((opts, rest.trim_start_matches([' ', '\t'])));
        }
        rest = rest
            .strip_prefix(',')
            .ok_or_else(|| bad(name, "followed by something other than ',' or a space"))?;
        if rest.is_empty() || rest.starts_with([' ', '\t']) {
            return Err(bad(name, "followed by ',' and nothing else"));
        }
    }
}

/// Reads a double-quoted value in which only `\"` is an escape (OpenSSH `opt_dequote`).
fn dequote(s: &str) -> Result<(String, &str), &'static str> {
    let body = s.strip_prefix('"').ok_or("value must start with '\"'")?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, body.get(i + 1..).unwrap_or(""))),
            '\\' if body.get(i + 1..).is_some_and(|r| r.starts_with('"')) => {
                out.push('"');
                chars.next();
            }
            c => out.push(c),
        }
    }
    Err("missing closing '\"'")
}

const OTHER_FLAGS: &[&str] = &[
    "agent-forwarding",
    "no-agent-forwarding",
    "x11-forwarding",
    "no-x11-forwarding",
    "pty",
    "no-pty",
    "user-rc",
    "no-user-rc",
    "touch-required",
    "no-touch-required",
    "verify-required",
    "no-verify-required",
];

fn apply(opts: &mut KeyOptions, name: &str, value: Option<String>) -> Result<(), KeyError> {
    let lower = name.to_ascii_lowercase();
    let flag = |value: &Option<String>| match value {
        Some(_) => Err(bad(name, "takes no value")),
        None => Ok(()),
    };
    match lower.as_str() {
        "restrict" => {
            flag(&value)?;
            opts.restrict = true;
            opts.port_forwarding = false;
            Ok(())
        }
        "port-forwarding" | "no-port-forwarding" => {
            flag(&value)?;
            opts.port_forwarding = lower == "port-forwarding";
            Ok(())
        }
        "cert-authority" => {
            flag(&value)?;
            opts.cert_authority = true;
            Ok(())
        }
        f if OTHER_FLAGS.contains(&f) => {
            flag(&value)?;
            push_other(opts, lower, None)
        }
        "from" => {
            let v = value.ok_or_else(|| bad(name, "needs a quoted value"))?;
            if opts.from.is_some() {
                return Err(bad(name, "given more than once"));
            }
            validate_from(&v).map_err(|_| bad(name, "holds an invalid address or CIDR block"))?;
            opts.from = Some(v);
            Ok(())
        }
        "expiry-time" => {
            let v = value.ok_or_else(|| bad(name, "needs a quoted value"))?;
            let t = parse_expiry_time(&v)
                .ok_or_else(|| bad(name, "is not YYYYMMDD[HHMM[SS]] after 1970"))?;
            opts.expiry_time = Some(opts.expiry_time.map_or(t, |old| old.min(t)));
            Ok(())
        }
        "permitopen" | "permitlisten" => {
            let v = value.ok_or_else(|| bad(name, "needs a quoted value"))?;
            let listen = lower == "permitlisten";
            let count = if listen {
                opts.permit_listen.len()
            } else {
                opts.permit_open.len()
            };
            if count >= MAX_PERMITS {
                return Err(bad(name, "given more than 4096 times"));
            }
            let (host, port) = parse_permit(&v, listen).map_err(|reason| bad(name, reason))?;
            if listen {
                opts.permit_listen.push(PermitListen { host, port });
            } else {
                opts.permit_open.push(PermitOpen { host, port });
            }
            Ok(())
        }
        "command" | "principals" | "environment" | "tunnel" => {
            let v = value.ok_or_else(|| bad(name, "needs a quoted value"))?;
            if lower != "environment" && opts.other.iter().any(|o| o.name == lower) {
                return Err(bad(name, "given more than once"));
            }
            check_value(&lower, &v).map_err(|reason| bad(name, reason))?;
            push_other(opts, lower, Some(v))
        }
        _ => Err(bad(name, "unknown option")),
    }
}

fn push_other(opts: &mut KeyOptions, name: String, value: Option<String>) -> Result<(), KeyError> {
    if opts.other.len() >= MAX_OTHER_OPTIONS {
        return Err(bad(&name, "too many options on one line"));
    }
    opts.other.push(OtherOption { name, value });
    Ok(())
}

fn check_value(name: &str, v: &str) -> Result<(), &'static str> {
    match name {
        "environment" => match v.split_once('=') {
            Some((var, _))
                if !var.is_empty()
                    && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                Ok(())
            }
            _ => Err("is not NAME=value"),
        },
        "tunnel" if v.eq_ignore_ascii_case("any") => Ok(()),
        "tunnel" if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && v.len() <= 10 => {
            Ok(())
        }
        "tunnel" => Err("is not a tun device number or \"any\""),
        _ => Ok(()),
    }
}

/// Splits `host:port` / `[v6]:port` (and, for permitlisten, a bare `port`). The port is a
/// number 1..=65535 or `*`.
fn parse_permit(v: &str, listen: bool) -> Result<(String, Option<u16>), &'static str> {
    let (host, port) = if let Some(bracketed) = v.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or("missing ']' after IPv6 address")?;
        (host, after.strip_prefix(':').ok_or("missing ':port'")?)
    } else if let Some((host, port)) = v.split_once(':') {
        (host, port)
    } else if listen {
        ("*", v)
    } else {
        return Err("is not host:port");
    };
    if host.is_empty() || host.len() > MAX_HOST_LEN {
        return Err("has an empty or over-long host");
    }
    let port = match port {
        "*" => None,
        p if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err("has a port outside 1..=65535"),
            }
        }
        _ => return Err("has a port that is neither a number nor '*'"),
    };
    Ok((host.to_owned(), port))
}
