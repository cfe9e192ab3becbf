//! Command-line arguments of `burrow` and `burrowd`, parsed with clap in ssh's and sshd's
//! spellings: bundled flags (`-fNL 8080:h:80`), attached values (`-L8080:h:80`,
//! `-oKey=Value`), `-vvv`, and options after the destination (`burrow host -N`).
//!
//! clap accepts all of these as they are, so argv is not rewritten before parsing. The one
//! difference from getopt: a flag that clap does not know stops with a usage error, as ssh.

use clap::{ArgAction, Parser};

use crate::CliError;
use crate::config::control::ControlMaster;
use crate::config::ssh_config::{AddressFamily, SshOptions, Warning, apply_option};

/// What `burrow --help` says after the options.
const CLIENT_AFTER_HELP: &str = "\
burrow is for port forwarding: it offers no interactive shell and allocates no terminal.
Without -N and without a command it stays connected for the forwards until interrupted.
With a command it runs it on the server and exits with its exit status.
Compression (-C) is not supported.
On SIGTERM or SIGINT burrow drains: -L/-D listeners close, -R forwards are cancelled, open
connections may finish for --drain-grace seconds, then burrow exits 0 (ssh exits 255).
-o Reconnect=yes (with -N): when the connection drops or ServerAliveInterval keepalives go
unanswered, burrow dials again (waits of 1 s doubling to ReconnectMaxDelay, default 60 s,
jittered; ReconnectAttempts, default unlimited), asks for every -R again and keeps -L/-D
bound: up to 64 local connections per listener wait for the connection, more are closed.
A changed host key or a failed authentication stops it (exit 255).";

/// `burrow [-fNTnqV46] [-p port] [-l user] [-i identity_file] [-F config] [-J jump]
/// [-o Key=Value]... [-v[v[v]]] [-L spec]... [-R spec]... [-D [bind:]port]... [-W host:port]
/// [user@]host [command]`.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(
    name = "burrow",
    about = "SSH port forwarding client (ssh -N -L/-R/-D/-W drop-in)",
    disable_version_flag = true,
    after_help = CLIENT_AFTER_HELP
)]
pub struct ClientArgs {
    /// Go to the background after authentication, once every forward is set up.
    #[arg(short = 'f')]
    pub background: bool,
    /// Do not run a remote command; only forward.
    #[arg(short = 'N')]
    pub no_command: bool,
    /// Do not allocate a terminal (burrow never does; accepted for ssh habits).
    #[arg(short = 'T')]
    pub no_tty: bool,
    /// Read stdin from /dev/null.
    #[arg(short = 'n')]
    pub null_stdin: bool,
    /// Quiet mode: only fatal errors.
    #[arg(short = 'q')]
    pub quiet: bool,
    /// Print the version and exit.
    #[arg(short = 'V')]
    pub version: bool,
    /// IPv4 addresses only (AddressFamily inet).
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 addresses only (AddressFamily inet6).
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Remote hosts may connect to local forwarded ports (GatewayPorts yes).
    #[arg(short = 'g')]
    pub gateway_ports: bool,
    /// Local address to connect from (BindAddress).
    #[arg(short = 'b', value_name = "bind_address")]
    pub bind_address: Option<String>,
    /// Local interface whose address to connect from (BindInterface).
    #[arg(short = 'B', value_name = "bind_interface")]
    pub bind_interface: Option<String>,
    /// Ciphers, comma-separated, in ssh_config `Ciphers` syntax.
    #[arg(short = 'c', value_name = "cipher_spec")]
    pub ciphers: Option<String>,
    /// MACs, comma-separated, in ssh_config `MACs` syntax.
    #[arg(short = 'm', value_name = "mac_spec")]
    pub macs: Option<String>,
    /// Append log output to this file instead of standard error.
    #[arg(short = 'E', value_name = "log_file")]
    pub log_file: Option<String>,
    /// Print the effective configuration (after Host and `-o` evaluation) and exit.
    #[arg(short = 'G')]
    pub print_config: bool,
    /// List what burrow implements: cipher, mac, kex, key, key-cert, sig.
    #[arg(short = 'Q', value_name = "query_option")]
    pub query: Option<String>,
    /// Compression: refused (burrow does not compress).
    #[arg(short = 'C', hide = true)]
    pub compression: bool,
    /// Port to connect to on the remote host.
    #[arg(short = 'p', value_name = "port", value_parser = parse_port_arg)]
    pub port: Option<u16>,
    /// User to log in as.
    #[arg(short = 'l', value_name = "login_name")]
    pub login: Option<String>,
    /// Identity (private key) file; repeatable.
    #[arg(short = 'i', value_name = "identity_file")]
    pub identity_files: Vec<String>,
    /// Configuration file (`none` for no file; default ~/.ssh/config).
    #[arg(short = 'F', value_name = "configfile")]
    pub config_file: Option<String>,
    /// Jump hosts, comma-separated `[user@]host[:port]`.
    #[arg(short = 'J', value_name = "destination")]
    pub jump: Option<String>,
    /// ssh_config option as `Key=Value`; repeatable.
    #[arg(short = 'o', value_name = "option")]
    pub options: Vec<String>,
    /// Verbose: -v, -vv, -vvv.
    #[arg(short = 'v', action = ArgAction::Count)]
    pub verbose: u8,
    /// Local forward `[bind_address:]port:host:hostport` (and unix-socket forms). A leading
    /// `?` (quoted: `'?8080:db:80'`) makes any -L/-R/-D optional: never fatal, even with
    /// ExitOnForwardFailure, and retried in the background until it is up.
    #[arg(short = 'L', value_name = "spec")]
    pub local: Vec<String>,
    /// Remote forward `[bind_address:]port:host:hostport`, or `[bind_address:]port` (SOCKS).
    #[arg(short = 'R', value_name = "spec")]
    pub remote: Vec<String>,
    /// Dynamic (SOCKS) forward `[bind_address:]port`.
    #[arg(short = 'D', value_name = "[bind_address:]port")]
    pub dynamic: Vec<String>,
    /// Be the control master (ControlMaster yes; -MM: ask, which burrow answers "no" to
    /// every request that would ask).
    #[arg(short = 'M', action = ArgAction::Count)]
    pub control_master: u8,
    /// Control socket path (ControlPath).
    #[arg(short = 'S', value_name = "ctl_path")]
    pub control_path: Option<String>,
    /// Send a command to the control master: check, forward, cancel, exit, stop, stats
    /// (burrow's: the master's forward counters as JSON).
    #[arg(short = 'O', value_name = "ctl_cmd")]
    pub control_command: Option<String>,
    /// Join stdin and stdout to `host:port` on the server's side.
    #[arg(short = 'W', value_name = "host:port")]
    pub stdio: Option<String>,
    /// Append events for scripts to PATH (`-`: standard output), one JSON object per line:
    /// connected, forward_ready, forward_failed, channel_open, channel_close, disconnected,
    /// reconnecting (never blocking a tunnel: past 1024 unwritten lines, events are dropped and counted).
    #[arg(long, value_name = "PATH")]
    pub events: Option<String>,
    /// On SIGTERM or SIGINT, how long open forwarded connections may take to finish
    /// before burrow closes them and exits 0; a second signal ends the wait at once.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub drain_grace: u64,
    /// Run a self-contained demonstration: an in-process burrowd and -L, -R, -D forwards.
    #[arg(long)]
    pub demo: bool,
    /// Print a man page or shell completion script generated from these definitions:
    /// man, bash, zsh, fish (for burrow), burrowd-man, burrowd-bash, ... (for burrowd).
    #[arg(long, hide = true, value_name = "kind")]
    pub generate: Option<String>,
    /// `[user@]host`, or an alias from the configuration.
    #[arg(value_name = "destination")]
    pub destination: Option<String>,
    /// Command to run on the server.
    #[arg(
        value_name = "command",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

const SERVER_AFTER_HELP: &str = "\
Run as root, burrowd serves each connection in its own process (burrowd re-executed, as
sshd runs sshd-session): a monitor holding the host keys, whose child parses the protocol
as `burrowd` or `nobody` chrooted into /run/burrowd/empty. After verifying the login the
monitor becomes the user (groups, gid, uid): every forward connects, binds and unlinks
with that user's rights.
Run as an ordinary user, burrowd serves all connections in one process and only that user
may log in. See SECURITY.md, \"Privilege model\".";

/// `burrowd [-f config] [-p port] [-h host_key_file] [-o Key=Value]... [-D] [-e] [-d] [-t]
/// [--generate-host-key PATH]`.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(
    name = "burrowd",
    about = "Forwarding-only SSH server (no shells, no commands)",
    after_help = SERVER_AFTER_HELP,
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct ServerArgs {
    /// sshd_config-style configuration file.
    #[arg(short = 'f', value_name = "config_file")]
    pub config_file: Option<String>,
    /// Port to listen on (repeatable; replaces Port lines of the file).
    #[arg(short = 'p', value_name = "port", value_parser = parse_port_arg)]
    pub ports: Vec<u16>,
    /// Host key file (repeatable).
    #[arg(short = 'h', value_name = "host_key_file")]
    pub host_keys: Vec<String>,
    /// sshd_config option as `Key=Value`; repeatable, wins over the file.
    #[arg(short = 'o', value_name = "option")]
    pub options: Vec<String>,
    /// Do not detach (burrowd always stays in the foreground; accepted for sshd habits).
    #[arg(short = 'D')]
    pub no_detach: bool,
    /// Log to stderr (burrowd always does; accepted for sshd habits).
    #[arg(short = 'e')]
    pub log_stderr: bool,
    /// Debug logging: -d, -dd, -ddd.
    #[arg(short = 'd', action = ArgAction::Count)]
    pub debug: u8,
    /// Test mode: check the configuration and keys, then exit.
    #[arg(short = 't')]
    pub test: bool,
    /// Write a new ed25519 host key to PATH (and PATH.pub), then exit.
    #[arg(long, value_name = "PATH")]
    pub generate_host_key: Option<String>,
    /// Internal: serve the one connection on stdin, report the login on stdout (the root
    /// listener runs burrowd so for each connection, as sshd runs sshd-session).
    #[arg(long = "session", hide = true)]
    pub session: bool,
    /// Internal: the sandboxed protocol process of a `--session` monitor (the connection
    /// on stdin, the broker socket on stdout).
    #[arg(long = "sandbox", hide = true)]
    pub sandbox: bool,
    /// Print help.
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
}

fn parse_port_arg(s: &str) -> Result<u16, String> {
    crate::config::value::parse_port(s).ok_or_else(|| format!("Bad port '{s}'"))
}

/// `[user@]host` split at the last `@`, as ssh does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The user part, if any.
    pub user: Option<String>,
    /// The host or alias.
    pub host: String,
}

impl Destination {
    /// Splits `[user@]host`; an empty host or user is an error.
    pub fn parse(s: &str) -> Result<Self, CliError> {
        let (user, host) = match s.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, s),
        };
        if host.is_empty() || user.is_some_and(str::is_empty) {
            return Err(CliError::Usage(format!("bad destination \"{s}\"")));
        }
        Ok(Self {
            user: user.map(str::to_owned),
            host: host.to_owned(),
        })
    }
}

impl ClientArgs {
    /// Parses argv (program name first).
    pub fn parse_from_argv<I, T>(argv: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::try_parse_from(argv)
    }

    /// Checks what clap cannot: `-C` is refused, a destination is needed (unless `--demo` or
    /// `-V`), and `-W` goes without other forwards or a command.
    pub fn validate(&self) -> Result<(), CliError> {
        if self.compression {
            return Err(CliError::Usage(
                "compression (-C) is not supported: burrow never compresses".to_owned(),
            ));
        }
        if self.demo || self.version || self.query.is_some() || self.generate.is_some() {
            return Ok(());
        }
        let Some(dest) = &self.destination else {
            return Err(CliError::Usage(
                "no destination given (try --help)".to_owned(),
            ));
        };
        Destination::parse(dest)?;
        if self.stdio.is_some() && !self.command.is_empty() {
            return Err(CliError::Usage(
                "-W cannot be combined with a command".to_owned(),
            ));
        }
        if let Some(cmd) = &self.control_command {
            if self.stdio.is_some() {
                return Err(CliError::Usage(
                    "Cannot specify multiplexing command with -W".to_owned(),
                ));
            }
            if crate::client::MuxCommand::parse(cmd).is_none() {
                return Err(CliError::Usage("Invalid multiplex command.".to_owned()));
            }
        }
        if self.stdio.is_some() && self.events.as_deref() == Some("-") {
            return Err(CliError::Usage(
                "--events - cannot be combined with -W (standard output carries the stream)"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// Puts the command line into `opts` before any file is read, so that it wins: `-p`, `-l`
    /// (or `user@`), `-i`, `-J`, the forwards, then each `-o` (first value wins, so `-p` beats
    /// `-o Port`, as in ssh).
    pub fn apply_to(
        &self,
        opts: &mut SshOptions,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), CliError> {
        let dest = self
            .destination
            .as_deref()
            .map(Destination::parse)
            .transpose()?;
        if let Some(p) = self.port {
            opts.port = Some(p);
        }
        if self.gateway_ports {
            opts.gateway_ports = Some(true);
        }
        if self.background {
            opts.fork_after_authentication = Some(true);
        }
        if self.null_stdin {
            opts.stdin_null = Some(true);
        }
        if self.no_command {
            opts.session_none = Some(true);
        }
        if self.ipv4 || self.ipv6 {
            opts.address_family = Some(if self.ipv4 {
                AddressFamily::Inet
            } else {
                AddressFamily::Inet6
            });
        }
        if let Some(b) = &self.bind_address {
            opts.bind_address = Some(b.clone());
        }
        if let Some(i) = &self.bind_interface {
            opts.bind_interface = Some(i.clone());
        }
        if self.control_master > 0 {
            opts.control_master = Some(if self.control_master > 1 {
                ControlMaster::Ask
            } else {
                ControlMaster::Yes
            });
        }
        if let Some(p) = &self.control_path {
            opts.control_path = Some(p.clone());
        }
        if let Some(c) = &self.ciphers {
            opts.ciphers = Some(c.clone());
        }
        if let Some(m) = &self.macs {
            opts.macs = Some(m.clone());
        }
        if let Some(user) = self.login.clone().or_else(|| dest.and_then(|d| d.user)) {
            opts.user = Some(user);
        }
        opts.identity_files
            .extend(self.identity_files.iter().cloned());
        if let Some(j) = &self.jump {
            opts.proxy_jump = Some(j.clone());
        }
        opts.local_forwards.extend(self.local.iter().cloned());
        opts.remote_forwards.extend(self.remote.iter().cloned());
        opts.dynamic_forwards.extend(self.dynamic.iter().cloned());
        if self.stdio.is_some() {
            // As ssh: -W turns forward failures fatal.
            opts.exit_on_forward_failure = Some(true);
        }
        for o in &self.options {
            apply_option(opts, o, warnings)?;
        }
        Ok(())
    }
}

impl ServerArgs {
    /// Parses argv (program name first).
    pub fn parse_from_argv<I, T>(argv: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::try_parse_from(argv)
    }
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
