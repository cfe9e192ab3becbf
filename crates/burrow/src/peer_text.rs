//! Text from the peer made safe for a terminal or a log line: control characters, C1
//! controls and bytes that are not UTF-8 become OpenSSH-style octal escapes, and long texts
//! are cut.

use core::fmt::Write;

/// How much of a one-line peer text (a DISCONNECT reason, an error description) is shown,
/// in input bytes: OpenSSH prints a disconnect reason with `%.400s`.
pub const MAX_LINE: usize = 400;

/// How much of one banner is shown, in input bytes.
pub const MAX_BANNER: usize = 16 << 10;

/// `bytes` with every character that could steer a terminal written as `\ooo` octal escapes
/// (one per byte), as OpenSSH's `strnvis`/`fmprintf` write them: C0 controls (ESC, BEL, CR...),
/// DEL, C1 controls such as U+009B (CSI) and bytes that are not UTF-8. Printable UTF-8 is
/// kept. With `multiline`, LF, TAB and a CR right before LF are kept, so that a banner keeps
/// its lines. At most `max` input bytes are shown; a longer text ends with `...`.
pub fn escape(bytes: &[u8], multiline: bool, max: usize) -> String {
    let cut = bytes.len() > max;
    let shown = bytes.get(..max).unwrap_or(bytes);
    let mut out = String::with_capacity(shown.len());
    let mut chunks = shown.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        push_text(&mut out, chunk.valid(), multiline);
        // A character split by the cut is dropped rather than shown as escapes.
        if !(cut && chunks.peek().is_none()) {
            push_octal(&mut out, chunk.invalid());
        }
    }
    if cut {
        out.push_str("...");
    }
    out
}

/// [`escape`] for one line: LF and TAB are escaped too, at most [`MAX_LINE`] bytes.
pub fn line(text: &str) -> String {
    escape(text.as_bytes(), false, MAX_LINE)
}

fn push_text(out: &mut String, text: &str, multiline: bool) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let keep = !c.is_control()
            || (multiline
                && (c == '\n' || c == '\t' || (c == '\r' && chars.peek() == Some(&'\n'))));
        if keep {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            push_octal(out, c.encode_utf8(&mut buf).as_bytes());
        }
    }
}

fn push_octal(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _infallible = write!(out, "\\{b:03o}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_c1_and_invalid_bytes_are_octal() {
        assert_eq!(
            escape(b"a\x1b[31mb\x07c\rd\xc2\x9be\x7f", true, MAX_BANNER),
            "a\\033[31mb\\007c\\015d\\302\\233e\\177"
        );
        assert_eq!(escape(b"Gr\xfc\xdfe", true, 100), "Gr\\374\\337e");
    }

    #[test]
    fn banner_lines_stay_but_not_in_one_line_texts() {
        assert_eq!(escape(b"a\tb\r\nc\n", true, 100), "a\tb\r\nc\n");
        assert_eq!(
            escape(b"a\tb\r\nc\n", false, 100),
            "a\\011b\\015\\012c\\012"
        );
        assert_eq!(escape("héllo ✓".as_bytes(), false, 100), "héllo ✓");
    }

    #[test]
    fn long_texts_are_cut() {
        let long = vec![b'A'; 10_000];
        let shown = escape(&long, false, MAX_LINE);
        assert_eq!(shown.len(), MAX_LINE + 3);
        assert!(shown.ends_with("A..."));
        // A multi-byte character cut at the limit is not turned into escapes.
        assert_eq!(escape("aé".as_bytes(), false, 2), "a...");
    }
}
