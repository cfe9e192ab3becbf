//! Known-answer tests per method family: ECDH P-256 (RFC 5903 §8.1), ML-KEM-768 (cross-checked
//! with an independent FIPS 203 implementation), sntrup761 (the IETF draft's vector 0), the
//! RFC 3526 groups and a DH exchange in group 14 (computed with Python's integers).

use rand_core::{CryptoRng, RngCore};

use super::dh::{DhGroup, DhSecret, GROUP14, GROUP16, GROUP18};
use super::ecdh::{EcdhSecret, generate};
use super::hybrid::{HybridSecret, Kem};
use super::{KexHash, SharedSecret};
use crate::cipher::testing::hex;

/// An "RNG" that hands out fixed bytes, to put known secrets into the real code paths.
struct Fixed(Vec<u8>);

impl RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert!(self.0.len() >= dest.len(), "fixed bytes exhausted");
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Fixed {}

fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .unwrap()
}

/// RFC 7748 §6.1 Alice's secret, Bob's public key and their shared secret.
const ALICE: &str = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const BOB_PUBLIC: &str = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const X25519_SHARED: &str = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

#[test]
fn ecdh_p256_rfc5903_vector() {
    let i = "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433";
    let gi = "04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c37725811805271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3";
    let gr = "04d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf6356fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab";
    let gir = "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de";
    let (secret, public) = generate::<p256::NistP256>(&mut Fixed(hex(i)));
    assert_eq!(public, hex(gi));
    let k = EcdhSecret::P256(secret).agree(&hex(gr)).unwrap();
    assert_eq!(k.encoded(), SharedSecret::mpint(&hex(gir)).encoded());
    // Not on the curve, compressed garbage, the identity: refused.
    let (secret, _) = generate::<p256::NistP256>(&mut Fixed(hex(i)));
    let secret = EcdhSecret::P256(secret);
    let mut off_curve = hex(gr);
    off_curve[40] ^= 1;
    for bad in [off_curve, vec![0], vec![4; 65], vec![]] {
        assert!(secret.agree(&bad).is_err());
    }
}

#[test]
fn mlkem768x25519_matches_an_independent_fips203_implementation() {
    let v = include_str!("testdata/mlkem768.txt");
    let mut bytes: Vec<u8> = (0u8..64).collect();
    bytes.extend(hex(ALICE));
    let (secret, init) = HybridSecret::generate(
        Kem::MlKem768,
        KexHash::Sha256,
        "mlkem768x25519-sha256",
        &mut Fixed(bytes),
    );
    assert_eq!(init.len(), 1184 + 32);
    assert_eq!(
        KexHash::Sha256.digest(&[&init[..1184]]),
        hex(field(v, "ek_sha256"))
    );
    assert_eq!(
        &init[1184..],
        &hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")[..]
    );
    let mut reply = hex(field(v, "ct"));
    reply.extend(hex(BOB_PUBLIC));
    let k = secret.agree(&reply).unwrap();
    let want = KexHash::Sha256.digest(&[&hex(field(v, "ss")), &hex(X25519_SHARED)]);
    assert_eq!(k.encoded(), SharedSecret::string(&want).encoded());
    // K is a 32-byte string, not an mpint.
    assert_eq!(&k.encoded()[..4], &[0, 0, 0, 32]);
    // Wrong lengths are refused.
    assert!(secret.agree(&reply[1..]).is_err());
    assert!(secret.agree(&[]).is_err());
}

#[test]
fn mlkem_server_refuses_keys_failing_the_modulus_check() {
    let (_, mut init) = HybridSecret::generate(
        Kem::MlKem768,
        KexHash::Sha256,
        "mlkem768x25519-sha256",
        &mut Fixed((0u8..96).collect()),
    );
    let kex = "mlkem768x25519-sha256";
    let (reply, _) = super::hybrid::reply(
        Kem::MlKem768,
        KexHash::Sha256,
        kex,
        &init,
        &mut Fixed(vec![7; 64]),
    )
    .unwrap();
    assert_eq!(reply.len(), 1088 + 32);
    // The first coefficient becomes 0xfff >= q.
    init[0] = 0xff;
    init[1] |= 0x0f;
    let r = super::hybrid::reply(
        Kem::MlKem768,
        KexHash::Sha256,
        kex,
        &init,
        &mut Fixed(vec![7; 64]),
    );
    assert!(r.is_err());
}

#[test]
fn sntrup761_decapsulates_the_draft_vector() {
    let v = include_str!("testdata/sntrup761_kat0.txt");
    let sk = sntrup761::DecapsulationKey::try_from(hex(field(v, "sk")).as_slice()).unwrap();
    let ct = sntrup761::Ciphertext::try_from(hex(field(v, "ct")).as_slice()).unwrap();
    assert_eq!(sk.decapsulate(&ct).as_ref(), &hex(field(v, "ss"))[..]);
}

#[test]
fn sntrup761x25519_client_and_server_agree_with_sha512() {
    let kex = "sntrup761x25519-sha512";
    let (client, init) = HybridSecret::generate(
        Kem::Sntrup761,
        KexHash::Sha512,
        kex,
        &mut Fixed(vec![3; 64]),
    );
    assert_eq!(init.len(), 1158 + 32);
    let (reply, k_server) = super::hybrid::reply(
        Kem::Sntrup761,
        KexHash::Sha512,
        kex,
        &init,
        &mut Fixed(vec![5; 64]),
    )
    .unwrap();
    assert_eq!(reply.len(), 1039 + 32);
    let k_client = client.agree(&reply).unwrap();
    assert_eq!(k_client.encoded(), k_server.encoded());
    assert_eq!(&k_client.encoded()[..4], &[0, 0, 0, 64]);
}

/// 2^(n-1) == 1 mod n (a Fermat test, base 2).
fn fermat<const L: usize>(n: &crypto_bigint::Uint<L>) -> bool {
    use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
    let two = crypto_bigint::Uint::<L>::from_u8(2);
    let r = DynResidue::new(&two, DynResidueParams::new(n))
        .pow(&n.wrapping_sub(&crypto_bigint::Uint::ONE))
        .retrieve();
    r == crypto_bigint::Uint::ONE
}

fn check_safe_prime<const L: usize>(p: &crypto_bigint::Uint<L>) {
    let words = p.as_words();
    // RFC 3526: the top and bottom 64 bits are all ones.
    assert_eq!(words.first().copied(), Some(u64::MAX));
    assert_eq!(words.last().copied(), Some(u64::MAX));
    assert!(fermat(p), "p is not a probable prime");
    assert!(fermat(&p.shr_vartime(1)), "(p-1)/2 is not a probable prime");
}

#[test]
fn rfc3526_groups_are_safe_primes_of_their_sizes() {
    check_safe_prime(&GROUP14);
    check_safe_prime(&GROUP16);
    check_safe_prime(&GROUP18);
}

#[test]
fn dh_group14_exchange_matches_python() {
    let e = "bdc7fd08d972ce250b5022585174f72365ccdb1f86835110ffd9415eeda609d6281c10a5a91f74217b638d9da15a91137c4d913113255ed5583d59e84fcdb59b03773544f6eee950f32485db57f5b034a0477f8fc664adfdc24fe21ceb70bf7d3c2a0a7663c5c76be97bcfc1883da3dcb95d5f2fb3d59c58d348c31cd7c6ed170df1d3cf466b606142b9eea5b5503183c4c0cefa5745138e6ac9438de30582e23702a12c309a60afaaf2901cd1f2f65b77de274090f8bd621da187e057889678f41fa990348ccd46c1cc62967b00db60eb701736052b8d6e6ea3f20e278dbb69f1436be5c397308aa68dc85710e597453c23950003c648498961d9c8f5912c68";
    let f = "2c120454549d85b5cfaf93b6a3b533aca9331bf900dd60763fff3f77eeac00d44127828a213aea4f019a13ed19d85e85334cbe72e157cccccfa0290f1f5099880b5596e18d1b64af03696af272a0c206d4ae9744ea4859937299f39e0b3b89139c7c2c687949700a789355f43609da23e2a0202f362cf714d0c48eaed1a8cbe4692a8b4d5298c5f1e08101a7fea19f79fb4806965fa8dbcb0f0c2f44438bf396c160088afd436d4a7b832b479fd87551f80a1ade16976bb01c5d7249d5d9aae293666e98a449c8f6dc72f5b2613ad66c29b3afd878f00a8bda82eb82a0555e9b30011b4b4b30306b4f9ba2973cbdcb4fe293d6853de583d1f3fe80754f4f93e7";
    let k = "cc5a0236d42e60fe346ccd3df8c2e918376bf348272feb2796dd7dacdfca4474c2deb32a0b8f735950ebc66f30512971e6561dac3439ccea59305f171abdf134ce4407bcc8b6d1c919ff408be6d70b36935de27ab7c97559df5717fa8923eb64adcb497ff77fd48e92e00baba53f9844652199d9f82c29e5be342cb3c95ad290e2a74c8e4a39f9ac0b51a8010ef219869d7e18d941710e2d39afe119621a2ad8fa7f2c1211383b98911604f7fa5f51c2d9ae6ce713998912fab7ff3a0aa518119834d889478964bae8996ec909f1665c2f7a0468d205aa5de1939aee2e2f41adaff3f3e7ad4c2324cf660281ceedad2ac97d46b0f3ecff98c78135e16e570289";
    // x = 0x01 02 .. 40 with its top bit set, as `generate` draws it.
    let (secret, public) =
        DhSecret::generate(DhGroup::Group14, 512, &mut Fixed((1u8..=64).collect())).unwrap();
    let mut want_e = vec![0];
    want_e.extend(hex(e));
    assert_eq!(
        public, want_e,
        "e is an mpint body: a zero byte before the high bit"
    );
    let got = secret.agree(&hex(f)).unwrap();
    assert_eq!(got.encoded(), SharedSecret::mpint(&hex(k)).encoded());
    // 0, 1, p - 1, a negative or padded encoding, and a value wider than p are refused.
    let p_minus_1 = {
        let mut p = hex(&format!("{GROUP14:x}"));
        *p.last_mut().unwrap() -= 1;
        p
    };
    let mut padded = vec![0];
    padded.extend(hex(f));
    for bad in [
        vec![],
        vec![1],
        vec![0],
        vec![0x80, 1],
        padded,
        p_minus_1,
        vec![1; 257],
    ] {
        assert!(secret.agree(&bad).is_err(), "{bad:02x?}");
    }
}
