//! ProxyCommand: the command runs through the user's shell (`$SHELL -c "exec ..."`, as ssh
//! runs it) and its stdin and stdout carry the SSH connection; its stderr stays ours.

use std::process::Stdio;

use tokio::io::Join;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The byte stream of a running proxy command.
pub type ProxyStream = Join<ChildStdout, ChildStdin>;

/// Starts `command` (its `%` tokens already expanded). The child is killed when dropped.
pub fn spawn(command: &str) -> std::io::Result<(ProxyStream, Child)> {
    let shell = std::env::var("SHELL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/bin/sh".to_owned());
    tracing::debug!("Executing proxy command: exec {command}");
    let mut child = Command::new(shell)
        .arg("-c")
        .arg(format!("exec {command}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
        return Err(std::io::Error::other("proxy command without pipes"));
    };
    Ok((tokio::io::join(stdout, stdin), child))
}

/// A line about how the proxy command ended, if it has (or does within a moment).
pub async fn exit_report(child: &mut Child) -> Option<String> {
    let wait = tokio::time::timeout(std::time::Duration::from_millis(500), child.wait());
    let status = wait.await.ok()?.ok()?;
    Some(match status.code() {
        Some(code) => format!("ProxyCommand exited with status {code}"),
        None => "ProxyCommand was killed by a signal".to_owned(),
    })
}
