//! The remote-forward listeners a server runs for one connection: their table (closed with
//! the connection), the accept loops, and cancellation.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use burrow::{Channel, ChannelOpenType, IncomingGlobalRequest, WeakSession};
use tokio::task::{AbortHandle, JoinSet};

use crate::net::{LocalListener, LocalStream, Originator};
use crate::pump::Origin;
use crate::server::serve_opened;
use crate::sockets::Sockets;
use crate::stats::{ActiveGuard, ForwardStats};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ListenKey {
    Tcp(String, u32),
    Unix(String),
}

#[derive(Debug)]
struct ListenerEntry {
    task: AbortHandle,
    unlink: Option<(PathBuf, Arc<dyn Sockets>)>,
}

impl ListenerEntry {
    fn close(self) {
        self.task.abort();
        if let Some((path, sockets)) = self.unlink {
            if let Err(e) = sockets.remove_socket(&path) {
                tracing::debug!(path = %path.display(), error = %e, "socket not removed");
            }
        }
    }
}

/// The remote-forward listeners of one connection. Keep it in the connection's permissions:
/// when it is dropped (the connection ended), every listener and forwarded socket closes.
#[derive(Debug, Default)]
pub struct SessionForwards {
    listeners: Mutex<HashMap<ListenKey, ListenerEntry>>,
    /// Accepted requests whose listeners are still binding (`BindSlot`s alive).
    binding: AtomicUsize,
}

/// A listener being bound, counted against the connection's limit until dropped (after the
/// listener is registered, or the bind failed).
#[derive(Debug)]
pub(crate) struct BindSlot(Weak<SessionForwards>);

impl Drop for BindSlot {
    fn drop(&mut self) {
        if let Some(f) = self.0.upgrade() {
            f.binding.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl SessionForwards {
    /// No listeners yet.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Listeners currently open.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no listener is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Listeners open plus those still binding.
    pub(crate) fn claimed(&self) -> usize {
        self.len()
            .saturating_add(self.binding.load(Ordering::Relaxed))
    }

    /// Counts one more listener as binding until the slot is dropped.
    pub(crate) fn bind_slot(self: &Arc<Self>) -> BindSlot {
        self.binding.fetch_add(1, Ordering::Relaxed);
        BindSlot(Arc::downgrade(self))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ListenKey, ListenerEntry>> {
        self.listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for SessionForwards {
    fn drop(&mut self) {
        for (_, entry) in self.lock().drain() {
            entry.close();
        }
    }
}

pub(crate) fn answer_cancel(
    forwards: &SessionForwards,
    key: &ListenKey,
    request: IncomingGlobalRequest,
) {
    let removed = forwards.lock().remove(key);
    match removed {
        Some(entry) => {
            entry.close();
            request.accept(None);
        }
        None => request.reject(),
    }
}

/// Which forwarded channel type a listener opens.
#[derive(Debug, Clone)]
pub(crate) enum OpenKind {
    Tcp { address: String, port: u32 },
    Unix(String),
}

/// Starts the accept loop and records it; false when the connection is gone or the
/// address is already forwarded.
pub(crate) fn register(
    forwards: &Weak<SessionForwards>,
    key: ListenKey,
    listener: LocalListener,
    session: WeakSession,
    open: OpenKind,
    stats: Arc<ForwardStats>,
    unlink: Option<(PathBuf, Arc<dyn Sockets>)>,
) -> bool {
    let Some(forwards) = forwards.upgrade() else {
        return false;
    };
    let mut map = forwards.lock();
    if map.contains_key(&key) {
        return false;
    }
    let task = tokio::spawn(accept_loop(listener, session, open, stats)).abort_handle();
    map.insert(key, ListenerEntry { task, unlink });
    true
}

/// Accepts connections and opens a forwarded channel for each until the session is gone.
async fn accept_loop(
    listener: LocalListener,
    session: WeakSession,
    open: OpenKind,
    stats: Arc<ForwardStats>,
) {
    let mut tasks = JoinSet::new();
    loop {
        while tasks.try_join_next().is_some() {}
        let (stream, from) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if !session.is_alive() {
            return;
        }
        let opening = open_forwarded(session.clone(), open.clone(), stream, from, stats.clone());
        tasks.spawn(serve_opened(Box::pin(opening), Origin::Stream));
    }
}

/// Opens the forwarded channel for one accepted connection (counted as active once open).
async fn open_forwarded(
    session: WeakSession,
    open: OpenKind,
    stream: LocalStream,
    from: Originator,
    stats: Arc<ForwardStats>,
) -> Option<(LocalStream, Channel, ActiveGuard)> {
    let started = std::time::Instant::now();
    let channel = match &open {
        OpenKind::Tcp { address, port } => {
            session
                .open_forwarded_tcpip(address, *port, &from.address, from.port)
                .await
        }
        OpenKind::Unix(path) => {
            session
                .open_channel(ChannelOpenType::ForwardedStreamlocal {
                    socket_path: path.as_str().into(),
                    reserved: "".into(),
                })
                .await
        }
    };
    stats.connect_took(started.elapsed());
    match channel {
        Ok(c) => Some((stream, c, stats.connection_started())),
        Err(e) => {
            stats.failed();
            tracing::info!(error = %e, "forwarded channel open failed");
            None
        }
    }
}
