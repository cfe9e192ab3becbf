//! What the peer asks for and the handler answers: an offered channel (accept or reject) and
//! a global request (accept with an optional bound port, or reject). Dropping one unanswered
//! rejects it.

use std::sync::Arc;

use burrow_connection::{GlobalRequestId, LocalChannelId};
use burrow_wire::OpenFailureReason;
use burrow_wire::connection::{ChannelOpenType, GlobalRequestKind};

use crate::channel::Channel;
use crate::driver::Shared;
use crate::error::{Error, ErrorKind};
use crate::session::Session;
use crate::slot::Slot;

/// A channel the peer wants to open (`direct-tcpip` on a server, `forwarded-tcpip` on a
/// client, ...). Answer with [`IncomingChannel::accept`] or [`IncomingChannel::reject`];
/// dropping it rejects with "administratively prohibited".
pub struct IncomingChannel {
    shared: Arc<Shared>,
    id: LocalChannelId,
    channel_type: ChannelOpenType<'static>,
    answered: bool,
}

impl std::fmt::Debug for IncomingChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingChannel")
            .field("id", &self.id.0)
            .field("channel_type", &self.channel_type)
            .finish()
    }
}

impl IncomingChannel {
    pub(crate) fn new(
        shared: Arc<Shared>,
        id: LocalChannelId,
        channel_type: ChannelOpenType<'static>,
    ) -> Self {
        Self {
            shared,
            id,
            channel_type,
            answered: false,
        }
    }

    /// What the peer asked for.
    pub fn channel_type(&self) -> &ChannelOpenType<'static> {
        &self.channel_type
    }

    /// Confirms the channel and returns its handle.
    pub fn accept(mut self) -> Result<Channel, Error> {
        self.answered = true;
        {
            let mut core = self.shared.lock();
            let core = &mut *core;
            if core.closed.is_some() {
                return Err(core.closed_error());
            }
            let Some(conn) = core.conn.as_mut() else {
                return Err(core.closed_error());
            };
            conn.accept_channel(self.id)
                .map_err(|e| Error::new(&core.peer, core.phase, ErrorKind::LocalLimit(e)))?;
            core.slots.insert(self.id, Slot::default());
        }
        self.shared.notify.notify_one();
        Ok(Channel::new(self.shared.clone(), self.id))
    }

    /// Refuses the channel with `reason` and a description for the peer.
    pub fn reject(mut self, reason: OpenFailureReason, description: &str) {
        self.answered = true;
        self.send_reject(reason, description);
    }

    fn send_reject(&self, reason: OpenFailureReason, description: &str) {
        let mut core = self.shared.lock();
        if let Some(conn) = core.conn.as_mut() {
            if let Err(e) = conn.reject_channel(self.id, reason, description) {
                tracing::debug!(error = %e, "channel reject not sent");
            }
        }
        drop(core);
        self.shared.notify.notify_one();
    }
}

impl Drop for IncomingChannel {
    fn drop(&mut self) {
        if !self.answered {
            self.send_reject(OpenFailureReason::AdministrativelyProhibited, "open failed");
        }
    }
}

/// A global request from the peer (`tcpip-forward` and friends on a server). Answer with
/// [`IncomingGlobalRequest::accept`] or [`IncomingGlobalRequest::reject`]; dropping it
/// rejects. When the peer wants no reply, answering does nothing.
pub struct IncomingGlobalRequest {
    shared: Arc<Shared>,
    id: GlobalRequestId,
    want_reply: bool,
    request: GlobalRequestKind<'static>,
    answered: bool,
}

impl std::fmt::Debug for IncomingGlobalRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingGlobalRequest")
            .field("request", &self.request)
            .finish()
    }
}

impl IncomingGlobalRequest {
    pub(crate) fn new(
        shared: Arc<Shared>,
        id: GlobalRequestId,
        want_reply: bool,
        request: GlobalRequestKind<'static>,
    ) -> Self {
        Self {
            shared,
            id,
            want_reply,
            request,
            answered: false,
        }
    }

    /// The request.
    pub fn request(&self) -> &GlobalRequestKind<'static> {
        &self.request
    }

    /// A handle on the session the request came on (to open `forwarded-tcpip` channels for
    /// an accepted `tcpip-forward`). It does not keep the session alive by itself.
    pub fn session(&self) -> WeakSession {
        WeakSession(Arc::downgrade(&self.shared))
    }

    /// Accepts; `bound_port` answers a `tcpip-forward` for port 0.
    pub fn accept(mut self, bound_port: Option<u32>) {
        self.answered = true;
        self.answer(Some(bound_port));
    }

    /// Refuses.
    pub fn reject(mut self) {
        self.answered = true;
        self.answer(None);
    }

    fn answer(&self, accept: Option<Option<u32>>) {
        if !self.want_reply {
            return;
        }
        let mut core = self.shared.lock();
        if let Some(conn) = core.conn.as_mut() {
            let r = match accept {
                Some(port) => conn.accept_global_request(self.id, port),
                None => conn.reject_global_request(self.id),
            };
            if let Err(e) = r {
                tracing::debug!(error = %e, "global request reply not sent");
            }
        }
        drop(core);
        self.shared.notify.notify_one();
    }
}

impl Drop for IncomingGlobalRequest {
    fn drop(&mut self) {
        if !self.answered {
            self.answer(None);
        }
    }
}

/// A session reference that does not keep the session alive (for listeners a server runs on
/// behalf of a remote forward).
#[derive(Clone)]
pub struct WeakSession(std::sync::Weak<Shared>);

impl std::fmt::Debug for WeakSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeakSession")
            .field("alive", &self.is_alive())
            .finish()
    }
}

impl WeakSession {
    pub(crate) fn new(shared: &Arc<Shared>) -> Self {
        Self(Arc::downgrade(shared))
    }

    /// The session's counters, unless every handle on it is gone.
    pub fn counters(&self) -> Option<crate::SessionCounters> {
        self.0.upgrade().map(|s| Session::borrowed(s).counters())
    }

    /// Opens a `forwarded-tcpip` channel, if the session is still up.
    pub async fn open_forwarded_tcpip(
        &self,
        bound_address: &str,
        bound_port: u32,
        originator: &str,
        originator_port: u16,
    ) -> Result<Channel, Error> {
        match self.0.upgrade() {
            Some(shared) => {
                Session::borrowed(shared)
                    .open_forwarded_tcpip(bound_address, bound_port, originator, originator_port)
                    .await
            }
            None => Err(Error::new(
                "",
                crate::error::Phase::Connection,
                ErrorKind::LocallyClosed,
            )),
        }
    }

    /// Opens any channel type, if the session is still up.
    pub async fn open_channel(&self, channel_type: ChannelOpenType<'_>) -> Result<Channel, Error> {
        match self.0.upgrade() {
            Some(shared) => Session::borrowed(shared).open_channel(channel_type).await,
            None => Err(Error::new(
                "",
                crate::error::Phase::Connection,
                ErrorKind::LocallyClosed,
            )),
        }
    }

    /// Waits until the session ends (at once if it is gone already), for listeners that
    /// must close with it.
    pub async fn closed(&self) {
        if let Some(shared) = self.0.upgrade() {
            drop(Session::borrowed(shared).closed().await);
        }
    }

    /// True while the session is up.
    pub fn is_alive(&self) -> bool {
        self.0.upgrade().is_some_and(|s| s.lock().closed.is_none())
    }
}
