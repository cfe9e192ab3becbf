//! CPU time and resident memory of processes, read from /proc.

/// CPU time (user + system) of every live thread of `pid`, in nanoseconds, from
/// `/proc/<pid>/task/*/schedstat` (its first field is time spent on a CPU, in ns).
pub fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| {
            s.split_whitespace()
                .next()
                .and_then(|f| f.parse::<u64>().ok())
        })
        .sum()
}

/// Total CPU of several processes.
pub fn cpu_ns_all(pids: &[u32]) -> u64 {
    pids.iter().map(|&p| cpu_ns(p)).sum()
}

/// The parent pid and command name of `pid`.
fn stat(pid: u32) -> Option<(u32, String)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s[open + 1..close].to_owned();
    let ppid = s[close + 2..].split_whitespace().nth(1)?.parse().ok()?;
    Some((ppid, comm))
}

/// Every live descendant of `root` (from the test kit).
pub use burrow_testkit::proc::descendants;

/// The per-connection processes of the sshd this process started: descendants of ours named
/// `sshd` whose parent is itself an `sshd` (the listener's children and their children).
pub fn sshd_connection_pids() -> Vec<u32> {
    descendants(std::process::id())
        .into_iter()
        .filter(|&p| {
            stat(p).is_some_and(|(pp, comm)| {
                comm == "sshd" && stat(pp).is_some_and(|(_, pcomm)| pcomm == "sshd")
            })
        })
        .collect()
}

/// VmRSS of a process in KiB (from the test kit).
pub use burrow_testkit::proc::rss_kib;
