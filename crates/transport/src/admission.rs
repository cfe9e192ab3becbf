//! The admission gate: which message numbers the peer may send in which phase (RFC 4253 §7.1,
//! RFC 4250 §4.1, OpenSSH strict kex).

use burrow_wire::{Side, msg};

/// Where the incoming side of the transport is, for admission purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The initial key exchange, before the peer's KEXINIT.
    BeforePeerKexInit,
    /// The initial key exchange with strict kex, after the peer's KEXINIT: only key exchange
    /// messages (and DISCONNECT) are allowed.
    StrictInitialKex,
    /// A key exchange without strict rules (a rekey, or the initial one), after the peer's
    /// KEXINIT and before its NEWKEYS.
    Kex,
    /// Between key exchanges (including after our KEXINIT, before the peer's).
    Established,
}

impl Phase {
    /// A short name for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Phase::BeforePeerKexInit => "the start of the initial key exchange",
            Phase::StrictInitialKex => "the strict initial key exchange",
            Phase::Kex => "a key exchange",
            Phase::Established => "the established connection",
        }
    }
}

/// True if the transport layer implements message `number` (anything else in 1-49 is answered
/// with UNIMPLEMENTED).
pub fn is_known_transport_message(number: u8) -> bool {
    matches!(
        number,
        msg::DISCONNECT
            | msg::IGNORE
            | msg::UNIMPLEMENTED
            | msg::DEBUG
            | msg::SERVICE_REQUEST
            | msg::SERVICE_ACCEPT
            | msg::EXT_INFO
            | msg::KEXINIT
            | msg::NEWKEYS
            | msg::KEX_ECDH_INIT
            | msg::KEX_ECDH_REPLY
    )
}

/// May the peer of `side` (we are `side`) send message `number` in `phase`? Unknown numbers in
/// the transport range are admitted (and answered with UNIMPLEMENTED) except under strict kex.
/// Numbers 50-255 are service-layer payloads, admitted only between key exchanges.
pub fn admissible(side: Side, phase: Phase, number: u8) -> bool {
    let in_kex = matches!(phase, Phase::StrictInitialKex | Phase::Kex);
    match number {
        msg::DISCONNECT => true,
        msg::IGNORE | msg::UNIMPLEMENTED | msg::DEBUG => phase != Phase::StrictInitialKex,
        msg::SERVICE_REQUEST => side == Side::Server && phase == Phase::Established,
        msg::SERVICE_ACCEPT => side == Side::Client && phase == Phase::Established,
        msg::EXT_INFO => phase == Phase::Established,
        msg::KEXINIT => matches!(phase, Phase::BeforePeerKexInit | Phase::Established),
        msg::NEWKEYS => in_kex,
        msg::KEX_ECDH_INIT => side == Side::Server && in_kex,
        msg::KEX_ECDH_REPLY => side == Side::Client && in_kex,
        0 => false,
        50..=255 => phase == Phase::Established,
        // Unknown numbers in the transport range 8-19, 22-29, 32-49.
        _ => phase != Phase::StrictInitialKex,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHASES: [Phase; 4] = [
        Phase::BeforePeerKexInit,
        Phase::StrictInitialKex,
        Phase::Kex,
        Phase::Established,
    ];

    /// One row per message number (or range): the expected answer for the client and the
    /// server in each phase, in the order of `PHASES`.
    /// B = BeforePeerKexInit, S = StrictInitialKex, K = Kex, E = Established.
    #[rustfmt::skip]
    const TABLE: &[(u8, u8, [bool; 4], [bool; 4])] = &[
        //  from..=to             client B S K E               server B S K E
        (0, 0,                   [false, false, false, false], [false, false, false, false]),
        (1, 1,   /* DISCONNECT */ [true, true, true, true],     [true, true, true, true]),
        (2, 4,   /* IGNORE..DEBUG */ [true, false, true, true], [true, false, true, true]),
        (5, 5,   /* SERVICE_REQUEST */ [false, false, false, false], [false, false, false, true]),
        (6, 6,   /* SERVICE_ACCEPT */ [false, false, false, true],  [false, false, false, false]),
        (7, 7,   /* EXT_INFO */   [false, false, false, true],  [false, false, false, true]),
        (8, 19,  /* unknown */    [true, false, true, true],    [true, false, true, true]),
        (20, 20, /* KEXINIT */    [true, false, false, true],   [true, false, false, true]),
        (21, 21, /* NEWKEYS */    [false, true, true, false],   [false, true, true, false]),
        (22, 29, /* unknown */    [true, false, true, true],    [true, false, true, true]),
        (30, 30, /* ECDH_INIT */  [false, false, false, false], [false, true, true, false]),
        (31, 31, /* ECDH_REPLY */ [false, true, true, false],   [false, false, false, false]),
        (32, 49, /* unknown */    [true, false, true, true],    [true, false, true, true]),
        (50, 255, /* services */  [false, false, false, true],  [false, false, false, true]),
    ];

    #[test]
    fn admission_table_covers_every_message_number() {
        let mut covered = [false; 256];
        for &(from, to, client, server) in TABLE {
            for number in from..=to {
                covered[usize::from(number)] = true;
                for (i, phase) in PHASES.into_iter().enumerate() {
                    assert_eq!(
                        admissible(Side::Client, phase, number),
                        client[i],
                        "client, {phase:?}, message {number}"
                    );
                    assert_eq!(
                        admissible(Side::Server, phase, number),
                        server[i],
                        "server, {phase:?}, message {number}"
                    );
                }
            }
        }
        assert!(covered.iter().all(|&c| c));
    }

    #[test]
    fn known_transport_messages() {
        let known: Vec<u8> = (0..=255)
            .filter(|&n| is_known_transport_message(n))
            .collect();
        assert_eq!(known, [1, 2, 3, 4, 5, 6, 7, 20, 21, 30, 31]);
    }
}
