//! OpenSSH key revocation lists (PROTOCOL.krl): parsed with bounded counts, and the checks
//! OpenSSH makes of a key or certificate against one; plain public-key lists beside them.

use std::collections::BTreeSet;

use burrow_keys::{Certificate, PublicKey};
use burrow_wire::{DecodeError, Reader};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

use crate::parse_public_key_line;

#[cfg(test)]
mod tests;

/// The first bytes of every KRL.
pub const KRL_MAGIC: &[u8; 8] = b"SSHKRL\n\0";
/// The one format version (PROTOCOL.krl §1).
const FORMAT_VERSION: u32 = 1;
/// The largest KRL read, in bytes.
pub const MAX_KRL_BYTES: usize = 16 << 20;
/// The most revocations (keys, hashes, serial lists and ranges, bitmaps, key IDs, CA
/// sections) one KRL may hold.
pub const MAX_KRL_ENTRIES: usize = 1 << 20;

const SECTION_CERTIFICATES: u8 = 1;
const SECTION_EXPLICIT_KEY: u8 = 2;
const SECTION_FINGERPRINT_SHA1: u8 = 3;
const SECTION_SIGNATURE: u8 = 4;
const SECTION_FINGERPRINT_SHA256: u8 = 5;
const CERT_SERIAL_LIST: u8 = 0x20;
const CERT_SERIAL_RANGE: u8 = 0x21;
const CERT_SERIAL_BITMAP: u8 = 0x22;
const CERT_KEY_ID: u8 = 0x23;

/// Why a KRL was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KrlError {
    /// A field is cut short or malformed.
    Decode(DecodeError),
    /// The file does not start with `SSHKRL\n\0`.
    BadMagic,
    /// A format version other than 1.
    UnsupportedVersion(u32),
    /// A section type PROTOCOL.krl does not define.
    UnsupportedSection(u8),
    /// A certificate subsection type PROTOCOL.krl does not define.
    UnsupportedCertSection(u8),
    /// Bytes left over inside a section of this type.
    TrailingData(u8),
    /// A fingerprint of the wrong length in a section of this type.
    BadHashLength {
        /// The section type (3: SHA1, 5: SHA256).
        section: u8,
        /// The length found.
        len: usize,
    },
    /// A serial range whose minimum exceeds its maximum, or a bitmap past 2^64.
    BadSerials,
    /// A section after a signature section.
    SectionAfterSignature,
    /// The file exceeds [`MAX_KRL_BYTES`].
    TooLarge(usize),
    /// More than [`MAX_KRL_ENTRIES`] revocations.
    TooManyEntries,
}

impl core::fmt::Display for KrlError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "invalid KRL: {e}"),
            Self::BadMagic => write!(f, "not a KRL (bad magic)"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported KRL format version {v}"),
            Self::UnsupportedSection(t) => write!(f, "Unsupported KRL section {t}"),
            Self::UnsupportedCertSection(t) => {
                write!(f, "Unsupported KRL certificate section {t}")
            }
            Self::TrailingData(t) => write!(f, "KRL section {t} contains unparsed data"),
            Self::BadHashLength { section, len } => {
                write!(f, "KRL section {section}: fingerprint of {len} bytes")
            }
            Self::BadSerials => write!(f, "KRL certificate serials out of range"),
            Self::SectionAfterSignature => {
                write!(f, "KRL contains non-signature section after signature")
            }
            Self::TooLarge(n) => write!(f, "KRL of {n} bytes exceeds {MAX_KRL_BYTES}"),
            Self::TooManyEntries => write!(f, "KRL holds more than {MAX_KRL_ENTRIES} entries"),
        }
    }
}

impl std::error::Error for KrlError {}

impl From<DecodeError> for KrlError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

/// Certificates revoked for one CA (or for any CA).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct CertRevocations {
    /// The CA key blob; empty: any CA.
    ca: Vec<u8>,
    /// Revoked serials, as inclusive ranges.
    ranges: Vec<(u64, u64)>,
    /// Bitmaps: serial `offset + N` is revoked when bit N of the big-endian bytes is set.
    bitmaps: Vec<(u64, Vec<u8>)>,
    /// Revoked key IDs.
    key_ids: BTreeSet<Vec<u8>>,
}

impl CertRevocations {
    fn revokes(&self, cert: &Certificate) -> bool {
        if self.key_ids.contains(cert.key_id.as_bytes()) {
            return true;
        }
        // A zero serial is the default of CAs that set none: never revoked by serial.
        let s = cert.serial;
        s != 0
            && (self.ranges.iter().any(|&(lo, hi)| lo <= s && s <= hi)
                || self
                    .bitmaps
                    .iter()
                    .any(|(offset, bits)| bit_set(bits, s, *offset)))
    }
}

/// Whether bit `serial - offset` (counted from the least significant end) is set in `bits`.
fn bit_set(bits: &[u8], serial: u64, offset: u64) -> bool {
    let Some(n) = serial.checked_sub(offset) else {
        return false;
    };
    let Ok(byte) = usize::try_from(n / 8) else {
        return false;
    };
    byte < bits.len()
        && bits
            .get(bits.len() - 1 - byte)
            .is_some_and(|b| b >> (n % 8) & 1 == 1)
}

/// A parsed key revocation list. Signature sections are skipped, not verified (OpenSSH
/// trusts a KRL for where it is read from).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Krl {
    /// `krl_version`.
    pub version: u64,
    /// `generated_date`, seconds since 1970.
    pub generated: u64,
    /// The comment.
    pub comment: String,
    keys: BTreeSet<Vec<u8>>,
    sha1: BTreeSet<Vec<u8>>,
    sha256: BTreeSet<Vec<u8>>,
    certs: Vec<CertRevocations>,
}

impl Krl {
    /// Whether `bytes` starts with the KRL magic.
    pub fn is_krl(bytes: &[u8]) -> bool {
        bytes.starts_with(KRL_MAGIC)
    }

    /// Parses a KRL.
    pub fn parse(bytes: &[u8]) -> Result<Self, KrlError> {
        if bytes.len() > MAX_KRL_BYTES {
            return Err(KrlError::TooLarge(bytes.len()));
        }
        let body = bytes.strip_prefix(KRL_MAGIC).ok_or(KrlError::BadMagic)?;
        let mut r = Reader::new(body);
        let version = r.uint32("KRL format_version")?;
        if version != FORMAT_VERSION {
            return Err(KrlError::UnsupportedVersion(version));
        }
        let mut krl = Self {
            version: r.uint64("KRL krl_version")?,
            generated: r.uint64("KRL generated_date")?,
            ..Self::default()
        };
        r.uint64("KRL flags")?;
        r.string("KRL reserved")?;
        krl.comment = String::from_utf8_lossy(r.string("KRL comment")?).into_owned();
        let mut entries = 0usize;
        let mut count = |n: usize| {
            entries = entries.saturating_add(n);
            (entries <= MAX_KRL_ENTRIES)
                .then_some(())
                .ok_or(KrlError::TooManyEntries)
        };
        let mut signed = false;
        while !r.is_empty() {
            let kind = r.byte("KRL section_type")?;
            let data = r.string("KRL section_data")?;
            if kind == SECTION_SIGNATURE {
                r.string("KRL signature")?;
                signed = true;
                continue;
            }
            if signed {
                return Err(KrlError::SectionAfterSignature);
            }
            let mut s = Reader::new(data);
            match kind {
                SECTION_CERTIFICATES => {
                    count(1)?;
                    krl.certs.push(cert_section(&mut s, &mut count)?);
                }
                SECTION_EXPLICIT_KEY => blobs(&mut s, kind, 0, &mut krl.keys, &mut count)?,
                SECTION_FINGERPRINT_SHA1 => blobs(&mut s, kind, 20, &mut krl.sha1, &mut count)?,
                SECTION_FINGERPRINT_SHA256 => {
                    blobs(&mut s, kind, 32, &mut krl.sha256, &mut count)?;
                }
                other => return Err(KrlError::UnsupportedSection(other)),
            }
        }
        Ok(krl)
    }

    /// Whether the plain key `key` is revoked: by SHA1 or SHA256 fingerprint, or listed.
    pub fn revokes_key(&self, key: &PublicKey) -> bool {
        let blob = key.blob();
        self.sha1.contains(Sha1::digest(blob).as_slice())
            || self.sha256.contains(Sha256::digest(blob).as_slice())
            || self.keys.contains(blob)
    }

    /// OpenSSH's check of a certificate: its key, then its serial and key ID under its CA
    /// or under any CA, then the CA key itself.
    pub fn revokes_certificate(&self, cert: &Certificate) -> bool {
        let ca = cert.signature_key.blob();
        self.revokes_key(&cert.key)
            || self
                .certs
                .iter()
                .filter(|c| c.ca.is_empty() || c.ca == ca)
                .any(|c| c.revokes(cert))
            || self.revokes_key(&cert.signature_key)
    }
}

/// A section of strings (keys or fingerprints of `len` bytes, 0: any length).
fn blobs(
    s: &mut Reader<'_>,
    kind: u8,
    len: usize,
    into: &mut BTreeSet<Vec<u8>>,
    count: &mut impl FnMut(usize) -> Result<(), KrlError>,
) -> Result<(), KrlError> {
    while !s.is_empty() {
        let blob = s.string("KRL revoked blob")?;
        if len != 0 && blob.len() != len {
            return Err(KrlError::BadHashLength {
                section: kind,
                len: blob.len(),
            });
        }
        count(1)?;
        into.insert(blob.to_vec());
    }
    Ok(())
}

/// A KRL_SECTION_CERTIFICATES body: CA key, reserved, then subsections.
fn cert_section(
    s: &mut Reader<'_>,
    count: &mut impl FnMut(usize) -> Result<(), KrlError>,
) -> Result<CertRevocations, KrlError> {
    let mut out = CertRevocations {
        ca: s.string("KRL ca_key")?.to_vec(),
        ..CertRevocations::default()
    };
    s.string("KRL certificates reserved")?;
    while !s.is_empty() {
        let kind = s.byte("KRL cert_section_type")?;
        let mut sub = Reader::new(s.string("KRL cert_section_data")?);
        match kind {
            CERT_SERIAL_LIST => {
                while !sub.is_empty() {
                    let serial = sub.uint64("KRL revoked_cert_serial")?;
                    count(1)?;
                    out.ranges.push((serial, serial));
                }
            }
            CERT_SERIAL_RANGE => {
                let lo = sub.uint64("KRL serial_min")?;
                let hi = sub.uint64("KRL serial_max")?;
                if lo > hi {
                    return Err(KrlError::BadSerials);
                }
                count(1)?;
                out.ranges.push((lo, hi));
            }
            CERT_SERIAL_BITMAP => {
                let offset = sub.uint64("KRL serial_offset")?;
                let bitmap = sub.mpint("KRL revoked_keys_bitmap")?;
                let bits = bitmap.unsigned_be().ok_or(KrlError::BadSerials)?;
                // The highest serial the bitmap names must fit in 64 bits, as in OpenSSH.
                let nbits = u64::try_from(bits.len())
                    .ok()
                    .and_then(|n| n.checked_mul(8))
                    .ok_or(KrlError::BadSerials)?;
                let top = bits.first().map_or(0, |b| 8 - u64::from(b.leading_zeros()));
                let highest = nbits.saturating_sub(8).saturating_add(top);
                if highest > 0 && offset.checked_add(highest - 1).is_none() {
                    return Err(KrlError::BadSerials);
                }
                count(1)?;
                out.bitmaps.push((offset, bits.to_vec()));
            }
            CERT_KEY_ID => {
                while !sub.is_empty() {
                    let id = sub.string("KRL key_id")?;
                    count(1)?;
                    out.key_ids.insert(id.to_vec());
                }
            }
            other => return Err(KrlError::UnsupportedCertSection(other)),
        }
        if !sub.is_empty() {
            return Err(KrlError::TrailingData(kind));
        }
    }
    Ok(out)
}

/// A RevokedKeys / RevokedHostKeys file: a KRL, or public key lines as OpenSSH falls back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokedKeys {
    /// A key revocation list.
    Krl(Krl),
    /// Public key lines (unparsable lines are skipped).
    List(Vec<PublicKey>),
}

impl RevokedKeys {
    /// Reads the file's bytes: a KRL when it has the magic, else a list of key lines.
    pub fn parse(bytes: &[u8]) -> Result<Self, KrlError> {
        if Krl::is_krl(bytes) {
            return Krl::parse(bytes).map(Self::Krl);
        }
        if bytes.len() > MAX_KRL_BYTES {
            return Err(KrlError::TooLarge(bytes.len()));
        }
        let keys = String::from_utf8_lossy(bytes)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| parse_public_key_line(l).ok().map(|(k, _)| k))
            .take(MAX_KRL_ENTRIES)
            .collect();
        Ok(Self::List(keys))
    }

    /// Whether `key`, or the certificate `cert` (whose key is `key`), is revoked. A list
    /// revokes a certificate whose key or CA key it holds, as OpenSSH.
    pub fn revokes(&self, key: &PublicKey, cert: Option<&Certificate>) -> bool {
        match (self, cert) {
            (Self::Krl(krl), Some(c)) => krl.revokes_certificate(c),
            (Self::Krl(krl), None) => krl.revokes_key(key),
            (Self::List(keys), c) => keys
                .iter()
                .any(|k| k == key || c.is_some_and(|c| *k == c.signature_key)),
        }
    }
}
