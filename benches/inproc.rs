//! burrow's client and server in one process, for before/after numbers of a data-path change
//! that do not depend on a quiet machine: a `-L` tunnel (client `LocalForward`, server
//! `ForwardHandler`, each on its own current-thread runtime and thread, as in two processes)
//! carries `INPROC_MIB` MiB (default 64) into a sink, then `INPROC_RR` (default 2000) 1-byte
//! round trips to an echo server. Prints MB/s, CPU seconds per GB of the client and server
//! threads (from /proc/thread-self/schedstat), and the median round trip.
//!
//! For instruction counts, run it under callgrind with a small volume:
//! `INPROC_MIB=16 INPROC_RR=200 valgrind --tool=callgrind target/release/deps/inproc-*`.
//! `INPROC_CIPHER` picks the cipher (default aes128-gcm@openssh.com), `INPROC_PACKET` the
//! most data the client puts in one CHANNEL_DATA (default 32768; OpenSSH's `ssh` mostly
//! sends 16384, the size of its channel reads).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(dead_code)]
#[path = "common/servers.rs"]
mod servers;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use burrow::{Client, ClientConfig, KeyPair, PublicKey, Server, ServerConfig};
use burrow_forward::{
    Connect, ForwardHandler, ForwardOptions, ForwardPolicy, ForwardServer, Listen, LocalForward,
};
use burrow_keyfiles::KeyOptions;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time of the calling thread so far, in ns.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Runs `f` on a new thread with a current-thread runtime; the thread publishes its CPU time
/// in `cpu` every 10 ms (and the runtime lives until the process ends).
fn spawn_runtime<F>(cpu: Arc<AtomicU64>, f: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            tokio::spawn(async move {
                loop {
                    cpu.store(thread_cpu_ns(), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            });
            f.await;
        });
    });
}

fn main() {
    let mib = env_or("INPROC_MIB", 64);
    let rr = env_or("INPROC_RR", 2000);
    let packet = u32::try_from(env_or("INPROC_PACKET", 32 << 10)).unwrap();
    let cipher =
        std::env::var("INPROC_CIPHER").unwrap_or_else(|_| "aes128-gcm@openssh.com".to_owned());
    let target_port = servers::target();
    let (server_cpu, client_cpu) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));

    let user_key = KeyPair::from_ed25519_seed(&[0x11; 32]);
    let user_blob = user_key.public_key().to_blob();
    let host = KeyPair::from_ed25519_seed(&[0x5A; 32]);
    let host_blob = host.public_key().to_blob();

    let (tx, rx) = mpsc::channel();
    spawn_runtime(server_cpu.clone(), async move {
        let auth = move |_: std::net::SocketAddr, _: &str, k: &PublicKey| {
            (k.to_blob() == user_blob).then(KeyOptions::unrestricted)
        };
        let forward = ForwardServer::new(ForwardPolicy::default(), Duration::from_secs(5));
        let handler = ForwardHandler::new(forward, auth);
        let server = Server::bind("127.0.0.1:0", ServerConfig::new(host), handler)
            .await
            .unwrap();
        tx.send(server.local_addr().unwrap().port()).unwrap();
        server.run().await.unwrap();
    });
    let server_port = rx.recv().unwrap();

    let (tx, rx) = mpsc::channel();
    spawn_runtime(client_cpu.clone(), async move {
        let check = move |_: &str, _: u16, k: &PublicKey| k.to_blob() == host_blob;
        let mut config = ClientConfig::new("bench".to_owned(), Arc::new(check));
        config.keys.push(user_key);
        config.connection.max_send_packet = packet;
        let mut t = (*config.transport).clone();
        t.set_ciphers(&cipher).unwrap();
        config.transport = Arc::new(t);
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
        tx.send(fwd.port()).unwrap();
        let why = fwd.run().await;
        panic!("forward ended: {why}");
    });
    let port = rx.recv().unwrap();

    // Warm up (first channel, allocator), then measure.
    servers::push(port, 1 << 20);
    std::thread::sleep(Duration::from_millis(30));
    let (c0, s0) = (
        client_cpu.load(Ordering::Relaxed),
        server_cpu.load(Ordering::Relaxed),
    );
    let total = (mib as u64) << 20;
    let t = Instant::now();
    assert_eq!(servers::push(port, total), total);
    let secs = t.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(30));
    let (c1, s1) = (
        client_cpu.load(Ordering::Relaxed),
        server_cpu.load(Ordering::Relaxed),
    );
    let gb = total as f64 / 1e9;
    println!(
        "bulk {mib} MiB: {:.0} MB/s, client {:.3} s/GB, server {:.3} s/GB (CPU of each runtime thread)",
        total as f64 / secs / 1e6,
        (c1 - c0) as f64 / 1e9 / gb,
        (s1 - s0) as f64 / 1e9 / gb,
    );

    if rr > 0 {
        let mut conn = servers::ping_pong_conn(port);
        let mut times = servers::ping_pong(&mut conn, rr);
        times.sort_by(f64::total_cmp);
        println!(
            "1-byte round trips: {rr}, median {:.1} µs",
            times[times.len() / 2]
        );
    }
}
