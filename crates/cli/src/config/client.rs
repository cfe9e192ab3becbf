//! The settings `burrow` connects with: ssh_config options plus defaults, `%`-tokens and `~`
//! expanded, forwards and jump hosts parsed.

use core::net::IpAddr;
use core::time::Duration;

use burrow_forward::policy::PermitList;
use burrow_forward::spec::ForwardSpec;
use burrow_keys::SigAlg;
use burrow_transport::TransportConfig;
use burrow_userauth::Method;

use super::algorithms::{Family, OPENSSH_DEFAULT_CIPHERS, filter};
use super::canonical::CanonicalSettings;
use super::control::{ControlMaster, ControlPersist};
use super::jump::{JumpHost, parse_jump_chain};
use super::ssh_config::{AddressFamily, SshOptions, StrictHostKeyChecking};
use super::syntax;
use super::tokens::connection_hash;
pub use super::tokens::{expand_tilde, expand_tokens};
use super::value::LogLevel;
use crate::CliError;

/// ssh's default GlobalKnownHostsFile.
pub const DEFAULT_GLOBAL_KNOWN_HOSTS: [&str; 2] =
    ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"];

/// What the expansion needs to know about the local side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEnv {
    /// The home directory (for `~` and `%d`).
    pub home: String,
    /// The local user name (`%u`, and the default remote user).
    pub user: String,
    /// `$SSH_AUTH_SOCK`, the default IdentityAgent.
    pub auth_sock: Option<String>,
    /// The local user id (`%i`).
    pub uid: u32,
    /// The local host name (`%l`; its first label is `%L`).
    pub local_host: String,
}

impl LocalEnv {
    /// The local host name up to its first dot (`%L`).
    pub fn short_host(&self) -> &str {
        self.local_host.split('.').next().unwrap_or_default()
    }
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
    /// CertificateFile, expanded.
    pub certificate_files: Vec<String>,
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
    /// MetricsListen: where `/metrics` is served, if anywhere.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// ServerAliveInterval (None: off).
    pub server_alive_interval: Option<Duration>,
    /// ServerAliveCountMax, 3 unless set.
    pub server_alive_count_max: u32,
    /// Algorithm preferences and rekey limit.
    pub transport: TransportConfig,
    /// ChannelWindowBudget (burrow's own): bytes all receive windows may commit.
    pub channel_window_budget: u64,
    /// PubkeyAcceptedAlgorithms: the signature algorithms our keys may use.
    pub pubkey_algorithms: Vec<SigAlg>,
    /// CASignatureAlgorithms: what a CA may sign a host certificate with.
    pub ca_algorithms: Vec<SigAlg>,
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
    /// GlobalKnownHostsFile, read after the user's files, never written.
    pub global_known_hosts_files: Vec<String>,
    /// HashKnownHosts: new known_hosts lines hold a hashed host name.
    pub hash_known_hosts: bool,
    /// HostKeyAlias: the name looked up in (and written to) known_hosts instead of the host.
    pub host_key_alias: Option<String>,
    /// PasswordAuthentication.
    pub password_authentication: bool,
    /// KbdInteractiveAuthentication.
    pub kbd_interactive_authentication: bool,
    /// The authentication methods to try, in order (PreferredAuthentications filtered by
    /// the methods that are enabled and that burrow implements).
    pub methods: Vec<Method>,
    /// TCPKeepAlive: SO_KEEPALIVE on the connection, yes unless set.
    pub tcp_keep_alive: bool,
    /// IdentityAgent: the ssh-agent socket (`None`: no agent). Defaults to `$SSH_AUTH_SOCK`.
    pub identity_agent: Option<String>,
    /// ProxyCommand, `%` tokens expanded (`None` for none).
    pub proxy_command: Option<String>,
    /// ProxyUseFdpass: the ProxyCommand passes back a connected socket instead of carrying
    /// the connection on its stdin and stdout.
    pub proxy_use_fdpass: bool,
    /// ClearAllForwardings: no `-L`/`-R`/`-D` at all, from the files or the command line.
    pub clear_all_forwardings: bool,
    /// ForkAfterAuthentication (`-f`): go to the background once the forwards are up.
    pub fork_after_authentication: bool,
    /// `ControlMaster` (`-M`).
    pub control_master: ControlMaster,
    /// `ControlPath` (`-S`) with `~` and tokens expanded; `None` for none.
    pub control_path: Option<String>,
    /// `ControlPersist`.
    pub control_persist: ControlPersist,
    /// StdinNull (`-n`).
    pub stdin_null: bool,
    /// SessionType none (`-N`): run no command.
    pub session_none: bool,
    /// RevokedHostKeys: a file of public keys never to accept as host keys.
    pub revoked_host_keys: Option<String>,
    /// RequiredRSASize: the smallest RSA host or user key used, in bits (1024 unless set).
    pub required_rsa_size: usize,
    /// ConnectionAttempts: TCP connection tries, one second apart (1 unless set).
    pub connection_attempts: u32,
    /// Reconnect, ReconnectMaxDelay, ReconnectAttempts (burrow's own); `None`: off.
    pub reconnect: Option<ReconnectPolicy>,
    /// Forwards given with a leading `?` (also in `forwards`): retried in the background
    /// when they cannot be set up, never fatal.
    pub optional_forwards: Vec<ForwardSpec>,
    /// AddressFamily (`-4`, `-6`).
    pub address_family: AddressFamily,
    /// BindAddress (`-b`): an IP address.
    pub bind_address: Option<IpAddr>,
    /// BindInterface (`-B`): bind to an address of this interface (wins over BindAddress).
    pub bind_interface: Option<String>,
    /// CanonicalizeHostname and its companions (applied while reading the files).
    pub canonical: CanonicalSettings,
    /// PermitRemoteOpen: where a reverse dynamic forward may connect (`any` unless set).
    pub permit_remote_open: PermitList,
    /// What `-G` shows as written (ssh expands these only when it uses them): IdentityFile,
    /// PreferredAuthentications, ProxyJump, and PubkeyAuthentication.
    pub as_written: AsWritten,
    /// Notices about the configuration (algorithms burrow lacks, ignored keywords), to be
    /// shown once logging is set up.
    pub notices: Vec<Notice>,
}

/// Values `ssh -G` prints as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsWritten {
    /// IdentityFile / `-i`, unexpanded (empty: the defaults).
    pub identity_files: Vec<String>,
    /// CertificateFile, as written.
    pub certificate_files: Vec<String>,
    /// PreferredAuthentications, if set.
    pub preferred_authentications: Option<String>,
    /// ProxyJump, if set (and not `none`).
    pub proxy_jump: Option<String>,
    /// PubkeyAuthentication.
    pub pubkey_authentication: bool,
    /// ProxyCommand, if set (and not `none`), tokens not expanded.
    pub proxy_command: Option<String>,
    /// IdentityAgent, if set (`~` expanded).
    pub identity_agent: Option<String>,
    /// RevokedHostKeys, if set.
    pub revoked_host_keys: Option<String>,
    /// IgnoreUnknown, if set.
    pub ignore_unknown: Option<String>,
    /// Tag, if set.
    pub tag: Option<String>,
}

/// A notice about the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// Shown only with `-v` (keywords burrow does not implement), else always.
    pub verbose_only: bool,
}

/// ssh's PreferredAuthentications default, as far as burrow implements it.
const DEFAULT_METHODS: &str = "publickey,keyboard-interactive,password";

/// The methods of `preferred` (comma-separated) that are enabled, in order, once each.
fn methods(opts: &SshOptions) -> Vec<Method> {
    let preferred = opts
        .preferred_authentications
        .as_deref()
        .unwrap_or(DEFAULT_METHODS);
    let mut out = Vec::new();
    for name in preferred.split(',') {
        let m = match name.trim() {
            "publickey" if opts.pubkey_authentication.unwrap_or(true) => Method::Publickey,
            "keyboard-interactive" if opts.kbd_interactive_authentication.unwrap_or(true) => {
                Method::KeyboardInteractive
            }
            "password" if opts.password_authentication.unwrap_or(true) => Method::Password,
            _ => continue,
        };
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
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
        let uid = env.uid.to_string();
        let jumps = match &opts.proxy_jump {
            Some(j) => parse_jump_chain(j)?,
            None => Vec::new(),
        };
        // `%j` is the host of the last hop, the one that connects to this host, as in ssh.
        let jump = jumps.last().map_or("", |j| j.host.as_str());
        let hash = connection_hash(&env.local_host, &host_name, port, &user, jump);
        let tokens = [
            ('d', env.home.as_str()),
            ('u', env.user.as_str()),
            ('h', host_name.as_str()),
            ('r', user.as_str()),
            ('p', port_text.as_str()),
            ('n', alias),
            ('i', uid.as_str()),
            ('l', env.local_host.as_str()),
            ('L', env.short_host()),
            ('k', opts.host_key_alias.as_deref().unwrap_or(alias)),
            ('j', jump),
            ('C', hash.as_str()),
        ];
        let path = |p: &str| expand_tokens(&expand_tilde(p, &env.home), &tokens);
        let mut notes = Vec::new();
        let control_path = opts
            .control_path
            .as_deref()
            .filter(|p| !p.eq_ignore_ascii_case("none"))
            .map(path);
        let certificate_files = opts.certificate_files.iter().map(|p| path(p)).collect();
        if opts.canonicalize_permitted_cnames.is_some() {
            notes.push(
                "CanonicalizePermittedCNAMEs ignored: burrow does not follow DNS aliases"
                    .to_owned(),
            );
        }
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
            None => vec![path("~/.ssh/known_hosts"), path("~/.ssh/known_hosts2")],
        };
        let global_known_hosts_files = match &opts.global_known_hosts_files {
            Some(files) => files
                .iter()
                .filter(|f| !f.eq_ignore_ascii_case("none"))
                .map(|p| path(p))
                .collect(),
            None => DEFAULT_GLOBAL_KNOWN_HOSTS
                .iter()
                .map(|&f| f.to_owned())
                .collect(),
        };
        let identity_agent = match opts.identity_agent.as_deref() {
            None | Some("SSH_AUTH_SOCK") => env.auth_sock.clone(),
            Some(none) if none.eq_ignore_ascii_case("none") => None,
            // `$NAME` names an environment variable, as in ssh.
            Some(var) if var.starts_with('$') => {
                std::env::var(var.trim_start_matches('$').trim_matches(['{', '}'])).ok()
            }
            Some(p) => Some(path(p)),
        }
        .filter(|p| !p.is_empty());
        let revoked_host_keys = opts
            .revoked_host_keys
            .as_deref()
            .filter(|f| !f.eq_ignore_ascii_case("none"))
            .map(path);
        let proxy_command = opts
            .proxy_command
            .as_deref()
            .filter(|c| !c.eq_ignore_ascii_case("none"))
            .map(|c| expand_tokens(c, &tokens));
        Ok(Self {
            alias: alias.to_owned(),
            host_name,
            port,
            user,
            identity_files,
            certificate_files,
            identity_files_given,
            identities_only: opts.identities_only.unwrap_or(false),
            known_hosts_files,
            strict_host_key_checking: opts
                .strict_host_key_checking
                .unwrap_or(StrictHostKeyChecking::Ask),
            exit_on_forward_failure: opts.exit_on_forward_failure.unwrap_or(false),
            metrics_listen: opts.metrics_listen.flatten(),
            server_alive_interval: opts
                .server_alive_interval
                .filter(|&s| s > 0)
                .map(Duration::from_secs),
            server_alive_count_max: opts.server_alive_count_max.unwrap_or(3),
            transport: transport_config(opts, &mut notes)?,
            channel_window_budget: opts
                .channel_window_budget
                .unwrap_or(burrow::ConnectionConfig::default().window_budget),
            pubkey_algorithms: match opts
                .pubkey_accepted_algorithms
                .as_deref()
                .and_then(|s| filter(Family::Pubkey, s, &mut notes))
            {
                Some(v) => {
                    syntax::sig_algs("PubkeyAcceptedAlgorithms", &v, &SigAlg::DEFAULT_PUBKEY)
                        .map_err(|_| {
                            CliError::Usage(format!("bad PubkeyAcceptedAlgorithms value \"{v}\""))
                        })?
                }
                None => SigAlg::DEFAULT_PUBKEY.to_vec(),
            },
            ca_algorithms: match opts.ca_signature_algorithms.as_deref() {
                Some(v) => syntax::sig_algs("CASignatureAlgorithms", v, &SigAlg::DEFAULT_PUBKEY)
                    .map_err(|_| {
                        CliError::Usage(format!("bad CASignatureAlgorithms value \"{v}\""))
                    })?,
                None => SigAlg::DEFAULT_PUBKEY.to_vec(),
            },
            connect_timeout: opts
                .connect_timeout
                .filter(|&s| s > 0)
                .map(Duration::from_secs),
            batch_mode: opts.batch_mode.unwrap_or(false),
            gateway_ports: opts.gateway_ports.unwrap_or(false),
            forwards: if opts.clear_all_forwardings == Some(true) {
                Vec::new()
            } else {
                forwards(opts)?
            },
            jumps,
            log_level: opts.log_level.unwrap_or(LogLevel::Info),
            global_known_hosts_files,
            hash_known_hosts: opts.hash_known_hosts.unwrap_or(false),
            host_key_alias: opts.host_key_alias.clone(),
            password_authentication: opts.password_authentication.unwrap_or(true),
            kbd_interactive_authentication: opts.kbd_interactive_authentication.unwrap_or(true),
            methods: methods(opts),
            tcp_keep_alive: opts.tcp_keep_alive.unwrap_or(true),
            as_written: AsWritten {
                identity_files: opts.identity_files.clone(),
                certificate_files: opts.certificate_files.clone(),
                preferred_authentications: opts.preferred_authentications.clone(),
                proxy_jump: opts
                    .proxy_jump
                    .clone()
                    .filter(|j| !j.eq_ignore_ascii_case("none")),
                pubkey_authentication: opts.pubkey_authentication.unwrap_or(true),
                proxy_command: opts
                    .proxy_command
                    .clone()
                    .filter(|c| !c.eq_ignore_ascii_case("none")),
                // ssh shows IdentityAgent with `~` expanded, tokens as written.
                identity_agent: opts
                    .identity_agent
                    .as_deref()
                    .map(|a| expand_tilde(a, &env.home)),
                revoked_host_keys: opts.revoked_host_keys.clone(),
                ignore_unknown: opts.ignore_unknown.clone(),
                tag: opts.tag.clone(),
            },
            proxy_command,
            proxy_use_fdpass: opts.proxy_use_fdpass.unwrap_or(false),
            identity_agent,
            revoked_host_keys,
            connection_attempts: opts.connection_attempts.unwrap_or(1),
            required_rsa_size: opts
                .required_rsa_size
                .map_or(burrow_keys::MIN_RSA_BITS, |b| b as usize),
            reconnect: opts.reconnect.unwrap_or(false).then(|| ReconnectPolicy {
                max_delay: Duration::from_secs(opts.reconnect_max_delay.unwrap_or(60)),
                attempts: opts.reconnect_attempts.filter(|&n| n > 0),
            }),
            optional_forwards: if opts.clear_all_forwardings == Some(true) {
                Vec::new()
            } else {
                optional_forwards(opts)?
            },
            clear_all_forwardings: opts.clear_all_forwardings.unwrap_or(false),
            fork_after_authentication: opts.fork_after_authentication.unwrap_or(false),
            control_master: opts.control_master.unwrap_or_default(),
            control_path,
            control_persist: opts.control_persist.unwrap_or_default(),
            stdin_null: opts.stdin_null.unwrap_or(false),
            session_none: opts.session_none.unwrap_or(false),
            address_family: opts.address_family.unwrap_or_default(),
            bind_address: match &opts.bind_address {
                Some(b) => Some(b.parse().map_err(|_| {
                    CliError::Usage(format!("BindAddress \"{b}\" is not an IP address"))
                })?),
                None => None,
            },
            bind_interface: opts.bind_interface.clone(),
            canonical: CanonicalSettings::of(opts),
            permit_remote_open: match &opts.permit_remote_open {
                Some(words) => {
                    let words: Vec<&str> = words.iter().map(String::as_str).collect();
                    PermitList::parse_permit_remote_open(&words)
                        .map_err(|e| CliError::Usage(e.to_string()))?
                }
                None => PermitList::Any,
            },
            notices: notes
                .into_iter()
                .map(|text| Notice {
                    text,
                    verbose_only: false,
                })
                .collect(),
        })
    }
}

fn transport_config(
    opts: &SshOptions,
    notes: &mut Vec<String>,
) -> Result<TransportConfig, CliError> {
    let mut t = TransportConfig::default();
    let bad = |k: &str, v: &str| CliError::Usage(format!("bad {k} value \"{v}\""));
    t.set_ciphers(OPENSSH_DEFAULT_CIPHERS)
        .map_err(|_| bad("Ciphers", OPENSSH_DEFAULT_CIPHERS))?;
    let lists = [
        (Family::Ciphers, &opts.ciphers),
        (Family::Macs, &opts.macs),
        (Family::Kex, &opts.kex_algorithms),
        (Family::HostKey, &opts.host_key_algorithms),
    ];
    for (family, spec) in lists {
        let Some(v) = spec.as_deref().and_then(|s| filter(family, s, notes)) else {
            continue;
        };
        family
            .apply(&mut t, &v)
            .map_err(|_| bad(family.keyword(), &v))?;
    }
    if let Some(r) = opts.rekey_limit {
        t.rekey_limit = r;
    }
    Ok(t)
}

/// What Reconnect does (burrow's own keywords).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// ReconnectMaxDelay: the backoff doubles from 1 s up to this (60 s unless set).
    pub max_delay: Duration,
    /// ReconnectAttempts: tries per outage (`None`: unlimited, the default).
    pub attempts: Option<u32>,
}

/// The prefix that marks a forward optional (`-R '?8080:localhost:80'`).
pub const OPTIONAL_PREFIX: char = '?';

/// Every forward, `-L` then `-D` then `-R`, each with whether it was marked optional.
fn parsed_forwards(opts: &SshOptions) -> Result<Vec<(ForwardSpec, bool)>, CliError> {
    let bad = |flag: &str, spec: &str| {
        CliError::Usage(format!("Bad {flag} forwarding specification '{spec}'"))
    };
    type Parse = fn(&str) -> Result<ForwardSpec, burrow_forward::ForwardError>;
    let kinds: [(&str, &[String], Parse); 3] = [
        ("local", &opts.local_forwards, ForwardSpec::parse_local),
        (
            "dynamic",
            &opts.dynamic_forwards,
            ForwardSpec::parse_dynamic,
        ),
        ("remote", &opts.remote_forwards, ForwardSpec::parse_remote),
    ];
    let mut out = Vec::new();
    for (flag, specs, parse) in kinds {
        for s in specs {
            let (text, optional) = match s.strip_prefix(OPTIONAL_PREFIX) {
                Some(rest) => (rest, true),
                None => (s.as_str(), false),
            };
            out.push((parse(text).map_err(|_| bad(flag, s))?, optional));
        }
    }
    Ok(out)
}

fn forwards(opts: &SshOptions) -> Result<Vec<ForwardSpec>, CliError> {
    Ok(parsed_forwards(opts)?.into_iter().map(|(f, _)| f).collect())
}

fn optional_forwards(opts: &SshOptions) -> Result<Vec<ForwardSpec>, CliError> {
    let all = parsed_forwards(opts)?;
    Ok(all
        .into_iter()
        .filter(|(_, o)| *o)
        .map(|(f, _)| f)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ssh_config::apply_option;

    fn env() -> LocalEnv {
        LocalEnv {
            home: "/home/me".to_owned(),
            user: "me".to_owned(),
            auth_sock: Some("/tmp/agent.env".to_owned()),
            uid: 1000,
            local_host: "laptop.home.example".to_owned(),
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
        assert_eq!(
            s.known_hosts_files,
            ["/home/me/.ssh/known_hosts", "/home/me/.ssh/known_hosts2"]
        );
        assert_eq!(s.global_known_hosts_files, DEFAULT_GLOBAL_KNOWN_HOSTS);
        assert_eq!(
            s.methods,
            [
                Method::Publickey,
                Method::KeyboardInteractive,
                Method::Password
            ]
        );
        assert!(s.tcp_keep_alive && !s.hash_known_hosts);
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
            "IdentityFile /k/%i/%l/%L/%k",
            "UserKnownHostsFile ~/kh none",
        ]);
        let s = ClientSettings::resolve("web", &o, &env()).unwrap();
        assert_eq!(s.host_name, "web.example.com");
        assert_eq!(
            s.identity_files,
            [
                "/home/me/.ssh/bob@web.example.com:2200",
                "/home/me/k_me_web_%_%x",
                "/k/1000/laptop.home.example/laptop/web",
            ]
        );
        assert!(s.identity_files_given);
        assert_eq!(s.known_hosts_files, ["/home/me/kh"]);
    }

    #[test]
    fn connection_hash_and_jump_tokens() {
        let mut o = opts(&["User bob", "Port 2200", "IdentityFile /k/%C/%j."]);
        let direct = ClientSettings::resolve("web", &o, &env()).unwrap();
        let hash = connection_hash("laptop.home.example", "web", 2200, "bob", "");
        assert_eq!(direct.identity_files, [format!("/k/{hash}/.")]);
        // `%j` is the last hop's host, and it takes part in `%C`.
        apply_option(&mut o, "ProxyJump a@first:1,second:2", &mut Vec::new()).unwrap();
        let jumped = ClientSettings::resolve("web", &o, &env()).unwrap();
        let hash = connection_hash("laptop.home.example", "web", 2200, "bob", "second");
        assert_eq!(jumped.identity_files, [format!("/k/{hash}/second.")]);
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
    fn reconnect_and_optional_forwards_are_parsed() {
        let off = ClientSettings::resolve("h", &opts(&[]), &env()).unwrap();
        assert_eq!(off.reconnect, None);
        let o = opts(&[
            "Reconnect yes",
            "ReconnectMaxDelay 5m",
            "LocalForward 8080 localhost:80",
            "RemoteForward ?0 localhost:22",
        ]);
        let s = ClientSettings::resolve("h", &o, &env()).unwrap();
        let policy = s.reconnect.unwrap();
        assert_eq!(policy.max_delay, Duration::from_secs(300));
        assert_eq!(policy.attempts, None, "unlimited by default");
        assert_eq!(s.forwards.len(), 2);
        assert_eq!(s.optional_forwards, [s.forwards[1].clone()]);
        let o = opts(&["Reconnect yes", "ReconnectAttempts 3"]);
        let s = ClientSettings::resolve("h", &o, &env()).unwrap();
        assert_eq!(s.reconnect.unwrap().attempts, Some(3));
        assert_eq!(s.reconnect.unwrap().max_delay, Duration::from_secs(60));
        let e = ClientSettings::resolve("h", &opts(&["LocalForward ??1 a:1"]), &env());
        assert!(e.is_err(), "one `?` only");
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
        let o = opts(&[
            "HostKeyAlgorithms ^rsa-sha2-256",
            "PubkeyAcceptedAlgorithms +ssh-rsa",
        ]);
        let s2 = ClientSettings::resolve("h", &o, &env()).unwrap();
        assert_eq!(
            s2.transport.host_key_algorithms.first(),
            Some(&SigAlg::RsaSha256)
        );
        assert_eq!(s2.pubkey_algorithms.last(), Some(&SigAlg::RsaSha1));
        let o = opts(&["PubkeyAcceptedKeyTypes -ssh-ed25519,rsa*"]);
        let s2 = ClientSettings::resolve("h", &o, &env()).unwrap();
        assert!(!s2.pubkey_algorithms.contains(&SigAlg::Ed25519));
    }

    #[test]
    fn authentication_options_shape_the_method_list() {
        let o = opts(&[
            "PreferredAuthentications password,gssapi-with-mic,publickey,password",
            "PasswordAuthentication no",
            "GlobalKnownHostsFile /g1 ~/g2",
            "UserKnownHostsFile ~/a ~/b",
            "HashKnownHosts yes",
            "HostKeyAlias alias",
        ]);
        let s = ClientSettings::resolve("h", &o, &env()).unwrap();
        assert_eq!(s.methods, [Method::Publickey]);
        assert!(!s.password_authentication && s.kbd_interactive_authentication);
        assert_eq!(s.global_known_hosts_files, ["/g1", "/home/me/g2"]);
        assert_eq!(s.known_hosts_files, ["/home/me/a", "/home/me/b"]);
        assert!(s.hash_known_hosts);
        assert_eq!(s.host_key_alias.as_deref(), Some("alias"));
        let kbd = opts(&["KbdInteractiveAuthentication no"]);
        let s = ClientSettings::resolve("h", &kbd, &env()).unwrap();
        assert_eq!(s.methods, [Method::Publickey, Method::Password]);
    }

    #[test]
    fn algorithms_burrow_lacks_become_notices() {
        let o = opts(&[
            "Ciphers +3des-cbc,aes128-ctr",
            "MACs hmac-md5",
            "KexAlgorithms ^curve25519-sha256,diffie-hellman-group1-sha1",
        ]);
        let s = ClientSettings::resolve("h", &o, &env()).unwrap();
        let defaults = TransportConfig::default();
        assert_eq!(s.transport.macs, defaults.macs);
        assert_eq!(s.transport.ciphers.len(), defaults.ciphers.len());
        assert_eq!(s.transport.kex_algorithms[0].name(), "curve25519-sha256");
        let texts: Vec<&str> = s.notices.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts.len(), 4, "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("3des-cbc")));
        assert!(
            texts
                .iter()
                .any(|t| t.contains("diffie-hellman-group1-sha1"))
        );
    }

    #[test]
    fn identity_agent_path_env_and_none() {
        let agent = |lines: &[&str]| {
            ClientSettings::resolve("h", &opts(lines), &env())
                .unwrap()
                .identity_agent
        };
        assert_eq!(agent(&[]).as_deref(), Some("/tmp/agent.env"));
        assert_eq!(
            agent(&["IdentityAgent SSH_AUTH_SOCK"]).as_deref(),
            Some("/tmp/agent.env")
        );
        assert_eq!(agent(&["IdentityAgent none"]), None);
        assert_eq!(
            agent(&["IdentityAgent ~/.1password/agent-%r.sock"]).as_deref(),
            Some("/home/me/.1password/agent-me.sock")
        );
    }

    #[test]
    fn permit_remote_open_any_none_and_entries() {
        let permit = |lines: &[&str]| ClientSettings::resolve("h", &opts(lines), &env());
        assert_eq!(permit(&[]).unwrap().permit_remote_open, PermitList::Any);
        let none = permit(&["PermitRemoteOpen none"]).unwrap();
        assert_eq!(none.permit_remote_open, PermitList::None);
        let some = permit(&["PermitRemoteOpen db:5432 *:443"]).unwrap();
        assert!(some.permit_remote_open.allows_open("db", 5432));
        assert!(some.permit_remote_open.allows_open("web", 443));
        assert!(!some.permit_remote_open.allows_open("db", 22));
        let bad = permit(&["PermitRemoteOpen db"]).unwrap_err().to_string();
        assert!(bad.contains("PermitRemoteOpen 'db'"), "{bad}");
        assert!(permit(&["PermitRemoteOpen any none"]).is_err());
    }

    #[test]
    fn tilde_only_at_the_start() {
        assert_eq!(expand_tilde("~", "/h"), "/h");
        assert_eq!(expand_tilde("~/x", "/h/"), "/h/x");
        assert_eq!(expand_tilde("a/~/x", "/h"), "a/~/x");
        assert_eq!(expand_tilde("~other/x", "/h"), "~other/x");
    }
}
