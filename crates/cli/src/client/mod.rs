//! The `burrow` program: arguments, configuration, connection, forwards, `-W`, a remote
//! command, `-f`, signals, and ssh's messages and exit statuses.

mod background;
mod backoff;
mod connect;
pub mod control;
mod dump;
mod events;
mod hostkey;
mod interfaces;
mod options;
mod prompt;
mod proxy;
mod reconnect;
mod run;

pub use connect::{Failure, client_config, connect_chain, failure};
pub use control::MuxCommand;
pub use hostkey::CliHostKeyCheck;

use crate::args::ClientArgs;
use crate::config::client::LocalEnv;
use crate::config::value::LogLevel;

/// ssh's exit status for its own failures.
pub const EXIT_FAILURE: i32 = 255;

/// Runs `burrow` with `argv` and returns the exit status.
pub fn main(argv: Vec<String>) -> i32 {
    let args = match ClientArgs::parse_from_argv(&argv) {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_FAILURE } else { 0 };
            if let Err(io) = e.print() {
                eprintln!("burrow: {io}");
            }
            return code;
        }
    };
    if let Err(e) = args.validate() {
        eprintln!("burrow: {e}");
        return EXIT_FAILURE;
    }
    if args.version {
        eprintln!("burrow {} (SSH-2.0)", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    if let Some(q) = &args.query {
        return query(q);
    }
    if let Some(kind) = &args.generate {
        return generate(kind);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("burrow: cannot start the runtime: {e}");
            return EXIT_FAILURE;
        }
    };
    if args.demo {
        crate::logging::init(LogLevel::Error.raised_by_verbosity(args.verbose));
        let code = runtime.block_on(crate::demo::run());
        runtime.shutdown_background();
        return code;
    }
    let me = crate::sys::current_user();
    let env = LocalEnv {
        auth_sock: std::env::var("SSH_AUTH_SOCK").ok(),
        home: me.home,
        user: me.name,
        uid: me.uid,
        local_host: nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let settings = match options::destination_settings(&args, &env) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("burrow: {e}");
            return EXIT_FAILURE;
        }
    };
    let level = if args.quiet {
        LogLevel::Quiet
    } else {
        settings.log_level.raised_by_verbosity(args.verbose)
    };
    match &args.log_file {
        Some(path) => match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(f) => crate::logging::init_file(level, f),
            Err(e) => {
                eprintln!(
                    "burrow: couldn't open logfile {path}: {}",
                    crate::sys::strerror(&e)
                );
                return EXIT_FAILURE;
            }
        },
        None => crate::logging::init(level),
    }
    options::show_notices(&settings);
    if args.print_config {
        print!("{}", dump::dump(&settings));
        return 0;
    }
    if let Some(code) = use_master(&args, &settings, level, &runtime) {
        runtime.shutdown_background();
        return code;
    }
    // ControlPersist backgrounds a master without a command (with one, burrow stays in the
    // foreground: it shares no sessions to run the command through).
    let persist =
        control::persists(&settings) && (args.command.is_empty() || settings.session_none);
    if (settings.fork_after_authentication || persist) && !background::is_child() {
        let code = background::spawn_and_wait(&argv);
        return match control::stdio_after_persist(&args, &settings) {
            Some((path, target)) if code == 0 => {
                let code = runtime.block_on(control::stdio(&path, &target));
                runtime.shutdown_background();
                code.unwrap_or_else(|| {
                    eprintln!("Failed to connect to new control master");
                    EXIT_FAILURE
                })
            }
            _ => code,
        };
    }
    let mut settings = settings;
    let mut jumps = Vec::new();
    for hop in &settings.jumps {
        match options::jump_settings(&args, hop, &env) {
            Ok(mut s) => {
                // The same lines were reported for the destination already.
                s.notices.retain(|n| !settings.notices.contains(n));
                options::show_notices(&s);
                jumps.push(s);
            }
            Err(e) => {
                eprintln!("burrow: {e}");
                return EXIT_FAILURE;
            }
        }
    }
    for s in jumps.iter_mut().chain(std::iter::once(&mut settings)) {
        if let Err(e) = options::bind_interface(s) {
            eprintln!("burrow: {e}");
            return EXIT_FAILURE;
        }
    }
    let code = runtime.block_on(run::run(&args, settings, jumps, level));
    // Do not wait for the blocking thread that may still sit in a read of stdin.
    runtime.shutdown_background();
    code
}

/// `-O` commands, and `-W` or forwards handed to a master already at ControlPath (as ssh
/// with ControlMaster no or auto). `None`: no master is used; connect as usual.
fn use_master(
    args: &ClientArgs,
    settings: &crate::config::client::ClientSettings,
    level: LogLevel,
    runtime: &tokio::runtime::Runtime,
) -> Option<i32> {
    if let Some(cmd) = args.control_command.as_deref() {
        let cmd = MuxCommand::parse(cmd)?;
        let Some(path) = &settings.control_path else {
            eprintln!("No ControlPath specified for \"-O\" command");
            return Some(EXIT_FAILURE);
        };
        let quiet = level == LogLevel::Quiet;
        let path = std::path::Path::new(path);
        return Some(runtime.block_on(control::command(path, cmd, &settings.forwards, quiet)));
    }
    let path = std::path::Path::new(settings.control_path.as_deref()?);
    if !settings.control_master.tries_existing() {
        return None;
    }
    if let Some(target) = &args.stdio {
        let target = burrow_forward::parse_stdio(target).ok()?;
        return runtime.block_on(control::stdio(path, &target));
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) if args.command.is_empty() || settings.session_none => {
            // burrow shares no sessions: the master takes the forwards and we are done.
            let (cmd, quiet) = (MuxCommand::Forward, level == LogLevel::Quiet);
            Some(runtime.block_on(control::command(path, cmd, &settings.forwards, quiet)))
        }
        Ok(_) => None,
        Err(e)
            if e.kind() == std::io::ErrorKind::ConnectionRefused
                && settings.control_master.is_master() =>
        {
            tracing::debug!("Stale control socket {}, unlinking", path.display());
            if let Err(e) = std::fs::remove_file(path) {
                tracing::debug!("unlink {}: {e}", path.display());
            }
            None
        }
        Err(e) => {
            tracing::debug!("Control socket {}: {e}", path.display());
            None
        }
    }
}

/// `--generate KIND`: a man page or completion script on stdout.
fn generate(kind: &str) -> i32 {
    use std::io::Write;
    let Some(text) = crate::docs::generate(kind) else {
        eprintln!(
            "burrow: --generate: unknown kind \"{kind}\" (one of {})",
            crate::docs::KINDS
        );
        return EXIT_FAILURE;
    };
    match std::io::stdout().write_all(&text) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("burrow: --generate: {}", crate::sys::strerror(&e));
            EXIT_FAILURE
        }
    }
}

/// What `-Q` answers (`-Q help`), as ssh names them.
const QUERIES: &[&str] = &[
    "cipher",
    "cipher-auth",
    "compression",
    "kex",
    "key",
    "key-cert",
    "key-plain",
    "key-sig",
    "mac",
    "protocol-version",
    "sig",
];

/// The key types burrow implements, once each, in SigAlg order.
fn key_types() -> Vec<&'static str> {
    let mut types: Vec<&str> = Vec::new();
    for alg in burrow_keys::SigAlg::ALL {
        if !types.contains(&alg.key_type()) {
            types.push(alg.key_type());
        }
    }
    types
}

/// `-Q`: lists what burrow implements, one name per line, as `ssh -Q`.
fn query(what: &str) -> i32 {
    use crate::config::algorithms::Family;
    let names: Vec<&str> = match what.to_ascii_lowercase().as_str() {
        "cipher" | "ciphers" => Family::Ciphers.supported(),
        "cipher-auth" => Family::Ciphers
            .supported()
            .into_iter()
            .filter(|n| n.contains("gcm") || n.contains("poly1305"))
            .collect(),
        "mac" | "macs" => Family::Macs.supported(),
        "kex" | "kexalgorithms" => Family::Kex.supported(),
        "key" | "key-plain" => key_types(),
        "sig" | "hostkeyalgorithms" | "pubkeyacceptedalgorithms" => {
            burrow_keys::SigAlg::ALL.iter().map(|a| a.name()).collect()
        }
        // Key types, then the signature names that are not also key type names.
        "key-sig" => {
            let mut all = key_types();
            for alg in burrow_keys::SigAlg::ALL {
                if !all.contains(&alg.name()) {
                    all.push(alg.name());
                }
            }
            all
        }
        "key-cert" => burrow_keys::SigAlg::ALL
            .iter()
            .filter(|a| a.name() == a.key_type())
            .map(|a| a.cert_name())
            .collect(),
        "compression" => vec!["none"],
        "protocol-version" => vec!["2"],
        "help" => QUERIES.to_vec(),
        _ => {
            eprintln!("burrow: Unsupported query \"{what}\"");
            return EXIT_FAILURE;
        }
    };
    for n in names {
        println!("{n}");
    }
    0
}
