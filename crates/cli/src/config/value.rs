//! Value syntaxes shared by ssh_config and sshd_config: flags, times, ports, log levels.

/// `yes`/`no` (also `true`/`false`), case-insensitive.
pub fn parse_flag(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

/// sshd_config(5) TIME FORMATS (`1h30m`), which `RekeyLimit` uses too.
pub use super::syntax::parse_time;

/// A TCP port, 1 to 65535.
pub fn parse_port(v: &str) -> Option<u16> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u16>().ok().filter(|&p| p != 0)
}

/// A non-negative count that fits `u32`.
pub fn parse_count(v: &str) -> Option<u32> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u32>().ok()
}

/// `LogLevel` values of ssh_config(5) and sshd_config(5), quietest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Nothing at all.
    Quiet,
    /// Only fatal errors.
    Fatal,
    /// Errors.
    Error,
    /// The default: informational messages (`Allocated port ...`).
    Info,
    /// More information, such as each forward and fingerprints.
    Verbose,
    /// Debug level 1 (`DEBUG` is the same).
    Debug1,
    /// Debug level 2.
    Debug2,
    /// Debug level 3: everything.
    Debug3,
}

impl LogLevel {
    /// Parses a level name, case-insensitively.
    pub fn parse(v: &str) -> Option<Self> {
        Some(match v.to_ascii_uppercase().as_str() {
            "QUIET" => Self::Quiet,
            "FATAL" => Self::Fatal,
            "ERROR" => Self::Error,
            "INFO" => Self::Info,
            "VERBOSE" => Self::Verbose,
            "DEBUG" | "DEBUG1" => Self::Debug1,
            "DEBUG2" => Self::Debug2,
            "DEBUG3" => Self::Debug3,
            _ => return None,
        })
    }

    /// The name ssh prints (`ssh -G`): DEBUG1 is `DEBUG`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Quiet => "QUIET",
            Self::Fatal => "FATAL",
            Self::Error => "ERROR",
            Self::Info => "INFO",
            Self::Verbose => "VERBOSE",
            Self::Debug1 => "DEBUG",
            Self::Debug2 => "DEBUG2",
            Self::Debug3 => "DEBUG3",
        }
    }

    /// Raises the level by `steps` (each `-v`), stopping at `Debug3`. ssh starts counting from
    /// INFO: `-v` is DEBUG1, whatever LogLevel says, unless the level is higher already.
    pub fn raised_by_verbosity(self, steps: u8) -> Self {
        let by_v = match steps {
            0 => return self,
            1 => Self::Debug1,
            2 => Self::Debug2,
            _ => Self::Debug3,
        };
        self.max(by_v)
    }

    /// The `tracing` filter directive for this level (`off`, `error`, `info`, `debug`, `trace`).
    pub fn tracing_directive(self) -> &'static str {
        match self {
            Self::Quiet => "off",
            Self::Fatal | Self::Error => "error",
            Self::Info | Self::Verbose => "info",
            Self::Debug1 | Self::Debug2 => "debug",
            Self::Debug3 => "trace",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_accept_yes_no_true_false_in_any_case() {
        assert_eq!(parse_flag("YES"), Some(true));
        assert_eq!(parse_flag("true"), Some(true));
        assert_eq!(parse_flag("No"), Some(false));
        assert_eq!(parse_flag("false"), Some(false));
        assert_eq!(parse_flag("1"), None);
    }

    #[test]
    fn times_combine_units_and_bare_digits_are_seconds() {
        assert_eq!(parse_time("90"), Some(90));
        assert_eq!(parse_time("2m"), Some(120));
        assert_eq!(parse_time("1h30m"), Some(5400));
        assert_eq!(parse_time("1w1d1h1m1s"), Some(694_861));
        assert_eq!(parse_time("10M"), Some(600));
        assert_eq!(parse_time("0"), Some(0));
        assert_eq!(parse_time(""), None);
        assert_eq!(parse_time("m"), None);
        assert_eq!(parse_time("1x"), None);
        assert_eq!(parse_time("99999999999999999999w"), None);
    }

    #[test]
    fn ports_are_1_to_65535_digits_only() {
        assert_eq!(parse_port("22"), Some(22));
        assert_eq!(parse_port("65535"), Some(65535));
        assert_eq!(parse_port("0"), None);
        assert_eq!(parse_port("65536"), None);
        assert_eq!(parse_port("+22"), None);
        assert_eq!(parse_port(""), None);
    }

    #[test]
    fn log_levels_parse_and_map_to_tracing() {
        assert_eq!(LogLevel::parse("debug"), Some(LogLevel::Debug1));
        assert_eq!(LogLevel::parse("Error"), Some(LogLevel::Error));
        assert_eq!(LogLevel::parse("loud"), None);
        assert_eq!(LogLevel::Info.tracing_directive(), "info");
        assert_eq!(LogLevel::Quiet.tracing_directive(), "off");
        assert_eq!(LogLevel::Debug3.tracing_directive(), "trace");
    }

    #[test]
    fn verbosity_raises_but_never_lowers() {
        assert_eq!(LogLevel::Error.raised_by_verbosity(0), LogLevel::Error);
        assert_eq!(LogLevel::Error.raised_by_verbosity(1), LogLevel::Debug1);
        assert_eq!(LogLevel::Info.raised_by_verbosity(3), LogLevel::Debug3);
        assert_eq!(LogLevel::Info.raised_by_verbosity(9), LogLevel::Debug3);
        assert_eq!(LogLevel::Debug3.raised_by_verbosity(1), LogLevel::Debug3);
    }
}
