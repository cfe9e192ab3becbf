//! Running a set of parsed forwards with one call, with ssh's ExitOnForwardFailure.

use std::sync::Arc;
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
    tasks: JoinSet<ForwardError>,
    stop: watch::Sender<bool>,
    stats: Vec<(ForwardSpec, Arc<ForwardStats>)>,
    /// Every forward that is listening, in spec order.
    pub ready: Vec<ReadyForward>,
    /// `Allocated port N for remote forward to host:hostport` lines, in spec order.
    pub allocated: Vec<String>,
    /// Forwards that failed to start (only without ExitOnForwardFailure), with the reason.
    pub failed: Vec<(ForwardSpec, ForwardError)>,
}

impl RunningForwards {
    /// The counters of each running forward.
    pub fn stats(&self) -> Vec<(ForwardSpec, StatsSnapshot)> {
        self.stats
            .iter()
            .map(|(s, st)| (s.clone(), st.snapshot()))
            .collect()
    }

    /// The live counters of each running forward (for a metrics page).
    pub fn counters(&self) -> &[(ForwardSpec, Arc<ForwardStats>)] {
        &self.stats
    }

    /// Waits until the forwards end (the SSH connection died): closes everything and
    /// returns the first reason.
    pub async fn wait(mut self) -> ForwardError {
        let first = match self.tasks.join_next().await {
            Some(Ok(e)) => e,
            Some(Err(e)) => ForwardError::Io(std::io::Error::other(e)),
            None => return ForwardError::Io(std::io::Error::other("no forwards running")),
        };
        self.tasks.abort_all();
        first
    }

    /// Stops every forward at once (open connections are closed) and returns once their
    /// tasks are gone, so a `-R` route is free before the same forward is asked for again.
    pub async fn close(mut self) {
        self.tasks.shutdown().await;
    }

    /// Graceful stop: `-L`/`-D` listeners close (new connections are refused), `-R`
    /// forwards are cancelled on the server, and the connections already open are served
    /// until they end or `grace` passes (then they are closed). True when all ended in time.
    pub async fn drain(mut self, grace: Duration) -> bool {
        self.stop.send_replace(true);
        let all = async { while self.tasks.join_next().await.is_some() {} };
        let done = tokio::time::timeout(grace, all).await.is_ok();
        self.tasks.abort_all();
        done
    }
}

/// Completes once `stop` says true (or its sender is gone: nothing will stop us then).
async fn stopped(mut stop: watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Starts every forward in `specs` on `session` (a [`burrow::Session`], or a
/// [`SessionSlot`] whose `-L`/`-D` listeners outlive connections). `routes` must be the handler installed in
/// the session's `ClientConfig` (needed for `-R`). With `exit_on_forward_failure`, the first
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
        tasks: JoinSet::new(),
        stop: watch::Sender::new(false),
        stats: Vec::new(),
        ready: Vec::new(),
        allocated: Vec::new(),
        failed: Vec::new(),
    };
    let slot = session.into();
    for spec in specs {
        let started = start_one(&slot, routes, spec, opts, &mut running).await;
        if let Err(e) = started {
            if exit_on_forward_failure {
                running.tasks.abort_all();
                return Err(e);
            }
            tracing::warn!(error = %e, "forward not set up");
            running.failed.push((spec.clone(), e));
        }
    }
    Ok(running)
}

async fn start_one(
    slot: &SessionSlot,
    routes: &Arc<RemoteForwards>,
    spec: &ForwardSpec,
    opts: &ForwardOptions,
    running: &mut RunningForwards,
) -> Result<(), ForwardError> {
    let stop = stopped(running.stop.subscribe());
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
            running.tasks.spawn(fwd.run_until(stop));
            (bound, port, stats)
        }
        ForwardSpec::Remote(Forward { listen, .. }) | ForwardSpec::RemoteDynamic(listen) => {
            let connect = match spec {
                ForwardSpec::Remote(f) => Some(f.connect.clone()),
                _ => None,
            };
            let session = slot.session().await.map_err(ForwardError::SessionClosed)?;
            let fwd = RemoteForward::start(&session, routes, listen, connect, opts).await?;
            running.allocated.extend(fwd.allocated_message());
            let (port, stats) = (fwd.port(), fwd.stats());
            let bound = match listen {
                Listen::Tcp { bind, .. } => {
                    format!("{}:{port}", remote_request_host(bind.as_deref()))
                }
                Listen::Unix(path) => path.clone(),
            };
            observe(&stats, spec, opts);
            running.tasks.spawn(fwd.run_until(stop));
            (bound, port, stats)
        }
    };
    running.stats.push((spec.clone(), stats));
    running.ready.push(ReadyForward {
        spec: spec.clone(),
        listen,
        port,
    });
    Ok(())
}

/// Hands the forward's channels to the observer of `opts`, if any, before it serves.
fn observe(stats: &ForwardStats, spec: &ForwardSpec, opts: &ForwardOptions) {
    if let Some(o) = &opts.observer {
        stats.observe(spec.to_string(), o.clone());
    }
}
