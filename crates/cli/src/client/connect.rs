//! Connecting: the ClientConfig from settings (keys, agent, prompts, host key check), the
//! ProxyJump chain over direct-tcpip channels, and ssh's messages for each failure.

use std::sync::Arc;

use burrow::{Client, ClientConfig, Error, ErrorKind, Handler, IpFamily, Method, Phase, Session};
use burrow_keyfiles::KeyFileError;
use burrow_keyfiles::PrivateKeyFile;

use super::hostkey::{CliHostKeyCheck, Trust};
use super::prompt::{self, BannerOnly, TtyPrompt};
use crate::config::client::ClientSettings;
use crate::config::ssh_config::AddressFamily;
use crate::sys::strerror;

/// Wrong passphrases allowed per key file, as ssh.
const PASSPHRASE_TRIES: usize = 3;

/// Keys decrypted with a passphrase, by file, so that a reconnect does not ask again.
static DECRYPTED: std::sync::Mutex<Vec<(String, burrow::KeyPair)>> =
    std::sync::Mutex::new(Vec::new());

fn decrypted(file: &str) -> Option<burrow::KeyPair> {
    let cache = DECRYPTED.lock().ok()?;
    cache
        .iter()
        .find(|(f, _)| f == file)
        .map(|(_, k)| k.clone())
}

/// A connection failure: the lines to print and the exit status (255, as ssh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What to print on stderr, one entry per line.
    pub lines: Vec<String>,
    /// Trying again cannot help (a host key refused, authentication failed): Reconnect stops.
    pub permanent: bool,
}

impl Failure {
    fn line(text: String) -> Self {
        Self {
            lines: vec![text],
            permanent: false,
        }
    }

    fn permanent(text: String) -> Self {
        Self {
            lines: vec![text],
            permanent: true,
        }
    }
}

/// Builds the ClientConfig for one hop, and its host key check (to ask afterwards whether
/// the key was trusted). The destination gets `handler` and its forwards.
pub fn client_config(
    s: &ClientSettings,
    handler: Option<Arc<dyn Handler>>,
) -> (ClientConfig, Arc<CliHostKeyCheck>) {
    let check = Arc::new(CliHostKeyCheck::new(
        s,
        handler.is_some() && !s.forwards.is_empty(),
    ));
    let mut config = ClientConfig::new(s.user.clone(), check.clone());
    config.transport = Arc::new(s.transport.clone());
    config.connection.window_budget = s.channel_window_budget;
    config.pubkey_algorithms.clone_from(&s.pubkey_algorithms);
    config.required_rsa_size = s.required_rsa_size;
    for file in &s.identity_files {
        load_identity(&mut config, file, s);
    }
    // `<identity>-cert.pub` beside each identity, then CertificateFile, as ssh loads them.
    let beside = s
        .identity_files
        .iter()
        .map(|f| (format!("{f}-cert.pub"), false));
    let given = s.certificate_files.iter().map(|f| (f.clone(), true));
    for (file, warn) in beside.chain(given) {
        if let Some(cert) = load_certificate(&file, warn) {
            config.certificates.push(cert);
        }
    }
    config.agent = s.identity_agent.as_ref().map(std::path::PathBuf::from);
    // IdentitiesOnly: of the agent's keys, only those of the identity files.
    if s.identities_only {
        config.agent_only_keys = Some(
            s.identity_files
                .iter()
                .filter_map(|f| identity_public_key(f))
                .collect(),
        );
    }
    config.methods.clone_from(&s.methods);
    if s.batch_mode {
        config.prompt = Some(Arc::new(BannerOnly));
        config.methods.retain(|m| *m == Method::Publickey);
    } else {
        config.prompt = Some(Arc::new(TtyPrompt));
    }
    if let Some(h) = handler {
        config.handler = h;
    }
    config.server_alive_interval = s.server_alive_interval;
    config.server_alive_count_max = s.server_alive_count_max;
    config.connect_timeout = s.connect_timeout;
    config.ip_family = match s.address_family {
        AddressFamily::Any => IpFamily::Any,
        AddressFamily::Inet => IpFamily::V4,
        AddressFamily::Inet6 => IpFamily::V6,
    };
    config.bind_address = s.bind_address;
    config.tcp_keepalive = s.tcp_keep_alive;
    (config, check)
}

/// The public key of an identity file: from the private key file (without decrypting it),
/// from `file.pub`, or from `file` itself when it holds a public key line.
fn identity_public_key(file: &str) -> Option<burrow::PublicKey> {
    let from_line = |text: String| {
        burrow_keyfiles::parse_public_key_line(text.lines().next()?.trim())
            .ok()
            .map(|(k, _)| k)
    };
    let text = std::fs::read_to_string(file).ok();
    text.as_deref()
        .and_then(|t| PrivateKeyFile::parse(t).ok())
        .map(|p| p.public_key().clone())
        .or_else(|| from_line(std::fs::read_to_string(format!("{file}.pub")).ok()?))
        .or_else(|| from_line(text?))
}

/// The certificate in the public key line of `file`; `warn`: say so when it is missing.
fn load_certificate(file: &str, warn: bool) -> Option<burrow::Certificate> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            if warn {
                eprintln!(
                    "Warning: certificate file {file} not accessible: {}.",
                    strerror(&e)
                );
            }
            return None;
        }
    };
    let line = burrow_keyfiles::PublicKeyLine::parse(text.lines().next()?.trim()).ok()?;
    let all = burrow_keys::SigAlg::ALL;
    match burrow::Certificate::from_blob(line.key.blob(), &all) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::debug!("certificate file {file}: {e}");
            None
        }
    }
}

/// False (after OpenSSH's warning) when the key file `file` may be read by others.
fn permissions_ok(file: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(file) else {
        return true;
    };
    let mode = meta.mode() & 0o777;
    // As ssh: only files of the user running us are checked (uid from /proc/self).
    let me = std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid());
    if meta.uid() != me || mode & 0o077 == 0 {
        return true;
    }
    let bar = "@".repeat(59);
    tracing::error!(
        "{bar}\n@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n{bar}\n\
         Permissions 0{mode:03o} for '{file}' are too open.\n\
         It is required that your private key files are NOT accessible by others.\n\
         This private key will be ignored.\n\
         Load key \"{file}\": bad permissions"
    );
    false
}

/// Adds one identity file; asks for its passphrase when it is encrypted (not in BatchMode).
fn load_identity(config: &mut ClientConfig, file: &str, s: &ClientSettings) {
    if !permissions_ok(file) {
        return;
    }
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
    // RequiredRSASize, with ssh's message.
    if let Err(e) = parsed.public_key().check_rsa_size(s.required_rsa_size) {
        tracing::error!("load pubkey \"{file}\": {e}");
        return;
    }
    match parsed.decrypt(b"") {
        Ok(k) => return config.keys.push(k.into_keypair()),
        Err(e) if asks_passphrase(&e, s.batch_mode) => {}
        Err(e) => {
            tracing::debug!("identity file {file}: {e}");
            return;
        }
    }
    if let Some(k) = decrypted(file) {
        return config.keys.push(k);
    }
    for _ in 0..PASSPHRASE_TRIES {
        let Some(pass) = prompt::ask(&format!("Enter passphrase for key '{file}': "), false) else {
            return;
        };
        if pass.is_empty() {
            return;
        }
        match parsed.decrypt(pass.as_bytes()) {
            Ok(k) => {
                let k = k.into_keypair();
                if let Ok(mut cache) = DECRYPTED.lock() {
                    cache.push((file.to_owned(), k.clone()));
                }
                return config.keys.push(k);
            }
            Err(KeyFileError::WrongPassphrase) => eprintln!("Bad passphrase, try again for {file}"),
            Err(e) => return tracing::debug!("identity file {file}: {e}"),
        }
    }
}

/// Whether a failed decryption with the empty passphrase leads to the passphrase prompt: the
/// key is encrypted (or the empty passphrase was wrong) and we may ask (not BatchMode).
fn asks_passphrase(e: &KeyFileError, batch_mode: bool) -> bool {
    !batch_mode
        && matches!(
            e,
            KeyFileError::PassphraseRequired | KeyFileError::WrongPassphrase
        )
}

/// The destination's session, the jump sessions (to be kept alive as long as it), and
/// whether the destination's host key was accepted without being trusted.
pub struct Connected {
    /// The destination.
    pub session: Session,
    /// The jump hosts' sessions.
    pub jumps: Vec<Session>,
    /// A changed key accepted under `StrictHostKeyChecking no`: set up no forwards.
    pub untrusted: bool,
    /// The ProxyCommand carrying the first hop, if any (killed when dropped).
    pub proxy: Option<tokio::process::Child>,
}

/// Connects to the destination, through every jump host first.
pub async fn connect_chain(
    dest: &ClientSettings,
    jumps: &[ClientSettings],
    handler: Arc<dyn Handler>,
) -> Result<Connected, Failure> {
    let mut hops: Vec<Session> = Vec::new();
    let mut untrusted = false;
    let mut proxy = None;
    for hop in jumps.iter().chain(std::iter::once(dest)) {
        let is_dest = std::ptr::eq(hop, dest);
        let (config, check) = client_config(hop, is_dest.then(|| handler.clone()));
        let fail = |e: &Error| match check.trust() {
            Trust::ForwardingFatal => Failure {
                lines: Vec::new(),
                permanent: true,
            },
            _ => failure(e, hop),
        };
        let session = match (hops.last(), &hop.proxy_command) {
            (None, Some(command)) if hop.proxy_use_fdpass => {
                let stream = super::proxy::spawn_fdpass(command).await.map_err(|e| {
                    Failure::line(format!(
                        "burrow: proxy dialer \"{command}\": {}",
                        strerror(&e)
                    ))
                })?;
                Client::connect_stream(stream, &hop.host_name, hop.port, config)
                    .await
                    .map_err(|e| fail(&e))?
            }
            (None, Some(command)) => {
                let (stream, child) = super::proxy::spawn(command).map_err(|e| {
                    Failure::line(format!(
                        "burrow: proxy command \"{command}\": {}",
                        strerror(&e)
                    ))
                })?;
                let child = proxy.insert(child);
                match Client::connect_stream(stream, &hop.host_name, hop.port, config).await {
                    Ok(s) => s,
                    Err(e) => {
                        let mut f = fail(&e);
                        f.lines.extend(super::proxy::exit_report(child).await);
                        return Err(f);
                    }
                }
            }
            (None, None) => connect_with_attempts(hop, config)
                .await
                .map_err(|e| fail(&e))?,
            (Some(prev), _) => {
                let channel = prev
                    .open_direct_tcpip(&hop.host_name, hop.port, "127.0.0.1", 0)
                    .await
                    .map_err(|e| jump_failure(&e, hop))?;
                Client::connect_stream(channel, &hop.host_name, hop.port, config)
                    .await
                    .map_err(|e| fail(&e))?
            }
        };
        untrusted = check.trust() != Trust::Trusted;
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
    Ok(Connected {
        session,
        jumps: hops,
        untrusted,
        proxy,
    })
}

/// ConnectionAttempts: retries a connection that failed before the SSH handshake, one
/// second apart, as ssh.
async fn connect_with_attempts(
    hop: &ClientSettings,
    config: ClientConfig,
) -> Result<Session, Error> {
    let mut attempt = 1;
    loop {
        match Client::connect(&hop.host_name, hop.port, config.clone()).await {
            Err(e) if e.phase == Phase::Connect && attempt < hop.connection_attempts => {
                tracing::debug!("connect to {}: {e}; trying again", hop.host_name);
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            other => return other,
        }
    }
}

fn jump_failure(e: &Error, hop: &ClientSettings) -> Failure {
    match &*e.kind {
        ErrorKind::ChannelOpenFailed { description, .. } => Failure {
            permanent: false,
            lines: vec![
                format!(
                    "channel 0: open failed: {}",
                    burrow::peer_text::line(description)
                ),
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
            Failure::permanent(burrow::host_key::VERIFICATION_FAILED.to_owned())
        }
        ErrorKind::AuthenticationFailed { methods_left } => Failure::permanent(format!(
            "{}@{host}: Permission denied ({}).",
            s.user,
            methods_left.join(",")
        )),
        ErrorKind::PeerDisconnected {
            reason,
            description,
        } => Failure::line(format!(
            "Received disconnect from {host} port {port}:{}: {}\nDisconnected from {host} port {port}",
            reason.code(),
            burrow::peer_text::line(description)
        )),
        ErrorKind::PeerClosedSocket => {
            Failure::line(format!("Connection closed by {host} port {port}"))
        }
        _ => Failure::line(format!("burrow: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encrypted_key_asks_for_its_passphrase_unless_batch_mode() {
        // decrypt(b"") of an encrypted key reports PassphraseRequired (issue 13).
        assert!(asks_passphrase(&KeyFileError::PassphraseRequired, false));
        assert!(asks_passphrase(&KeyFileError::WrongPassphrase, false));
        assert!(!asks_passphrase(&KeyFileError::PassphraseRequired, true));
        assert!(!asks_passphrase(&KeyFileError::BadMagic, false));
    }
}
