//! Example client: log in to an SSH server (OpenSSH or burrow) with a key file, then run a
//! command or send a line through a `direct-tcpip` channel.
//!
//! ```text
//! cargo run -p burrow --example client -- USER HOST PORT KEYFILE KNOWN_HOSTS exec 'echo hi'
//! cargo run -p burrow --example client -- USER HOST PORT KEYFILE KNOWN_HOSTS forward 127.0.0.1 8080 'hello'
//! ```
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use burrow::{Client, ClientConfig, ExitInfo, KnownHostsFile, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Connects and authenticates with the private key at `key_file`; unknown host keys are
/// added to `known_hosts` (accept-new).
pub async fn connect(
    user: &str,
    host: &str,
    port: u16,
    key_file: &Path,
    known_hosts: &Path,
) -> Result<Session, Box<dyn std::error::Error>> {
    let check = KnownHostsFile::new(known_hosts.to_path_buf());
    let mut config = ClientConfig::new(user, Arc::new(check));
    config.add_key_file(key_file, None)?;
    Ok(Client::connect(host, port, config).await?)
}

/// Runs `command`; returns its stdout and how it exited.
pub async fn exec(
    session: &Session,
    command: &str,
) -> Result<(Vec<u8>, Option<ExitInfo>), Box<dyn std::error::Error>> {
    let mut channel = session.exec(command).await?;
    channel.shutdown().await?;
    let mut stdout = Vec::new();
    channel.read_to_end(&mut stdout).await?;
    let exit = channel.exit_status().await;
    Ok((stdout, exit))
}

/// Opens a `direct-tcpip` channel to `host:port`, sends `data`, half-closes, and returns
/// everything the target sent back.
pub async fn forward(
    session: &Session,
    host: &str,
    port: u16,
    data: &[u8],
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut channel = session
        .open_direct_tcpip(host, port, "127.0.0.1", 0)
        .await?;
    channel.write_all(data).await?;
    channel.shutdown().await?;
    let mut reply = Vec::new();
    channel.read_to_end(&mut reply).await?;
    Ok(reply)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [user, host, port, key, known_hosts, mode, rest @ ..] = args.as_slice() else {
        eprintln!(
            "usage: client USER HOST PORT KEYFILE KNOWN_HOSTS (exec CMD | forward HOST PORT DATA)"
        );
        std::process::exit(2);
    };
    let session = connect(
        user,
        host,
        port.parse()?,
        key.as_ref(),
        known_hosts.as_ref(),
    )
    .await?;
    match (mode.as_str(), rest) {
        ("exec", [command]) => {
            let (stdout, exit) = exec(&session, command).await?;
            print!("{}", String::from_utf8_lossy(&stdout));
            println!("exit: {exit:?}");
        }
        ("forward", [target, target_port, data]) => {
            let reply = forward(&session, target, target_port.parse()?, data.as_bytes()).await?;
            println!("{}", String::from_utf8_lossy(&reply));
        }
        _ => {
            eprintln!("unknown mode");
            std::process::exit(2);
        }
    }
    session.disconnect().await;
    Ok(())
}
