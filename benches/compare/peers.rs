//! The contenders on 127.0.0.1: sshd, Dropbear and burrowd twice (as root with privilege
//! separation, and as the throwaway user in one process), the throwaway user they all serve,
//! and the client command of each (`ssh` for sshd and Dropbear, `burrow` for burrowd).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::fixtures::{TempDir, free_port, keygen_ed25519, require_binary};
use crate::common::procfs::{cpu_ns, descendants, rss_kib};

/// One server with its client.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Imp {
    /// `ssh` -> `sshd`.
    OpenSsh,
    /// `ssh` -> `dropbear` (Debian's dbclient forces zlib, so OpenSSH's client is used).
    Dropbear,
    /// `burrow` -> `burrowd` started as the throwaway user (one process).
    Burrow,
    /// `burrow` -> `burrowd` started as root (a process per connection, privilege drop).
    BurrowPrivsep,
}

impl Imp {
    /// Every contender, in table order.
    pub const ALL: [Imp; 4] = [Imp::OpenSsh, Imp::Dropbear, Imp::Burrow, Imp::BurrowPrivsep];

    /// The column title.
    pub fn label(self) -> &'static str {
        match self {
            Imp::OpenSsh => "OpenSSH",
            Imp::Dropbear => "Dropbear",
            Imp::Burrow => "burrow (user)",
            Imp::BurrowPrivsep => "burrow (root, privsep)",
        }
    }

    fn uses_ssh(self) -> bool {
        matches!(self, Imp::OpenSsh | Imp::Dropbear)
    }
}

/// Forward direction of a tunnel.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `-L`: the bench connects to the client's listener.
    Local,
    /// `-R`: the bench connects to the server's listener.
    Remote,
}

/// A child process killed (with its descendants) on drop.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Killed {
    /// Kills the process and its descendants and reaps it.
    pub fn stop(&mut self) {
        let pid = self.0.id();
        for p in descendants(pid) {
            Command::new("kill").arg(p.to_string()).status().ok();
        }
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// A server process, the command that starts it again, and its port.
struct Server {
    imp: Imp,
    port: u16,
    make: Box<dyn Fn() -> Command + Send + Sync>,
    proc: Mutex<Killed>,
}

impl Server {
    fn start(imp: Imp, port: u16, make: impl Fn() -> Command + Send + Sync + 'static) -> Server {
        let proc = Mutex::new(Killed(make().spawn().unwrap()));
        Server {
            imp,
            port,
            make: Box::new(make),
            proc,
        }
    }
}

/// Removes the throwaway user (and its home) on drop.
struct UserGuard(String);

impl Drop for UserGuard {
    fn drop(&mut self) {
        Command::new("userdel")
            .args(["-r", "-f", &self.0])
            .stderr(Stdio::null())
            .status()
            .ok();
    }
}

/// The running servers and what the clients need to reach them.
pub struct Peers {
    servers: Vec<Server>,
    /// Client key (accepted by every server for the throwaway user).
    key: PathBuf,
    ssh: PathBuf,
    burrow: PathBuf,
    /// The throwaway user's name.
    pub user: String,
    /// Logs and keys of root-owned processes.
    pub dir: TempDir,
    _user: UserGuard,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(out.status.success(), "{cmd:?} failed: {out:?}");
}

/// A log file in `dir`, appended to (a restarted server keeps its log).
/// A server's log file in `dir`, or in `BENCH_LOG_DIR` when set (kept after the run).
fn log(dir: &Path, name: &str) -> std::fs::File {
    let dir = std::env::var_os("BENCH_LOG_DIR").map_or_else(|| dir.to_path_buf(), PathBuf::from);
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true).open(dir.join(name)).unwrap()
}

/// burrowd's LogLevel: `BENCH_BURROWD_LOG` (e.g. DEBUG) or ERROR.
fn burrowd_log_level() -> String {
    std::env::var("BENCH_BURROWD_LOG").unwrap_or_else(|_| "ERROR".to_owned())
}

fn id_of(user: &str, flag: &str) -> u32 {
    let out = Command::new("id").args([flag, user]).output().expect("id");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("numeric id")
}

/// The directory holding `burrow` and `burrowd`: `$BURROW_BIN_DIR`, else the profile
/// directory this bench was built into (target/<profile>/deps/compare-* -> target/<profile>).
pub fn bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("BURROW_BIN_DIR") {
        return d.into();
    }
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

impl Peers {
    /// Creates the user and its keys and starts the four servers. Needs root.
    pub fn start() -> Peers {
        let bins = bin_dir();
        let (burrow, burrowd) = (bins.join("burrow"), bins.join("burrowd"));
        assert!(
            burrowd.is_file() && burrow.is_file(),
            "{} has no burrow/burrowd: cargo build -p burrow-cli (same profile) first, or set BURROW_BIN_DIR",
            bins.display()
        );
        for b in [
            "ssh",
            "ssh-keygen",
            "/usr/sbin/sshd",
            "dropbear",
            "dropbearkey",
        ] {
            require_binary(b).unwrap_or_else(|| panic!("{b} is required"));
        }
        let user = format!("bwcmp{}", std::process::id());
        run(Command::new("useradd").args(["-m", "-U", "-p", "*", "-s", "/bin/sh", &user]));
        let guard = UserGuard(user.clone());
        let (uid, gid) = (id_of(&user, "-u"), id_of(&user, "-g"));
        let home = PathBuf::from(format!("/home/{user}"));
        let dir = TempDir::new("compare");
        let key = dir.join("id");
        keygen_ed25519(&key);
        let ssh_dir = home.join(".ssh");
        std::fs::create_dir_all(&ssh_dir).unwrap();
        std::fs::copy(dir.join("id.pub"), ssh_dir.join("authorized_keys")).unwrap();
        run(Command::new("chown")
            .arg("-R")
            .arg(format!("{uid}:{gid}"))
            .arg(&ssh_dir));
        run(Command::new("chmod").args(["700"]).arg(&ssh_dir));
        std::fs::create_dir_all("/run/sshd").unwrap();

        let mut servers = Vec::new();

        let port = free_port();
        keygen_ed25519(&dir.join("sshd_host"));
        let cfg = dir.join("sshd_config");
        std::fs::write(&cfg, "ListenAddress 127.0.0.1\nUsePAM no\nUseDNS no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAllowTcpForwarding yes\nPidFile none\nMaxStartups 100\nLogLevel ERROR\n").unwrap();
        let host = dir.join("sshd_host");
        let ld = dir.path().to_path_buf();
        servers.push(Server::start(Imp::OpenSsh, port, move || {
            let mut cmd = Command::new("/usr/sbin/sshd");
            cmd.args(["-D", "-e", "-f"]).arg(&cfg).arg("-h").arg(&host);
            cmd.args(["-p", &port.to_string()])
                .stderr(log(&ld, "sshd.log"));
            cmd
        }));

        let port = free_port();
        run(Command::new("dropbearkey")
            .args(["-t", "ed25519", "-f"])
            .arg(dir.join("db_host")));
        let host = dir.join("db_host");
        let ld = dir.path().to_path_buf();
        servers.push(Server::start(Imp::Dropbear, port, move || {
            let mut cmd = Command::new("dropbear");
            cmd.args(["-F", "-E", "-s", "-p", &format!("127.0.0.1:{port}"), "-r"]);
            cmd.arg(&host).stderr(log(&ld, "dropbear.log"));
            cmd
        }));

        // burrowd as the user: its host key and config in its home, written by itself.
        let bd = home.join("burrowd");
        std::fs::create_dir_all(&bd).unwrap();
        run(Command::new("chown").arg(format!("{uid}:{gid}")).arg(&bd));
        for (imp, root, d) in [
            (Imp::BurrowPrivsep, true, dir.path()),
            (Imp::Burrow, false, &bd),
        ] {
            let port = free_port();
            let host = d.join("host");
            let cfg = d.join("burrowd_config");
            let mut keygen = Command::new(&burrowd);
            keygen.arg("--generate-host-key").arg(&host);
            if !root {
                keygen.uid(uid).gid(gid);
            }
            run(&mut keygen);
            let text = format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nLogLevel {}\nMaxStartups 100\n",
                host.display(),
                burrowd_log_level()
            );
            std::fs::write(&cfg, text).unwrap();
            let (burrowd, bd, home) = (burrowd.clone(), bd.clone(), home.clone());
            let ld = dir.path().to_path_buf();
            servers.push(Server::start(imp, port, move || {
                let mut cmd = Command::new(&burrowd);
                cmd.args(["-D", "-e", "-f"]).arg(&cfg);
                cmd.stderr(log(
                    &ld,
                    if root {
                        "burrowd-root.log"
                    } else {
                        "burrowd-user.log"
                    },
                ));
                if !root {
                    cmd.uid(uid).gid(gid).current_dir(&bd).env("HOME", &home);
                }
                cmd
            }));
        }
        let peers = Peers {
            servers,
            key,
            ssh: require_binary("ssh").unwrap(),
            burrow,
            user,
            dir,
            _user: guard,
        };
        for imp in Imp::ALL {
            wait_listen(peers.port(imp));
        }
        peers
    }

    /// The server's listening port.
    pub fn port(&self, imp: Imp) -> u16 {
        self.server(imp).port
    }

    fn server(&self, imp: Imp) -> &Server {
        self.servers.iter().find(|s| s.imp == imp).unwrap()
    }

    /// Restarts the server (a fresh process: a long-lived one-process server would otherwise
    /// reuse heap freed by earlier measures, and its RSS would not grow).
    pub fn restart(&self, imp: Imp) {
        let s = self.server(imp);
        let mut p = s.proc.lock().unwrap();
        p.stop();
        *p = Killed((s.make)().spawn().unwrap());
        drop(p);
        wait_listen(s.port);
    }

    /// The server's listener pid (its connections are its descendants).
    pub fn server_pid(&self, imp: Imp) -> u32 {
        self.server(imp).proc.lock().unwrap().0.id()
    }

    /// Waits (up to 3 s) until the server has no per-connection process left from an earlier
    /// measure, so that the server's CPU and RSS sums cover only the connection under test.
    pub fn quiet(&self, imp: Imp) {
        let deadline = Instant::now() + Duration::from_secs(3);
        while !descendants(self.server_pid(imp)).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The client command for `imp` against `port` (the server's, or a relay's), with
    /// `cipher` if given, then `args`, then the destination.
    pub fn client(&self, imp: Imp, port: u16, cipher: Option<&str>, args: &[&str]) -> Command {
        let mut cmd = Command::new(if imp.uses_ssh() {
            &self.ssh
        } else {
            &self.burrow
        });
        cmd.args(["-F", "/dev/null", "-p", &port.to_string(), "-i"])
            .arg(&self.key);
        for o in [
            "IdentitiesOnly=yes",
            "BatchMode=yes",
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "ExitOnForwardFailure=yes",
            "LogLevel=ERROR",
        ] {
            cmd.args(["-o", o]);
        }
        if let Some(c) = cipher {
            cmd.args(["-c", c]);
        }
        cmd.args(args).arg(format!("{}@127.0.0.1", self.user));
        cmd.env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("clients.log"))
            .unwrap();
        cmd.stderr(log);
        cmd
    }

    /// A `-N` tunnel of `imp` (through `via`, a relay port, if given) to 127.0.0.1:`target`,
    /// ready when a probe through it echoes; `None` when it does not come up (an unsupported
    /// cipher). `echo_mode`: the target wants the `E` mode byte first (benches/common).
    pub fn tunnel(&self, imp: Imp, t: TunnelSpec) -> Option<Tunnel> {
        let port = free_port();
        let spec = format!("127.0.0.1:{port}:127.0.0.1:{}", t.target);
        let flag = if t.dir == Dir::Local { "-L" } else { "-R" };
        let via = t.via.unwrap_or(self.port(imp));
        let mut cmd = self.client(imp, via, t.cipher, &["-N", flag, &spec]);
        let mut child = Killed(cmd.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if probe(port, t.echo_mode) {
                return Some(Tunnel {
                    client: child,
                    port,
                    server: self.server_pid(imp),
                });
            }
            if matches!(child.0.try_wait(), Ok(Some(_))) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        None
    }
}

/// What [`Peers::tunnel`] builds.
#[derive(Clone, Copy)]
pub struct TunnelSpec<'a> {
    pub dir: Dir,
    pub target: u16,
    pub cipher: Option<&'a str>,
    pub via: Option<u16>,
    pub echo_mode: bool,
}

/// A running tunnel: the client process, the port to connect to, the server's listener.
pub struct Tunnel {
    pub client: Killed,
    pub port: u16,
    pub server: u32,
}

impl Tunnel {
    /// CPU ns so far of the client process and of the server (listener and descendants).
    pub fn cpu(&self) -> (u64, u64) {
        (cpu_ns(self.client.0.id()), tree(self.server, cpu_ns))
    }

    /// VmRSS KiB of the client process and of the server (listener and descendants).
    pub fn rss(&self) -> (u64, u64) {
        let rss = rss_kib;
        (rss(self.client.0.id()), tree(self.server, rss))
    }
}

fn tree(pid: u32, f: impl Fn(u32) -> u64) -> u64 {
    f(pid) + descendants(pid).into_iter().map(f).sum::<u64>()
}

/// One byte echoed through `port` (after the `E` mode byte if `mode`), within 2 s.
pub fn probe(port: u16, mode: bool) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let msg: &[u8] = if mode { b"Ex" } else { b"x" };
    let mut b = [0u8; 1];
    s.write_all(msg).is_ok() && s.read_exact(&mut b).is_ok() && b == *b"x"
}

fn wait_listen(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server on {port} never listened");
        std::thread::sleep(Duration::from_millis(5));
    }
}
