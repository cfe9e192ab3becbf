//! The random numbers a connection's transport draws (packet padding, key exchange): ChaCha20
//! seeded once per connection from the operating system, as OpenSSH's arc4random does, so a
//! sealed packet costs no `getrandom` system call.

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRngCore, OsRng, RngCore, SeedableRng};

/// A fresh generator for one connection, seeded from the OS.
pub(crate) fn connection_rng() -> Box<dyn CryptoRngCore + Send> {
    let mut seed = <ChaCha20Rng as SeedableRng>::Seed::default();
    OsRng.fill_bytes(&mut seed);
    Box::new(ChaCha20Rng::from_seed(seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_connections_draw_different_streams() {
        let (mut a, mut b) = (connection_rng(), connection_rng());
        let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        assert_ne!(x, y);
        assert_ne!(x, [0u8; 32]);
    }
}
