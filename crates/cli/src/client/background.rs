//! `-f`: the program runs again as a child (same process group, so that passphrase prompts
//! on the terminal still work); the parent waits until the child reports that authentication
//! is done and every forward is set up, then exits 0, leaving the child in the background.
//!
//! The report travels over a socket pair, no file: the child's stdin is one end of it (`-f`
//! implies `-n`, so the child never reads stdin) and the child writes one byte to it.

use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Set in the child's environment: its stdin is the socket to report readiness on.
pub const READY_ENV: &str = "BURROW_BACKGROUND_READY";

/// The byte the child writes once it is ready.
const READY: u8 = b'R';

/// True in the re-executed child.
pub fn is_child() -> bool {
    std::env::var_os(READY_ENV).is_some()
}

/// In the child: tells the parent that it may exit.
pub fn report_ready() {
    if !is_child() {
        return;
    }
    let sent = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map(UnixStream::from)
        .and_then(|mut s| s.write_all(&[READY]));
    if let Err(e) = sent {
        tracing::warn!("cannot tell the parent that the forwards are up: {e}");
    }
}

/// In the parent: starts the child and waits for it to be ready (exit 0) or to fail (its
/// exit status).
pub fn spawn_and_wait(argv: &[String]) -> i32 {
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("burrow: -f: cannot find the program to run in the background");
        return super::EXIT_FAILURE;
    };
    let (mut ours, theirs) = match UnixStream::pair() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("burrow: -f: {e}");
            return super::EXIT_FAILURE;
        }
    };
    let mut child = match Command::new(exe)
        .args(argv.iter().skip(1))
        .env(READY_ENV, "stdin")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("burrow: -f: {e}");
            return super::EXIT_FAILURE;
        }
    };
    tracing::debug!("going to the background as pid {}", child.id());
    if let Err(e) = ours.set_read_timeout(Some(Duration::from_millis(50))) {
        eprintln!("burrow: -f: {e}");
        return super::EXIT_FAILURE;
    }
    let mut byte = [0u8; 1];
    loop {
        match ours.read(&mut byte) {
            Ok(1) if byte == [READY] => return 0,
            // The child closed its end without being ready: its exit status tells why.
            Ok(_) => {
                return child
                    .wait()
                    .ok()
                    .and_then(|s| s.code())
                    .unwrap_or(super::EXIT_FAILURE);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                eprintln!("burrow: -f: {e}");
                return super::EXIT_FAILURE;
            }
        }
        match child.try_wait() {
            Ok(Some(status)) => return status.code().unwrap_or(super::EXIT_FAILURE),
            Ok(None) => {}
            Err(e) => {
                eprintln!("burrow: -f: {e}");
                return super::EXIT_FAILURE;
            }
        }
    }
}
