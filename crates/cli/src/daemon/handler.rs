//! burrowd's `ServerHandler`: logins through the current `LoginPolicy`, forwards through the
//! current `ForwardServer`, session channels refused with a clear message. SIGHUP swaps in a
//! new policy for what happens next. In a sandboxed protocol process, logins go to the
//! monitor.

use std::sync::{Arc, RwLock};

use burrow::{
    ChannelOpenType, ConnectionInfo, IncomingChannel, IncomingGlobalRequest, OpenFailureReason,
    PublicKey, ServerHandler,
};
use burrow_forward::{ForwardPermissions, ForwardServer, Requester, SessionForwards};

use super::auth::LoginPolicy;
use super::brokered::Broker;
use crate::metrics::Metrics;

/// What a reload replaces.
#[derive(Debug, Clone)]
pub struct Current {
    /// Who may log in.
    pub login: LoginPolicy,
    /// Forwarding policy and counters.
    pub forwards: ForwardServer,
}

/// The message a client gets for a shell, command or subsystem.
pub const SESSION_REFUSED: &str =
    "burrowd only forwards ports: no shell, command or subsystem (use ssh -N)";

/// The handler; clones share the current policy.
#[derive(Debug, Clone)]
pub struct DaemonHandler {
    current: Arc<RwLock<Arc<Current>>>,
    /// The sandboxed protocol process of a root burrowd: its monitor decides logins.
    broker: Option<Arc<Broker>>,
    /// MetricsListen: connections and forwards counted per user.
    metrics: Option<Arc<Metrics>>,
}

impl DaemonHandler {
    /// A handler with `current` in force.
    pub fn new(current: Current) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(current))),
            broker: None,
            metrics: None,
        }
    }

    /// Counts every login and forward in `metrics` from now on (also after a reload).
    pub fn counted(self, metrics: Arc<Metrics>) -> Self {
        let now = Arc::unwrap_or_clone(self.now());
        let handler = Self {
            metrics: Some(metrics),
            ..self
        };
        handler.replace(now);
        handler
    }

    /// The handler of a sandboxed protocol process: keys are judged by the monitor, and a
    /// login is only complete once the monitor has checked the signature and become the
    /// user (before any channel or global request is served).
    pub fn brokered(mut self, broker: Arc<Broker>) -> Self {
        self.broker = Some(broker);
        self
    }

    /// Puts `next` in force for what happens from now on.
    pub fn replace(&self, mut next: Current) {
        if let Some(m) = &self.metrics {
            next.forwards = next.forwards.with_ledger(m.clone());
        }
        let mut slot = self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = Arc::new(next);
    }

    fn now(&self) -> Arc<Current> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

fn requester(conn: &ConnectionInfo<ForwardPermissions>) -> Requester<'_> {
    Requester {
        user: &conn.user,
        key_fingerprint: &conn.permissions.fingerprint,
        key: &conn.permissions.key,
    }
}

impl ServerHandler for DaemonHandler {
    type Permissions = ForwardPermissions;

    fn auth_publickey(
        &self,
        peer: std::net::SocketAddr,
        user: &str,
        key: &PublicKey,
    ) -> Option<ForwardPermissions> {
        let options = match &self.broker {
            Some(b) => b.auth_query(user, key.blob())?,
            None => self.now().login.authorize(peer, user, key)?,
        };
        Some(ForwardPermissions {
            key: options,
            fingerprint: key.fingerprint(),
            forwards: SessionForwards::new(),
        })
    }

    fn auth_certificate(
        &self,
        peer: std::net::SocketAddr,
        user: &str,
        cert: &burrow::Certificate,
    ) -> Option<ForwardPermissions> {
        // The sandboxed protocol process cannot read the CA files: the monitor decides.
        let options = match &self.broker {
            Some(b) => b.auth_query(user, cert.blob())?,
            None => self.now().login.authorize_certificate(peer, user, cert)?,
        };
        Some(ForwardPermissions {
            key: options,
            fingerprint: cert.key.fingerprint(),
            forwards: SessionForwards::new(),
        })
    }

    fn authenticated(&self, conn: &ConnectionInfo<ForwardPermissions>) -> std::io::Result<()> {
        if let Some(b) = &self.broker {
            b.authenticate(&conn.userauth_request).inspect_err(|e| {
                tracing::error!("the monitor refused {} for {}: {e}", conn.user, conn.peer);
            })?;
        }
        if let Some(m) = &self.metrics {
            m.session_up(&conn.user, conn.session.clone());
        }
        Ok(())
    }

    fn channel_open(&self, conn: &ConnectionInfo<ForwardPermissions>, channel: IncomingChannel) {
        if matches!(channel.channel_type(), ChannelOpenType::Session) {
            tracing::info!(
                "refused session channel for {} from {}: burrowd only forwards",
                conn.user,
                conn.peer
            );
            channel.reject(
                OpenFailureReason::AdministrativelyProhibited,
                SESSION_REFUSED,
            );
            return;
        }
        if let ChannelOpenType::DirectTcpip {
            host_to_connect,
            port_to_connect,
            ..
        } = channel.channel_type()
        {
            tracing::debug!(
                "direct-tcpip for {} to {host_to_connect}:{port_to_connect}",
                conn.user
            );
        }
        self.now().forwards.channel_open(&requester(conn), channel);
    }

    fn global_request(
        &self,
        conn: &ConnectionInfo<ForwardPermissions>,
        request: IncomingGlobalRequest,
    ) {
        self.now().forwards.global_request(
            &requester(conn),
            &conn.permissions.forwards,
            conn.session.clone(),
            request,
        );
    }
}
