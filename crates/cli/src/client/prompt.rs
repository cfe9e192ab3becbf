//! Questions on the terminal (/dev/tty): passwords and passphrases without echo (through
//! `stty`), keyboard-interactive prompts, and the unknown-host-key question.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use burrow::AuthPrompt;
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
        ask(prompt, false)
    }

    fn keyboard_interactive(
        &self,
        name: &str,
        instruction: &str,
        prompts: &[PromptLine],
    ) -> Option<Vec<String>> {
        for text in [name, instruction] {
            if !text.is_empty() {
                eprintln!("{text}");
            }
        }
        prompts.iter().map(|p| ask(&p.text, p.echo)).collect()
    }

    fn banner(&self, message: &str) {
        eprint!("{message}");
    }
}

/// Banners only (BatchMode: never prompt).
#[derive(Debug, Clone, Copy, Default)]
pub struct BannerOnly;

impl AuthPrompt for BannerOnly {
    fn banner(&self, message: &str) {
        eprint!("{message}");
    }
}
