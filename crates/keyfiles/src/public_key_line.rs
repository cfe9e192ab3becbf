//! Public keys as text: `type AAAA... comment` lines and the `type base64` pair that
//! known_hosts and authorized_keys share.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use burrow_wire::Reader;

use crate::{KeyError, KeyFileError, LineWarning, PublicKey, SigAlg};
use burrow_keys::input_name;

/// Largest decoded key blob accepted from text (an RSA-16384 blob is about 2 KiB).
pub const MAX_BLOB_LEN: usize = 16 * 1024;

/// Key type names OpenSSH knows. A word in this list is read as a key type, anything else
/// in that position as options (authorized_keys) or an error.
pub const KNOWN_KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-rsa-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
];

/// True when `name` is a key type OpenSSH knows (whether or not burrow implements it).
pub fn is_known_key_type(name: &str) -> bool {
    KNOWN_KEY_TYPES.contains(&name)
}

/// A public key of any type as it appears in a text file: its algorithm name and blob.
/// Types burrow does not implement (ssh-dss, certificates) are kept as opaque bytes so they
/// can be compared and named.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KeyBlob {
    algorithm: String,
    blob: Vec<u8>,
}

impl KeyBlob {
    /// Decodes the `type base64` pair. The blob must name the same type as the text; a blob
    /// of a type burrow implements must also be a valid key.
    pub fn parse(algorithm: &str, base64: &str) -> Result<Self, KeyFileError> {
        // Four base64 characters make three bytes: refuse oversize text before decoding.
        if base64.len() / 4 * 3 > MAX_BLOB_LEN {
            return Err(KeyError::WrongLength {
                what: "public key blob",
                expected: MAX_BLOB_LEN,
                found: base64.len() / 4 * 3,
            }
            .into());
        }
        let blob = STANDARD
            .decode(base64)
            .map_err(|_| KeyFileError::InvalidBase64 { what: "public key" })?;
        let inner = Reader::new(&blob).string("public key blob.algorithm")?;
        if inner != algorithm.as_bytes() {
            return Err(KeyError::KeyTypeMismatch {
                text: algorithm.to_owned(),
                blob: String::from_utf8_lossy(inner).into_owned(),
            }
            .into());
        }
        if SigAlg::ALL.iter().any(|a| a.key_type() == algorithm) {
            PublicKey::from_blob(&blob)?;
        }
        Ok(Self {
            algorithm: algorithm.to_owned(),
            blob,
        })
    }

    /// The algorithm name (`"ssh-ed25519"`, `"ssh-rsa"`, ...).
    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    /// The raw public key blob.
    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// The key, or `UnsupportedKeyType` naming its type.
    pub fn to_public_key(&self) -> Result<PublicKey, KeyError> {
        PublicKey::from_blob(&self.blob)
    }

    /// `type base64`, as written in key files.
    pub fn to_text(&self) -> String {
        format!("{} {}", self.algorithm, STANDARD.encode(&self.blob))
    }
}

impl From<&PublicKey> for KeyBlob {
    fn from(key: &PublicKey) -> Self {
        Self {
            algorithm: key.key_type().to_owned(),
            blob: key.to_blob(),
        }
    }
}

/// A parsed public key line (`~/.ssh/id_*.pub`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PublicKeyLine {
    /// The key.
    pub key: KeyBlob,
    /// The comment after the key, trimmed; empty when there is none.
    pub comment: String,
}

impl PublicKeyLine {
    /// Parses `type base64 [comment]`. Any key type OpenSSH knows parses; use
    /// [`PublicKeyLine::public_key`] to get a key burrow can use.
    pub fn parse(line: &str) -> Result<Self, KeyFileError> {
        let (key, comment) = split_key_fields(line.trim())?;
        Ok(Self {
            key,
            comment: comment.to_owned(),
        })
    }

    /// The key, or `UnsupportedKeyType` naming its type.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        self.key.to_public_key()
    }
}

/// Parses a public key line and returns the key and its comment; types burrow does not
/// implement are an `UnsupportedKeyType` error naming the type.
pub fn parse_public_key_line(line: &str) -> Result<(PublicKey, String), KeyFileError> {
    let parsed = PublicKeyLine::parse(line)?;
    Ok((parsed.public_key()?, parsed.comment))
}

/// Splits `type base64[ comment]` (the comment keeps its inner spaces) and decodes the key.
pub(crate) fn split_key_fields(s: &str) -> Result<(KeyBlob, &str), KeyFileError> {
    let (algorithm, rest) = next_word(s);
    if algorithm.is_empty() {
        return Err(KeyFileError::MissingKey);
    }
    if !is_known_key_type(algorithm) {
        return Err(KeyError::UnsupportedKeyType {
            name: input_name(algorithm.as_bytes()),
        }
        .into());
    }
    let (b64, comment) = next_word(rest);
    if b64.is_empty() {
        return Err(KeyFileError::MissingKey);
    }
    Ok((KeyBlob::parse(algorithm, b64)?, comment.trim()))
}

/// Parses a known_hosts or authorized_keys file line by line (LF or CR LF, numbered from 1).
/// Blank lines and `#` comments are skipped; `parse` gets every other line without its
/// leading blanks and its number. Lines it refuses become warnings, never fatal for the rest.
pub(crate) fn parse_key_file<T>(
    text: &str,
    parse: impl Fn(&str, usize) -> Result<T, KeyFileError>,
) -> (Vec<T>, Vec<LineWarning>) {
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = index.saturating_add(1);
        let s = raw.strip_suffix('\r').unwrap_or(raw);
        let s = s.trim_start_matches([' ', '\t']);
        if s.is_empty() || s.starts_with('#') {
            continue;
        }
        match parse(s, line) {
            Ok(entry) => entries.push(entry),
            Err(error) => warnings.push(LineWarning { line, error }),
        }
    }
    (entries, warnings)
}

/// Splits off the first space- or tab-separated word; returns it and the rest, trimmed at
/// its start.
pub(crate) fn next_word(s: &str) -> (&str, &str) {
    let s = s.trim_start_matches([' ', '\t']);
    match s.find([' ', '\t']) {
        Some(i) => {
            let (word, rest) = s.split_at(i);
            (word, rest.trim_start_matches([' ', '\t']))
        }
        None => (s, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyPair;

    #[test]
    fn key_file_lines_skip_comments_and_number_from_one() {
        let text = "# comment\r\n  good one\r\n\n\t# indented comment\nbad\n  good two";
        let (entries, warnings) = parse_key_file(text, |s, line| {
            if s.starts_with("good") {
                Ok((line, s.to_owned()))
            } else {
                Err(KeyFileError::MissingKey)
            }
        });
        assert_eq!(
            entries,
            vec![(2, "good one".to_owned()), (6, "good two".to_owned())]
        );
        assert_eq!(
            warnings,
            vec![LineWarning {
                line: 5,
                error: KeyFileError::MissingKey
            }]
        );
    }

    fn key() -> PublicKey {
        KeyPair::from_ed25519_seed(&[3; 32]).public_key().clone()
    }

    #[test]
    fn ed25519_line_round_trips_with_spaces_in_comment() {
        let line = key().to_openssh_line("alice at work");
        let (k, c) = parse_public_key_line(&format!("  {line}\r\n")).unwrap();
        assert_eq!(k, key());
        assert_eq!(c, "alice at work");
    }

    #[test]
    fn line_without_comment_has_empty_comment() {
        let (_, c) = parse_public_key_line(&key().to_openssh_line("")).unwrap();
        assert_eq!(c, "");
    }

    #[test]
    fn dss_line_parses_but_is_unsupported_for_use_and_toy_rsa_is_too_small() {
        let blob = b"\x00\x00\x00\x07ssh-dss\x00\x00\x00\x01\x05";
        let line = format!("ssh-dss {} bob", STANDARD.encode(blob));
        let parsed = PublicKeyLine::parse(&line).unwrap();
        assert_eq!(parsed.key.algorithm(), "ssh-dss");
        assert_eq!(
            parse_public_key_line(&line).unwrap_err().to_string(),
            "unsupported key type \"ssh-dss\""
        );
        // e=65537 and a 3-bit modulus.
        let blob = b"\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x03\x01\x00\x01\x00\x00\x00\x01\x05";
        let line = format!("ssh-rsa {} bob", STANDARD.encode(blob));
        assert_eq!(
            PublicKeyLine::parse(&line).unwrap_err(),
            KeyFileError::Key(KeyError::RsaKeyTooSmall { bits: 3, min: 1024 })
        );
    }

    #[test]
    fn unknown_type_word_is_named() {
        assert_eq!(
            parse_public_key_line("ssh-foo AAAA").unwrap_err(),
            KeyFileError::Key(KeyError::UnsupportedKeyType {
                name: "ssh-foo".into()
            })
        );
    }

    #[test]
    fn blob_naming_other_type_than_text_is_rejected() {
        let b64 = STANDARD.encode(key().to_blob());
        assert_eq!(
            parse_public_key_line(&format!("ssh-rsa {b64}"))
                .unwrap_err()
                .to_string(),
            "key type \"ssh-rsa\" in the text but \"ssh-ed25519\" in the blob"
        );
    }

    #[test]
    fn bad_base64_and_missing_key_are_errors() {
        assert!(matches!(
            parse_public_key_line("ssh-ed25519 !!!!"),
            Err(KeyFileError::InvalidBase64 { .. })
        ));
        assert_eq!(
            parse_public_key_line("ssh-ed25519"),
            Err(KeyFileError::MissingKey)
        );
        assert_eq!(parse_public_key_line("   "), Err(KeyFileError::MissingKey));
    }

    #[test]
    fn oversize_base64_is_refused_before_decoding() {
        let text = "A".repeat(MAX_BLOB_LEN * 2);
        assert!(matches!(
            KeyBlob::parse("ssh-rsa", &text),
            Err(KeyFileError::Key(KeyError::WrongLength { .. }))
        ));
    }

    #[test]
    fn key_blob_text_round_trips() {
        let blob = KeyBlob::from(&key());
        let text = blob.to_text();
        let (word, b64) = next_word(&text);
        assert_eq!(KeyBlob::parse(word, b64).unwrap(), blob);
        assert_eq!(blob.to_public_key().unwrap(), key());
    }

    #[test]
    fn ssh_keygen_public_files_parse() {
        let Some(keygen) = crate::testutil::ssh_keygen() else {
            return;
        };
        let dir = crate::testutil::TempDir::new("publine");
        for (t, bits) in [
            ("ed25519", None),
            ("ecdsa", Some("256")),
            ("rsa", Some("2048")),
            ("ecdsa", Some("521")),
            ("dsa", None),
        ] {
            let path = dir.path().join(format!("{t}{}", bits.unwrap_or("")));
            let path = path.to_str().unwrap();
            let mut args = vec!["-q", "-t", t, "-N", "", "-C", "c o", "-f", path];
            if let Some(b) = bits {
                args.extend(["-b", b]);
            }
            crate::testutil::run_keygen(keygen, &args);
            let text = std::fs::read_to_string(format!("{path}.pub")).unwrap();
            let line = PublicKeyLine::parse(&text).unwrap();
            assert_eq!(line.comment, "c o");
            if t == "dsa" {
                let err = line.public_key().unwrap_err().to_string();
                assert_eq!(err, "unsupported key type \"ssh-dss\"");
            } else {
                assert_eq!(
                    line.public_key().unwrap().to_openssh_line("c o"),
                    text.trim()
                );
            }
        }
    }
}
