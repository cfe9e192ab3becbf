//! The sandbox of a per-connection protocol process: an empty root-owned root directory,
//! an unprivileged helper account with no supplementary groups, no new privileges, and
//! resource limits that leave it only the descriptors it has and may receive.

use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::Path;

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::unistd::{Gid, Uid, chdir, chroot, getresgid, getresuid, setgroups, setresgid, setresuid};

use crate::sys::{PasswdEntry, lookup_user};

/// The empty directory the protocol process is locked in (created root-owned, 0755).
pub const EMPTY_DIR: &str = "/run/burrowd/empty";

fn io(what: &str, e: nix::Error) -> io::Error {
    io::Error::other(format!("{what}: {}", e.desc()))
}

/// The account the protocol process runs as: `burrowd` if it exists, else `nobody`.
pub fn helper_account() -> io::Result<PasswdEntry> {
    let account = lookup_user("burrowd")
        .or_else(|| lookup_user("nobody"))
        .ok_or_else(|| io::Error::other("no \"burrowd\" or \"nobody\" account for the sandbox"))?;
    if account.uid == 0 || account.gid == 0 {
        return Err(io::Error::other(format!(
            "sandbox account {} has uid {} gid {}; it must not be root",
            account.name, account.uid, account.gid
        )));
    }
    Ok(account)
}

/// Creates `dir` (and its parent) if missing, then checks that both are owned by root,
/// writable only by root, and that `dir` is empty.
pub fn empty_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)?;
    for d in [dir, dir.parent().unwrap_or(dir)] {
        let m = std::fs::symlink_metadata(d)?;
        if !m.is_dir() || m.uid() != 0 || m.mode() & 0o022 != 0 {
            return Err(io::Error::other(format!(
                "{} must be a directory owned by root and writable only by root",
                d.display()
            )));
        }
    }
    if std::fs::read_dir(dir)?.next().is_some() {
        return Err(io::Error::other(format!("{} is not empty", dir.display())));
    }
    Ok(())
}

/// Enters the sandbox for good: chroot into [`EMPTY_DIR`], no groups, the helper's gid and
/// uid (real, effective, saved), then limits: no new files written (RLIMIT_FSIZE 0, unless
/// stderr is a log file), no processes or threads (RLIMIT_NPROC 0), no core, and a hard
/// open-file limit at the current soft one. The process dies with its monitor.
pub fn enter(helper: &PasswdEntry) -> io::Result<()> {
    let dir = Path::new(EMPTY_DIR);
    empty_dir(dir)?;
    let parent = nix::unistd::getppid();
    chroot(dir).map_err(|e| io("chroot", e))?;
    chdir("/").map_err(|e| io("chdir", e))?;
    let (uid, gid) = (Uid::from_raw(helper.uid), Gid::from_raw(helper.gid));
    setgroups(&[]).map_err(|e| io("setgroups", e))?;
    setresgid(gid, gid, gid).map_err(|e| io("setresgid", e))?;
    setresuid(uid, uid, uid).map_err(|e| io("setresuid", e))?;
    let r = getresuid().map_err(|e| io("getresuid", e))?;
    let g = getresgid().map_err(|e| io("getresgid", e))?;
    if [r.real, r.effective, r.saved] != [uid; 3] || [g.real, g.effective, g.saved] != [gid; 3] {
        return Err(io::Error::other("sandbox credentials not taken"));
    }
    if nix::unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(io::Error::other("setuid(0) succeeded in the sandbox"));
    }
    nix::sys::prctl::set_no_new_privs().map_err(|e| io("PR_SET_NO_NEW_PRIVS", e))?;
    nix::sys::prctl::set_dumpable(false).map_err(|e| io("PR_SET_DUMPABLE", e))?;
    // Set after the uid change, which clears it.
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .map_err(|e| io("PR_SET_PDEATHSIG", e))?;
    if nix::unistd::getppid() != parent {
        return Err(io::Error::other("the monitor is gone"));
    }
    let (soft, _) = getrlimit(Resource::RLIMIT_NOFILE).map_err(|e| io("getrlimit", e))?;
    setrlimit(Resource::RLIMIT_NOFILE, soft, soft).map_err(|e| io("RLIMIT_NOFILE", e))?;
    setrlimit(Resource::RLIMIT_NPROC, 0, 0).map_err(|e| io("RLIMIT_NPROC", e))?;
    setrlimit(Resource::RLIMIT_CORE, 0, 0).map_err(|e| io("RLIMIT_CORE", e))?;
    if !stderr_is_a_file() {
        setrlimit(Resource::RLIMIT_FSIZE, 0, 0).map_err(|e| io("RLIMIT_FSIZE", e))?;
    }
    Ok(())
}

/// Logs appended to a regular file would raise SIGXFSZ under RLIMIT_FSIZE 0.
fn stderr_is_a_file() -> bool {
    std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_root_directory_must_be_empty_and_root_only() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let base = std::env::temp_dir().join(format!("burrowd-sbx-{}", std::process::id()));
        let dir = base.join("empty");
        empty_dir(&dir).unwrap();
        empty_dir(&dir).unwrap();
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.join("x"), "").unwrap();
        assert!(
            empty_dir(&dir)
                .unwrap_err()
                .to_string()
                .contains("not empty")
        );
        std::fs::remove_file(dir.join("x")).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(
            empty_dir(&dir)
                .unwrap_err()
                .to_string()
                .contains("only by root")
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}
