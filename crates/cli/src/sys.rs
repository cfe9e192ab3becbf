//! The local user (name, home) from the environment and /etc/passwd, without libc calls.

use std::os::unix::fs::MetadataExt;

/// One /etc/passwd entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    /// The login name.
    pub name: String,
    /// The numeric user id.
    pub uid: u32,
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
            let home = f.nth(2)?;
            Some(PasswdEntry {
                name: name.to_owned(),
                uid,
                home: home.to_owned(),
            })
        })
        .collect()
}

/// The user running this process: uid from /proc/self, name and home from /etc/passwd, with
/// `$USER`/`$HOME` as fallbacks (and winners for HOME, as ssh uses the passwd entry but
/// tests set HOME).
pub fn current_user() -> PasswdEntry {
    let uid = std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid());
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
    PasswdEntry { name, uid, home }
}

/// Looks a user up by name in /etc/passwd.
pub fn lookup_user(name: &str) -> Option<PasswdEntry> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    parse_passwd(&text).into_iter().find(|e| e.name == name)
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
            "root:x:0:0:root:/root:/bin/bash\nbad line\nal:x:1000:1000:Al,,,:/home/al:/bin/sh\n";
        let e = parse_passwd(t);
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[1].name.as_str(), e[1].uid, e[1].home.as_str()),
            ("al", 1000, "/home/al")
        );
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
