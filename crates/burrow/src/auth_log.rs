//! sshd's authentication log lines ("Accepted publickey for ...", "Failed password for ..."),
//! written when sshd writes them (after the method's outcome is known, a signature checked),
//! with the names the peer chose escaped.

use std::fmt::Write as _;
use std::net::SocketAddr;

use burrow_keys::{Certificate, PublicKey, SigAlg};
use burrow_wire::userauth::{AuthMethod, UserauthRequest};

/// Most characters of peer-chosen text a log line shows.
const MAX_SHOWN: usize = 256;

/// `text` safe for a log line: control characters (newlines above all, which would forge
/// lines) and backslashes escaped, cut at 256 characters.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_SHOWN));
    for (i, c) in text.chars().enumerate() {
        if i == MAX_SHOWN {
            out.push_str("...");
            break;
        }
        if c.is_control() || c == '\\' {
            let _infallible = write!(out, "{}", c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// One USERAUTH_REQUEST as the log shows it.
pub(crate) struct Attempt {
    user: String,
    method: String,
    /// ` ED25519 SHA256:...` (the key's type) for a public key.
    key: Option<String>,
    signed: bool,
}

impl Attempt {
    /// The request in `payload`, or `None` for another message.
    pub(crate) fn parse(payload: &[u8]) -> Option<Self> {
        let req = UserauthRequest::decode(payload).ok()?;
        let (key, signed) = match &req.method {
            AuthMethod::Publickey {
                algorithm,
                public_key,
                signature,
            } => {
                let shown = if let Ok(k) = PublicKey::from_blob(public_key) {
                    format!("{} {}", k.type_label(), k.fingerprint())
                } else if let Ok(c) = Certificate::from_blob(public_key, &SigAlg::ALL) {
                    format!(
                        "{} {} ID {} (serial {}) CA {} {}",
                        c.type_label(),
                        c.key.fingerprint(),
                        printable(&c.key_id),
                        c.serial,
                        c.signature_key.type_label(),
                        c.signature_key.fingerprint()
                    )
                } else {
                    printable(algorithm)
                };
                (Some(shown), signature.is_some())
            }
            _ => (None, false),
        };
        Some(Self {
            user: printable(&req.user_name),
            method: printable(req.method.name()),
            key,
            signed,
        })
    }

    /// Logs the outcome as sshd does: `Accepted` and the failures of real attempts (signed
    /// keys, passwords) at info; queries (`Postponed` when the key would do) and `none` at
    /// debug, sshd's VERBOSE. `granted`: the handler accepted the key or password.
    /// `multi`: AuthenticationMethods chains, where a verified key can be a partial success.
    pub(crate) fn log(&self, peer: SocketAddr, authenticated: bool, granted: bool, multi: bool) {
        let (user, method) = (&self.user, &self.method);
        let (ip, port) = (peer.ip(), peer.port());
        let key = self
            .key
            .as_deref()
            .map(|k| format!(": {k}"))
            .unwrap_or_default();
        let line = |outcome: &str| {
            format!("{outcome} {method} for {user} from {ip} port {port} ssh2{key}")
        };
        if authenticated {
            tracing::info!("{}", line("Accepted"));
        } else if self.key.is_some() && !self.signed {
            tracing::debug!("{}", line(if granted { "Postponed" } else { "Failed" }));
        } else if granted && multi {
            tracing::info!("{}", line("Partial"));
        } else if method == "none" {
            tracing::debug!("{}", line("Failed"));
        } else {
            tracing::info!("{}", line("Failed"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_backslashes_are_escaped_and_long_text_cut() {
        assert_eq!(printable("alice"), "alice");
        assert_eq!(
            printable("x\nAccepted publickey for root"),
            "x\\nAccepted publickey for root"
        );
        assert_eq!(printable("a\\n\r\u{1b}[31m"), "a\\\\n\\r\\u{1b}[31m");
        assert_eq!(printable("é"), "é");
        let long = "u".repeat(1000);
        assert_eq!(printable(&long).len(), MAX_SHOWN + 3);
    }

    #[test]
    fn a_request_is_read_for_the_log() {
        let mut b = bytes::BytesMut::new();
        burrow_wire::Writer::new(&mut b)
            .byte(50)
            .utf8("bob\nroot")
            .utf8("ssh-connection")
            .utf8("publickey")
            .boolean(false)
            .utf8("ssh-ed25519")
            .string(
                &burrow_keys::KeyPair::from_ed25519_seed(&[1; 32])
                    .public_key()
                    .to_blob(),
            );
        let a = Attempt::parse(&b).unwrap();
        assert_eq!(a.user, "bob\\nroot");
        assert_eq!(a.method, "publickey");
        assert!(a.key.unwrap().starts_with("ED25519 SHA256:"));
        assert!(!a.signed);
        assert!(Attempt::parse(&[5, 0]).is_none());
    }
}
