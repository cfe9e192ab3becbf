//! The OpenSSH authorized_keys file: lines of `[options] type base64 [comment]`, and the
//! lookup of a client's key that yields its forwarding permissions.

mod expiry;
mod from;
mod options;
#[cfg(test)]
mod tests;

pub use expiry::{ExpiryTime, parse_expiry_time};
pub use from::from_allows;
pub use options::{
    KeyOptions, MAX_OTHER_OPTIONS, MAX_PERMITS, OtherOption, PermitListen, PermitOpen,
};

use core::net::IpAddr;

use crate::public_key_line::{
    KeyBlob, is_known_key_type, next_word, parse_key_file, split_key_fields,
};
use crate::{KeyError, LineWarning};

/// One usable authorized_keys line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedKey {
    /// 1-based line number.
    pub line: usize,
    /// The key (of any type OpenSSH knows).
    pub key: KeyBlob,
    /// Text after the key, trimmed.
    pub comment: String,
    /// The options before the key.
    pub options: KeyOptions,
}

/// Why a line holding the client's key was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `expiry-time=` lies in the past.
    Expired {
        /// The line.
        line: usize,
        /// The expiry.
        expiry_time: ExpiryTime,
    },
    /// `from=` does not allow the client address.
    FromMismatch {
        /// The line.
        line: usize,
    },
    /// The line is `cert-authority`: it only vouches for certificates.
    CertAuthority {
        /// The line.
        line: usize,
    },
}

/// The result of looking a key up: the line that authorizes it, if any, and what to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLookup {
    /// The first line holding the key whose options allow this client now.
    pub found: Option<AuthorizedKey>,
    /// Lines holding the key that were passed over, and why.
    pub refused: Vec<Refusal>,
    /// Malformed lines, skipped. Filled by [`find_key`]; [`AuthorizedKeys::find`] leaves it
    /// empty (the parsed file keeps its own `warnings`).
    pub warnings: Vec<LineWarning>,
}

/// A parsed authorized_keys file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizedKeys {
    /// Usable lines, in file order.
    pub entries: Vec<AuthorizedKey>,
    /// Malformed lines (bad options, bad keys), skipped; never fatal for the others.
    pub warnings: Vec<LineWarning>,
}

impl AuthorizedKeys {
    /// Parses a whole file; comments and blank lines are skipped silently.
    pub fn parse(text: &str) -> Self {
        let (entries, warnings) = parse_key_file(text, parse_line);
        Self { entries, warnings }
    }

    /// Finds the first line holding `key_blob` (compared byte for byte) that is not
    /// `cert-authority`, not expired at `now_unix` (local time, which `expiry-time=` values are
    /// read in unless they say UTC, being `utc_offset` seconds ahead of UTC) and whose
    /// `from=` allows `client`.
    pub fn find(
        &self,
        key_blob: &[u8],
        client: IpAddr,
        now_unix: u64,
        utc_offset: i32,
    ) -> KeyLookup {
        let mut refused = Vec::new();
        let mut found = None;
        for entry in self.entries.iter().filter(|e| e.key.blob() == key_blob) {
            let line = entry.line;
            let opts = &entry.options;
            if opts.cert_authority {
                refused.push(Refusal::CertAuthority { line });
            } else if let Some(expiry_time) = opts
                .expiry_time
                .filter(|_| opts.is_expired(now_unix, utc_offset))
            {
                refused.push(Refusal::Expired { line, expiry_time });
            } else if !opts.from_allows(client) {
                refused.push(Refusal::FromMismatch { line });
            } else {
                found = Some(entry.clone());
                break;
            }
        }
        KeyLookup {
            found,
            refused,
            warnings: Vec::new(),
        }
    }
}

/// Parses `text` and looks `key_blob` up in one go (see [`AuthorizedKeys::find`]).
pub fn find_key(
    text: &str,
    key_blob: &[u8],
    client: IpAddr,
    now_unix: u64,
    utc_offset: i32,
) -> KeyLookup {
    let parsed = AuthorizedKeys::parse(text);
    let mut lookup = parsed.find(key_blob, client, now_unix, utc_offset);
    lookup.warnings = parsed.warnings;
    lookup
}

/// Parses one line that is neither blank nor a comment, leading blanks removed.
fn parse_line(s: &str, line: usize) -> Result<AuthorizedKey, KeyError> {
    let (first, _) = next_word(s);
    let (options, key_text) = if is_known_key_type(first) {
        (KeyOptions::unrestricted(), s)
    } else {
        options::parse_options(s)?
    };
    let (key, comment) = split_key_fields(key_text)?;
    Ok(AuthorizedKey {
        line,
        key,
        comment: comment.to_owned(),
        options,
    })
}
