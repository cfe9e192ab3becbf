//! SSH_MSG_USERAUTH_REQUEST with its method bodies (RFC 4252 §5, §7, §8; RFC 4256 §3.1) and
//! the data a publickey signature covers.

use std::borrow::Cow;

use bytes::BytesMut;

use crate::message::wire_message;
use crate::{DecodeError, Reader, Writer, msg};

/// Method name of [`AuthMethod::None`].
pub const NONE: &str = "none";
/// Method name of [`AuthMethod::Password`].
pub const PASSWORD: &str = "password";
/// Method name of [`AuthMethod::Publickey`].
pub const PUBLICKEY: &str = "publickey";
/// Method name of [`AuthMethod::KeyboardInteractive`].
pub const KEYBOARD_INTERACTIVE: &str = "keyboard-interactive";

wire_message! {
    /// SSH_MSG_USERAUTH_REQUEST (RFC 4252 §5).
    pub struct UserauthRequest<'a> = USERAUTH_REQUEST {
        /// The user to authenticate as.
        user_name: Cow<'a, str>,
        /// The service to start afterwards, `ssh-connection`.
        service_name: Cow<'a, str>,
        @method_name {}
        /// The method name and its method-specific fields.
        method: AuthMethod<'a>,
    }
}

/// The method of a USERAUTH_REQUEST with its method-specific fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod<'a> {
    /// `none` (RFC 4252 §5.2): asks which methods may continue.
    None,
    /// `password` (RFC 4252 §8); the wire boolean "change" is `new_password.is_some()`.
    Password {
        /// The (old) password.
        password: Cow<'a, str>,
        /// The new password, when changing it after a PASSWD_CHANGEREQ.
        new_password: Option<Cow<'a, str>>,
    },
    /// `publickey` (RFC 4252 §7); the wire boolean "has signature" is `signature.is_some()`.
    Publickey {
        /// Public key algorithm name, e.g. `ssh-ed25519`.
        algorithm: Cow<'a, str>,
        /// Public key blob.
        public_key: Cow<'a, [u8]>,
        /// Signature blob over [`publickey_signed_data`]; absent in a query.
        signature: Option<Cow<'a, [u8]>>,
    },
    /// `keyboard-interactive` (RFC 4256 §3.1).
    KeyboardInteractive {
        /// Deprecated language tag, usually empty.
        language_tag: Cow<'a, str>,
        /// Submethod hints, usually empty.
        submethods: Cow<'a, str>,
    },
    /// Any other method (hostbased, gssapi...), data kept raw. Never holds one of the names
    /// above.
    Unknown {
        /// The method name.
        method_name: Cow<'a, str>,
        /// Everything after the method name.
        data: Cow<'a, [u8]>,
    },
}

impl AuthMethod<'_> {
    /// The method name on the wire.
    pub fn name(&self) -> &str {
        match self {
            Self::None => NONE,
            Self::Password { .. } => PASSWORD,
            Self::Publickey { .. } => PUBLICKEY,
            Self::KeyboardInteractive { .. } => KEYBOARD_INTERACTIVE,
            Self::Unknown { method_name, .. } => method_name,
        }
    }
}

impl<'a> AuthMethod<'a> {
    /// Reads the fields that follow the method name `name`, up to the end of the payload.
    pub(crate) fn read_body(name: Cow<'a, str>, r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Ok(match name.as_ref() {
            NONE => AuthMethod::None,
            PASSWORD => {
                let change = r.boolean("password.change")?;
                let password = r.utf8("password.password")?;
                let new_password = if change {
                    Some(r.utf8("password.new_password")?)
                } else {
                    None
                };
                AuthMethod::Password {
                    password,
                    new_password,
                }
            }
            PUBLICKEY => {
                let has_signature = r.boolean("publickey.has_signature")?;
                let algorithm = r.utf8("publickey.algorithm")?;
                let public_key = r.bytes("publickey.public_key")?;
                let signature = if has_signature {
                    Some(r.bytes("publickey.signature")?)
                } else {
                    None
                };
                AuthMethod::Publickey {
                    algorithm,
                    public_key,
                    signature,
                }
            }
            KEYBOARD_INTERACTIVE => AuthMethod::KeyboardInteractive {
                language_tag: r.utf8("keyboard-interactive.language_tag")?,
                submethods: r.utf8("keyboard-interactive.submethods")?,
            },
            _ => AuthMethod::Unknown {
                method_name: name,
                data: Cow::Borrowed(r.rest()),
            },
        })
    }

    /// Writes the fields that follow the method name.
    pub(crate) fn write_body(&self, w: &mut Writer<'_>) {
        match self {
            AuthMethod::None => {}
            AuthMethod::Password {
                password,
                new_password,
            } => {
                w.boolean(new_password.is_some()).utf8(password);
                if let Some(new_password) = new_password {
                    w.utf8(new_password);
                }
            }
            AuthMethod::Publickey {
                algorithm,
                public_key,
                signature,
            } => {
                w.boolean(signature.is_some())
                    .utf8(algorithm)
                    .string(public_key);
                if let Some(signature) = signature {
                    w.string(signature);
                }
            }
            AuthMethod::KeyboardInteractive {
                language_tag,
                submethods,
            } => {
                w.utf8(language_tag).utf8(submethods);
            }
            AuthMethod::Unknown { data, .. } => {
                w.raw(data);
            }
        }
    }
}

impl UserauthRequest<'_> {
    /// For a publickey request, the data its signature must cover (see
    /// [`publickey_signed_data`]); `None` for other methods.
    pub fn signed_data(&self, session_id: &[u8]) -> Option<BytesMut> {
        match &self.method {
            AuthMethod::Publickey {
                algorithm,
                public_key,
                ..
            } => Some(publickey_signed_data(
                session_id,
                &self.user_name,
                &self.service_name,
                algorithm,
                public_key,
            )),
            _ => None,
        }
    }
}

/// The data a publickey signature covers (RFC 4252 §7): string session id, byte 50, string
/// user name, string service name, string "publickey", boolean TRUE, string algorithm, string
/// public key blob.
pub fn publickey_signed_data(
    session_id: &[u8],
    user_name: &str,
    service_name: &str,
    algorithm: &str,
    public_key: &[u8],
) -> BytesMut {
    let mut buf = BytesMut::new();
    Writer::new(&mut buf)
        .string(session_id)
        .byte(msg::USERAUTH_REQUEST)
        .utf8(user_name)
        .utf8(service_name)
        .utf8(PUBLICKEY)
        .boolean(true)
        .utf8(algorithm)
        .string(public_key);
    buf
}
