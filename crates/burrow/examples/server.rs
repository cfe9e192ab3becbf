//! Example server: accepts one public key and serves `direct-tcpip` by connecting to the
//! requested target (what `ssh -L` and `ssh -W` need); everything else is refused.
//!
//! ```text
//! cargo run -p burrow --example server -- 127.0.0.1:2222 HOST_KEY_FILE CLIENT_KEY.pub
//! ssh -p 2222 -N -L 8080:127.0.0.1:80 user@127.0.0.1
//! ```
#![allow(dead_code)]

use std::path::Path;

use burrow::{
    ChannelOpenType, ConnectionInfo, IncomingChannel, KeyPair, OpenFailureReason, PublicKey,
    Server, ServerConfig, ServerHandler,
};
use tokio::net::TcpStream;

/// Lets exactly one key in, as any user, and forwards `direct-tcpip` channels.
pub struct OneKey {
    /// The only key allowed.
    pub key: PublicKey,
}

impl ServerHandler for OneKey {
    type Permissions = ();

    fn auth_publickey(
        &self,
        _peer: std::net::SocketAddr,
        _user: &str,
        key: &PublicKey,
    ) -> Option<()> {
        (*key == self.key).then_some(())
    }

    fn channel_open(&self, _conn: &ConnectionInfo<()>, channel: IncomingChannel) {
        let ChannelOpenType::DirectTcpip {
            host_to_connect,
            port_to_connect,
            ..
        } = channel.channel_type()
        else {
            channel.reject(
                OpenFailureReason::AdministrativelyProhibited,
                "only direct-tcpip",
            );
            return;
        };
        let Ok(port) = u16::try_from(*port_to_connect) else {
            channel.reject(OpenFailureReason::ConnectFailed, "bad port");
            return;
        };
        let host = host_to_connect.to_string();
        tokio::spawn(async move {
            match TcpStream::connect((host.as_str(), port)).await {
                Ok(mut target) => {
                    let Ok(mut ch) = channel.accept() else { return };
                    if let Err(e) = target.set_nodelay(true) {
                        eprintln!("TCP_NODELAY: {e}");
                    }
                    if let Err(e) = tokio::io::copy_bidirectional(&mut ch, &mut target).await {
                        eprintln!("forward to {host}:{port} ended: {e}");
                    }
                }
                Err(e) => channel.reject(OpenFailureReason::ConnectFailed, &e.to_string()),
            }
        });
    }
}

/// Binds `addr` with the host key in `host_key_file` (OpenSSH format, unencrypted) and the
/// client public key line in `client_key_file`.
pub async fn bind(
    addr: &str,
    host_key_file: &Path,
    client_key_file: &Path,
) -> Result<Server<OneKey>, Box<dyn std::error::Error>> {
    let host_key = burrow::PrivateKeyFile::parse(&std::fs::read_to_string(host_key_file)?)?
        .decrypt(b"")?
        .into_keypair();
    let (key, _comment) =
        burrow::parse_public_key_line(std::fs::read_to_string(client_key_file)?.trim())?;
    Ok(Server::bind(addr, ServerConfig::new(host_key), OneKey { key }).await?)
}

/// Same as `bind` with keys in memory.
pub async fn bind_with_keys(
    addr: &str,
    host_key: KeyPair,
    client_key: PublicKey,
) -> std::io::Result<Server<OneKey>> {
    Server::bind(
        addr,
        ServerConfig::new(host_key),
        OneKey { key: client_key },
    )
    .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, host_key, client_key] = args.as_slice() else {
        eprintln!("usage: server ADDR HOST_KEY_FILE CLIENT_KEY.pub");
        std::process::exit(2);
    };
    let server = bind(addr, host_key.as_ref(), client_key.as_ref()).await?;
    eprintln!("listening on {}", server.local_addr()?);
    let stop = server.stopper();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.stop(std::time::Duration::from_secs(5));
        }
    });
    server.run().await?;
    Ok(())
}
