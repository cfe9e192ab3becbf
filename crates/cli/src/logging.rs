//! Log output on stderr: plain lines as ssh and sshd write them by default, with the level
//! and source added once debugging is on.

use tracing_subscriber::EnvFilter;

use crate::config::value::LogLevel;

/// Installs the global subscriber for `level`. Messages of the burrow crates follow the
/// level; other crates only show errors unless debugging.
pub fn init(level: LogLevel) {
    let directive = level.tracing_directive();
    let filter = EnvFilter::new(directive);
    let debug = level >= LogLevel::Debug1;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_ansi(false);
    let result = if debug {
        builder.with_target(true).try_init()
    } else {
        builder.with_target(false).with_level(false).try_init()
    };
    if let Err(e) = result {
        eprintln!("logging already set up: {e}");
    }
}
