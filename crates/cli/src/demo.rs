//! `burrow --demo`: the main job in one command, with nothing set up. An in-process burrowd
//! on loopback with throwaway keys, a local echo service, and a `-L`, a `-R` (port 0) and a
//! `-D` forward through it, each carrying data that is checked on the way back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use burrow::{Client, ClientConfig, KeyPair, PublicKey, Server, ServerConfig};
use burrow_forward::{
    Connect, ForwardHandler, ForwardOptions, ForwardPolicy, ForwardServer, Listen, LocalForward,
    RemoteForward, RemoteForwards,
};
use burrow_keyfiles::KeyOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Bytes sent through each forward (and echoed back).
pub const DEMO_BYTES: usize = 16 << 20;
/// Environment variable that sets the bytes per forward (tests use a small amount).
pub const DEMO_BYTES_ENV: &str = "BURROW_DEMO_BYTES";
/// Most bytes per forward the variable may ask for.
const MAX_DEMO_BYTES: usize = 1 << 30;

fn demo_bytes() -> usize {
    std::env::var(DEMO_BYTES_ENV)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0 && n <= MAX_DEMO_BYTES)
        .unwrap_or(DEMO_BYTES)
}

/// Longest one transfer may take.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs the demo; 0 when every forward carried its data intact, 1 otherwise.
pub async fn run() -> i32 {
    match demo().await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("burrow demo: {e}");
            1
        }
    }
}

async fn demo() -> Result<bool, Box<dyn std::error::Error>> {
    let mut rng = rand_core::OsRng;
    let host_key = KeyPair::generate_ed25519(&mut rng);
    let client_key = KeyPair::generate_ed25519(&mut rng);
    let (host_pub, client_pub) = (
        host_key.public_key().clone(),
        client_key.public_key().clone(),
    );

    let echo = TcpListener::bind("127.0.0.1:0").await?;
    let echo_port = echo.local_addr()?.port();
    tokio::spawn(echo_service(echo));

    let auth = move |_peer: std::net::SocketAddr, _user: &str, key: &PublicKey| {
        (*key == client_pub).then(KeyOptions::unrestricted)
    };
    let forwards = ForwardServer::new(ForwardPolicy::default(), Duration::from_secs(10));
    let server = Server::bind(
        "127.0.0.1:0",
        ServerConfig::new(host_key),
        ForwardHandler::new(forwards, auth),
    )
    .await?;
    let server_addr = server.local_addr()?;
    let stopper = server.stopper();
    let server_task = tokio::spawn(server.run());
    println!(
        "burrow demo: in-process burrowd on {server_addr}, echo service on 127.0.0.1:{echo_port}, throwaway ed25519 keys"
    );

    let routes = RemoteForwards::new();
    let check = move |_: &str, _: u16, k: &PublicKey| *k == host_pub;
    let mut config = ClientConfig::new("demo", Arc::new(check));
    config.keys.push(client_key);
    config.handler = routes.clone();
    let started = Instant::now();
    let session = Client::connect("127.0.0.1", server_addr.port(), config).await?;
    println!(
        "handshake (TCP connect, key exchange, publickey authentication): {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );

    let loopback = || Listen::Tcp {
        bind: Some("127.0.0.1".to_owned()),
        port: 0,
    };
    let target = Connect::Tcp {
        host: "127.0.0.1".to_owned(),
        port: echo_port,
    };
    let opts = ForwardOptions::default();
    let local = LocalForward::local(&session, &loopback(), target.clone(), &opts).await?;
    let remote = RemoteForward::start(&session, &routes, &loopback(), Some(target), &opts).await?;
    let dynamic = LocalForward::dynamic(&session, &loopback(), &opts).await?;
    let (lport, rport, dport) = (local.port(), remote.port(), dynamic.port());
    let allocated = remote.allocated_message().unwrap_or_default();
    tokio::spawn(local.run());
    tokio::spawn(remote.run());
    tokio::spawn(dynamic.run());

    let total = demo_bytes();
    let mut all_ok = true;
    let runs = [
        (format!("-L {lport}:127.0.0.1:{echo_port}"), lport, false),
        (
            format!("-R 0:127.0.0.1:{echo_port} ({allocated})"),
            rport,
            false,
        ),
        (
            format!("-D {dport} (SOCKS5 to 127.0.0.1:{echo_port})"),
            dport,
            true,
        ),
    ];
    for (name, port, socks) in runs {
        let result =
            tokio::time::timeout(TRANSFER_TIMEOUT, transfer(port, socks, echo_port, total)).await;
        match result {
            Ok(Ok(secs)) => {
                let mb = total as f64 / 1e6;
                println!(
                    "{name}: ok, {:.1} MiB each way, integrity checked, {secs:.2} s, {:.1} MB/s",
                    total as f64 / f64::from(1u32 << 20),
                    mb / secs
                );
            }
            Ok(Err(e)) => {
                all_ok = false;
                println!("{name}: FAILED: {e}");
            }
            Err(_) => {
                all_ok = false;
                println!(
                    "{name}: FAILED: no echo within {} s",
                    TRANSFER_TIMEOUT.as_secs()
                );
            }
        }
    }
    session.disconnect().await;
    stopper.stop(Duration::from_secs(1));
    server_task.await??;
    if all_ok {
        println!("all 3 forwards worked");
    } else {
        println!("some forwards failed");
    }
    Ok(all_ok)
}

async fn echo_service(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let (mut rd, mut wr) = stream.into_split();
            if let Err(e) = tokio::io::copy(&mut rd, &mut wr).await {
                tracing::debug!("echo: {e}");
            }
            if let Err(e) = wr.shutdown().await {
                tracing::debug!("echo: {e}");
            }
        });
    }
}

/// A deterministic byte stream (xorshift64), so both ends can produce and check it.
struct Pattern(u64);

impl Pattern {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            let bytes = self.0.to_le_bytes();
            for (b, v) in chunk.iter_mut().zip(bytes) {
                *b = v;
            }
        }
    }
}

/// Sends `total` bytes through the forward on `port` and checks the echo; returns the seconds.
async fn transfer(
    port: u16,
    socks: bool,
    echo_port: u16,
    total: usize,
) -> Result<f64, Box<dyn std::error::Error>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    if socks {
        socks5_connect(&mut stream, echo_port).await?;
    }
    let started = Instant::now();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        let mut pattern = Pattern(0x9e37_79b9_7f4a_7c15);
        let mut buf = vec![0u8; 64 << 10];
        let mut left = total;
        while left > 0 {
            let n = left.min(buf.len());
            let chunk = buf.get_mut(..n).ok_or("chunk")?;
            pattern.fill(chunk);
            wr.write_all(chunk).await?;
            left -= n;
        }
        wr.shutdown().await?;
        Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    });
    let mut expected = Pattern(0x9e37_79b9_7f4a_7c15);
    let (mut got, mut want) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    let mut received = 0usize;
    // Pattern works in 8-byte steps: compare in whole chunks of 64 KiB.
    let mut pending = Vec::with_capacity(128 << 10);
    loop {
        let n = rd.read(&mut got).await?;
        if n == 0 {
            break;
        }
        pending.extend_from_slice(got.get(..n).ok_or("read")?);
        while pending.len() >= want.len()
            || (received + pending.len() == total && !pending.is_empty())
        {
            let take = pending.len().min(want.len());
            let w = want.get_mut(..take).ok_or("chunk")?;
            expected.fill(w);
            if pending.get(..take) != Some(&*w) {
                return Err(
                    format!("data differs within bytes {received}..{}", received + take).into(),
                );
            }
            pending.drain(..take);
            received += take;
        }
    }
    writer.await?.map_err(|e| e.to_string())?;
    if received != total {
        return Err(format!("{received} of {total} bytes came back").into());
    }
    Ok(started.elapsed().as_secs_f64())
}

/// SOCKS5, no authentication, CONNECT to 127.0.0.1:`port`.
async fn socks5_connect(
    stream: &mut TcpStream,
    port: u16,
) -> Result<(), Box<dyn std::error::Error>> {
    stream.write_all(&[5, 1, 0]).await?;
    let mut reply = [0u8; 2];
    stream.read_exact(&mut reply).await?;
    if reply != [5, 0] {
        return Err(format!("SOCKS method reply {reply:?}").into());
    }
    let [hi, lo] = port.to_be_bytes();
    stream
        .write_all(&[5, 1, 0, 1, 127, 0, 0, 1, hi, lo])
        .await?;
    let mut reply = [0u8; 10];
    stream.read_exact(&mut reply).await?;
    if reply.get(1) != Some(&0) {
        return Err(format!("SOCKS connect reply code {:?}", reply.get(1)).into());
    }
    Ok(())
}
