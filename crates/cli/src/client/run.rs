//! After the connection is up: forwards, `-W`, a remote command, `-f`, and shutdown on
//! SIGINT/SIGTERM or when the connection ends.

use std::sync::Arc;
use std::time::Duration;

use burrow::{Channel, ExitInfo, Session};
use burrow_forward::{
    ForwardOptions, RemoteForwards, RunningForwards, parse_stdio, start_forwards, stdio_forward,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::signal::unix::{SignalKind, signal};

use super::events::Events;
use super::reconnect::{self, Context};
use super::{EXIT_FAILURE, background, connect};
use crate::args::ClientArgs;
use crate::config::client::ClientSettings;
use crate::config::value::LogLevel;
use crate::metrics::Metrics;

/// Connects and does what the command line asks; returns the exit status.
pub async fn run(
    args: &ClientArgs,
    settings: ClientSettings,
    jumps: Vec<ClientSettings>,
    level: LogLevel,
) -> i32 {
    let events = match &args.events {
        Some(path) => match Events::open(path) {
            Ok(e) => e,
            Err(e) => {
                eprintln!(
                    "burrow: cannot open events file {path}: {}",
                    crate::sys::strerror(&e)
                );
                return EXIT_FAILURE;
            }
        },
        None => Events::default(),
    };
    let metrics = Metrics::new();
    if let Some(addr) = settings.metrics_listen {
        if let Err(e) = crate::metrics::start(addr, metrics.clone()).await {
            let e = crate::sys::strerror(&e);
            eprintln!("burrow: MetricsListen {addr}: cannot listen: {e}");
            return EXIT_FAILURE;
        }
    }
    let code = run_with_events(args, settings, jumps, level, (&events, &metrics)).await;
    events.finish().await;
    code
}

/// How a session ended: on its own, or by a signal (then the forwards are drained).
enum End {
    Status(i32),
    Signal(&'static str),
    /// `-O stop` on a master without a command: drain, then 255 as ssh.
    MuxStopped,
}

async fn run_with_events(
    args: &ClientArgs,
    settings: ClientSettings,
    jumps: Vec<ClientSettings>,
    level: LogLevel,
    (events, metrics): (&Events, &Arc<Metrics>),
) -> i32 {
    let routes = RemoteForwards::new();
    let connected = match connect::connect_chain(&settings, &jumps, routes.clone()).await {
        Ok(c) => c,
        Err(f) => {
            events.disconnected(f.lines.first().map_or("connection failed", String::as_str));
            for line in f.lines {
                eprintln!("{line}");
            }
            return EXIT_FAILURE;
        }
    };
    events.connected(&settings.host_name, settings.port);
    metrics.session_up("", connected.session.downgrade());
    let command =
        (!settings.session_none && !args.command.is_empty()).then(|| args.command.join(" "));
    let opts = ForwardOptions {
        gateway_ports: settings.gateway_ports,
        permit_remote_open: settings.permit_remote_open.clone(),
        observer: args.events.is_some().then(|| Arc::new(events.clone()) as _),
        ..ForwardOptions::default()
    };
    // Forwarding only, with Reconnect or optional forwards: the supervisor keeps them.
    let supervised = settings.reconnect.is_some() || !settings.optional_forwards.is_empty();
    if supervised && command.is_none() && args.stdio.is_none() {
        let ctx = Context {
            settings: &settings,
            jumps: &jumps,
            routes,
            opts,
            events: events.clone(),
            metrics: metrics.clone(),
            level,
            grace: Duration::from_secs(args.drain_grace),
        };
        return reconnect::serve(&ctx, connected, &mut Signals::new()).await;
    }
    let (session, _jump_sessions, _proxy) = (connected.session, connected.jumps, connected.proxy);
    // Past an untrusted host key no forward is set up (ssh's "Port forwarding is disabled").
    let forwards = if connected.untrusted {
        &[][..]
    } else {
        &settings.forwards[..]
    };
    // With ControlPersist the background master leaves -W to its parent (a mux client).
    let stdio_here = !(background::is_child() && super::control::persists(&settings));
    if let Some(target) = args.stdio.as_ref().filter(|_| stdio_here) {
        let code = stdio(&session, target).await;
        events.disconnected("stdio forwarding ended");
        return code;
    }
    // Every forward is tried, so that each failure is reported; ExitOnForwardFailure then
    // ends the session on the first one, as ssh.
    let running = match start_forwards(&session, &routes, forwards, &opts, false).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("burrow: {e}");
            events.disconnected(&e.to_string());
            session.disconnect().await;
            return EXIT_FAILURE;
        }
    };
    for (spec, e) in &running.failed {
        events.forward_failed(spec, &e.to_string());
    }
    let required = |(spec, _): &&(_, _)| !settings.optional_forwards.contains(spec);
    if let Some((_, e)) = running.failed.iter().find(required) {
        if settings.exit_on_forward_failure {
            eprintln!("burrow: {e}");
            events.disconnected("forward failed (ExitOnForwardFailure)");
            running.drain(Duration::ZERO).await;
            session.disconnect().await;
            return EXIT_FAILURE;
        }
    }
    for ready in &running.ready {
        events.forward_ready(ready);
    }
    for (spec, stats) in running.counters() {
        metrics.add_forward("", &spec.to_string(), stats);
    }
    if level >= LogLevel::Info {
        for line in &running.allocated {
            eprintln!("{line}");
        }
    }
    let mut master = match super::control::start_master(
        &settings,
        &(&session).into(),
        &routes,
        &running,
        &opts,
        metrics,
    ) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            running.drain(Duration::ZERO).await;
            session.disconnect().await;
            return EXIT_FAILURE;
        }
    };
    background::report_ready();
    let ran_command = command.is_some();
    let end = match command {
        Some(cmd) => tokio::select! {
            code = exec(&session, &cmd, settings.stdin_null || settings.fork_after_authentication) => End::Status(code),
            sig = shutdown_signal() => End::Signal(sig),
            end = super::control::master_done(&mut master, true) => master_end(end),
        },
        None => tokio::select! {
            // The forwards serve in the background and end with the connection.
            e = session.closed() => {
                tracing::debug!("connection ended: {e}");
                report_end(&e, &settings);
                events.disconnected(&e.to_string());
                End::Status(EXIT_FAILURE)
            }
            sig = shutdown_signal() => End::Signal(sig),
            end = super::control::master_done(&mut master, false) => master_end(end),
        },
    };
    drop(master);
    let status = match end {
        End::Status(code) => {
            if ran_command {
                events.disconnected("command exited");
            }
            code
        }
        End::Signal(sig) => {
            drain(running, sig, Duration::from_secs(args.drain_grace)).await;
            events.disconnected(&format!("received {sig}"));
            // Drained on request: success, unlike ssh's 255 (documented in --help).
            0
        }
        End::MuxStopped => {
            drain(running, "-O stop", Duration::from_secs(args.drain_grace)).await;
            events.disconnected(super::control::end_reason(
                super::control::MasterEnd::Stopped,
            ));
            EXIT_FAILURE
        }
    };
    session.disconnect().await;
    status
}

/// How a control master's request ends the session: `-O exit` at once with 255 (as ssh),
/// `-O stop` by draining the forwards, ControlPersist's idle time with 0.
fn master_end(end: super::control::MasterEnd) -> End {
    match end {
        super::control::MasterEnd::Terminated => End::Status(EXIT_FAILURE),
        super::control::MasterEnd::Stopped => End::MuxStopped,
        super::control::MasterEnd::Idle => End::Status(0),
    }
}

/// After SIGTERM/SIGINT: stop accepting, cancel `-R`, let open connections finish for
/// `grace`; a second signal ends the wait at once.
async fn drain(running: RunningForwards, sig: &str, grace: Duration) {
    tracing::debug!("received {sig}, draining the forwards for up to {grace:?}");
    tokio::select! {
        done = running.drain(grace) => {
            if !done {
                tracing::info!("connections still open after {grace:?}; closing them");
            }
        }
        again = shutdown_signal() => tracing::debug!("received {again} while draining; exiting"),
    }
}

/// ssh's message for a connection that ended on its own.
pub(super) fn report_end(e: &burrow::Error, settings: &ClientSettings) {
    let host = &settings.host_name;
    match &*e.kind {
        burrow::ErrorKind::LocallyClosed => {}
        burrow::ErrorKind::KeepaliveTimeout { .. } => {
            eprintln!("Timeout, server {host} not responding.");
        }
        burrow::ErrorKind::PeerDisconnected { .. } => {
            for line in connect::failure(e, settings).lines {
                eprintln!("{line}");
            }
        }
        _ => eprintln!("Connection to {host} closed by remote host."),
    }
}

/// `-W host:port`: stdin and stdout joined to a direct-tcpip channel.
async fn stdio(session: &Session, target: &str) -> i32 {
    let target = match parse_stdio(target) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("burrow: {e}");
            return EXIT_FAILURE;
        }
    };
    let result = stdio_forward(session, &target, tokio::io::stdin(), tokio::io::stdout()).await;
    session.disconnect().await;
    match result {
        Ok(_) => 0,
        // The program on the other side of our stdio (ssh with a ProxyCommand) went away.
        Err(burrow_forward::ForwardError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(burrow_forward::ForwardError::Io(e)) => {
            eprintln!("burrow: stdio forwarding: {}", crate::sys::strerror(&e));
            EXIT_FAILURE
        }
        Err(e) => {
            eprintln!("channel 0: open failed: {e}");
            eprintln!("stdio forwarding failed");
            EXIT_FAILURE
        }
    }
}

/// Runs `cmd` on the server: stdin to it (unless `-n`), its stdout and stderr to ours; its
/// exit status becomes ours (255 for a signal or no status, as ssh).
async fn exec(session: &Session, cmd: &str, null_stdin: bool) -> i32 {
    let mut channel = match session.exec(cmd).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("burrow: exec request failed: {e}");
            return EXIT_FAILURE;
        }
    };
    let mut stdin = if null_stdin {
        send_eof(&channel);
        None
    } else {
        Some(tokio::io::stdin())
    };
    let mut stdout = tokio::io::stdout();
    let mut stderr = tokio::io::stderr();
    let (mut buf, mut inbuf) = (vec![0u8; 32 << 10], vec![0u8; 32 << 10]);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        tokio::select! {
            n = channel.read(&mut buf) => {
                let Some(chunk) = n.ok().filter(|&n| n > 0).and_then(|n| buf.get(..n)) else {
                    break;
                };
                if stdout.write_all(chunk).await.is_err() || stdout.flush().await.is_err() {
                    break;
                }
            }
            n = read_opt(&mut stdin, &mut inbuf) => {
                match n.ok().filter(|&n| n > 0).and_then(|n| inbuf.get(..n)) {
                    Some(chunk) => {
                        if channel.write_all(chunk).await.is_err() {
                            stdin = None;
                        }
                    }
                    None => {
                        stdin = None;
                        send_eof(&channel);
                    }
                }
            }
            _ = tick.tick() => copy_stderr(&channel, &mut stderr).await,
        }
    }
    copy_stderr(&channel, &mut stderr).await;
    let exit = channel.exit_status().await;
    copy_stderr(&channel, &mut stderr).await;
    match exit {
        Some(ExitInfo::Status(code)) => i32::try_from(code & 0xff).unwrap_or(EXIT_FAILURE),
        Some(ExitInfo::Signal(sig)) => {
            eprintln!(
                "burrow: remote command killed by signal {}",
                burrow::peer_text::line(&sig)
            );
            EXIT_FAILURE
        }
        None => EXIT_FAILURE,
    }
}

fn send_eof(channel: &Channel) {
    if let Err(e) = channel.send_eof() {
        tracing::debug!("eof to the command: {e}");
    }
}

/// Reads stdin while it is open; never completes once it is closed.
async fn read_opt(stdin: &mut Option<tokio::io::Stdin>, buf: &mut [u8]) -> std::io::Result<usize> {
    match stdin {
        Some(s) => s.read(buf).await,
        None => std::future::pending().await,
    }
}

async fn copy_stderr(channel: &Channel, stderr: &mut tokio::io::Stderr) {
    let data = channel.take_stderr();
    // tokio writes stderr on a blocking thread: without the flush a write still in flight is
    // lost when the runtime shuts down without waiting for its blocking threads.
    if !data.is_empty() && (stderr.write_all(&data).await.is_err() || stderr.flush().await.is_err())
    {
        tracing::debug!("stderr closed");
    }
}

/// Waits for SIGINT or SIGTERM; names the one that came.
async fn shutdown_signal() -> &'static str {
    Signals::new().recv().await
}

/// SIGINT and SIGTERM listeners kept across waits (none is lost between two waits).
pub(super) struct Signals {
    int_term: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    /// Starts listening.
    pub(super) fn new() -> Self {
        let int_term = match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(i), Ok(t)) => Some((i, t)),
            _ => None,
        };
        Self { int_term }
    }

    /// Waits for SIGINT or SIGTERM; names the one that came.
    pub(super) async fn recv(&mut self) -> &'static str {
        let Some((int, term)) = &mut self.int_term else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        }
    }
}
