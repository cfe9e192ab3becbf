//! `LineWarning`: a line of a known_hosts or authorized_keys file that was skipped.

use core::fmt;

use burrow_keys::KeyError;

/// A line of a known_hosts or authorized_keys file that was skipped, and why. Skipped lines
/// never stop the other lines from being used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineWarning {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong with it.
    pub error: KeyError,
}

impl fmt::Display for LineWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.error)
    }
}
