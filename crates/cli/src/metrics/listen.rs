//! The `MetricsListen` value: `[address:]port` or `none`; a bare port is on the loopback
//! address, another address only when written out.

use std::net::{Ipv4Addr, SocketAddr};

/// Parses a `MetricsListen` value: `none` (off), `PORT` (127.0.0.1), `localhost:PORT`,
/// `*:PORT` (every address), or an IP address and port (`[::1]:9100`).
pub fn parse_metrics_listen(v: &str) -> Result<Option<SocketAddr>, String> {
    if v.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let bad = || format!("MetricsListen {v:?}: expected [address:]port (an IP address) or none");
    let port = |p: &str| p.parse::<u16>().map_err(|_| bad());
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port(v)?))));
    }
    if let Some((host, p)) = v.rsplit_once(':') {
        if host.eq_ignore_ascii_case("localhost") {
            return Ok(Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port(p)?))));
        }
        if host == "*" {
            return Ok(Some(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port(p)?))));
        }
    }
    v.parse::<SocketAddr>().map(Some).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_ports_are_loopback_and_other_addresses_must_be_written_out() {
        let p = |v| parse_metrics_listen(v).map(|a| a.map(|a| a.to_string()));
        assert_eq!(p("9100"), Ok(Some("127.0.0.1:9100".into())));
        assert_eq!(p("localhost:9100"), Ok(Some("127.0.0.1:9100".into())));
        assert_eq!(p("*:9100"), Ok(Some("0.0.0.0:9100".into())));
        assert_eq!(p("[::1]:0"), Ok(Some("[::1]:0".into())));
        assert_eq!(p("10.1.2.3:9100"), Ok(Some("10.1.2.3:9100".into())));
        assert_eq!(p("None"), Ok(None));
        for bad in ["", "example.org:9100", "127.0.0.1", "70000", "127.0.0.1:x"] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }
}
