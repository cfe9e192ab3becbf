//! The matrix's peers: one server per pairing and cipher, one client holding every forward
//! the pairing can do, and the `-W` stdio run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use burrow_testkit::asyncssh::{AsyncSshClient, AsyncSshServer, algs};
use burrow_testkit::burrow::{Burrowd, burrow_command};
use burrow_testkit::dropbear::{Dropbear, dbclient_command};
use burrow_testkit::keys::{keygen, known_hosts_line, pub_path, public_key_text, to_dropbear};
use burrow_testkit::proc::Proc;
use burrow_testkit::sshd::{Sshd, ssh_command};
use burrow_testkit::targets::{echo_tcp, echo_unix, stdio_round_trip, wait_port, wait_unix};
use burrow_testkit::{TempDir, find_binary, free_port, local_user};

use super::{Cipher, ClientKind, Mode, ServerKind};

/// Keys and targets shared by every cell.
pub struct Fixture {
    /// Keeps the keys and the unix echo socket.
    pub _dir: TempDir,
    /// The client key in OpenSSH format (ed25519) and in Dropbear's format.
    pub key: PathBuf,
    pub key_dropbear: PathBuf,
    /// The `authorized_keys` text that lets `key` in.
    pub authorized: String,
    /// burrowd's host key (ed25519).
    pub burrowd_host: PathBuf,
    /// The TCP echo port and unix echo socket.
    pub echo: u16,
    pub echo_unix: PathBuf,
    pub user: String,
}

impl Fixture {
    pub fn new() -> Option<Fixture> {
        let dir = TempDir::new("matrix");
        let key = dir.join("client");
        keygen("ed25519", &key);
        let key_dropbear = dir.join("client.dropbear");
        to_dropbear(&key, &key_dropbear)?;
        let authorized = public_key_text(&pub_path(&key)) + "\n";
        let burrowd_host = dir.join("burrowd_host");
        keygen("ed25519", &burrowd_host);
        let unix_path = dir.join("echo.sock");
        echo_unix(&unix_path);
        Some(Fixture {
            echo: echo_tcp(),
            key,
            key_dropbear,
            authorized,
            burrowd_host,
            echo_unix: unix_path,
            user: local_user(),
            _dir: dir,
        })
    }
}

/// A running server of any kind.
pub enum Server {
    Sshd(Sshd),
    Burrowd(Burrowd),
    Dropbear(Dropbear),
    AsyncSsh(AsyncSshServer),
}

impl Server {
    /// Starts `kind` offering only `cipher` (where the server can be told), with `extra`
    /// config lines for sshd and burrowd. `None`: a peer is missing (CI unset).
    pub fn start(
        fx: &Fixture,
        kind: ServerKind,
        cipher: &Cipher,
        extra: &[String],
    ) -> Option<Server> {
        let mut lines = vec![format!("Ciphers {}", cipher.cipher)];
        if let Some(mac) = cipher.mac {
            lines.push(format!("MACs {mac}"));
        }
        lines.extend(extra.iter().cloned());
        Some(match kind {
            ServerKind::Sshd => Server::Sshd(Sshd::start(&fx.authorized, "ed25519", &lines)?),
            ServerKind::Burrowd => {
                lines.push("AllowStreamLocalForwarding yes".into());
                Server::Burrowd(Burrowd::start(&fx.burrowd_host, &fx.authorized, &lines))
            }
            ServerKind::Dropbear => {
                Server::Dropbear(Dropbear::start(&fx.authorized, "ed25519", &[])?)
            }
            ServerKind::AsyncSsh => Server::AsyncSsh(AsyncSshServer::start(
                &fx.authorized,
                "ed25519",
                &algs("", cipher.cipher, cipher.mac),
            )?),
        })
    }

    pub fn port(&self) -> u16 {
        match self {
            Server::Sshd(s) => s.port,
            Server::Burrowd(s) => s.port,
            Server::Dropbear(s) => s.port,
            Server::AsyncSsh(s) => s.port,
        }
    }

    pub fn proc(&self) -> &Proc {
        match self {
            Server::Sshd(s) => &s.proc,
            Server::Burrowd(s) => &s.proc,
            Server::Dropbear(s) => &s.proc,
            Server::AsyncSsh(s) => &s.proc,
        }
    }

    fn host_pub(&self) -> &std::path::Path {
        match self {
            Server::Sshd(s) => &s.host_pub,
            Server::Burrowd(s) => &s.host_pub,
            Server::Dropbear(s) => &s.host_pub,
            Server::AsyncSsh(s) => &s.host_pub,
        }
    }

    /// Writes a known_hosts file for this server into `dir` and returns its path.
    pub fn known_hosts(&self, dir: &TempDir) -> PathBuf {
        let path = dir.join("known_hosts");
        std::fs::write(&path, known_hosts_line(self.port(), self.host_pub())).expect("known_hosts");
        path
    }
}

/// Where a mode's forward listens once the client is up.
#[derive(Clone, Debug)]
pub enum Endpoint {
    Tcp(u16),
    Unix(PathBuf),
    Failed(String),
}

/// A client holding forwards for several modes.
pub struct Client {
    pub proc: Proc,
    pub endpoints: BTreeMap<Mode, Endpoint>,
    _dirs: Vec<TempDir>,
    _script_dir: Option<TempDir>,
}

/// The command line of `kind` against `server` with the `cipher`, before forwards and the
/// destination. `None`: the client binary is missing.
pub fn client_command(
    fx: &Fixture,
    kind: ClientKind,
    server: &Server,
    cipher: &Cipher,
    dir: &TempDir,
) -> Option<Command> {
    let known = server.known_hosts(dir);
    let port = server.port();
    let mut cmd = match kind {
        ClientKind::Burrow => burrow_command(port, &fx.key, &known, dir.path()),
        ClientKind::Ssh => {
            let mut c = ssh_command(&burrow_testkit::require_binary("ssh")?, port, dir.path());
            c.arg("-i").arg(&fx.key).args(["-o", "LogLevel=DEBUG1"]);
            c
        }
        ClientKind::Dbclient => {
            let db = burrow_testkit::require_binary("dbclient")?;
            dbclient_command(&db, &fx.key_dropbear, port, dir.path())
        }
        ClientKind::AsyncSsh => return None,
    };
    cmd.args(["-c", cipher.cipher]);
    if let Some(mac) = cipher.mac {
        cmd.args(["-m", mac]);
    }
    Some(cmd)
}

/// The forwards a CLI client (`burrow`, `ssh`, `dbclient`) sets up for `modes`, and the
/// endpoints the cells will use.
fn cli_forwards(
    fx: &Fixture,
    modes: &[Mode],
    dir: &TempDir,
) -> (Vec<String>, BTreeMap<Mode, Endpoint>) {
    let echo = format!("127.0.0.1:{}", fx.echo);
    let mut args = Vec::new();
    let mut eps = BTreeMap::new();
    for &m in modes {
        let port = free_port();
        let (flag, spec, ep) = match m {
            Mode::L => ("-L", format!("{port}:{echo}"), Endpoint::Tcp(port)),
            Mode::R => ("-R", format!("{port}:{echo}"), Endpoint::Tcp(port)),
            Mode::R0 => ("-R", format!("0:{echo}"), Endpoint::Tcp(0)),
            Mode::D5 | Mode::D4 | Mode::D4a => ("-D", port.to_string(), Endpoint::Tcp(port)),
            Mode::RD => ("-R", port.to_string(), Endpoint::Tcp(port)),
            Mode::UL => {
                let p = dir.join("ul.sock");
                (
                    "-L",
                    format!("{}:{}", p.display(), fx.echo_unix.display()),
                    Endpoint::Unix(p),
                )
            }
            Mode::UR => {
                let p = dir.join("ur.sock");
                (
                    "-R",
                    format!("{}:{}", p.display(), fx.echo_unix.display()),
                    Endpoint::Unix(p),
                )
            }
            Mode::W => continue,
        };
        // The three SOCKS dialects share one -D listener.
        if matches!(m, Mode::D4 | Mode::D4a) {
            if let Some(ep) = eps.get(&Mode::D5).cloned() {
                eps.insert(m, ep);
                continue;
            }
        }
        args.push(flag.to_owned());
        args.push(spec);
        eps.insert(m, ep);
    }
    (args, eps)
}

impl Client {
    /// Starts `kind` against `server` with forwards for `modes` and waits until each one
    /// listens (a forward that never does becomes `Endpoint::Failed`). `None`: peer missing.
    pub fn start(
        fx: &Fixture,
        kind: ClientKind,
        server: &Server,
        cipher: &Cipher,
        modes: &[Mode],
        extra: &[String],
    ) -> Option<Result<Client, String>> {
        let dir = TempDir::new("matrix-client");
        let (proc, mut endpoints, asy) = if kind == ClientKind::AsyncSsh {
            let known = server.known_hosts(&dir);
            let mut fwd = Vec::new();
            let mut eps = BTreeMap::new();
            for &m in modes {
                let echo = fx.echo;
                let (spec, ep) = match m {
                    Mode::L => (format!("L=L:{echo}"), None),
                    Mode::R => {
                        let p = free_port();
                        (format!("R=R:{p}:{echo}"), None)
                    }
                    Mode::R0 => (format!("R0=R:0:{echo}"), None),
                    Mode::D5 => ("D5=D".to_owned(), None),
                    Mode::UL => {
                        let p = dir.join("ul.sock");
                        (
                            format!("UL=UL:{}:{}", p.display(), fx.echo_unix.display()),
                            Some(Endpoint::Unix(p)),
                        )
                    }
                    Mode::UR => {
                        let p = dir.join("ur.sock");
                        (
                            format!("UR=UR:{}:{}", p.display(), fx.echo_unix.display()),
                            Some(Endpoint::Unix(p)),
                        )
                    }
                    Mode::D4 | Mode::D4a | Mode::RD | Mode::W => continue,
                };
                fwd.push(spec);
                if let Some(ep) = ep {
                    eps.insert(m, ep);
                }
            }
            let spec = algs("", cipher.cipher, cipher.mac);
            let c =
                match AsyncSshClient::start(server.port(), &fx.user, &fx.key, &known, &spec, &fwd)?
                {
                    Ok(c) => c,
                    Err(e) => return Some(Err(e)),
                };
            for &m in modes {
                let name = format!("{m:?}");
                let key = if matches!(m, Mode::D4 | Mode::D4a) {
                    "D5".to_owned()
                } else {
                    name
                };
                let Some(v) = c.forwards.get(&key) else {
                    continue;
                };
                let ep = if let Some(err) = v.strip_prefix("error:") {
                    Endpoint::Failed(err.to_owned())
                } else if let Ok(p) = v.parse() {
                    Endpoint::Tcp(p)
                } else {
                    eps.get(&m).cloned().unwrap_or(Endpoint::Failed(v.clone()))
                };
                eps.insert(m, ep);
            }
            let AsyncSshClient {
                proc,
                dir: script_dir,
                ..
            } = c;
            (proc, eps, Some(script_dir))
        } else {
            let mut cmd = client_command(fx, kind, server, cipher, &dir)?;
            let (args, eps) = cli_forwards(fx, modes, &dir);
            cmd.arg("-N").args(&args).args(extra);
            cmd.arg(format!("{}@127.0.0.1", fx.user))
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            let proc = Proc::spawn(cmd, &dir.join("client.log"));
            (proc, eps, None)
        };
        let mut client = Client {
            proc,
            endpoints: BTreeMap::new(),
            _dirs: vec![dir],
            _script_dir: asy,
        };
        let wait = Duration::from_secs(15);
        for (m, ep) in endpoints.iter_mut() {
            let ok = match ep {
                Endpoint::Tcp(0) => {
                    let log = client
                        .proc
                        .wait_log("Allocated port", wait)
                        .unwrap_or_default();
                    let words: Vec<&str> = log.split_whitespace().collect();
                    let after = words.iter().position(|w| *w == "port").map(|i| i + 1);
                    match after.and_then(|i| words.get(i)?.parse().ok()) {
                        Some(p) => {
                            *ep = Endpoint::Tcp(p);
                            wait_port(p, wait)
                        }
                        None => false,
                    }
                }
                Endpoint::Tcp(p) => wait_port(*p, wait),
                Endpoint::Unix(p) => wait_unix(p, wait),
                Endpoint::Failed(_) => true,
            };
            if !ok {
                *ep = Endpoint::Failed(format!(
                    "{m:?} forward never listened; client log:\n{}",
                    client.log_tail()
                ));
            }
        }
        client.endpoints = endpoints;
        Some(Ok(client))
    }

    /// The last lines of the client's log.
    pub fn log_tail(&self) -> String {
        let log = self.proc.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

/// `-W` (dbclient: `-B`): a stdio forward to the echo target carrying `len` bytes.
pub fn stdio_forward(
    fx: &Fixture,
    kind: ClientKind,
    server: &Server,
    cipher: &Cipher,
    len: usize,
) -> Option<Result<(), String>> {
    let dir = TempDir::new("matrix-w");
    let mut cmd = client_command(fx, kind, server, cipher, &dir)?;
    let flag = if kind == ClientKind::Dbclient {
        "-B"
    } else {
        "-W"
    };
    cmd.arg(flag)
        .arg(format!("127.0.0.1:{}", fx.echo))
        .arg(format!("{}@127.0.0.1", fx.user));
    Some(stdio_round_trip(cmd, &dir.join("w.log"), len))
}

/// Whether the binaries of every peer exist (for the n/a notes and versions).
pub fn peer_versions() -> Vec<String> {
    let mut v = Vec::new();
    let ssh = Command::new("ssh").arg("-V").output();
    v.push(ssh.map_or_else(
        |_| "ssh missing".into(),
        |o| String::from_utf8_lossy(&o.stderr).trim().to_owned(),
    ));
    v.push(Dropbear::version());
    v.push(burrow_testkit::asyncssh::version());
    if find_binary("dbclient").is_none() {
        v.push("dbclient missing".into());
    }
    v
}
