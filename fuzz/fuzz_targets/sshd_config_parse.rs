//! Arbitrary text as sshd_config and as `-o` options: an error or options, never a panic.
#![no_main]

use burrow_cli::config::sshd_config::{SshdOptions, apply_option, read_config};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let mut opts = SshdOptions::default();
    for line in text.lines().take(4) {
        if apply_option(&mut opts, line).is_err() {
            break;
        }
    }
    if read_config(&mut opts, "fuzz", text).is_ok() {
        let paths = opts.authorized_keys_paths("user", "/home/user");
        assert!(paths.len() <= text.len() + 1);
        assert!(opts.host_keys.len() <= burrow_cli::config::sshd_config::MAX_REPEATED);
    }
});
