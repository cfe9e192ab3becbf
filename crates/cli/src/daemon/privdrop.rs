//! Credential changes in a per-connection burrowd process: reading a user's files with the
//! user's rights, becoming the user for good after authentication, and the process limits.
//!
//! nix's calls go through the C library, whose `setuid` family changes every thread of the
//! process (glibc's `SIGSETXID` broadcast); the raw system calls change only the calling
//! thread, which would leave tokio's other threads as root.

use std::ffi::CString;

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::unistd::{
    Gid, Uid, getegid, geteuid, getgrouplist, getgroups, getresgid, getresuid, initgroups, setegid,
    seteuid, setgid, setgroups, setresgid, setresuid, setuid,
};

use crate::sys::PasswdEntry;

fn io(what: &str, e: nix::Error) -> std::io::Error {
    std::io::Error::other(format!("{what}: {}", e.desc()))
}

/// The name as a C string (a NUL in a passwd name is refused).
fn c_name(account: &PasswdEntry) -> std::io::Result<CString> {
    CString::new(account.name.as_bytes())
        .map_err(|_| std::io::Error::other(format!("bad user name {:?}", account.name)))
}

/// While alive, the effective uid, gid and groups are the account's, as sshd's
/// `temporarily_use_uid` does to read authorized_keys; dropping it returns to root. Does
/// nothing unless the process runs as root and the account is not root.
pub struct AsUser {
    saved: Option<(Gid, Vec<Gid>)>,
}

impl AsUser {
    /// Takes `account`'s effective identity.
    pub fn enter(account: &PasswdEntry) -> std::io::Result<Self> {
        if !geteuid().is_root() || account.uid == 0 {
            return Ok(Self { saved: None });
        }
        let gid = Gid::from_raw(account.gid);
        let groups = getgrouplist(&c_name(account)?, gid).map_err(|e| io("getgrouplist", e))?;
        let saved = (getegid(), getgroups().map_err(|e| io("getgroups", e))?);
        setgroups(&groups).map_err(|e| io("setgroups", e))?;
        let guard = Self { saved: Some(saved) };
        setegid(gid).map_err(|e| io("setegid", e))?;
        seteuid(Uid::from_raw(account.uid)).map_err(|e| io("seteuid", e))?;
        Ok(guard)
    }
}

impl Drop for AsUser {
    fn drop(&mut self) {
        let Some((egid, groups)) = self.saved.take() else {
            return;
        };
        let restored = seteuid(Uid::from_raw(0))
            .and_then(|()| setegid(egid))
            .and_then(|()| setgroups(&groups));
        if let Err(e) = restored {
            // Going on with a half-switched identity is worse than ending the connection.
            tracing::error!(
                "cannot return to root after reading user files: {}",
                e.desc()
            );
            std::process::exit(super::EXIT_FAILURE);
        }
    }
}

/// Permanently becomes `account`: its supplementary groups, gid and uid (real, effective
/// and saved), then checks that root cannot be regained. Ends with no capabilities, since
/// the kernel clears them when all uids leave 0.
pub fn become_user(account: &PasswdEntry) -> std::io::Result<()> {
    let (uid, gid) = (Uid::from_raw(account.uid), Gid::from_raw(account.gid));
    if geteuid().is_root() {
        initgroups(&c_name(account)?, gid).map_err(|e| io("initgroups", e))?;
        setresgid(gid, gid, gid).map_err(|e| io("setresgid", e))?;
        setresuid(uid, uid, uid).map_err(|e| io("setresuid", e))?;
    }
    let r = getresuid().map_err(|e| io("getresuid", e))?;
    let g = getresgid().map_err(|e| io("getresgid", e))?;
    if [r.real, r.effective, r.saved] != [uid; 3] || [g.real, g.effective, g.saved] != [gid; 3] {
        return Err(std::io::Error::other(format!(
            "credentials are uid {}/{}/{} gid {}/{}/{}, not {uid}/{gid}",
            r.real, r.effective, r.saved, g.real, g.effective, g.saved
        )));
    }
    if account.uid != 0 && (setuid(Uid::from_raw(0)).is_ok() || seteuid(Uid::from_raw(0)).is_ok()) {
        return Err(std::io::Error::other(
            "setuid(0) succeeded after dropping root",
        ));
    }
    if account.gid != 0 && setgid(Gid::from_raw(0)).is_ok() {
        return Err(std::io::Error::other(
            "setgid(0) succeeded after dropping root",
        ));
    }
    // The kernel resets "dumpable" on a uid change; keep the user from ptracing the
    // process that holds the host key.
    nix::sys::prctl::set_dumpable(false).map_err(|e| io("PR_SET_DUMPABLE", e))?;
    Ok(())
}

/// Hardening of a per-connection process before it reads a byte from the network: no new
/// privileges through exec, no core dumps, not dumpable (ptrace) while it holds the host key.
pub fn harden_session_process() -> std::io::Result<()> {
    nix::sys::prctl::set_no_new_privs().map_err(|e| io("PR_SET_NO_NEW_PRIVS", e))?;
    nix::sys::prctl::set_dumpable(false).map_err(|e| io("PR_SET_DUMPABLE", e))?;
    setrlimit(Resource::RLIMIT_CORE, 0, 0).map_err(|e| io("RLIMIT_CORE", e))?;
    Ok(())
}

/// Raises the open-file soft limit to the hard limit; returns the new soft limit.
pub fn raise_fd_limit() -> std::io::Result<u64> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(|e| io("getrlimit", e))?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).map_err(|e| io("setrlimit", e))?;
    }
    Ok(hard)
}

/// True when the process runs as root (and so serves each connection in its own process).
pub fn is_root() -> bool {
    geteuid().is_root()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_soft_limit_reaches_the_hard_limit() {
        let hard = raise_fd_limit().unwrap();
        assert_eq!(getrlimit(Resource::RLIMIT_NOFILE).unwrap().0, hard);
    }
}
