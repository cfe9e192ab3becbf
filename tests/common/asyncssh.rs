//! AsyncSSH (PyPI `asyncssh`) as a peer: a throwaway server and a one-shot client, each a
//! short Python script written to a temp dir and run with the venv's interpreter.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{TempDir, public_key_blob};

pub use burrow_testkit::asyncssh::python;

/// Logging at AsyncSSH's debug level 2 (every message it processes) to stderr.
const PRELUDE: &str = r#"
import asyncio, logging, sys, warnings
warnings.simplefilter("ignore")
import asyncssh
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
asyncssh.set_debug_level(2)
def kex_opts(spec):
    return {"kex_algs": spec.split(",")} if spec else {}
"#;

/// argv: dir, kex list ("" for AsyncSSH's default order). Writes dir/host.pub, prints the port.
const SERVER: &str = r#"
class Server(asyncssh.SSHServer):
    def connection_requested(self, dest_host, dest_port, orig_host, orig_port):
        return True
    def server_requested(self, listen_host, listen_port):
        return True

async def main():
    d, kex = sys.argv[1], sys.argv[2]
    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_public_key(d + "/host.pub")
    server = await asyncssh.listen("127.0.0.1", 0, server_host_keys=[key],
                                   authorized_client_keys=d + "/authorized_keys",
                                   server_factory=Server, **kex_opts(kex))
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"#;

/// argv: port, key file, kex list, echo port. Logs in, sends bytes through a direct-tcpip
/// channel to the echo port and prints `OK <bytes echoed>`.
const CLIENT: &str = r#"
async def main():
    port, key, kex, echo = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    async with asyncssh.connect("127.0.0.1", port, username="tester", client_keys=[key],
                                known_hosts=None, agent_path=None, **kex_opts(kex)) as conn:
        reader, writer = await conn.open_connection("127.0.0.1", echo)
        data = bytes(range(256)) * 64
        writer.write(data)
        writer.write_eof()
        back = await reader.read()
        assert back == data, "echo differs"
        print("OK", len(back), flush=True)

asyncio.run(main())
"#;

/// Writes `body` (after the prelude) as `name` in `dir`.
fn script(dir: &TempDir, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{PRELUDE}{body}")).expect("write python script");
    path
}

/// A running AsyncSSH server on 127.0.0.1, killed on drop.
pub struct AsyncSshServer {
    child: Child,
    pub port: u16,
    pub dir: TempDir,
    /// The host key blob it presents.
    pub host_key_blob: Vec<u8>,
}

impl AsyncSshServer {
    /// Starts a server that lets `authorized_key_line` in and allows forwarding, with `kex`
    /// (comma list) or AsyncSSH's default order when `kex` is empty.
    pub fn start(authorized_key_line: &str, kex: &str) -> Option<Self> {
        let python = python()?;
        let dir = TempDir::new("asyncssh");
        std::fs::write(
            dir.join("authorized_keys"),
            format!("{authorized_key_line}\n"),
        )
        .expect("write authorized_keys");
        let path = script(&dir, "server.py", SERVER);
        let log = std::fs::File::create(dir.join("server.log")).expect("create server.log");
        let mut child = Command::new(python)
            .arg(&path)
            .arg(dir.path())
            .arg(kex)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn asyncssh server");
        let stdout = child.stdout.take().expect("server stdout");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let Ok(port) = line.trim().parse() else {
            if child.kill().is_err() {
                eprintln!("asyncssh server already gone");
            }
            panic!(
                "asyncssh server did not start ({read:?}); log:\n{}",
                std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
            );
        };
        let host_key_blob = public_key_blob(&dir.join("host.pub"));
        Some(Self {
            child,
            port,
            dir,
            host_key_blob,
        })
    }

    /// The server's log so far (AsyncSSH debug level 2).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for AsyncSshServer {
    fn drop(&mut self) {
        if self.child.kill().is_err() {
            eprintln!("asyncssh server {} already gone", self.child.id());
        }
        if self.child.wait().is_err() {
            eprintln!("could not reap asyncssh server {}", self.child.id());
        }
    }
}

/// What the AsyncSSH client run printed.
pub struct ClientRun {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the AsyncSSH client against 127.0.0.1:`port` as `tester` with the private key file
/// `key`: log in, then echo 16 KiB through a direct-tcpip channel to `echo_port`.
pub async fn run_client(key: &Path, port: u16, kex: &str, echo_port: u16) -> Option<ClientRun> {
    let python = python()?;
    let dir = TempDir::new("asyncssh-client");
    let path = script(&dir, "client.py", CLIENT);
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(&path)
        .arg(port.to_string())
        .arg(key)
        .arg(kex)
        .arg(echo_port.to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("asyncssh client timed out")
        .expect("run asyncssh client");
    Some(ClientRun {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}
