//! The PEM-like armour around an openssh-key-v1 file: marker lines and wrapped base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::KeyError;

/// First line of an OpenSSH private key file.
pub const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
/// Last line of an OpenSSH private key file.
pub const END: &str = "-----END OPENSSH PRIVATE KEY-----";
/// Base64 characters per line when writing (what `ssh-keygen` writes).
const LINE_WIDTH: usize = 70;

/// Removes the armour and decodes the base64 body. Leading blank lines are allowed; line
/// ends may be LF or CR LF; text after the END line is ignored, as OpenSSH does.
pub fn decode(text: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let mut lines = text.trim_start().lines();
    if lines.next().map(str::trim_end) != Some(BEGIN) {
        return Err(KeyError::NotOpensshPrivateKey);
    }
    let mut body = Zeroizing::new(String::with_capacity(text.len()));
    let mut ended = false;
    for line in lines {
        let line = line.trim();
        if line == END {
            ended = true;
            break;
        }
        body.push_str(line);
    }
    if !ended {
        return Err(KeyError::NotOpensshPrivateKey);
    }
    STANDARD
        .decode(body.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| KeyError::InvalidBase64 {
            what: "private key body",
        })
}

/// Wraps `binary` in the armour, 70 base64 characters per line, ending in a newline.
pub fn encode(binary: &[u8]) -> String {
    let b64 = Zeroizing::new(STANDARD.encode(binary));
    let mut out = String::with_capacity(b64.len() + b64.len() / LINE_WIDTH + 80);
    out.push_str(BEGIN);
    out.push('\n');
    // Base64 output is ASCII, so splitting at any byte offset is a char boundary.
    for chunk in b64.as_bytes().chunks(LINE_WIDTH) {
        out.extend(chunk.iter().map(|&b| char::from(b)));
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode_round_trips_across_lines() {
        let data: Vec<u8> = (0..=255u8).collect();
        let text = encode(&data);
        assert!(
            text.lines()
                .all(|l| l.len() <= LINE_WIDTH || l.starts_with("-----"))
        );
        assert_eq!(decode(&text).unwrap().as_slice(), data.as_slice());
    }

    #[test]
    fn crlf_and_leading_blank_lines_are_accepted() {
        let text = encode(b"hello world").replace('\n', "\r\n");
        assert_eq!(
            decode(&format!("\n\n{text}")).unwrap().as_slice(),
            b"hello world"
        );
    }

    #[test]
    fn missing_end_line_is_rejected() {
        let text = format!("{BEGIN}\naGVsbG8=\n");
        assert_eq!(decode(&text), Err(KeyError::NotOpensshPrivateKey));
    }

    #[test]
    fn pem_rsa_armour_is_not_openssh() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(decode(text), Err(KeyError::NotOpensshPrivateKey));
    }

    #[test]
    fn bad_base64_is_named() {
        let text = format!("{BEGIN}\n!!!!\n{END}\n");
        assert_eq!(
            decode(&text).unwrap_err().to_string(),
            "private key body: invalid base64"
        );
    }
}
