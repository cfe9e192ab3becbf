//! SSH_MSG_EXT_INFO (RFC 8308 §2.3): extension names with raw values, and `server-sig-algs`.

use std::borrow::Cow;

use crate::codec::{count, impl_to_bytes, len_u32, open};
use crate::{DecodeError, NameList, Writer, msg};

/// Most extensions one EXT_INFO may carry. OpenSSH sends four or five; RFC 8308 defines four.
pub const MAX_EXTENSIONS: usize = 64;

/// The name of the extension listing the signature algorithms a server accepts (RFC 8308 §3.1).
pub const SERVER_SIG_ALGS: &str = "server-sig-algs";

/// SSH_MSG_EXT_INFO (RFC 8308 §2.3). Values stay raw: their format depends on the extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtInfo<'a> {
    /// `(extension-name, extension-value)` pairs, in wire order.
    pub extensions: Vec<(Cow<'a, str>, Cow<'a, [u8]>)>,
}

impl<'a> ExtInfo<'a> {
    /// Decodes a whole payload, message number included. At most [`MAX_EXTENSIONS`].
    pub fn decode(payload: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = open(payload, msg::EXT_INFO, "EXT_INFO")?;
        // Each extension takes at least two empty strings: 8 bytes.
        let n = count(&mut r, MAX_EXTENSIONS, 8, "EXT_INFO.nr_extensions")?;
        let mut extensions = Vec::with_capacity(n);
        for _ in 0..n {
            let name = r.utf8("EXT_INFO.extension_name")?;
            let value = r.bytes("EXT_INFO.extension_value")?;
            extensions.push((name, value));
        }
        r.finish("EXT_INFO")?;
        Ok(Self { extensions })
    }

    /// Encodes the message, number included.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.byte(msg::EXT_INFO).uint32(len_u32(self.extensions.len()));
        for (name, value) in &self.extensions {
            w.utf8(name).string(value);
        }
    }

    /// The raw value of the first extension called `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The `server-sig-algs` value read as a name-list (RFC 8308 §3.1); `Ok(None)` when the
    /// extension is absent, an error when its value is not a valid name-list.
    pub fn server_sig_algs(&self) -> Result<Option<NameList<'_>>, DecodeError> {
        match self.get(SERVER_SIG_ALGS) {
            None => Ok(None),
            Some(raw) => NameList::parse(raw, "EXT_INFO.server-sig-algs").map(Some),
        }
    }

    /// An EXT_INFO carrying only `server-sig-algs` with the given algorithms.
    pub fn with_server_sig_algs(algorithms: &NameList<'_>) -> ExtInfo<'static> {
        ExtInfo {
            extensions: vec![(
                Cow::Borrowed(SERVER_SIG_ALGS),
                Cow::Owned(algorithms.as_str().as_bytes().to_vec()),
            )],
        }
    }
}

impl_to_bytes!(ExtInfo<'a>);
