//! Userauth messages (RFC 4252, RFC 4256) and the `UserauthMessage` enum over them.

mod keyboard;
mod reply;
mod request;
#[cfg(test)]
mod tests;

pub use keyboard::{MAX_PROMPTS, Prompt, UserauthInfoRequest, UserauthInfoResponse};
pub use reply::{
    UserauthBanner, UserauthFailure, UserauthPasswdChangereq, UserauthPkOk, UserauthSuccess,
};
pub use request::{
    AuthMethod, KEYBOARD_INTERACTIVE, NONE, PASSWORD, PUBLICKEY, UserauthRequest,
    publickey_signed_data,
};

use crate::codec::{number, unknown};
use crate::message::layer_message;
use crate::{DecodeError, msg};

/// How to read message 60, which PK_OK, PASSWD_CHANGEREQ and INFO_REQUEST share: the client
/// knows which method it last tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expect60 {
    /// After a publickey query: SSH_MSG_USERAUTH_PK_OK.
    PkOk,
    /// After a password request: SSH_MSG_USERAUTH_PASSWD_CHANGEREQ.
    PasswdChangereq,
    /// After a keyboard-interactive request: SSH_MSG_USERAUTH_INFO_REQUEST.
    InfoRequest,
}

layer_message! {
    /// Any userauth message: numbers 50-53 and 60-61.
    pub enum UserauthMessage<'a> {
        /// SSH_MSG_USERAUTH_REQUEST.
        UserauthRequest(UserauthRequest<'a>) = USERAUTH_REQUEST,
        /// SSH_MSG_USERAUTH_FAILURE.
        UserauthFailure(UserauthFailure<'a>) = USERAUTH_FAILURE,
        /// SSH_MSG_USERAUTH_SUCCESS.
        UserauthSuccess(UserauthSuccess) = USERAUTH_SUCCESS,
        /// SSH_MSG_USERAUTH_BANNER.
        UserauthBanner(UserauthBanner<'a>) = USERAUTH_BANNER,
        /// SSH_MSG_USERAUTH_PK_OK (60).
        UserauthPkOk(UserauthPkOk<'a>) = USERAUTH_PK_OK,
        /// SSH_MSG_USERAUTH_PASSWD_CHANGEREQ (60).
        UserauthPasswdChangereq(UserauthPasswdChangereq<'a>) = USERAUTH_PASSWD_CHANGEREQ,
        /// SSH_MSG_USERAUTH_INFO_REQUEST (60).
        UserauthInfoRequest(UserauthInfoRequest<'a>) = USERAUTH_INFO_REQUEST,
        /// SSH_MSG_USERAUTH_INFO_RESPONSE.
        UserauthInfoResponse(UserauthInfoResponse<'a>) = USERAUTH_INFO_RESPONSE,
    }
}

impl<'a> UserauthMessage<'a> {
    /// Decodes a whole payload by its first byte, reading a 60 as `expect` says; numbers outside
    /// this layer are `UnknownMessage`, and trailing bytes are an error.
    pub fn decode(payload: &'a [u8], expect: Expect60) -> Result<Self, DecodeError> {
        Ok(match number(payload, "userauth message")? {
            msg::USERAUTH_REQUEST => Self::UserauthRequest(UserauthRequest::decode(payload)?),
            msg::USERAUTH_FAILURE => Self::UserauthFailure(UserauthFailure::decode(payload)?),
            msg::USERAUTH_SUCCESS => Self::UserauthSuccess(UserauthSuccess::decode(payload)?),
            msg::USERAUTH_BANNER => Self::UserauthBanner(UserauthBanner::decode(payload)?),
            60 => match expect {
                Expect60::PkOk => Self::UserauthPkOk(UserauthPkOk::decode(payload)?),
                Expect60::PasswdChangereq => {
                    Self::UserauthPasswdChangereq(UserauthPasswdChangereq::decode(payload)?)
                }
                Expect60::InfoRequest => {
                    Self::UserauthInfoRequest(UserauthInfoRequest::decode(payload)?)
                }
            },
            msg::USERAUTH_INFO_RESPONSE => {
                Self::UserauthInfoResponse(UserauthInfoResponse::decode(payload)?)
            }
            other => return Err(unknown("userauth message", other)),
        })
    }

    /// How a 60 in this message would be read back: `Some` for the three 60 messages.
    pub fn expect60(&self) -> Option<Expect60> {
        match self {
            Self::UserauthPkOk(_) => Some(Expect60::PkOk),
            Self::UserauthPasswdChangereq(_) => Some(Expect60::PasswdChangereq),
            Self::UserauthInfoRequest(_) => Some(Expect60::InfoRequest),
            _ => None,
        }
    }
}
