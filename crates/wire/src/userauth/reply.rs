//! The server's generic userauth replies (RFC 4252 §5.1, §5.4) and the method-specific 60s
//! of publickey and password (RFC 4252 §7, §8).

use std::borrow::Cow;

use crate::NameList;
use crate::message::wire_message;

wire_message! {
    /// SSH_MSG_USERAUTH_FAILURE (RFC 4252 §5.1).
    pub struct UserauthFailure<'a> = USERAUTH_FAILURE {
        /// Methods that may productively continue.
        authentications_that_can_continue: NameList<'a>,
        /// True when the request succeeded but more methods are required.
        partial_success: bool,
    }
}

wire_message! {
    /// SSH_MSG_USERAUTH_SUCCESS (RFC 4252 §5.1): no fields.
    pub struct UserauthSuccess = USERAUTH_SUCCESS;
}

wire_message! {
    /// SSH_MSG_USERAUTH_BANNER (RFC 4252 §5.4).
    pub struct UserauthBanner<'a> = USERAUTH_BANNER {
        /// The banner text as sent: RFC 4252 says UTF-8, but servers send Latin-1 and worse,
        /// so the bytes are kept for the caller to escape before display.
        message: Cow<'a, [u8]>,
        /// RFC 3066 language tag.
        language_tag: Cow<'a, str>,
    }
}

wire_message! {
    /// SSH_MSG_USERAUTH_PK_OK (RFC 4252 §7): the server would accept a signature with this key.
    pub struct UserauthPkOk<'a> = USERAUTH_PK_OK {
        /// Public key algorithm name from the request.
        algorithm: Cow<'a, str>,
        /// Public key blob from the request.
        public_key: Cow<'a, [u8]>,
    }
}

wire_message! {
    /// SSH_MSG_USERAUTH_PASSWD_CHANGEREQ (RFC 4252 §8): the password has expired.
    pub struct UserauthPasswdChangereq<'a> = USERAUTH_PASSWD_CHANGEREQ {
        /// Text to show the user.
        prompt: Cow<'a, str>,
        /// RFC 3066 language tag.
        language_tag: Cow<'a, str>,
    }
}
