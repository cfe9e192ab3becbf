//! The server's userauth state machine: SERVICE_REQUEST, then USERAUTH_REQUESTs answered
//! with FAILURE, PK_OK or SUCCESS, with MaxAuthTries, a failure-delay floor and LoginGraceTime.
//!
//! Sans-IO: payloads and `now` go in (`handle_payload`, `handle_timeout`), payloads and events
//! come out (`poll_payload`, `poll_event`), and `poll_timeout` says when to call back. Only
//! userauth-layer payloads (SERVICE_REQUEST and numbers 50-79) should be fed in; the transport
//! handles IGNORE, DEBUG and DISCONNECT itself.

mod attempt;
mod chain;
mod config;
mod outbox;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow_wire::transport::{Disconnect, ServiceAccept, ServiceRequest};
use burrow_wire::{NameList, SessionId, Writer, msg};
use bytes::{Bytes, BytesMut};
use rand_core::CryptoRngCore;

use crate::{Authenticated, Method, UserauthError};
use attempt::Outcome;
use burrow_wire::userauth::{
    AuthMethod, Expect60, UserauthFailure, UserauthMessage, UserauthRequest, UserauthSuccess,
};
use chain::{Chains, Step};
pub use config::{AuthPolicy, ServerConfig};
use outbox::{Outbox, Then};

/// OpenSSH's cap on USERAUTH_REQUESTs per connection, failures or not (auth2.c).
pub const MAX_REQUESTS: u32 = 1024;

/// The DISCONNECT description sent when MaxAuthTries is reached (OpenSSH's exact text).
pub const TOO_MANY_FAILURES: &str = "Too many authentication failures";

/// What the server reports to its driver.
#[derive(Debug)]
pub enum ServerEvent<P> {
    /// USERAUTH_SUCCESS has been released: the connection layer may start, with this proof.
    Authenticated(Authenticated<P>),
    /// A DISCONNECT has been released (MaxAuthTries, LoginGraceTime): flush and close.
    Closed(UserauthError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitService,
    Auth,
    Done,
    Closed,
}

/// Server-side user authentication for one connection.
pub struct Server<P> {
    config: Arc<ServerConfig>,
    session_id: SessionId,
    rng: Box<dyn CryptoRngCore + Send>,
    phase: Phase,
    /// User and service of the first request; later requests must match.
    first: Option<(String, String)>,
    attempts: u32,
    failures: u32,
    chains: Chains,
    succeeded: Vec<Method>,
    permissions: Option<P>,
    banner_sent: bool,
    outbox: Outbox,
    /// Bound: at most one `Authenticated` and one `Closed` are ever queued.
    events: VecDeque<ServerEvent<P>>,
    /// `None`: LoginGraceTime 0, no limit (as sshd).
    grace_deadline: Option<Instant>,
    pending_token: Option<Authenticated<P>>,
    pending_close: Option<UserauthError>,
}

impl<P> Server<P> {
    /// A server waiting for SERVICE_REQUEST; LoginGraceTime starts at `now`.
    pub fn new(
        config: Arc<ServerConfig>,
        session_id: SessionId,
        rng: Box<dyn CryptoRngCore + Send>,
        now: Instant,
    ) -> Self {
        let chains = Chains::new(config.enabled(), &config.authentication_methods);
        let grace_deadline = (!config.login_grace_time.is_zero())
            .then(|| now.checked_add(config.login_grace_time).unwrap_or(now));
        Self {
            config,
            session_id,
            rng,
            phase: Phase::AwaitService,
            first: None,
            attempts: 0,
            failures: 0,
            chains,
            succeeded: Vec::new(),
            permissions: None,
            banner_sent: false,
            outbox: Outbox::default(),
            events: VecDeque::new(),
            grace_deadline,
            pending_token: None,
            pending_close: None,
        }
    }

    /// True once SUCCESS has been queued.
    pub fn is_authenticated(&self) -> bool {
        self.phase == Phase::Done
    }

    /// True once the server has given up (or hit a protocol error).
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Failed attempts counted so far (toward MaxAuthTries).
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Handles one payload from the client. An `Err` is a protocol violation: disconnect with
    /// its `disconnect_reason()`; nothing more comes out of this machine.
    pub fn handle_payload(
        &mut self,
        payload: &[u8],
        policy: &mut dyn AuthPolicy<Permissions = P>,
        now: Instant,
    ) -> Result<(), UserauthError> {
        if matches!(self.phase, Phase::Done | Phase::Closed) {
            return Ok(());
        }
        if self.grace_deadline.is_some_and(|d| now >= d) {
            self.expire();
            return Ok(());
        }
        let result = match self.phase {
            Phase::AwaitService => self.on_service_request(payload),
            _ => self.on_userauth_payload(payload, policy, now),
        };
        if result.is_err() {
            self.phase = Phase::Closed;
            self.outbox.clear();
        }
        result
    }

    /// Checks LoginGraceTime against `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.phase, Phase::AwaitService | Phase::Auth)
            && self.grace_deadline.is_some_and(|d| now >= d)
        {
            self.expire();
        }
    }

    /// The next payload to send, if its time has come.
    #[must_use]
    pub fn poll_payload(&mut self, now: Instant) -> Option<Bytes> {
        let (payload, then) = self.outbox.pop_ready(now)?;
        match then {
            Then::Nothing => {}
            Then::Authenticated => {
                if let Some(token) = self.pending_token.take() {
                    self.events.push_back(ServerEvent::Authenticated(token));
                }
            }
            Then::Closed => {
                if let Some(e) = self.pending_close.take() {
                    self.events.push_back(ServerEvent::Closed(e));
                }
            }
        }
        Some(payload)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent<P>> {
        self.events.pop_front()
    }

    /// When to call `poll_payload` or `handle_timeout` next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let grace = self
            .grace_deadline
            .filter(|_| matches!(self.phase, Phase::AwaitService | Phase::Auth));
        match (self.outbox.next_release(), grace) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the first held payload is released (tests).
    #[cfg(test)]
    pub(crate) fn held_until(&self) -> Option<Instant> {
        self.outbox.next_release()
    }

    fn on_service_request(&mut self, payload: &[u8]) -> Result<(), UserauthError> {
        let number = payload.first().copied().unwrap_or(0);
        if number != msg::SERVICE_REQUEST {
            return Err(UserauthError::UnexpectedMessage {
                number,
                state: "waiting for SERVICE_REQUEST",
            });
        }
        let req = ServiceRequest::decode(payload)?;
        if req.service_name != "ssh-userauth" {
            return Err(UserauthError::ServiceNotAvailable {
                service: req.service_name.into_owned(),
            });
        }
        let accept = ServiceAccept {
            service_name: "ssh-userauth".into(),
        };
        self.outbox
            .push(encode(|w| accept.encode(w)), None, Then::Nothing);
        self.phase = Phase::Auth;
        Ok(())
    }

    fn on_userauth_payload(
        &mut self,
        payload: &[u8],
        policy: &mut dyn AuthPolicy<Permissions = P>,
        now: Instant,
    ) -> Result<(), UserauthError> {
        let number = payload.first().copied().unwrap_or(0);
        if number != msg::USERAUTH_REQUEST {
            return Err(UserauthError::UnexpectedMessage {
                number,
                state: "waiting for USERAUTH_REQUEST",
            });
        }
        let UserauthMessage::UserauthRequest(req) =
            UserauthMessage::decode(payload, Expect60::PkOk)?
        else {
            return Err(UserauthError::UnexpectedMessage {
                number,
                state: "waiting for USERAUTH_REQUEST",
            });
        };
        self.on_request(&req, policy, now)
    }

    fn on_request(
        &mut self,
        req: &UserauthRequest<'_>,
        policy: &mut dyn AuthPolicy<Permissions = P>,
        now: Instant,
    ) -> Result<(), UserauthError> {
        self.attempts = self.attempts.saturating_add(1);
        if self.attempts > MAX_REQUESTS {
            self.close(
                UserauthError::TooManyAttempts {
                    attempts: self.attempts,
                },
                None,
            );
            return Ok(());
        }
        self.check_same_user(req)?;
        self.send_banner_once();
        let is_none = matches!(req.method, AuthMethod::None);
        let outcome = self.try_method(req, policy);
        let held = if is_none {
            None
        } else {
            Some(self.release_time(now))
        };
        match outcome {
            Outcome::Success(method, permissions) => self.on_success(req, method, permissions),
            // PK_OK answers at once, as sshd does: the reply itself already says the key is
            // acceptable, so holding it hides nothing and costs OpenSSH clients (which always
            // query before signing) a full failure delay per login.
            Outcome::PkOk(reply) => self.outbox.push(reply, None, Then::Nothing),
            Outcome::Fail => self.on_failure(is_none, held),
        }
        Ok(())
    }

    fn check_same_user(&mut self, req: &UserauthRequest<'_>) -> Result<(), UserauthError> {
        match &self.first {
            None => {
                self.first = Some((req.user_name.to_string(), req.service_name.to_string()));
                Ok(())
            }
            Some((user, service)) if *user == req.user_name && *service == req.service_name => {
                Ok(())
            }
            Some((user, service)) => Err(UserauthError::UserOrServiceChanged {
                from: (user.clone(), service.clone()),
                to: (req.user_name.to_string(), req.service_name.to_string()),
            }),
        }
    }

    fn send_banner_once(&mut self) {
        if self.banner_sent {
            return;
        }
        self.banner_sent = true;
        if let Some(text) = &self.config.banner {
            let banner = encode(|w| {
                w.byte(msg::USERAUTH_BANNER).utf8(text).utf8("");
            });
            self.outbox.push(banner, None, Then::Nothing);
        }
    }

    fn on_success(&mut self, req: &UserauthRequest<'_>, method: Method, permissions: P) {
        // Keep the publickey method's permissions (authorized_keys restrictions) over others.
        let keep = match self.permissions.take() {
            Some(old) if method != Method::Publickey => old,
            _ => permissions,
        };
        self.succeeded.push(method);
        match self.chains.complete(method) {
            Step::Done => {
                self.pending_token = Some(Authenticated::new(
                    req.user_name.to_string(),
                    core::mem::take(&mut self.succeeded),
                    keep,
                ));
                self.outbox.push(
                    encode(|w| UserauthSuccess.encode(w)),
                    None,
                    Then::Authenticated,
                );
                self.phase = Phase::Done;
            }
            Step::Partial => {
                self.permissions = Some(keep);
                let failure = self.failure_payload(true);
                self.outbox.push(failure, None, Then::Nothing);
            }
        }
    }

    fn on_failure(&mut self, is_none: bool, held: Option<Instant>) {
        // The client's first "none" probe is free (auth2.c userauth_finish).
        if !(is_none && self.attempts == 1) {
            self.failures = self.failures.saturating_add(1);
        }
        if self.failures >= self.config.max_auth_tries {
            let e = UserauthError::TooManyAuthFailures {
                failures: self.failures,
                max: self.config.max_auth_tries,
            };
            self.close(e, held);
            return;
        }
        let failure = self.failure_payload(false);
        self.outbox.push(failure, held, Then::Nothing);
    }

    fn failure_payload(&self, partial_success: bool) -> Bytes {
        let names: Vec<&str> = self
            .chains
            .can_continue()
            .iter()
            .map(|m| m.name())
            .collect();
        let authentications_that_can_continue = NameList::from_names(&names).unwrap_or_default();
        let failure = UserauthFailure {
            authentications_that_can_continue,
            partial_success,
        };
        encode(|w| failure.encode(w))
    }

    /// When a refusal to a request that arrived at `now` may leave.
    fn release_time(&mut self, now: Instant) -> Instant {
        let jitter = u64::try_from(self.config.failure_jitter.as_nanos()).unwrap_or(u64::MAX);
        let extra = match jitter.checked_add(1) {
            Some(span) => self.rng.next_u64() % span,
            None => self.rng.next_u64(),
        };
        let delay = self
            .config
            .failure_delay
            .saturating_add(Duration::from_nanos(extra));
        now.checked_add(delay).unwrap_or(now)
    }

    fn expire(&mut self) {
        self.outbox.clear();
        let seconds = self.config.login_grace_time.as_secs();
        self.close(UserauthError::LoginGraceTimeExpired { seconds }, None);
    }

    /// Queues DISCONNECT (held until `not_before`) and stops answering.
    fn close(&mut self, e: UserauthError, not_before: Option<Instant>) {
        let description = match e {
            UserauthError::LoginGraceTimeExpired { .. } => "Timeout before authentication",
            _ => TOO_MANY_FAILURES,
        };
        let disconnect = Disconnect {
            reason_code: e.disconnect_reason(),
            description: description.into(),
            language_tag: "".into(),
        };
        self.outbox
            .push(encode(|w| disconnect.encode(w)), not_before, Then::Closed);
        self.pending_close = Some(e);
        self.phase = Phase::Closed;
    }
}

impl<P> core::fmt::Debug for Server<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server")
            .field("phase", &self.phase)
            .field("attempts", &self.attempts)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

/// Encodes one payload.
pub(crate) fn encode(f: impl FnOnce(&mut Writer<'_>)) -> Bytes {
    let mut buf = BytesMut::new();
    f(&mut Writer::new(&mut buf));
    buf.freeze()
}
