//! The `~` and `%` expansions of ssh_config(5) values, and the `%C` connection hash.

use core::fmt::Write as _;

use sha1::{Digest as _, Sha1};

/// `~` or `~/...` at the start becomes the home directory.
pub fn expand_tilde(p: &str, home: &str) -> String {
    if p == "~" {
        return home.to_owned();
    }
    match p.strip_prefix("~/") {
        Some(rest) => format!("{}/{rest}", home.trim_end_matches('/')),
        None => p.to_owned(),
    }
}

/// Expands `%x` tokens from `tokens` and `%%`; an unknown token is kept as written.
pub fn expand_tokens(s: &str, tokens: &[(char, &str)]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(t) => match tokens.iter().find(|(k, _)| *k == t) {
                Some((_, v)) => out.push_str(v),
                None => {
                    out.push('%');
                    out.push(t);
                }
            },
            None => out.push('%'),
        }
    }
    out
}

/// The `%C` token: the lowercase hex SHA-1 of `%l%h%p%r%j` (local host name, remote host
/// name, port, remote user, ProxyJump host) concatenated, as OpenSSH computes it. OpenSSH
/// before 9.6 has no `%j` and hashes `%l%h%p%r`, which is the same value without ProxyJump.
pub fn connection_hash(local_host: &str, host: &str, port: u16, user: &str, jump: &str) -> String {
    let mut sha = Sha1::new();
    for part in [local_host, host, &port.to_string(), user, jump] {
        sha.update(part.as_bytes());
    }
    sha.finalize()
        .iter()
        .fold(String::with_capacity(40), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_percent_and_unknown() {
        let t = [('h', "box"), ('p', "22")];
        assert_eq!(expand_tokens("%h:%p %% %x %", &t), "box:22 % %x %");
    }

    #[test]
    fn connection_hash_is_sha1_of_the_concatenation() {
        // printf 'laptopbox22me' | sha1sum
        assert_eq!(
            connection_hash("laptop", "box", 22, "me", ""),
            "423b0aba560d75275ca6e30dbf03cadc5a854f50"
        );
        // printf 'laptopbox22megw' | sha1sum
        assert_eq!(
            connection_hash("laptop", "box", 22, "me", "gw"),
            "eed576f9edde68a8549a590cfe1abda4e49321b7"
        );
    }
}
