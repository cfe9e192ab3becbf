//! OpenSSH's value syntaxes for the transport settings: algorithm lists (`Ciphers`, `MACs`,
//! `KexAlgorithms`), `RekeyLimit`, and sshd_config(5) TIME FORMATS.

use core::time::Duration;

use burrow_keyfiles::pattern::match_pattern_exact;
use burrow_keys::SigAlg;
use burrow_transport::KexAlg;
use burrow_transport::rekey::{DEFAULT_REKEY_BYTES, DEFAULT_REKEY_TIME, REKEY_PACKETS};
use burrow_transport::{CipherAlg, MacAlg};
use burrow_transport::{HostCerts, RekeyLimit, TransportConfig, TransportError};

/// Applies an OpenSSH `Ciphers` value (`list`, `+list`, `-list`, `^list`, wildcards).
pub fn set_ciphers(t: &mut TransportConfig, spec: &str) -> Result<(), TransportError> {
    t.ciphers = assemble(
        "Ciphers",
        spec,
        &CipherAlg::ALL,
        &t.ciphers,
        CipherAlg::name,
    )?;
    Ok(())
}

/// Applies an OpenSSH `MACs` value.
pub fn set_macs(t: &mut TransportConfig, spec: &str) -> Result<(), TransportError> {
    t.macs = assemble("MACs", spec, &MacAlg::ALL, &t.macs, MacAlg::name)?;
    Ok(())
}

/// Applies an OpenSSH `KexAlgorithms` value.
pub fn set_kex_algorithms(t: &mut TransportConfig, spec: &str) -> Result<(), TransportError> {
    t.kex_algorithms = assemble(
        "KexAlgorithms",
        spec,
        &KexAlg::ALL,
        &t.kex_algorithms,
        KexAlg::name,
    )?;
    Ok(())
}

/// Applies an OpenSSH `HostKeyAlgorithms` value. Certificate names
/// (`ssh-ed25519-cert-v01@openssh.com`) listed exactly in a plain list decide where the
/// certificate names go (first when the list starts with one, none when none is listed); the
/// list itself holds the plain algorithms (those of the certificates when only they are named).
pub fn set_host_key_algorithms(t: &mut TransportConfig, spec: &str) -> Result<(), TransportError> {
    let spec = spec.trim();
    let operator = spec.starts_with(['+', '-', '^']);
    let (certs, plain): (Vec<&str>, Vec<&str>) = spec
        .trim_start_matches(['+', '-', '^'])
        .split(',')
        .map(str::trim)
        .partition(|n| SigAlg::from_cert_name(n).is_some());
    if certs.is_empty() {
        t.host_key_algorithms = sig_algs("HostKeyAlgorithms", spec, &t.host_key_algorithms)?;
        if !operator {
            t.host_certs = HostCerts::Never;
        }
        return Ok(());
    }
    if !plain.is_empty() {
        let op = spec.get(..usize::from(operator)).unwrap_or_default();
        let rest = format!("{op}{}", plain.join(","));
        t.host_key_algorithms = sig_algs("HostKeyAlgorithms", &rest, &t.host_key_algorithms)?;
    } else if !operator {
        let from_certs = certs.iter().filter_map(|n| SigAlg::from_cert_name(n));
        t.host_key_algorithms = from_certs.collect();
    }
    if !operator {
        let cert_first = spec.split(',').next().map(str::trim) == certs.first().copied();
        t.host_certs = if cert_first {
            HostCerts::First
        } else {
            HostCerts::After
        };
    }
    Ok(())
}

/// A signature algorithm list (`PubkeyAcceptedAlgorithms`, `HostKeyAlgorithms`) edited from
/// `default` with OpenSSH's syntax.
pub fn sig_algs(
    option: &'static str,
    spec: &str,
    default: &[SigAlg],
) -> Result<Vec<SigAlg>, TransportError> {
    assemble(option, spec, &SigAlg::ALL, default, SigAlg::name)
}

/// Checks a `PubkeyAcceptedAlgorithms` value (the list itself goes to userauth).
pub fn check_pubkey_algorithms(_: &mut TransportConfig, spec: &str) -> Result<(), TransportError> {
    sig_algs("PubkeyAcceptedAlgorithms", spec, &SigAlg::DEFAULT_PUBKEY).map(|_| ())
}

/// Builds a preference list from an OpenSSH-style specification (ssh_config(5) `Ciphers`):
/// a plain list replaces `default`; `+list` appends to it, `-list` removes from it and `^list`
/// puts the names first. Names may hold the wildcards `*` and `?`, matched against `supported`.
/// A name that matches nothing we support is an error (except after `-`), as is an empty result.
fn assemble<T: Copy + PartialEq>(
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

/// Parses ssh_config(5) `RekeyLimit`: a volume (`default`, `none`, or bytes with an optional
/// K/M/G/T suffix, at least 16) and an optional time (`default`, `none`, or a time such as
/// `1h`, `30m`, `1h30m`, `90`). Here `default` means 1 GiB and one hour.
pub fn rekey_limit(spec: &str) -> Result<RekeyLimit, TransportError> {
    let bad = || TransportError::InvalidConfig {
        option: "RekeyLimit",
        value: spec.to_owned(),
    };
    let mut words = spec.split_whitespace();
    let volume = words.next().ok_or_else(bad)?;
    let time = words.next();
    if words.next().is_some() {
        return Err(bad());
    }
    let bytes = match volume {
        "default" => Some(DEFAULT_REKEY_BYTES),
        "none" => None,
        v => {
            let n = parse_bytes(v).ok_or_else(bad)?;
            if n < 16 {
                return Err(bad());
            }
            Some(n)
        }
    };
    let time = match time {
        None | Some("default") => Some(DEFAULT_REKEY_TIME),
        Some("none") => None,
        Some(t) => match parse_time(t).ok_or_else(bad)? {
            0 => None,
            secs => Some(Duration::from_secs(secs)),
        },
    };
    Ok(RekeyLimit {
        bytes,
        packets: REKEY_PACKETS,
        time,
    })
}

/// `<digits>[K|M|G|T]`, binary multiples, case-insensitive.
/// `ChannelWindowBudget` (burrow's keyword, client and server): the bytes all receive windows
/// of one connection may commit, a size as RekeyLimit's (`64M`), at least 64K.
pub fn window_budget(v: &str) -> Option<u64> {
    parse_bytes(v).filter(|&n| n >= 64 << 10)
}

fn parse_bytes(v: &str) -> Option<u64> {
    let (digits, shift) = match v.char_indices().last()? {
        (i, 'k' | 'K') => (v.get(..i)?, 10),
        (i, 'm' | 'M') => (v.get(..i)?, 20),
        (i, 'g' | 'G') => (v.get(..i)?, 30),
        (i, 't' | 'T') => (v.get(..i)?, 40),
        _ => (v, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(1u64 << shift)
}

/// sshd_config(5) TIME FORMATS: a sequence of `<digits>[s|m|h|d|w]` (`1h30m`); bare digits
/// are seconds. `None` on anything else or on overflow. Shared with the config parsers.
pub fn parse_time(v: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut digits: Option<u64> = None;
    for c in v.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = digits
                .unwrap_or(0)
                .checked_mul(10)?
                .checked_add(u64::from(d))?;
            digits = Some(n);
            continue;
        }
        let unit: u64 = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        total = total.checked_add(digits.take()?.checked_mul(unit)?)?;
    }
    if let Some(n) = digits {
        total = total.checked_add(n)?;
    }
    if v.is_empty() { None } else { Some(total) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_algorithms_take_certificate_names() {
        let mut t = TransportConfig::default();
        let spec = "ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,ssh-ed25519";
        set_host_key_algorithms(&mut t, spec).unwrap();
        assert_eq!(t.host_key_algorithms, [SigAlg::Ed25519]);
        assert_eq!(t.host_certs, HostCerts::First);
        set_host_key_algorithms(&mut t, "rsa-sha2-256,ssh-ed25519-cert-v01@openssh.com").unwrap();
        assert_eq!(t.host_key_algorithms, [SigAlg::RsaSha256]);
        assert_eq!(t.host_certs, HostCerts::After);
        set_host_key_algorithms(&mut t, "ecdsa-sha2-nistp256-cert-v01@openssh.com").unwrap();
        assert_eq!(t.host_key_algorithms, [SigAlg::EcdsaP256]);
        set_host_key_algorithms(&mut t, "+ssh-ed25519").unwrap();
        assert_eq!(t.host_key_algorithms, [SigAlg::EcdsaP256, SigAlg::Ed25519]);
        assert_eq!(t.host_certs, HostCerts::First);
        set_host_key_algorithms(&mut t, "ssh-ed25519").unwrap();
        assert_eq!(t.host_certs, HostCerts::Never);
        assert!(set_host_key_algorithms(&mut t, "ssh-dss-cert-v01@openssh.com").is_err());
    }

    #[test]
    fn window_budget_is_a_size_of_at_least_64k() {
        assert_eq!(window_budget("64M"), Some(64 << 20));
        assert_eq!(window_budget("65536"), Some(65536));
        assert_eq!(window_budget("63K"), None);
        assert_eq!(window_budget("lots"), None);
    }

    #[test]
    fn openssh_syntax_edits_the_lists() {
        let mut cfg = TransportConfig::default();
        set_ciphers(&mut cfg, "-aes*-ctr").unwrap();
        assert_eq!(
            cfg.ciphers,
            [
                CipherAlg::Chacha20Poly1305,
                CipherAlg::Aes128Gcm,
                CipherAlg::Aes256Gcm
            ]
        );
        set_ciphers(&mut cfg, "^aes256-ctr").unwrap();
        assert_eq!(cfg.ciphers.first(), Some(&CipherAlg::Aes256Ctr));
        set_macs(&mut cfg, "hmac-sha2-512").unwrap();
        assert_eq!(cfg.macs, [MacAlg::HmacSha512]);
        set_kex_algorithms(&mut cfg, "curve25519-sha256@libssh.org").unwrap();
        assert_eq!(cfg.kex_algorithms, [KexAlg::Curve25519Sha256Libssh]);
        assert!(set_kex_algorithms(&mut cfg, "diffie-hellman-group1-sha1").is_err());
        assert_eq!(rekey_limit("64K 10m").unwrap().bytes, Some(65_536));
    }

    #[test]
    fn openssh_volume_and_time_forms_parse() {
        let l = rekey_limit("1G 1h").unwrap();
        assert_eq!(
            (l.bytes, l.time),
            (Some(1 << 30), Some(Duration::from_secs(3600)))
        );
        assert_eq!(rekey_limit("64K").unwrap().bytes, Some(65_536));
        assert_eq!(rekey_limit("512m").unwrap().bytes, Some(512 << 20));
        assert_eq!(rekey_limit("none 90").unwrap().bytes, None);
        assert_eq!(
            rekey_limit("none 1h30m").unwrap().time,
            Some(Duration::from_secs(5400))
        );
        assert_eq!(rekey_limit("100 0").unwrap().time, None);
        assert_eq!(
            rekey_limit("2T 1w").unwrap().time,
            Some(Duration::from_secs(604_800))
        );
    }

    #[test]
    fn malformed_limits_are_refused() {
        for bad in [
            "",
            "1X",
            "K",
            "8",
            "1G 1y",
            "1G 1h extra",
            "-1G",
            "99999999999999T",
        ] {
            assert!(
                matches!(
                    rekey_limit(bad),
                    Err(TransportError::InvalidConfig {
                        option: "RekeyLimit",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

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
