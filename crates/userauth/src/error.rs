//! `UserauthError`: the one error type of burrow-userauth, saying what the peer (or the agent)
//! did, with the disconnect reason each error maps to.

use core::fmt;

use burrow_wire::{DecodeError, DisconnectReason};

/// Everything that ends or refuses user authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserauthError {
    /// The peer sent a userauth message that did not decode.
    Decode(DecodeError),
    /// The peer sent message `number`, which is not allowed while we are `state`.
    UnexpectedMessage {
        /// The message number received.
        number: u8,
        /// What we were waiting for.
        state: &'static str,
    },
    /// The server accepted a service we did not ask for.
    WrongServiceAccepted {
        /// The service name the server sent (peer text).
        service: String,
    },
    /// The client asked for a service other than `ssh-userauth`.
    ServiceNotAvailable {
        /// The service name the client sent (peer text).
        service: String,
    },
    /// The server sent PK_OK for a key or algorithm we did not offer.
    PkOkForOtherKey,
    /// Every method the server allows was tried and refused. Display is OpenSSH's
    /// `user@host: Permission denied (publickey,password).`
    PermissionDenied {
        /// The user we tried to log in as.
        user: String,
        /// The host name as the user gave it.
        host: String,
        /// The methods the server last said could continue (peer text).
        methods: Vec<String>,
    },
    /// The server demands a password change (SSH_MSG_USERAUTH_PASSWD_CHANGEREQ), which burrow
    /// does not do.
    PasswordChangeRequired {
        /// The server's prompt (peer text).
        prompt: String,
    },
    /// The client's authentication failures reached MaxAuthTries.
    TooManyAuthFailures {
        /// Failures counted.
        failures: u32,
        /// The configured maximum.
        max: u32,
    },
    /// The client sent more than 1024 USERAUTH_REQUESTs (OpenSSH's hard cap).
    TooManyAttempts {
        /// Requests received.
        attempts: u32,
    },
    /// The client did not authenticate within LoginGraceTime.
    LoginGraceTimeExpired {
        /// The configured grace time in seconds.
        seconds: u64,
    },
    /// The client changed the user name or service between requests.
    UserOrServiceChanged {
        /// The user and service of the first request (peer text).
        from: (String, String),
        /// The user and service of this request (peer text).
        to: (String, String),
    },
    /// The caller answered something that was not asked (`what` names the verb).
    NotWaitingFor {
        /// The verb that was called out of turn.
        what: &'static str,
    },
    /// The caller gave a different number of answers than there were prompts.
    WrongAnswerCount {
        /// Prompts asked.
        expected: usize,
        /// Answers given.
        given: usize,
    },
    /// The signature from the external signer (ssh-agent) does not verify under the key.
    ExternalSignatureInvalid,
}

impl UserauthError {
    /// The SSH_MSG_DISCONNECT reason to send for this error (exhaustive, no default arm).
    pub fn disconnect_reason(&self) -> DisconnectReason {
        match self {
            Self::Decode(_) => DisconnectReason::ProtocolError,
            Self::UnexpectedMessage { .. } => DisconnectReason::ProtocolError,
            Self::WrongServiceAccepted { .. } => DisconnectReason::ProtocolError,
            Self::ServiceNotAvailable { .. } => DisconnectReason::ServiceNotAvailable,
            Self::PkOkForOtherKey => DisconnectReason::ProtocolError,
            Self::PermissionDenied { .. } => DisconnectReason::NoMoreAuthMethodsAvailable,
            Self::PasswordChangeRequired { .. } => DisconnectReason::AuthCancelledByUser,
            // OpenSSH's auth_maxtries_exceeded() goes through ssh_packet_disconnect(), which
            // always sends SSH2_DISCONNECT_PROTOCOL_ERROR.
            Self::TooManyAuthFailures { .. } => DisconnectReason::ProtocolError,
            Self::TooManyAttempts { .. } => DisconnectReason::ProtocolError,
            Self::LoginGraceTimeExpired { .. } => DisconnectReason::ByApplication,
            Self::UserOrServiceChanged { .. } => DisconnectReason::ProtocolError,
            Self::NotWaitingFor { .. } => DisconnectReason::ByApplication,
            Self::WrongAnswerCount { .. } => DisconnectReason::ByApplication,
            Self::ExternalSignatureInvalid => DisconnectReason::ByApplication,
        }
    }
}

impl From<DecodeError> for UserauthError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

impl fmt::Display for UserauthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "peer sent a malformed userauth message: {e}"),
            Self::UnexpectedMessage { number, state } => {
                write!(f, "peer sent message {number} while {state}")
            }
            Self::WrongServiceAccepted { service } => {
                write!(
                    f,
                    "server accepted service {service:?}, we asked for ssh-userauth"
                )
            }
            Self::ServiceNotAvailable { service } => {
                write!(
                    f,
                    "client asked for service {service:?}, only ssh-userauth is offered"
                )
            }
            Self::PkOkForOtherKey => f.write_str("server sent PK_OK for a key we did not offer"),
            Self::PermissionDenied {
                user,
                host,
                methods,
            } => write!(
                f,
                "{user}@{host}: Permission denied ({}).",
                methods.join(",")
            ),
            Self::PasswordChangeRequired { prompt } => {
                write!(
                    f,
                    "server requires a password change ({prompt:?}); burrow cannot change passwords"
                )
            }
            Self::TooManyAuthFailures { failures, max } => write!(
                f,
                "too many authentication failures ({failures} failures, MaxAuthTries {max})"
            ),
            Self::TooManyAttempts { attempts } => {
                write!(f, "too many authentication requests ({attempts})")
            }
            Self::LoginGraceTimeExpired { seconds } => {
                write!(
                    f,
                    "timeout before authentication (login grace time {seconds} s)"
                )
            }
            Self::UserOrServiceChanged { from, to } => write!(
                f,
                "change of username or service not allowed: ({},{}) -> ({},{})",
                from.0, from.1, to.0, to.1
            ),
            Self::NotWaitingFor { what } => write!(f, "{what} called but nothing asked for it"),
            Self::WrongAnswerCount { expected, given } => {
                write!(f, "{given} answers given for {expected} prompts")
            }
            Self::ExternalSignatureInvalid => {
                f.write_str("the external signer's signature does not verify under its key")
            }
        }
    }
}

impl std::error::Error for UserauthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_denied_reads_like_openssh() {
        let e = UserauthError::PermissionDenied {
            user: "alice".into(),
            host: "example.org".into(),
            methods: vec!["publickey".into(), "password".into()],
        };
        assert_eq!(
            e.to_string(),
            "alice@example.org: Permission denied (publickey,password)."
        );
        assert_eq!(
            e.disconnect_reason(),
            DisconnectReason::NoMoreAuthMethodsAvailable
        );
    }

    #[test]
    fn too_many_failures_maps_to_protocol_error_like_openssh() {
        let e = UserauthError::TooManyAuthFailures {
            failures: 6,
            max: 6,
        };
        assert_eq!(e.disconnect_reason(), DisconnectReason::ProtocolError);
        assert_eq!(
            e.to_string(),
            "too many authentication failures (6 failures, MaxAuthTries 6)"
        );
    }
}
