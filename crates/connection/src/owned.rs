//! Copies of borrowed wire types into `'static` ones, for events that outlive the payload.

use std::borrow::Cow;

use burrow_wire::connection::{ChannelOpenType, ChannelRequestKind, GlobalRequestKind};

fn s(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

fn b(c: Cow<'_, [u8]>) -> Cow<'static, [u8]> {
    Cow::Owned(c.into_owned())
}

/// An owned copy of a channel type (the strings are short; bounded by the packet size).
pub fn open_type(t: ChannelOpenType<'_>) -> ChannelOpenType<'static> {
    match t {
        ChannelOpenType::Session => ChannelOpenType::Session,
        ChannelOpenType::DirectTcpip {
            host_to_connect,
            port_to_connect,
            originator_address,
            originator_port,
        } => ChannelOpenType::DirectTcpip {
            host_to_connect: s(host_to_connect),
            port_to_connect,
            originator_address: s(originator_address),
            originator_port,
        },
        ChannelOpenType::ForwardedTcpip {
            address_that_was_connected,
            port_that_was_connected,
            originator_address,
            originator_port,
        } => ChannelOpenType::ForwardedTcpip {
            address_that_was_connected: s(address_that_was_connected),
            port_that_was_connected,
            originator_address: s(originator_address),
            originator_port,
        },
        ChannelOpenType::DirectStreamlocal {
            socket_path,
            reserved,
            reserved_port,
        } => ChannelOpenType::DirectStreamlocal {
            socket_path: s(socket_path),
            reserved: s(reserved),
            reserved_port,
        },
        ChannelOpenType::ForwardedStreamlocal {
            socket_path,
            reserved,
        } => ChannelOpenType::ForwardedStreamlocal {
            socket_path: s(socket_path),
            reserved: s(reserved),
        },
        ChannelOpenType::Unknown { channel_type, data } => ChannelOpenType::Unknown {
            channel_type: s(channel_type),
            data: b(data),
        },
    }
}

/// An owned copy of a global request.
pub fn global_request(k: GlobalRequestKind<'_>) -> GlobalRequestKind<'static> {
    match k {
        GlobalRequestKind::TcpipForward {
            address_to_bind,
            port_to_bind,
        } => GlobalRequestKind::TcpipForward {
            address_to_bind: s(address_to_bind),
            port_to_bind,
        },
        GlobalRequestKind::CancelTcpipForward {
            address_to_bind,
            port_to_bind,
        } => GlobalRequestKind::CancelTcpipForward {
            address_to_bind: s(address_to_bind),
            port_to_bind,
        },
        GlobalRequestKind::StreamlocalForward { socket_path } => {
            GlobalRequestKind::StreamlocalForward {
                socket_path: s(socket_path),
            }
        }
        GlobalRequestKind::CancelStreamlocalForward { socket_path } => {
            GlobalRequestKind::CancelStreamlocalForward {
                socket_path: s(socket_path),
            }
        }
        GlobalRequestKind::Keepalive => GlobalRequestKind::Keepalive,
        GlobalRequestKind::NoMoreSessions => GlobalRequestKind::NoMoreSessions,
        GlobalRequestKind::HostKeys { keys } => GlobalRequestKind::HostKeys {
            keys: keys.into_iter().map(b).collect(),
        },
        GlobalRequestKind::Unknown { request_name, data } => GlobalRequestKind::Unknown {
            request_name: s(request_name),
            data: b(data),
        },
    }
}

/// An owned copy of a channel request.
pub fn channel_request(k: ChannelRequestKind<'_>) -> ChannelRequestKind<'static> {
    match k {
        ChannelRequestKind::Exec { command } => ChannelRequestKind::Exec {
            command: b(command),
        },
        ChannelRequestKind::Env { name, value } => ChannelRequestKind::Env {
            name: s(name),
            value: b(value),
        },
        ChannelRequestKind::ExitStatus { exit_status } => {
            ChannelRequestKind::ExitStatus { exit_status }
        }
        ChannelRequestKind::ExitSignal {
            signal_name,
            core_dumped,
            error_message,
            language_tag,
        } => ChannelRequestKind::ExitSignal {
            signal_name: s(signal_name),
            core_dumped,
            error_message: s(error_message),
            language_tag: s(language_tag),
        },
        ChannelRequestKind::Eow => ChannelRequestKind::Eow,
        ChannelRequestKind::Unknown { request_type, data } => ChannelRequestKind::Unknown {
            request_type: s(request_type),
            data: b(data),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_copy_equals_original() {
        let host = String::from("example.org");
        let t = ChannelOpenType::DirectTcpip {
            host_to_connect: Cow::Borrowed(host.as_str()),
            port_to_connect: 80,
            originator_address: Cow::Borrowed("127.0.0.1"),
            originator_port: 5555,
        };
        let owned = open_type(t.clone());
        drop(host);
        assert_eq!(owned.name(), "direct-tcpip");
        assert!(matches!(
            owned,
            ChannelOpenType::DirectTcpip { ref host_to_connect, port_to_connect: 80, .. }
                if host_to_connect == "example.org"
        ));
        let g = GlobalRequestKind::TcpipForward {
            address_to_bind: Cow::Borrowed("localhost"),
            port_to_bind: 0,
        };
        assert_eq!(global_request(g.clone()), g);
        let r = ChannelRequestKind::Env {
            name: Cow::Borrowed("LANG"),
            value: Cow::Borrowed(b"C"),
        };
        assert_eq!(channel_request(r.clone()), r);
    }
}
