//! `ProxyJump` / `-J` values: a comma-separated chain of `[user@]host[:port]` (or
//! `ssh://[user@]host[:port]`) jump hosts, first hop first.

use crate::CliError;

use super::value::parse_port;

/// Most hops in one chain.
pub const MAX_JUMPS: usize = 16;

/// One jump host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpHost {
    /// The user, if given.
    pub user: Option<String>,
    /// The host name, address or alias (IPv6 without brackets).
    pub host: String,
    /// The port, if given.
    pub port: Option<u16>,
}

/// Parses a ProxyJump value; `none` gives an empty chain.
pub fn parse_jump_chain(value: &str) -> Result<Vec<JumpHost>, CliError> {
    if value.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let bad = || CliError::Usage(format!("bad ProxyJump \"{value}\""));
    let mut hops = Vec::new();
    for item in value.split(',') {
        if hops.len() >= MAX_JUMPS {
            return Err(bad());
        }
        hops.push(parse_jump_host(item).ok_or_else(bad)?);
    }
    Ok(hops)
}

fn parse_jump_host(item: &str) -> Option<JumpHost> {
    let item = item.strip_prefix("ssh://").unwrap_or(item);
    let (user, hostport) = match item.rsplit_once('@') {
        Some((u, h)) if !u.is_empty() => (Some(u.to_owned()), h),
        Some(_) => return None,
        None => (None, item),
    };
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            p => (host, Some(parse_port(p.strip_prefix(':')?)?)),
        }
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(parse_port(p)?)),
            None => (hostport, None),
        }
    };
    if host.is_empty() || host.contains(['/', ' ', '\t']) {
        return None;
    }
    Some(JumpHost {
        user,
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(user: Option<&str>, host: &str, port: Option<u16>) -> JumpHost {
        JumpHost {
            user: user.map(str::to_owned),
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn chains_of_hosts_with_users_and_ports() {
        assert_eq!(
            parse_jump_chain("j1,bob@j2:2222,ssh://al@[::1]:22,[fe80::1]").unwrap(),
            [
                hop(None, "j1", None),
                hop(Some("bob"), "j2", Some(2222)),
                hop(Some("al"), "::1", Some(22)),
                hop(None, "fe80::1", None),
            ]
        );
    }

    #[test]
    fn none_is_an_empty_chain() {
        assert!(parse_jump_chain("none").unwrap().is_empty());
    }

    #[test]
    fn malformed_hops_are_errors() {
        for bad in ["", "j1,", "@h", "h:0", "h:x", "[::1", "[::1]x", "a b"] {
            assert!(parse_jump_chain(bad).is_err(), "{bad}");
        }
        let long = vec!["h"; MAX_JUMPS + 1].join(",");
        assert!(parse_jump_chain(&long).is_err());
    }
}
