//! ssh_config `Match` lines: each input line is split as ssh_config splits it and its
//! arguments evaluated (`ssh_match::evaluate`) against a fixed context, in the first or the
//! `final` pass, then the whole input read as a config (`read_config_pass`). `Match exec`
//! never runs anything here: the hook only records the expanded command and answers with a
//! bit of the input. Checks: no panic, the hook is called at most once per `exec` criterion
//! and only with commands of bounded length.
#![no_main]

use core::net::IpAddr;

use burrow_cli::config::lexer::split_line;
use burrow_cli::config::ssh_config::{SourceFile, SshOptions, read_config_pass};
use burrow_cli::config::ssh_match::{MatchContext, SoFar, evaluate};
use libfuzzer_sys::fuzz_target;

/// Lines evaluated per input.
const MAX_LINES: usize = 64;

fn context(final_pass: bool) -> MatchContext {
    MatchContext {
        original_host: "web".to_owned(),
        local_user: "alice".to_owned(),
        home: "/home/alice".to_owned(),
        uid: 1000,
        local_host: "laptop.example.org".to_owned(),
        final_pass,
        final_host: "web.example.com".to_owned(),
        local_addresses: ["127.0.0.1", "192.168.1.20", "::1", "fe80::1", "2001:db8::5"]
            .iter()
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .collect(),
    }
}

/// The longest value a `%` token expands to in `context` (tokens of `evaluate`'s `exec`).
const LONGEST_TOKEN: usize = 18;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = core::str::from_utf8(rest) else {
        return;
    };
    let ctx = context(flags & 1 != 0);
    let so_far = SoFar {
        host_name: (flags & 2 != 0).then_some("%h.example.com"),
        user: (flags & 4 != 0).then_some("bob"),
        port: (flags & 8 != 0).then_some(2222),
        tag: (flags & 16 != 0).then_some("work"),
    };
    let answer = flags & 32 != 0;
    for line in text.lines().take(MAX_LINES) {
        let Ok(Some(d)) = split_line(line) else {
            continue;
        };
        // The line's own arguments, whatever its keyword: every line is a Match line here.
        let execs = d
            .args
            .iter()
            .filter(|a| a.to_ascii_lowercase().contains("exec"))
            .count();
        let bound = d.args.iter().map(String::len).sum::<usize>() * LONGEST_TOKEN;
        let mut calls = 0usize;
        let mut hook = |cmd: &str| {
            calls += 1;
            assert!(
                cmd.len() <= bound,
                "{} bytes from a {bound}-byte bound",
                cmd.len()
            );
            answer
        };
        if let Ok(out) = evaluate(&d.args, &ctx, so_far, &mut hook) {
            assert!(!(out.wants_final && !d.args.iter().any(|a| a.eq_ignore_ascii_case("final"))));
        }
        assert!(
            calls <= execs,
            "{calls} exec calls for {execs} exec criteria"
        );
    }
    // The same text as a config file, Match blocks and all, with the same harmless hook.
    let file = SourceFile {
        name: "fuzz".to_owned(),
        text: text.to_owned(),
    };
    let mut opts = SshOptions::default();
    let mut warnings = Vec::new();
    let mut include = |_: &str| Vec::new();
    let _ = read_config_pass(
        &mut opts,
        &ctx,
        &file,
        &mut include,
        &mut |_| answer,
        &mut warnings,
    );
});
