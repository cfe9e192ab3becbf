//! The OpenSSH known_hosts file: parsing entries (markers, host patterns, hashed hosts,
//! `[host]:port`), looking a host key up with OpenSSH's semantics, and writing entries.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use sha1::Sha1;

use crate::pattern::match_pattern_list;
use crate::public_key_line::{KeyBlob, next_word, parse_key_file, split_key_fields};
use crate::{KeyFileError, LineWarning, PublicKey};
use burrow_keys::input_name;

/// Length of the salt and of the hash in a hashed host field (SHA-1).
const HASH_LEN: usize = 20;
/// The prefix of a hashed host field.
const HASH_MAGIC: &str = "|1|";

/// The marker at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A plain host key line.
    None,
    /// `@cert-authority`: the key signs host certificates.
    CertAuthority,
    /// `@revoked`: the key must never be accepted.
    Revoked,
}

/// The host field of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostField {
    /// Comma-separated patterns with `*`, `?` and `!` (`host`, `[host]:port`, `*.example.com`).
    Patterns(String),
    /// `|1|salt|hash`: HMAC-SHA1 keyed by the salt over the host name (`ssh-keygen -H`).
    Hashed {
        /// The HMAC key.
        salt: [u8; HASH_LEN],
        /// HMAC-SHA1(salt, name).
        hash: [u8; HASH_LEN],
    },
}

impl HostField {
    /// True when `name` (already in `host` / `[host]:port` form, lower case) is matched.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Self::Patterns(list) => match_pattern_list(list, name),
            Self::Hashed { salt, hash } => {
                let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(salt) else {
                    return false;
                };
                mac.update(name.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
        }
    }
}

/// One parsed known_hosts line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHostEntry {
    /// 1-based line number.
    pub line: usize,
    /// `@revoked`, `@cert-authority` or none.
    pub marker: Marker,
    /// Which hosts the line is for.
    pub hosts: HostField,
    /// The key (of any type OpenSSH knows).
    pub key: KeyBlob,
    /// Text after the key, trimmed.
    pub comment: String,
}

/// What known_hosts says about a host's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// A line for this host holds this key.
    Known {
        /// The line.
        line: usize,
    },
    /// Lines exist for this host but none holds this key (of any type, as OpenSSH):
    /// `line` is the first such line.
    Changed {
        /// The first line for this host with a different key.
        line: usize,
    },
    /// An `@revoked` line for this host holds this key. Wins over everything else.
    Revoked {
        /// The `@revoked` line.
        line: usize,
    },
    /// No plain line for this host, but an `@cert-authority` line: the host uses
    /// certificates, and this plain key is not one (the client checks certificates).
    CertAuthorityUnsupported {
        /// The `@cert-authority` line.
        line: usize,
    },
    /// Nothing is known about this host.
    Unknown,
}

/// A parsed known_hosts file: its usable entries, and warnings for lines that were skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownHosts {
    /// Usable lines, in file order.
    pub entries: Vec<KnownHostEntry>,
    /// Malformed lines, skipped.
    pub warnings: Vec<LineWarning>,
}

impl KnownHosts {
    /// Parses a whole file. Malformed lines become warnings; comments and blank lines are
    /// skipped silently.
    pub fn parse(text: &str) -> Self {
        let (entries, warnings) = parse_key_file(text, parse_line);
        Self { entries, warnings }
    }

    /// Looks `key` up for `host` on `port` with OpenSSH's rules: a matching `@revoked` line
    /// wins; then a line holding the key; then another key of the same type for the host
    /// means it changed (keys of other types only make it new).
    /// A line whose host field has a matching `!pattern` is not for this host.
    pub fn check(&self, host: &str, port: u16, key: &KeyBlob) -> HostKeyStatus {
        let name = host_name(host, port);
        // Match host fields once (hashed ones cost an HMAC each), then rank the lines.
        let for_host: Vec<&KnownHostEntry> = self
            .entries
            .iter()
            .filter(|e| e.hosts.matches(&name))
            .collect();
        let first = |m: Marker, same_key: Option<bool>| {
            for_host
                .iter()
                .find(|e| e.marker == m && same_key.is_none_or(|same| (e.key == *key) == same))
                .map(|e| e.line)
        };
        if let Some(line) = first(Marker::Revoked, Some(true)) {
            return HostKeyStatus::Revoked { line };
        }
        if let Some(line) = first(Marker::None, Some(true)) {
            return HostKeyStatus::Known { line };
        }
        let same_type = for_host
            .iter()
            .find(|e| e.marker == Marker::None && e.key.algorithm() == key.algorithm());
        if let Some(e) = same_type {
            return HostKeyStatus::Changed { line: e.line };
        }
        if let Some(line) = first(Marker::CertAuthority, None) {
            return HostKeyStatus::CertAuthorityUnsupported { line };
        }
        HostKeyStatus::Unknown
    }

    /// [`KnownHosts::check`] for a parsed key.
    pub fn check_key(&self, host: &str, port: u16, key: &PublicKey) -> HostKeyStatus {
        self.check(host, port, &KeyBlob::from(key))
    }

    /// The first line marked `marker` for `host` on `port` holding `key` (any key when
    /// `None`): the `@cert-authority` and `@revoked` lookups of a host certificate.
    pub fn marked(
        &self,
        host: &str,
        port: u16,
        marker: Marker,
        key: Option<&PublicKey>,
    ) -> Option<&KnownHostEntry> {
        let name = host_name(host, port);
        let blob = key.map(KeyBlob::from);
        self.entries.iter().find(|e| {
            e.marker == marker
                && blob.as_ref().is_none_or(|b| e.key == *b)
                && e.hosts.matches(&name)
        })
    }

    /// The key types of the plain lines for `host` on `port`, in file order without
    /// repeats: the client puts these host key algorithms first, as OpenSSH does.
    pub fn key_types(&self, host: &str, port: u16) -> Vec<String> {
        let name = host_name(host, port);
        let mut types: Vec<String> = Vec::new();
        for e in &self.entries {
            if e.marker == Marker::None
                && !types.iter().any(|t| t == e.key.algorithm())
                && e.hosts.matches(&name)
            {
                types.push(e.key.algorithm().to_owned());
            }
        }
        types
    }
}

/// The name known_hosts stores for a host: `host` for port 22, else `[host]:port`; lower case.
pub fn host_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// A line (without newline) `ssh` reads as this host's key: `host ssh-ed25519 AAAA...`, or
/// `[host]:port ...` for ports other than 22. Host names that would break the line or act
/// as patterns are refused.
pub fn format_entry(host: &str, port: u16, key: &PublicKey) -> Result<String, KeyFileError> {
    check_host_name(host)?;
    Ok(format!(
        "{} {}",
        host_name(host, port),
        KeyBlob::from(key).to_text()
    ))
}

/// Like [`format_entry`] but with the host hashed (`|1|salt|hash`, as `HashKnownHosts yes`);
/// `salt` should be 20 random bytes.
pub fn format_hashed_entry(
    host: &str,
    port: u16,
    key: &PublicKey,
    salt: &[u8; HASH_LEN],
) -> Result<String, KeyFileError> {
    check_host_name(host)?;
    let mut mac = Hmac::<Sha1>::new_from_slice(salt).map_err(|_| KeyFileError::BadHostHash)?;
    mac.update(host_name(host, port).as_bytes());
    let hash = mac.finalize().into_bytes();
    Ok(format!(
        "{HASH_MAGIC}{}|{} {}",
        STANDARD.encode(salt),
        STANDARD.encode(hash),
        KeyBlob::from(key).to_text()
    ))
}

fn check_host_name(host: &str) -> Result<(), KeyFileError> {
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || ",*?!#@|".contains(c);
    if host.is_empty() || host.contains(bad_char) {
        return Err(KeyFileError::InvalidHostName {
            host: host.chars().take(256).collect(),
        });
    }
    Ok(())
}

/// Parses one line that is neither blank nor a comment, leading blanks removed.
fn parse_line(s: &str, line: usize) -> Result<KnownHostEntry, KeyFileError> {
    let (marker, s) = if s.starts_with('@') {
        let (word, rest) = next_word(s);
        let marker = match word {
            "@cert-authority" => Marker::CertAuthority,
            "@revoked" => Marker::Revoked,
            other => {
                return Err(KeyFileError::InvalidMarker {
                    marker: input_name(other.as_bytes()),
                });
            }
        };
        (marker, rest)
    } else {
        (Marker::None, s)
    };
    let (hosts, rest) = next_word(s);
    if hosts.is_empty() || rest.is_empty() || rest.starts_with('#') {
        return Err(KeyFileError::MissingKey);
    }
    let hosts = parse_host_field(hosts)?;
    let (key, comment) = split_key_fields(rest)?;
    Ok(KnownHostEntry {
        line,
        marker,
        hosts,
        key,
        comment: comment.to_owned(),
    })
}

fn parse_host_field(field: &str) -> Result<HostField, KeyFileError> {
    if !field.starts_with('|') {
        return Ok(HostField::Patterns(field.to_owned()));
    }
    let rest = field
        .strip_prefix(HASH_MAGIC)
        .ok_or(KeyFileError::BadHostHash)?;
    let (salt, hash) = rest.split_once('|').ok_or(KeyFileError::BadHostHash)?;
    let decode = |s: &str| -> Result<[u8; HASH_LEN], KeyFileError> {
        if s.len() > 64 {
            return Err(KeyFileError::BadHostHash);
        }
        let bytes = STANDARD.decode(s).map_err(|_| KeyFileError::BadHostHash)?;
        bytes.try_into().map_err(|_| KeyFileError::BadHostHash)
    };
    Ok(HostField::Hashed {
        salt: decode(salt)?,
        hash: decode(hash)?,
    })
}

#[cfg(test)]
mod tests;
