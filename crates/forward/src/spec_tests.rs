//! Tests of the -L/-R/-D/-W specification parser: ssh's accepted and refused forms.

use super::*;

fn tcp(bind: Option<&str>, port: u16) -> Listen {
    Listen::Tcp {
        bind: bind.map(str::to_owned),
        port,
    }
}

fn to(host: &str, port: u16) -> Connect {
    Connect::Tcp {
        host: host.into(),
        port,
    }
}

fn local(listen: Listen, connect: Connect) -> ForwardSpec {
    ForwardSpec::Local(Forward { listen, connect })
}

fn remote(listen: Listen, connect: Connect) -> ForwardSpec {
    ForwardSpec::Remote(Forward { listen, connect })
}

#[test]
fn local_port_host_hostport() {
    assert_eq!(
        ForwardSpec::parse_local("8080:example.com:80").unwrap(),
        local(tcp(None, 8080), to("example.com", 80))
    );
}

#[test]
fn local_with_bind_address() {
    assert_eq!(
        ForwardSpec::parse_local("127.0.0.2:8080:db:5432").unwrap(),
        local(tcp(Some("127.0.0.2"), 8080), to("db", 5432))
    );
}

#[test]
fn local_star_and_empty_bind_are_kept_as_written() {
    assert_eq!(
        ForwardSpec::parse_local("*:8080:h:1").unwrap(),
        local(tcp(Some("*"), 8080), to("h", 1))
    );
    assert_eq!(
        ForwardSpec::parse_local(":8080:h:1").unwrap(),
        local(tcp(Some(""), 8080), to("h", 1))
    );
}

#[test]
fn ipv6_in_brackets_on_both_sides() {
    assert_eq!(
        ForwardSpec::parse_local("[::1]:8080:[::1]:80").unwrap(),
        local(tcp(Some("::1"), 8080), to("::1", 80))
    );
    assert_eq!(
        ForwardSpec::parse_local("8080:[2001:db8::5]:443").unwrap(),
        local(tcp(None, 8080), to("2001:db8::5", 443))
    );
}

#[test]
fn local_tcp_to_remote_socket() {
    assert_eq!(
        ForwardSpec::parse_local("8080:/run/app.sock").unwrap(),
        local(tcp(None, 8080), Connect::Unix("/run/app.sock".into()))
    );
    assert_eq!(
        ForwardSpec::parse_local("localhost:8080:/run/app.sock").unwrap(),
        local(
            tcp(Some("localhost"), 8080),
            Connect::Unix("/run/app.sock".into())
        )
    );
}

#[test]
fn local_socket_to_host_port() {
    assert_eq!(
        ForwardSpec::parse_local("/tmp/l.sock:db:5432").unwrap(),
        local(Listen::Unix("/tmp/l.sock".into()), to("db", 5432))
    );
}

#[test]
fn local_socket_to_remote_socket() {
    assert_eq!(
        ForwardSpec::parse_local("/tmp/l.sock:/run/r.sock").unwrap(),
        local(
            Listen::Unix("/tmp/l.sock".into()),
            Connect::Unix("/run/r.sock".into())
        )
    );
}

#[test]
fn backslash_escapes_a_colon() {
    assert_eq!(
        ForwardSpec::parse_local("/tmp/a\\:b:h:1").unwrap(),
        local(Listen::Unix("/tmp/a:b".into()), to("h", 1))
    );
}

#[test]
fn service_names_are_ports() {
    assert_eq!(
        ForwardSpec::parse_local("8443:web:https").unwrap(),
        local(tcp(None, 8443), to("web", 443))
    );
}

#[test]
fn leading_spaces_are_skipped() {
    assert_eq!(
        ForwardSpec::parse_local("  8080:h:80").unwrap(),
        local(tcp(None, 8080), to("h", 80))
    );
}

#[test]
fn local_rejects_what_ssh_rejects() {
    for s in [
        "",
        "8080",
        "8080:h",
        "0:h:80",
        "8080:h:0",
        "70000:h:80",
        "8080:h:80:extra:more",
        "[::1:8080:h:80",
        "[::1]x:8080:h:80",
        "8080:h:80\\",
        "8080/h/80",
        "x:y:h:80",
    ] {
        let err = ForwardSpec::parse_local(s).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Bad local forwarding specification '{s}'")
        );
    }
}

#[test]
fn remote_fixed_and_port_zero() {
    assert_eq!(
        ForwardSpec::parse_remote("9000:localhost:22").unwrap(),
        remote(tcp(None, 9000), to("localhost", 22))
    );
    assert_eq!(
        ForwardSpec::parse_remote("0:localhost:22").unwrap(),
        remote(tcp(None, 0), to("localhost", 22))
    );
    assert_eq!(
        ForwardSpec::parse_remote("*:0:[::1]:22").unwrap(),
        remote(tcp(Some("*"), 0), to("::1", 22))
    );
}

#[test]
fn remote_unix_forms() {
    assert_eq!(
        ForwardSpec::parse_remote("/srv/r.sock:/tmp/l.sock").unwrap(),
        remote(
            Listen::Unix("/srv/r.sock".into()),
            Connect::Unix("/tmp/l.sock".into())
        )
    );
    assert_eq!(
        ForwardSpec::parse_remote("/srv/r.sock:localhost:80").unwrap(),
        remote(Listen::Unix("/srv/r.sock".into()), to("localhost", 80))
    );
}

#[test]
fn remote_with_only_a_port_is_reverse_dynamic() {
    assert_eq!(
        ForwardSpec::parse_remote("1080").unwrap(),
        ForwardSpec::RemoteDynamic(tcp(None, 1080))
    );
    assert_eq!(
        ForwardSpec::parse_remote("0.0.0.0:1080").unwrap(),
        ForwardSpec::RemoteDynamic(tcp(Some("0.0.0.0"), 1080))
    );
    assert_eq!(
        ForwardSpec::parse_remote("0").unwrap(),
        ForwardSpec::RemoteDynamic(tcp(None, 0))
    );
}

#[test]
fn remote_rejects_garbage_with_its_own_message() {
    let err = ForwardSpec::parse_remote("a:b:c:d:e").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Bad remote forwarding specification 'a:b:c:d:e'"
    );
}

#[test]
fn dynamic_port_and_bind_port() {
    assert_eq!(
        ForwardSpec::parse_dynamic("1080").unwrap(),
        ForwardSpec::Dynamic(tcp(None, 1080))
    );
    assert_eq!(
        ForwardSpec::parse_dynamic("[::1]:1080").unwrap(),
        ForwardSpec::Dynamic(tcp(Some("::1"), 1080))
    );
    assert_eq!(
        ForwardSpec::parse_dynamic("/tmp/socks.sock").unwrap(),
        ForwardSpec::Dynamic(Listen::Unix("/tmp/socks.sock".into()))
    );
}

#[test]
fn dynamic_rejects_destinations_and_port_zero() {
    for s in ["0", "1080:h:80", "a:b:c", "nosuchservice", "65536"] {
        assert_eq!(
            ForwardSpec::parse_dynamic(s).unwrap_err().to_string(),
            format!("Bad dynamic forwarding specification '{s}'")
        );
    }
}

#[test]
fn stdio_host_port_and_path() {
    assert_eq!(
        parse_stdio("example.org:22").unwrap(),
        to("example.org", 22)
    );
    assert_eq!(parse_stdio("[fe80::1]:2222").unwrap(), to("fe80::1", 2222));
    assert_eq!(
        parse_stdio("/run/ssh.sock").unwrap(),
        Connect::Unix("/run/ssh.sock".into())
    );
}

#[test]
fn stdio_needs_a_host() {
    for s in ["22", ":22", "h:0", "h:22:x"] {
        assert_eq!(
            parse_stdio(s).unwrap_err().to_string(),
            format!("Bad stdio forwarding specification '{s}'")
        );
    }
}

#[test]
fn overlong_host_and_path_are_refused() {
    let host = "h".repeat(MAX_HOST_LEN + 1);
    assert!(ForwardSpec::parse_local(&format!("1:{host}:2")).is_err());
    let ok_host = "h".repeat(MAX_HOST_LEN);
    assert!(ForwardSpec::parse_local(&format!("1:{ok_host}:2")).is_ok());
    let path = format!("/{}", "p".repeat(MAX_PATH_LEN));
    assert!(ForwardSpec::parse_local(&format!("{path}:h:2")).is_err());
}

#[test]
fn listen_accessor_and_connect_display() {
    let spec = ForwardSpec::parse_remote("0:[::1]:80").unwrap();
    assert_eq!(spec.listen(), &tcp(None, 0));
    let ForwardSpec::Remote(f) = spec else {
        panic!("not remote")
    };
    assert_eq!(f.connect.to_string(), "::1:80");
}

#[test]
fn listen_displays_in_ssh_syntax() {
    assert_eq!(tcp(None, 80).to_string(), "80");
    assert_eq!(tcp(Some("::1"), 80).to_string(), "[::1]:80");
    assert_eq!(tcp(Some("*"), 80).to_string(), "*:80");
    assert_eq!(Listen::Unix("/s".into()).to_string(), "/s");
}

#[test]
fn port_parser_accepts_leading_zeros_and_rejects_signs() {
    assert_eq!(parse_port("0080"), Some(80));
    assert_eq!(parse_port("0"), Some(0));
    assert_eq!(parse_port("000"), Some(0));
    assert_eq!(parse_port("65535"), Some(65535));
    assert_eq!(parse_port("65536"), None);
    assert_eq!(parse_port("-1"), None);
    assert_eq!(parse_port("ssh"), Some(22));
    assert_eq!(parse_port(""), None);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn host() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-z0-9.-]{0,20}",
            Just("::1".to_owned()),
            Just("2001:db8::7".to_owned()),
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        ]
    }

    /// How ssh users write a host: brackets when it has a colon.
    fn render_host(h: &str) -> String {
        if h.contains(':') {
            format!("[{h}]")
        } else {
            h.to_owned()
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,64}") {
            let _local = ForwardSpec::parse_local(&s).is_ok();
            let _remote = ForwardSpec::parse_remote(&s).is_ok();
            let _dynamic = ForwardSpec::parse_dynamic(&s).is_ok();
            let _stdio = parse_stdio(&s).is_ok();
        }

        #[test]
        fn rendered_local_specs_parse_back(
            bind in proptest::option::of(host()),
            lport in 1u16..,
            chost in host(),
            cport in 1u16..,
        ) {
            let mut text = String::new();
            if let Some(b) = &bind {
                text.push_str(&render_host(b));
                text.push(':');
            }
            text.push_str(&format!("{lport}:{}:{cport}", render_host(&chost)));
            let parsed = ForwardSpec::parse_local(&text).unwrap();
            prop_assert_eq!(
                parsed,
                local(Listen::Tcp { bind, port: lport }, to(&chost, cport))
            );
        }

        #[test]
        fn rendered_remote_specs_with_any_port_parse_back(
            lport in any::<u16>(),
            chost in host(),
            cport in 1u16..,
        ) {
            let text = format!("{lport}:{}:{cport}", render_host(&chost));
            prop_assert_eq!(
                ForwardSpec::parse_remote(&text).unwrap(),
                remote(tcp(None, lport), to(&chost, cport))
            );
        }
    }
}

#[test]
fn display_is_the_option_and_its_argument() {
    let cases = [
        (
            ForwardSpec::parse_local("8080:localhost:80").unwrap(),
            "-L 8080:localhost:80",
        ),
        (
            ForwardSpec::parse_local("127.0.0.1:8080:[::1]:80").unwrap(),
            "-L 127.0.0.1:8080:[::1]:80",
        ),
        (
            ForwardSpec::parse_remote("0:localhost:22").unwrap(),
            "-R 0:localhost:22",
        ),
        (ForwardSpec::parse_remote("1080").unwrap(), "-R 1080"),
        (
            ForwardSpec::parse_dynamic("[::1]:1080").unwrap(),
            "-D [::1]:1080",
        ),
        (
            ForwardSpec::parse_local("/tmp/a.sock:/tmp/b.sock").unwrap(),
            "-L /tmp/a.sock:/tmp/b.sock",
        ),
    ];
    for (spec, want) in cases {
        assert_eq!(spec.to_string(), want);
    }
}
