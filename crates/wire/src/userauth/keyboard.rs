//! keyboard-interactive prompts and answers (RFC 4256 §3.2-3.4): INFO_REQUEST, INFO_RESPONSE.

use std::borrow::Cow;

use crate::codec::{count, len_u32};
use crate::field::Codec;
use crate::message::wire_message;
use crate::{DecodeError, Reader, Writer};

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

wire_message! {
    /// SSH_MSG_USERAUTH_INFO_REQUEST (RFC 4256 §3.2).
    pub struct UserauthInfoRequest<'a> = USERAUTH_INFO_REQUEST {
        /// Title of the prompt set.
        name: Cow<'a, str>,
        /// Instructions to show before the prompts.
        instruction: Cow<'a, str>,
        /// Deprecated language tag, usually empty.
        language_tag: Cow<'a, str>,
        /// The prompts, at most [`MAX_PROMPTS`].
        prompts: Vec<Prompt<'a>> as Prompts,
    }
}

/// `int num-prompts` then that many `string prompt, boolean echo` pairs.
struct Prompts;

impl<'a> Codec<'a, Vec<Prompt<'a>>> for Prompts {
    fn read(r: &mut Reader<'a>, _what: &'static str) -> Result<Vec<Prompt<'a>>, DecodeError> {
        // Each prompt takes at least an empty string and a boolean: 5 bytes.
        let n = count(r, MAX_PROMPTS, 5, "USERAUTH_INFO_REQUEST.num_prompts")?;
        let mut prompts = Vec::with_capacity(n);
        for _ in 0..n {
            let prompt = r.utf8("USERAUTH_INFO_REQUEST.prompt")?;
            let echo = r.boolean("USERAUTH_INFO_REQUEST.echo")?;
            prompts.push(Prompt { prompt, echo });
        }
        Ok(prompts)
    }

    fn write(prompts: &Vec<Prompt<'a>>, w: &mut Writer<'_>) {
        w.uint32(len_u32(prompts.len()));
        for p in prompts {
            w.utf8(&p.prompt).boolean(p.echo);
        }
    }
}

wire_message! {
    /// SSH_MSG_USERAUTH_INFO_RESPONSE (RFC 4256 §3.4).
    pub struct UserauthInfoResponse<'a> = USERAUTH_INFO_RESPONSE {
        /// One answer per prompt, at most [`MAX_PROMPTS`].
        responses: Vec<Cow<'a, str>> as Responses,
    }
}

/// `int num-responses` then that many `string response`.
struct Responses;

impl<'a> Codec<'a, Vec<Cow<'a, str>>> for Responses {
    fn read(r: &mut Reader<'a>, _what: &'static str) -> Result<Vec<Cow<'a, str>>, DecodeError> {
        let n = count(r, MAX_PROMPTS, 4, "USERAUTH_INFO_RESPONSE.num_responses")?;
        let mut responses = Vec::with_capacity(n);
        for _ in 0..n {
            responses.push(r.utf8("USERAUTH_INFO_RESPONSE.response")?);
        }
        Ok(responses)
    }

    fn write(responses: &Vec<Cow<'a, str>>, w: &mut Writer<'_>) {
        w.uint32(len_u32(responses.len()));
        for response in responses {
            w.utf8(response);
        }
    }
}
