//! Forwarding that survives the connection (`Reconnect yes`) and optional forwards (`?spec`):
//! `-L`/`-D` listeners bound once on a swappable session, `-R` asked again on each new
//! connection, re-dials with jittered backoff, and background retries of optional forwards.

use std::sync::Arc;
use std::time::Duration;

use burrow_forward::{
    ForwardError, ForwardHandle, ForwardOptions, ForwardSpec, RemoteForwards, RunningForwards,
    SessionSlot, start_forwards,
};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::backoff::Backoff;
use super::connect::{self, Connected};
use super::control::{self, Master};
use super::events::Events;
use super::run::{Signals, report_end};
use super::{EXIT_FAILURE, background};
use crate::config::client::{ClientSettings, ReconnectPolicy};
use crate::config::value::LogLevel;
use crate::metrics::Metrics;

/// Backoff cap for retrying optional forwards when Reconnect is off.
const OPTIONAL_RETRY_MAX: Duration = Duration::from_secs(60);

/// What every part of the supervisor needs.
pub struct Context<'a> {
    /// The destination's settings.
    pub settings: &'a ClientSettings,
    /// The jump hosts'.
    pub jumps: &'a [ClientSettings],
    /// The handler routing `-R` channels, installed in every connection.
    pub routes: Arc<RemoteForwards>,
    /// Options for every forward.
    pub opts: ForwardOptions,
    /// `--events`.
    pub events: Events,
    /// MetricsListen and `-O stats`: the counters.
    pub metrics: Arc<Metrics>,
    /// LogLevel (the Allocated port lines show at INFO).
    pub level: LogLevel,
    /// `--drain-grace`.
    pub grace: Duration,
}

/// Forwards started together, and the optional ones still being retried.
struct Group {
    running: RunningForwards,
    retries: JoinSet<()>,
}

impl Group {
    /// Graceful stop (SIGTERM): the retries stop (draining what they set up) and so do the
    /// running forwards, concurrently, within `grace`.
    async fn drain(self, stop: &watch::Sender<bool>, grace: Duration) {
        stop.send_replace(true);
        let Self {
            running,
            mut retries,
        } = self;
        let all = async move {
            running.drain(grace).await;
            while retries.join_next().await.is_some() {}
        };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::debug!("forwards still draining after {grace:?}");
        }
    }

    /// Immediate stop: every task is gone when this returns.
    async fn close(mut self) {
        self.retries.shutdown().await;
        self.running.close().await;
    }
}

/// Reports what `running` set up: ready events and the Allocated port lines.
fn report_ready(ctx: &Context<'_>, running: &RunningForwards) {
    for ready in &running.ready {
        ctx.events.forward_ready(ready);
    }
    count(&ctx.metrics, running);
    if ctx.level >= LogLevel::Info {
        for line in &running.allocated {
            eprintln!("{line}");
        }
    }
}

/// Asks again for the `-R` forwards added through the control socket: ready events, the
/// Allocated port lines and counters as for the command line's; a refused one is reported
/// and dropped (a later `-O forward` can ask again).
async fn renew_added(ctx: &Context<'_>, added: &ForwardHandle) {
    let renewed = added.renew_remote().await;
    for (spec, e) in &renewed.failed {
        tracing::info!("forward {spec} added through the control socket not set up again: {e}");
        ctx.events.forward_failed(spec, &e.to_string());
    }
    for ready in &renewed.ready {
        ctx.events.forward_ready(ready);
    }
    for (spec, stats) in added.counters() {
        if renewed.ready.iter().any(|r| r.spec == spec) {
            ctx.metrics.add_forward("", &spec.to_string(), stats);
        }
    }
    if ctx.level >= LogLevel::Info {
        for line in &renewed.allocated {
            eprintln!("{line}");
        }
    }
}

/// Counts the forwards of `running` in `metrics` (a forward set up again adds to its own).
fn count(metrics: &Metrics, running: &RunningForwards) {
    for (spec, stats) in running.counters() {
        metrics.add_forward("", &spec.to_string(), stats);
    }
}

/// Starts `specs` on `slot`: the forwards that fail and are optional are retried in the
/// background; a required one that fails ends everything under ExitOnForwardFailure (Err),
/// and is otherwise retried too after a reconnect (`reconnected`; nothing else would bring
/// it back), or left out on the first connection, as ssh.
async fn start_group(
    ctx: &Context<'_>,
    slot: &SessionSlot,
    specs: &[ForwardSpec],
    stop: &watch::Sender<bool>,
    reconnected: bool,
) -> Result<Group, ()> {
    let mut running = match start_forwards(slot, &ctx.routes, specs, &ctx.opts, false).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("burrow: {e}");
            return Err(());
        }
    };
    let mut retries = JoinSet::new();
    for (spec, e) in std::mem::take(&mut running.failed) {
        ctx.events.forward_failed(&spec, &e.to_string());
        let optional = ctx.settings.optional_forwards.contains(&spec);
        let fatal = !optional && ctx.settings.exit_on_forward_failure;
        if !fatal && (optional || reconnected) {
            tracing::info!("forward {spec} not set up ({e}); retrying in the background");
            let max = ctx
                .settings
                .reconnect
                .map_or(OPTIONAL_RETRY_MAX, |p| p.max_delay);
            let retry = Retry {
                slot: slot.clone(),
                spec,
                routes: ctx.routes.clone(),
                opts: ctx.opts.clone(),
                events: ctx.events.clone(),
                metrics: ctx.metrics.clone(),
                level: ctx.level,
                stop: stop.subscribe(),
                grace: ctx.grace,
            };
            retries.spawn(retry.run(max));
        } else if fatal {
            eprintln!("burrow: {e}");
            running.close().await;
            retries.shutdown().await;
            return Err(());
        }
    }
    report_ready(ctx, &running);
    Ok(Group { running, retries })
}

/// One optional forward tried again with backoff until it is up; then served until `stop`.
struct Retry {
    slot: SessionSlot,
    spec: ForwardSpec,
    routes: Arc<RemoteForwards>,
    opts: ForwardOptions,
    events: Events,
    metrics: Arc<Metrics>,
    level: LogLevel,
    stop: watch::Receiver<bool>,
    grace: Duration,
}

impl Retry {
    async fn run(mut self, max: Duration) {
        let mut backoff = Backoff::new(max);
        loop {
            let delay = backoff.next_random();
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = self.stop.wait_for(|s| *s) => return,
            }
            let specs = std::slice::from_ref(&self.spec);
            match start_forwards(&self.slot, &self.routes, specs, &self.opts, true).await {
                Ok(running) => {
                    tracing::info!("optional forward {} is up", self.spec);
                    for ready in &running.ready {
                        self.events.forward_ready(ready);
                    }
                    count(&self.metrics, &running);
                    if self.level >= LogLevel::Info {
                        for line in &running.allocated {
                            eprintln!("{line}");
                        }
                    }
                    // Serves until stopped; the connection's end ends the whole task.
                    if self.stop.wait_for(|s| *s).await.is_ok() {
                        running.drain(self.grace).await;
                    }
                    return;
                }
                Err(ForwardError::SessionClosed(_)) => return,
                Err(e) => tracing::debug!(
                    "optional forward {} (attempt {}): {e}",
                    self.spec,
                    backoff.attempt()
                ),
            }
        }
    }
}

/// Serves the forwards of `first` (no command, no `-W`) until a signal, or until the
/// connection ends and cannot come back (Reconnect off, a permanent failure, or
/// ReconnectAttempts used up). Returns the exit status.
pub async fn serve(ctx: &Context<'_>, first: Connected, signals: &mut Signals) -> i32 {
    let forwards: &[ForwardSpec] = if first.untrusted {
        &[]
    } else {
        &ctx.settings.forwards
    };
    let (locals, remotes): (Vec<ForwardSpec>, Vec<ForwardSpec>) =
        forwards.iter().cloned().partition(|f| !f.is_remote());
    let stop = watch::Sender::new(false);
    let slot = SessionSlot::swappable();
    slot.set(&first.session);
    let mut connected = first;
    let local = match start_group(ctx, &slot, &locals, &stop, false).await {
        Ok(g) => g,
        Err(()) => return fail(ctx, &connected, "forward failed (ExitOnForwardFailure)").await,
    };
    let master = control::start_master(
        ctx.settings,
        &slot,
        &ctx.routes,
        &local.running,
        &ctx.opts,
        &ctx.metrics,
    );
    let mut master = match master {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            local.close().await;
            return fail(ctx, &connected, "control socket not set up").await;
        }
    };
    // `-R` forwards added through the control socket live with the listeners; they are
    // asked for again after each reconnect, as the command line's are.
    let added = local
        .running
        .handle(slot.clone(), ctx.routes.clone(), ctx.opts.clone());
    let mut reported = false;
    loop {
        let session_slot = SessionSlot::from(&connected.session);
        let remote = match start_group(ctx, &session_slot, &remotes, &stop, reported).await {
            Ok(g) => g,
            Err(()) => {
                local.close().await;
                return fail(ctx, &connected, "forward failed (ExitOnForwardFailure)").await;
            }
        };
        if !reported {
            background::report_ready();
            reported = true;
        }
        let why = tokio::select! {
            e = connected.session.closed() => e,
            sig = signals.recv() => {
                drain(ctx, &stop, local, remote, signals).await;
                ctx.events.disconnected(&format!("received {sig}"));
                connected.session.disconnect().await;
                return 0;
            }
            end = control::master_done(&mut master, false) => {
                let code = control::end_status(end);
                if end == control::MasterEnd::Stopped {
                    drain(ctx, &stop, local, remote, signals).await;
                }
                ctx.events.disconnected(control::end_reason(end));
                connected.session.disconnect().await;
                return code;
            }
        };
        tracing::debug!("connection ended: {why}");
        report_end(&why, ctx.settings);
        ctx.events.disconnected(&why.to_string());
        slot.set_down();
        remote.close().await;
        let Some(policy) = ctx.settings.reconnect else {
            slot.end(why);
            local.close().await;
            return EXIT_FAILURE;
        };
        match redial(ctx, policy, signals, &mut master).await {
            Ok(c) => {
                connected = c;
                slot.set(&connected.session);
                ctx.metrics.reconnected();
                ctx.metrics.session_up("", connected.session.downgrade());
                ctx.events
                    .connected(&ctx.settings.host_name, ctx.settings.port);
                renew_added(ctx, &added).await;
            }
            Err(code) => {
                slot.end(why);
                local.close().await;
                return code;
            }
        }
    }
}

/// ExitOnForwardFailure: the session ends with 255.
async fn fail(ctx: &Context<'_>, connected: &Connected, reason: &str) -> i32 {
    ctx.events.disconnected(reason);
    connected.session.disconnect().await;
    EXIT_FAILURE
}

/// After SIGINT/SIGTERM: every forward drains within the grace; a second signal ends at once.
async fn drain(
    ctx: &Context<'_>,
    stop: &watch::Sender<bool>,
    local: Group,
    remote: Group,
    signals: &mut Signals,
) {
    let both = async {
        tokio::join!(local.drain(stop, ctx.grace), remote.drain(stop, ctx.grace));
    };
    tokio::select! {
        () = both => {}
        again = signals.recv() => tracing::debug!("received {again} while draining; exiting"),
    }
}

/// Dials again with backoff until connected, or returns the exit status after a permanent
/// failure, the attempt limit, or a signal (then 0, as a drain with nothing open).
async fn redial(
    ctx: &Context<'_>,
    policy: ReconnectPolicy,
    signals: &mut Signals,
    master: &mut Option<Master>,
) -> Result<Connected, i32> {
    let host = &ctx.settings.host_name;
    let mut backoff = Backoff::new(policy.max_delay);
    loop {
        if policy.attempts.is_some_and(|max| backoff.attempt() >= max) {
            eprintln!(
                "burrow: giving up on {host} after {} reconnect attempts",
                backoff.attempt()
            );
            return Err(EXIT_FAILURE);
        }
        let delay = backoff.next_random();
        let attempt = backoff.attempt();
        ctx.events.reconnecting(attempt, delay);
        if ctx.level >= LogLevel::Info {
            eprintln!(
                "Reconnecting to {host} in {:.1}s (attempt {attempt})",
                delay.as_secs_f64()
            );
        }
        let dialed = tokio::select! {
            c = async {
                tokio::time::sleep(delay).await;
                connect::connect_chain(ctx.settings, ctx.jumps, ctx.routes.clone()).await
            } => c,
            sig = signals.recv() => {
                ctx.events.disconnected(&format!("received {sig}"));
                return Err(0);
            }
            end = control::master_done(master, false) => {
                ctx.events.disconnected(control::end_reason(end));
                return Err(control::end_status(end));
            }
        };
        match dialed {
            Ok(c) if c.untrusted => {
                eprintln!("burrow: the host key of {host} changed; not reconnecting");
                ctx.events.disconnected("host key changed");
                c.session.disconnect().await;
                return Err(EXIT_FAILURE);
            }
            Ok(c) => return Ok(c),
            Err(f) => {
                let reason = f.lines.first().cloned().unwrap_or_default();
                for line in &f.lines {
                    eprintln!("{line}");
                }
                if f.permanent {
                    eprintln!("burrow: not reconnecting to {host}");
                    ctx.events.disconnected(&reason);
                    return Err(EXIT_FAILURE);
                }
            }
        }
    }
}
