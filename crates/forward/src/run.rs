//! Running a set of parsed forwards with one call, with ssh's ExitOnForwardFailure; more
//! forwards added and cancelled while they run through a [`ForwardHandle`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::bind::remote_request_host;
use crate::error::ForwardError;
use crate::local::{ForwardOptions, LocalForward};
use crate::remote::RemoteForwards;
use crate::remote_forward::RemoteForward;
use crate::session_slot::SessionSlot;
use crate::spec::{Forward, ForwardSpec, Listen};
use crate::stats::{ForwardStats, StatsSnapshot};

/// A forward that is listening: where, and on which port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyForward {
    /// The forward.
    pub spec: ForwardSpec,
    /// Where it listens: a local `address:port` or path for `-L`/`-D`, the requested
    /// `host:port` (or path) on the server for `-R`.
    pub listen: String,
    /// The port bound (the allocated one after asking for 0); 0 for unix sockets.
    pub port: u16,
}

/// Forwards set up by [`start_forwards`], all serving in the background.
#[derive(Debug)]
pub struct RunningForwards {
    shared: Arc<Shared>,
    /// Every forward that is listening, in spec order.
    pub ready: Vec<ReadyForward>,
    /// `Allocated port N for remote forward to host:hostport` lines, in spec order.
    pub allocated: Vec<String>,
    /// Forwards that failed to start (only without ExitOnForwardFailure), with the reason.
    pub failed: Vec<(ForwardSpec, ForwardError)>,
}

/// What the running forwards and their handles share.
#[derive(Debug)]
struct Shared {
    /// One task per forward (cancelled forwards stay until their connections end).
    tasks: Mutex<JoinSet<ForwardError>>,
    /// Set once: every forward stops (drain).
    stop: watch::Sender<bool>,
    /// The forwards not cancelled, in the order they started.
    entries: Mutex<Vec<Entry>>,
}

/// One forward that serves: its counters, where it listens, its own stop switch, and a
/// receiver that sees its sender dropped once the forward's task is gone.
#[derive(Debug)]
struct Entry {
    ready: ReadyForward,
    stats: Arc<ForwardStats>,
    cancel: watch::Sender<bool>,
    gone: watch::Receiver<()>,
}

/// The `-R` forwards of a [`ForwardHandle`] asked for again on a new connection.
#[derive(Debug, Default)]
pub struct Renewed {
    /// Those the server granted, in the order they first started.
    pub ready: Vec<ReadyForward>,
    /// `Allocated port N for remote forward to host:hostport` lines (port 0 forwards).
    pub allocated: Vec<String>,
    /// Those it refused, with the reason (they are no longer running).
    pub failed: Vec<(ForwardSpec, ForwardError)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RunningForwards {
    /// The counters of each running forward (those added later through a
    /// [`ForwardHandle`] too; cancelled ones no longer).
    pub fn stats(&self) -> Vec<(ForwardSpec, StatsSnapshot)> {
        self.shared.stats()
    }

    /// The live counters of each running forward (for a metrics page); forwards added
    /// later through a [`ForwardHandle`] are in [`ForwardHandle::counters`].
    pub fn counters(&self) -> Vec<(ForwardSpec, Arc<ForwardStats>)> {
        self.shared.counters()
    }

    /// A handle that adds and cancels forwards on `session` while these run (ssh's
    /// `-O forward` and `-O cancel`); `session`, `routes` and `opts` as for
    /// [`start_forwards`].
    pub fn handle(
        &self,
        session: impl Into<SessionSlot>,
        routes: Arc<RemoteForwards>,
        opts: ForwardOptions,
    ) -> ForwardHandle {
        ForwardHandle {
            shared: self.shared.clone(),
            slot: session.into(),
            routes,
            opts,
        }
    }

    /// Waits until the forwards end (the SSH connection died): closes everything and
    /// returns the first reason.
    pub async fn wait(self) -> ForwardError {
        let first = match self.shared.join_next().await {
            Some(Ok(e)) => e,
            Some(Err(e)) => ForwardError::Io(std::io::Error::other(e)),
            None => return ForwardError::Io(std::io::Error::other("no forwards running")),
        };
        lock(&self.shared.tasks).abort_all();
        first
    }

    /// Stops every forward at once (open connections are closed) and returns once their
    /// tasks are gone, so a `-R` route is free before the same forward is asked for again.
    /// Forwards added through a handle afterwards are refused.
    pub async fn close(self) {
        self.shared.stop.send_replace(true);
        let mut tasks = std::mem::take(&mut *lock(&self.shared.tasks));
        tasks.shutdown().await;
    }

    /// Graceful stop: `-L`/`-D` listeners close (new connections are refused), `-R`
    /// forwards are cancelled on the server, and the connections already open are served
    /// until they end or `grace` passes (then they are closed). True when all ended in time.
    /// Forwards added through a handle afterwards are refused.
    pub async fn drain(self, grace: Duration) -> bool {
        self.shared.stop.send_replace(true);
        let all = async { while self.shared.join_next().await.is_some() {} };
        let done = tokio::time::timeout(grace, all).await.is_ok();
        lock(&self.shared.tasks).abort_all();
        done
    }
}

impl Shared {
    fn stats(&self) -> Vec<(ForwardSpec, StatsSnapshot)> {
        lock(&self.entries)
            .iter()
            .map(|e| (e.ready.spec.clone(), e.stats.snapshot()))
            .collect()
    }

    fn counters(&self) -> Vec<(ForwardSpec, Arc<ForwardStats>)> {
        lock(&self.entries)
            .iter()
            .map(|e| (e.ready.spec.clone(), e.stats.clone()))
            .collect()
    }

    /// The next task to end (the lock is taken only inside each poll).
    async fn join_next(&self) -> Option<Result<ForwardError, tokio::task::JoinError>> {
        std::future::poll_fn(|cx| lock(&self.tasks).poll_join_next(cx)).await
    }
}

/// A clonable handle adding and cancelling forwards while a [`RunningForwards`] serves.
#[derive(Debug, Clone)]
pub struct ForwardHandle {
    shared: Arc<Shared>,
    slot: SessionSlot,
    routes: Arc<RemoteForwards>,
    opts: ForwardOptions,
}

impl ForwardHandle {
    /// Starts `spec` and returns where it listens (for `-R` with port 0, the allocated
    /// port). A forward already running with the same spec is not started twice: its
    /// listening details are returned (as ssh's master answers a repeated request).
    pub async fn add(&self, spec: &ForwardSpec) -> Result<ReadyForward, ForwardError> {
        if let Some(e) = lock(&self.shared.entries)
            .iter()
            .find(|e| e.ready.spec == *spec)
        {
            return Ok(e.ready.clone());
        }
        if *self.shared.stop.borrow() {
            return Err(ForwardError::Io(std::io::Error::other(
                "forwards are draining",
            )));
        }
        let started = start_one(&self.slot, &self.routes, spec, &self.opts, &self.shared);
        Ok(started.await?.0)
    }

    /// Cancels the forward started with `spec`: its listener closes (`-R`: cancelled on
    /// the server), connections already open are served to their end. False when no such
    /// forward runs.
    pub fn cancel(&self, spec: &ForwardSpec) -> bool {
        let mut entries = lock(&self.shared.entries);
        let Some(at) = entries.iter().position(|e| e.ready.spec == *spec) else {
            return false;
        };
        let entry = entries.remove(at);
        entry.cancel.send_replace(true);
        true
    }

    /// Asks the server again for every `-R` forward started through this handle, after the
    /// session slot moved to a new connection (the old one took its forwards with it):
    /// each old forward is stopped and waited for (its route is free), then requested on
    /// the slot's current session. Other forwards are untouched.
    pub async fn renew_remote(&self) -> Renewed {
        let old: Vec<Entry> = {
            let mut entries = lock(&self.shared.entries);
            let (remote, rest) = std::mem::take(&mut *entries)
                .into_iter()
                .partition(|e| e.ready.spec.is_remote());
            *entries = rest;
            remote
        };
        let mut renewed = Renewed::default();
        for mut entry in old {
            entry.cancel.send_replace(true);
            while entry.gone.changed().await.is_ok() {}
            let spec = entry.ready.spec;
            match start_one(&self.slot, &self.routes, &spec, &self.opts, &self.shared).await {
                Ok((ready, allocated)) => {
                    renewed.ready.push(ready);
                    renewed.allocated.extend(allocated);
                }
                Err(e) => renewed.failed.push((spec, e)),
            }
        }
        renewed
    }

    /// The counters of each forward that runs.
    pub fn stats(&self) -> Vec<(ForwardSpec, StatsSnapshot)> {
        self.shared.stats()
    }

    /// The live counters of each forward that runs.
    pub fn counters(&self) -> Vec<(ForwardSpec, Arc<ForwardStats>)> {
        self.shared.counters()
    }

    /// Every forward that runs, in the order they started.
    pub fn ready(&self) -> Vec<ReadyForward> {
        lock(&self.shared.entries)
            .iter()
            .map(|e| e.ready.clone())
            .collect()
    }
}

/// Completes once `stop` says true (or its sender is gone: nothing will stop us then).
async fn stopped(mut stop: watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Starts every forward in `specs` on `session` (a [`burrow::Session`], or a
/// [`SessionSlot`] whose `-L`/`-D` listeners outlive connections). `routes` must be the
/// handler installed in the session's `ClientConfig` (needed for `-R`). With `exit_on_forward_failure`, the first
/// forward that cannot be set up is returned as the error (the CLI exits 255, as ssh);
/// otherwise it is logged and listed in [`RunningForwards::failed`].
///
/// ```no_run
/// # async fn f(session: burrow::Session, routes: std::sync::Arc<burrow_forward::RemoteForwards>)
/// # -> Result<(), burrow_forward::ForwardError> {
/// use burrow_forward::{ForwardOptions, ForwardSpec, start_forwards};
/// let specs = vec![
///     ForwardSpec::parse_local("8080:localhost:80")?,
///     ForwardSpec::parse_remote("0:localhost:22")?,
///     ForwardSpec::parse_dynamic("1080")?,
/// ];
/// let running = start_forwards(&session, &routes, &specs, &ForwardOptions::default(), true).await?;
/// for line in &running.allocated {
///     eprintln!("{line}");
/// }
/// let why = running.wait().await; // the connection ended
/// # Ok(()) }
/// ```
pub async fn start_forwards(
    session: impl Into<SessionSlot>,
    routes: &Arc<RemoteForwards>,
    specs: &[ForwardSpec],
    opts: &ForwardOptions,
    exit_on_forward_failure: bool,
) -> Result<RunningForwards, ForwardError> {
    let mut running = RunningForwards {
        shared: Arc::new(Shared {
            tasks: Mutex::new(JoinSet::new()),
            stop: watch::Sender::new(false),
            entries: Mutex::new(Vec::new()),
        }),
        ready: Vec::new(),
        allocated: Vec::new(),
        failed: Vec::new(),
    };
    let slot = session.into();
    for spec in specs {
        match start_one(&slot, routes, spec, opts, &running.shared).await {
            Ok((ready, allocated)) => {
                running.ready.push(ready);
                running.allocated.extend(allocated);
            }
            Err(e) if exit_on_forward_failure => {
                lock(&running.shared.tasks).abort_all();
                return Err(e);
            }
            Err(e) => {
                tracing::warn!(error = %e, "forward not set up");
                running.failed.push((spec.clone(), e));
            }
        }
    }
    Ok(running)
}

/// Starts one forward, spawns its task into `shared` and records it; returns where it
/// listens and, for `-R` port 0, ssh's `Allocated port` line.
async fn start_one(
    slot: &SessionSlot,
    routes: &Arc<RemoteForwards>,
    spec: &ForwardSpec,
    opts: &ForwardOptions,
    shared: &Shared,
) -> Result<(ReadyForward, Option<String>), ForwardError> {
    let cancel = watch::Sender::new(false);
    // Dropped after the forward (its `-R` route is free then), whether its task ended or
    // was aborted.
    let (alive, gone) = watch::channel(());
    let (all, own) = (
        stopped(shared.stop.subscribe()),
        stopped(cancel.subscribe()),
    );
    let stop = async move {
        tokio::select! {
            () = all => {}
            () = own => {}
        }
    };
    let mut allocated = None;
    let (listen, port, stats) = match spec {
        ForwardSpec::Local(Forward { listen, .. }) | ForwardSpec::Dynamic(listen) => {
            let fwd = match spec {
                ForwardSpec::Local(f) => {
                    LocalForward::local(slot, listen, f.connect.clone(), opts).await?
                }
                _ => LocalForward::dynamic(slot, listen, opts).await?,
            };
            let bound = match (listen, fwd.local_addrs().first()) {
                (Listen::Tcp { .. }, Some(a)) => a.to_string(),
                _ => listen.to_string(),
            };
            let (port, stats) = (fwd.port(), fwd.stats());
            observe(&stats, spec, opts);
            lock(&shared.tasks).spawn(async move {
                let _alive = alive;
                fwd.run_until(stop).await
            });
            (bound, port, stats)
        }
        ForwardSpec::Remote(Forward { listen, .. }) | ForwardSpec::RemoteDynamic(listen) => {
            let connect = match spec {
                ForwardSpec::Remote(f) => Some(f.connect.clone()),
                _ => None,
            };
            let session = slot.session().await.map_err(ForwardError::SessionClosed)?;
            let fwd = RemoteForward::start(&session, routes, listen, connect, opts).await?;
            allocated = fwd.allocated_message();
            let (port, stats) = (fwd.port(), fwd.stats());
            let bound = match listen {
                Listen::Tcp { bind, .. } => {
                    format!("{}:{port}", remote_request_host(bind.as_deref()))
                }
                Listen::Unix(path) => path.clone(),
            };
            observe(&stats, spec, opts);
            lock(&shared.tasks).spawn(async move {
                let _alive = alive;
                fwd.run_until(stop).await
            });
            (bound, port, stats)
        }
    };
    let ready = ReadyForward {
        spec: spec.clone(),
        listen,
        port,
    };
    lock(&shared.entries).push(Entry {
        ready: ready.clone(),
        stats,
        cancel,
        gone,
    });
    Ok((ready, allocated))
}

/// Hands the forward's channels to the observer of `opts`, if any, before it serves.
fn observe(stats: &ForwardStats, spec: &ForwardSpec, opts: &ForwardOptions) {
    if let Some(o) = &opts.observer {
        stats.observe(spec.to_string(), o.clone());
    }
}
