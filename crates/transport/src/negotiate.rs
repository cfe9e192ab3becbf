//! Algorithm negotiation (RFC 4253 §7.1): our KEXINIT, and the choice from both KEXINITs.

use burrow_wire::transport::KexInit;
use burrow_wire::{NameList, Side};

use burrow_keys::SigAlg;

use crate::cipher::{CipherAlg, MacAlg};
use crate::config::{HostCerts, TransportConfig};
use crate::kex::KexAlg;
use crate::{AlgorithmKind, TransportError};

/// RFC 8308 pseudo-algorithm: the client accepts SSH_MSG_EXT_INFO.
pub const EXT_INFO_C: &str = "ext-info-c";
/// RFC 8308 pseudo-algorithm: the server accepts SSH_MSG_EXT_INFO.
pub const EXT_INFO_S: &str = "ext-info-s";
/// Strict kex (OpenSSH PROTOCOL §1.10), client side.
pub const KEX_STRICT_C: &str = "kex-strict-c-v00@openssh.com";
/// Strict kex, server side.
pub const KEX_STRICT_S: &str = "kex-strict-s-v00@openssh.com";
const PSEUDO: [&str; 4] = [EXT_INFO_C, EXT_INFO_S, KEX_STRICT_C, KEX_STRICT_S];

/// What both KEXINITs agreed on, and what each side signalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The key exchange method.
    pub kex: KexAlg,
    /// The host key signature algorithm.
    pub host_key: SigAlg,
    /// The host key algorithm is `host_key`'s certificate name: K_S is a certificate.
    pub host_key_cert: bool,
    /// Cipher client to server.
    pub cipher_client_to_server: CipherAlg,
    /// Cipher server to client.
    pub cipher_server_to_client: CipherAlg,
    /// MAC client to server (`None` with an AEAD cipher).
    pub mac_client_to_server: Option<MacAlg>,
    /// MAC server to client.
    pub mac_server_to_client: Option<MacAlg>,
    /// Both sides offered strict kex.
    pub strict_kex: bool,
    /// The peer accepts SSH_MSG_EXT_INFO (it offered `ext-info-c` or `ext-info-s`).
    pub peer_accepts_ext_info: bool,
    /// The first kex and host key algorithms of both sides match, so a guessed first kex packet
    /// is right (RFC 4253 §7).
    pub guess_right: bool,
}

/// Our KEXINIT for `side`: our preferences plus the pseudo-algorithms, `none` compression.
/// A server leaves out the client-only key exchange methods (the DH groups).
/// A server replaces the host key algorithms with those of the keys it holds (`Transport`).
pub fn our_kexinit(
    side: Side,
    cfg: &TransportConfig,
    cookie: [u8; 16],
    first_kex_packet_follows: bool,
) -> Result<KexInit<'static>, TransportError> {
    let mut kex: Vec<&str> = cfg
        .kex_algorithms
        .iter()
        .filter(|a| side == Side::Client || !a.client_only())
        .map(|a| a.name())
        .collect();
    kex.extend(match side {
        Side::Client => [EXT_INFO_C, KEX_STRICT_C],
        Side::Server => [EXT_INFO_S, KEX_STRICT_S],
    });
    let ciphers: Vec<&str> = cfg.ciphers.iter().map(|a| a.name()).collect();
    let macs: Vec<&str> = cfg.macs.iter().map(|a| a.name()).collect();
    let plain = cfg.host_key_algorithms.iter().map(|a| a.name());
    let certs = cfg.host_key_algorithms.iter().map(|a| a.cert_name());
    // A server's list is replaced by what its keys allow (`offered_host_key_algorithms`).
    let certs_at = if side == Side::Client {
        cfg.host_certs
    } else {
        HostCerts::Never
    };
    let host_keys: Vec<&str> = match certs_at {
        HostCerts::Never => plain.collect(),
        HostCerts::After => plain.chain(certs).collect(),
        HostCerts::First => certs.chain(plain).collect(),
    };
    let list = |names: &[&str]| NameList::from_names(names).map_err(TransportError::from);
    Ok(KexInit {
        cookie,
        kex_algorithms: list(&kex)?,
        server_host_key_algorithms: list(&host_keys)?,
        encryption_algorithms_client_to_server: list(&ciphers)?,
        encryption_algorithms_server_to_client: list(&ciphers)?,
        mac_algorithms_client_to_server: list(&macs)?,
        mac_algorithms_server_to_client: list(&macs)?,
        compression_algorithms_client_to_server: list(&["none"])?,
        compression_algorithms_server_to_client: list(&["none"])?,
        languages_client_to_server: NameList::default(),
        languages_server_to_client: NameList::default(),
        first_kex_packet_follows,
        reserved: 0,
    })
}

/// Chooses the algorithms from both KEXINITs: per category, the first client algorithm the
/// server also offers; pseudo-algorithms are never chosen; an AEAD cipher takes no MAC.
pub fn negotiate(
    side: Side,
    ours: &KexInit<'_>,
    theirs: &KexInit<'_>,
) -> Result<Negotiated, TransportError> {
    let (client, server) = match side {
        Side::Client => (ours, theirs),
        Side::Server => (theirs, ours),
    };
    let kex_name = choose(
        side,
        AlgorithmKind::Kex,
        &client.kex_algorithms,
        &server.kex_algorithms,
    )?;
    let host_key_name = choose(
        side,
        AlgorithmKind::HostKey,
        &client.server_host_key_algorithms,
        &server.server_host_key_algorithms,
    )?;
    let host_key_cert = SigAlg::from_cert_name(host_key_name).is_some();
    let host_key =
        known(SigAlg::from_name(host_key_name).or_else(|| SigAlg::from_cert_name(host_key_name)))?;
    let cipher_c2s = choose(
        side,
        AlgorithmKind::EncryptionClientToServer,
        &client.encryption_algorithms_client_to_server,
        &server.encryption_algorithms_client_to_server,
    )?;
    let cipher_s2c = choose(
        side,
        AlgorithmKind::EncryptionServerToClient,
        &client.encryption_algorithms_server_to_client,
        &server.encryption_algorithms_server_to_client,
    )?;
    let cipher_client_to_server = known(CipherAlg::from_name(cipher_c2s))?;
    let cipher_server_to_client = known(CipherAlg::from_name(cipher_s2c))?;
    let mac_client_to_server = if cipher_client_to_server.is_aead() {
        None
    } else {
        let name = choose(
            side,
            AlgorithmKind::MacClientToServer,
            &client.mac_algorithms_client_to_server,
            &server.mac_algorithms_client_to_server,
        )?;
        Some(known(MacAlg::from_name(name))?)
    };
    let mac_server_to_client = if cipher_server_to_client.is_aead() {
        None
    } else {
        let name = choose(
            side,
            AlgorithmKind::MacServerToClient,
            &client.mac_algorithms_server_to_client,
            &server.mac_algorithms_server_to_client,
        )?;
        Some(known(MacAlg::from_name(name))?)
    };
    choose(
        side,
        AlgorithmKind::CompressionClientToServer,
        &client.compression_algorithms_client_to_server,
        &server.compression_algorithms_client_to_server,
    )?;
    choose(
        side,
        AlgorithmKind::CompressionServerToClient,
        &client.compression_algorithms_server_to_client,
        &server.compression_algorithms_server_to_client,
    )?;
    let peer_accepts_ext_info = match side {
        Side::Client => theirs.kex_algorithms.contains(EXT_INFO_S),
        Side::Server => theirs.kex_algorithms.contains(EXT_INFO_C),
    };
    let first = |l: &NameList<'_>| l.iter().next().map(str::to_owned);
    Ok(Negotiated {
        kex: known(KexAlg::from_name(kex_name))?,
        host_key,
        host_key_cert,
        cipher_client_to_server,
        cipher_server_to_client,
        mac_client_to_server,
        mac_server_to_client,
        strict_kex: client.kex_algorithms.contains(KEX_STRICT_C)
            && server.kex_algorithms.contains(KEX_STRICT_S),
        peer_accepts_ext_info,
        guess_right: first(&client.kex_algorithms) == first(&server.kex_algorithms)
            && first(&client.server_host_key_algorithms)
                == first(&server.server_host_key_algorithms),
    })
}

/// The first client name that the server also lists, skipping pseudo-algorithms. The name is
/// borrowed from our own list, so it is one we implement.
fn choose<'a>(
    side: Side,
    kind: AlgorithmKind,
    client: &'a NameList<'_>,
    server: &'a NameList<'_>,
) -> Result<&'a str, TransportError> {
    let found = client
        .iter()
        .filter(|name| !PSEUDO.contains(name))
        .find(|name| server.contains(name));
    let (ours, theirs) = match side {
        Side::Client => (client, server),
        Side::Server => (server, client),
    };
    let found = found.and_then(|name| ours.iter().find(|n| *n == name));
    found.ok_or_else(|| TransportError::NoCommonAlgorithm {
        kind,
        ours: ours.as_str().to_owned(),
        theirs: theirs.as_str().to_owned(),
    })
}

/// Our lists only hold names we implement, so a chosen name always maps; this turns the
/// impossible case into a key exchange failure instead of a panic.
fn known<T>(alg: Option<T>) -> Result<T, TransportError> {
    alg.ok_or(TransportError::UnsupportedChoice)
}

#[cfg(test)]
mod tests;
