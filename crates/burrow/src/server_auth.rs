//! The server's handshake after the key exchange: userauth driven by the handler's
//! decisions, ending with the proof token that starts the connection layer.

use std::net::SocketAddr;
use std::sync::Arc;

use burrow_keys::PublicKey;
use burrow_userauth::{AuthPolicy, ServerEvent};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::auth_log::Attempt;
use crate::core::SessionCore;
use crate::driver::{Driver, now};
use crate::error::{Error, ErrorKind, Phase};
use crate::server::{ServerConfig, ServerHandler};

/// Adapts the handler to userauth's policy trait for one connection.
struct Policy<'a, H> {
    handler: &'a H,
    peer: SocketAddr,
    /// Whether the handler accepted the last key or password it was asked about.
    granted: bool,
}

impl<H: ServerHandler> AuthPolicy for Policy<'_, H> {
    type Permissions = H::Permissions;

    fn public_key(&mut self, user: &str, key: &PublicKey) -> Option<H::Permissions> {
        let p = self.handler.auth_publickey(self.peer, user, key);
        self.granted = p.is_some();
        p
    }

    fn password(&mut self, user: &str, password: &str) -> Option<H::Permissions> {
        let p = self.handler.auth_password(self.peer, user, password);
        self.granted = p.is_some();
        p
    }
}

/// Runs the key exchange and userauth; returns the user and the handler's permissions.
pub(crate) async fn authenticate<S, H>(
    driver: &mut Driver<S>,
    config: &ServerConfig,
    handler: &H,
    peer: SocketAddr,
) -> Result<(String, H::Permissions), Error>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
    H: ServerHandler,
{
    driver
        .run_until(|core| Ok(core.phase != Phase::KeyExchange))
        .await?;
    let mut auth = {
        let core = driver.shared.lock();
        let Some(session_id) = core.transport.session_id().cloned() else {
            return Err(core.error(ErrorKind::LocallyClosed));
        };
        burrow_userauth::Server::new(
            Arc::new(config.userauth.clone()),
            session_id,
            Box::new(rand_core::OsRng),
            now(),
        )
    };
    let mut policy = Policy {
        handler,
        peer,
        granted: false,
    };
    let multi = config
        .userauth
        .authentication_methods
        .iter()
        .any(|chain| chain.len() > 1);
    loop {
        let wake = {
            let mut core = driver.shared.lock();
            if let Some(done) = step_auth(&mut core, &mut auth, &mut policy, multi)? {
                return Ok(done);
            }
            auth.poll_timeout()
        };
        driver.turn_until(wake).await?;
    }
}

/// Feeds userauth payloads to the server machine and releases its replies; `Some` once the
/// client authenticated (the connection layer is started from the proof token).
fn step_auth<H: ServerHandler>(
    core: &mut SessionCore,
    auth: &mut burrow_userauth::Server<H::Permissions>,
    policy: &mut Policy<'_, H>,
    multi: bool,
) -> Result<Option<(String, H::Permissions)>, Error> {
    let now = now();
    auth.handle_timeout(now);
    while !auth.is_authenticated() && !auth.is_closed() {
        let Some(p) = core.auth_inbox.pop_front() else {
            break;
        };
        let attempt = Attempt::parse(&p);
        policy.granted = false;
        auth.handle_payload(&p, policy, now)
            .map_err(|e| core.error(ErrorKind::Userauth(e)))?;
        if let Some(a) = attempt {
            a.log(policy.peer, auth.is_authenticated(), policy.granted, multi);
        }
    }
    while let Some(p) = auth.poll_payload(now) {
        core.send_auth_payload(&p)?;
    }
    match auth.poll_event() {
        Some(ServerEvent::Authenticated(token)) => {
            core.start_connection(&token);
            core.replay_inbox()?;
            Ok(Some(token.into_parts()))
        }
        Some(ServerEvent::Closed(e)) => Err(core.error(ErrorKind::Userauth(e))),
        None => Ok(None),
    }
}
