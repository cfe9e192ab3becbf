//! The protocol version exchange (RFC 4253 §4.2): our identification line and a sans-IO parser
//! for the peer's.
//!
//! Choices, compared with OpenSSH's `kex_exchange_identification`:
//! - The peer's version line must end in CR LF and be at most [`MAX_VERSION_LINE`] bytes
//!   including the CR LF, as RFC 4253 §4.2 says. OpenSSH also takes a bare LF; we do not.
//! - A client accepts up to [`MAX_PRE_BANNER_LINES`] other lines before the server's version
//!   line (OpenSSH allows 1024), each at most [`MAX_PRE_BANNER_LINE`] bytes and ended by LF or
//!   CR LF (RFC 4253 says "SHOULD be terminated by CR LF", so a bare LF is tolerated there).
//!   A server accepts no line before the client's version line, as OpenSSH does.
//! - A NUL byte, or a CR that is not directly followed by LF, is an error in any line.
//! - `SSH-2.0-…` and `SSH-1.99-…` (RFC 4253 §5.1 compatibility) are accepted; the software
//!   version after the second `-` must not be empty.

use core::fmt;

use burrow_wire::Side;
use bytes::{Buf, BytesMut};

/// Longest version line we accept from the peer, counting its CR LF (RFC 4253 §4.2).
pub const MAX_VERSION_LINE: usize = 255;

/// How many lines a client accepts from the server before its version line.
pub const MAX_PRE_BANNER_LINES: usize = 20;

/// Longest line (with its line ending) a client accepts before the server's version line.
pub const MAX_PRE_BANNER_LINE: usize = 1024;

const OUR_VERSION_LINE: &str = concat!("SSH-2.0-burrow_", env!("CARGO_PKG_VERSION"), "\r\n");

/// Our identification line, `SSH-2.0-burrow_<crate version>\r\n`, to send before anything else.
/// Without its CR LF it is V_C or V_S in the exchange hash.
pub fn our_version_line() -> &'static [u8] {
    OUR_VERSION_LINE.as_bytes()
}

/// The peer's version line, as it goes into the exchange hash (V_C or V_S).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerVersion {
    /// The line without its CR LF, e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2`.
    pub line: Vec<u8>,
}

impl PeerVersion {
    /// The software version and comments: what follows `SSH-protoversion-`.
    pub fn software(&self) -> &[u8] {
        // The parser only builds a PeerVersion whose line has two '-' separators.
        let mut parts = self.line.splitn(3, |&b| b == b'-');
        parts.nth(2).unwrap_or(&[])
    }
}

/// What was wrong with the peer's identification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersionError {
    /// A line went on past the limit without a line ending.
    LineTooLong {
        /// The limit for this line, line ending included.
        limit: usize,
    },
    /// The version line ended with a bare LF instead of CR LF.
    MissingCrLf,
    /// A CR was followed by something other than LF.
    StrayCarriageReturn,
    /// A line contained a NUL byte.
    NulInLine,
    /// The version line was not `SSH-protoversion-softwareversion`.
    Malformed {
        /// The line as sent (lossily decoded), without its line ending.
        line: String,
    },
    /// The peer speaks a protocol version other than 2.0 (or 1.99).
    UnsupportedProtocol {
        /// The protoversion field the peer sent.
        version: String,
    },
    /// The server sent more lines than we accept before its version line.
    TooManyPreBannerLines {
        /// How many we accept.
        limit: usize,
    },
    /// The client sent something other than its version line first.
    TextBeforeVersion,
}

impl VersionError {
    /// The reason code for a DISCONNECT (or the text reply) to this error.
    pub fn disconnect_reason(&self) -> burrow_wire::DisconnectReason {
        use burrow_wire::DisconnectReason as R;
        match self {
            Self::UnsupportedProtocol { .. } => R::ProtocolVersionNotSupported,
            Self::LineTooLong { .. }
            | Self::MissingCrLf
            | Self::StrayCarriageReturn
            | Self::NulInLine
            | Self::Malformed { .. }
            | Self::TooManyPreBannerLines { .. }
            | Self::TextBeforeVersion => R::ProtocolError,
        }
    }
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LineTooLong { limit } => {
                write!(
                    f,
                    "peer sent an identification line longer than {limit} bytes"
                )
            }
            Self::MissingCrLf => f.write_str("peer's version line ends in LF without CR"),
            Self::StrayCarriageReturn => {
                f.write_str("peer's identification line has a CR not followed by LF")
            }
            Self::NulInLine => f.write_str("peer's identification line contains a NUL byte"),
            Self::Malformed { line } => write!(f, "peer sent a malformed version line {line:?}"),
            Self::UnsupportedProtocol { version } => {
                write!(f, "peer speaks protocol version {version:?}, not 2.0")
            }
            Self::TooManyPreBannerLines { limit } => {
                write!(
                    f,
                    "server sent more than {limit} lines before its version line"
                )
            }
            Self::TextBeforeVersion => f.write_str("client sent text before its version line"),
        }
    }
}

impl std::error::Error for VersionError {}

/// Sans-IO parser of the peer's identification: feed it the start of the byte stream until it
/// returns the peer's version line.
#[derive(Debug, Clone)]
pub struct VersionExchange {
    side: Side,
    lines_skipped: usize,
    done: bool,
}

impl VersionExchange {
    /// A parser for `side` (our side): a client reads the server's line, and may skip
    /// pre-banner lines; a server reads the client's.
    pub fn new(side: Side) -> Self {
        Self {
            side,
            lines_skipped: 0,
            done: false,
        }
    }

    /// Consumes bytes from the front of `input` up to and including the peer's version line and
    /// returns it; bytes after it (the first packets) stay in `input`. Returns `Ok(None)` when
    /// more input is needed; what was consumed so far was only whole pre-banner lines. Once it
    /// has returned the version it consumes nothing and returns `Ok(None)`.
    pub fn feed(&mut self, input: &mut BytesMut) -> Result<Option<PeerVersion>, VersionError> {
        while !self.done {
            let starts_like_version = starts_like_version(input);
            // A server rejects a first line that cannot be a version line as soon as it shows.
            if self.side == Side::Server && !starts_like_version {
                return Err(VersionError::TextBeforeVersion);
            }
            let limit = if could_be_version(input) {
                MAX_VERSION_LINE
            } else {
                MAX_PRE_BANNER_LINE
            };
            let Some(newline) = input.iter().take(limit).position(|&b| b == b'\n') else {
                if input.len() >= limit {
                    return Err(VersionError::LineTooLong { limit });
                }
                check_partial_line(input)?;
                return Ok(None);
            };
            let (line, had_cr) = split_line(input, newline)?;
            if line.starts_with(b"SSH-") {
                if !had_cr {
                    return Err(VersionError::MissingCrLf);
                }
                let peer = parse_version_line(line)?;
                input.advance(newline + 1);
                self.done = true;
                return Ok(Some(peer));
            }
            if self.lines_skipped >= MAX_PRE_BANNER_LINES {
                return Err(VersionError::TooManyPreBannerLines {
                    limit: MAX_PRE_BANNER_LINES,
                });
            }
            self.lines_skipped += 1;
            input.advance(newline + 1);
        }
        Ok(None)
    }
}

/// True if `input` might still begin with `SSH-` (it is a prefix of it or starts with it).
fn starts_like_version(input: &[u8]) -> bool {
    let n = input.len().min(4);
    input.get(..n) == b"SSH-".get(..n)
}

/// True if the current line is (or may become) a version line, so the tighter limit applies.
fn could_be_version(input: &[u8]) -> bool {
    input.starts_with(b"SSH-") || (input.len() < 4 && starts_like_version(input))
}

/// Rejects a NUL or a stray CR in an incomplete line early.
fn check_partial_line(input: &[u8]) -> Result<(), VersionError> {
    if input.contains(&0) {
        return Err(VersionError::NulInLine);
    }
    let body = match input.last() {
        Some(b'\r') => input.get(..input.len() - 1).unwrap_or(&[]),
        _ => input,
    };
    if body.contains(&b'\r') {
        return Err(VersionError::StrayCarriageReturn);
    }
    Ok(())
}

/// The line before `input[newline]` without its line ending, and whether it ended in CR LF.
fn split_line(input: &[u8], newline: usize) -> Result<(&[u8], bool), VersionError> {
    let line = input.get(..newline).unwrap_or(&[]);
    let (line, had_cr) = match line.split_last() {
        Some((b'\r', body)) => (body, true),
        _ => (line, false),
    };
    if line.contains(&0) {
        return Err(VersionError::NulInLine);
    }
    if line.contains(&b'\r') {
        return Err(VersionError::StrayCarriageReturn);
    }
    Ok((line, had_cr))
}

/// Checks `SSH-protoversion-softwareversion [SP comments]` and the protocol version.
fn parse_version_line(line: &[u8]) -> Result<PeerVersion, VersionError> {
    let malformed = || VersionError::Malformed {
        line: String::from_utf8_lossy(line).into_owned(),
    };
    let rest = line.strip_prefix(b"SSH-").ok_or_else(malformed)?;
    let dash = rest.iter().position(|&b| b == b'-').ok_or_else(malformed)?;
    let (proto, software) = rest.split_at(dash);
    let software = software.get(1..).unwrap_or(&[]);
    if proto.is_empty() || software.is_empty() || software.first() == Some(&b' ') {
        return Err(malformed());
    }
    if proto != b"2.0" && proto != b"1.99" {
        return Err(VersionError::UnsupportedProtocol {
            version: String::from_utf8_lossy(proto).into_owned(),
        });
    }
    Ok(PeerVersion {
        line: line.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(side: Side, bytes: &[u8]) -> (Result<Option<PeerVersion>, VersionError>, BytesMut) {
        let mut input = BytesMut::from(bytes);
        let r = VersionExchange::new(side).feed(&mut input);
        (r, input)
    }

    #[test]
    fn our_line_is_ssh_2_0_burrow_with_crlf() {
        let line = our_version_line();
        assert!(line.starts_with(b"SSH-2.0-burrow_"));
        assert!(line.ends_with(b"\r\n"));
        assert!(line.len() <= MAX_VERSION_LINE);
        let (r, rest) = feed_all(Side::Server, line);
        assert_eq!(r.unwrap().unwrap().line, &line[..line.len() - 2]);
        assert!(rest.is_empty());
    }

    #[test]
    fn version_line_is_consumed_and_packets_after_it_stay() {
        let (r, rest) = feed_all(
            Side::Client,
            b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\0\0\0\x0c",
        );
        let v = r.unwrap().unwrap();
        assert_eq!(v.line, b"SSH-2.0-OpenSSH_9.2p1 Debian-2");
        assert_eq!(v.software(), b"OpenSSH_9.2p1 Debian-2");
        assert_eq!(&rest[..], b"\0\0\0\x0c");
    }

    #[test]
    fn one_point_nine_nine_is_accepted_as_2_0() {
        let (r, _) = feed_all(Side::Server, b"SSH-1.99-Old\r\n");
        assert_eq!(r.unwrap().unwrap().line, b"SSH-1.99-Old");
    }

    #[test]
    fn protocol_1_5_is_unsupported() {
        let (r, _) = feed_all(Side::Client, b"SSH-1.5-Old\r\n");
        let e = r.unwrap_err();
        assert_eq!(
            e,
            VersionError::UnsupportedProtocol {
                version: "1.5".into()
            }
        );
        assert_eq!(
            e.disconnect_reason(),
            burrow_wire::DisconnectReason::ProtocolVersionNotSupported
        );
    }

    #[test]
    fn empty_software_version_is_malformed() {
        for line in [
            &b"SSH-2.0-\r\n"[..],
            b"SSH-2.0\r\n",
            b"SSH--x\r\n",
            b"SSH-2.0- x\r\n",
        ] {
            let (r, _) = feed_all(Side::Server, line);
            assert!(matches!(r, Err(VersionError::Malformed { .. })), "{line:?}");
        }
    }

    #[test]
    fn bare_lf_after_version_is_missing_crlf() {
        let (r, _) = feed_all(Side::Client, b"SSH-2.0-x\n");
        assert_eq!(r.unwrap_err(), VersionError::MissingCrLf);
    }

    #[test]
    fn client_skips_pre_banner_lines_with_lf_or_crlf() {
        let (r, rest) = feed_all(Side::Client, b"hello\r\nworld\nSSH-2.0-srv\r\nX");
        assert_eq!(r.unwrap().unwrap().line, b"SSH-2.0-srv");
        assert_eq!(&rest[..], b"X");
    }

    #[test]
    fn client_accepts_exactly_the_limit_of_pre_banner_lines() {
        let mut bytes = b"banner\r\n".repeat(MAX_PRE_BANNER_LINES);
        bytes.extend_from_slice(b"SSH-2.0-srv\r\n");
        assert!(feed_all(Side::Client, &bytes).0.unwrap().is_some());
        let mut bytes = b"banner\r\n".repeat(MAX_PRE_BANNER_LINES + 1);
        bytes.extend_from_slice(b"SSH-2.0-srv\r\n");
        assert_eq!(
            feed_all(Side::Client, &bytes).0.unwrap_err(),
            VersionError::TooManyPreBannerLines {
                limit: MAX_PRE_BANNER_LINES
            }
        );
    }

    #[test]
    fn server_rejects_any_line_before_version() {
        let (r, _) = feed_all(Side::Server, b"GET / HTTP/1.1\r\n");
        assert_eq!(r.unwrap_err(), VersionError::TextBeforeVersion);
        // Detected from the first byte that cannot start "SSH-".
        let (r, _) = feed_all(Side::Server, b"SX");
        assert_eq!(r.unwrap_err(), VersionError::TextBeforeVersion);
        let (r, _) = feed_all(Side::Server, b"SS");
        assert_eq!(r.unwrap(), None);
    }

    #[test]
    fn version_line_of_255_bytes_with_crlf_is_accepted_and_256_is_not() {
        let mut line = b"SSH-2.0-".to_vec();
        line.resize(MAX_VERSION_LINE - 2, b'a');
        line.extend_from_slice(b"\r\n");
        assert_eq!(line.len(), 255);
        assert!(feed_all(Side::Server, &line).0.unwrap().is_some());
        line.insert(10, b'a');
        assert_eq!(
            feed_all(Side::Server, &line).0.unwrap_err(),
            VersionError::LineTooLong {
                limit: MAX_VERSION_LINE
            }
        );
    }

    #[test]
    fn endless_version_line_is_rejected_at_the_limit_without_newline() {
        let mut line = b"SSH-2.0-".to_vec();
        line.resize(MAX_VERSION_LINE, b'a');
        assert!(matches!(
            feed_all(Side::Client, &line).0,
            Err(VersionError::LineTooLong { limit: 255 })
        ));
        line.truncate(MAX_VERSION_LINE - 1);
        assert_eq!(feed_all(Side::Client, &line).0, Ok(None));
    }

    #[test]
    fn long_pre_banner_line_is_rejected() {
        let line = vec![b'x'; MAX_PRE_BANNER_LINE];
        assert_eq!(
            feed_all(Side::Client, &line).0.unwrap_err(),
            VersionError::LineTooLong {
                limit: MAX_PRE_BANNER_LINE
            }
        );
    }

    #[test]
    fn nul_and_stray_cr_are_rejected() {
        assert_eq!(
            feed_all(Side::Client, b"SSH-2.0-a\0b\r\n").0.unwrap_err(),
            VersionError::NulInLine
        );
        assert_eq!(
            feed_all(Side::Client, b"ban\0ner\n").0.unwrap_err(),
            VersionError::NulInLine
        );
        assert_eq!(
            feed_all(Side::Client, b"SSH-2.0-a\rb\r\n").0.unwrap_err(),
            VersionError::StrayCarriageReturn
        );
        assert_eq!(
            feed_all(Side::Client, b"SSH-2.0-a\rb").0.unwrap_err(),
            VersionError::StrayCarriageReturn
        );
    }

    #[test]
    fn byte_by_byte_feeding_gives_the_same_result() {
        let stream = b"motd line\r\nSSH-2.0-OpenSSH_9.2\r\nrest";
        let mut vx = VersionExchange::new(Side::Client);
        let mut input = BytesMut::new();
        let mut found = None;
        for &b in stream {
            input.extend_from_slice(&[b]);
            if let Some(v) = vx.feed(&mut input).unwrap() {
                found = Some(v);
            }
        }
        assert_eq!(found.unwrap().line, b"SSH-2.0-OpenSSH_9.2");
        assert_eq!(&input[..], b"rest");
        assert_eq!(vx.feed(&mut input), Ok(None));
        assert_eq!(&input[..], b"rest");
    }

    #[test]
    fn errors_display_lowercase_with_numbers() {
        let e = VersionError::LineTooLong { limit: 255 };
        assert_eq!(
            e.to_string(),
            "peer sent an identification line longer than 255 bytes"
        );
    }
}
