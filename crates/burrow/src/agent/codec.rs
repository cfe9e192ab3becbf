//! The ssh-agent protocol codec (draft-miller-ssh-agent): requests we send, replies we read,
//! framed as `uint32 length || body`, with every length and count bounded.
//!
//! Sans-IO: the socket is [`Agent`](super::Agent)'s; this module only turns requests into bytes
//! and bytes into replies.

use core::fmt;

use burrow_userauth::Identity;
use burrow_wire::{DecodeError, Reader, Writer};
use bytes::{Buf as _, Bytes, BytesMut};

/// SSH_AGENT_FAILURE.
pub const AGENT_FAILURE: u8 = 5;
/// SSH_AGENT_SUCCESS.
pub const AGENT_SUCCESS: u8 = 6;
/// SSH2_AGENTC_REQUEST_IDENTITIES.
pub const AGENTC_REQUEST_IDENTITIES: u8 = 11;
/// SSH2_AGENT_IDENTITIES_ANSWER.
pub const AGENT_IDENTITIES_ANSWER: u8 = 12;
/// SSH2_AGENTC_SIGN_REQUEST.
pub const AGENTC_SIGN_REQUEST: u8 = 13;
/// SSH2_AGENT_SIGN_RESPONSE.
pub const AGENT_SIGN_RESPONSE: u8 = 14;
/// SSH2_AGENT_FAILURE (old code some agents still send; OpenSSH treats it as failure).
pub const AGENT2_FAILURE: u8 = 30;
/// SSH_COM_AGENT2_FAILURE (likewise).
pub const COM_AGENT2_FAILURE: u8 = 102;

/// Longest agent message accepted (OpenSSH's AGENT_MAX_LEN, 256 KiB).
pub const MAX_AGENT_FRAME: usize = 256 * 1024;
/// Most identities accepted in one IDENTITIES_ANSWER (OpenSSH's MAX_AGENT_IDENTITIES).
pub const MAX_AGENT_IDENTITIES: u32 = 2048;

/// A reply the agent should not have sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AgentProtocolError {
    /// The agent's reply frame is longer than allowed.
    FrameTooLong {
        /// The length the agent announced.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The agent's reply did not decode.
    Decode(DecodeError),
    /// The agent listed more identities than allowed.
    TooManyIdentities {
        /// The count the agent announced.
        count: u32,
        /// The limit.
        limit: u32,
    },
    /// The agent replied with a message number that does not answer our request.
    UnexpectedReply {
        /// The message number received.
        number: u8,
    },
    /// The agent answered SSH_AGENT_FAILURE.
    Refused,
}

impl fmt::Display for AgentProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FrameTooLong { len, limit } => {
                write!(f, "agent sent a {len}-byte message, limit {limit}")
            }
            Self::Decode(e) => write!(f, "agent sent a malformed reply: {e}"),
            Self::TooManyIdentities { count, limit } => {
                write!(f, "agent listed {count} identities, limit {limit}")
            }
            Self::UnexpectedReply { number } => write!(f, "agent replied with message {number}"),
            Self::Refused => f.write_str("agent refused the operation"),
        }
    }
}

impl std::error::Error for AgentProtocolError {}

/// One key the agent holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentIdentity {
    /// The public key blob (`string algorithm || ...`).
    pub key_blob: Vec<u8>,
    /// The comment the key was added with (lossily decoded if not UTF-8).
    pub comment: String,
}

/// Which request a reply answers; decides how the reply is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentRequestKind {
    /// REQUEST_IDENTITIES: expects IDENTITIES_ANSWER.
    Identities,
    /// SIGN_REQUEST: expects SIGN_RESPONSE.
    Sign,
}

/// A decoded agent reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentReply {
    /// SSH2_AGENT_IDENTITIES_ANSWER.
    Identities(Vec<AgentIdentity>),
    /// SSH2_AGENT_SIGN_RESPONSE: the signature blob (`string algorithm || string sig`).
    Signature(Vec<u8>),
}

/// SSH_AGENT_RSA_SHA2_256: sign with rsa-sha2-256.
pub const AGENT_RSA_SHA2_256: u32 = 2;
/// SSH_AGENT_RSA_SHA2_512: sign with rsa-sha2-512.
pub const AGENT_RSA_SHA2_512: u32 = 4;

/// The agent's keys as client identities, in the agent's order; keys of types burrow does
/// not implement (and blobs that do not decode) are left out.
pub fn identities(identities: &[AgentIdentity]) -> Vec<Identity> {
    identities
        .iter()
        .filter_map(|id| burrow_keys::PublicKey::from_blob(&id.key_blob).ok())
        .map(Identity::External)
        .collect()
}

/// The SIGN_REQUEST flags that ask the agent for `algorithm` (SHA-2 flags for RSA).
pub fn sign_flags(algorithm: burrow_keys::SigAlg) -> u32 {
    match algorithm {
        burrow_keys::SigAlg::RsaSha256 => AGENT_RSA_SHA2_256,
        burrow_keys::SigAlg::RsaSha512 => AGENT_RSA_SHA2_512,
        _ => 0,
    }
}

/// A framed SSH2_AGENTC_REQUEST_IDENTITIES.
pub fn request_identities() -> Vec<u8> {
    frame(|w| {
        w.byte(AGENTC_REQUEST_IDENTITIES);
    })
}

/// A framed SSH2_AGENTC_SIGN_REQUEST for `data` with the key `key_blob` and `flags`
/// (see [`sign_flags`]).
pub fn sign_request(key_blob: &[u8], data: &[u8], flags: u32) -> Vec<u8> {
    frame(|w| {
        w.byte(AGENTC_SIGN_REQUEST)
            .string(key_blob)
            .string(data)
            .uint32(flags);
    })
}

/// A framed IDENTITIES_ANSWER, as an agent would send it (for fake agents in tests).
pub fn identities_answer(identities: &[AgentIdentity]) -> Vec<u8> {
    frame(|w| {
        w.byte(AGENT_IDENTITIES_ANSWER)
            .uint32(u32::try_from(identities.len()).unwrap_or(u32::MAX));
        for id in identities {
            w.string(&id.key_blob).utf8(&id.comment);
        }
    })
}

/// A framed SIGN_RESPONSE, as an agent would send it.
pub fn sign_response(signature_blob: &[u8]) -> Vec<u8> {
    frame(|w| {
        w.byte(AGENT_SIGN_RESPONSE).string(signature_blob);
    })
}

/// A framed SSH_AGENT_FAILURE.
pub fn failure() -> Vec<u8> {
    frame(|w| {
        w.byte(AGENT_FAILURE);
    })
}

fn frame(body: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
    let mut buf = BytesMut::new();
    let mut w = Writer::new(&mut buf);
    w.uint32(0);
    body(&mut w);
    let len = u32::try_from(buf.len().saturating_sub(4)).unwrap_or(u32::MAX);
    if let Some(head) = buf.get_mut(..4) {
        head.copy_from_slice(&len.to_be_bytes());
    }
    buf.to_vec()
}

/// Splits one complete message body off the front of `input`, or returns `None` if more bytes
/// are needed. A length over [`MAX_AGENT_FRAME`] (or zero) is an error before anything is
/// buffered for it.
pub fn take_frame(input: &mut BytesMut) -> Result<Option<Bytes>, AgentProtocolError> {
    let Some(head) = input.get(..4) else {
        return Ok(None);
    };
    let mut len_bytes = [0u8; 4];
    len_bytes.copy_from_slice(head);
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).unwrap_or(usize::MAX);
    if len == 0 || len > MAX_AGENT_FRAME {
        return Err(AgentProtocolError::FrameTooLong {
            len,
            limit: MAX_AGENT_FRAME,
        });
    }
    if input.len() < 4 + len {
        return Ok(None);
    }
    input.advance(4);
    Ok(Some(input.split_to(len).freeze()))
}

/// Decodes one reply body (as returned by [`take_frame`]) to the request `kind`.
/// SSH_AGENT_FAILURE (and its old variants) is [`AgentProtocolError::Refused`].
pub fn decode_reply(body: &[u8], kind: AgentRequestKind) -> Result<AgentReply, AgentProtocolError> {
    let mut r = Reader::new(body);
    let number = r.byte("agent reply").map_err(AgentProtocolError::Decode)?;
    match (number, kind) {
        (AGENT_FAILURE | AGENT2_FAILURE | COM_AGENT2_FAILURE, _) => {
            Err(AgentProtocolError::Refused)
        }
        (AGENT_IDENTITIES_ANSWER, AgentRequestKind::Identities) => {
            decode_identities(r).map(AgentReply::Identities)
        }
        (AGENT_SIGN_RESPONSE, AgentRequestKind::Sign) => {
            let sig = r
                .string("SIGN_RESPONSE.signature")
                .map_err(AgentProtocolError::Decode)?;
            r.finish("SIGN_RESPONSE")
                .map_err(AgentProtocolError::Decode)?;
            Ok(AgentReply::Signature(sig.to_vec()))
        }
        (number, _) => Err(AgentProtocolError::UnexpectedReply { number }),
    }
}

fn decode_identities(mut r: Reader<'_>) -> Result<Vec<AgentIdentity>, AgentProtocolError> {
    let count = r
        .uint32("IDENTITIES_ANSWER.nkeys")
        .map_err(AgentProtocolError::Decode)?;
    if count > MAX_AGENT_IDENTITIES {
        return Err(AgentProtocolError::TooManyIdentities {
            count,
            limit: MAX_AGENT_IDENTITIES,
        });
    }
    // Each identity takes at least 8 bytes (two empty strings): never reserve past the input.
    let fits = r.remaining() / 8;
    let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0).min(fits));
    for _ in 0..count {
        let key_blob = r
            .string("IDENTITIES_ANSWER.key_blob")
            .map_err(AgentProtocolError::Decode)?;
        let comment = r
            .string("IDENTITIES_ANSWER.comment")
            .map_err(AgentProtocolError::Decode)?;
        out.push(AgentIdentity {
            key_blob: key_blob.to_vec(),
            comment: String::from_utf8_lossy(comment).into_owned(),
        });
    }
    r.finish("IDENTITIES_ANSWER")
        .map_err(AgentProtocolError::Decode)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_frame(bytes: &[u8]) -> Bytes {
        let mut buf = BytesMut::from(bytes);
        let body = take_frame(&mut buf).unwrap().unwrap();
        assert!(buf.is_empty());
        body
    }

    #[test]
    fn request_identities_is_length_one_then_11() {
        assert_eq!(request_identities(), [0, 0, 0, 1, 11]);
    }

    #[test]
    fn sign_request_layout() {
        let req = sign_request(b"KEY", b"DATA", 0);
        assert_eq!(
            req,
            [
                0, 0, 0, 20, 13, 0, 0, 0, 3, b'K', b'E', b'Y', 0, 0, 0, 4, b'D', b'A', b'T', b'A',
                0, 0, 0, 0
            ]
        );
    }

    #[test]
    fn identities_round_trip() {
        let ids = vec![
            AgentIdentity {
                key_blob: b"blob-one".to_vec(),
                comment: "alice@laptop".into(),
            },
            AgentIdentity {
                key_blob: b"blob-two".to_vec(),
                comment: String::new(),
            },
        ];
        let body = one_frame(&identities_answer(&ids));
        assert_eq!(
            decode_reply(&body, AgentRequestKind::Identities).unwrap(),
            AgentReply::Identities(ids)
        );
    }

    #[test]
    fn sign_response_round_trip() {
        let body = one_frame(&sign_response(b"sigblob"));
        assert_eq!(
            decode_reply(&body, AgentRequestKind::Sign).unwrap(),
            AgentReply::Signature(b"sigblob".to_vec())
        );
    }

    #[test]
    fn failure_is_refused() {
        let body = one_frame(&failure());
        assert_eq!(
            decode_reply(&body, AgentRequestKind::Sign).unwrap_err(),
            AgentProtocolError::Refused
        );
        assert_eq!(
            decode_reply(&[30], AgentRequestKind::Identities).unwrap_err(),
            AgentProtocolError::Refused
        );
    }

    #[test]
    fn partial_frame_waits_for_more() {
        let full = sign_response(b"sig");
        let mut buf = BytesMut::new();
        for (i, b) in full.iter().enumerate() {
            assert!(
                take_frame(&mut buf).unwrap().is_none(),
                "early frame at {i}"
            );
            buf.extend_from_slice(&[*b]);
        }
        assert!(take_frame(&mut buf).unwrap().is_some());
    }

    #[test]
    fn huge_length_is_refused_before_buffering() {
        let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xff][..]);
        assert_eq!(
            take_frame(&mut buf).unwrap_err(),
            AgentProtocolError::FrameTooLong {
                len: 0xffff_ffff,
                limit: MAX_AGENT_FRAME
            }
        );
        let mut buf = BytesMut::from(&[0, 0, 0, 0][..]);
        assert!(take_frame(&mut buf).is_err());
    }

    #[test]
    fn identity_count_over_limit_is_refused() {
        let body = [12, 0, 0, 0x08, 0x01];
        assert_eq!(
            decode_reply(&body, AgentRequestKind::Identities).unwrap_err(),
            AgentProtocolError::TooManyIdentities {
                count: 2049,
                limit: MAX_AGENT_IDENTITIES
            }
        );
    }

    #[test]
    fn identity_count_larger_than_body_is_truncated_not_allocated() {
        // Claims 2048 identities but carries none.
        let body = [12, 0, 0, 0x08, 0x00];
        assert!(matches!(
            decode_reply(&body, AgentRequestKind::Identities).unwrap_err(),
            AgentProtocolError::Decode(_)
        ));
    }

    #[test]
    fn reply_of_the_wrong_kind_is_unexpected() {
        let body = one_frame(&sign_response(b"sig"));
        assert_eq!(
            decode_reply(&body, AgentRequestKind::Identities).unwrap_err(),
            AgentProtocolError::UnexpectedReply { number: 14 }
        );
        assert_eq!(
            decode_reply(&[6], AgentRequestKind::Sign).unwrap_err(),
            AgentProtocolError::UnexpectedReply { number: 6 }
        );
    }

    #[test]
    fn trailing_bytes_after_signature_are_rejected() {
        let body = [14, 0, 0, 0, 1, b'x', 0];
        assert!(matches!(
            decode_reply(&body, AgentRequestKind::Sign).unwrap_err(),
            AgentProtocolError::Decode(_)
        ));
    }

    #[test]
    fn empty_body_is_a_decode_error() {
        assert!(matches!(
            decode_reply(&[], AgentRequestKind::Sign).unwrap_err(),
            AgentProtocolError::Decode(_)
        ));
    }

    #[test]
    fn only_ed25519_agent_keys_become_identities() {
        let ed = burrow_keys::KeyPair::from_ed25519_seed(&[4; 32])
            .public_key()
            .clone();
        let ids = [
            AgentIdentity {
                key_blob: b"\0\0\0\x07ssh-rsa\0\0\0\x01\x03\0\0\0\x01\x05".to_vec(),
                comment: "rsa".into(),
            },
            AgentIdentity {
                key_blob: ed.to_blob(),
                comment: "ed".into(),
            },
        ];
        let out = identities(&ids);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].public_key(), &ed);
    }

    #[test]
    fn non_utf8_comment_is_kept_lossily() {
        let body = [12, 0, 0, 0, 1, 0, 0, 0, 1, b'k', 0, 0, 0, 1, 0xff];
        let AgentReply::Identities(ids) =
            decode_reply(&body, AgentRequestKind::Identities).unwrap()
        else {
            panic!("not identities");
        };
        assert_eq!(ids[0].comment, "\u{fffd}");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_replies_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ignored_identities = decode_reply(&body, AgentRequestKind::Identities).is_ok();
            let _ignored_sign = decode_reply(&body, AgentRequestKind::Sign).is_ok();
            let mut buf = BytesMut::from(&body[..]);
            while let Ok(Some(_)) = take_frame(&mut buf) {}
        }
    }
}
