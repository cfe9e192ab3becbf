//! Where a configuration line came from, and the errors ssh_config and sshd_config give
//! about its arguments (one shared set of messages for `burrow` and `burrowd`).

use super::lexer::{Directive, LexError};
use crate::CliError;

/// A file name and line number, for messages.
pub(super) struct Location<'a> {
    /// The file (or `command line`).
    pub file: &'a str,
    /// The 1-based line.
    pub line: usize,
}

impl Location<'_> {
    /// The lexer's error at this line.
    pub fn lex_error(&self, (keyword, e): (String, LexError)) -> CliError {
        match e {
            LexError::MissingArgument => CliError::MissingArgument {
                file: self.file.to_owned(),
                line: self.line,
                keyword,
            },
            LexError::InvalidQuotes => CliError::InvalidQuotes {
                file: self.file.to_owned(),
                line: self.line,
            },
        }
    }

    /// `d` has no argument.
    pub fn err_missing(&self, d: &Directive) -> CliError {
        self.lex_error((d.keyword.clone(), LexError::MissingArgument))
    }

    /// `value` is not a valid value of `d`.
    pub fn err_value(&self, d: &Directive, value: &str) -> CliError {
        CliError::BadValue {
            file: self.file.to_owned(),
            line: self.line,
            keyword: d.keyword.clone(),
            value: value.to_owned(),
        }
    }

    /// `d` has more arguments than it takes.
    pub fn err_trailing(&self, d: &Directive) -> CliError {
        CliError::TrailingArguments {
            file: self.file.to_owned(),
            line: self.line,
            keyword: d.keyword.clone(),
        }
    }

    /// The single argument of `d`, or an error for none or several.
    pub fn one<'d>(&self, d: &'d Directive) -> Result<&'d str, CliError> {
        match d.args.as_slice() {
            [one] => Ok(one.as_str()),
            [] => Err(self.err_missing(d)),
            _ => Err(self.err_trailing(d)),
        }
    }

    /// The single argument of `d` parsed by `f`, or an error naming the value.
    pub fn parsed<T>(&self, d: &Directive, f: impl Fn(&str) -> Option<T>) -> Result<T, CliError> {
        let v = self.one(d)?;
        f(v).ok_or_else(|| self.err_value(d, v))
    }

    /// Every argument of `d` (at least one).
    pub fn list(&self, d: &Directive) -> Result<Vec<String>, CliError> {
        if d.args.is_empty() {
            return Err(self.err_missing(d));
        }
        Ok(d.args.clone())
    }
}
