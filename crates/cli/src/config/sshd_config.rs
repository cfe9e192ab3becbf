//! The sshd_config(5) subset `burrowd` reads: a pure parser over strings. Unknown keywords are
//! errors naming the file and line, as in sshd.

use burrow::MaxStartups;
use burrow_forward::bind::GatewayPorts;
use burrow_forward::policy::{AllowForwarding, ForwardPolicy, PermitList};
use burrow_transport::{RekeyLimit, TransportConfig};

use super::algorithms::Family;
use super::lexer::{Directive, split_line};
use super::location::Location;
use super::syntax;
use super::value::{LogLevel, parse_count, parse_flag, parse_port, parse_time};
use crate::CliError;

/// How many entries a repeatable option (HostKey, ListenAddress, AllowUsers...) may collect.
pub const MAX_REPEATED: usize = 256;

/// `PermitRootLogin` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermitRootLogin {
    /// Any method.
    Yes,
    /// Never.
    No,
    /// Not with a password (`prohibit-password`, `without-password`): the default.
    ProhibitPassword,
    /// Only keys with a forced command; burrowd runs no commands, so this denies root.
    ForcedCommandsOnly,
}

impl PermitRootLogin {
    fn parse(v: &str) -> Option<Self> {
        match v.to_ascii_lowercase().as_str() {
            "yes" | "true" => Some(Self::Yes),
            "no" | "false" => Some(Self::No),
            "prohibit-password" | "without-password" => Some(Self::ProhibitPassword),
            "forced-commands-only" => Some(Self::ForcedCommandsOnly),
            _ => None,
        }
    }
}

/// `MaxStartups start:rate:full`: burrow's own type (one definition for the server and its
/// configuration); a start of 0 is refused here, as sshd does.
fn max_startups(v: &str) -> Option<MaxStartups> {
    MaxStartups::parse(v).filter(|m| m.start > 0)
}

/// The options read, each as first set (`None` or empty: not set; defaults live in the getters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshdOptions {
    /// `ListenAddress`, every one (`host`, `host:port`, `[v6]:port`).
    pub listen_addresses: Vec<String>,
    /// `Port`, every one.
    pub ports: Vec<u16>,
    /// `HostKey`, every one.
    pub host_keys: Vec<String>,
    /// `HostCertificate`, every one (public certificate files for the host keys).
    pub host_certificates: Vec<String>,
    /// `AuthorizedKeysFile` (several per line; tokens not yet expanded).
    pub authorized_keys_files: Option<Vec<String>>,
    /// `PubkeyAuthentication`.
    pub pubkey_authentication: Option<bool>,
    /// `PasswordAuthentication`.
    pub password_authentication: Option<bool>,
    /// `AllowTcpForwarding`.
    pub allow_tcp_forwarding: Option<AllowForwarding>,
    /// `AllowStreamLocalForwarding`.
    pub allow_stream_local_forwarding: Option<AllowForwarding>,
    /// `GatewayPorts`.
    pub gateway_ports: Option<GatewayPorts>,
    /// `DisableForwarding`.
    pub disable_forwarding: Option<bool>,
    /// `StreamLocalBindUnlink`.
    pub stream_local_bind_unlink: Option<bool>,
    /// `PermitOpen`.
    pub permit_open: Option<PermitList>,
    /// `PermitListen`.
    pub permit_listen: Option<PermitList>,
    /// `MaxAuthTries`.
    pub max_auth_tries: Option<u32>,
    /// `RevokedKeys`: a KRL or public key list of user keys refused (`none`: unset).
    pub revoked_keys: Option<String>,
    /// `RequiredRSASize`: the smallest RSA host or user key used, in bits.
    pub required_rsa_size: Option<u32>,
    /// `MaxStartups`.
    pub max_startups: Option<MaxStartups>,
    /// `MaxSessions` (channels per connection, for burrowd).
    pub max_sessions: Option<u32>,
    /// `PerSourceMaxStartups`: unauthenticated connections per source address (`none`: no limit).
    pub per_source_max_startups: Option<u32>,
    /// `MetricsListen` (burrowd's own): where to serve `/metrics`; `Some(None)` is `none`.
    pub metrics_listen: Option<Option<std::net::SocketAddr>>,
    /// `LoginGraceTime`, seconds (0: none).
    pub login_grace_time: Option<u64>,
    /// `ClientAliveInterval`, seconds.
    pub client_alive_interval: Option<u64>,
    /// `ClientAliveCountMax`.
    pub client_alive_count_max: Option<u32>,
    /// `Ciphers`, checked.
    pub ciphers: Option<String>,
    /// `MACs`, checked.
    pub macs: Option<String>,
    /// `KexAlgorithms`, checked.
    pub kex_algorithms: Option<String>,
    /// `HostKeyAlgorithms`, checked.
    pub host_key_algorithms: Option<String>,
    /// `PubkeyAcceptedAlgorithms`, checked.
    pub pubkey_accepted_algorithms: Option<String>,
    /// `RekeyLimit`.
    pub rekey_limit: Option<RekeyLimit>,
    /// `ChannelWindowBudget` (burrow's own): bytes all receive windows may commit.
    pub channel_window_budget: Option<u64>,
    /// `AllowUsers` patterns, every line's.
    pub allow_users: Vec<String>,
    /// `DenyUsers` patterns, every line's.
    pub deny_users: Vec<String>,
    /// `PermitRootLogin`.
    pub permit_root_login: Option<PermitRootLogin>,
    /// `StrictModes`.
    pub strict_modes: Option<bool>,
    /// `PidFile` (`none` kept as written).
    pub pid_file: Option<String>,
    /// `LogLevel`.
    pub log_level: Option<LogLevel>,
    /// `Banner` (`none` kept as written).
    pub banner: Option<String>,
    /// `TrustedUserCAKeys`: a file of CA public keys whose user certificates are trusted.
    pub trusted_user_ca_keys: Option<String>,
    /// `AuthorizedPrincipalsFile` (tokens not yet expanded).
    pub authorized_principals_file: Option<String>,
    /// `CASignatureAlgorithms`, checked.
    pub ca_signature_algorithms: Option<String>,
}

/// A harmless sshd keyword that burrowd accepts and ignores, for the caller to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The file.
    pub file: String,
    /// The line.
    pub line: usize,
    /// The keyword as written.
    pub keyword: String,
}

/// Reads sshd_config text named `file` into `opts`. Returns the ignored keywords; every other
/// unknown keyword, bad value or `Match` block is an error naming the file and line.
pub fn read_config(
    opts: &mut SshdOptions,
    file: &str,
    text: &str,
) -> Result<Vec<Ignored>, CliError> {
    let mut ignored = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let at = Location {
            file,
            line: index.saturating_add(1),
        };
        if let Some(d) = split_line(line).map_err(|e| at.lex_error(e))? {
            apply_keyword(opts, &d, &at, &mut ignored)?;
        }
    }
    Ok(ignored)
}

/// Applies one `-o Key=Value` option; apply them before the file so that they win.
pub fn apply_option(opts: &mut SshdOptions, option: &str) -> Result<Vec<Ignored>, CliError> {
    let at = Location {
        file: "command-line",
        line: 0,
    };
    let Some(d) = split_line(option).map_err(|e| at.lex_error(e))? else {
        return Err(CliError::Usage(format!("bad -o option: \"{option}\"")));
    };
    let mut ignored = Vec::new();
    apply_keyword(opts, &d, &at, &mut ignored)?;
    Ok(ignored)
}

fn first<T>(slot: &mut Option<T>, value: T) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

fn extend(
    list: &mut Vec<String>,
    values: &[String],
    at: &Location<'_>,
    d: &Directive,
) -> Result<(), CliError> {
    if list.len().saturating_add(values.len()) > MAX_REPEATED {
        return Err(at.err_value(d, &format!("more than {MAX_REPEATED} entries")));
    }
    list.extend_from_slice(values);
    Ok(())
}

/// An algorithm list, checked as it is read (sshd refuses a bad one at start).
fn algorithms(at: &Location<'_>, d: &Directive, family: Family) -> Result<String, CliError> {
    let v = at.one(d)?;
    family
        .apply(&mut TransportConfig::default(), v)
        .map_err(|_| at.err_value(d, v))?;
    Ok(v.to_owned())
}

fn permit(
    at: &Location<'_>,
    d: &Directive,
    parse: fn(&[&str]) -> Result<PermitList, burrow_forward::ForwardError>,
) -> Result<PermitList, CliError> {
    at.list(d)?;
    let words: Vec<&str> = d.args.iter().map(String::as_str).collect();
    parse(&words).map_err(|_| at.err_value(d, &d.args.join(" ")))
}

fn apply_keyword(
    o: &mut SshdOptions,
    d: &Directive,
    at: &Location<'_>,
    ignored: &mut Vec<Ignored>,
) -> Result<(), CliError> {
    match d.key.as_str() {
        "listenaddress" => extend(&mut o.listen_addresses, &[at.one(d)?.to_owned()], at, d)?,
        "port" => {
            let p = at.parsed(d, parse_port)?;
            if o.ports.len() >= MAX_REPEATED {
                return Err(at.err_value(d, &p.to_string()));
            }
            o.ports.push(p);
        }
        "hostkey" => extend(&mut o.host_keys, &[at.one(d)?.to_owned()], at, d)?,
        "hostcertificate" => {
            extend(&mut o.host_certificates, &[at.one(d)?.to_owned()], at, d)?;
        }
        "authorizedkeysfile" => first(&mut o.authorized_keys_files, at.list(d)?),
        "pubkeyauthentication" => first(&mut o.pubkey_authentication, at.parsed(d, parse_flag)?),
        "passwordauthentication" => {
            first(&mut o.password_authentication, at.parsed(d, parse_flag)?);
        }
        "allowtcpforwarding" => {
            first(
                &mut o.allow_tcp_forwarding,
                at.parsed(d, AllowForwarding::parse)?,
            );
        }
        "allowstreamlocalforwarding" => {
            let v = at.parsed(d, AllowForwarding::parse)?;
            first(&mut o.allow_stream_local_forwarding, v);
        }
        "gatewayports" => first(&mut o.gateway_ports, at.parsed(d, GatewayPorts::parse)?),
        "disableforwarding" => first(&mut o.disable_forwarding, at.parsed(d, parse_flag)?),
        "streamlocalbindunlink" => {
            first(&mut o.stream_local_bind_unlink, at.parsed(d, parse_flag)?);
        }
        "permitopen" => first(
            &mut o.permit_open,
            permit(at, d, PermitList::parse_permit_open)?,
        ),
        "permitlisten" => {
            first(
                &mut o.permit_listen,
                permit(at, d, PermitList::parse_permit_listen)?,
            );
        }
        "maxauthtries" => first(&mut o.max_auth_tries, at.parsed(d, parse_count)?),
        "revokedkeys" => first(&mut o.revoked_keys, at.one(d)?.to_owned()),
        "requiredrsasize" => first(&mut o.required_rsa_size, at.parsed(d, parse_count)?),
        "maxstartups" => first(&mut o.max_startups, at.parsed(d, max_startups)?),
        "maxsessions" => first(&mut o.max_sessions, at.parsed(d, parse_count)?),
        "metricslisten" => {
            let v = at.parsed(d, |v| crate::metrics::parse_metrics_listen(v).ok())?;
            first(&mut o.metrics_listen, v);
        }
        "persourcemaxstartups" => {
            let v = at.one(d)?;
            if !v.eq_ignore_ascii_case("none") {
                first(&mut o.per_source_max_startups, at.parsed(d, parse_count)?);
            }
        }
        "logingracetime" => first(&mut o.login_grace_time, at.parsed(d, parse_time)?),
        "clientaliveinterval" => first(&mut o.client_alive_interval, at.parsed(d, parse_time)?),
        "clientalivecountmax" => first(&mut o.client_alive_count_max, at.parsed(d, parse_count)?),
        "ciphers" => first(&mut o.ciphers, algorithms(at, d, Family::Ciphers)?),
        "macs" => first(&mut o.macs, algorithms(at, d, Family::Macs)?),
        "kexalgorithms" => first(&mut o.kex_algorithms, algorithms(at, d, Family::Kex)?),
        "hostkeyalgorithms" => {
            first(
                &mut o.host_key_algorithms,
                algorithms(at, d, Family::HostKey)?,
            );
        }
        "pubkeyacceptedalgorithms" | "pubkeyacceptedkeytypes" => first(
            &mut o.pubkey_accepted_algorithms,
            algorithms(at, d, Family::Pubkey)?,
        ),
        "channelwindowbudget" => {
            let v = at.parsed(d, syntax::window_budget)?;
            first(&mut o.channel_window_budget, v);
        }
        "rekeylimit" => {
            let joined = d.args.join(" ");
            let v = syntax::rekey_limit(&joined).map_err(|_| at.err_value(d, &joined))?;
            first(&mut o.rekey_limit, v);
        }
        "allowusers" => extend(&mut o.allow_users, &at.list(d)?, at, d)?,
        "denyusers" => extend(&mut o.deny_users, &at.list(d)?, at, d)?,
        "permitrootlogin" => first(
            &mut o.permit_root_login,
            at.parsed(d, PermitRootLogin::parse)?,
        ),
        "strictmodes" => first(&mut o.strict_modes, at.parsed(d, parse_flag)?),
        "pidfile" => first(&mut o.pid_file, at.one(d)?.to_owned()),
        "loglevel" => first(&mut o.log_level, at.parsed(d, LogLevel::parse)?),
        "banner" => first(&mut o.banner, at.one(d)?.to_owned()),
        "trustedusercakeys" => first(&mut o.trusted_user_ca_keys, at.one(d)?.to_owned()),
        "authorizedprincipalsfile" => {
            first(&mut o.authorized_principals_file, at.one(d)?.to_owned());
        }
        "casignaturealgorithms" => first(
            &mut o.ca_signature_algorithms,
            algorithms(at, d, Family::Pubkey)?,
        ),
        key if IGNORED_KEYWORDS.contains(&key) => ignored.push(Ignored {
            file: at.file.to_owned(),
            line: at.line,
            keyword: d.keyword.clone(),
        }),
        _ => {
            return Err(CliError::BadOption {
                file: at.file.to_owned(),
                line: at.line,
                keyword: d.keyword.clone(),
            });
        }
    }
    Ok(())
}

/// sshd keywords that mean nothing to a forwarding-only server without PAM, X11 or sessions;
/// accepted so that test and distribution configs work, and reported as ignored.
const IGNORED_KEYWORDS: &[&str] = &[
    "acceptenv",
    "challengeresponseauthentication",
    "compression",
    "kbdinteractiveauthentication",
    "permittty",
    "permituserenvironment",
    "printlastlog",
    "printmotd",
    "subsystem",
    "tcpkeepalive",
    "usedns",
    "usepam",
    "x11forwarding",
    "x11displayoffset",
    "x11uselocalhost",
];

impl SshdOptions {
    /// The host keys: `-h`/`HostKey` ones, else none (the caller picks its default).
    pub fn host_key_paths(&self) -> &[String] {
        &self.host_keys
    }

    /// `PasswordAuthentication`, off unless set (burrowd's default, unlike sshd's).
    pub fn password_authentication(&self) -> bool {
        self.password_authentication.unwrap_or(false)
    }

    /// `PubkeyAuthentication`, on unless set.
    pub fn pubkey_authentication(&self) -> bool {
        self.pubkey_authentication.unwrap_or(true)
    }

    /// `PermitRootLogin`, `prohibit-password` unless set.
    pub fn permit_root_login(&self) -> PermitRootLogin {
        self.permit_root_login
            .unwrap_or(PermitRootLogin::ProhibitPassword)
    }

    /// `StrictModes`, on unless set.
    pub fn strict_modes(&self) -> bool {
        self.strict_modes.unwrap_or(true)
    }

    /// `RequiredRSASize` in bits, OpenSSH's 1024 unless set.
    pub fn required_rsa_size(&self) -> usize {
        self.required_rsa_size
            .map_or(burrow_keys::MIN_RSA_BITS, |b| b as usize)
    }

    /// `MaxAuthTries`, 6 unless set.
    pub fn max_auth_tries(&self) -> u32 {
        self.max_auth_tries.unwrap_or(6)
    }

    /// `MaxStartups`, 10:30:100 unless set.
    pub fn max_startups(&self) -> MaxStartups {
        self.max_startups.unwrap_or_default()
    }

    /// `LoginGraceTime` in seconds, 120 unless set (0: no limit).
    pub fn login_grace_time(&self) -> u64 {
        self.login_grace_time.unwrap_or(120)
    }

    /// The forwarding policy: AllowTcpForwarding, AllowStreamLocalForwarding,
    /// DisableForwarding, GatewayPorts, PermitOpen, PermitListen, StreamLocalBindUnlink,
    /// sshd's defaults where unset.
    pub fn forward_policy(&self) -> ForwardPolicy {
        ForwardPolicy {
            allow_tcp: self.allow_tcp_forwarding.unwrap_or_default(),
            allow_streamlocal: self.allow_stream_local_forwarding.unwrap_or_default(),
            disable_forwarding: self.disable_forwarding.unwrap_or(false),
            gateway_ports: self.gateway_ports.unwrap_or_default(),
            permit_open: self.permit_open.clone().unwrap_or_default(),
            permit_listen: self.permit_listen.clone().unwrap_or_default(),
            stream_local_bind_unlink: self.stream_local_bind_unlink.unwrap_or(false),
        }
    }

    /// `ClientAliveCountMax`, 3 unless set.
    pub fn client_alive_count_max(&self) -> u32 {
        self.client_alive_count_max.unwrap_or(3)
    }

    /// The `AuthorizedKeysFile` paths for `user` with home `home`: `%u`, `%h`, `%%` expanded,
    /// relative paths taken from the home directory; `.ssh/authorized_keys` unless set;
    /// `none` gives no file.
    pub fn authorized_keys_paths(&self, user: &str, home: &str) -> Vec<String> {
        let default = [".ssh/authorized_keys".to_owned()];
        let files = self.authorized_keys_files.as_deref().unwrap_or(&default);
        files
            .iter()
            .filter(|f| !f.eq_ignore_ascii_case("none"))
            .map(|f| {
                let expanded = expand_user_tokens(f, user, home);
                if expanded.starts_with('/') {
                    expanded
                } else {
                    format!("{}/{expanded}", home.trim_end_matches('/'))
                }
            })
            .collect()
    }

    /// Whether `user` from address `ip` passes `AllowUsers` and `DenyUsers` (patterns with
    /// `*`/`?`; in `user@host` the host part is an address, CIDR or wildcard list as in
    /// sshd with UseDNS off).
    pub fn user_allowed(&self, user: &str, ip: std::net::IpAddr) -> bool {
        let matches = |p: &String| match p.rsplit_once('@') {
            Some((u, host)) => {
                burrow_keyfiles::match_pattern(u, user)
                    && burrow_keyfiles::authorized_keys::from_allows(host, ip)
            }
            None => burrow_keyfiles::match_pattern(p, user),
        };
        if self.deny_users.iter().any(matches) {
            return false;
        }
        self.allow_users.is_empty() || self.allow_users.iter().any(matches)
    }
}

/// Expands `%u` (user), `%h` (home) and `%%`; other `%` sequences are kept as written.
pub fn expand_user_tokens(s: &str, user: &str, home: &str) -> String {
    super::tokens::expand_tokens(s, &[('u', user), ('h', home)])
}

#[cfg(test)]
#[path = "sshd_config_tests.rs"]
mod tests;
