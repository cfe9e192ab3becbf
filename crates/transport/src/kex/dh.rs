//! diffie-hellman-group14-sha256, group16-sha512 and group18-sha512 (RFC 4253 §8, RFC 8268):
//! the fixed MODP groups of RFC 3526 with generator 2, in constant-time arithmetic.

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Limb, U1024, U2048, U4096, U8192, Uint};
use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::{SharedSecret, mpint_body};
use crate::TransportError;

/// RFC 3526 §3: the 2048-bit MODP group.
pub const GROUP14: U2048 = U2048::from_be_hex(
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff",
);
/// RFC 3526 §5: the 4096-bit MODP group.
pub const GROUP16: U4096 = U4096::from_be_hex(
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e208e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d788719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d99b2964fa090c3a2233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa993b4ea988d8fddc186ffb7dc90a6c08f4df435c934063199ffffffffffffffff",
);
/// RFC 3526 §7: the 8192-bit MODP group.
pub const GROUP18: U8192 = U8192::from_be_hex(
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e208e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d788719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d99b2964fa090c3a2233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa993b4ea988d8fddc186ffb7dc90a6c08f4df435c93402849236c3fab4d27c7026c1d4dcb2602646dec9751e763dba37bdf8ff9406ad9e530ee5db382f413001aeb06a53ed9027d831179727b0865a8918da3edbebcf9b14ed44ce6cbaced4bb1bdb7f1447e6cc254b332051512bd7af426fb8f401378cd2bf5983ca01c64b92ecf032ea15d1721d03f482d7ce6e74fef6d55e702f46980c82b5a84031900b1c9e59e7c97fbec7e8f323a97a7e36cc88be0f1d45b7ff585ac54bd407b22b4154aacc8f6d7ebf48e1d814cc5ed20f8037e0a79715eef29be32806a1d58bb7c5da76f550aa3d8a1fbff0eb19ccb1a313d55cda56c9ec2ef29632387fe8d76e3c0468043e8f663f4860ee12bf2d5b0b7474d6e694f91e6dbe115974a3926f12fee5e438777cb6a932df8cd8bec4d073b931ba3bc832b68d9dd300741fa7bf8afc47ed2576f6936ba424663aab639c5ae4f5683423b4742bf1c978238f16cbe39d652de3fdb8befc848ad922222e04a4037c0713eb57a81a23f0c73473fc646cea306b4bcbc8862f8385ddfa9d4b7fa2c087e879683303ed5bdd3a062b3cf5b3a278a66d2a13f83f44f82ddf310ee074ab6a364597e899a0255dc164f31cc50846851df9ab48195ded7ea1b1d510bd7ee74d73faf36bc31ecfa268359046f4eb879f924009438b481c6cd7889a002ed5ee382bc9190da6fc026e479558e4475677e9aa9e3050e2765694dfc81f56e880b96e7160c980dd98edd3dfffffffffffffffff",
);

/// A fixed group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DhGroup {
    /// 2048 bits.
    Group14,
    /// 4096 bits.
    Group16,
    /// 8192 bits.
    Group18,
}

/// Our secret exponent x (or y) in one group; zeroized on drop.
pub struct DhSecret {
    group: DhGroup,
    exponent: Zeroizing<U1024>,
    bits: usize,
}

impl DhSecret {
    /// A fresh exponent of `bits` bits (twice the method's hash size, as OpenSSH picks) and
    /// our public value g^x mod p as the body of an `mpint` (e or f).
    pub fn generate(
        group: DhGroup,
        bits: usize,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(Self, Vec<u8>), TransportError> {
        let mut bytes = Zeroizing::new([0u8; 128]);
        let used = bits.div_ceil(8).min(bytes.len());
        let start = bytes.len() - used;
        if let Some(tail) = bytes.get_mut(start..) {
            rng.fill_bytes(tail);
        }
        if let Some(top) = bytes.get_mut(start) {
            *top |= 0x80;
        }
        let secret = Self {
            group,
            exponent: Zeroizing::new(U1024::from_be_slice(bytes.as_slice())),
            bits: used * 8,
        };
        let public = secret.power(&[2])?;
        Ok((secret, mpint_body(&public).to_vec()))
    }

    /// K = peer^x mod p as an `mpint`. The peer's value must be a canonical positive `mpint`
    /// body with 1 < value < p - 1 (RFC 4253 §8).
    pub fn agree(&self, peer: &[u8]) -> Result<SharedSecret, TransportError> {
        let bad = || TransportError::BadEphemeralKey {
            kex: "diffie-hellman",
            len: peer.len(),
        };
        let magnitude = match peer {
            [0, next, ..] if next & 0x80 != 0 => peer.get(1..).unwrap_or_default(),
            [first, ..] if *first != 0 && first & 0x80 == 0 => peer,
            _ => return Err(bad()),
        };
        let k = self.power(magnitude).map_err(|_| bad())?;
        Ok(SharedSecret::mpint(&k))
    }

    /// base^x mod p, big-endian at the group's width; `base` must be in (1, p - 1).
    fn power(&self, base: &[u8]) -> Result<Zeroizing<Vec<u8>>, TransportError> {
        match self.group {
            DhGroup::Group14 => power(&GROUP14, base, &self.exponent, self.bits),
            DhGroup::Group16 => power(&GROUP16, base, &self.exponent, self.bits),
            DhGroup::Group18 => power(&GROUP18, base, &self.exponent, self.bits),
        }
    }
}

fn power<const L: usize>(
    p: &Uint<L>,
    base: &[u8],
    exponent: &U1024,
    bits: usize,
) -> Result<Zeroizing<Vec<u8>>, TransportError> {
    let width = L * Limb::BYTES;
    let bad = || TransportError::BadEphemeralKey {
        kex: "diffie-hellman",
        len: base.len(),
    };
    let mut padded = Zeroizing::new(vec![0u8; width]);
    let start = width.checked_sub(base.len()).ok_or_else(bad)?;
    padded
        .get_mut(start..)
        .ok_or_else(bad)?
        .copy_from_slice(base);
    let base = Uint::<L>::from_be_slice(&padded);
    if base <= Uint::ONE || base >= p.wrapping_sub(&Uint::ONE) {
        return Err(bad());
    }
    let params = DynResidueParams::new(p);
    let result = DynResidue::new(&base, params)
        .pow_bounded_exp(exponent, bits)
        .retrieve();
    let mut out = Zeroizing::new(Vec::with_capacity(width));
    for limb in result.as_limbs().iter().rev() {
        out.extend_from_slice(&limb.0.to_be_bytes());
    }
    Ok(out)
}
