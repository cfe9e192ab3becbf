//! Sans-IO SOCKS4, SOCKS4a and SOCKS5 (RFC 1928, "no authentication" only) server
//! negotiation for dynamic forwarding: bytes in, a CONNECT request and reply bytes out.
//!
//! ```
//! use burrow_forward::socks::{SocksServer, SocksReply, Step};
//! let mut server = SocksServer::new();
//! let mut out = Vec::new();
//! // A SOCKS5 client: greeting, then CONNECT example.com:80, then early data.
//! let mut input = vec![5, 1, 0, 5, 1, 0, 3, 11];
//! input.extend_from_slice(b"example.com");
//! input.extend_from_slice(&[0, 80]);
//! input.extend_from_slice(b"GET /");
//! let Step::Request { request, leftover } = server.feed(&input, &mut out)? else {
//!     unreachable!("the request was complete");
//! };
//! assert_eq!(out, [5, 0]); // method selection: no authentication
//! assert_eq!((request.host().as_str(), request.port), ("example.com", 80));
//! assert_eq!(leftover, b"GET /");
//! // Once the channel is open (or failed), send the reply:
//! assert_eq!(request.reply(SocksReply::Succeeded), [5, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
//! # Ok::<(), burrow_forward::ForwardError>(())
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::ForwardError;

/// Longest SOCKS4 user id we accept, without its NUL.
pub const MAX_USER_ID: usize = 255;
/// Longest SOCKS4a host name we accept, without its NUL (SOCKS5 names are at most 255 by
/// their one-byte length).
pub const MAX_HOST: usize = 255;

const SOCKS4_CONNECT: u8 = 1;
const SOCKS4_GRANTED: u8 = 0x5A;
const SOCKS4_REJECTED: u8 = 0x5B;
const SOCKS5_NO_AUTH: u8 = 0x00;
const SOCKS5_NO_ACCEPTABLE: u8 = 0xFF;
const SOCKS5_CONNECT: u8 = 1;
const ATYP_IPV4: u8 = 1;
const ATYP_DOMAIN: u8 = 3;
const ATYP_IPV6: u8 = 4;

/// The protocol a request came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocksVersion {
    /// SOCKS4 with an IPv4 address.
    V4,
    /// SOCKS4a with a host name.
    V4a,
    /// SOCKS5.
    V5,
}

/// The destination of a CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetAddr {
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
    /// A host name, to be resolved by the SSH server.
    Domain(String),
}

impl std::fmt::Display for TargetAddr {
    /// The host as it goes into a direct-tcpip request (addresses without brackets).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetAddr::Ipv4(a) => a.fmt(f),
            TargetAddr::Ipv6(a) => a.fmt(f),
            TargetAddr::Domain(d) => f.write_str(d),
        }
    }
}

/// The outcome to report to the SOCKS client (RFC 1928 §6 REP values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocksReply {
    /// 0x00 succeeded (SOCKS4: 0x5A granted).
    Succeeded,
    /// 0x01 general SOCKS server failure.
    GeneralFailure,
    /// 0x02 connection not allowed by ruleset (e.g. administratively prohibited).
    NotAllowed,
    /// 0x03 network unreachable.
    NetworkUnreachable,
    /// 0x04 host unreachable.
    HostUnreachable,
    /// 0x05 connection refused (e.g. the server's connect failed).
    ConnectionRefused,
    /// 0x06 TTL expired (e.g. a timeout).
    TtlExpired,
    /// 0x07 command not supported.
    CommandNotSupported,
    /// 0x08 address type not supported.
    AddressTypeNotSupported,
}

impl SocksReply {
    /// The SOCKS5 REP byte.
    pub fn socks5_code(self) -> u8 {
        match self {
            SocksReply::Succeeded => 0x00,
            SocksReply::GeneralFailure => 0x01,
            SocksReply::NotAllowed => 0x02,
            SocksReply::NetworkUnreachable => 0x03,
            SocksReply::HostUnreachable => 0x04,
            SocksReply::ConnectionRefused => 0x05,
            SocksReply::TtlExpired => 0x06,
            SocksReply::CommandNotSupported => 0x07,
            SocksReply::AddressTypeNotSupported => 0x08,
        }
    }

    /// The SOCKS4 CD byte: 0x5A granted, 0x5B for every failure.
    pub fn socks4_code(self) -> u8 {
        match self {
            SocksReply::Succeeded => SOCKS4_GRANTED,
            _ => SOCKS4_REJECTED,
        }
    }
}

/// A complete CONNECT request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocksRequest {
    /// The protocol it came in, which decides the reply format.
    pub version: SocksVersion,
    /// The destination.
    pub addr: TargetAddr,
    /// The destination port.
    pub port: u16,
}

impl SocksRequest {
    /// The destination host as a string for a direct-tcpip channel.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The exact reply bytes to send (bound address 0.0.0.0 port 0).
    pub fn reply(&self, reply: SocksReply) -> Vec<u8> {
        match self.version {
            SocksVersion::V4 | SocksVersion::V4a => socks4_reply(reply),
            SocksVersion::V5 => socks5_reply(reply),
        }
    }
}

fn socks4_reply(reply: SocksReply) -> Vec<u8> {
    vec![0, reply.socks4_code(), 0, 0, 0, 0, 0, 0]
}

fn socks5_reply(reply: SocksReply) -> Vec<u8> {
    vec![5, reply.socks5_code(), 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0]
}

/// What `feed` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The request is not complete yet: send what was appended to `out`, then feed more.
    NeedMore,
    /// The request is complete.
    Request {
        /// The request.
        request: SocksRequest,
        /// Bytes the client sent after the request (pipelined data for the target).
        leftover: Vec<u8>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the first message (SOCKS4 request or SOCKS5 greeting).
    Start,
    /// SOCKS5 method chosen, waiting for the request.
    Socks5Request,
    /// A request was returned, or the negotiation failed.
    Done,
}

/// One client's negotiation. Buffers at most one incomplete message (≤ 520 bytes).
#[derive(Debug)]
pub struct SocksServer {
    buf: Vec<u8>,
    state: State,
}

impl Default for SocksServer {
    fn default() -> Self {
        Self::new()
    }
}

/// A failed negotiation: the error and the reply to send before closing, if any.
type Failure = (ForwardError, Option<Vec<u8>>);
/// A parse outcome before the buffer is consumed: `None` means incomplete, else the value
/// and the bytes it used.
type Parsed<T> = Result<Option<(T, usize)>, Failure>;

impl SocksServer {
    /// A negotiation waiting for the client's first byte.
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            state: State::Start,
        }
    }

    /// Feeds bytes from the client. Bytes to send back are appended to `out`, also on
    /// error (then send them and close the connection).
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<Step, ForwardError> {
        if self.state == State::Done {
            return Err(ForwardError::SocksAlreadyComplete);
        }
        self.buf.extend_from_slice(input);
        match self.advance(out) {
            Ok(step) => Ok(step),
            Err((err, reply)) => {
                self.state = State::Done;
                self.buf = Vec::new();
                if let Some(reply) = reply {
                    out.extend_from_slice(&reply);
                }
                Err(err)
            }
        }
    }

    fn advance(&mut self, out: &mut Vec<u8>) -> Result<Step, Failure> {
        if self.state == State::Start {
            match self.buf.first() {
                None => return Ok(Step::NeedMore),
                Some(4) => return self.finish(parse_socks4(&self.buf)?),
                Some(5) => match parse_greeting(&self.buf)? {
                    None => return Ok(Step::NeedMore),
                    Some(((), used)) => {
                        self.buf.drain(..used);
                        out.extend_from_slice(&[5, SOCKS5_NO_AUTH]);
                        self.state = State::Socks5Request;
                    }
                },
                Some(&version) => return Err((ForwardError::SocksVersion { version }, None)),
            }
        }
        self.finish(parse_socks5_request(&self.buf)?)
    }

    fn finish(&mut self, parsed: Option<(SocksRequest, usize)>) -> Result<Step, Failure> {
        let Some((request, used)) = parsed else {
            return Ok(Step::NeedMore);
        };
        self.state = State::Done;
        let mut buf = std::mem::take(&mut self.buf);
        let leftover = buf.split_off(used.min(buf.len()));
        Ok(Step::Request { request, leftover })
    }
}

/// Finds a NUL-terminated field starting at `at`; `Ok(None)` if it is incomplete.
fn nul_field(buf: &[u8], at: usize, max: usize, field: &'static str) -> Parsed<Vec<u8>> {
    let rest = buf.get(at..).unwrap_or_default();
    match rest.iter().take(max + 1).position(|&b| b == 0) {
        Some(n) => Ok(Some((
            rest.get(..n).unwrap_or_default().to_vec(),
            at + n + 1,
        ))),
        None if rest.len() > max => Err((
            ForwardError::SocksFieldTooLong { field, max },
            Some(socks4_reply(SocksReply::GeneralFailure)),
        )),
        None => Ok(None),
    }
}

/// SOCKS4/4a: VN CD DSTPORT(2) DSTIP(4) USERID NUL [HOST NUL].
fn parse_socks4(buf: &[u8]) -> Parsed<SocksRequest> {
    let reject = |err| Err((err, Some(socks4_reply(SocksReply::GeneralFailure))));
    match buf.get(1) {
        None => return Ok(None),
        Some(&SOCKS4_CONNECT) => {}
        Some(&command) => return reject(ForwardError::SocksCommandNotSupported { command }),
    }
    let Some(&[_, _, p1, p2, a, b, c, d]) = buf.get(..8) else {
        return Ok(None);
    };
    let port = u16::from_be_bytes([p1, p2]);
    let ip = Ipv4Addr::new(a, b, c, d);
    let Some((_user, after_user)) = nul_field(buf, 8, MAX_USER_ID, "user id")? else {
        return Ok(None);
    };
    let [0, 0, 0, last] = ip.octets() else {
        return Ok(Some((
            request(SocksVersion::V4, TargetAddr::Ipv4(ip), port),
            after_user,
        )));
    };
    if last == 0 {
        return Ok(Some((
            request(SocksVersion::V4, TargetAddr::Ipv4(ip), port),
            after_user,
        )));
    }
    let Some((host, end)) = nul_field(buf, after_user, MAX_HOST, "host name")? else {
        return Ok(None);
    };
    match domain(host) {
        Some(name) => Ok(Some((request(SocksVersion::V4a, name, port), end))),
        None => reject(ForwardError::SocksMalformed { field: "host name" }),
    }
}

fn request(version: SocksVersion, addr: TargetAddr, port: u16) -> SocksRequest {
    SocksRequest {
        version,
        addr,
        port,
    }
}

/// A host name: non-empty UTF-8 without NUL.
fn domain(bytes: Vec<u8>) -> Option<TargetAddr> {
    if bytes.is_empty() || bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok().map(TargetAddr::Domain)
}

/// SOCKS5 greeting: VER NMETHODS METHODS; we need "no authentication" (0x00).
fn parse_greeting(buf: &[u8]) -> Parsed<()> {
    let Some(&n) = buf.get(1) else {
        return Ok(None);
    };
    let end = 2 + usize::from(n);
    let Some(methods) = buf.get(2..end) else {
        return Ok(None);
    };
    if methods.contains(&SOCKS5_NO_AUTH) {
        Ok(Some(((), end)))
    } else {
        Err((
            ForwardError::SocksNoAcceptableMethod,
            Some(vec![5, SOCKS5_NO_ACCEPTABLE]),
        ))
    }
}

/// SOCKS5 request: VER CMD RSV ATYP DST.ADDR DST.PORT.
fn parse_socks5_request(buf: &[u8]) -> Parsed<SocksRequest> {
    let fail = |err, reply| Err((err, Some(socks5_reply(reply))));
    let Some(&[version, command, reserved, atyp]) = buf.get(..4) else {
        return Ok(None);
    };
    if version != 5 {
        return fail(
            ForwardError::SocksVersion { version },
            SocksReply::GeneralFailure,
        );
    }
    if command != SOCKS5_CONNECT {
        return fail(
            ForwardError::SocksCommandNotSupported { command },
            SocksReply::CommandNotSupported,
        );
    }
    if reserved != 0 {
        return fail(
            ForwardError::SocksMalformed {
                field: "reserved byte",
            },
            SocksReply::GeneralFailure,
        );
    }
    let (addr_start, addr_len) = match atyp {
        ATYP_IPV4 => (4, 4),
        ATYP_IPV6 => (4, 16),
        ATYP_DOMAIN => match buf.get(4) {
            None => return Ok(None),
            Some(&len) => (5, usize::from(len)),
        },
        _ => {
            return fail(
                ForwardError::SocksAddressTypeNotSupported { atyp },
                SocksReply::AddressTypeNotSupported,
            );
        }
    };
    let addr_end = addr_start + addr_len;
    let (Some(raw), Some(&[hi, lo])) = (
        buf.get(addr_start..addr_end),
        buf.get(addr_end..addr_end + 2),
    ) else {
        return Ok(None);
    };
    let addr = match atyp {
        ATYP_IPV4 => <[u8; 4]>::try_from(raw)
            .ok()
            .map(|a| TargetAddr::Ipv4(a.into())),
        ATYP_IPV6 => <[u8; 16]>::try_from(raw)
            .ok()
            .map(|a| TargetAddr::Ipv6(a.into())),
        _ => domain(raw.to_vec()),
    };
    match addr {
        Some(addr) => Ok(Some((
            request(SocksVersion::V5, addr, u16::from_be_bytes([hi, lo])),
            addr_end + 2,
        ))),
        None => fail(
            ForwardError::SocksMalformed { field: "host name" },
            SocksReply::GeneralFailure,
        ),
    }
}

#[cfg(test)]
#[path = "socks_tests.rs"]
mod tests;
