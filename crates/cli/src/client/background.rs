//! `-f`: the program runs again as a child (same process group, so that passphrase prompts
//! on the terminal still work); the parent waits until
//! the child reports that authentication is done and every forward is set up (by creating a
//! file named in the environment), then exits 0, leaving the child in the background.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Set in the child's environment: the file to create once it is ready.
pub const READY_ENV: &str = "BURROW_BACKGROUND_READY";

/// True in the re-executed child.
pub fn is_child() -> bool {
    std::env::var_os(READY_ENV).is_some()
}

/// In the child: tells the parent that it may exit.
pub fn report_ready() {
    if let Some(path) = std::env::var_os(READY_ENV) {
        if let Err(e) = std::fs::write(&path, b"ready\n") {
            tracing::warn!("cannot tell the parent that the forwards are up: {e}");
        }
    }
}

/// In the parent: starts the child and waits for it to be ready (exit 0) or to fail (its
/// exit status).
pub fn spawn_and_wait(argv: &[String]) -> i32 {
    let ready: PathBuf = std::env::temp_dir().join(format!(
        "burrow-ready-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    ));
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("burrow: -f: cannot find the program to run in the background");
        return super::EXIT_FAILURE;
    };
    let mut child = match Command::new(exe)
        .args(argv.iter().skip(1))
        .env(READY_ENV, &ready)
        .stdin(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("burrow: -f: {e}");
            return super::EXIT_FAILURE;
        }
    };
    tracing::debug!("going to the background as pid {}", child.id());
    loop {
        if ready.exists() {
            if let Err(e) = std::fs::remove_file(&ready) {
                tracing::debug!("removing {}: {e}", ready.display());
            }
            return 0;
        }
        match child.try_wait() {
            Ok(Some(status)) => return status.code().unwrap_or(super::EXIT_FAILURE),
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                eprintln!("burrow: -f: {e}");
                return super::EXIT_FAILURE;
            }
        }
    }
}
