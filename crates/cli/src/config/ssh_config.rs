//! The ssh_config(5) subset `burrow` reads: a pure parser over strings; the caller reads files
//! and expands `Include` globs through a closure.

use core::fmt;

use burrow_keyfiles::{match_pattern, match_pattern_list};
use burrow_transport::RekeyLimit;

use super::canonical::Canonicalize;
use super::control::{ControlMaster, ControlPersist};
use super::lexer::{Directive, split_line};
use super::location::Location;
use super::ssh_match::{self, MatchContext, SoFar};
use super::syntax;
use super::value::{LogLevel, parse_count, parse_flag, parse_port, parse_time};
use crate::CliError;

/// How deep `Include` may nest (as OpenSSH's READCONF_MAX_DEPTH).
pub const MAX_INCLUDE_DEPTH: usize = 16;
/// How many lines one parse may process in total, counting each included copy again, so that
/// files that include each other cannot make the work explode.
pub const MAX_TOTAL_LINES: usize = 200_000;
/// How many entries a repeatable option (IdentityFile, the forwards) may collect.
pub const MAX_REPEATED: usize = 100;

/// How many warnings one parse records; later ones are dropped (a hostile file of unknown
/// keywords included many times must not grow memory).
pub const MAX_WARNINGS: usize = 64;

/// The name used in messages for `-o` options.
pub const COMMAND_LINE: &str = "command-line";

/// A configuration file's name (for messages) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path as shown in messages.
    pub name: String,
    /// The whole text.
    pub text: String,
}

/// `StrictHostKeyChecking` values: burrow's own type, shared with the host-key decision.
pub use burrow::StrictHostKeyChecking;

/// The options found for one host, each as first set (`None` or empty: not set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshOptions {
    /// `Port`.
    pub port: Option<u16>,
    /// `User`.
    pub user: Option<String>,
    /// `HostName` as written (`%h` not yet expanded).
    pub host_name: Option<String>,
    /// `IdentityFile`, every one in order (not yet `~`-expanded).
    pub identity_files: Vec<String>,
    /// `CertificateFile`, every one.
    pub certificate_files: Vec<String>,
    /// `IdentitiesOnly`.
    pub identities_only: Option<bool>,
    /// `UserKnownHostsFile` (several files on one line are allowed).
    pub user_known_hosts_files: Option<Vec<String>>,
    /// `StrictHostKeyChecking`.
    pub strict_host_key_checking: Option<StrictHostKeyChecking>,
    /// `ExitOnForwardFailure`.
    pub exit_on_forward_failure: Option<bool>,
    /// `MetricsListen` (burrow's own): where to serve `/metrics`; `Some(None)` is `none`.
    pub metrics_listen: Option<Option<std::net::SocketAddr>>,
    /// `ServerAliveInterval`, seconds (0: off).
    pub server_alive_interval: Option<u64>,
    /// `ServerAliveCountMax`.
    pub server_alive_count_max: Option<u32>,
    /// `Ciphers`, as written (filtered when resolved).
    pub ciphers: Option<String>,
    /// `MACs`, as written.
    pub macs: Option<String>,
    /// `KexAlgorithms`, as written.
    pub kex_algorithms: Option<String>,
    /// `HostKeyAlgorithms`, checked.
    pub host_key_algorithms: Option<String>,
    /// `PubkeyAcceptedAlgorithms` (or its old name `PubkeyAcceptedKeyTypes`), checked.
    pub pubkey_accepted_algorithms: Option<String>,
    /// `ConnectTimeout`, seconds (0: none).
    pub connect_timeout: Option<u64>,
    /// `BatchMode`.
    pub batch_mode: Option<bool>,
    /// `RekeyLimit`, parsed.
    pub rekey_limit: Option<RekeyLimit>,
    /// `ChannelWindowBudget` (burrow's own): bytes all receive windows may commit.
    pub channel_window_budget: Option<u64>,
    /// `GatewayPorts` (client side: may local forwards bind non-loopback addresses).
    pub gateway_ports: Option<bool>,
    /// `LocalForward`, each as a `-L` spec (the two arguments joined with `:`).
    pub local_forwards: Vec<String>,
    /// `RemoteForward`, each as a `-R` spec.
    pub remote_forwards: Vec<String>,
    /// `DynamicForward`, each as a `-D` spec.
    pub dynamic_forwards: Vec<String>,
    /// `ProxyJump` (`none` kept as written).
    pub proxy_jump: Option<String>,
    /// `LogLevel`.
    pub log_level: Option<LogLevel>,
    /// `GlobalKnownHostsFile` (several files on one line are allowed).
    pub global_known_hosts_files: Option<Vec<String>>,
    /// `HashKnownHosts`.
    pub hash_known_hosts: Option<bool>,
    /// `HostKeyAlias`.
    pub host_key_alias: Option<String>,
    /// `PasswordAuthentication`.
    pub password_authentication: Option<bool>,
    /// `KbdInteractiveAuthentication` (and its old name `ChallengeResponseAuthentication`).
    pub kbd_interactive_authentication: Option<bool>,
    /// `PubkeyAuthentication`.
    pub pubkey_authentication: Option<bool>,
    /// `PreferredAuthentications`, as written.
    pub preferred_authentications: Option<String>,
    /// `TCPKeepAlive`.
    pub tcp_keep_alive: Option<bool>,
    /// `AddressFamily`.
    pub address_family: Option<AddressFamily>,
    /// `BindAddress`.
    pub bind_address: Option<String>,
    /// `BindInterface`.
    pub bind_interface: Option<String>,
    /// `IgnoreUnknown`: a pattern list of unknown keywords to skip silently.
    pub ignore_unknown: Option<String>,
    /// `ProxyCommand` as written (`none` kept).
    pub proxy_command: Option<String>,
    /// `ProxyUseFdpass`.
    pub proxy_use_fdpass: Option<bool>,
    /// `IdentityAgent` as written.
    pub identity_agent: Option<String>,
    /// `Tag` (for `Match tagged`).
    pub tag: Option<String>,
    /// `RevokedHostKeys`, as written.
    pub revoked_host_keys: Option<String>,
    /// `CASignatureAlgorithms`: what a CA may sign host certificates with.
    pub ca_signature_algorithms: Option<String>,
    /// `ConnectionAttempts`.
    pub connection_attempts: Option<u32>,
    /// `RequiredRSASize`: the smallest RSA key accepted, in bits.
    pub required_rsa_size: Option<u32>,
    /// `Reconnect` (burrow's own).
    pub reconnect: Option<bool>,
    /// `ReconnectMaxDelay` (burrow's own), seconds.
    pub reconnect_max_delay: Option<u64>,
    /// `ReconnectAttempts` (burrow's own; 0 or `none`: unlimited).
    pub reconnect_attempts: Option<u32>,
    /// `ClearAllForwardings`.
    pub clear_all_forwardings: Option<bool>,
    /// `ForkAfterAuthentication` (`-f`).
    pub fork_after_authentication: Option<bool>,
    /// `ControlMaster` (`-M`).
    pub control_master: Option<ControlMaster>,
    /// `ControlPath` (`-S`), as written (`none` kept).
    pub control_path: Option<String>,
    /// `ControlPersist`.
    pub control_persist: Option<ControlPersist>,
    /// `StdinNull` (`-n`).
    pub stdin_null: Option<bool>,
    /// `SessionType none` (`-N`): no command (`false` for `default`).
    pub session_none: Option<bool>,
    /// `CanonicalizeHostname`.
    pub canonicalize_hostname: Option<Canonicalize>,
    /// `CanonicalDomains` (`none`: empty).
    pub canonical_domains: Option<Vec<String>>,
    /// `CanonicalizeMaxDots`.
    pub canonicalize_max_dots: Option<u32>,
    /// `CanonicalizeFallbackLocal`.
    pub canonicalize_fallback_local: Option<bool>,
    /// `CanonicalizePermittedCNAMEs`, as written.
    pub canonicalize_permitted_cnames: Option<String>,
    /// `PermitRemoteOpen`, the words as written (checked when resolved).
    pub permit_remote_open: Option<Vec<String>>,
}

/// `AddressFamily` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressFamily {
    /// IPv4 and IPv6 (`any`, the default).
    #[default]
    Any,
    /// IPv4 only (`inet`, `-4`).
    Inet,
    /// IPv6 only (`inet6`, `-6`).
    Inet6,
}

impl AddressFamily {
    /// Parses `any`, `inet` or `inet6`.
    pub fn parse(v: &str) -> Option<Self> {
        match v.to_ascii_lowercase().as_str() {
            "any" => Some(Self::Any),
            "inet" => Some(Self::Inet),
            "inet6" => Some(Self::Inet6),
            _ => None,
        }
    }

    /// The ssh_config spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Inet => "inet",
            Self::Inet6 => "inet6",
        }
    }
}

/// Why a line was ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningKind {
    /// A keyword neither burrow nor OpenSSH knows.
    BadOption,
    /// An OpenSSH keyword burrow does not implement.
    Unsupported,
    /// A `Match` criterion burrow cannot evaluate (`localnetwork`...): it does not match.
    MatchUnsupported,
}

/// A line that was ignored, for the caller to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file (or `command-line`).
    pub file: String,
    /// The line (0 for `-o`).
    pub line: usize,
    /// The keyword as written.
    pub keyword: String,
    /// Why it was ignored.
    pub kind: WarningKind,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (file, line, key) = (&self.file, self.line, &self.keyword);
        match self.kind {
            WarningKind::BadOption => {
                write!(f, "{file}: line {line}: Bad configuration option: {key}")
            }
            WarningKind::Unsupported => write!(
                f,
                "{file}: line {line}: Unsupported option \"{key}\" ignored (burrow does not implement it)"
            ),
            WarningKind::MatchUnsupported => write!(
                f,
                "{file}: line {line}: Match criterion \"{key}\" is not supported by burrow; the block does not match"
            ),
        }
    }
}

/// Reads config text for `host` (the name as given on the command line) into `opts`.
/// `include` returns the files an `Include` argument names, in order; it does the `~` and
/// relative-path resolution and the glob expansion, and returns nothing for no match.
pub fn read_config(
    opts: &mut SshOptions,
    host: &str,
    file: &SourceFile,
    include: &mut dyn FnMut(&str) -> Vec<SourceFile>,
    warnings: &mut Vec<Warning>,
) -> Result<(), CliError> {
    let ctx = MatchContext {
        original_host: host.to_owned(),
        ..MatchContext::default()
    };
    read_config_pass(opts, &ctx, file, include, &mut |_| false, warnings).map(drop)
}

/// One pass over config text, as [`read_config`], with `Match` lines evaluated against
/// `ctx`; `exec` runs a `Match exec` command (true for exit status 0). Returns true when a
/// `Match final` asks for the second pass (run it with `ctx.final_pass` set, on the same
/// options: values of the first pass win).
pub fn read_config_pass(
    opts: &mut SshOptions,
    ctx: &MatchContext,
    file: &SourceFile,
    include: &mut dyn FnMut(&str) -> Vec<SourceFile>,
    exec: &mut dyn FnMut(&str) -> bool,
    warnings: &mut Vec<Warning>,
) -> Result<bool, CliError> {
    let mut reader = Reader {
        ctx,
        include,
        exec,
        warnings,
        lines_left: MAX_TOTAL_LINES,
        wants_final: false,
    };
    reader.read_file(opts, file, 0, true)?;
    Ok(reader.wants_final)
}

/// Applies one `-o Key=Value` (or `-o "Key Value"`) option. Apply them before reading files:
/// the first value wins, so the command line takes precedence.
pub fn apply_option(
    opts: &mut SshOptions,
    option: &str,
    warnings: &mut Vec<Warning>,
) -> Result<(), CliError> {
    let at = Location {
        file: COMMAND_LINE,
        line: 0,
    };
    let Some(d) = split_line(option).map_err(|e| at.lex_error(e))? else {
        return Err(CliError::Usage(format!("bad -o option: \"{option}\"")));
    };
    match d.key.as_str() {
        "host" | "match" | "include" => Err(at.err_not_allowed(&d)),
        _ => apply_keyword(opts, &d, &at, true, warnings),
    }
}

struct Reader<'a> {
    ctx: &'a MatchContext,
    include: &'a mut dyn FnMut(&str) -> Vec<SourceFile>,
    exec: &'a mut dyn FnMut(&str) -> bool,
    warnings: &'a mut Vec<Warning>,
    lines_left: usize,
    wants_final: bool,
}

impl Reader<'_> {
    fn read_file(
        &mut self,
        opts: &mut SshOptions,
        file: &SourceFile,
        depth: usize,
        mut active: bool,
    ) -> Result<(), CliError> {
        for (index, text) in file.text.lines().enumerate() {
            let at = Location {
                file: &file.name,
                line: index.saturating_add(1),
            };
            self.lines_left = self.lines_left.checked_sub(1).ok_or(CliError::BadValue {
                file: file.name.clone(),
                line: at.line,
                keyword: "Include".to_owned(),
                value: format!("more than {MAX_TOTAL_LINES} lines in all"),
            })?;
            let Some(d) = split_line(text).map_err(|e| at.lex_error(e))? else {
                continue;
            };
            match d.key.as_str() {
                "host" => active = self.host_matches(&d, &at)?,
                "match" => active = self.match_line(opts, &d, &at)?,
                "include" => self.on_include(opts, &d, &at, depth, active)?,
                _ => apply_keyword(opts, &d, &at, active, self.warnings)?,
            }
        }
        Ok(())
    }

    /// `Match criteria...`: active when every criterion matches (see [`ssh_match`]).
    fn match_line(
        &mut self,
        o: &SshOptions,
        d: &Directive,
        at: &Location<'_>,
    ) -> Result<bool, CliError> {
        let so_far = SoFar {
            host_name: o.host_name.as_deref(),
            user: o.user.as_deref(),
            port: o.port,
            tag: o.tag.as_deref(),
        };
        let out = ssh_match::evaluate(&d.args, self.ctx, so_far, self.exec)
            .map_err(|e| at.err_value(d, &e))?;
        self.wants_final |= out.wants_final;
        for criterion in out.unsupported {
            let mut w = at.warning(d, WarningKind::MatchUnsupported);
            w.keyword = criterion;
            warn(self.warnings, w);
        }
        Ok(out.matched)
    }

    /// `Host p1 !p2 ...`: active when a positive pattern matches and no negated one does.
    /// The patterns match the name typed, or in the final pass the resolved one (as ssh).
    fn host_matches(&self, d: &Directive, at: &Location<'_>) -> Result<bool, CliError> {
        if d.args.is_empty() {
            return Err(at.err_missing(d));
        }
        let host = if self.ctx.final_pass {
            &self.ctx.final_host
        } else {
            &self.ctx.original_host
        };
        let mut matched = false;
        for pattern in &d.args {
            match pattern.strip_prefix('!') {
                Some(neg) if match_pattern(neg, host) => return Ok(false),
                Some(_) => {}
                None => matched |= match_pattern(pattern, host),
            }
        }
        Ok(matched)
    }

    fn on_include(
        &mut self,
        opts: &mut SshOptions,
        d: &Directive,
        at: &Location<'_>,
        depth: usize,
        active: bool,
    ) -> Result<(), CliError> {
        if d.args.is_empty() {
            return Err(at.err_missing(d));
        }
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(CliError::IncludeTooDeep {
                file: at.file.to_owned(),
                line: at.line,
                limit: MAX_INCLUDE_DEPTH,
            });
        }
        for pattern in &d.args {
            for included in (self.include)(pattern) {
                // An included file starts in the including line's Host state; its own Host
                // lines do not leak back out.
                self.read_file(opts, &included, depth.saturating_add(1), active)?;
            }
        }
        Ok(())
    }
}

impl Location<'_> {
    fn err_not_allowed(&self, d: &Directive) -> CliError {
        CliError::NotAllowedHere {
            file: self.file.to_owned(),
            line: self.line,
            keyword: d.keyword.clone(),
        }
    }
    fn warning(&self, d: &Directive, kind: WarningKind) -> Warning {
        Warning {
            file: self.file.to_owned(),
            line: self.line,
            keyword: d.keyword.clone(),
            kind,
        }
    }
}

/// Records a warning unless [`MAX_WARNINGS`] are recorded already.
fn warn(warnings: &mut Vec<Warning>, w: Warning) {
    if warnings.len() < MAX_WARNINGS {
        warnings.push(w);
    }
}

/// Stores `value` in `slot` when the line is active and nothing was set before.
fn first<T>(slot: &mut Option<T>, active: bool, value: T) {
    if active && slot.is_none() {
        *slot = Some(value);
    }
}

/// Appends to a repeatable option when the line is active, up to [`MAX_REPEATED`].
fn append(
    list: &mut Vec<String>,
    active: bool,
    value: String,
    at: &Location<'_>,
    d: &Directive,
) -> Result<(), CliError> {
    if !active {
        return Ok(());
    }
    // As ssh: an entry given twice (by both passes of `Match final`, say) is kept once.
    if list.contains(&value) {
        return Ok(());
    }
    if list.len() >= MAX_REPEATED {
        return Err(at.err_value(d, &format!("more than {MAX_REPEATED} entries")));
    }
    list.push(value);
    Ok(())
}

fn apply_keyword(
    o: &mut SshOptions,
    d: &Directive,
    at: &Location<'_>,
    on: bool,
    warnings: &mut Vec<Warning>,
) -> Result<(), CliError> {
    match d.key.as_str() {
        "port" => first(&mut o.port, on, at.parsed(d, parse_port)?),
        "user" => first(&mut o.user, on, at.one(d)?.to_owned()),
        "hostname" => first(&mut o.host_name, on, at.one(d)?.to_owned()),
        "identityfile" => append(&mut o.identity_files, on, at.one(d)?.to_owned(), at, d)?,
        "certificatefile" => {
            append(&mut o.certificate_files, on, at.one(d)?.to_owned(), at, d)?;
        }
        "identitiesonly" => first(&mut o.identities_only, on, at.parsed(d, parse_flag)?),
        "userknownhostsfile" => first(&mut o.user_known_hosts_files, on, d.args.clone()),
        "stricthostkeychecking" => {
            let v = at.parsed(d, StrictHostKeyChecking::parse)?;
            first(&mut o.strict_host_key_checking, on, v);
        }
        "exitonforwardfailure" => {
            first(
                &mut o.exit_on_forward_failure,
                on,
                at.parsed(d, parse_flag)?,
            );
        }
        "metricslisten" => {
            let v = at.parsed(d, |v| crate::metrics::parse_metrics_listen(v).ok())?;
            first(&mut o.metrics_listen, on, v);
        }
        "serveraliveinterval" => {
            first(&mut o.server_alive_interval, on, at.parsed(d, parse_time)?);
        }
        "serveralivecountmax" => {
            first(
                &mut o.server_alive_count_max,
                on,
                at.parsed(d, parse_count)?,
            );
        }
        // Checked against what burrow implements when the settings are resolved: a name
        // burrow lacks is a notice there, not an error here.
        "ciphers" => first(&mut o.ciphers, on, at.one(d)?.to_owned()),
        "macs" => first(&mut o.macs, on, at.one(d)?.to_owned()),
        "kexalgorithms" => first(&mut o.kex_algorithms, on, at.one(d)?.to_owned()),
        "hostkeyalgorithms" => first(&mut o.host_key_algorithms, on, at.one(d)?.to_owned()),
        "pubkeyacceptedalgorithms" | "pubkeyacceptedkeytypes" => {
            first(&mut o.pubkey_accepted_algorithms, on, at.one(d)?.to_owned());
        }
        "connecttimeout" => {
            let v = at.parsed(d, |v| if v == "none" { Some(0) } else { parse_time(v) })?;
            first(&mut o.connect_timeout, on, v);
        }
        "batchmode" => first(&mut o.batch_mode, on, at.parsed(d, parse_flag)?),
        "channelwindowbudget" => {
            let v = at.parsed(d, syntax::window_budget)?;
            first(&mut o.channel_window_budget, on, v);
        }
        "rekeylimit" => {
            let joined = d.args.join(" ");
            let v = syntax::rekey_limit(&joined).map_err(|_| at.err_value(d, &joined))?;
            first(&mut o.rekey_limit, on, v);
        }
        "gatewayports" => first(&mut o.gateway_ports, on, at.parsed(d, parse_flag)?),
        "localforward" => {
            let spec = forward_spec(at, d, false)?;
            append(&mut o.local_forwards, on, spec, at, d)?;
        }
        "remoteforward" => {
            let spec = forward_spec(at, d, true)?;
            append(&mut o.remote_forwards, on, spec, at, d)?;
        }
        "dynamicforward" => append(&mut o.dynamic_forwards, on, at.one(d)?.to_owned(), at, d)?,
        // ProxyJump and ProxyCommand compete: whichever comes first wins, as in ssh.
        "proxyjump" => {
            let v = at.one(d)?.to_owned();
            if o.proxy_command.is_none() {
                first(&mut o.proxy_jump, on, v);
            }
        }
        "proxyusefdpass" => first(&mut o.proxy_use_fdpass, on, at.parsed(d, parse_flag)?),
        "identityagent" => first(&mut o.identity_agent, on, at.one(d)?.to_owned()),
        "tag" => first(&mut o.tag, on, at.one(d)?.to_owned()),
        "clearallforwardings" => {
            first(&mut o.clear_all_forwardings, on, at.parsed(d, parse_flag)?);
        }
        "forkafterauthentication" => {
            first(
                &mut o.fork_after_authentication,
                on,
                at.parsed(d, parse_flag)?,
            );
        }
        "stdinnull" => first(&mut o.stdin_null, on, at.parsed(d, parse_flag)?),
        "controlmaster" => {
            let v = at.parsed(d, ControlMaster::parse)?;
            first(&mut o.control_master, on, v);
        }
        "controlpath" => first(&mut o.control_path, on, at.one(d)?.to_owned()),
        "controlpersist" => {
            let v = at.parsed(d, ControlPersist::parse)?;
            first(&mut o.control_persist, on, v);
        }
        "sessiontype" => {
            let v = at.parsed(d, |v| match v.to_ascii_lowercase().as_str() {
                "none" => Some(true),
                "default" => Some(false),
                _ => None,
            })?;
            first(&mut o.session_none, on, v);
        }
        "canonicalizehostname" => {
            let v = at.parsed(d, Canonicalize::parse)?;
            first(&mut o.canonicalize_hostname, on, v);
        }
        "canonicaldomains" => {
            let v = match d.args.as_slice() {
                [] => return Err(at.err_missing(d)),
                [none] if none.eq_ignore_ascii_case("none") => Vec::new(),
                words => words.to_vec(),
            };
            first(&mut o.canonical_domains, on, v);
        }
        "canonicalizemaxdots" => {
            let v = at.parsed(d, parse_count)?;
            first(&mut o.canonicalize_max_dots, on, v);
        }
        "canonicalizefallbacklocal" => {
            let v = at.parsed(d, parse_flag)?;
            first(&mut o.canonicalize_fallback_local, on, v);
        }
        "canonicalizepermittedcnames" => {
            if d.args.is_empty() {
                return Err(at.err_missing(d));
            }
            first(&mut o.canonicalize_permitted_cnames, on, d.args.join(" "));
        }
        "permitremoteopen" => first(&mut o.permit_remote_open, on, d.args.clone()),
        "revokedhostkeys" => first(&mut o.revoked_host_keys, on, at.one(d)?.to_owned()),
        "casignaturealgorithms" => {
            first(&mut o.ca_signature_algorithms, on, at.one(d)?.to_owned());
        }
        "requiredrsasize" => first(&mut o.required_rsa_size, on, at.parsed(d, parse_count)?),
        "reconnect" => first(&mut o.reconnect, on, at.parsed(d, parse_flag)?),
        "reconnectmaxdelay" => {
            let v = at.parsed(d, |v| parse_time(v).filter(|&s| s > 0))?;
            first(&mut o.reconnect_max_delay, on, v);
        }
        "reconnectattempts" => {
            let v = at.parsed(d, |v| if v == "none" { Some(0) } else { parse_count(v) })?;
            first(&mut o.reconnect_attempts, on, v);
        }
        "connectionattempts" => {
            let v = at.parsed(d, |v| parse_count(v).filter(|&n| n > 0))?;
            first(&mut o.connection_attempts, on, v);
        }
        "proxycommand" => {
            if o.proxy_jump.is_none() {
                first(&mut o.proxy_command, on, d.rest.clone());
            }
        }
        "loglevel" => first(&mut o.log_level, on, at.parsed(d, LogLevel::parse)?),
        "globalknownhostsfile" => first(&mut o.global_known_hosts_files, on, d.args.clone()),
        "hashknownhosts" => first(&mut o.hash_known_hosts, on, at.parsed(d, parse_flag)?),
        "hostkeyalias" => first(&mut o.host_key_alias, on, at.one(d)?.to_owned()),
        "passwordauthentication" => {
            first(
                &mut o.password_authentication,
                on,
                at.parsed(d, parse_flag)?,
            );
        }
        "kbdinteractiveauthentication" | "challengeresponseauthentication" => {
            let v = at.parsed(d, parse_flag)?;
            first(&mut o.kbd_interactive_authentication, on, v);
        }
        "pubkeyauthentication" => {
            let v = at.parsed(d, |v| match v.to_ascii_lowercase().as_str() {
                "unbound" | "host-bound" => Some(true),
                other => parse_flag(other),
            })?;
            first(&mut o.pubkey_authentication, on, v);
        }
        "preferredauthentications" => {
            first(&mut o.preferred_authentications, on, at.one(d)?.to_owned());
        }
        "tcpkeepalive" => first(&mut o.tcp_keep_alive, on, at.parsed(d, parse_flag)?),
        "addressfamily" => {
            first(
                &mut o.address_family,
                on,
                at.parsed(d, AddressFamily::parse)?,
            );
        }
        "bindaddress" => first(&mut o.bind_address, on, at.one(d)?.to_owned()),
        "bindinterface" => first(&mut o.bind_interface, on, at.one(d)?.to_owned()),
        "ignoreunknown" => first(&mut o.ignore_unknown, on, d.args.join(",")),
        key if OPENSSH_KEYWORDS.contains(&key) => {
            warn(warnings, at.warning(d, WarningKind::Unsupported));
        }
        key if o
            .ignore_unknown
            .as_deref()
            .is_some_and(|list| match_pattern_list(&list.to_lowercase(), key)) => {}
        _ => warn(warnings, at.warning(d, WarningKind::BadOption)),
    }
    Ok(())
}

/// `LocalForward listen connect` and `RemoteForward listen [connect]` as one `-L`/`-R` spec.
fn forward_spec(
    at: &Location<'_>,
    d: &Directive,
    connect_optional: bool,
) -> Result<String, CliError> {
    match d.args.as_slice() {
        [listen, connect] => Ok(format!("{listen}:{connect}")),
        [listen] if connect_optional => Ok(listen.clone()),
        [] | [_] => Err(at.err_missing(d)),
        _ => Err(at.err_trailing(d)),
    }
}

/// ssh_config(5) keywords burrow does not implement: ignored with a quieter warning than
/// unknown words get, since a user's ~/.ssh/config is full of them.
const OPENSSH_KEYWORDS: &[&str] = &[
    "addkeystoagent",
    "channeltimeout",
    "checkhostip",
    "compression",
    "enableescapecommandline",
    "enablesshkeysign",
    "escapechar",
    "fingerprinthash",
    "forwardagent",
    "forwardx11",
    "forwardx11timeout",
    "forwardx11trusted",
    "gssapiauthentication",
    "gssapidelegatecredentials",
    "hostbasedacceptedalgorithms",
    "hostbasedauthentication",
    "ipqos",
    "kbdinteractivedevices",
    "knownhostscommand",
    "localcommand",
    "logverbose",
    "nohostauthenticationforlocalhost",
    "numberofpasswordprompts",
    "obscurekeystroketiming",
    "permitlocalcommand",
    "pkcs11provider",
    "remotecommand",
    "requesttty",
    "securitykeyprovider",
    "sendenv",
    "setenv",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "syslogfacility",
    "tunnel",
    "tunneldevice",
    "updatehostkeys",
    "verifyhostkeydns",
    "versionaddendum",
    "visualhostkey",
    "warnweakcrypto",
    "xauthlocation",
];

#[cfg(test)]
#[path = "ssh_config_tests.rs"]
mod tests;
