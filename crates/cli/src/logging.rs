//! Log output on stderr: plain lines as ssh and sshd write them by default (the message and
//! its fields, no time, level or span), with level, source and spans once debugging is on.

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::config::value::LogLevel;

/// Only the message and its fields, one line per event.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Installs the global subscriber for `level`, writing to stderr.
pub fn init(level: LogLevel) {
    install(level, BoxMakeWriter::new(std::io::stderr));
}

/// As [`init`], but appending to `file` instead of stderr (`ssh -E`).
pub fn init_file(level: LogLevel, file: std::fs::File) {
    install(level, BoxMakeWriter::new(std::sync::Mutex::new(file)));
}

fn install(level: LogLevel, writer: BoxMakeWriter) {
    let filter = EnvFilter::new(level.tracing_directive());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .without_time()
        .with_ansi(false);
    let result = if level >= LogLevel::Debug1 {
        builder.with_target(true).try_init()
    } else {
        builder.event_format(Plain).try_init()
    };
    if let Err(e) = result {
        eprintln!("logging already set up: {e}");
    }
}
