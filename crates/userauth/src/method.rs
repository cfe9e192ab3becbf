//! The authentication method names burrow knows (RFC 4252 §5, RFC 4256).

use core::fmt;

/// An authentication method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `publickey` (RFC 4252 §7).
    Publickey,
    /// `password` (RFC 4252 §8).
    Password,
    /// `keyboard-interactive` (RFC 4256).
    KeyboardInteractive,
}

impl Method {
    /// The method name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::Publickey => "publickey",
            Self::Password => "password",
            Self::KeyboardInteractive => "keyboard-interactive",
        }
    }

    /// The method for a wire name, if burrow knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "publickey" => Some(Self::Publickey),
            "password" => Some(Self::Password),
            "keyboard-interactive" => Some(Self::KeyboardInteractive),
            _ => None,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in [
            Method::Publickey,
            Method::Password,
            Method::KeyboardInteractive,
        ] {
            assert_eq!(Method::from_name(m.name()), Some(m));
        }
        assert_eq!(Method::from_name("hostbased"), None);
    }
}
