//! `from="pattern-list"`: matching the client address against wildcards, CIDR blocks and
//! negations, as OpenSSH's `match_host_and_ip` does when `UseDNS` is off.

use core::net::IpAddr;

use crate::pattern::match_pattern;

/// A CIDR block (`10.0.0.0/8`, `2001:db8::/32`, or a single address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32u32.saturating_sub(self.prefix.into()))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128u32.saturating_sub(self.prefix.into()))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// `Ok(None)` when `pattern` is not an address (it is then a wildcard pattern);
/// `Err(())` for an address with a bad prefix length or host bits set past the prefix.
fn parse_cidr(pattern: &str) -> Result<Option<Cidr>, ()> {
    let (addr, prefix) = match pattern.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (pattern, None),
    };
    let Ok(addr) = addr.parse::<IpAddr>() else {
        return if prefix.is_some() { Err(()) } else { Ok(None) };
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse::<u8>().map_err(|_| ())?
        }
        Some(_) => return Err(()),
    };
    if prefix > max {
        return Err(());
    }
    let cidr = Cidr { addr, prefix };
    // OpenSSH refuses "inconsistent" masks such as 10.0.0.1/8.
    if host_bits_set(cidr) {
        return Err(());
    }
    Ok(Some(cidr))
}

fn host_bits_set(c: Cidr) -> bool {
    match c.addr {
        IpAddr::V4(a) => {
            let host = u32::MAX.checked_shr(u32::from(c.prefix)).unwrap_or(0);
            u32::from(a) & host != 0
        }
        IpAddr::V6(a) => {
            let host = u128::MAX.checked_shr(u32::from(c.prefix)).unwrap_or(0);
            u128::from(a) & host != 0
        }
    }
}

/// Checks a `from=` list when it is read: every item that looks like an address must be a
/// valid address or CIDR block. Returns the first bad item.
pub(crate) fn validate_from(list: &str) -> Result<(), &str> {
    for item in list.split(',') {
        let pattern = item.strip_prefix('!').unwrap_or(item);
        if parse_cidr(pattern).is_err() {
            return Err(item);
        }
    }
    Ok(())
}

/// True when the client at `client` is allowed by the `from=` list: some item matches it (as
/// an address or CIDR block, or as a `*`/`?` wildcard over its text) and no `!item` does.
/// IPv4-mapped IPv6 addresses are compared as IPv4, as sshd does for dual-stack listeners.
/// (A link-local client's scope is not part of an `IpAddr`: patterns match the address.)
pub fn from_allows(list: &str, client: IpAddr) -> bool {
    let ip = client.to_canonical();
    let text = ip.to_string();
    let mut allowed = false;
    for item in list.split(',') {
        let (negated, pattern) = match item.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, item),
        };
        let matched = match parse_cidr(pattern) {
            Ok(Some(cidr)) => cidr.contains(ip),
            Ok(None) => match_pattern(pattern, &text),
            // A bad block refuses everything, as OpenSSH's "inconsistent mask" error.
            Err(()) => return false,
        };
        if matched {
            if negated {
                return false;
            }
            allowed = true;
        }
    }
    allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn exact_address_and_wildcards() {
        assert!(from_allows("192.0.2.7", ip("192.0.2.7")));
        assert!(!from_allows("192.0.2.7", ip("192.0.2.8")));
        assert!(from_allows("192.0.2.*", ip("192.0.2.8")));
        assert!(from_allows("10.*,192.0.2.?", ip("192.0.2.8")));
        assert!(!from_allows("10.*", ip("192.0.2.8")));
    }

    #[test]
    fn cidr_blocks_v4_and_v6() {
        assert!(from_allows("10.0.0.0/8", ip("10.200.3.4")));
        assert!(!from_allows("10.0.0.0/8", ip("11.0.0.1")));
        assert!(from_allows("0.0.0.0/0", ip("203.0.113.9")));
        assert!(from_allows("2001:db8::/32", ip("2001:db8:1::5")));
        assert!(!from_allows("2001:db8::/32", ip("2001:db9::5")));
        assert!(!from_allows("10.0.0.0/8", ip("2001:db8::1")));
    }

    #[test]
    fn negation_wins() {
        assert!(!from_allows("10.0.0.0/8,!10.1.2.3", ip("10.1.2.3")));
        assert!(from_allows("10.0.0.0/8,!10.1.2.3", ip("10.1.2.4")));
        assert!(!from_allows("!192.0.2.*,*", ip("192.0.2.1")));
        assert!(!from_allows("!10.0.0.1", ip("10.0.0.2")));
    }

    #[test]
    fn ipv6_clients_match_v6_entries_and_negations() {
        assert!(from_allows("::1", ip("::1")));
        assert!(!from_allows("!::1,*", ip("::1")));
        assert!(from_allows("!::1,*", ip("::2")));
        assert!(from_allows("fe80::/10", ip("fe80::1")));
        assert!(!from_allows("::1", ip("127.0.0.1")));
    }

    #[test]
    fn ipv4_mapped_client_is_compared_as_ipv4() {
        assert!(from_allows("10.1.2.3", ip("::ffff:10.1.2.3")));
        assert!(!from_allows("!10.1.2.3,*", ip("::ffff:10.1.2.3")));
        assert!(from_allows("192.0.2.0/24", ip("::ffff:192.0.2.5")));
        assert!(from_allows("192.0.2.*", ip("::ffff:192.0.2.5")));
    }

    #[test]
    fn inconsistent_or_bad_masks_are_invalid_and_refuse() {
        for bad in [
            "10.0.0.1/8",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/x",
            "::1/129",
            "foo/8",
        ] {
            assert!(validate_from(bad).is_err(), "{bad}");
            assert!(!from_allows(&format!("*,{bad}"), ip("10.0.0.1")), "{bad}");
        }
        assert!(validate_from("10.0.0.0/8,!10.1.*,host.example,::1").is_ok());
    }
}
