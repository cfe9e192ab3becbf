//! Forwards between their mux wire form (`MUX_C_OPEN_FWD` fields) and burrow's
//! [`ForwardSpec`], with OpenSSH's conventions for empty hosts and socket paths.

use burrow_forward::{Connect, Forward, ForwardSpec, Listen};

use super::codec::{FwdKind, MuxForward, PORT_STREAMLOCAL};

/// The connect side ssh's parser gives a dynamic forward (an OpenSSH master refuses one
/// without a connect host).
fn socks() -> (String, u32) {
    ("socks".to_owned(), 0)
}

/// The wire form of `spec`, as ssh's mux client sends it: no bind address is an empty
/// host, an empty one is `*`, a dynamic forward connects to `socks` port 0.
pub fn to_wire(spec: &ForwardSpec) -> MuxForward {
    let listen = |l: &Listen| match l {
        Listen::Tcp { bind: None, port } => (String::new(), u32::from(*port)),
        Listen::Tcp {
            bind: Some(b),
            port,
        } if b.is_empty() => ("*".to_owned(), u32::from(*port)),
        Listen::Tcp {
            bind: Some(b),
            port,
        } => (b.clone(), u32::from(*port)),
        Listen::Unix(p) => (p.clone(), PORT_STREAMLOCAL),
    };
    let connect = |c: &Connect| match c {
        Connect::Tcp { host, port } => (host.clone(), u32::from(*port)),
        Connect::Unix(p) => (p.clone(), PORT_STREAMLOCAL),
    };
    let (kind, (listen_host, listen_port), (connect_host, connect_port)) = match spec {
        ForwardSpec::Local(f) => (FwdKind::Local, listen(&f.listen), connect(&f.connect)),
        ForwardSpec::Remote(f) => (FwdKind::Remote, listen(&f.listen), connect(&f.connect)),
        ForwardSpec::Dynamic(l) => (FwdKind::Dynamic, listen(l), socks()),
        ForwardSpec::RemoteDynamic(l) => (FwdKind::Remote, listen(l), socks()),
    };
    MuxForward {
        kind: Some(kind),
        listen_host,
        listen_port,
        connect_host,
        connect_port,
    }
}

/// The forward a mux request asks for; `None` for what OpenSSH's master calls an
/// "Invalid forwarding request" (unknown type, port past 65535, missing target).
pub fn from_wire(w: &MuxForward) -> Option<ForwardSpec> {
    let listen = if w.listen_port == PORT_STREAMLOCAL {
        Listen::Unix(w.listen_host.clone())
    } else {
        Listen::Tcp {
            bind: (!w.listen_host.is_empty()).then(|| w.listen_host.clone()),
            port: u16::try_from(w.listen_port).ok()?,
        }
    };
    let connect = if w.connect_port == PORT_STREAMLOCAL {
        (!w.connect_host.is_empty()).then(|| Connect::Unix(w.connect_host.clone()))
    } else {
        match u16::try_from(w.connect_port).ok()? {
            0 => None,
            _ if w.connect_host.is_empty() => None,
            port => Some(Connect::Tcp {
                host: w.connect_host.clone(),
                port,
            }),
        }
    };
    match (w.kind?, connect) {
        (FwdKind::Dynamic, _) if matches!(listen, Listen::Unix(_)) => None,
        (FwdKind::Dynamic, _) => Some(ForwardSpec::Dynamic(listen)),
        (FwdKind::Local, Some(connect)) => Some(ForwardSpec::Local(Forward { listen, connect })),
        (FwdKind::Local, None) => None,
        (FwdKind::Remote, Some(connect)) => Some(ForwardSpec::Remote(Forward { listen, connect })),
        (FwdKind::Remote, None) if w.connect_port == 0 => Some(ForwardSpec::RemoteDynamic(listen)),
        (FwdKind::Remote, None) => None,
    }
}

/// OpenSSH's master's reason when a requested forward cannot be set up.
pub fn failure_reason(spec: &ForwardSpec) -> String {
    match spec {
        ForwardSpec::Remote(Forward { listen, .. }) | ForwardSpec::RemoteDynamic(listen) => {
            match listen {
                Listen::Tcp { port, .. } => {
                    format!("remote port forwarding failed for listen port {port}")
                }
                Listen::Unix(p) => format!("remote port forwarding failed for listen path {p}"),
            }
        }
        _ => "Port forwarding failed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn specs_survive_the_wire() {
        for (kind, text) in [
            ('L', "8080:localhost:80"),
            ('L', "127.0.0.1:8080:[::1]:80"),
            ('L', "/tmp/sock:/run/target"),
            ('R', "0:localhost:22"),
            ('R', "2222"),
            ('D', "1080"),
            ('D', "localhost:1080"),
        ] {
            let spec = match kind {
                'L' => ForwardSpec::parse_local(text),
                'R' => ForwardSpec::parse_remote(text),
                _ => ForwardSpec::parse_dynamic(text),
            }
            .unwrap();
            assert_eq!(from_wire(&to_wire(&spec)), Some(spec), "{kind} {text}");
        }
    }

    #[test]
    fn invalid_requests_are_none() {
        let base = MuxForward {
            kind: Some(FwdKind::Local),
            listen_host: String::new(),
            listen_port: 8080,
            connect_host: "h".into(),
            connect_port: 80,
        };
        assert!(from_wire(&base).is_some());
        for bad in [
            MuxForward {
                kind: None,
                ..base.clone()
            },
            MuxForward {
                listen_port: 70000,
                ..base.clone()
            },
            MuxForward {
                connect_port: 0,
                ..base.clone()
            },
            MuxForward {
                connect_host: String::new(),
                ..base.clone()
            },
            MuxForward {
                kind: Some(FwdKind::Dynamic),
                listen_port: PORT_STREAMLOCAL,
                listen_host: "/tmp/x".into(),
                ..base.clone()
            },
        ] {
            assert_eq!(from_wire(&bad), None, "{bad:?}");
        }
    }
}
