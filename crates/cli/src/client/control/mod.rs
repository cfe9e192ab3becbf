//! Connection sharing as OpenSSH's multiplexing does it (PROTOCOL.mux): a master listens
//! on ControlPath; `burrow -O ...` and `burrow -W` talk to it (or to an `ssh -M` master).

mod client;
pub mod codec;
mod fdio;
mod fwd;
mod listener;
mod server;
mod stream;

use std::path::Path;
use std::time::Duration;

use burrow_forward::{ForwardOptions, RemoteForwards, RunningForwards, SessionSlot};

pub use client::{MuxCommand, command, stdio};
pub use server::{Master, MasterEnd};

use crate::config::client::ClientSettings;
use crate::config::control::ControlPersist;
use listener::{ControlListener, ListenError};
use server::MasterContext;

/// Starts the master of `settings` (ControlMaster yes/ask/auto/autoask with a
/// ControlPath) once the connection and its forwards are up; `session` is the connection
/// (a swappable slot with Reconnect) that `-O forward` and `-W` use. `Ok(None)`: not a master, or
/// another socket holds the path (ssh's "already exists, disabling multiplexing").
/// `Err`: the message to print before exiting 255 (an unsafe directory, a failed bind).
pub fn start_master(
    settings: &ClientSettings,
    session: &SessionSlot,
    routes: &std::sync::Arc<RemoteForwards>,
    running: &RunningForwards,
    opts: &ForwardOptions,
    metrics: &std::sync::Arc<crate::metrics::Metrics>,
) -> Result<Option<Master>, String> {
    let Some(path) = settings.control_path.as_deref() else {
        return Ok(None);
    };
    if !settings.control_master.is_master() {
        return Ok(None);
    }
    let uid = nix::unistd::geteuid().as_raw();
    let listener = match ControlListener::bind(Path::new(path), uid) {
        Ok(l) => l,
        Err(e @ ListenError::Exists(_)) => {
            eprintln!("{e}");
            return Ok(None);
        }
        Err(e) => return Err(e.to_string()),
    };
    tracing::debug!("control master listening on {path}");
    let idle = match settings.control_persist {
        ControlPersist::Idle(d) => Some(d),
        _ => None,
    };
    let ctx = MasterContext {
        forwards: running.handle(session.clone(), routes.clone(), opts.clone()),
        session: session.clone(),
        ask: settings.control_master.asks(),
        metrics: metrics.clone(),
    };
    // A child made by ControlPersist (not by -f, which keeps its output, nor one running
    // a command, which ControlPersist does not background).
    if persists(settings) && super::background::is_child() && !settings.fork_after_authentication {
        detach_stdio(settings.log_level >= crate::config::value::LogLevel::Debug1);
    }
    Ok(Some(Master::spawn(listener, ctx, idle)))
}

/// A ControlPersist master in the background lets go of the terminal or pipes it was
/// started with (stdout, and stderr unless debugging), as ssh's stdfd_devnull, so that
/// whoever reads them sees their end when the starting command exits.
fn detach_stdio(keep_stderr: bool) {
    let null = match std::fs::OpenOptions::new().write(true).open("/dev/null") {
        Ok(f) => f,
        Err(e) => {
            tracing::error!("/dev/null: {e}");
            return;
        }
    };
    if let Err(e) = nix::unistd::dup2_stdout(&null) {
        tracing::error!("stdout to /dev/null: {e}");
    }
    if !keep_stderr {
        if let Err(e) = nix::unistd::dup2_stderr(&null) {
            tracing::error!("stderr to /dev/null: {e}");
        }
    }
}

/// Whether this invocation goes to the background once its master listens
/// (ControlPersist yes or a time, as ssh's control_persist_detach).
pub fn persists(settings: &ClientSettings) -> bool {
    settings.control_master.is_master()
        && settings.control_path.is_some()
        && settings.control_persist != ControlPersist::No
}

/// With ControlPersist and `-W`, as ssh: the master goes to the background and this process
/// does the `-W` through it. The socket path and the target, when that is the case.
pub fn stdio_after_persist(
    args: &crate::args::ClientArgs,
    settings: &ClientSettings,
) -> Option<(std::path::PathBuf, burrow_forward::Connect)> {
    if !persists(settings) {
        return None;
    }
    let target = burrow_forward::parse_stdio(args.stdio.as_deref()?).ok()?;
    Some((settings.control_path.as_deref()?.into(), target))
}

/// Completes when `master` should end the session: `-O exit`, `-O stop` (unless
/// `running_command`: then the command decides), or ControlPersist's idle time passed.
/// Never completes without a master.
pub async fn master_done(master: &mut Option<Master>, running_command: bool) -> MasterEnd {
    let Some(m) = master else {
        return std::future::pending().await;
    };
    loop {
        match m.done().await {
            MasterEnd::Stopped if running_command => std::future::pending::<()>().await,
            end => return end,
        }
    }
}

/// How often an idle ControlPersist master looks at its clients and connections.
pub const IDLE_TICK: Duration = Duration::from_secs(1);

/// The exit status after `end`: 255 for `-O exit` and `-O stop` (as ssh), 0 when
/// ControlPersist's idle time passed.
pub fn end_status(end: MasterEnd) -> i32 {
    match end {
        MasterEnd::Terminated | MasterEnd::Stopped => crate::client::EXIT_FAILURE,
        MasterEnd::Idle => 0,
    }
}

/// The `disconnected` event's reason after `end`.
pub fn end_reason(end: MasterEnd) -> &'static str {
    match end {
        MasterEnd::Terminated => "control master: exit requested (-O exit)",
        MasterEnd::Stopped => "control master stopped (-O stop)",
        MasterEnd::Idle => "control master idle (ControlPersist)",
    }
}
