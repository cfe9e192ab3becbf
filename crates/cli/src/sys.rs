//! The local user (name, ids, home) from the environment and /etc/passwd, and an account's
//! lock and expiry from /etc/shadow, without libc calls.

use std::os::unix::fs::MetadataExt;

/// One /etc/passwd entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    /// The login name.
    pub name: String,
    /// The numeric user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
    /// The home directory.
    pub home: String,
}

/// Parses /etc/passwd text: `name:pw:uid:gid:gecos:home:shell` lines.
pub fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split(':');
            let name = f.next()?;
            let uid = f.nth(1)?.parse().ok()?;
            let gid = f.next()?.parse().ok()?;
            let home = f.nth(1)?;
            Some(PasswdEntry {
                name: name.to_owned(),
                uid,
                gid,
                home: home.to_owned(),
            })
        })
        .collect()
}

/// The user running this process: uid from /proc/self, name and home from /etc/passwd, with
/// `$USER`/`$HOME` as fallbacks (and winners for HOME, as ssh uses the passwd entry but
/// tests set HOME).
pub fn current_user() -> PasswdEntry {
    let (uid, gid) =
        std::fs::metadata("/proc/self").map_or((u32::MAX, u32::MAX), |m| (m.uid(), m.gid()));
    let from_passwd = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|t| parse_passwd(&t).into_iter().find(|e| e.uid == uid));
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let name = from_passwd
        .as_ref()
        .map(|e| e.name.clone())
        .or_else(|| env("USER"))
        .or_else(|| env("LOGNAME"))
        .unwrap_or_else(|| uid.to_string());
    let home = env("HOME")
        .or_else(|| from_passwd.as_ref().map(|e| e.home.clone()))
        .unwrap_or_else(|| "/".to_owned());
    PasswdEntry {
        name,
        uid,
        gid,
        home,
    }
}

/// Looks a user up by name in /etc/passwd.
pub fn lookup_user(name: &str) -> Option<PasswdEntry> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    parse_passwd(&text).into_iter().find(|e| e.name == name)
}

/// Why an account may not log in, from its /etc/shadow line, as sshd decides without PAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountRefusal {
    /// The password field starts with `!` (`passwd -l`, `usermod -L`, useradd's default).
    Locked,
    /// The expiry day (field 8, days since 1970-01-01) is today or past.
    Expired,
}

/// Checks `name`'s line of shadow(5) text on day `today` (days since 1970-01-01). A `*`
/// password ("no password, keys only") is not a lock, as in sshd on Linux; an empty or
/// `-1` expiry never expires, `0` has expired (sshd: `today >= sp_expire`).
pub fn shadow_refusal(shadow: &str, name: &str, today: i64) -> Option<AccountRefusal> {
    let line = shadow.lines().find(|l| l.split(':').next() == Some(name))?;
    let mut f = line.split(':');
    let password = f.nth(1).unwrap_or("");
    if password.starts_with('!') {
        return Some(AccountRefusal::Locked);
    }
    let expire = f.nth(5).unwrap_or("");
    match expire.parse::<i64>() {
        Ok(day) if day != -1 && today >= day => Some(AccountRefusal::Expired),
        _ => None,
    }
}

/// `name`'s refusal from /etc/shadow today; `None` when the file cannot be read (burrowd
/// running as an ordinary user) or has no line for `name`.
pub fn account_refusal(name: &str) -> Option<AccountRefusal> {
    let text = std::fs::read_to_string("/etc/shadow").ok()?;
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let today = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    shadow_refusal(&text, name, today)
}

/// An io::Error's text without Rust's ` (os error N)` suffix, as C's strerror prints it.
pub fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text.get(..i).unwrap_or(&text).to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines_give_name_uid_home() {
        let t =
            "root:x:0:0:root:/root:/bin/bash\nbad line\nal:x:1000:1001:Al,,,:/home/al:/bin/sh\n";
        let e = parse_passwd(t);
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[1].name.as_str(), e[1].uid, e[1].gid, e[1].home.as_str()),
            ("al", 1000, 1001, "/home/al")
        );
    }

    #[test]
    fn shadow_lock_and_expiry_as_sshd_without_pam() {
        let t = "lk:!$6$x:19000:0:99999:7:::\nkeys:*:19000:0:99999:7:::\n\
                 old:*:19000:0:99999:7::20000:\nzero:$6$y:1:::::0:\nnever:*:1:::::-1:\n";
        assert_eq!(
            shadow_refusal(t, "lk", 20_500),
            Some(AccountRefusal::Locked)
        );
        assert_eq!(shadow_refusal(t, "keys", 20_500), None);
        assert_eq!(shadow_refusal(t, "old", 19_999), None);
        assert_eq!(
            shadow_refusal(t, "old", 20_000),
            Some(AccountRefusal::Expired)
        );
        assert_eq!(
            shadow_refusal(t, "zero", 20_500),
            Some(AccountRefusal::Expired)
        );
        assert_eq!(shadow_refusal(t, "never", 20_500), None);
        assert_eq!(shadow_refusal(t, "absent", 20_500), None);
    }

    #[test]
    fn strerror_drops_the_os_error_suffix() {
        let e = std::io::Error::from_raw_os_error(111);
        assert_eq!(strerror(&e), "Connection refused");
    }

    #[test]
    fn current_user_has_a_name_and_a_home() {
        let u = current_user();
        assert!(!u.name.is_empty() && !u.home.is_empty());
    }
}
