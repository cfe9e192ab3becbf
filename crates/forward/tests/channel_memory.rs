//! Heap bytes per forwarded channel on each side, counted by a global allocator: burrow's
//! `-L` client (`LocalForward`) and server (`ForwardHandler`) each run in a child process of
//! this test (it re-executes itself), so each process's live heap is one side's. With `N`
//! connections idle through the tunnel, and again after each carried a 64-byte echo, the
//! bytes each side holds per channel must stay small: an idle channel holds no buffer and no
//! large task. Prints the numbers; `harness = false` (see Cargo.toml).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use burrow::{Client, ClientConfig, KeyPair, PublicKey, Server, ServerConfig};
use burrow_forward::{
    Connect, ForwardHandler, ForwardOptions, ForwardPolicy, ForwardServer, ForwardStats, Listen,
    LocalForward,
};
use burrow_keyfiles::KeyOptions;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Channels measured (each uses two descriptors in this process and one in each child).
const N: usize = 200;

/// Heap bytes per channel that each side may hold: idle, and after the echo (debug build).
/// Before the join was one struct and the opening state was freed at open, they were 2,493
/// (client) and 1,784 (server) idle, 2,493 and 1,905 after the echo; now about 1,190-1,270
/// and 960-985 idle, 1,250-1,390 and 1,090-1,105 after it (connection buffers that grew for
/// the burst of 200 opens or echoes move the numbers by up to about 150).
const IDLE_BOUND: i64 = 1400;
const USED_BOUND: i64 = 1550;

const ROLE: &str = "CHANNEL_MEMORY_ROLE";
const USER_SEED: [u8; 32] = [0x11; 32];
const HOST_SEED: [u8; 32] = [0x5A; 32];

/// Live heap bytes and blocks of this process (a realloc counts its growth as allocated
/// and its shrinking as deallocated).
fn live() -> (i64, i64) {
    let s = GLOBAL.stats();
    let net = |a: usize, b: usize| i64::try_from(a).unwrap() - i64::try_from(b).unwrap();
    (
        net(s.bytes_allocated, s.bytes_deallocated),
        net(s.allocations, s.deallocations),
    )
}

/// A child's side of the protocol: prints `PORT p`, then answers every line on stdin with
/// `LIVE bytes blocks opened` (from a thread that allocates nothing per answer after the
/// first), `opened` being the channels whose open (client) or connect (server) completed.
fn serve_measurements(port: u16, stats: Arc<ForwardStats>) {
    println!("PORT {port}");
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut line = String::with_capacity(64);
        let mut out = std::io::stdout();
        while stdin.lock().read_line(&mut line).is_ok_and(|n| n > 0) {
            line.clear();
            let (bytes, blocks) = live();
            let opened = stats.snapshot().connect.count();
            writeln!(out, "LIVE {bytes} {blocks} {opened}").unwrap();
            out.flush().unwrap();
        }
        std::process::exit(0);
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn run_server() {
    runtime().block_on(async {
        let user_blob = KeyPair::from_ed25519_seed(&USER_SEED)
            .public_key()
            .to_blob();
        let auth = move |_: SocketAddr, _: &str, k: &PublicKey| {
            (k.to_blob() == user_blob).then(KeyOptions::unrestricted)
        };
        let forward = ForwardServer::new(ForwardPolicy::default(), Duration::from_secs(5));
        let stats = forward.stats();
        let handler = ForwardHandler::new(forward, auth);
        let host = KeyPair::from_ed25519_seed(&HOST_SEED);
        let server = Server::bind("127.0.0.1:0", ServerConfig::new(host), handler)
            .await
            .unwrap();
        serve_measurements(server.local_addr().unwrap().port(), stats);
        server.run().await.unwrap();
    });
}

fn run_client() {
    let port = |name: &str| -> u16 { std::env::var(name).unwrap().parse().unwrap() };
    let (server_port, target_port) = (port("CHANNEL_MEMORY_SERVER"), port("CHANNEL_MEMORY_TARGET"));
    runtime().block_on(async move {
        let host_blob = KeyPair::from_ed25519_seed(&HOST_SEED)
            .public_key()
            .to_blob();
        let check = move |_: &str, _: u16, k: &PublicKey| k.to_blob() == host_blob;
        let mut config = ClientConfig::new("memory".to_owned(), Arc::new(check));
        config.keys.push(KeyPair::from_ed25519_seed(&USER_SEED));
        let session = Client::connect("127.0.0.1", server_port, config)
            .await
            .unwrap();
        let listen = Listen::Tcp {
            bind: Some("127.0.0.1".into()),
            port: 0,
        };
        let target = Connect::Tcp {
            host: "127.0.0.1".into(),
            port: target_port,
        };
        let fwd = LocalForward::local(&session, &listen, target, &ForwardOptions::default())
            .await
            .unwrap();
        serve_measurements(fwd.port(), fwd.stats());
        let why = fwd.run().await;
        panic!("forward ended: {why}");
    });
}

/// A child process of this test in `role`, and its port.
struct Side {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    port: u16,
}

impl Side {
    fn spawn(role: &str, env: &[(&str, String)]) -> Self {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.env(ROLE, role)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let input = child.stdin.take().unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let port = u16::try_from(Self::read_tagged(&mut output, "PORT ")[0]).unwrap();
        Self {
            child,
            input,
            output,
            port,
        }
    }

    /// The numbers on the next line, which starts with `tag`.
    fn read_tagged(output: &mut BufReader<ChildStdout>, tag: &str) -> Vec<i64> {
        let mut line = String::new();
        output.read_line(&mut line).unwrap();
        let value = line.trim_end().strip_prefix(tag);
        let value = value.unwrap_or_else(|| panic!("expected {tag:?}, got {line:?}"));
        value.split(' ').map(|v| v.parse().unwrap()).collect()
    }

    /// The child's live heap (bytes and blocks) and its channels opened so far.
    fn live(&mut self) -> ((i64, i64), i64) {
        writeln!(self.input, "live").unwrap();
        match Self::read_tagged(&mut self.output, "LIVE ")[..] {
            [bytes, blocks, opened] => ((bytes, blocks), opened),
            ref other => panic!("LIVE line {other:?}"),
        }
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An echo target (one thread per connection) that counts its connections.
fn echo_target(accepted: Arc<AtomicUsize>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let mut s = s.unwrap();
            accepted.fetch_add(1, Ordering::SeqCst);
            std::thread::Builder::new()
                .stack_size(64 << 10)
                .spawn(move || {
                    let mut buf = [0u8; 256];
                    while let Ok(n) = s.read(&mut buf) {
                        if n == 0 || s.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                })
                .unwrap();
        }
    });
    port
}

/// Both sides' live heap once both have opened `opened` channels and their numbers stopped
/// moving (asked every 100 ms; nothing is timed).
fn settle(client: &mut Side, server: &mut Side, opened: usize) -> ((i64, i64), (i64, i64)) {
    let opened = i64::try_from(opened).unwrap();
    let mut last = ((i64::MIN, 0), (i64::MIN, 0));
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let ((c, c_open), (s, s_open)) = (client.live(), server.live());
        if c_open >= opened && s_open >= opened && (c, s) == last {
            return last;
        }
        last = (c, s);
    }
}

fn echo(s: &mut TcpStream, data: &[u8]) {
    s.write_all(data).unwrap();
    let mut back = vec![0u8; data.len()];
    s.read_exact(&mut back).unwrap();
    assert_eq!(back, data);
}

fn measure() {
    let accepted = Arc::new(AtomicUsize::new(0));
    let target_port = echo_target(accepted.clone());
    let mut server = Side::spawn("server", &[]);
    let mut client = Side::spawn(
        "client",
        &[
            ("CHANNEL_MEMORY_SERVER", server.port.to_string()),
            ("CHANNEL_MEMORY_TARGET", target_port.to_string()),
        ],
    );
    let port = client.port;

    // One channel first, so that one-time allocations (the driver's buffers, the tables'
    // first growth) are not counted per channel.
    let mut first = TcpStream::connect(("127.0.0.1", port)).unwrap();
    echo(&mut first, &[1u8; 64]);
    let before = settle(&mut client, &mut server, 1);

    let mut conns: Vec<TcpStream> = (0..N)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    while accepted.load(Ordering::SeqCst) < N + 1 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let idle = settle(&mut client, &mut server, N + 1);

    // All written, then all read, as the benchmark does.
    let data = [7u8; 64];
    for c in &mut conns {
        c.write_all(&data).unwrap();
    }
    for c in &mut conns {
        let mut back = [0u8; 64];
        c.read_exact(&mut back).unwrap();
        assert_eq!(back, data);
    }
    let used = settle(&mut client, &mut server, N + 1);

    let n = i64::try_from(N).unwrap();
    let per =
        |from: (i64, i64), to: (i64, i64)| ((to.0 - from.0) / n, (to.1 - from.1) as f64 / N as f64);
    let rows = [
        ("client idle", per(before.0, idle.0), IDLE_BOUND),
        ("client after echo", per(before.0, used.0), USED_BOUND),
        ("server idle", per(before.1, idle.1), IDLE_BOUND),
        ("server after echo", per(before.1, used.1), USED_BOUND),
    ];
    println!("heap per channel, {N} channels through one -L tunnel:");
    for (what, (bytes, blocks), bound) in rows {
        println!("  {what:<18} {bytes:>6} bytes in {blocks:.2} blocks (bound {bound} bytes)");
    }
    for (what, (bytes, _), bound) in rows {
        assert!(
            bytes <= bound,
            "{what}: {bytes} heap bytes per channel (bound {bound})"
        );
    }
    drop(conns);
}

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("server") => run_server(),
        Ok("client") => run_client(),
        _ => {
            measure();
            println!("channel_memory: 1 passed, 0 failed");
        }
    }
}
