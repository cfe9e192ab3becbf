//! A ready-made `burrow::ServerHandler` for a forwarding-only server: public key login
//! through a [`KeyAuth`] and every forward through a [`ForwardServer`].

use std::net::SocketAddr;
use std::sync::Arc;

use burrow::{ConnectionInfo, IncomingChannel, IncomingGlobalRequest, PublicKey, ServerHandler};
use burrow_keyfiles::KeyOptions;

use crate::server::{ForwardServer, Requester};
use crate::server_listen::SessionForwards;

/// Decides public key logins: the key's authorized_keys options, or `None` to refuse.
pub trait KeyAuth: Send + Sync + 'static {
    /// Options of the line authorizing `key` for `user` connecting from `peer`.
    fn authorize(&self, peer: SocketAddr, user: &str, key: &PublicKey) -> Option<KeyOptions>;
}

impl<F> KeyAuth for F
where
    F: Fn(SocketAddr, &str, &PublicKey) -> Option<KeyOptions> + Send + Sync + 'static,
{
    fn authorize(&self, peer: SocketAddr, user: &str, key: &PublicKey) -> Option<KeyOptions> {
        self(peer, user, key)
    }
}

/// What a login grants: the key's options, its fingerprint for logs, and the connection's
/// remote-forward listeners (closed when the connection ends).
#[derive(Debug)]
pub struct ForwardPermissions {
    /// The authorized_keys options of the key used.
    pub key: KeyOptions,
    /// `SHA256:...` of the key used.
    pub fingerprint: String,
    /// This connection's listeners.
    pub forwards: Arc<SessionForwards>,
}

/// A server handler that only forwards.
///
/// ```no_run
/// # fn load_host_key() -> burrow::KeyPair { burrow::KeyPair::from_ed25519_seed(&[7; 32]) }
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use burrow::{AuthorizedKeysFile, Server, ServerConfig, KeyPair};
/// use burrow_forward::{ForwardHandler, ForwardPolicy, ForwardServer};
/// let keys = AuthorizedKeysFile::new("/etc/burrow/authorized_keys".into());
/// let auth = move |peer: std::net::SocketAddr, _user: &str, key: &burrow::PublicKey| keys.lookup(key, peer.ip());
/// let forwards = ForwardServer::new(ForwardPolicy::default(), Duration::from_secs(10));
/// let host_key: KeyPair = load_host_key();
/// let server = Server::bind("127.0.0.1:2222", ServerConfig::new(host_key), ForwardHandler::new(forwards, auth)).await?;
/// server.run().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ForwardHandler<A> {
    server: ForwardServer,
    auth: A,
}

impl<A: KeyAuth> ForwardHandler<A> {
    /// Forwards through `server`, logins decided by `auth`.
    pub fn new(server: ForwardServer, auth: A) -> Self {
        Self { server, auth }
    }

    /// The forwarding server (policy, counters).
    pub fn server(&self) -> &ForwardServer {
        &self.server
    }
}

fn requester(conn: &ConnectionInfo<ForwardPermissions>) -> Requester<'_> {
    Requester {
        user: &conn.user,
        key_fingerprint: &conn.permissions.fingerprint,
        key: &conn.permissions.key,
    }
}

impl<A: KeyAuth> ServerHandler for ForwardHandler<A> {
    type Permissions = ForwardPermissions;

    fn auth_publickey(
        &self,
        peer: SocketAddr,
        user: &str,
        key: &PublicKey,
    ) -> Option<ForwardPermissions> {
        let options = self.auth.authorize(peer, user, key)?;
        Some(ForwardPermissions {
            key: options,
            fingerprint: key.fingerprint(),
            forwards: SessionForwards::new(),
        })
    }

    fn channel_open(&self, conn: &ConnectionInfo<ForwardPermissions>, channel: IncomingChannel) {
        self.server.channel_open(&requester(conn), channel);
    }

    fn global_request(
        &self,
        conn: &ConnectionInfo<ForwardPermissions>,
        request: IncomingGlobalRequest,
    ) {
        self.server.global_request(
            &requester(conn),
            &conn.permissions.forwards,
            conn.session.clone(),
            request,
        );
    }
}
