//! Connecting: the ClientConfig from settings (keys, agent, prompts, host key check), the
//! ProxyJump chain over direct-tcpip channels, and ssh's messages for each failure.

use std::sync::Arc;

use burrow::{Client, ClientConfig, Error, ErrorKind, Handler, Method, Phase, Session};
use burrow_keys::{KeyError, PrivateKeyFile};

use super::hostkey::CliHostKeyCheck;
use super::prompt::{self, BannerOnly, TtyPrompt};
use crate::config::client::ClientSettings;
use crate::sys::strerror;

/// Wrong passphrases allowed per key file, as ssh.
const PASSPHRASE_TRIES: usize = 3;

/// A connection failure: the lines to print and the exit status (255, as ssh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What to print on stderr, one entry per line.
    pub lines: Vec<String>,
}

impl Failure {
    fn line(text: String) -> Self {
        Self { lines: vec![text] }
    }
}

/// Builds the ClientConfig for one hop.
pub fn client_config(s: &ClientSettings, handler: Option<Arc<dyn Handler>>) -> ClientConfig {
    let known_hosts = s
        .known_hosts_files
        .first()
        .cloned()
        .unwrap_or_else(|| "/dev/null".to_owned());
    let check = CliHostKeyCheck::new(known_hosts.into(), s.strict_host_key_checking, s.batch_mode);
    let mut config = ClientConfig::new(s.user.clone(), Arc::new(check));
    config.transport = Arc::new(s.transport.clone());
    for file in &s.identity_files {
        load_identity(&mut config, file, s);
    }
    if !s.identities_only {
        config.agent = burrow::Agent::env_path();
    }
    if s.batch_mode {
        config.prompt = Some(Arc::new(BannerOnly));
        config.methods = vec![Method::Publickey];
    } else {
        config.prompt = Some(Arc::new(TtyPrompt));
    }
    if let Some(h) = handler {
        config.handler = h;
    }
    config.server_alive_interval = s.server_alive_interval;
    config.server_alive_count_max = s.server_alive_count_max;
    config.connect_timeout = s.connect_timeout;
    config
}

/// Adds one identity file; asks for its passphrase when it is encrypted (not in BatchMode).
fn load_identity(config: &mut ClientConfig, file: &str, s: &ClientSettings) {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            if s.identity_files_given {
                eprintln!(
                    "Warning: Identity file {file} not accessible: {}.",
                    strerror(&e)
                );
            }
            return;
        }
    };
    let parsed = match PrivateKeyFile::parse(&text) {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!("identity file {file}: {e}");
            return;
        }
    };
    match parsed.decrypt(b"") {
        Ok(k) => return config.keys.push(k.into_keypair()),
        Err(KeyError::WrongPassphrase) if !s.batch_mode => {}
        Err(e) => {
            tracing::debug!("identity file {file}: {e}");
            return;
        }
    }
    for _ in 0..PASSPHRASE_TRIES {
        let Some(pass) = prompt::ask(&format!("Enter passphrase for key '{file}': "), false) else {
            return;
        };
        if pass.is_empty() {
            return;
        }
        match parsed.decrypt(pass.as_bytes()) {
            Ok(k) => return config.keys.push(k.into_keypair()),
            Err(KeyError::WrongPassphrase) => eprintln!("Bad passphrase, try again for {file}"),
            Err(e) => return tracing::debug!("identity file {file}: {e}"),
        }
    }
}

/// Connects to the destination, through every jump host first. Returns the destination's
/// session and the jump sessions (to be kept alive as long as it).
pub async fn connect_chain(
    dest: &ClientSettings,
    jumps: &[ClientSettings],
    handler: Arc<dyn Handler>,
) -> Result<(Session, Vec<Session>), Failure> {
    let mut hops: Vec<Session> = Vec::new();
    for hop in jumps.iter().chain(std::iter::once(dest)) {
        let is_dest = std::ptr::eq(hop, dest);
        let config = client_config(hop, is_dest.then(|| handler.clone()));
        let session = match hops.last() {
            None => Client::connect(&hop.host_name, hop.port, config)
                .await
                .map_err(|e| failure(&e, hop))?,
            Some(prev) => {
                let channel = prev
                    .open_direct_tcpip(&hop.host_name, hop.port, "127.0.0.1", 0)
                    .await
                    .map_err(|e| jump_failure(&e, hop))?;
                Client::connect_stream(channel, &hop.host_name, hop.port, config)
                    .await
                    .map_err(|e| failure(&e, hop))?
            }
        };
        tracing::debug!(
            "Authenticated to {} ([{}]:{}).",
            hop.host_name,
            hop.host_name,
            hop.port
        );
        hops.push(session);
    }
    let session = hops
        .pop()
        .ok_or_else(|| Failure::line("no session".to_owned()))?;
    Ok((session, hops))
}

fn jump_failure(e: &Error, hop: &ClientSettings) -> Failure {
    match &*e.kind {
        ErrorKind::ChannelOpenFailed { description, .. } => Failure {
            lines: vec![
                format!("channel 0: open failed: {description}"),
                format!(
                    "burrow: stdio forwarding to {} port {} failed",
                    hop.host_name, hop.port
                ),
            ],
        },
        _ => failure(e, hop),
    }
}

/// ssh's message for a failed connection.
pub fn failure(e: &Error, s: &ClientSettings) -> Failure {
    let (host, port) = (&s.host_name, s.port);
    match &*e.kind {
        ErrorKind::Io(io) if e.phase == Phase::Connect => {
            let text = strerror(io);
            match text.strip_prefix("failed to lookup address information: ") {
                Some(rest) => {
                    Failure::line(format!("burrow: Could not resolve hostname {host}: {rest}"))
                }
                None if io.kind() == std::io::ErrorKind::TimedOut => Failure::line(format!(
                    "burrow: connect to host {host} port {port}: Connection timed out"
                )),
                None => Failure::line(format!(
                    "burrow: connect to host {host} port {port}: {text}"
                )),
            }
        }
        ErrorKind::HostKeyRejected { .. } => {
            Failure::line(burrow::host_key::VERIFICATION_FAILED.to_owned())
        }
        ErrorKind::AuthenticationFailed { methods_left } => Failure::line(format!(
            "{}@{host}: Permission denied ({}).",
            s.user,
            methods_left.join(",")
        )),
        ErrorKind::PeerDisconnected {
            reason,
            description,
        } => Failure::line(format!(
            "Received disconnect from {host} port {port}:{}: {description}\nDisconnected from {host} port {port}",
            reason.code()
        )),
        ErrorKind::PeerClosedSocket => {
            Failure::line(format!("Connection closed by {host} port {port}"))
        }
        _ => Failure::line(format!("burrow: {e}")),
    }
}
