//! The one error type of burrow-forward.

use crate::spec::Listen;

/// Which ssh option a bad specification was given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecKind {
    /// `-L`
    Local,
    /// `-R`
    Remote,
    /// `-D`
    Dynamic,
    /// `-W`
    Stdio,
}

impl SpecKind {
    fn word(self) -> &'static str {
        match self {
            SpecKind::Local => "local",
            SpecKind::Remote => "remote",
            SpecKind::Dynamic => "dynamic",
            SpecKind::Stdio => "stdio",
        }
    }
}

/// Errors of the forwarding layer: bad specifications, SOCKS clients that broke the
/// protocol, bad policy lines, and forwards that could not be set up.
#[derive(Debug)]
#[non_exhaustive]
pub enum ForwardError {
    /// A `-L`/`-R`/`-D`/`-W` argument ssh would refuse. Display is ssh's own message.
    BadSpec {
        /// The option.
        kind: SpecKind,
        /// The argument (truncated to 2048 characters).
        spec: String,
    },
    /// The SOCKS client sent a version byte other than 4 or 5.
    SocksVersion {
        /// The byte it sent.
        version: u8,
    },
    /// The SOCKS5 client offered no method we accept (we accept only "no authentication").
    SocksNoAcceptableMethod,
    /// The SOCKS client asked for a command other than CONNECT.
    SocksCommandNotSupported {
        /// The command byte.
        command: u8,
    },
    /// The SOCKS5 client used an address type other than 1, 3 or 4.
    SocksAddressTypeNotSupported {
        /// The ATYP byte.
        atyp: u8,
    },
    /// A SOCKS field was malformed (a non-zero reserved byte, an empty or non-UTF-8 name).
    SocksMalformed {
        /// Which field.
        field: &'static str,
    },
    /// A SOCKS4 user id or host name went past its limit without its NUL terminator.
    SocksFieldTooLong {
        /// Which field.
        field: &'static str,
        /// The limit in bytes.
        max: usize,
    },
    /// More input was fed after the SOCKS request was complete.
    SocksAlreadyComplete,
    /// A local listener could not be bound.
    Bind {
        /// The listen address or path as given.
        listen: Listen,
        /// The socket error.
        source: std::io::Error,
    },
    /// The server refused a remote forward (ssh: `remote port forwarding failed`).
    RemoteForwardRefused {
        /// The listen port or path as requested.
        listen: Listen,
    },
    /// The server answered a request with a malformed reply (a protocol error: the session
    /// is ended).
    MalformedReply {
        /// The request.
        request: &'static str,
        /// What is wrong with the reply.
        problem: String,
    },
    /// The SSH session failed or refused something (a channel open, a request).
    Session(burrow::Error),
    /// The SSH connection ended; every listener and forwarded socket was closed.
    SessionClosed(std::sync::Arc<burrow::Error>),
    /// A local socket failed.
    Io(std::io::Error),
    /// A PermitOpen / PermitListen / Allow* value sshd would refuse.
    BadPolicy {
        /// The keyword.
        keyword: &'static str,
        /// The offending word (truncated to 256 characters).
        value: String,
        /// Why.
        reason: &'static str,
    },
}

impl std::fmt::Display for ForwardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ForwardError::BadSpec { kind, spec } => {
                write!(f, "Bad {} forwarding specification '{spec}'", kind.word())
            }
            ForwardError::SocksVersion { version } => {
                write!(f, "socks client sent unknown version {version}")
            }
            ForwardError::SocksNoAcceptableMethod => {
                f.write_str("socks5 client offered no acceptable authentication method")
            }
            ForwardError::SocksCommandNotSupported { command } => {
                write!(f, "socks client asked for unsupported command {command}")
            }
            ForwardError::SocksAddressTypeNotSupported { atyp } => {
                write!(f, "socks5 client used unsupported address type {atyp}")
            }
            ForwardError::SocksMalformed { field } => {
                write!(f, "socks client sent a malformed {field}")
            }
            ForwardError::SocksFieldTooLong { field, max } => {
                write!(f, "socks client sent a {field} longer than {max} bytes")
            }
            ForwardError::SocksAlreadyComplete => {
                f.write_str("socks negotiation fed after its request was complete")
            }
            ForwardError::Bind { listen, source } => {
                write!(f, "cannot listen on {listen}: {source}")
            }
            ForwardError::RemoteForwardRefused {
                listen: Listen::Tcp { port, .. },
            } => write!(f, "remote port forwarding failed for listen port {port}"),
            ForwardError::RemoteForwardRefused {
                listen: Listen::Unix(path),
            } => write!(f, "remote port forwarding failed for listen path {path}"),
            ForwardError::MalformedReply { request, problem } => {
                write!(f, "protocol error: {request}: {problem}")
            }
            ForwardError::Session(e) => write!(f, "ssh: {e}"),
            ForwardError::SessionClosed(e) => write!(f, "ssh connection ended: {e}"),
            ForwardError::Io(e) => write!(f, "{e}"),
            ForwardError::BadPolicy {
                keyword,
                value,
                reason,
            } => write!(f, "{keyword} '{value}': {reason}"),
        }
    }
}

impl std::error::Error for ForwardError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ForwardError::Bind { source, .. } => Some(source),
            ForwardError::Session(e) => Some(e),
            ForwardError::SessionClosed(e) => Some(&**e),
            ForwardError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<burrow::Error> for ForwardError {
    fn from(e: burrow::Error) -> Self {
        ForwardError::Session(e)
    }
}

impl From<std::io::Error> for ForwardError {
    fn from(e: std::io::Error) -> Self {
        ForwardError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_remote_forward_reads_as_ssh_says_it() {
        let tcp = ForwardError::RemoteForwardRefused {
            listen: Listen::Tcp {
                bind: Some("localhost".to_owned()),
                port: 8080,
            },
        };
        assert_eq!(
            tcp.to_string(),
            "remote port forwarding failed for listen port 8080"
        );
        let unix = ForwardError::RemoteForwardRefused {
            listen: Listen::Unix("/tmp/s".to_owned()),
        };
        assert_eq!(
            unix.to_string(),
            "remote port forwarding failed for listen path /tmp/s"
        );
    }

    #[test]
    fn bind_error_names_the_listen_address_in_ssh_syntax() {
        let e = ForwardError::Bind {
            listen: Listen::Tcp {
                bind: Some("::1".to_owned()),
                port: 22,
            },
            source: std::io::ErrorKind::AddrInUse.into(),
        };
        assert!(
            e.to_string().starts_with("cannot listen on [::1]:22: "),
            "{e}"
        );
    }
}
