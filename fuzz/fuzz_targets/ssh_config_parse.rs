//! Arbitrary text as ssh_config (and as an included file, and as a `-o` option): the parser
//! must return an error or options, never panic, and stay within its line budget.
#![no_main]

use burrow_cli::config::ssh_config::{SourceFile, SshOptions, apply_option, read_config};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let mut opts = SshOptions::default();
    let mut warnings = Vec::new();
    for line in text.lines().take(4) {
        if apply_option(&mut opts, line, &mut warnings).is_err() {
            break;
        }
    }
    let main = SourceFile {
        name: "fuzz".to_owned(),
        text: text.to_owned(),
    };
    // Every Include pattern names the input itself, so nesting is exercised to the limit.
    let mut include = |_: &str| vec![main.clone()];
    let host = text.split_whitespace().next().unwrap_or("host");
    if read_config(&mut opts, host, &main, &mut include, &mut warnings).is_ok() {
        assert!(opts.identity_files.len() <= burrow_cli::config::ssh_config::MAX_REPEATED + 4);
    }
});
