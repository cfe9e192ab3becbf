//! `name-list` (RFC 4251 §5): comma-separated, ASCII, no empty names.

use std::borrow::Cow;

use crate::{DecodeError, DecodeErrorKind};

/// Longest name RFC 4251 §6 allows.
pub const MAX_NAME_LEN: usize = 64;

/// A validated name-list, kept as its wire text. An empty list is the empty string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NameList<'a> {
    raw: Cow<'a, str>,
}

impl<'a> NameList<'a> {
    /// Validates wire bytes as a name-list; `what` names the field for errors.
    pub fn parse(raw: &'a [u8], what: &'static str) -> Result<Self, DecodeError> {
        if raw.iter().any(|b| !(0x21..=0x7e).contains(b)) {
            return Err(DecodeError::new(what, DecodeErrorKind::NonAsciiName));
        }
        let text = core::str::from_utf8(raw)
            .map_err(|_| DecodeError::new(what, DecodeErrorKind::NonAsciiName))?;
        validate_names(text, what)?;
        Ok(Self {
            raw: Cow::Borrowed(text),
        })
    }

    /// Builds a list from names; each must be non-empty, printable ASCII without commas, and at
    /// most 64 bytes.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<NameList<'static>, DecodeError> {
        let mut raw = String::new();
        for (i, name) in names.iter().enumerate() {
            let name = name.as_ref();
            if name.is_empty() {
                return Err(DecodeError::new("name-list", DecodeErrorKind::EmptyName));
            }
            if name.contains(',') || name.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
                return Err(DecodeError::new("name-list", DecodeErrorKind::NonAsciiName));
            }
            if i > 0 {
                raw.push(',');
            }
            raw.push_str(name);
        }
        validate_names(&raw, "name-list")?;
        Ok(NameList {
            raw: Cow::Owned(raw),
        })
    }

    /// The list as it appears on the wire.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The names, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.raw.split(',').filter(|n| !n.is_empty())
    }

    /// True when `name` is on the list.
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }

    /// True for the empty list.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> NameList<'static> {
        NameList {
            raw: Cow::Owned(self.raw.into_owned()),
        }
    }
}

fn validate_names(text: &str, what: &'static str) -> Result<(), DecodeError> {
    if text.is_empty() {
        return Ok(());
    }
    for name in text.split(',') {
        if name.is_empty() {
            return Err(DecodeError::new(what, DecodeErrorKind::EmptyName));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(DecodeError::new(
                what,
                DecodeErrorKind::NameTooLong { len: name.len() },
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Reader, Writer};
    use bytes::BytesMut;

    #[test]
    fn rfc_examples_decode() {
        // RFC 4251 §5: (), ("zlib"), ("zlib", "none").
        let cases: [(&[u8], Vec<&str>); 3] = [
            (b"\x00\x00\x00\x00", vec![]),
            (b"\x00\x00\x00\x04zlib", vec!["zlib"]),
            (b"\x00\x00\x00\x09zlib,none", vec!["zlib", "none"]),
        ];
        for (bytes, names) in cases {
            let list = Reader::new(bytes).name_list("l").unwrap();
            assert_eq!(list.iter().collect::<Vec<_>>(), names);
            let mut buf = BytesMut::new();
            Writer::new(&mut buf).name_list(&list);
            assert_eq!(&buf[..], bytes);
        }
    }

    #[test]
    fn empty_names_are_rejected() {
        for bad in [&b"a,,b"[..], b",a", b"a,"] {
            assert_eq!(
                NameList::parse(bad, "l").unwrap_err().kind,
                DecodeErrorKind::EmptyName
            );
        }
    }

    #[test]
    fn non_ascii_is_rejected() {
        assert_eq!(
            NameList::parse("zl\u{e9}b".as_bytes(), "l")
                .unwrap_err()
                .kind,
            DecodeErrorKind::NonAsciiName
        );
        assert_eq!(
            NameList::parse(b"a b", "l").unwrap_err().kind,
            DecodeErrorKind::NonAsciiName
        );
    }

    #[test]
    fn long_name_is_rejected() {
        let long = "a".repeat(65);
        assert_eq!(
            NameList::parse(long.as_bytes(), "l").unwrap_err().kind,
            DecodeErrorKind::NameTooLong { len: 65 }
        );
    }

    #[test]
    fn from_names_rejects_commas() {
        assert!(NameList::from_names(&["a,b"]).is_err());
        assert!(NameList::from_names(&[""]).is_err());
        assert_eq!(
            NameList::from_names(&["aes128-ctr", "aes256-ctr"])
                .unwrap()
                .as_str(),
            "aes128-ctr,aes256-ctr"
        );
    }
}
