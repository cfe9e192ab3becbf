//! The mux client: `burrow -S path -O check|forward|cancel|exit|stop|stats` and
//! `burrow -S path -W host:port` through a master (burrow's or OpenSSH's), with ssh's
//! messages and exit statuses.

use std::io::Write;
use std::os::fd::AsFd;
use std::path::Path;

use burrow_forward::{Connect, ForwardSpec};
use tokio::net::UnixStream;

use super::codec::{Message, STATS_EXTENSION, VERSION};
use super::fwd::to_wire;
use super::stream::MuxStream;
use crate::client::EXIT_FAILURE;

/// A `-O` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MuxCommand {
    /// `check`: is the master alive, and its pid.
    Check,
    /// `forward`: add the command line's forwards to the master.
    Forward,
    /// `cancel`: cancel them.
    Cancel,
    /// `exit`: the master exits.
    Exit,
    /// `stop`: the master stops accepting mux clients.
    Stop,
    /// `stats` (burrow's): the master's forward counters as JSON on stdout.
    Stats,
}

impl MuxCommand {
    /// The `-O` argument, or `None` (ssh: "Invalid multiplex command.").
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "check" => MuxCommand::Check,
            "forward" => MuxCommand::Forward,
            "cancel" => MuxCommand::Cancel,
            "exit" => MuxCommand::Exit,
            "stop" => MuxCommand::Stop,
            "stats" => MuxCommand::Stats,
            _ => return None,
        })
    }
}

/// A failed mux exchange: the line to print (ssh's wording); the exit status is 255.
#[derive(Debug)]
struct Fatal(String);

/// One mux client connection after the hello exchange.
struct Client {
    s: MuxStream,
    next_id: u32,
    extensions: Vec<(String, String)>,
}

impl Client {
    async fn connect(path: &Path) -> Result<Self, std::io::Error> {
        UnixStream::connect(path).await.map(|sock| Self {
            s: MuxStream::new(sock),
            next_id: 0,
            extensions: Vec::new(),
        })
    }

    async fn hello(&mut self) -> Result<(), Fatal> {
        let ours = Message::Hello {
            version: VERSION,
            extensions: Vec::new(),
        };
        self.s
            .send(&ours)
            .await
            .map_err(|e| io_fatal("master hello exchange failed: write", &e))?;
        match self.s.recv().await {
            Ok(Message::Hello {
                version,
                extensions,
            }) if version == VERSION => {
                self.extensions = extensions;
                Ok(())
            }
            Ok(Message::Hello { version, .. }) => Err(Fatal(format!(
                "Unsupported multiplexing protocol version {version} (expected {VERSION})"
            ))),
            Ok(other) => Err(Fatal(format!("master sent {other:?} instead of a hello"))),
            Err(e) => Err(Fatal(format!("master hello exchange failed: {e}"))),
        }
    }

    /// Sends a request built with the next id; returns the reply and that id.
    async fn request(&mut self, make: impl FnOnce(u32) -> Message) -> Result<Message, Fatal> {
        let id = self.next_id;
        self.s
            .send(&make(id))
            .await
            .map_err(|e| io_fatal("write packet", &e))?;
        let reply = self
            .s
            .recv()
            .await
            .map_err(|e| Fatal(format!("read from master failed: {e}")))?;
        if let Some(theirs) = reply_id(&reply) {
            if theirs != id {
                return Err(Fatal(format!(
                    "out of sequence reply: my id {id} theirs {theirs}"
                )));
            }
        }
        self.next_id = self.next_id.wrapping_add(1);
        Ok(reply)
    }

    async fn alive(&mut self) -> Result<u32, Fatal> {
        match self.request(|id| Message::AliveCheck { id }).await? {
            Message::Alive { pid, .. } => Ok(pid),
            other => Err(unexpected("master alive check failed", &other)),
        }
    }
}

fn reply_id(m: &Message) -> Option<u32> {
    match m {
        Message::Ok { id }
        | Message::PermissionDenied { id, .. }
        | Message::Failure { id, .. }
        | Message::Alive { id, .. }
        | Message::SessionOpened { id, .. }
        | Message::RemotePort { id, .. }
        | Message::StatsReply { id, .. } => Some(*id),
        _ => None,
    }
}

fn io_fatal(what: &str, e: &std::io::Error) -> Fatal {
    Fatal(format!("{what}: {}", crate::sys::strerror(e)))
}

fn unexpected(what: &str, m: &Message) -> Fatal {
    match m {
        Message::Failure { reason, .. } | Message::PermissionDenied { reason, .. } => {
            Fatal(format!("{what}: {}", burrow::peer_text::line(reason)))
        }
        other => Fatal(format!("{what}: unexpected response from master {other:?}")),
    }
}

/// `ssh -O cmd`: runs `cmd` against the master at `path`; returns the exit status.
pub async fn command(path: &Path, cmd: MuxCommand, forwards: &[ForwardSpec], quiet: bool) -> i32 {
    let mut client = match Client::connect(path).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "Control socket connect({}): {}",
                path.display(),
                crate::sys::strerror(&e)
            );
            return EXIT_FAILURE;
        }
    };
    match run(&mut client, cmd, forwards, quiet).await {
        Ok(code) => code,
        Err(Fatal(line)) => {
            eprintln!("{line}");
            EXIT_FAILURE
        }
    }
}

async fn run(
    client: &mut Client,
    cmd: MuxCommand,
    forwards: &[ForwardSpec],
    quiet: bool,
) -> Result<i32, Fatal> {
    client.hello().await?;
    match cmd {
        MuxCommand::Check => {
            let pid = client.alive().await?;
            eprintln!("Master running (pid={pid})");
        }
        MuxCommand::Exit => {
            match client.request(|id| Message::Terminate { id }).await {
                // The master may be gone before its reply is read (as ssh, not an error).
                Ok(Message::Ok { .. }) | Err(_) => {}
                Ok(Message::PermissionDenied { reason, .. }) => {
                    return Err(Fatal(format!(
                        "Master refused termination request: {}",
                        burrow::peer_text::line(&reason)
                    )));
                }
                Ok(other) => return Err(unexpected("termination request failed", &other)),
            }
            if !quiet {
                eprintln!("Exit request sent.");
            }
        }
        MuxCommand::Stop => {
            match client.request(|id| Message::StopListening { id }).await? {
                Message::Ok { .. } => {}
                Message::PermissionDenied { reason, .. } => {
                    return Err(Fatal(format!(
                        "Master refused stop listening request: {}",
                        burrow::peer_text::line(&reason)
                    )));
                }
                other => return Err(unexpected("stop listening request failed", &other)),
            }
            if !quiet {
                eprintln!("Stop listening request sent.");
            }
        }
        MuxCommand::Forward | MuxCommand::Cancel => {
            let cancel = cmd == MuxCommand::Cancel;
            let mut ok = true;
            for spec in forwards {
                ok &= forward(client, spec, cancel).await?;
            }
            if !ok && !cancel {
                return Err(Fatal("master forward request failed".to_owned()));
            }
            if !ok {
                eprintln!("master cancel forward request failed");
            }
        }
        MuxCommand::Stats => {
            if !client.extensions.iter().any(|(n, _)| n == STATS_EXTENSION) {
                return Err(Fatal(
                    "the master does not answer -O stats (not a burrow master)".to_owned(),
                ));
            }
            match client.request(|id| Message::Stats { id }).await? {
                Message::StatsReply { json, .. } => println!("{json}"),
                other => return Err(unexpected("stats request failed", &other)),
            }
        }
    }
    Ok(0)
}

/// One `MUX_C_OPEN_FWD` or `MUX_C_CLOSE_FWD`; false (after ssh's message) when refused.
async fn forward(client: &mut Client, spec: &ForwardSpec, cancel: bool) -> Result<bool, Fatal> {
    let fwd = to_wire(spec);
    let reply = client
        .request(|id| match cancel {
            true => Message::CloseForward { id, fwd },
            false => Message::OpenForward { id, fwd },
        })
        .await?;
    match reply {
        Message::Ok { .. } => Ok(true),
        Message::RemotePort { port, .. } if !cancel => {
            tracing::debug!("Allocated port {port} for {spec}");
            println!("{port}");
            if let Err(e) = std::io::stdout().flush() {
                tracing::debug!("stdout: {e}");
            }
            Ok(true)
        }
        Message::PermissionDenied { reason, .. } => {
            eprintln!(
                "Master refused forwarding request: {}",
                burrow::peer_text::line(&reason)
            );
            Ok(false)
        }
        Message::Failure { reason, .. } => {
            eprintln!(
                "forwarding request failed: {}",
                burrow::peer_text::line(&reason)
            );
            Ok(false)
        }
        other => Err(unexpected("forwarding request failed", &other)),
    }
}

/// `-W host:port` through the master at `path`. `None` when no master answers there (the
/// caller connects itself, as ssh); otherwise the exit status.
pub async fn stdio(path: &Path, target: &Connect) -> Option<i32> {
    let mut client = match Client::connect(path).await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!("Control socket {}: {e}", path.display());
            return None;
        }
    };
    if let Err(Fatal(line)) = client.hello().await {
        tracing::error!("{line}");
        return None;
    }
    Some(match stdio_session(&mut client, target).await {
        Ok(code) => code,
        Err(Fatal(line)) => {
            eprintln!("{line}");
            EXIT_FAILURE
        }
    })
}

async fn stdio_session(client: &mut Client, target: &Connect) -> Result<i32, Fatal> {
    let Connect::Tcp { host, port } = target else {
        return Err(Fatal(
            "stdio forwarding to a unix socket through a master is not supported".to_owned(),
        ));
    };
    client.alive().await?;
    let id = client.next_id;
    let m = Message::StdioForward {
        id,
        host: host.clone(),
        port: u32::from(*port),
    };
    client
        .s
        .send(&m)
        .await
        .map_err(|e| io_fatal("write packet", &e))?;
    for fd in [std::io::stdin().as_fd(), std::io::stdout().as_fd()] {
        client
            .s
            .send_fd(fd)
            .await
            .map_err(|e| io_fatal("send fds failed", &e))?;
    }
    match client.s.recv().await {
        Ok(Message::SessionOpened { .. }) => {}
        Ok(Message::PermissionDenied { reason, .. }) => {
            return Err(Fatal(format!(
                "Master refused stdio forwarding request: {}",
                burrow::peer_text::line(&reason)
            )));
        }
        Ok(Message::Failure { reason, .. }) => {
            return Err(Fatal(format!(
                "Stdio forwarding request failed: {}",
                burrow::peer_text::line(&reason)
            )));
        }
        Ok(other) => return Err(unexpected("stdio forwarding", &other)),
        Err(e) => return Err(Fatal(format!("read from master failed: {e}"))),
    }
    // The master does the forwarding; it closes the socket when the channel closes.
    loop {
        match client.s.recv().await {
            Ok(m) => tracing::debug!("master sent {m:?} during a stdio forward"),
            Err(_) => return Ok(0),
        }
    }
}
