//! `Authenticated`: the proof token that only a successful login can build, on either side
//! (rustls' `HostKeySignatureValid` pattern, against the CVE-2018-10933 class of bug).

use crate::method::Method;

/// Proof that the client authenticated as `user`. Its constructor is private to this crate
/// and is called only where a method (or the last step of a multi-method chain) succeeded
/// (server) or USERAUTH_SUCCESS came in answer to our request (client, `P = ()`), so holding
/// one means authentication really happened.
#[derive(Debug)]
pub struct Authenticated<P> {
    user: String,
    methods: Vec<Method>,
    permissions: P,
}

impl<P> Authenticated<P> {
    /// Only `server::Server` and `client::Client` call this, on success.
    pub(crate) fn new(user: String, methods: Vec<Method>, permissions: P) -> Self {
        Self {
            user,
            methods,
            permissions,
        }
    }

    /// The user name the client authenticated as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The methods that succeeded, in order (two or more for multi-factor; client side, the
    /// last one, none after a `none` success).
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// What the caller's policy granted (e.g. authorized_keys options).
    pub fn permissions(&self) -> &P {
        &self.permissions
    }

    /// The user name and permissions, consuming the token.
    pub fn into_parts(self) -> (String, P) {
        (self.user, self.permissions)
    }
}
