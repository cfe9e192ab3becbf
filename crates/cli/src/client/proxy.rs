//! ProxyCommand: the command runs through the user's shell (`$SHELL -c "exec ..."`, as ssh
//! runs it) and its stdin and stdout carry the SSH connection, or with ProxyUseFdpass it
//! passes back a connected socket; its stderr stays ours.

use std::process::Stdio;

use tokio::io::Join;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The byte stream of a running proxy command.
pub type ProxyStream = Join<ChildStdout, ChildStdin>;

/// Starts `command` (its `%` tokens already expanded). The child is killed when dropped.
pub fn spawn(command: &str) -> std::io::Result<(ProxyStream, Child)> {
    tracing::debug!("Executing proxy command: exec {command}");
    let mut child = Command::new(shell())
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

/// ProxyUseFdpass: runs `command` with a unix socket as its stdin and stdout and waits for
/// it to pass back a connected socket (SCM_RIGHTS) and exit, as ssh does; that socket then
/// carries the SSH connection.
pub async fn spawn_fdpass(command: &str) -> std::io::Result<tokio::net::TcpStream> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, socketpair};
    let (ours, theirs) = socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    let theirs_out = theirs.try_clone()?;
    tracing::debug!("Executing proxy dialer command: exec {command}");
    let mut child = Command::new(shell())
        .arg("-c")
        .arg(format!("exec {command}"))
        .stdin(Stdio::from(theirs))
        .stdout(Stdio::from(theirs_out))
        .kill_on_drop(true)
        .spawn()?;
    let received = tokio::task::spawn_blocking(move || receive_fd(&ours))
        .await
        .map_err(std::io::Error::other)?;
    let status = child.wait().await?;
    tracing::debug!("proxy dialer ended: {status}");
    let fd = received?
        .ok_or_else(|| std::io::Error::other("proxy dialer did not pass back a connection"))?;
    let socket = std::net::TcpStream::from(fd);
    socket.set_nonblocking(true)?;
    tokio::net::TcpStream::from_std(socket)
}

/// Reads from `sock` until a descriptor arrives (`None` at end of stream without one).
fn receive_fd(sock: &std::os::fd::OwnedFd) -> std::io::Result<Option<std::os::fd::OwnedFd>> {
    // A proxy sends one byte with the descriptor; bound what else it may send before it.
    for _ in 0..64 {
        let mut byte = [0u8; 1];
        let got = crate::scm_rights::recv_with_fds(sock, &mut byte)?;
        if let Some(fd) = got.fds.into_iter().next() {
            return Ok(Some(fd));
        }
        if got.bytes == 0 {
            return Ok(None);
        }
    }
    Ok(None)
}

/// The user's shell, `/bin/sh` when `$SHELL` is unset, as ssh.
fn shell() -> String {
    std::env::var("SHELL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/bin/sh".to_owned())
}
