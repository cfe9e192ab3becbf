//! The master side of the control socket: accepts mux clients and answers their requests
//! (alive check, terminate, stop listening, open/close forward, stdio forward, stats) with
//! OpenSSH's replies and reasons.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use burrow_forward::{
    Connect, ForwardHandle, ForwardSpec, Listen, Origin, SessionSlot, open_direct,
};
use tokio::sync::watch;

use super::codec::{Message, STATS_EXTENSION, VERSION};
use super::fwd::{failure_reason, from_wire};
use super::listener::ControlListener;
use super::stream::{MuxStream, ReadError};

/// The most mux clients served at once; more are closed at accept.
pub const MAX_CLIENTS: usize = 64;

/// What a master's requests act on.
#[derive(Debug)]
pub struct MasterContext {
    /// Adds and cancels forwards on the connection.
    pub forwards: ForwardHandle,
    /// The SSH connection (stdio forwards open channels on it); with Reconnect, the
    /// current one.
    pub session: SessionSlot,
    /// ControlMaster ask/autoask: burrow never prompts, so every request that would ask
    /// (forward, cancel, stdio forward, terminate, stop) is refused as ssh refuses it when
    /// no askpass answers.
    pub ask: bool,
    /// The metrics page, which counts forwards added at run time too.
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// A running master: its listener task, the terminate request of a client, and the
/// ControlPersist idle limit.
#[derive(Debug)]
pub struct Master {
    end: watch::Receiver<Option<MasterEnd>>,
    task: tokio::task::JoinHandle<()>,
    shared: Arc<Shared>,
    idle: Option<Duration>,
    path: std::path::PathBuf,
}

impl Master {
    /// Serves `listener` in the background; with `idle`, [`Master::done`] completes once
    /// no mux client and no forwarded connection has been open for that long.
    pub fn spawn(listener: ControlListener, ctx: MasterContext, idle: Option<Duration>) -> Self {
        let (tx, end) = watch::channel(None);
        let shared = Arc::new(Shared {
            ctx,
            end: tx,
            stop_listening: tokio::sync::Notify::new(),
            clients: AtomicUsize::new(0),
        });
        let path = listener.path().to_path_buf();
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Self {
            end,
            task,
            shared,
            idle,
            path,
        }
    }

    /// Completes when a client sent `-O exit` or `-O stop`, or the idle time passed.
    pub async fn done(&mut self) -> MasterEnd {
        let idle = self.idle;
        let shared = self.shared.clone();
        tokio::select! {
            r = self.end.wait_for(Option::is_some) => match r.ok().and_then(|e| *e) {
                Some(end) => end,
                None => std::future::pending().await,
            },
            () = idle_for(shared, idle) => {
                tracing::debug!("ControlPersist: idle for {idle:?}, exiting");
                MasterEnd::Idle
            }
        }
    }
}

/// Why a master's session should end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasterEnd {
    /// `-O exit`: at once (ssh then exits 255).
    Terminated,
    /// `-O stop`: the socket is gone; without a command, finish the open connections and
    /// exit (ssh's client_stop_mux for a session-less master).
    Stopped,
    /// ControlPersist's idle time passed.
    Idle,
}

/// Completes once nothing used the master for `limit` (never without a limit).
async fn idle_for(shared: Arc<Shared>, limit: Option<Duration>) {
    let Some(limit) = limit else {
        return std::future::pending().await;
    };
    let mut idle = Duration::ZERO;
    loop {
        tokio::time::sleep(super::IDLE_TICK).await;
        let busy = shared.clients.load(Ordering::Relaxed) > 0
            || shared
                .ctx
                .forwards
                .stats()
                .iter()
                .any(|(_, st)| st.active > 0);
        idle = if busy {
            Duration::ZERO
        } else {
            idle.saturating_add(super::IDLE_TICK)
        };
        if idle >= limit {
            return;
        }
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        self.task.abort();
        // The listener unlinks its path when the aborted task drops it, which may be after
        // the runtime is gone: remove it now (unless `-O stop` did already).
        if self
            .shared
            .end
            .borrow()
            .is_some_and(|e| e == MasterEnd::Stopped)
        {
            return;
        }
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::debug!("unlink {}: {e}", self.path.display());
        }
    }
}

#[derive(Debug)]
struct Shared {
    ctx: MasterContext,
    end: watch::Sender<Option<MasterEnd>>,
    stop_listening: tokio::sync::Notify,
    clients: AtomicUsize,
}

async fn accept_loop(listener: ControlListener, shared: Arc<Shared>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = shared.stop_listening.notified() => {
                tracing::debug!("control socket {}: stopped listening", listener.path().display());
                return;
            }
        };
        let stream = match accepted {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("control socket accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if shared.clients.fetch_add(1, Ordering::Relaxed) >= MAX_CLIENTS {
            shared.clients.fetch_sub(1, Ordering::Relaxed);
            tracing::error!("control socket: more than {MAX_CLIENTS} clients, closing one");
            continue;
        }
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut s = MuxStream::new(stream);
            match serve_client(&mut s, &shared).await {
                Ok(()) | Err(ReadError::Closed) => {}
                Err(e) => tracing::error!("control client: {e}"),
            }
            shared.clients.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// What to do after a reply.
enum Next {
    Continue,
    Close,
}

async fn serve_client(s: &mut MuxStream, shared: &Shared) -> Result<(), ReadError> {
    let hello = Message::Hello {
        version: VERSION,
        extensions: vec![(STATS_EXTENSION.to_owned(), String::new())],
    };
    s.send(&hello).await.map_err(ReadError::Io)?;
    match s.recv().await? {
        Message::Hello { version, .. } if version == VERSION => {}
        Message::Hello { version, .. } => {
            tracing::error!("control client speaks mux version {version}, not {VERSION}");
            return Ok(());
        }
        other => {
            tracing::error!("control client: expected MUX_MSG_HELLO, received {other:?}");
            return Ok(());
        }
    }
    loop {
        let m = s.recv().await?;
        if let Next::Close = handle(s, shared, m).await? {
            return Ok(());
        }
    }
}

fn denied(id: u32) -> Message {
    Message::PermissionDenied {
        id,
        reason: "Permission denied".to_owned(),
    }
}

fn failure(id: u32, reason: &str) -> Message {
    Message::Failure {
        id,
        reason: reason.to_owned(),
    }
}

async fn handle(s: &mut MuxStream, shared: &Shared, m: Message) -> Result<Next, ReadError> {
    let ctx = &shared.ctx;
    let (reply, next) = match m {
        Message::AliveCheck { id } => (
            Message::Alive {
                id,
                pid: std::process::id(),
            },
            Next::Continue,
        ),
        Message::Terminate { id } if ctx.ask => (denied(id), Next::Continue),
        Message::Terminate { id } => {
            s.send(&Message::Ok { id }).await.map_err(ReadError::Io)?;
            shared.end.send_replace(Some(MasterEnd::Terminated));
            return Ok(Next::Close);
        }
        Message::StopListening { id } if ctx.ask => (denied(id), Next::Continue),
        Message::StopListening { id } => {
            shared.stop_listening.notify_one();
            s.send(&Message::Ok { id }).await.map_err(ReadError::Io)?;
            if shared.end.borrow().is_none() {
                shared.end.send_replace(Some(MasterEnd::Stopped));
            }
            return Ok(Next::Close);
        }
        Message::OpenForward { id, fwd } => (open_forward(ctx, id, &fwd).await, Next::Continue),
        Message::CloseForward { id, fwd } => (close_forward(ctx, id, &fwd), Next::Continue),
        Message::StdioForward { id, host, port } => return stdio(s, ctx, id, host, port).await,
        Message::Stats { id } => (
            Message::StatsReply {
                id,
                json: stats_json(&ctx.forwards),
            },
            Next::Continue,
        ),
        Message::NewSession { id } => {
            // ssh passes stdin, stdout and stderr after the request: take them off the
            // stream (and close them) so the next packet is read whole.
            drop(s.recv_fds(3).await?);
            (
                failure(id, "burrow masters do not open sessions"),
                Next::Continue,
            )
        }
        Message::Hello { .. } => {
            tracing::error!("control client sent a second MUX_MSG_HELLO");
            return Ok(Next::Close);
        }
        Message::Unsupported { kind, id } => {
            tracing::error!("control client: unsupported mux message 0x{kind:08x}");
            (failure(id, "unsupported request"), Next::Continue)
        }
        other => {
            tracing::error!("control client sent a master's message: {other:?}");
            return Ok(Next::Close);
        }
    };
    s.send(&reply).await.map_err(ReadError::Io)?;
    Ok(next)
}

async fn open_forward(ctx: &MasterContext, id: u32, fwd: &super::codec::MuxForward) -> Message {
    let Some(spec) = from_wire(fwd) else {
        tracing::info!("invalid forwarding request {fwd:?}");
        return failure(id, "Invalid forwarding request");
    };
    if ctx.ask {
        return denied(id);
    }
    tracing::debug!("control client requests {spec}");
    let existed = ctx.forwards.ready().iter().any(|r| r.spec == spec);
    match ctx.forwards.add(&spec).await {
        Ok(ready) => {
            if !existed {
                count(ctx, &spec);
            }
            added_reply(id, &spec, ready.port)
        }
        Err(e) => {
            tracing::info!("requested {spec} failed: {e}");
            failure(id, &failure_reason(&spec))
        }
    }
}

/// A new forward's counters go on the metrics page, as the command line's do.
fn count(ctx: &MasterContext, spec: &ForwardSpec) {
    let counters = ctx.forwards.counters();
    if let Some((_, stats)) = counters.into_iter().find(|(s, _)| s == spec) {
        ctx.metrics.add_forward("", &spec.to_string(), stats);
    }
}

/// `MUX_S_REMOTE_PORT` for a `-R` that asked for port 0, else `MUX_S_OK`.
fn added_reply(id: u32, spec: &ForwardSpec, port: u16) -> Message {
    match spec {
        ForwardSpec::Remote(burrow_forward::Forward {
            listen: Listen::Tcp { port: 0, .. },
            ..
        })
        | ForwardSpec::RemoteDynamic(Listen::Tcp { port: 0, .. }) => Message::RemotePort {
            id,
            port: u32::from(port),
        },
        _ => Message::Ok { id },
    }
}

fn close_forward(ctx: &MasterContext, id: u32, fwd: &super::codec::MuxForward) -> Message {
    let Some(spec) = from_wire(fwd) else {
        return failure(id, "port not forwarded");
    };
    if ctx.ask {
        return denied(id);
    }
    if ctx.forwards.cancel(&spec) {
        tracing::debug!("control client cancelled {spec}");
        Message::Ok { id }
    } else {
        failure(id, "port not forwarded")
    }
}

/// `MUX_C_NEW_STDIO_FWD`: the client's stdin and stdout joined to a channel; the mux
/// connection closes when the channel does.
async fn stdio(
    s: &mut MuxStream,
    ctx: &MasterContext,
    id: u32,
    host: String,
    port: u32,
) -> Result<Next, ReadError> {
    let fds = s.recv_fds(2).await?;
    let mut fds = fds.into_iter();
    let (Some(input), Some(output)) = (fds.next(), fds.next()) else {
        let reply = failure(id, "did not receive file descriptors");
        s.send(&reply).await.map_err(ReadError::Io)?;
        return Ok(Next::Close);
    };
    let target = match u16::try_from(port) {
        Ok(_) if ctx.ask => {
            s.send(&denied(id)).await.map_err(ReadError::Io)?;
            return Ok(Next::Close);
        }
        Ok(port) => Connect::Tcp { host, port },
        Err(_) => {
            let m = failure(id, "invalid connect port");
            s.send(&m).await.map_err(ReadError::Io)?;
            return Ok(Next::Close);
        }
    };
    let (input, output) = match (super::fdio::reader(input), super::fdio::writer(output)) {
        (Ok(i), Ok(o)) => (i, o),
        (Err(e), _) | (_, Err(e)) => {
            let m = failure(id, &format!("cannot use the passed descriptors: {e}"));
            s.send(&m).await.map_err(ReadError::Io)?;
            return Ok(Next::Close);
        }
    };
    let session = match ctx.session.session().await {
        Ok(s) => s,
        Err(e) => {
            let m = failure(id, &format!("the connection has ended: {e}"));
            s.send(&m).await.map_err(ReadError::Io)?;
            return Ok(Next::Close);
        }
    };
    let channel = match open_direct(&session, &target, None).await {
        Ok(c) => c,
        Err(e) => {
            tracing::info!("stdio forward to {target}: {e}");
            let m = failure(id, "Session open refused by peer");
            s.send(&m).await.map_err(ReadError::Io)?;
            return Ok(Next::Close);
        }
    };
    let opened = Message::SessionOpened { id, session: 0 };
    s.send(&opened).await.map_err(ReadError::Io)?;
    let stats = burrow_forward::ForwardStats::new();
    let local = tokio::io::join(input, output);
    // The client waits for us to close; its own end closing (a signal) ends it too.
    tokio::select! {
        r = burrow_forward::join(local, channel, &stats, Origin::Stream) => {
            if let Err(e) = r {
                tracing::debug!("stdio forward to {target}: {e}");
            }
        }
        _ = s.recv() => {}
    }
    Ok(Next::Close)
}

/// `-O stats`: the master's pid and each forward's counters (every field of
/// [`burrow_forward::StatsSnapshot`], with its spec, listen address and port), one JSON
/// object.
pub fn stats_json(forwards: &ForwardHandle) -> String {
    let ready = forwards.ready();
    let list: Vec<serde_json::Value> = forwards
        .stats()
        .into_iter()
        .map(|(spec, st)| {
            let r = ready.iter().find(|r| r.spec == spec);
            let mut v = serde_json::to_value(st).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("spec".to_owned(), spec.to_string().into());
                o.insert("listen".to_owned(), r.map(|r| r.listen.clone()).into());
                o.insert("port".to_owned(), r.map(|r| r.port).into());
            }
            v
        })
        .collect();
    serde_json::json!({ "pid": std::process::id(), "forwards": list }).to_string()
}
