//! Key derivation from K, H and the session id, with key extension (RFC 4253 §7.2).

use burrow_wire::{Mpint, Writer};
use bytes::BytesMut;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::{HASH_LEN, SharedSecret};

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

/// Derives `len` bytes of key material: K1 = HASH(K || H || letter || session_id), and while
/// more is needed Kn = HASH(K || H || K1 || ... || Kn-1); the key is the first `len` bytes of
/// K1 || K2 || ... K is hashed as an `mpint`.
pub fn derive_key(
    shared_secret: &SharedSecret,
    exchange_hash: &[u8],
    letter: KeyLetter,
    session_id: &[u8],
    len: usize,
) -> Zeroizing<Vec<u8>> {
    let mut prefix = BytesMut::new();
    Writer::new(&mut prefix)
        .mpint(&Mpint::from_unsigned_be(shared_secret.as_bytes()))
        .raw(exchange_hash);
    let mut hasher = Sha256::new();
    hasher.update(&prefix);
    hasher.update([letter.letter()]);
    hasher.update(session_id);
    // Room for the last whole block up front, so growing never leaves an unwiped copy behind.
    let mut out = Zeroizing::new(Vec::with_capacity(len.saturating_add(HASH_LEN)));
    out.extend_from_slice(&hasher.finalize());
    while out.len() < len {
        let mut hasher = Sha256::new();
        hasher.update(&prefix);
        hasher.update(out.as_slice());
        out.extend_from_slice(&hasher.finalize());
    }
    out.truncate(len);
    let held: &mut [u8] = &mut prefix;
    held.zeroize();
    out
}
