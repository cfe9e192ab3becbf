//! `CliError`: the one error type of burrow-cli, saying which file, line and value was wrong.

use core::fmt;

/// Everything that can go wrong while reading configuration or command-line options.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CliError {
    /// A keyword has no argument after it.
    MissingArgument {
        /// The file (or `command-line`).
        file: String,
        /// The 1-based line (0 for `-o`).
        line: usize,
        /// The keyword as written.
        keyword: String,
    },
    /// A quote is not closed.
    InvalidQuotes {
        /// The file.
        file: String,
        /// The line.
        line: usize,
    },
    /// A keyword got a value it does not accept.
    BadValue {
        /// The file.
        file: String,
        /// The line.
        line: usize,
        /// The keyword as written.
        keyword: String,
        /// The value.
        value: String,
    },
    /// A keyword got more arguments than it takes.
    TrailingArguments {
        /// The file.
        file: String,
        /// The line.
        line: usize,
        /// The keyword as written.
        keyword: String,
    },
    /// A server configuration keyword burrowd does not know (sshd treats these as fatal).
    BadOption {
        /// The file.
        file: String,
        /// The line.
        line: usize,
        /// The keyword as written.
        keyword: String,
    },
    /// A keyword that is valid in that file but not allowed where it appears (`Host` in `-o`).
    NotAllowedHere {
        /// The file.
        file: String,
        /// The line.
        line: usize,
        /// The keyword as written.
        keyword: String,
    },
    /// `Include` nested deeper than the limit.
    IncludeTooDeep {
        /// The file with the `Include` that went past the limit.
        file: String,
        /// The line.
        line: usize,
        /// The depth limit.
        limit: usize,
    },
    /// A command-line argument is wrong (text from clap or our own checks).
    Usage(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingArgument {
                file,
                line,
                keyword,
            } => write!(f, "{file} line {line}: missing argument for \"{keyword}\""),
            Self::InvalidQuotes { file, line } => write!(f, "{file} line {line}: invalid quotes"),
            Self::BadValue {
                file,
                line,
                keyword,
                value,
            } => write!(f, "{file} line {line}: bad {keyword} value \"{value}\""),
            Self::TrailingArguments {
                file,
                line,
                keyword,
            } => write!(
                f,
                "{file} line {line}: garbage at end of line after {keyword}"
            ),
            Self::BadOption {
                file,
                line,
                keyword,
            } => write!(
                f,
                "{file}: line {line}: Bad configuration option: {keyword}"
            ),
            Self::NotAllowedHere {
                file,
                line,
                keyword,
            } => write!(f, "{file} line {line}: {keyword} is not allowed here"),
            Self::IncludeTooDeep { file, line, limit } => write!(
                f,
                "{file} line {line}: Include nested more than {limit} levels deep"
            ),
            Self::Usage(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for CliError {}
