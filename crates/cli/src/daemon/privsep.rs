//! Privilege separation when burrowd runs as root: the listener accepts and runs burrowd
//! again for each connection (the socket as stdin, as sshd runs sshd-session). That
//! process is a monitor (`session`): it runs the SSH protocol in a sandboxed child
//! (`protocol`, `sandbox`) and serves its broker requests (`monitor`), becoming the logged-in user for good once it
//! has verified the login, before a single forward is served. The listener counts unauthenticated connections (MaxStartups,
//! PerSourceMaxStartups) until the process reports the login with one byte on a pipe.
//! With MetricsListen, the same pipe then carries the connection's counters, one line each
//! (`R<user>\t<json>`), which the listener shows per user.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};

use burrow::MaxStartups;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rand_core::RngCore;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{DRAIN_GRACE, EXIT_FAILURE, privdrop};
use crate::metrics::{Metrics, Reports};
use crate::sys::lookup_user;

/// The byte a per-connection process writes to its stdout once the client authenticated.
const LOGGED_IN: u8 = b'A';

/// Connection numbers for the counters the processes report.
static NEXT_CONN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// What the listener enforces before handing a connection on; SIGHUP replaces it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// MaxStartups.
    pub max_startups: MaxStartups,
    /// PerSourceMaxStartups: unauthenticated connections per source address (`None`: no limit).
    pub per_source: Option<u32>,
}

/// Unauthenticated connections, in total and per source address.
#[derive(Default)]
struct Startups {
    total: usize,
    per_source: HashMap<IpAddr, u32>,
}

/// Shared by the accept loops and the per-child tasks.
struct Listener {
    exe: PathBuf,
    argv: Vec<String>,
    limits: Mutex<Limits>,
    startups: Mutex<Startups>,
    /// MetricsListen: where the connection processes' counters go.
    metrics: Option<Arc<Metrics>>,
}

/// One unauthenticated connection counted; dropping it uncounts it.
struct Startup {
    listener: Arc<Listener>,
    ip: IpAddr,
}

impl Drop for Startup {
    fn drop(&mut self) {
        let mut s = self
            .listener
            .startups
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        s.total = s.total.saturating_sub(1);
        if let Some(n) = s.per_source.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                s.per_source.remove(&self.ip);
            }
        }
    }
}

impl Listener {
    /// Counts a new connection from `peer`, or says why it is dropped.
    fn admit(self: &Arc<Self>, peer: SocketAddr) -> Result<Startup, String> {
        let ip = canonical(peer.ip());
        let limits = *self.limits.lock().unwrap_or_else(PoisonError::into_inner);
        let mut s = self.startups.lock().unwrap_or_else(PoisonError::into_inner);
        let roll = rand_core::OsRng.next_u32() % 100;
        if limits.max_startups.should_drop(s.total, roll) {
            return Err(format!("past MaxStartups ({} unauthenticated)", s.total));
        }
        let mine = s.per_source.get(&ip).copied().unwrap_or(0);
        if limits.per_source.is_some_and(|max| mine >= max) {
            return Err(format!("past PerSourceMaxStartups ({mine} from {ip})"));
        }
        s.total = s.total.saturating_add(1);
        s.per_source.insert(ip, mine.saturating_add(1));
        Ok(Startup {
            listener: self.clone(),
            ip,
        })
    }
}

/// IPv4-mapped IPv6 addresses count as their IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Runs the root listener on `listeners` until SIGTERM/SIGINT; `argv` (without the program
/// name) is what each per-connection burrowd gets, plus `--session`.
pub async fn listen(
    listeners: Vec<TcpListener>,
    argv: Vec<String>,
    limits: Limits,
    metrics: Option<Arc<Metrics>>,
    reload: impl Fn() -> Option<Limits>,
) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("cannot find burrowd's own executable: {e}");
            return EXIT_FAILURE;
        }
    };
    let listener = Arc::new(Listener {
        exe,
        argv,
        limits: Mutex::new(limits),
        startups: Mutex::new(Startups::default()),
        metrics,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut loops = JoinSet::new();
    for l in listeners {
        loops.spawn(accept_loop(l, listener.clone(), stop_rx.clone()));
    }
    let sig = super::wait_for_stop(|| {
        if let Some(l) = reload() {
            *listener
                .limits
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = l;
        }
    })
    .await;
    tracing::info!("Received signal {sig}; terminating.");
    let _ignored = stop_tx.send(true);
    // Each loop ends once its children have drained.
    while loops.join_next().await.is_some() {}
    0
}

async fn accept_loop(tcp: TcpListener, listener: Arc<Listener>, mut stop: watch::Receiver<bool>) {
    let mut children = JoinSet::new();
    // Kept open so that `accept` can always take a connection off the queue to close it,
    // even when the process has no descriptor left (EMFILE).
    let mut reserve = std::fs::File::open("/dev/null").ok();
    loop {
        let accepted = tokio::select! {
            r = tcp.accept() => r,
            _ = stop.changed() => break,
        };
        while children.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) if matches!(e.raw_os_error(), Some(24 | 23)) => {
                drop(reserve.take());
                if let Ok((s, peer)) = tcp.accept().await {
                    tracing::error!("accept: {e}; dropped the connection from {peer}");
                    drop(s);
                }
                reserve = std::fs::File::open("/dev/null").ok();
                continue;
            }
            Err(e) => {
                tracing::warn!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let startup = match listener.admit(peer) {
            Ok(s) => s,
            Err(why) => {
                tracing::info!(
                    "drop connection from {} port {}: {why}",
                    peer.ip(),
                    peer.port()
                );
                continue;
            }
        };
        match spawn_session(&listener, stream) {
            Ok(child) => {
                let metrics = listener.metrics.clone();
                children.spawn(watch_child(child, (startup, metrics), stop.clone()));
            }
            Err(e) => tracing::error!("cannot start a process for {peer}: {e}"),
        }
    }
    drop(tcp);
    while children.join_next().await.is_some() {}
}

/// Runs `burrowd <argv> --session` with the socket as its stdin and a pipe as its stdout.
fn spawn_session(
    listener: &Listener,
    stream: tokio::net::TcpStream,
) -> std::io::Result<tokio::process::Child> {
    let std_stream = stream.into_std()?;
    std_stream.set_nonblocking(false)?;
    let fd: OwnedFd = std_stream.into();
    tokio::process::Command::new(&listener.exe)
        .args(&listener.argv)
        .arg("--session")
        .stdin(Stdio::from(fd))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(false)
        .spawn()
}

/// Uncounts the connection when the child reports the login (or ends), reaps it, and
/// passes SIGTERM on when the listener stops.
async fn watch_child(
    mut child: tokio::process::Child,
    (startup, metrics): (Startup, Option<Arc<Metrics>>),
    mut stop: watch::Receiver<bool>,
) {
    let mut startup = Some(startup);
    let conn = NEXT_CONN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut reports = Reports::after(LOGGED_IN);
    let pid = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .map(Pid::from_raw);
    let mut out = child.stdout.take();
    let mut buf = [0u8; 4096];
    let mut stopping = false;
    // A process that outlives its drain (stopped, or ignoring SIGTERM: after the drop its
    // user may signal it) is killed, so that the listener always exits.
    let mut kill_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            r = async {
                match out.as_mut() {
                    Some(o) => o.read(&mut buf).await,
                    None => std::future::pending().await,
                }
            } => match r {
                Ok(n) if n > 0 => {
                    let got = buf.get(..n).unwrap_or_default();
                    if let Some(m) = &metrics {
                        reports.feed(got, |user, snapshot| m.report(conn, user, snapshot));
                    }
                    if got.contains(&LOGGED_IN) {
                        startup = None;
                    }
                }
                _ => {
                    out = None;
                    startup = None;
                }
            },
            _ = child.wait() => break,
            r = stop.changed(), if !stopping => {
                stopping = true;
                if r.is_ok() {
                    if let Some(pid) = pid {
                        // The child is not reaped before `wait` returns, so the pid is its.
                        let _ignored = kill(pid, Signal::SIGTERM);
                    }
                    let grace = DRAIN_GRACE.saturating_add(std::time::Duration::from_secs(2));
                    kill_at = Some(tokio::time::Instant::now() + grace);
                }
            }
            () = async {
                match kill_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => {
                kill_at = None;
                tracing::info!("connection process {pid:?} still running after the drain; killed");
                let _ignored = child.start_kill();
            }
        }
    }
    drop(startup);
    if let Some(m) = &metrics {
        m.report_ended(conn);
    }
}

/// In a per-connection process after the login: passes the protocol process's counters
/// (`json`, one line of JSON) to the listener, for `user`.
pub fn report_to_listener(user: &str, json: &str) {
    let Some(line) = crate::metrics::report_line(user, json) else {
        tracing::debug!("counters report dropped: not one line");
        return;
    };
    use std::io::Write;
    let mut out = std::io::stdout();
    if let Err(e) = out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
        tracing::debug!("cannot report counters to the listener: {e}");
    }
}

/// After authentication in a per-connection process: becomes `user` for good, then tells
/// the listener the connection no longer counts as unauthenticated.
pub fn become_logged_in_user(user: &str) -> std::io::Result<()> {
    let account =
        lookup_user(user).ok_or_else(|| std::io::Error::other(format!("no user {user:?}")))?;
    privdrop::become_user(&account)?;
    tracing::debug!(
        "serving {user} as uid {} gid {} from now on",
        account.uid,
        account.gid
    );
    use std::io::Write;
    let mut out = std::io::stdout();
    if let Err(e) = out.write_all(&[LOGGED_IN]).and_then(|()| out.flush()) {
        tracing::debug!("cannot report the login to the listener: {e}");
    }
    Ok(())
}
