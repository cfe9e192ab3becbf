//! Algorithm preference lists written in OpenSSH `Ciphers`/`KexAlgorithms`/`MACs` syntax.

use burrow_keys::pattern::match_pattern_exact;

use crate::TransportError;

/// Builds a preference list from an OpenSSH-style specification (ssh_config(5) `Ciphers`):
/// a plain list replaces `default`; `+list` appends to it, `-list` removes from it and `^list`
/// puts the names first. Names may hold the wildcards `*` and `?`, matched against `supported`.
/// A name that matches nothing we support is an error (except after `-`), as is an empty result.
pub fn assemble<T: Copy + PartialEq>(
    option: &'static str,
    spec: &str,
    supported: &[T],
    default: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<Vec<T>, TransportError> {
    let spec = spec.trim();
    let (op, list) = match spec.chars().next() {
        Some(c @ ('+' | '-' | '^')) => (Some(c), spec.get(1..).unwrap_or_default()),
        _ => (None, spec),
    };
    let patterns: Vec<&str> = list.split(',').map(str::trim).collect();
    if patterns.iter().any(|p| p.is_empty()) {
        return Err(config_error(option, spec));
    }
    let matches = |alg: T| patterns.iter().any(|p| match_pattern_exact(p, name(alg)));
    let mut out: Vec<T> = Vec::new();
    match op {
        Some('-') => out.extend(default.iter().copied().filter(|&alg| !matches(alg))),
        _ => {
            let mut expanded = Vec::new();
            for pattern in &patterns {
                let before = expanded.len();
                for &alg in supported {
                    if match_pattern_exact(pattern, name(alg)) && !expanded.contains(&alg) {
                        expanded.push(alg);
                    }
                }
                let matched_any = expanded.len() > before
                    || supported
                        .iter()
                        .any(|&alg| match_pattern_exact(pattern, name(alg)));
                if !matched_any {
                    return Err(config_error(option, pattern));
                }
            }
            match op {
                Some('+') => out.extend(default.iter().copied().chain(expanded)),
                Some('^') => out.extend(expanded.into_iter().chain(default.iter().copied())),
                _ => out = expanded,
            }
        }
    }
    let mut deduped: Vec<T> = Vec::with_capacity(out.len());
    for alg in out {
        if !deduped.contains(&alg) {
            deduped.push(alg);
        }
    }
    if deduped.is_empty() {
        return Err(config_error(option, spec));
    }
    Ok(deduped)
}

fn config_error(option: &'static str, value: &str) -> TransportError {
    TransportError::InvalidConfig {
        option,
        value: value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [&str; 5] = [
        "chacha20-poly1305@openssh.com",
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "aes128-ctr",
        "aes256-ctr",
    ];
    const DEFAULT: [&str; 3] = [
        "chacha20-poly1305@openssh.com",
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
    ];

    fn run(spec: &str) -> Result<Vec<&'static str>, TransportError> {
        assemble("Ciphers", spec, &ALL, &DEFAULT, |s| s)
    }

    #[test]
    fn plain_list_replaces_default_in_given_order() {
        assert_eq!(
            run("aes256-ctr,aes128-gcm@openssh.com").unwrap(),
            ["aes256-ctr", "aes128-gcm@openssh.com"]
        );
    }

    #[test]
    fn plus_appends_to_default() {
        assert_eq!(
            run("+aes128-ctr").unwrap(),
            [DEFAULT[0], DEFAULT[1], DEFAULT[2], "aes128-ctr"]
        );
    }

    #[test]
    fn minus_removes_with_wildcards() {
        assert_eq!(run("-*gcm*").unwrap(), ["chacha20-poly1305@openssh.com"]);
        assert_eq!(run("-no-such-cipher").unwrap(), DEFAULT);
    }

    #[test]
    fn caret_prepends_and_deduplicates() {
        assert_eq!(
            run("^aes256-gcm@openssh.com,aes128-ctr").unwrap(),
            [
                "aes256-gcm@openssh.com",
                "aes128-ctr",
                "chacha20-poly1305@openssh.com",
                "aes128-gcm@openssh.com"
            ]
        );
    }

    #[test]
    fn wildcards_expand_in_supported_order() {
        assert_eq!(run("aes*-ctr").unwrap(), ["aes128-ctr", "aes256-ctr"]);
        assert_eq!(
            run("aes1??-*").unwrap(),
            ["aes128-gcm@openssh.com", "aes128-ctr"]
        );
    }

    #[test]
    fn unknown_name_empty_entry_and_empty_result_are_errors() {
        assert!(matches!(
            run("3des-cbc"),
            Err(TransportError::InvalidConfig { option: "Ciphers", value }) if value == "3des-cbc"
        ));
        assert!(run("aes128-ctr,,aes256-ctr").is_err());
        assert!(run("").is_err());
        assert!(run("-*").is_err());
    }

    #[test]
    fn wildcard_matcher_cases() {
        assert!(match_pattern_exact("*", ""));
        assert!(match_pattern_exact("a*b*c", "axxbyyc"));
        assert!(!match_pattern_exact("a*b*c", "axxbyy"));
        assert!(match_pattern_exact("?", "x"));
        assert!(!match_pattern_exact("?", ""));
        assert!(match_pattern_exact(
            "hmac-sha2-*-etm@openssh.com",
            "hmac-sha2-512-etm@openssh.com"
        ));
        assert!(!match_pattern_exact(
            "hmac-sha2-256",
            "hmac-sha2-256-etm@openssh.com"
        ));
    }
}
