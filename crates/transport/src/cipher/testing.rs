//! Test helpers: fixed keys for every algorithm pair, a predictable "random" source, and
//! hex decoding for test vectors.

use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::{CipherAlg, DirectionKeys, MacAlg};

/// Fills with 0xa0, 0xa1, ... from its start value: the padding of testdata/packet-kat.txt.
pub(crate) struct PatternRng(pub(crate) u8);

impl RngCore for PatternRng {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.0;
            self.0 = self.0.wrapping_add(1);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// Not random at all; marked so only for tests that need byte-exact output.
impl CryptoRng for PatternRng {}

/// `n` bytes counting up from `start`.
pub(crate) fn counting(start: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| start.wrapping_add(i as u8)).collect()
}

/// The keys of testdata/packet-kat.txt: key from 0x00, IV from 0x40, MAC key from 0x80.
pub(crate) fn fixed_keys(cipher: CipherAlg, mac: Option<MacAlg>) -> DirectionKeys {
    let mac = if cipher.is_aead() { None } else { mac };
    DirectionKeys {
        cipher,
        mac,
        enc_key: Zeroizing::new(counting(0x00, cipher.key_len())),
        iv: Zeroizing::new(counting(0x40, cipher.iv_len())),
        mac_key: Zeroizing::new(counting(0x80, mac.map_or(0, MacAlg::key_len))),
    }
}

/// Every (cipher, MAC) pair that can be negotiated: each AEAD cipher alone, each AES-CTR
/// cipher with each MAC.
pub(crate) fn all_suites() -> Vec<(CipherAlg, Option<MacAlg>)> {
    let mut suites = Vec::new();
    for cipher in CipherAlg::ALL {
        if cipher.is_aead() {
            suites.push((cipher, None));
        } else {
            for mac in MacAlg::ALL {
                suites.push((cipher, Some(mac)));
            }
        }
    }
    suites
}

/// The bytes of a hex test vector (no separators).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
