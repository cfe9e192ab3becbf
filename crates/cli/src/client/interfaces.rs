//! The local network interfaces (getifaddrs through nix): their addresses for `Match
//! localnetwork`, and the address `BindInterface` binds to.

use core::net::IpAddr;

use nix::ifaddrs::getifaddrs;
use nix::net::if_::InterfaceFlags;

use crate::config::ssh_config::AddressFamily;

/// The IPv4 and IPv6 addresses of every interface that is up, with the interface's name.
pub fn up_addresses() -> Vec<(String, IpAddr)> {
    let Ok(list) = getifaddrs() else {
        tracing::debug!("getifaddrs failed; no local addresses");
        return Vec::new();
    };
    list.filter(|i| i.flags.contains(InterfaceFlags::IFF_UP))
        .filter_map(|i| {
            let addr = i.address?;
            let ip = match (addr.as_sockaddr_in(), addr.as_sockaddr_in6()) {
                (Some(v4), _) => IpAddr::V4(v4.ip()),
                (_, Some(v6)) => IpAddr::V6(v6.ip()),
                _ => return None,
            };
            tracing::trace!("interface {} addr {ip}", i.interface_name);
            Some((i.interface_name, ip))
        })
        .collect()
}

/// The address of interface `name` to bind to, as ssh's BindInterface picks it: one of the
/// family asked for (IPv4 first for `any`), an IPv6 address only if not link-local.
pub fn bind_address(
    addresses: &[(String, IpAddr)],
    name: &str,
    family: AddressFamily,
) -> Option<IpAddr> {
    let on_it = || {
        addresses
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|&(_, ip)| ip)
    };
    let v4 = || on_it().find(IpAddr::is_ipv4);
    let v6 = || {
        on_it().find(|ip| match ip {
            IpAddr::V6(v6) => !v6.is_unicast_link_local(),
            IpAddr::V4(_) => false,
        })
    };
    match family {
        AddressFamily::Inet => v4(),
        AddressFamily::Inet6 => v6(),
        AddressFamily::Any => v4().or_else(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_up_and_bind_picks_the_family() {
        let up = up_addresses();
        assert!(up.iter().any(|(_, ip)| ip.is_loopback()), "{up:?}");
        let list = vec![
            ("eth0".to_owned(), "fe80::1".parse().unwrap()),
            ("eth0".to_owned(), "2001:db8::5".parse().unwrap()),
            ("eth0".to_owned(), "192.0.2.7".parse().unwrap()),
            ("lo".to_owned(), "127.0.0.1".parse().unwrap()),
        ];
        let pick = |n, f| bind_address(&list, n, f).map(|ip| ip.to_string());
        assert_eq!(
            pick("eth0", AddressFamily::Any).as_deref(),
            Some("192.0.2.7")
        );
        assert_eq!(
            pick("eth0", AddressFamily::Inet6).as_deref(),
            Some("2001:db8::5")
        );
        assert_eq!(pick("lo", AddressFamily::Inet6), None);
        assert_eq!(pick("wlan9", AddressFamily::Any), None);
    }
}
