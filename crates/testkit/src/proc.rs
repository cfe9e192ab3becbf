//! Child processes for tests: a log file for stderr, stop by PID on drop, waits with
//! deadlines, and the resident memory of a process tree from `/proc`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running child whose stderr goes to a log file; stopped (SIGTERM to its PID, then SIGKILL)
/// on drop.
pub struct Proc {
    /// The child.
    pub child: Child,
    /// Where its stderr goes.
    pub log_path: PathBuf,
}

impl Proc {
    /// Spawns `cmd` with stdin and stdout null (unless the caller set them) and stderr to
    /// `log_path`.
    pub fn spawn(mut cmd: Command, log_path: &Path) -> Proc {
        let log = std::fs::File::create(log_path).expect("create log file");
        let child = cmd
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        Proc {
            child,
            log_path: log_path.to_path_buf(),
        }
    }

    /// The child's stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the child has not exited.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `timeout` for the exit; `Some(code)` (`-1` for a signal) or `None`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Waits up to `timeout` for a log line containing `needle`; returns the line, or `None`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.log().lines().find(|l| l.contains(needle)) {
                return Some(l.to_owned());
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to `timeout` for a log line containing `needle` and returns it; panics with
    /// the log when none comes.
    pub fn expect_log(&self, needle: &str, timeout: Duration) -> String {
        self.wait_log(needle, timeout)
            .unwrap_or_else(|| panic!("no \"{needle}\" in the log:\n{}", self.log()))
    }

    /// Sends `signal` (a `kill` name such as `TERM` or `KILL`) to the child's PID.
    pub fn signal(&self, signal: &str) {
        signal_pid(self.pid(), signal);
    }

    /// Stops the child: SIGTERM, then SIGKILL after 3 s; reaps it.
    pub fn stop(&mut self) {
        if self.running() {
            self.signal("TERM");
            if self.wait_exit(Duration::from_secs(3)).is_none() {
                self.child.kill().unwrap_or_default();
            }
        }
        self.child.wait().map(drop).unwrap_or_default();
    }

    /// Resident memory (KiB) of the child and all its descendants.
    pub fn tree_rss_kib(&self) -> u64 {
        let mut pids = descendants(self.pid());
        pids.push(self.pid());
        pids.into_iter().map(rss_kib).sum()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts an SSH server on a free port: `command(port)` is its command line for that port,
/// its stderr goes to `log`. Another port is tried (up to 5) when no `SSH-2.0-` banner comes
/// within 10 s or the banner is not from this process (it exited: the port was taken
/// between the pick and its bind). Panics with the log when none comes up.
pub fn spawn_server(
    what: &str,
    log: &Path,
    mut command: impl FnMut(u16) -> Command,
) -> (Proc, u16) {
    for _attempt in 0..5 {
        let port = crate::free_port();
        let mut proc = Proc::spawn(command(port), log);
        if crate::targets::wait_banner(port, Duration::from_secs(10)) && proc.running() {
            return (proc, port);
        }
        proc.stop();
    }
    panic!(
        "{what} did not start; log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// Sends `signal` to one PID with `kill`; a process already gone is not an error.
pub fn signal_pid(pid: u32, signal: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("kill -{signal} {pid}: process already gone");
    }
}

/// The parent PID of `pid` from `/proc/<pid>/stat`.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Every live descendant of `root` (children, grandchildren, ...).
pub fn descendants(root: u32) -> Vec<u32> {
    let all: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|pid| Some((pid, parent_of(pid)?)))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(pid, ppid) in &all {
            if ppid == p && !out.contains(&pid) {
                out.push(pid);
                frontier.push(pid);
            }
        }
    }
    out
}

/// `VmRSS` of one process in KiB (0 when it is gone).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `cmd` to completion within `timeout`, killing it when it hangs; stdout and stderr
/// are captured.
pub fn run(mut cmd: Command, timeout: Duration) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let deadline = Instant::now() + timeout;
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if matches!(child.try_wait(), Ok(None)) {
        child.kill().unwrap_or_default();
        let out = child.wait_with_output().expect("reap hung child");
        panic!(
            "{cmd:?} hung for {timeout:?}; stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    child.wait_with_output().expect("collect child output")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_rss_counts_children_and_stop_reaps() {
        let dir = crate::TempDir::new("kit-proc");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30 & sleep 30; wait"]);
        let mut p = Proc::spawn(cmd, &dir.join("log"));
        let deadline = Instant::now() + Duration::from_secs(5);
        while descendants(p.pid()).len() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(descendants(p.pid()).len(), 2);
        assert!(p.tree_rss_kib() > rss_kib(p.pid()));
        for c in descendants(p.pid()) {
            signal_pid(c, "KILL");
        }
        p.stop();
        assert!(!p.running());
    }
}
