//! Server-side forwarding policy as sshd applies it: sshd_config's AllowTcpForwarding,
//! AllowStreamLocalForwarding, DisableForwarding, PermitOpen and PermitListen combined with
//! the key's authorized_keys options, the stricter winning.

use burrow_keyfiles::KeyOptions;
use burrow_keyfiles::match_pattern;

use crate::bind::{GatewayPorts, ServerBind, server_bind_addr};
use crate::error::ForwardError;
use crate::spec::parse_port;

/// Most entries on one PermitOpen or PermitListen line.
pub const MAX_PERMIT_ENTRIES: usize = 4096;

/// An AllowTcpForwarding / AllowStreamLocalForwarding value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllowForwarding {
    /// `yes` or `all`: both directions (sshd's default).
    #[default]
    Yes,
    /// `no`.
    No,
    /// `local`: only `-L` (direct channels).
    Local,
    /// `remote`: only `-R` (listeners on the server).
    Remote,
}

impl AllowForwarding {
    /// Parses an sshd_config value, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "yes" | "all" => Some(Self::Yes),
            "no" => Some(Self::No),
            "local" => Some(Self::Local),
            "remote" => Some(Self::Remote),
            _ => None,
        }
    }

    fn allows(self, direction: Direction) -> bool {
        matches!(
            (self, direction),
            (Self::Yes, _) | (Self::Local, Direction::Local) | (Self::Remote, Direction::Remote)
        )
    }
}

/// Which way a forward goes, from the client's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `-L`: the server connects out (direct-tcpip, direct-streamlocal).
    Local,
    /// `-R`: the server listens (tcpip-forward, streamlocal-forward).
    Remote,
}

/// One PermitOpen / PermitListen entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitEntry {
    /// Host (`*` for any host; for PermitListen a wildcard pattern).
    pub host: String,
    /// Port; `None` for `*`.
    pub port: Option<u16>,
}

/// A PermitOpen or PermitListen setting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PermitList {
    /// `any` (sshd's default): no restriction.
    #[default]
    Any,
    /// `none`: nothing is permitted.
    None,
    /// Only these.
    Entries(Vec<PermitEntry>),
}

fn bad_permit(keyword: &'static str, value: &str, reason: &'static str) -> ForwardError {
    ForwardError::BadPolicy {
        keyword,
        value: value.chars().take(256).collect(),
        reason,
    }
}

/// sshd's `hpdelim` + `cleanhostname`: `[v6]:port` or `host:port`.
fn split_host_port<'a>(
    keyword: &'static str,
    word: &'a str,
) -> Result<(&'a str, &'a str), ForwardError> {
    if let Some(inner) = word.strip_prefix('[') {
        let (host, rest) = inner
            .split_once(']')
            .ok_or_else(|| bad_permit(keyword, word, "missing ]"))?;
        let port = rest
            .strip_prefix(':')
            .ok_or_else(|| bad_permit(keyword, word, "missing port"))?;
        return Ok((host, port));
    }
    word.split_once(':')
        .ok_or_else(|| bad_permit(keyword, word, "missing host"))
}

fn permit_port(keyword: &'static str, word: &str, port: &str) -> Result<Option<u16>, ForwardError> {
    match port {
        "*" => Ok(None),
        p => match parse_port(p) {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(bad_permit(keyword, word, "bad port number")),
        },
    }
}

impl PermitList {
    /// Parses the words of a `PermitOpen` line: `any`, `none`, or `host:port` entries
    /// (`[v6]:port`, `*` for any host or port).
    pub fn parse_permit_open(words: &[&str]) -> Result<Self, ForwardError> {
        Self::parse("PermitOpen", words, false)
    }

    /// Parses the words of a client's `PermitRemoteOpen` line (the targets a reverse dynamic
    /// forward may connect to): the syntax of `PermitOpen`.
    pub fn parse_permit_remote_open(words: &[&str]) -> Result<Self, ForwardError> {
        Self::parse("PermitRemoteOpen", words, false)
    }

    /// Parses the words of a `PermitListen` line: `any`, `none`, or `[host:]port` entries
    /// (host a wildcard pattern, `*` for any port).
    pub fn parse_permit_listen(words: &[&str]) -> Result<Self, ForwardError> {
        Self::parse("PermitListen", words, true)
    }

    fn parse(keyword: &'static str, words: &[&str], listen: bool) -> Result<Self, ForwardError> {
        match words {
            [] => return Err(bad_permit(keyword, "", "missing argument")),
            ["any"] => return Ok(Self::Any),
            ["none"] => return Ok(Self::None),
            _ if words.len() > MAX_PERMIT_ENTRIES => {
                return Err(bad_permit(keyword, "", "too many entries"));
            }
            _ => {}
        }
        let mut entries = Vec::with_capacity(words.len());
        for &word in words {
            if word == "any" || word == "none" {
                return Err(bad_permit(keyword, word, "must appear alone"));
            }
            let (host, port) = if listen && !word.contains(':') {
                ("*", word)
            } else {
                split_host_port(keyword, word)?
            };
            entries.push(PermitEntry {
                host: host.to_owned(),
                port: permit_port(keyword, word, port)?,
            });
        }
        Ok(Self::Entries(entries))
    }

    /// PermitOpen matching: exact host (or `*`), port or `*`.
    pub fn allows_open(&self, host: &str, port: u16) -> bool {
        self.any_entry(|e| e.port.is_none_or(|p| p == port) && (e.host == "*" || e.host == host))
    }

    /// A unix socket path matches only an entry with port `*` and host `*` or the path.
    fn allows_open_path(&self, path: &str) -> bool {
        self.any_entry(|e| e.port.is_none() && (e.host == "*" || e.host == path))
    }

    /// PermitListen matching: the host as a case-insensitive wildcard pattern.
    fn allows_listen(&self, host: &str, port: u16) -> bool {
        self.any_entry(|e| e.port.is_none_or(|p| p == port) && match_pattern(&e.host, host))
    }

    fn any_entry(&self, f: impl Fn(&PermitEntry) -> bool) -> bool {
        match self {
            Self::Any => true,
            Self::None => false,
            Self::Entries(e) => e.iter().any(f),
        }
    }
}

/// One forwarding request from a client, as the policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardRequest<'a> {
    /// A direct-tcpip channel open.
    DirectTcpip {
        /// Host to connect to.
        host: &'a str,
        /// Port to connect to (as on the wire).
        port: u32,
    },
    /// A direct-streamlocal@openssh.com channel open.
    DirectStreamlocal {
        /// Socket path to connect to.
        path: &'a str,
    },
    /// A tcpip-forward global request.
    TcpipForward {
        /// Address to bind.
        host: &'a str,
        /// Port to bind (0: allocate).
        port: u32,
        /// Whether the client wants a reply (port 0 without one is refused, as sshd).
        want_reply: bool,
    },
    /// A streamlocal-forward@openssh.com global request.
    StreamlocalForward {
        /// Socket path to listen on.
        path: &'a str,
    },
}

impl std::fmt::Display for ForwardRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DirectTcpip { host, port } => write!(f, "connect to host {host} port {port}"),
            Self::DirectStreamlocal { path } => write!(f, "connect to path {path}"),
            Self::TcpipForward { host, port, .. } => {
                write!(f, "remote forward to host {host} port {port}")
            }
            Self::StreamlocalForward { path } => write!(f, "remote forward to path {path}"),
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// DisableForwarding yes.
    DisableForwarding,
    /// AllowTcpForwarding does not allow this direction.
    TcpForwardingDisabled(Direction),
    /// AllowStreamLocalForwarding does not allow this direction.
    StreamLocalForwardingDisabled(Direction),
    /// The key's options (`restrict`, `no-port-forwarding`) forbid forwarding.
    KeyNoPortForwarding,
    /// The key's `permitopen=` options do not list the target.
    KeyPermitOpen,
    /// PermitOpen does not list the target.
    ConfigPermitOpen,
    /// The key's `permitlisten=` options do not list the address.
    KeyPermitListen,
    /// PermitListen does not list the address.
    ConfigPermitListen,
    /// The port does not fit in 16 bits.
    BadPort,
    /// Port 0 asked for without want-reply: the client could never learn the port.
    AllocationWithoutReply,
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dir = |d: &Direction| match d {
            Direction::Local => "local",
            Direction::Remote => "remote",
        };
        match self {
            Self::DisableForwarding => f.write_str("DisableForwarding is set"),
            Self::TcpForwardingDisabled(d) => {
                write!(f, "AllowTcpForwarding does not allow {} forwarding", dir(d))
            }
            Self::StreamLocalForwardingDisabled(d) => write!(
                f,
                "AllowStreamLocalForwarding does not allow {} forwarding",
                dir(d)
            ),
            Self::KeyNoPortForwarding => f.write_str("key options forbid port forwarding"),
            Self::KeyPermitOpen => f.write_str("not in the key's permitopen list"),
            Self::ConfigPermitOpen => f.write_str("not in PermitOpen"),
            Self::KeyPermitListen => f.write_str("not in the key's permitlisten list"),
            Self::ConfigPermitListen => f.write_str("not in PermitListen"),
            Self::BadPort => f.write_str("port out of range"),
            Self::AllocationWithoutReply => f.write_str("port 0 requested without want-reply"),
        }
    }
}

/// The verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refuse, for this reason.
    Deny(Denial),
}

/// The log line for a refused request: user, key fingerprint, what was asked and why.
pub fn denial_log_line(
    user: &str,
    key_fingerprint: &str,
    request: &ForwardRequest<'_>,
    denial: Denial,
) -> String {
    format!("refused {request} for user {user} key {key_fingerprint}: {denial}")
}

/// The server's forwarding settings (sshd_config keywords, sshd's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ForwardPolicy {
    /// AllowTcpForwarding.
    pub allow_tcp: AllowForwarding,
    /// AllowStreamLocalForwarding.
    pub allow_streamlocal: AllowForwarding,
    /// DisableForwarding.
    pub disable_forwarding: bool,
    /// GatewayPorts.
    pub gateway_ports: GatewayPorts,
    /// PermitOpen.
    pub permit_open: PermitList,
    /// PermitListen.
    pub permit_listen: PermitList,
    /// StreamLocalBindUnlink: remove a stale socket file before binding.
    pub stream_local_bind_unlink: bool,
}

fn deny_unless(ok: bool, denial: Denial) -> Result<(), Denial> {
    if ok { Ok(()) } else { Err(denial) }
}

impl ForwardPolicy {
    /// Decides one request for a user authenticated with a key whose authorized_keys
    /// options are `key` (`KeyOptions::unrestricted()` for other methods).
    pub fn check(&self, key: &KeyOptions, request: &ForwardRequest<'_>) -> Decision {
        match self.check_inner(key, request) {
            Ok(()) => Decision::Allow,
            Err(d) => Decision::Deny(d),
        }
    }

    fn check_inner(&self, key: &KeyOptions, request: &ForwardRequest<'_>) -> Result<(), Denial> {
        deny_unless(!self.disable_forwarding, Denial::DisableForwarding)?;
        let (direction, tcp) = match request {
            ForwardRequest::DirectTcpip { .. } => (Direction::Local, true),
            ForwardRequest::DirectStreamlocal { .. } => (Direction::Local, false),
            ForwardRequest::TcpipForward { .. } => (Direction::Remote, true),
            ForwardRequest::StreamlocalForward { .. } => (Direction::Remote, false),
        };
        if tcp {
            deny_unless(
                self.allow_tcp.allows(direction),
                Denial::TcpForwardingDisabled(direction),
            )?;
        } else {
            deny_unless(
                self.allow_streamlocal.allows(direction),
                Denial::StreamLocalForwardingDisabled(direction),
            )?;
        }
        deny_unless(key.port_forwarding, Denial::KeyNoPortForwarding)?;
        match *request {
            ForwardRequest::DirectTcpip { host, port } => {
                let port = u16::try_from(port).map_err(|_| Denial::BadPort)?;
                deny_unless(key.allows_open(host, port), Denial::KeyPermitOpen)?;
                deny_unless(
                    self.permit_open.allows_open(host, port),
                    Denial::ConfigPermitOpen,
                )
            }
            ForwardRequest::DirectStreamlocal { path } => {
                let key_ok = key.permit_open.is_empty()
                    || key
                        .permit_open
                        .iter()
                        .any(|p| p.port.is_none() && (p.host == "*" || p.host == path));
                deny_unless(key_ok, Denial::KeyPermitOpen)?;
                deny_unless(
                    self.permit_open.allows_open_path(path),
                    Denial::ConfigPermitOpen,
                )
            }
            ForwardRequest::TcpipForward {
                host,
                port,
                want_reply,
            } => {
                let port = u16::try_from(port).map_err(|_| Denial::BadPort)?;
                deny_unless(port != 0 || want_reply, Denial::AllocationWithoutReply)?;
                let host = host.to_ascii_lowercase();
                deny_unless(key.allows_listen(&host, port), Denial::KeyPermitListen)?;
                deny_unless(
                    self.permit_listen.allows_listen(&host, port),
                    Denial::ConfigPermitListen,
                )
            }
            // sshd has no listen ACLs for unix sockets (channels.c remote_open_match).
            ForwardRequest::StreamlocalForward { .. } => Ok(()),
        }
    }

    /// Where to bind a tcpip-forward listener for the requested address (GatewayPorts).
    pub fn bind_for(&self, requested_host: &str) -> ServerBind {
        server_bind_addr(requested_host, self.gateway_ports)
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
