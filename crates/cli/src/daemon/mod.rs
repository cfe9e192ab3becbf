//! The `burrowd` program: a forwarding-only SSH server with sshd's flags, configuration
//! subset, log lines and signals (SIGTERM drains and exits 0, SIGHUP reloads); as root, one
//! process per connection (see `privsep`).

mod auth;
mod broker;
mod brokered;
mod cert_auth;
mod fdpass;
mod handler;
mod hostcert;
pub mod hostkey;
mod monitor;
mod privdrop;
mod privsep;
mod protocol;
mod sandbox;
mod session;
mod settings;

use std::path::PathBuf;
use std::time::Duration;

use burrow::{Server, ServerStop};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

pub use handler::{DaemonHandler, SESSION_REFUSED};

use crate::args::ServerArgs;
use crate::sys::PasswdEntry;

/// sshd's exit status for fatal errors.
pub const EXIT_FAILURE: i32 = 255;
/// How long live connections may drain after SIGTERM.
pub const DRAIN_GRACE: Duration = Duration::from_secs(10);

/// Runs `burrowd` with `argv` and returns the exit status.
pub fn main(argv: Vec<String>) -> i32 {
    let args = match ServerArgs::parse_from_argv(&argv) {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            if let Err(io) = e.print() {
                eprintln!("burrowd: {io}");
            }
            return code;
        }
    };
    if let Some(path) = &args.generate_host_key {
        return match hostkey::generate(path.as_ref()) {
            Ok(key) => {
                println!(
                    "Generated ed25519 host key {path} ({}); public key in {}",
                    key.public_key().fingerprint(),
                    hostkey::pub_path(path.as_ref()).display()
                );
                0
            }
            Err(e) => {
                eprintln!("burrowd: {e}");
                1
            }
        };
    }
    if args.session {
        return session::run_session(&args);
    }
    if args.sandbox {
        return protocol::run_sandbox(&args);
    }
    let opts = match settings::read_options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_FAILURE;
        }
    };
    crate::logging::init(settings::log_level(&args, &opts));
    match privdrop::raise_fd_limit() {
        Ok(n) => tracing::debug!("open files limit {n}"),
        Err(e) => tracing::warn!("open files limit not raised: {e}"),
    }
    let me = crate::sys::current_user();
    let prepared = settings::listen_addresses(&args, &opts).and_then(|addrs| {
        let keys = settings::host_keys(&args, &opts, &me)?;
        let paths: Vec<PathBuf> = keys.iter().map(|(p, _)| p.clone()).collect();
        let mut config =
            settings::server_config(&opts, keys.into_iter().map(|(_, k)| k).collect())?;
        let certs = hostcert::load_all(&opts.host_certificates);
        if !certs.is_empty() {
            let keys = std::sync::Arc::new(burrow_transport::HostKeys(config.host_keys.clone()));
            config.host_key_signer = Some(hostcert::certify(keys, certs));
        }
        Ok((addrs, paths, config))
    });
    let (addrs, key_paths, config) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("burrowd: {e}");
            return EXIT_FAILURE;
        }
    };
    if args.test {
        return 0;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("burrowd: cannot start the runtime: {e}");
            return EXIT_FAILURE;
        }
    };
    for (path, key) in key_paths.iter().zip(config.host_keys.iter()) {
        let public = key.public_key();
        tracing::debug!(
            "host key {} ({} {})",
            path.display(),
            public.type_label(),
            public.fingerprint()
        );
    }
    let pid_file = opts
        .pid_file
        .clone()
        .filter(|p| !p.eq_ignore_ascii_case("none"));
    let code = runtime.block_on(async {
        let listeners = bind_all(&addrs).await;
        if listeners.is_empty() {
            eprintln!("burrowd: Cannot bind any address.");
            return EXIT_FAILURE;
        }
        write_pid_file(pid_file.as_deref());
        if privdrop::is_root() {
            // The listener keeps no host key: each connection's process loads its own.
            drop(config);
            let limits = settings::limits(&opts);
            let reload = || match settings::read_options(&args) {
                Ok(o) => {
                    tracing::info!(
                        "Received SIGHUP; configuration reloaded (each new connection's process reads the configuration; addresses need a restart)."
                    );
                    Some(settings::limits(&o))
                }
                Err(e) => {
                    tracing::error!("Received SIGHUP; configuration not reloaded: {e}");
                    None
                }
            };
            let rest = argv.get(1..).unwrap_or_default().to_vec();
            let metrics = match start_metrics(&opts).await {
                Ok(m) => m,
                Err(code) => return code,
            };
            privsep::listen(listeners, rest, limits, metrics, reload).await
        } else {
            if opts.per_source_max_startups.is_some() {
                tracing::warn!("PerSourceMaxStartups applies only when burrowd runs as root");
            }
            let mut handler = DaemonHandler::new(settings::current(&opts, &me));
            match start_metrics(&opts).await {
                Ok(Some(metrics)) => handler = handler.counted(metrics),
                Ok(None) => {}
                Err(code) => return code,
            }
            serve(&args, listeners, config, handler, &me).await
        }
    });
    runtime.shutdown_background();
    if let Some(p) = pid_file {
        if let Err(e) = std::fs::remove_file(&p) {
            tracing::debug!("{p}: {e}");
        }
    }
    code
}

/// MetricsListen: serves the page if configured; the exit status if it cannot listen.
async fn start_metrics(
    opts: &crate::config::sshd_config::SshdOptions,
) -> Result<Option<std::sync::Arc<crate::metrics::Metrics>>, i32> {
    let Some(addr) = opts.metrics_listen.flatten() else {
        return Ok(None);
    };
    let metrics = crate::metrics::Metrics::new();
    match crate::metrics::start(addr, metrics.clone()).await {
        Ok(bound) => {
            tracing::info!("Metrics at http://{bound}/metrics.");
            Ok(Some(metrics))
        }
        Err(e) => {
            let e = crate::sys::strerror(&e);
            eprintln!("burrowd: MetricsListen {addr}: cannot listen: {e}");
            Err(EXIT_FAILURE)
        }
    }
}

/// Binds each address, logging as sshd does; the ones that fail are reported and skipped.
async fn bind_all(addrs: &[(String, u16)]) -> Vec<TcpListener> {
    let mut listeners = Vec::new();
    for (host, port) in addrs {
        match TcpListener::bind((host.as_str(), *port)).await {
            Ok(l) => {
                let shown = l.local_addr().map_or(*port, |a| a.port());
                tracing::info!("Server listening on {host} port {shown}.");
                listeners.push(l);
            }
            Err(e) => {
                eprintln!(
                    "burrowd: Bind to port {port} on {host} failed: {}.",
                    crate::sys::strerror(&e)
                );
            }
        }
    }
    listeners
}

fn write_pid_file(pid_file: Option<&str>) {
    if let Some(p) = pid_file {
        if let Err(e) = std::fs::write(p, format!("{}\n", std::process::id())) {
            tracing::error!(
                "Couldn't create pid file \"{p}\": {}",
                crate::sys::strerror(&e)
            );
        }
    }
}

/// Waits for SIGTERM or SIGINT (returning its number), calling `reload` on each SIGHUP.
pub(crate) async fn wait_for_stop(reload: impl Fn()) -> i32 {
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        return std::future::pending().await;
    };
    loop {
        tokio::select! {
            _ = term.recv() => return 15,
            _ = int.recv() => return 2,
            _ = hup.recv() => reload(),
        }
    }
}

/// The one-process model (burrowd run by an ordinary user): every connection is a task.
async fn serve(
    args: &ServerArgs,
    listeners: Vec<TcpListener>,
    config: burrow::ServerConfig,
    handler: DaemonHandler,
    me: &PasswdEntry,
) -> i32 {
    let servers: Vec<_> = listeners
        .into_iter()
        .map(|l| Server::serve(l, config.clone(), handler.clone()))
        .collect();
    let stops: Vec<ServerStop> = servers.iter().map(Server::stopper).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for s in servers {
        tasks.spawn(s.run());
    }
    let mut code = 0;
    tokio::select! {
        sig = wait_for_stop(|| reload(args, &handler, me)) => {
            tracing::info!("Received signal {sig}; terminating.");
            for s in &stops {
                s.stop(DRAIN_GRACE);
            }
        }
        _ = tasks.join_next() => {
            tracing::error!("a listener stopped");
            code = EXIT_FAILURE;
            for s in &stops {
                s.stop(DRAIN_GRACE);
            }
        }
    }
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("listener: {e}"),
            Err(e) => tracing::error!("listener task: {e}"),
        }
    }
    code
}

/// SIGHUP: reads the configuration again; new logins and forwards follow it. Addresses,
/// host keys and algorithms stay as they were until a restart.
fn reload(args: &ServerArgs, handler: &DaemonHandler, me: &PasswdEntry) {
    match settings::read_options(args) {
        Ok(opts) => {
            handler.replace(settings::current(&opts, me));
            tracing::info!(
                "Received SIGHUP; configuration reloaded (logins and forwarding; addresses, host keys and algorithms need a restart)."
            );
        }
        Err(e) => tracing::error!("Received SIGHUP; configuration not reloaded: {e}"),
    }
}

/// The default host key path for the running user (for messages and docs).
pub fn default_host_key_path() -> PathBuf {
    hostkey::default_path(&crate::sys::current_user().home)
}
