//! Temporary stand-in for `burrow_wire::userauth` until the wire crate lands it (same names).
#![allow(missing_docs, dead_code)]

use std::borrow::Cow;

use burrow_wire::{DecodeError, DecodeErrorKind, NameList, Reader, SessionId, Writer, msg};
use bytes::BytesMut;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect60 {
    PkOk,
    PasswdChangereq,
    InfoRequest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod<'a> {
    None,
    Password {
        password: Cow<'a, str>,
        new_password: Option<Cow<'a, str>>,
    },
    Publickey {
        algorithm: Cow<'a, str>,
        public_key: Cow<'a, [u8]>,
        signature: Option<Cow<'a, [u8]>>,
    },
    KeyboardInteractive {
        language_tag: Cow<'a, str>,
        submethods: Cow<'a, str>,
    },
    Unknown {
        name: Cow<'a, str>,
        data: Cow<'a, [u8]>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthRequest<'a> {
    pub user_name: Cow<'a, str>,
    pub service_name: Cow<'a, str>,
    pub method: AuthMethod<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthFailure<'a> {
    pub authentications_that_can_continue: NameList<'a>,
    pub partial_success: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthSuccess;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthBanner<'a> {
    pub message: Cow<'a, str>,
    pub language_tag: Cow<'a, str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthPkOk<'a> {
    pub algorithm: Cow<'a, str>,
    pub public_key: Cow<'a, [u8]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthPasswdChangereq<'a> {
    pub prompt: Cow<'a, str>,
    pub language_tag: Cow<'a, str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt<'a> {
    pub prompt: Cow<'a, str>,
    pub echo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthInfoRequest<'a> {
    pub name: Cow<'a, str>,
    pub instruction: Cow<'a, str>,
    pub language_tag: Cow<'a, str>,
    pub prompts: Vec<Prompt<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserauthInfoResponse<'a> {
    pub responses: Vec<Cow<'a, str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserauthMessage<'a> {
    Request(UserauthRequest<'a>),
    Failure(UserauthFailure<'a>),
    Success(UserauthSuccess),
    Banner(UserauthBanner<'a>),
    PkOk(UserauthPkOk<'a>),
    PasswdChangereq(UserauthPasswdChangereq<'a>),
    InfoRequest(UserauthInfoRequest<'a>),
    InfoResponse(UserauthInfoResponse<'a>),
}

fn bad(what: &'static str, number: u8) -> DecodeError {
    DecodeError::new(what, DecodeErrorKind::UnknownMessage { number })
}

impl<'a> UserauthMessage<'a> {
    pub fn decode(payload: &'a [u8], expect: Expect60) -> Result<Self, DecodeError> {
        let mut r = Reader::new(payload);
        let n = r.byte("userauth message")?;
        let m = match n {
            msg::USERAUTH_REQUEST => {
                let user_name = r.utf8("USERAUTH_REQUEST.user_name")?;
                let service_name = r.utf8("USERAUTH_REQUEST.service_name")?;
                let name = r.utf8("USERAUTH_REQUEST.method_name")?;
                let method = match &*name {
                    "none" => AuthMethod::None,
                    "password" => {
                        let change = r.boolean("password.change")?;
                        let password = r.utf8("password.password")?;
                        let new_password = if change {
                            Some(r.utf8("password.new")?)
                        } else {
                            None
                        };
                        AuthMethod::Password {
                            password,
                            new_password,
                        }
                    }
                    "publickey" => {
                        let has = r.boolean("publickey.has_signature")?;
                        let algorithm = r.utf8("publickey.algorithm")?;
                        let public_key = r.bytes("publickey.key")?;
                        let signature = if has {
                            Some(r.bytes("publickey.signature")?)
                        } else {
                            None
                        };
                        AuthMethod::Publickey {
                            algorithm,
                            public_key,
                            signature,
                        }
                    }
                    "keyboard-interactive" => AuthMethod::KeyboardInteractive {
                        language_tag: r.utf8("kbd.language_tag")?,
                        submethods: r.utf8("kbd.submethods")?,
                    },
                    _ => AuthMethod::Unknown {
                        name,
                        data: Cow::Borrowed(r.rest()),
                    },
                };
                Self::Request(UserauthRequest {
                    user_name,
                    service_name,
                    method,
                })
            }
            msg::USERAUTH_FAILURE => Self::Failure(UserauthFailure {
                authentications_that_can_continue: r.name_list("FAILURE.list")?,
                partial_success: r.boolean("FAILURE.partial")?,
            }),
            msg::USERAUTH_SUCCESS => Self::Success(UserauthSuccess),
            msg::USERAUTH_BANNER => Self::Banner(UserauthBanner {
                message: r.utf8("BANNER.message")?,
                language_tag: r.utf8("BANNER.language_tag")?,
            }),
            60 => match expect {
                Expect60::PkOk => Self::PkOk(UserauthPkOk {
                    algorithm: r.utf8("PK_OK.algorithm")?,
                    public_key: r.bytes("PK_OK.key")?,
                }),
                Expect60::PasswdChangereq => Self::PasswdChangereq(UserauthPasswdChangereq {
                    prompt: r.utf8("CHANGEREQ.prompt")?,
                    language_tag: r.utf8("CHANGEREQ.language_tag")?,
                }),
                Expect60::InfoRequest => {
                    let name = r.utf8("INFO_REQUEST.name")?;
                    let instruction = r.utf8("INFO_REQUEST.instruction")?;
                    let language_tag = r.utf8("INFO_REQUEST.language_tag")?;
                    let n = r.uint32("INFO_REQUEST.num")?;
                    if n > 64 {
                        return Err(DecodeError::new(
                            "INFO_REQUEST.num",
                            DecodeErrorKind::TooLong {
                                len: n as usize,
                                limit: 64,
                            },
                        ));
                    }
                    let mut prompts = Vec::new();
                    for _ in 0..n {
                        let prompt = r.utf8("INFO_REQUEST.prompt")?;
                        let echo = r.boolean("INFO_REQUEST.echo")?;
                        prompts.push(Prompt { prompt, echo });
                    }
                    Self::InfoRequest(UserauthInfoRequest {
                        name,
                        instruction,
                        language_tag,
                        prompts,
                    })
                }
            },
            msg::USERAUTH_INFO_RESPONSE => {
                let n = r.uint32("INFO_RESPONSE.num")?;
                if n > 64 {
                    return Err(DecodeError::new(
                        "INFO_RESPONSE.num",
                        DecodeErrorKind::TooLong {
                            len: n as usize,
                            limit: 64,
                        },
                    ));
                }
                let mut responses = Vec::new();
                for _ in 0..n {
                    responses.push(r.utf8("INFO_RESPONSE.response")?);
                }
                Self::InfoResponse(UserauthInfoResponse { responses })
            }
            other => return Err(bad("userauth message", other)),
        };
        r.finish("userauth message")?;
        Ok(m)
    }
}

impl UserauthRequest<'_> {
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_REQUEST)
            .utf8(&self.user_name)
            .utf8(&self.service_name);
        match &self.method {
            AuthMethod::None => {
                w.utf8("none");
            }
            AuthMethod::Password {
                password,
                new_password,
            } => {
                w.utf8("password")
                    .boolean(new_password.is_some())
                    .utf8(password);
                if let Some(n) = new_password {
                    w.utf8(n);
                }
            }
            AuthMethod::Publickey {
                algorithm,
                public_key,
                signature,
            } => {
                w.utf8("publickey")
                    .boolean(signature.is_some())
                    .utf8(algorithm)
                    .string(public_key);
                if let Some(s) = signature {
                    w.string(s);
                }
            }
            AuthMethod::KeyboardInteractive {
                language_tag,
                submethods,
            } => {
                w.utf8("keyboard-interactive")
                    .utf8(language_tag)
                    .utf8(submethods);
            }
            AuthMethod::Unknown { name, data } => {
                w.utf8(name).raw(data);
            }
        }
    }
}

impl UserauthFailure<'_> {
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_FAILURE)
            .name_list(&self.authentications_that_can_continue)
            .boolean(self.partial_success);
    }
}
impl UserauthSuccess {
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_SUCCESS);
    }
}
impl UserauthBanner<'_> {
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_BANNER)
            .utf8(&self.message)
            .utf8(&self.language_tag);
    }
}
impl UserauthPkOk<'_> {
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(60).utf8(&self.algorithm).string(&self.public_key);
    }
}
impl UserauthPasswdChangereq<'_> {
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(60).utf8(&self.prompt).utf8(&self.language_tag);
    }
}
impl UserauthInfoRequest<'_> {
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(60)
            .utf8(&self.name)
            .utf8(&self.instruction)
            .utf8(&self.language_tag);
        w.uint32(self.prompts.len() as u32);
        for p in &self.prompts {
            w.utf8(&p.prompt).boolean(p.echo);
        }
    }
}
impl UserauthInfoResponse<'_> {
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::USERAUTH_INFO_RESPONSE)
            .uint32(self.responses.len() as u32);
        for r in &self.responses {
            w.utf8(r);
        }
    }
}

pub fn publickey_signed_data(
    session_id: &SessionId,
    user: &str,
    service: &str,
    algorithm: &str,
    public_key: &[u8],
) -> BytesMut {
    let mut buf = BytesMut::new();
    Writer::new(&mut buf)
        .string(session_id.as_bytes())
        .byte(msg::USERAUTH_REQUEST)
        .utf8(user)
        .utf8(service)
        .utf8("publickey")
        .boolean(true)
        .utf8(algorithm)
        .string(public_key);
    buf
}
