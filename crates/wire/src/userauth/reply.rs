//! The server's generic userauth replies (RFC 4252 §5.1, §5.4) and the method-specific 60s
//! of publickey and password (RFC 4252 §7, §8).

use std::borrow::Cow;

use crate::codec::{impl_to_bytes, open};
use crate::{DecodeError, NameList, Writer, msg};

/// SSH_MSG_USERAUTH_FAILURE (RFC 4252 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthFailure<'a> {
    /// Methods that may productively continue.
    pub authentications_that_can_continue: NameList<'a>,
    /// True when the request succeeded but more methods are required.
    pub partial_success: bool,
}

impl<'a> UserauthFailure<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::USERAUTH_FAILURE, "USERAUTH_FAILURE")?;
        let authentications_that_can_continue =
            r.name_list("USERAUTH_FAILURE.authentications_that_can_continue")?;
        let partial_success = r.boolean("USERAUTH_FAILURE.partial_success")?;
        r.finish("USERAUTH_FAILURE")?;
        Ok(Self {
            authentications_that_can_continue,
            partial_success,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_FAILURE)
            .name_list(&self.authentications_that_can_continue)
            .boolean(self.partial_success);
    }
}

/// SSH_MSG_USERAUTH_SUCCESS (RFC 4252 §5.1): no fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserauthSuccess;

impl UserauthSuccess {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        open(payload, msg::USERAUTH_SUCCESS, "USERAUTH_SUCCESS")?.finish("USERAUTH_SUCCESS")?;
        Ok(Self)
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_SUCCESS);
    }
}

/// SSH_MSG_USERAUTH_BANNER (RFC 4252 §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthBanner<'a> {
    /// The banner text as sent: RFC 4252 says UTF-8, but servers send Latin-1 and worse, so
    /// the bytes are kept for the caller to escape before display.
    pub message: Cow<'a, [u8]>,
    /// RFC 3066 language tag.
    pub language_tag: Cow<'a, str>,
}

impl<'a> UserauthBanner<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::USERAUTH_BANNER, "USERAUTH_BANNER")?;
        let message = r.bytes("USERAUTH_BANNER.message")?;
        let language_tag = r.utf8("USERAUTH_BANNER.language_tag")?;
        r.finish("USERAUTH_BANNER")?;
        Ok(Self {
            message,
            language_tag,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_BANNER)
            .string(&self.message)
            .utf8(&self.language_tag);
    }
}

/// SSH_MSG_USERAUTH_PK_OK (RFC 4252 §7): the server would accept a signature with this key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthPkOk<'a> {
    /// Public key algorithm name from the request.
    pub algorithm: Cow<'a, str>,
    /// Public key blob from the request.
    pub public_key: Cow<'a, [u8]>,
}

impl<'a> UserauthPkOk<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::USERAUTH_PK_OK, "USERAUTH_PK_OK")?;
        let algorithm = r.utf8("USERAUTH_PK_OK.algorithm")?;
        let public_key = r.bytes("USERAUTH_PK_OK.public_key")?;
        r.finish("USERAUTH_PK_OK")?;
        Ok(Self {
            algorithm,
            public_key,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_PK_OK)
            .utf8(&self.algorithm)
            .string(&self.public_key);
    }
}

/// SSH_MSG_USERAUTH_PASSWD_CHANGEREQ (RFC 4252 §8): the password has expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthPasswdChangereq<'a> {
    /// Text to show the user.
    pub prompt: Cow<'a, str>,
    /// RFC 3066 language tag.
    pub language_tag: Cow<'a, str>,
}

impl<'a> UserauthPasswdChangereq<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(
            payload,
            msg::USERAUTH_PASSWD_CHANGEREQ,
            "USERAUTH_PASSWD_CHANGEREQ",
        )?;
        let prompt = r.utf8("USERAUTH_PASSWD_CHANGEREQ.prompt")?;
        let language_tag = r.utf8("USERAUTH_PASSWD_CHANGEREQ.language_tag")?;
        r.finish("USERAUTH_PASSWD_CHANGEREQ")?;
        Ok(Self {
            prompt,
            language_tag,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_PASSWD_CHANGEREQ)
            .utf8(&self.prompt)
            .utf8(&self.language_tag);
    }
}

impl_to_bytes!(
    UserauthFailure<'_>,
    UserauthSuccess,
    UserauthBanner<'_>,
    UserauthPkOk<'_>,
    UserauthPasswdChangereq<'_>,
);
