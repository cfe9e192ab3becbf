//! burrowd's configuration: `-o` options, then the `-f` file; listen addresses, host keys
//! and the library's ServerConfig from it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use burrow::{KeyPair, ServerConfig, SigAlg, TransportConfig};
use burrow_forward::ForwardServer;

use super::auth::LoginPolicy;
use super::handler::Current;
use super::hostkey;
use crate::args::ServerArgs;
use crate::config::algorithms::Family;
use crate::config::sshd_config::{SshdOptions, apply_option, read_config};
use crate::config::syntax;
use crate::config::value::LogLevel;
use crate::sys::PasswdEntry;

/// burrowd's port when none is configured (not 22: it is meant to run beside sshd).
pub const DEFAULT_PORT: u16 = 2222;
/// burrowd's address when none is configured.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1";
/// How long connecting to a forward's target may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads `-o` options and the configuration file; ignored keywords are logged.
pub fn read_options(args: &ServerArgs) -> Result<SshdOptions, String> {
    let mut opts = SshdOptions::default();
    let mut ignored = Vec::new();
    for o in &args.options {
        ignored.extend(apply_option(&mut opts, o).map_err(|e| e.to_string())?);
    }
    if let Some(path) = &args.config_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{path}: {}", crate::sys::strerror(&e)))?;
        ignored.extend(
            read_config(&mut opts, path, &text)
                .map_err(|e| format!("{e}\n{path}: terminating, 1 bad configuration options"))?,
        );
    }
    for i in ignored {
        tracing::debug!(
            "{}: line {}: {} ignored (no meaning for burrowd)",
            i.file,
            i.line,
            i.keyword
        );
    }
    Ok(opts)
}

/// The log level: LogLevel, raised by each `-d`.
pub fn log_level(args: &ServerArgs, opts: &SshdOptions) -> LogLevel {
    opts.log_level
        .unwrap_or(LogLevel::Info)
        .raised_by_verbosity(args.debug)
}

/// The addresses to listen on: each ListenAddress (with its own port, or each port), by
/// default 127.0.0.1; ports from `-p`, else Port, else 2222.
pub fn listen_addresses(
    args: &ServerArgs,
    opts: &SshdOptions,
) -> Result<Vec<(String, u16)>, String> {
    let ports: Vec<u16> = if !args.ports.is_empty() {
        args.ports.clone()
    } else if !opts.ports.is_empty() {
        opts.ports.clone()
    } else {
        vec![DEFAULT_PORT]
    };
    let addresses = if opts.listen_addresses.is_empty() {
        vec![DEFAULT_ADDRESS.to_owned()]
    } else {
        opts.listen_addresses.clone()
    };
    let mut out = Vec::new();
    for a in &addresses {
        let (host, port) = split_listen(a).ok_or_else(|| format!("bad ListenAddress \"{a}\""))?;
        match port {
            Some(p) => out.push((host, p)),
            None => out.extend(ports.iter().map(|&p| (host.clone(), p))),
        }
    }
    Ok(out)
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address.
fn split_listen(a: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = a.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host.to_owned(), None)),
            p => Some((
                host.to_owned(),
                Some(crate::config::value::parse_port(p.strip_prefix(':')?)?),
            )),
        };
    }
    match a.split_once(':') {
        Some((h, p)) if !p.contains(':') => {
            Some((h.to_owned(), Some(crate::config::value::parse_port(p)?)))
        }
        _ => Some((a.to_owned(), None)),
    }
}

/// The host keys: every `-h` and HostKey that loads (as sshd, one that does not is logged
/// and skipped; none at all is an error), else the default one (created if missing).
pub fn host_keys(
    args: &ServerArgs,
    opts: &SshdOptions,
    me: &PasswdEntry,
) -> Result<Vec<(PathBuf, KeyPair)>, String> {
    let paths: Vec<&String> = args.host_keys.iter().chain(opts.host_key_paths()).collect();
    if paths.is_empty() {
        return hostkey::load_or_create_default(&me.home).map(|k| vec![k]);
    }
    let mut keys = Vec::new();
    for p in paths {
        let path = PathBuf::from(p);
        match hostkey::load(&path) {
            Ok(k) => match k.public_key().check_rsa_size(opts.required_rsa_size()) {
                Ok(()) => keys.push((path, k)),
                Err(e) => tracing::error!("Host key {p}: {e}"),
            },
            Err(e) => tracing::error!("{e}"),
        }
    }
    if keys.is_empty() {
        return Err("no hostkeys available -- exiting.".to_owned());
    }
    Ok(keys)
}

/// The library's ServerConfig for these options.
pub fn server_config(opts: &SshdOptions, keys: Vec<KeyPair>) -> Result<ServerConfig, String> {
    let mut config = ServerConfig::with_host_keys(keys);
    let mut t = TransportConfig::default();
    let bad = |k: &str, v: &str| format!("bad {k} value \"{v}\"");
    let lists = [
        (Family::Ciphers, &opts.ciphers),
        (Family::Macs, &opts.macs),
        (Family::Kex, &opts.kex_algorithms),
        (Family::HostKey, &opts.host_key_algorithms),
    ];
    for (family, spec) in lists {
        if let Some(v) = spec {
            family
                .apply(&mut t, v)
                .map_err(|_| bad(family.keyword(), v))?;
        }
    }
    if let Some(v) = &opts.pubkey_accepted_algorithms {
        let algs = syntax::sig_algs("PubkeyAcceptedAlgorithms", v, &SigAlg::DEFAULT_PUBKEY)
            .map_err(|_| bad("PubkeyAcceptedAlgorithms", v))?;
        t.server_sig_algs.clone_from(&algs);
        config.userauth.pubkey_algorithms = algs;
    }
    if let Some(v) = &opts.ca_signature_algorithms {
        config.userauth.ca_algorithms =
            syntax::sig_algs("CASignatureAlgorithms", v, &SigAlg::DEFAULT_PUBKEY)
                .map_err(|_| bad("CASignatureAlgorithms", v))?;
    }
    if let Some(r) = opts.rekey_limit {
        t.rekey_limit = r;
    }
    config.transport = Arc::new(t);
    config.userauth.publickey = opts.pubkey_authentication();
    if opts.password_authentication() {
        tracing::warn!(
            "PasswordAuthentication yes: burrowd has no password database; only keys are accepted"
        );
    }
    config.userauth.password = false;
    config.userauth.max_auth_tries = opts.max_auth_tries();
    config.userauth.login_grace_time = Duration::from_secs(opts.login_grace_time());
    config.userauth.banner = banner(opts)?;
    config.max_startups = opts.max_startups();
    config.client_alive_interval = opts
        .client_alive_interval
        .filter(|&s| s > 0)
        .map(Duration::from_secs);
    config.client_alive_count_max = opts.client_alive_count_max();
    if let Some(n) = opts.max_sessions {
        // A forwarding server has no sessions: MaxSessions caps open channels per connection.
        config.connection.max_channels = n;
    }
    if let Some(b) = opts.channel_window_budget {
        config.connection.window_budget = b;
    }
    Ok(config)
}

fn banner(opts: &SshdOptions) -> Result<Option<String>, String> {
    match opts.banner.as_deref() {
        None => Ok(None),
        Some(b) if b.eq_ignore_ascii_case("none") => Ok(None),
        Some(path) => std::fs::read_to_string(path)
            .map(Some)
            .map_err(|e| format!("Banner {path}: {}", crate::sys::strerror(&e))),
    }
}

/// What the root listener enforces before a connection gets its own process.
pub fn limits(opts: &SshdOptions) -> super::privsep::Limits {
    super::privsep::Limits {
        max_startups: opts.max_startups(),
        per_source: opts.per_source_max_startups,
    }
}

/// The login and forwarding policy of these options.
pub fn current(opts: &SshdOptions, me: &PasswdEntry) -> Current {
    Current {
        login: LoginPolicy {
            options: opts.clone(),
            me: me.clone(),
        },
        forwards: ForwardServer::new(opts.forward_policy(), CONNECT_TIMEOUT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> ServerArgs {
        let mut argv = vec!["burrowd"];
        argv.extend_from_slice(extra);
        ServerArgs::parse_from_argv(argv).unwrap()
    }

    #[test]
    fn default_listens_on_loopback_2222() {
        let a = args(&[]);
        assert_eq!(
            listen_addresses(&a, &SshdOptions::default()).unwrap(),
            [("127.0.0.1".to_owned(), 2222)]
        );
    }

    #[test]
    fn listen_addresses_ports_and_command_line_ports() {
        let mut o = SshdOptions::default();
        apply_option(&mut o, "ListenAddress 0.0.0.0").unwrap();
        apply_option(&mut o, "ListenAddress [::1]:2201").unwrap();
        apply_option(&mut o, "ListenAddress ::1").unwrap();
        apply_option(&mut o, "Port 2200").unwrap();
        let got = listen_addresses(&args(&[]), &o).unwrap();
        assert_eq!(
            got,
            [
                ("0.0.0.0".to_owned(), 2200),
                ("::1".to_owned(), 2201),
                ("::1".to_owned(), 2200)
            ]
        );
        let got = listen_addresses(&args(&["-p", "9"]), &o).unwrap();
        assert_eq!(got.first(), Some(&("0.0.0.0".to_owned(), 9)));
    }

    #[test]
    fn every_host_certificate_is_kept_and_needs_a_file() {
        let mut o = SshdOptions::default();
        apply_option(&mut o, "HostCertificate /etc/ssh/a-cert.pub").unwrap();
        apply_option(&mut o, "HostCertificate /etc/ssh/b-cert.pub").unwrap();
        assert_eq!(
            o.host_certificates,
            ["/etc/ssh/a-cert.pub", "/etc/ssh/b-cert.pub"]
        );
        assert!(apply_option(&mut o, "HostCertificate").is_err());
    }

    #[test]
    fn server_config_takes_the_options() {
        let mut o = SshdOptions::default();
        apply_option(&mut o, "MaxAuthTries 2").unwrap();
        apply_option(&mut o, "LoginGraceTime 1m").unwrap();
        apply_option(&mut o, "Ciphers aes128-gcm@openssh.com").unwrap();
        apply_option(&mut o, "ClientAliveInterval 5").unwrap();
        apply_option(&mut o, "PubkeyAcceptedAlgorithms -ecdsa*,sk-*").unwrap();
        apply_option(&mut o, "HostKeyAlgorithms rsa-sha2-512,ssh-ed25519").unwrap();
        assert!(apply_option(&mut o, "HostKeyAlgorithms ssh-dss").is_err());
        let c = server_config(&o, vec![KeyPair::from_ed25519_seed(&[1; 32])]).unwrap();
        assert_eq!(
            c.userauth.pubkey_algorithms,
            [SigAlg::Ed25519, SigAlg::RsaSha512, SigAlg::RsaSha256]
        );
        assert_eq!(c.transport.server_sig_algs, c.userauth.pubkey_algorithms);
        assert_eq!(
            c.transport.host_key_algorithms,
            [SigAlg::RsaSha512, SigAlg::Ed25519]
        );
        assert_eq!(c.userauth.max_auth_tries, 2);
        assert_eq!(c.userauth.login_grace_time, Duration::from_secs(60));
        assert_eq!(c.transport.ciphers.len(), 1);
        assert_eq!(c.client_alive_interval, Some(Duration::from_secs(5)));
        assert!(!c.userauth.password);
    }
}
