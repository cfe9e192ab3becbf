//! The settings `burrow` connects with: ssh_config options plus defaults, `%`-tokens and `~`
//! expanded, forwards and jump hosts parsed.

use core::time::Duration;

use burrow_forward::spec::ForwardSpec;
use burrow_transport::TransportConfig;

use super::jump::{JumpHost, parse_jump_chain};
use super::ssh_config::{SshOptions, StrictHostKeyChecking};
use super::syntax;
use super::value::LogLevel;
use crate::CliError;

/// What the expansion needs to know about the local side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEnv {
    /// The home directory (for `~` and `%d`).
    pub home: String,
    /// The local user name (`%u`, and the default remote user).
    pub user: String,
}

/// Everything one connection (or one jump hop) is made with.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The name given on the command line (used for Host matching and known_hosts aliases).
    pub alias: String,
    /// Where to connect (HostName, `%h` expanded; else the alias).
    pub host_name: String,
    /// Port, 22 unless set.
    pub port: u16,
    /// Remote user: `-l`, `user@`, `User`, else the local user.
    pub user: String,
    /// Identity files to try, expanded; the default ones when none was given.
    pub identity_files: Vec<String>,
    /// True when the identity files were given (`-i`, `IdentityFile`): a missing one is worth
    /// a warning then, as in ssh.
    pub identity_files_given: bool,
    /// Only the identity files, not every agent key.
    pub identities_only: bool,
    /// known_hosts files, expanded; the first is where new keys are added.
    pub known_hosts_files: Vec<String>,
    /// StrictHostKeyChecking, `ask` unless set.
    pub strict_host_key_checking: StrictHostKeyChecking,
    /// ExitOnForwardFailure.
    pub exit_on_forward_failure: bool,
    /// ServerAliveInterval (None: off).
    pub server_alive_interval: Option<Duration>,
    /// ServerAliveCountMax, 3 unless set.
    pub server_alive_count_max: u32,
    /// Algorithm preferences and rekey limit.
    pub transport: TransportConfig,
    /// ConnectTimeout (None: the system's).
    pub connect_timeout: Option<Duration>,
    /// BatchMode: never prompt.
    pub batch_mode: bool,
    /// GatewayPorts (client): may local listeners bind non-loopback addresses.
    pub gateway_ports: bool,
    /// `-L` / LocalForward, then `-D` / DynamicForward, then `-R` / RemoteForward.
    pub forwards: Vec<ForwardSpec>,
    /// ProxyJump hops, first hop first (empty: direct).
    pub jumps: Vec<JumpHost>,
    /// LogLevel, INFO unless set.
    pub log_level: LogLevel,
}

impl ClientSettings {
    /// Resolves `opts` read for `alias`.
    pub fn resolve(alias: &str, opts: &SshOptions, env: &LocalEnv) -> Result<Self, CliError> {
        let host_name = match &opts.host_name {
            Some(h) => expand_tokens(h, &[('h', alias)]),
            None => alias.to_owned(),
        };
        let port = opts.port.unwrap_or(22);
        let user = opts.user.clone().unwrap_or_else(|| env.user.clone());
        let port_text = port.to_string();
        let tokens = [
            ('d', env.home.as_str()),
            ('u', env.user.as_str()),
            ('h', host_name.as_str()),
            ('r', user.as_str()),
            ('p', port_text.as_str()),
            ('n', alias),
        ];
        let path = |p: &str| expand_tokens(&expand_tilde(p, &env.home), &tokens);
        let identity_files_given = !opts.identity_files.is_empty();
        let identity_files = if identity_files_given {
            opts.identity_files.iter().map(|p| path(p)).collect()
        } else {
            vec![path("~/.ssh/id_ed25519")]
        };
        let known_hosts_files = match &opts.user_known_hosts_files {
            Some(files) => files
                .iter()
                .filter(|f| !f.eq_ignore_ascii_case("none"))
                .map(|p| path(p))
                .collect(),
            None => vec![path("~/.ssh/known_hosts")],
        };
        Ok(Self {
            alias: alias.to_owned(),
            host_name,
            port,
            user,
            identity_files,
            identity_files_given,
            identities_only: opts.identities_only.unwrap_or(false),
            known_hosts_files,
            strict_host_key_checking: opts
                .strict_host_key_checking
                .unwrap_or(StrictHostKeyChecking::Ask),
            exit_on_forward_failure: opts.exit_on_forward_failure.unwrap_or(false),
            server_alive_interval: opts
                .server_alive_interval
                .filter(|&s| s > 0)
                .map(Duration::from_secs),
            server_alive_count_max: opts.server_alive_count_max.unwrap_or(3),
            transport: transport_config(opts)?,
            connect_timeout: opts
                .connect_timeout
                .filter(|&s| s > 0)
                .map(Duration::from_secs),
            batch_mode: opts.batch_mode.unwrap_or(false),
            gateway_ports: opts.gateway_ports.unwrap_or(false),
            forwards: forwards(opts)?,
            jumps: match &opts.proxy_jump {
                Some(j) => parse_jump_chain(j)?,
                None => Vec::new(),
            },
            log_level: opts.log_level.unwrap_or(LogLevel::Info),
        })
    }
}

fn transport_config(opts: &SshOptions) -> Result<TransportConfig, CliError> {
    let mut t = TransportConfig::default();
    let bad = |k: &str, v: &str| CliError::Usage(format!("bad {k} value \"{v}\""));
    if let Some(v) = &opts.ciphers {
        syntax::set_ciphers(&mut t, v).map_err(|_| bad("Ciphers", v))?;
    }
    if let Some(v) = &opts.macs {
        syntax::set_macs(&mut t, v).map_err(|_| bad("MACs", v))?;
    }
    if let Some(v) = &opts.kex_algorithms {
        syntax::set_kex_algorithms(&mut t, v).map_err(|_| bad("KexAlgorithms", v))?;
    }
    if let Some(r) = opts.rekey_limit {
        t.rekey_limit = r;
    }
    Ok(t)
}

fn forwards(opts: &SshOptions) -> Result<Vec<ForwardSpec>, CliError> {
    let bad = |flag: &str, spec: &str| {
        CliError::Usage(format!("Bad {flag} forwarding specification '{spec}'"))
    };
    let mut out = Vec::new();
    for s in &opts.local_forwards {
        out.push(ForwardSpec::parse_local(s).map_err(|_| bad("local", s))?);
    }
    for s in &opts.dynamic_forwards {
        out.push(ForwardSpec::parse_dynamic(s).map_err(|_| bad("dynamic", s))?);
    }
    for s in &opts.remote_forwards {
        out.push(ForwardSpec::parse_remote(s).map_err(|_| bad("remote", s))?);
    }
    Ok(out)
}

/// `~` or `~/...` at the start becomes the home directory.
pub fn expand_tilde(p: &str, home: &str) -> String {
    if p == "~" {
        return home.to_owned();
    }
    match p.strip_prefix("~/") {
        Some(rest) => format!("{}/{rest}", home.trim_end_matches('/')),
        None => p.to_owned(),
    }
}

/// Expands `%x` tokens from `tokens` and `%%`; an unknown token is kept as written.
pub fn expand_tokens(s: &str, tokens: &[(char, &str)]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(t) => match tokens.iter().find(|(k, _)| *k == t) {
                Some((_, v)) => out.push_str(v),
                None => {
                    out.push('%');
                    out.push(t);
                }
            },
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ssh_config::apply_option;

    fn env() -> LocalEnv {
        LocalEnv {
            home: "/home/me".to_owned(),
            user: "me".to_owned(),
        }
    }

    fn opts(lines: &[&str]) -> SshOptions {
        let mut o = SshOptions::default();
        for l in lines {
            apply_option(&mut o, l, &mut Vec::new()).unwrap();
        }
        o
    }

    #[test]
    fn defaults_as_ssh() {
        let s = ClientSettings::resolve("box", &SshOptions::default(), &env()).unwrap();
        assert_eq!(
            (s.host_name.as_str(), s.port, s.user.as_str()),
            ("box", 22, "me")
        );
        assert_eq!(s.identity_files, ["/home/me/.ssh/id_ed25519"]);
        assert!(!s.identity_files_given);
        assert_eq!(s.known_hosts_files, ["/home/me/.ssh/known_hosts"]);
        assert_eq!(s.strict_host_key_checking, StrictHostKeyChecking::Ask);
        assert_eq!(s.log_level, LogLevel::Info);
        assert_eq!(s.server_alive_count_max, 3);
        assert!(s.forwards.is_empty() && s.jumps.is_empty());
        assert_eq!(s.connect_timeout, None);
    }

    #[test]
    fn hostname_and_paths_expand_tokens() {
        let o = opts(&[
            "HostName %h.example.com",
            "User bob",
            "Port 2200",
            "IdentityFile ~/.ssh/%r@%h:%p",
            "IdentityFile %d/k_%u_%n_%%_%x",
            "UserKnownHostsFile ~/kh none",
        ]);
        let s = ClientSettings::resolve("web", &o, &env()).unwrap();
        assert_eq!(s.host_name, "web.example.com");
        assert_eq!(
            s.identity_files,
            [
                "/home/me/.ssh/bob@web.example.com:2200",
                "/home/me/k_me_web_%_%x"
            ]
        );
        assert!(s.identity_files_given);
        assert_eq!(s.known_hosts_files, ["/home/me/kh"]);
    }

    #[test]
    fn forwards_and_jumps_are_parsed() {
        let o = opts(&[
            "LocalForward 8080 localhost:80",
            "DynamicForward 1080",
            "RemoteForward 0 localhost:22",
            "ProxyJump a,b@c:2",
        ]);
        let s = ClientSettings::resolve("h", &o, &env()).unwrap();
        assert_eq!(s.forwards.len(), 3);
        assert!(matches!(s.forwards[0], ForwardSpec::Local(_)));
        assert!(matches!(s.forwards[1], ForwardSpec::Dynamic(_)));
        assert!(matches!(s.forwards[2], ForwardSpec::Remote(_)));
        assert_eq!(s.jumps.len(), 2);
        let bad = opts(&["LocalForward nonsense x"]);
        let e = ClientSettings::resolve("h", &bad, &env()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Bad local forwarding specification"),
            "{e}"
        );
    }

    #[test]
    fn algorithms_and_times_reach_the_settings() {
        let o = opts(&[
            "Ciphers aes256-gcm@openssh.com",
            "RekeyLimit 64K",
            "ConnectTimeout 5",
            "ServerAliveInterval 0",
        ]);
        let s = ClientSettings::resolve("h", &o, &env()).unwrap();
        assert_eq!(s.transport.ciphers.len(), 1);
        assert_eq!(s.transport.rekey_limit.bytes, Some(65_536));
        assert_eq!(s.connect_timeout, Some(Duration::from_secs(5)));
        assert_eq!(s.server_alive_interval, None);
    }

    #[test]
    fn tilde_only_at_the_start() {
        assert_eq!(expand_tilde("~", "/h"), "/h");
        assert_eq!(expand_tilde("~/x", "/h/"), "/h/x");
        assert_eq!(expand_tilde("a/~/x", "/h"), "a/~/x");
        assert_eq!(expand_tilde("~other/x", "/h"), "~other/x");
    }
}
