//! Tests of the SOCKS4/4a/5 negotiation: byte vectors, refusals, and arbitrary cuts of the input.

use super::*;
use proptest::prelude::*;

fn feed_all(input: &[u8]) -> (Result<Step, ForwardError>, Vec<u8>) {
    let mut s = SocksServer::new();
    let mut out = Vec::new();
    let r = s.feed(input, &mut out);
    (r, out)
}

fn expect_request(input: &[u8]) -> (SocksRequest, Vec<u8>, Vec<u8>) {
    match feed_all(input) {
        (Ok(Step::Request { request, leftover }), out) => (request, leftover, out),
        other => panic!("no request: {other:?}"),
    }
}

// SOCKS4 (the "SOCKS: A protocol for TCP proxy across firewalls" document): CONNECT to
// 66.102.7.99:80 with user id "Fred".
const SOCKS4_CONNECT_FRED: &[u8] = &[
    0x04, 0x01, 0x00, 0x50, 0x42, 0x66, 0x07, 0x63, b'F', b'r', b'e', b'd', 0x00,
];

#[test]
fn socks4_connect_with_user_id() {
    let (req, leftover, out) = expect_request(SOCKS4_CONNECT_FRED);
    assert_eq!(req.version, SocksVersion::V4);
    assert_eq!(req.addr, TargetAddr::Ipv4(Ipv4Addr::new(66, 102, 7, 99)));
    assert_eq!(req.port, 80);
    assert!(leftover.is_empty());
    assert!(out.is_empty());
    assert_eq!(
        req.reply(SocksReply::Succeeded),
        [0x00, 0x5A, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(
        req.reply(SocksReply::ConnectionRefused),
        [0x00, 0x5B, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn socks4a_connect_with_host_name() {
    // DSTIP 0.0.0.1, empty user id, host "example.com".
    let mut input = vec![0x04, 0x01, 0x01, 0xBB, 0, 0, 0, 1, 0x00];
    input.extend_from_slice(b"example.com\0");
    let (req, _, _) = expect_request(&input);
    assert_eq!(req.version, SocksVersion::V4a);
    assert_eq!(req.host(), "example.com");
    assert_eq!(req.port, 443);
}

#[test]
fn socks4_address_zero_is_plain_ipv4() {
    let (req, _, _) = expect_request(&[4, 1, 0, 80, 0, 0, 0, 0, 0]);
    assert_eq!(req.version, SocksVersion::V4);
    assert_eq!(req.host(), "0.0.0.0");
}

#[test]
fn socks4_bind_is_rejected_with_5b() {
    let (r, out) = feed_all(&[4, 2, 0, 80, 1, 2, 3, 4, 0]);
    assert!(matches!(
        r,
        Err(ForwardError::SocksCommandNotSupported { command: 2 })
    ));
    assert_eq!(out, [0x00, 0x5B, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn socks4_user_id_past_its_limit_is_refused() {
    let mut input = vec![4, 1, 0, 80, 1, 2, 3, 4];
    input.extend(std::iter::repeat_n(b'u', MAX_USER_ID + 1));
    let (r, out) = feed_all(&input);
    assert!(matches!(
        r,
        Err(ForwardError::SocksFieldTooLong {
            field: "user id",
            max: MAX_USER_ID
        })
    ));
    assert_eq!(out.get(1), Some(&0x5B));
}

#[test]
fn socks4_user_id_at_its_limit_is_accepted() {
    let mut input = vec![4, 1, 0, 80, 1, 2, 3, 4];
    input.extend(std::iter::repeat_n(b'u', MAX_USER_ID));
    input.push(0);
    let (req, _, _) = expect_request(&input);
    assert_eq!(req.host(), "1.2.3.4");
}

#[test]
fn socks4a_host_past_its_limit_is_refused() {
    let mut input = vec![4, 1, 0, 80, 0, 0, 0, 9, 0];
    input.extend(std::iter::repeat_n(b'h', MAX_HOST + 1));
    let (r, _) = feed_all(&input);
    assert!(matches!(
        r,
        Err(ForwardError::SocksFieldTooLong {
            field: "host name",
            ..
        })
    ));
}

#[test]
fn socks4a_empty_host_is_malformed() {
    let (r, out) = feed_all(&[4, 1, 0, 80, 0, 0, 0, 9, 0, 0]);
    assert!(matches!(r, Err(ForwardError::SocksMalformed { .. })));
    assert_eq!(out, [0, 0x5B, 0, 0, 0, 0, 0, 0]);
}

// RFC 1928 §3 greeting, §4 request, §6 reply.
#[test]
fn socks5_ipv4_connect() {
    let input = [5, 1, 0, 5, 1, 0, 1, 192, 0, 2, 7, 0x1F, 0x90];
    let (req, leftover, out) = expect_request(&input);
    assert_eq!(out, [5, 0]);
    assert_eq!(req.version, SocksVersion::V5);
    assert_eq!(req.addr, TargetAddr::Ipv4(Ipv4Addr::new(192, 0, 2, 7)));
    assert_eq!(req.port, 8080);
    assert!(leftover.is_empty());
}

#[test]
fn socks5_ipv6_connect() {
    let mut input = vec![5, 2, 2, 0, 5, 1, 0, 4];
    input.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
    input.extend_from_slice(&[0, 22]);
    let (req, _, out) = expect_request(&input);
    assert_eq!(out, [5, 0]);
    assert_eq!(req.host(), "::1");
    assert_eq!(req.port, 22);
}

#[test]
fn socks5_domain_connect_keeps_pipelined_data() {
    let mut input = vec![5, 1, 0, 5, 1, 0, 3, 7];
    input.extend_from_slice(b"a.b.com\x00\x50hello");
    let (req, leftover, _) = expect_request(&input);
    assert_eq!(req.addr, TargetAddr::Domain("a.b.com".into()));
    assert_eq!(req.port, 80);
    assert_eq!(leftover, b"hello");
}

#[test]
fn socks5_reply_codes_are_rfc_1928() {
    let (req, _, _) = expect_request(&[5, 1, 0, 5, 1, 0, 1, 1, 2, 3, 4, 0, 1]);
    let codes = [
        (SocksReply::Succeeded, 0),
        (SocksReply::GeneralFailure, 1),
        (SocksReply::NotAllowed, 2),
        (SocksReply::NetworkUnreachable, 3),
        (SocksReply::HostUnreachable, 4),
        (SocksReply::ConnectionRefused, 5),
        (SocksReply::TtlExpired, 6),
        (SocksReply::CommandNotSupported, 7),
        (SocksReply::AddressTypeNotSupported, 8),
    ];
    for (reply, code) in codes {
        assert_eq!(req.reply(reply), [5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
    }
}

#[test]
fn socks5_without_no_auth_method_gets_ff() {
    let (r, out) = feed_all(&[5, 1, 2]);
    assert!(matches!(r, Err(ForwardError::SocksNoAcceptableMethod)));
    assert_eq!(out, [5, 0xFF]);
    let (r, out) = feed_all(&[5, 0]);
    assert!(matches!(r, Err(ForwardError::SocksNoAcceptableMethod)));
    assert_eq!(out, [5, 0xFF]);
}

#[test]
fn socks5_bind_and_udp_get_command_not_supported() {
    for cmd in [2u8, 3, 9] {
        let (r, out) = feed_all(&[5, 1, 0, 5, cmd, 0, 1]);
        assert!(
            matches!(r, Err(ForwardError::SocksCommandNotSupported { command }) if command == cmd)
        );
        assert_eq!(out, [5, 0, 5, 7, 0, 1, 0, 0, 0, 0, 0, 0]);
    }
}

#[test]
fn socks5_unknown_address_type_gets_08() {
    let (r, out) = feed_all(&[5, 1, 0, 5, 1, 0, 2]);
    assert!(matches!(
        r,
        Err(ForwardError::SocksAddressTypeNotSupported { atyp: 2 })
    ));
    assert_eq!(out, [5, 0, 5, 8, 0, 1, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn socks5_nonzero_reserved_byte_is_general_failure() {
    let (r, out) = feed_all(&[5, 1, 0, 5, 1, 1, 1, 1, 2, 3, 4, 0, 1]);
    assert!(matches!(r, Err(ForwardError::SocksMalformed { .. })));
    assert_eq!(out.get(2..4), Some(&[5u8, 1][..]));
}

#[test]
fn socks5_empty_or_non_utf8_domain_is_malformed() {
    for name in [&b""[..], &[0xFF, 0xFE][..], &b"a\0b"[..]] {
        let mut input = vec![5, 1, 0, 5, 1, 0, 3, name.len() as u8];
        input.extend_from_slice(name);
        input.extend_from_slice(&[0, 80]);
        let (r, _) = feed_all(&input);
        assert!(
            matches!(r, Err(ForwardError::SocksMalformed { .. })),
            "{name:?}"
        );
    }
}

#[test]
fn socks5_request_with_wrong_version_is_refused() {
    let (r, out) = feed_all(&[5, 1, 0, 4, 1, 0, 1, 1, 2, 3, 4, 0, 1]);
    assert!(matches!(r, Err(ForwardError::SocksVersion { version: 4 })));
    assert_eq!(out.get(2..4), Some(&[5u8, 1][..]));
}

#[test]
fn unknown_version_closes_without_reply() {
    let (r, out) = feed_all(b"GET / HTTP/1.1\r\n");
    assert!(matches!(
        r,
        Err(ForwardError::SocksVersion { version: b'G' })
    ));
    assert!(out.is_empty());
}

#[test]
fn greeting_reply_goes_out_before_the_request_arrives() {
    let mut s = SocksServer::new();
    let mut out = Vec::new();
    assert_eq!(s.feed(&[5, 1, 0], &mut out).unwrap(), Step::NeedMore);
    assert_eq!(out, [5, 0]);
    out.clear();
    assert_eq!(
        s.feed(&[5, 1, 0, 1, 127, 0], &mut out).unwrap(),
        Step::NeedMore
    );
    let step = s.feed(&[0, 1, 0, 80], &mut out).unwrap();
    assert!(out.is_empty());
    let Step::Request { request, .. } = step else {
        panic!("incomplete")
    };
    assert_eq!(request.host(), "127.0.0.1");
}

#[test]
fn feeding_after_completion_is_an_error() {
    let mut s = SocksServer::new();
    let mut out = Vec::new();
    assert!(matches!(
        s.feed(SOCKS4_CONNECT_FRED, &mut out),
        Ok(Step::Request { .. })
    ));
    assert!(matches!(
        s.feed(b"x", &mut out),
        Err(ForwardError::SocksAlreadyComplete)
    ));
}

#[test]
fn empty_input_needs_more() {
    let (r, out) = feed_all(&[]);
    assert_eq!(r.unwrap(), Step::NeedMore);
    assert!(out.is_empty());
}

/// Feeds `input` in pieces cut at `cuts`, returning the concatenated output and result.
fn feed_split(input: &[u8], cuts: &[usize]) -> (Option<Result<Step, String>>, Vec<u8>) {
    let mut s = SocksServer::new();
    let mut out = Vec::new();
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.push(0);
    points.push(input.len());
    points.sort_unstable();
    for w in points.windows(2) {
        match s.feed(&input[w[0]..w[1]], &mut out) {
            Ok(Step::NeedMore) => {}
            other => return (Some(other.map_err(|e| e.to_string())), out),
        }
    }
    (None, out)
}

proptest! {
    #[test]
    fn any_split_gives_the_same_request_and_output(
        host in "[a-z]{1,40}",
        port in any::<u16>(),
        tail in proptest::collection::vec(any::<u8>(), 0..64),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
        v5 in any::<bool>(),
    ) {
        let mut input = if v5 {
            let mut v = vec![5, 1, 0, 5, 1, 0, 3, host.len() as u8];
            v.extend_from_slice(host.as_bytes());
            v.extend_from_slice(&port.to_be_bytes());
            v
        } else {
            let mut v = vec![4, 1];
            v.extend_from_slice(&port.to_be_bytes());
            v.extend_from_slice(&[0, 0, 0, 1, b'u', 0]);
            v.extend_from_slice(host.as_bytes());
            v.push(0);
            v
        };
        input.extend_from_slice(&tail);
        let (whole, whole_out) = feed_split(&input, &[]);
        let (split, split_out) = feed_split(&input, &cuts);
        prop_assert_eq!(whole_out, split_out);
        let Some(Ok(Step::Request { request, leftover })) = whole else {
            return Err(TestCaseError::fail("no request"));
        };
        prop_assert_eq!(request.host(), host);
        prop_assert_eq!(request.port, port);
        prop_assert_eq!(&leftover, &tail);
        // Split feeding stops at the piece that completed the request: its leftover is the
        // start of the tail.
        let Some(Ok(Step::Request { request: split_request, leftover: split_leftover })) = split else {
            return Err(TestCaseError::fail("no request when split"));
        };
        prop_assert_eq!(split_request, request);
        prop_assert!(tail.starts_with(&split_leftover));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_bounded(
        input in proptest::collection::vec(any::<u8>(), 0..2048),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let (_, out) = feed_split(&input, &cuts);
        prop_assert!(out.len() <= 12);
    }
}
