//! Running a set of parsed forwards with one call, with ssh's ExitOnForwardFailure.

use std::sync::Arc;

use burrow::Session;
use tokio::task::JoinSet;

use crate::error::ForwardError;
use crate::local::{ForwardOptions, LocalForward};
use crate::remote::RemoteForwards;
use crate::remote_forward::RemoteForward;
use crate::spec::ForwardSpec;
use crate::stats::{ForwardStats, StatsSnapshot};

/// Forwards set up by [`start_forwards`], all serving in the background.
#[derive(Debug)]
pub struct RunningForwards {
    tasks: JoinSet<ForwardError>,
    stats: Vec<(ForwardSpec, Arc<ForwardStats>)>,
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
}

/// Starts every forward in `specs` on `session`. `routes` must be the handler installed in
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
    session: &Session,
    routes: &Arc<RemoteForwards>,
    specs: &[ForwardSpec],
    opts: &ForwardOptions,
    exit_on_forward_failure: bool,
) -> Result<RunningForwards, ForwardError> {
    let mut running = RunningForwards {
        tasks: JoinSet::new(),
        stats: Vec::new(),
        allocated: Vec::new(),
        failed: Vec::new(),
    };
    for spec in specs {
        let started = start_one(session, routes, spec, opts, &mut running).await;
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
    session: &Session,
    routes: &Arc<RemoteForwards>,
    spec: &ForwardSpec,
    opts: &ForwardOptions,
    running: &mut RunningForwards,
) -> Result<(), ForwardError> {
    match spec {
        ForwardSpec::Local(f) => {
            let fwd = LocalForward::local(session, &f.listen, f.connect.clone(), opts).await?;
            running.stats.push((spec.clone(), fwd.stats()));
            running.tasks.spawn(fwd.run());
        }
        ForwardSpec::Dynamic(listen) => {
            let fwd = LocalForward::dynamic(session, listen, opts).await?;
            running.stats.push((spec.clone(), fwd.stats()));
            running.tasks.spawn(fwd.run());
        }
        ForwardSpec::Remote(f) => {
            let fwd =
                RemoteForward::start(session, routes, &f.listen, Some(f.connect.clone()), opts)
                    .await?;
            running.allocated.extend(fwd.allocated_message());
            running.stats.push((spec.clone(), fwd.stats()));
            running.tasks.spawn(fwd.run());
        }
        ForwardSpec::RemoteDynamic(listen) => {
            let fwd = RemoteForward::start(session, routes, listen, None, opts).await?;
            running.allocated.extend(fwd.allocated_message());
            running.stats.push((spec.clone(), fwd.stats()));
            running.tasks.spawn(fwd.run());
        }
    }
    Ok(())
}
