//! Key derivation from K, H and the session id, with key extension (RFC 4253 §7.2).

use zeroize::Zeroizing;

use super::{KexHash, SharedSecret};

/// Which key is derived: the letter hashed after K and H (RFC 4253 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLetter {
    /// 'A': initial IV, client to server.
    IvClientToServer,
    /// 'B': initial IV, server to client.
    IvServerToClient,
    /// 'C': encryption key, client to server.
    EncClientToServer,
    /// 'D': encryption key, server to client.
    EncServerToClient,
    /// 'E': integrity key, client to server.
    MacClientToServer,
    /// 'F': integrity key, server to client.
    MacServerToClient,
}

impl KeyLetter {
    /// The ASCII letter.
    pub fn letter(self) -> u8 {
        match self {
            KeyLetter::IvClientToServer => b'A',
            KeyLetter::IvServerToClient => b'B',
            KeyLetter::EncClientToServer => b'C',
            KeyLetter::EncServerToClient => b'D',
            KeyLetter::MacClientToServer => b'E',
            KeyLetter::MacServerToClient => b'F',
        }
    }
}

/// Derives `len` bytes of key material with the method's `hash`: K1 = HASH(K || H || letter ||
/// session_id), and while more is needed Kn = HASH(K || H || K1 || ... || Kn-1); the key is
/// the first `len` bytes of K1 || K2 || ... K enters as it was encoded for H.
pub fn derive_key(
    hash: KexHash,
    shared_secret: &SharedSecret,
    exchange_hash: &[u8],
    letter: KeyLetter,
    session_id: &[u8],
    len: usize,
) -> Zeroizing<Vec<u8>> {
    let k = shared_secret.encoded();
    // Room for the last whole block up front, so growing never leaves an unwiped copy behind.
    let mut out = Zeroizing::new(Vec::with_capacity(len.saturating_add(64)));
    let first = Zeroizing::new(hash.digest(&[k, exchange_hash, &[letter.letter()], session_id]));
    out.extend_from_slice(&first);
    while out.len() < len {
        let next = Zeroizing::new(hash.digest(&[k, exchange_hash, out.as_slice()]));
        out.extend_from_slice(&next);
    }
    out.truncate(len);
    out
}
