//! Questions on the terminal (/dev/tty): passwords and passphrases without echo (through
//! `stty`), keyboard-interactive prompts, and the unknown-host-key question.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use std::sync::atomic::{AtomicUsize, Ordering};

use burrow::{AuthPrompt, peer_text};
use burrow_userauth::PromptLine;

/// Longest answer read from the terminal.
const MAX_ANSWER: u64 = 4096;

fn tty() -> Option<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()
}

fn stty(tty: &File, arg: &str) -> bool {
    let Ok(input) = tty.try_clone() else {
        return false;
    };
    Command::new("stty")
        .arg(arg)
        .stdin(Stdio::from(input))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Asks `prompt` on the terminal; `None` without a terminal or at end of input.
pub fn ask(prompt: &str, echo: bool) -> Option<String> {
    let mut tty = tty()?;
    tty.write_all(prompt.as_bytes()).ok()?;
    tty.flush().ok()?;
    let hidden = !echo && stty(&tty, "-echo");
    let mut line = String::new();
    let read = tty
        .try_clone()
        .map(|t| BufReader::new(t.take(MAX_ANSWER)).read_line(&mut line));
    if hidden {
        stty(&tty, "echo");
        if tty.write_all(b"\n").is_err() {
            return None;
        }
    }
    match read {
        Ok(Ok(n)) if n > 0 => Some(line.trim_end_matches(['\n', '\r']).to_owned()),
        _ => None,
    }
}

/// Password and keyboard-interactive answers from the terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct TtyPrompt;

impl AuthPrompt for TtyPrompt {
    fn password(&self, prompt: &str) -> Option<String> {
        ask(
            &peer_text::escape(prompt.as_bytes(), false, peer_text::MAX_LINE),
            false,
        )
    }

    fn keyboard_interactive(
        &self,
        name: &str,
        instruction: &str,
        prompts: &[PromptLine],
    ) -> Option<Vec<String>> {
        for text in [name, instruction] {
            if !text.is_empty() {
                eprintln!(
                    "{}",
                    peer_text::escape(text.as_bytes(), true, peer_text::MAX_BANNER)
                );
            }
        }
        prompts
            .iter()
            .map(|p| {
                let text = peer_text::escape(p.text.as_bytes(), false, peer_text::MAX_LINE);
                ask(&text, p.echo)
            })
            .collect()
    }

    fn banner(&self, message: &[u8]) {
        show_banner(message);
    }
}

/// Banners only (BatchMode: never prompt).
#[derive(Debug, Clone, Copy, Default)]
pub struct BannerOnly;

impl AuthPrompt for BannerOnly {
    fn banner(&self, message: &[u8]) {
        show_banner(message);
    }
}

/// Banner bytes one run prints at most; a server that sends more gets one notice.
pub const BANNER_BUDGET: usize = 64 << 10;

static BANNER_SHOWN: AtomicUsize = AtomicUsize::new(0);

/// Prints a banner escaped (as ssh's `fmprintf`), each cut at [`peer_text::MAX_BANNER`]
/// and all together at [`BANNER_BUDGET`] bytes.
fn show_banner(message: &[u8]) {
    let before = BANNER_SHOWN.fetch_add(message.len(), Ordering::Relaxed);
    let left = BANNER_BUDGET.saturating_sub(before);
    if left == 0 {
        return;
    }
    let max = left.min(peer_text::MAX_BANNER);
    eprint!("{}", peer_text::escape(message, true, max));
    if message.len() >= left {
        eprintln!("\n[further banner text from the server not shown]");
    }
}
