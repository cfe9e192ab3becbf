//! X25519 ephemeral keys (RFC 7748), for curve25519-sha256 (RFC 8731) and the hybrids.

use rand_core::CryptoRngCore;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::TransportError;

/// Length of an X25519 public key (Q_C, Q_S) and of the raw shared secret.
pub const X25519_LEN: usize = 32;

/// Our ephemeral X25519 key pair for one key exchange. The secret is zeroized on drop.
pub struct EphemeralKey {
    secret: StaticSecret,
    public: [u8; X25519_LEN],
}

impl EphemeralKey {
    /// A key from 32 secret bytes (clamped by X25519 itself). Tests and fuzzing use this to
    /// make a handshake reproducible.
    pub fn from_secret_bytes(secret: [u8; X25519_LEN]) -> Self {
        let secret = StaticSecret::from(secret);
        let public = PublicKey::from(&secret).to_bytes();
        Self { secret, public }
    }

    /// A fresh key from `rng`.
    pub fn generate(rng: &mut dyn CryptoRngCore) -> Self {
        let mut bytes = Zeroizing::new([0u8; X25519_LEN]);
        rng.fill_bytes(bytes.as_mut());
        Self::from_secret_bytes(*bytes)
    }

    /// Our public key (Q_C on the client, Q_S on the server).
    pub fn public_key(&self) -> &[u8; X25519_LEN] {
        &self.public
    }

    /// X25519 with the peer's public key: the raw 32-byte result. A key that is not 32 bytes,
    /// or a result of all zeros (a low-order peer point), is refused (RFC 8731 §3).
    pub fn agree(&self, peer_public: &[u8]) -> Result<Zeroizing<[u8; X25519_LEN]>, TransportError> {
        let peer: [u8; X25519_LEN] =
            peer_public
                .try_into()
                .map_err(|_| TransportError::BadEphemeralKey {
                    kex: "x25519",
                    len: peer_public.len(),
                })?;
        let shared = self.secret.diffie_hellman(&PublicKey::from(peer));
        if !shared.was_contributory() {
            return Err(TransportError::AllZeroSharedSecret);
        }
        Ok(Zeroizing::new(shared.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cipher::testing::hex;

    fn arr(s: &str) -> [u8; 32] {
        hex(s).try_into().unwrap()
    }

    // RFC 7748 §6.1: the Alice/Bob X25519 Diffie-Hellman example.
    const ALICE_SECRET: &str = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    const ALICE_PUBLIC: &str = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    const BOB_SECRET: &str = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    const BOB_PUBLIC: &str = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    const SHARED: &str = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    #[test]
    fn rfc7748_example_public_keys_and_shared_secret() {
        let alice = EphemeralKey::from_secret_bytes(arr(ALICE_SECRET));
        let bob = EphemeralKey::from_secret_bytes(arr(BOB_SECRET));
        assert_eq!(alice.public_key(), &arr(ALICE_PUBLIC));
        assert_eq!(bob.public_key(), &arr(BOB_PUBLIC));
        let k1 = alice.agree(bob.public_key()).unwrap();
        let k2 = bob.agree(alice.public_key()).unwrap();
        assert_eq!(&*k1, &arr(SHARED));
        assert_eq!(&*k2, &arr(SHARED));
    }

    #[test]
    fn all_zero_shared_secret_is_refused() {
        let alice = EphemeralKey::from_secret_bytes(arr(ALICE_SECRET));
        // The identity point and the point of order 2 (u = 0 and u = 1) give all zeros.
        for low_order in [[0u8; 32], {
            let mut p = [0u8; 32];
            p[0] = 1;
            p
        }] {
            assert!(matches!(
                alice.agree(&low_order),
                Err(TransportError::AllZeroSharedSecret)
            ));
        }
    }

    #[test]
    fn peer_key_of_wrong_length_is_refused() {
        let alice = EphemeralKey::from_secret_bytes(arr(ALICE_SECRET));
        assert!(matches!(
            alice.agree(&[9u8; 31]),
            Err(TransportError::BadEphemeralKey { len: 31, .. })
        ));
        assert!(matches!(
            alice.agree(&[]),
            Err(TransportError::BadEphemeralKey { len: 0, .. })
        ));
    }
}
