//! keyboard-interactive prompts and answers (RFC 4256 §3.2-3.4): INFO_REQUEST, INFO_RESPONSE.

use std::borrow::Cow;

use crate::codec::{count, impl_to_bytes, len_u32, open};
use crate::{DecodeError, Writer, msg};

/// Most prompts in one INFO_REQUEST and answers in one INFO_RESPONSE.
pub const MAX_PROMPTS: usize = 256;

/// One prompt of an INFO_REQUEST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt<'a> {
    /// The prompt text.
    pub prompt: Cow<'a, str>,
    /// Whether the answer may be echoed as it is typed.
    pub echo: bool,
}

/// SSH_MSG_USERAUTH_INFO_REQUEST (RFC 4256 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthInfoRequest<'a> {
    /// Title of the prompt set.
    pub name: Cow<'a, str>,
    /// Instructions to show before the prompts.
    pub instruction: Cow<'a, str>,
    /// Deprecated language tag, usually empty.
    pub language_tag: Cow<'a, str>,
    /// The prompts, at most [`MAX_PROMPTS`].
    pub prompts: Vec<Prompt<'a>>,
}

impl<'a> UserauthInfoRequest<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::USERAUTH_INFO_REQUEST, "USERAUTH_INFO_REQUEST")?;
        let name = r.utf8("USERAUTH_INFO_REQUEST.name")?;
        let instruction = r.utf8("USERAUTH_INFO_REQUEST.instruction")?;
        let language_tag = r.utf8("USERAUTH_INFO_REQUEST.language_tag")?;
        // Each prompt takes at least an empty string and a boolean: 5 bytes.
        let n = count(&mut r, MAX_PROMPTS, 5, "USERAUTH_INFO_REQUEST.num_prompts")?;
        let mut prompts = Vec::with_capacity(n);
        for _ in 0..n {
            let prompt = r.utf8("USERAUTH_INFO_REQUEST.prompt")?;
            let echo = r.boolean("USERAUTH_INFO_REQUEST.echo")?;
            prompts.push(Prompt { prompt, echo });
        }
        r.finish("USERAUTH_INFO_REQUEST")?;
        Ok(Self {
            name,
            instruction,
            language_tag,
            prompts,
        })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_INFO_REQUEST)
            .utf8(&self.name)
            .utf8(&self.instruction)
            .utf8(&self.language_tag)
            .uint32(len_u32(self.prompts.len()));
        for p in &self.prompts {
            w.utf8(&p.prompt).boolean(p.echo);
        }
    }
}

/// SSH_MSG_USERAUTH_INFO_RESPONSE (RFC 4256 §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthInfoResponse<'a> {
    /// One answer per prompt, at most [`MAX_PROMPTS`].
    pub responses: Vec<Cow<'a, str>>,
}

impl<'a> UserauthInfoResponse<'a> {
    /// Decodes a whole payload, message number included.
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(
            payload,
            msg::USERAUTH_INFO_RESPONSE,
            "USERAUTH_INFO_RESPONSE",
        )?;
        let n = count(
            &mut r,
            MAX_PROMPTS,
            4,
            "USERAUTH_INFO_RESPONSE.num_responses",
        )?;
        let mut responses = Vec::with_capacity(n);
        for _ in 0..n {
            responses.push(r.utf8("USERAUTH_INFO_RESPONSE.response")?);
        }
        r.finish("USERAUTH_INFO_RESPONSE")?;
        Ok(Self { responses })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_INFO_RESPONSE)
            .uint32(len_u32(self.responses.len()));
        for response in &self.responses {
            w.utf8(response);
        }
    }
}

impl_to_bytes!(UserauthInfoRequest<'_>, UserauthInfoResponse<'_>);
