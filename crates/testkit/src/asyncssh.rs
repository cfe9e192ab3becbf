//! AsyncSSH (PyPI `asyncssh`) as a peer: a throwaway server and a forwarding client, each a
//! short Python script written to a temp dir and run with the venv's interpreter.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::keys::{keygen, pub_path};
use crate::proc::Proc;
use crate::{TempDir, missing, workspace_root};

/// The Python that has `asyncssh`: `$BURROW_PYTHON`, else `<workspace>/.venv-peers/bin/python`.
/// `None` when it is missing or lacks asyncssh (see the CI rule in [`crate::missing`]).
pub fn python() -> Option<PathBuf> {
    let path = std::env::var_os("BURROW_PYTHON").map_or_else(
        || workspace_root().join(".venv-peers/bin/python"),
        PathBuf::from,
    );
    let works = Command::new(&path)
        .args(["-c", "import asyncssh"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        missing(&format!(
            "{} with asyncssh (set BURROW_PYTHON, or create .venv-peers: \
             python3 -m venv .venv-peers && .venv-peers/bin/pip install asyncssh)",
            path.display()
        ));
        return None;
    }
    Some(path)
}

/// AsyncSSH's version, for reports.
pub fn version() -> String {
    let Some(py) = python() else {
        return "asyncssh missing".into();
    };
    let out = Command::new(py)
        .args([
            "-W",
            "ignore",
            "-c",
            "import asyncssh; print(asyncssh.__version__)",
        ])
        .output();
    out.map(|o| format!("AsyncSSH {}", String::from_utf8_lossy(&o.stdout).trim()))
        .unwrap_or_else(|_| "asyncssh missing".into())
}

/// Shared by both scripts: quiet warnings, logging at INFO or at AsyncSSH's debug level
/// `$ASYNCSSH_DEBUG` (2 logs every message it processes), algorithm options from `key=a,b`
/// arguments.
const PRELUDE: &str = r#"
import asyncio, logging, os, sys, warnings
warnings.simplefilter("ignore")
import asyncssh
debug = int(os.environ.get("ASYNCSSH_DEBUG", "0"))
logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, stream=sys.stderr)
if debug:
    asyncssh.set_debug_level(debug)
def algs(spec):
    out = {}
    for item in spec.split(";"):
        if item:
            k, v = item.split("=", 1)
            out[k] = v.split(",")
    return out
"#;

/// argv: dir, algorithm spec. Host key dir/host_key, clients from dir/authorized_keys;
/// allows TCP and unix-socket forwarding both ways. Prints the port.
const SERVER: &str = r#"
class Server(asyncssh.SSHServer):
    def connection_requested(self, dest_host, dest_port, orig_host, orig_port):
        return True
    def server_requested(self, listen_host, listen_port):
        return True
    def unix_connection_requested(self, dest_path):
        return True
    def unix_server_requested(self, listen_path):
        return True

async def main():
    d, spec = sys.argv[1], sys.argv[2]
    server = await asyncssh.listen("127.0.0.1", 0, server_host_keys=[d + "/host_key"],
                                   authorized_client_keys=d + "/authorized_keys",
                                   server_factory=Server, **algs(spec))
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"#;

/// argv: port, user, key, known_hosts, algorithm spec, then forwards as `name=kind:args`
/// (`L:echo_port`, `R:port:echo_port`, `D`, `UL:listen_path:dest_path`,
/// `UR:listen_path:dest_path`). Prints one `READY name=value ...` line (the listening port,
/// `ok`, or `error:<reason>`), then keeps the connection until killed.
const CLIENT: &str = r#"
async def forward(conn, kind, args):
    if kind == "L":
        l = await conn.forward_local_port("127.0.0.1", 0, "127.0.0.1", int(args[0]))
        return str(l.get_port())
    if kind == "R":
        l = await conn.forward_remote_port("127.0.0.1", int(args[0]), "127.0.0.1", int(args[1]))
        return str(l.get_port())
    if kind == "D":
        l = await conn.forward_socks("127.0.0.1", 0)
        return str(l.get_port())
    if kind == "UL":
        await conn.forward_local_path(args[0], args[1])
        return "ok"
    if kind == "UR":
        await conn.forward_remote_path(args[0], args[1])
        return "ok"
    raise ValueError(kind)

async def main():
    port, user, key, known, spec = sys.argv[1:6]
    async with asyncssh.connect("127.0.0.1", int(port), username=user, client_keys=[key],
                                known_hosts=known, agent_path=None, connect_timeout=20,
                                **algs(spec)) as conn:
        out = []
        for item in sys.argv[6:]:
            name, rest = item.split("=", 1)
            kind, *args = rest.split(":")
            try:
                out.append(name + "=" + await forward(conn, kind, args))
            except Exception as e:
                out.append(name + "=error:" + type(e).__name__ + ":" + str(e).replace(" ", "_"))
        print("READY " + " ".join(out), flush=True)
        await conn.wait_closed()

asyncio.run(main())
"#;

/// Writes `body` (after the prelude) as `name` in `dir`.
fn script(dir: &TempDir, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{PRELUDE}{body}")).expect("write python script");
    path
}

/// An AsyncSSH algorithm spec: `kex_algs=a,b;encryption_algs=c;mac_algs=d`.
pub fn algs(kex: &str, cipher: &str, mac: Option<&str>) -> String {
    let mut spec = String::new();
    if !kex.is_empty() {
        spec.push_str(&format!("kex_algs={kex};"));
    }
    if !cipher.is_empty() {
        spec.push_str(&format!("encryption_algs={cipher};"));
    }
    if let Some(mac) = mac {
        spec.push_str(&format!("mac_algs={mac};"));
    }
    spec
}

/// A running AsyncSSH server on 127.0.0.1; killed on drop.
pub struct AsyncSshServer {
    /// The Python process.
    pub proc: Proc,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The host key's public half (OpenSSH format).
    pub host_pub: PathBuf,
    /// Keys, script and `server.log`.
    pub dir: TempDir,
}

impl AsyncSshServer {
    /// Starts a server with a `host_kind` host key (made by ssh-keygen) that lets
    /// `authorized_keys` in and allows every forward, with the algorithm `spec` (see
    /// [`algs`]; empty for AsyncSSH's defaults).
    pub fn start(authorized_keys: &str, host_kind: &str, spec: &str) -> Option<Self> {
        Self::start_debug(authorized_keys, host_kind, spec, 0)
    }

    /// [`AsyncSshServer::start`] logging at AsyncSSH's debug `level` (1-3; 0: INFO only).
    pub fn start_debug(
        authorized_keys: &str,
        host_kind: &str,
        spec: &str,
        level: u8,
    ) -> Option<Self> {
        let python = python()?;
        let dir = TempDir::new("asyncssh");
        keygen(host_kind, &dir.join("host_key"));
        std::fs::write(dir.join("authorized_keys"), authorized_keys).expect("authorized_keys");
        let mut cmd = Command::new(python);
        cmd.arg(script(&dir, "server.py", SERVER))
            .arg(dir.path())
            .arg(spec)
            .env("ASYNCSSH_DEBUG", level.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        let mut proc = Proc::spawn(cmd, &dir.join("server.log"));
        let stdout = proc.child.stdout.take().expect("server stdout");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let Ok(port) = line.trim().parse() else {
            panic!(
                "asyncssh server did not start ({read:?}); log:\n{}",
                proc.log()
            );
        };
        Some(Self {
            proc,
            port,
            host_pub: pub_path(&dir.join("host_key")),
            dir,
        })
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        self.proc.log()
    }
}

/// A running AsyncSSH client holding forwards; killed on drop.
pub struct AsyncSshClient {
    /// The Python process.
    pub proc: Proc,
    /// What each forward reported: a port, `ok`, or `error:<reason>`.
    pub forwards: BTreeMap<String, String>,
    /// Script and `client.log`.
    pub dir: TempDir,
}

impl AsyncSshClient {
    /// Connects to 127.0.0.1:`port` as `user` with the OpenSSH private key `key`, checking
    /// the host key against `known_hosts`, and sets up `forwards` (`name=kind:args`, see the
    /// script). `Err` carries the log when it never reports ready.
    pub fn start(
        port: u16,
        user: &str,
        key: &Path,
        known_hosts: &Path,
        spec: &str,
        forwards: &[String],
    ) -> Option<Result<Self, String>> {
        Self::start_debug(port, user, key, known_hosts, spec, forwards, 0)
    }

    /// [`AsyncSshClient::start`] logging at AsyncSSH's debug `level` (1-3; 0: INFO only).
    pub fn start_debug(
        port: u16,
        user: &str,
        key: &Path,
        known_hosts: &Path,
        spec: &str,
        forwards: &[String],
        level: u8,
    ) -> Option<Result<Self, String>> {
        let python = python()?;
        let dir = TempDir::new("asyncssh-client");
        let mut cmd = Command::new(python);
        cmd.arg(script(&dir, "client.py", CLIENT))
            .arg(port.to_string())
            .arg(user)
            .arg(key)
            .arg(known_hosts)
            .arg(spec)
            .args(forwards)
            .env("ASYNCSSH_DEBUG", level.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        let mut proc = Proc::spawn(cmd, &dir.join("client.log"));
        let stdout = proc.child.stdout.take().expect("client stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap_or_default();
        let Some(rest) = line.trim().strip_prefix("READY") else {
            proc.stop();
            return Some(Err(format!("asyncssh client failed:\n{}", proc.log())));
        };
        let forwards = rest
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Some(Ok(Self {
            proc,
            forwards,
            dir,
        }))
    }
}
