//! Which address a forwarding listener binds, from the address the user or the peer asked
//! for and the GatewayPorts setting (OpenSSH channels.c `channel_fwd_bind_addr`).

/// The GatewayPorts setting (sshd_config(5); ssh_config(5) has only yes/no).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GatewayPorts {
    /// Remote forwards listen on loopback only (sshd's default).
    #[default]
    No,
    /// Remote forwards listen on all interfaces, whatever the client asked.
    Yes,
    /// The client chooses the address.
    ClientSpecified,
}

impl GatewayPorts {
    /// Parses an sshd_config value (`no`, `yes`, `clientspecified`, case-insensitively).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "no" => Some(Self::No),
            "yes" => Some(Self::Yes),
            "clientspecified" => Some(Self::ClientSpecified),
            _ => None,
        }
    }
}

/// Where a listener binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindAddr {
    /// The loopback addresses of every family (127.0.0.1 and ::1).
    Loopback,
    /// Every interface (0.0.0.0 and ::).
    Wildcard,
    /// This host name or address, resolved at bind time.
    Host(String),
}

/// What the server decided for a `tcpip-forward` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBind {
    /// Where to bind.
    pub addr: BindAddr,
    /// A debug message for the client when GatewayPorts overrode its address, as sshd sends
    /// (`Forwarding listen address "x" overridden by server GatewayPorts`).
    pub overridden: Option<String>,
}

fn is_wildcard_word(addr: &str) -> bool {
    addr.is_empty() || addr == "*"
}

fn is_loopback_literal(addr: &str) -> bool {
    addr == "127.0.0.1" || addr == "::1"
}

/// The bind address of a client-side listener (`-L`, `-D`): no address follows the client's
/// GatewayPorts; an empty address or `*` means every interface; `localhost` means loopback;
/// anything else is bound as given (ssh(1) -L).
pub fn client_bind_addr(requested: Option<&str>, gateway_ports: bool) -> BindAddr {
    match requested {
        None if gateway_ports => BindAddr::Wildcard,
        None => BindAddr::Loopback,
        Some(a) if is_wildcard_word(a) => BindAddr::Wildcard,
        Some("localhost") => BindAddr::Loopback,
        Some(a) => BindAddr::Host(a.to_owned()),
    }
}

/// The bind address of a server-side listener for the address in a `tcpip-forward` request,
/// as sshd: `no` allows only loopback (127.0.0.1 and ::1 are honoured, anything else becomes
/// loopback), `yes` always binds every interface, `clientspecified` binds what was asked
/// (`""`/`*` every interface, `localhost` loopback).
pub fn server_bind_addr(requested: &str, gateway_ports: GatewayPorts) -> ServerBind {
    let plain = |addr| ServerBind {
        addr,
        overridden: None,
    };
    match gateway_ports {
        GatewayPorts::No if is_loopback_literal(requested) => {
            plain(BindAddr::Host(requested.to_owned()))
        }
        GatewayPorts::No => plain(BindAddr::Loopback),
        GatewayPorts::Yes => ServerBind {
            addr: BindAddr::Wildcard,
            overridden: (!is_wildcard_word(requested) && requested != "0.0.0.0").then(|| {
                format!(
                    "Forwarding listen address \"{requested}\" overridden by server GatewayPorts"
                )
            }),
        },
        GatewayPorts::ClientSpecified if is_wildcard_word(requested) => plain(BindAddr::Wildcard),
        GatewayPorts::ClientSpecified if requested == "localhost" => plain(BindAddr::Loopback),
        GatewayPorts::ClientSpecified => plain(BindAddr::Host(requested.to_owned())),
    }
}

/// The address a client puts in its `tcpip-forward` request for a `-R` bind address, as
/// ssh: none → `localhost`, empty or `*` → `""`, anything else as written.
pub fn remote_request_host(requested: Option<&str>) -> &str {
    match requested {
        None => "localhost",
        Some(a) if is_wildcard_word(a) => "",
        Some(a) => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_without_address_follows_gateway_ports() {
        assert_eq!(client_bind_addr(None, false), BindAddr::Loopback);
        assert_eq!(client_bind_addr(None, true), BindAddr::Wildcard);
    }

    #[test]
    fn client_star_and_empty_bind_every_interface() {
        assert_eq!(client_bind_addr(Some("*"), false), BindAddr::Wildcard);
        assert_eq!(client_bind_addr(Some(""), false), BindAddr::Wildcard);
    }

    #[test]
    fn client_localhost_is_loopback_and_others_are_kept() {
        assert_eq!(
            client_bind_addr(Some("localhost"), true),
            BindAddr::Loopback
        );
        assert_eq!(
            client_bind_addr(Some("10.1.2.3"), false),
            BindAddr::Host("10.1.2.3".into())
        );
    }

    #[test]
    fn server_gateway_ports_no_keeps_to_loopback() {
        for req in ["", "*", "0.0.0.0", "localhost", "10.0.0.1"] {
            let b = server_bind_addr(req, GatewayPorts::No);
            assert_eq!(b.addr, BindAddr::Loopback, "{req}");
            assert_eq!(b.overridden, None);
        }
        assert_eq!(
            server_bind_addr("::1", GatewayPorts::No).addr,
            BindAddr::Host("::1".into())
        );
        assert_eq!(
            server_bind_addr("127.0.0.1", GatewayPorts::No).addr,
            BindAddr::Host("127.0.0.1".into())
        );
    }

    #[test]
    fn server_gateway_ports_yes_binds_wildcard_and_says_so() {
        let b = server_bind_addr("10.0.0.1", GatewayPorts::Yes);
        assert_eq!(b.addr, BindAddr::Wildcard);
        assert_eq!(
            b.overridden.as_deref(),
            Some("Forwarding listen address \"10.0.0.1\" overridden by server GatewayPorts")
        );
        let b = server_bind_addr("", GatewayPorts::Yes);
        assert_eq!(b.addr, BindAddr::Wildcard);
        assert_eq!(b.overridden, None);
    }

    #[test]
    fn server_client_specified_binds_what_was_asked() {
        let cs = GatewayPorts::ClientSpecified;
        assert_eq!(server_bind_addr("", cs).addr, BindAddr::Wildcard);
        assert_eq!(server_bind_addr("*", cs).addr, BindAddr::Wildcard);
        assert_eq!(server_bind_addr("localhost", cs).addr, BindAddr::Loopback);
        assert_eq!(
            server_bind_addr("10.0.0.1", cs).addr,
            BindAddr::Host("10.0.0.1".into())
        );
    }

    #[test]
    fn remote_request_host_matches_ssh() {
        assert_eq!(remote_request_host(None), "localhost");
        assert_eq!(remote_request_host(Some("*")), "");
        assert_eq!(remote_request_host(Some("")), "");
        assert_eq!(remote_request_host(Some("::1")), "::1");
    }

    #[test]
    fn gateway_ports_parses_sshd_words() {
        assert_eq!(GatewayPorts::parse("No"), Some(GatewayPorts::No));
        assert_eq!(GatewayPorts::parse("yes"), Some(GatewayPorts::Yes));
        assert_eq!(
            GatewayPorts::parse("clientspecified"),
            Some(GatewayPorts::ClientSpecified)
        );
        assert_eq!(GatewayPorts::parse("maybe"), None);
    }
}
