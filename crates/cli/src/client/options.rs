//! Reads the command line and the configuration files into `ClientSettings` for the
//! destination and for each jump host.

use std::path::Path;

use crate::CliError;
use crate::args::{ClientArgs, Destination};
use crate::config::canonical::{CanonicalSettings, Canonicalize};
use crate::config::client::{ClientSettings, LocalEnv, Notice, expand_tilde, expand_tokens};
use crate::config::jump::JumpHost;
use crate::config::ssh_config::{SourceFile, SshOptions, Warning, WarningKind, read_config_pass};
use crate::config::ssh_match::MatchContext;
use crate::fsglob;

/// The system-wide client configuration, read after the user's (as ssh).
pub const SYSTEM_CONFIG: &str = "/etc/ssh/ssh_config";

/// Settings for the destination of `args`.
pub fn destination_settings(args: &ClientArgs, env: &LocalEnv) -> Result<ClientSettings, CliError> {
    let dest = Destination::parse(args.destination.as_deref().unwrap_or_default())?;
    let mut opts = SshOptions::default();
    let mut warnings = Vec::new();
    args.apply_to(&mut opts, &mut warnings)?;
    read_files(
        args.config_file.as_deref(),
        &dest.host,
        env,
        &mut opts,
        &mut warnings,
    )?;
    let mut settings = ClientSettings::resolve(&dest.host, &opts, env)?;
    report(&warnings, &mut settings);
    Ok(settings)
}

/// Settings for one jump host: its own user and port, then the configuration files, as
/// ssh does for the `-W` connection it runs for each hop. `-o` options apply too.
pub fn jump_settings(
    args: &ClientArgs,
    hop: &JumpHost,
    env: &LocalEnv,
) -> Result<ClientSettings, CliError> {
    let mut opts = SshOptions {
        port: hop.port,
        user: hop.user.clone(),
        ..SshOptions::default()
    };
    let mut warnings = Vec::new();
    for o in &args.options {
        crate::config::ssh_config::apply_option(&mut opts, o, &mut warnings)?;
    }
    read_files(
        args.config_file.as_deref(),
        &hop.host,
        env,
        &mut opts,
        &mut warnings,
    )?;
    // Forwards and jumps of a hop's own configuration are not used: the chain is flat.
    opts.local_forwards.clear();
    opts.remote_forwards.clear();
    opts.dynamic_forwards.clear();
    opts.proxy_jump = None;
    let mut settings = ClientSettings::resolve(&hop.host, &opts, env)?;
    report(&warnings, &mut settings);
    Ok(settings)
}

/// BindInterface: the connection binds to an address of the interface (instead of any
/// BindAddress, as ssh); an error when the interface has none of the family wanted.
pub fn bind_interface(s: &mut ClientSettings) -> Result<(), CliError> {
    let Some(name) = &s.bind_interface else {
        return Ok(());
    };
    let addresses = super::interfaces::up_addresses();
    let ip = super::interfaces::bind_address(&addresses, name, s.address_family)
        .ok_or_else(|| CliError::Usage(format!("BindInterface {name}: no suitable address")))?;
    tracing::debug!("BindInterface {name}: binding to {ip}");
    s.bind_address = Some(ip);
    Ok(())
}

/// Reads the configuration files for `host`, twice when a `Match final` asks for it or
/// CanonicalizeHostname is on (the second pass sees the resolved, possibly canonicalized,
/// host name; values of the first pass win), as ssh.
fn read_files(
    config_file: Option<&str>,
    host: &str,
    env: &LocalEnv,
    opts: &mut SshOptions,
    warnings: &mut Vec<Warning>,
) -> Result<(), CliError> {
    let mut ctx = MatchContext {
        original_host: host.to_owned(),
        local_user: env.user.clone(),
        home: env.home.clone(),
        uid: env.uid,
        local_host: env.local_host.clone(),
        local_addresses: super::interfaces::up_addresses()
            .into_iter()
            .map(|(_, ip)| ip)
            .collect(),
        ..MatchContext::default()
    };
    let wants_final = read_pass(config_file, &ctx, env, opts, warnings)?;
    let mut resolved = opts
        .host_name
        .as_deref()
        .map_or_else(|| host.to_owned(), |h| expand_tokens(h, &[('h', host)]));
    let canonical = CanonicalSettings::of(opts);
    let direct = opts
        .proxy_command
        .as_deref()
        .is_none_or(|c| c.eq_ignore_ascii_case("none"))
        && opts
            .proxy_jump
            .as_deref()
            .is_none_or(|j| j.eq_ignore_ascii_case("none"));
    if let Some(name) = canonical.canonicalize(&resolved, direct, &mut resolves)? {
        resolved = name;
    }
    if wants_final || canonical.mode != Canonicalize::No {
        tracing::debug!("re-parsing configuration");
        opts.host_name = Some(resolved.replace('%', "%%"));
        ctx.final_pass = true;
        ctx.final_host = resolved;
        read_pass(config_file, &ctx, env, opts, warnings)?;
    }
    Ok(())
}

/// Whether a fully qualified name resolves (for CanonicalDomains).
fn resolves(name: &str) -> bool {
    use std::net::ToSocketAddrs;
    (name, 22)
        .to_socket_addrs()
        .is_ok_and(|mut a| a.next().is_some())
}

/// One pass over the files: `-F`'s, or the user's then the system's.
fn read_pass(
    config_file: Option<&str>,
    ctx: &MatchContext,
    env: &LocalEnv,
    opts: &mut SshOptions,
    warnings: &mut Vec<Warning>,
) -> Result<bool, CliError> {
    let user_dir = format!("{}/.ssh", env.home.trim_end_matches('/'));
    let files: Vec<(String, String)> = match config_file {
        Some(f) if f.eq_ignore_ascii_case("none") => Vec::new(),
        Some(f) => {
            let path = expand_tilde(f, &env.home);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                CliError::Usage(format!(
                    "Can't open user config file {path}: {}",
                    crate::sys::strerror(&e)
                ))
            })?;
            vec![(path, text)]
        }
        None => [format!("{user_dir}/config"), SYSTEM_CONFIG.to_owned()]
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
            .collect(),
    };
    let mut wants_final = false;
    for (name, text) in files {
        let base = if name == SYSTEM_CONFIG {
            "/etc/ssh"
        } else {
            &user_dir
        };
        let file = SourceFile { name, text };
        let mut include = |pattern: &str| include_files(pattern, base, &env.home);
        wants_final |= read_config_pass(opts, ctx, &file, &mut include, &mut match_exec, warnings)?;
    }
    Ok(wants_final)
}

/// `Match exec`: the command through the shell, stdin and stdout on /dev/null, as ssh.
fn match_exec(command: &str) -> bool {
    let shell = std::env::var("SHELL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/bin/sh".to_owned());
    tracing::debug!("Executing command: '{command}'");
    std::process::Command::new(shell)
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The files an `Include` argument names: `~` expanded, relative to `base`, globbed.
fn include_files(pattern: &str, base: &str, home: &str) -> Vec<SourceFile> {
    let expanded = expand_tilde(pattern, home);
    let absolute = if Path::new(&expanded).is_absolute() {
        expanded
    } else {
        format!("{}/{expanded}", base.trim_end_matches('/'))
    };
    fsglob::expand(&absolute)
        .into_iter()
        .filter_map(|p| match std::fs::read_to_string(&p) {
            Ok(text) => Some(SourceFile {
                name: p.display().to_string(),
                text,
            }),
            Err(e) => {
                tracing::debug!("Include {}: {}", p.display(), crate::sys::strerror(&e));
                None
            }
        })
        .collect()
}

/// Adds the ignored configuration lines to the notices shown once logging is set up:
/// unknown keywords always (as ssh), the rest with -v.
fn report(warnings: &[Warning], settings: &mut ClientSettings) {
    let notes = warnings.iter().map(|w| Notice {
        text: w.to_string(),
        verbose_only: w.kind != WarningKind::BadOption,
    });
    settings.notices.splice(0..0, notes);
}

/// Shows the notices of `settings` (call it once logging is set up).
pub fn show_notices(settings: &ClientSettings) {
    for n in &settings.notices {
        if n.verbose_only {
            tracing::debug!("{}", n.text);
        } else {
            tracing::warn!("{}", n.text);
        }
    }
}
