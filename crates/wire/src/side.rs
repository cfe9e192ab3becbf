//! Small types every layer shares: which side of the connection we are, and the session id.

/// Which end of the SSH connection this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The side that connected and authenticates.
    Client,
    /// The side that accepted and holds the host key.
    Server,
}

impl Side {
    /// The other side.
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

/// The exchange hash H of the first key exchange (RFC 4253 §7.2). It never changes for the
/// life of the connection and is signed in publickey authentication (RFC 4252 §7).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(Vec<u8>);

impl SessionId {
    /// Wraps the exchange hash of the first key exchange.
    pub fn new(hash: Vec<u8>) -> Self {
        Self(hash)
    }

    /// The hash bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SessionId(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_of_client_is_server() {
        assert_eq!(Side::Client.peer(), Side::Server);
        assert_eq!(Side::Server.peer(), Side::Client);
    }

    #[test]
    fn session_id_debug_is_hex() {
        assert_eq!(
            format!("{:?}", SessionId::new(vec![0xab, 0x01])),
            "SessionId(ab01)"
        );
    }
}
