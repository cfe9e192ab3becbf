//! When to rekey: volume and time limits, OpenSSH `RekeyLimit` syntax, and the check that
//! starts a key exchange once a limit is reached.

use core::time::Duration;
use std::time::Instant;

use crate::{Transport, TransportError};

/// Default volume limit: 1 GiB in either direction.
pub const DEFAULT_REKEY_BYTES: u64 = 1 << 30;
/// Packet limit in either direction (RFC 4344 §3.1): 2^31, well before sequence numbers wrap.
pub const REKEY_PACKETS: u64 = 1 << 31;
/// Default time limit: one hour.
pub const DEFAULT_REKEY_TIME: Duration = Duration::from_secs(3600);

/// After how much traffic or time a new key exchange starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RekeyLimit {
    /// Bytes in one direction; `None` leaves only the packet limit.
    pub bytes: Option<u64>,
    /// Packets in one direction.
    pub packets: u64,
    /// Time since the last key exchange; `None` for no time limit.
    pub time: Option<Duration>,
}

impl Default for RekeyLimit {
    fn default() -> Self {
        Self {
            bytes: Some(DEFAULT_REKEY_BYTES),
            packets: REKEY_PACKETS,
            time: Some(DEFAULT_REKEY_TIME),
        }
    }
}

impl RekeyLimit {
    /// Parses ssh_config(5) `RekeyLimit`: a volume (`default`, `none`, or bytes with an optional
    /// K/M/G/T suffix, at least 16) and an optional time (`default`, `none`, or a time such as
    /// `1h`, `30m`, `1h30m`, `90`). Here `default` means 1 GiB and one hour.
    pub fn parse(spec: &str) -> Result<Self, TransportError> {
        let bad = || TransportError::InvalidConfig {
            option: "RekeyLimit",
            value: spec.to_owned(),
        };
        let mut words = spec.split_whitespace();
        let volume = words.next().ok_or_else(bad)?;
        let time = words.next();
        if words.next().is_some() {
            return Err(bad());
        }
        let bytes = match volume {
            "default" => Some(DEFAULT_REKEY_BYTES),
            "none" => None,
            v => {
                let n = parse_bytes(v).ok_or_else(bad)?;
                if n < 16 {
                    return Err(bad());
                }
                Some(n)
            }
        };
        let time = match time {
            None | Some("default") => Some(DEFAULT_REKEY_TIME),
            Some("none") => None,
            Some(t) => match parse_time(t).ok_or_else(bad)? {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
        };
        Ok(Self {
            bytes,
            packets: REKEY_PACKETS,
            time,
        })
    }

    /// True when the traffic since the last key exchange calls for a new one.
    pub fn volume_reached(&self, bytes: u64, packets: u64) -> bool {
        packets >= self.packets || self.bytes.is_some_and(|limit| bytes >= limit)
    }

    /// When the time limit runs out for a key exchange that finished at `since`.
    pub fn deadline(&self, since: Instant) -> Option<Instant> {
        self.time.and_then(|t| since.checked_add(t))
    }
}

/// `<digits>[K|M|G|T]`, binary multiples, case-insensitive.
fn parse_bytes(v: &str) -> Option<u64> {
    let (digits, shift) = match v.char_indices().last()? {
        (i, 'k' | 'K') => (v.get(..i)?, 10),
        (i, 'm' | 'M') => (v.get(..i)?, 20),
        (i, 'g' | 'G') => (v.get(..i)?, 30),
        (i, 't' | 'T') => (v.get(..i)?, 40),
        _ => (v, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(1u64 << shift)
}

/// sshd_config(5) TIME FORMATS: a sequence of `<digits>[s|m|h|d|w]` (`1h30m`); bare digits
/// are seconds. `None` on anything else or on overflow. Shared with the config parsers.
pub fn parse_time(v: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut digits: Option<u64> = None;
    for c in v.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = digits
                .unwrap_or(0)
                .checked_mul(10)?
                .checked_add(u64::from(d))?;
            digits = Some(n);
            continue;
        }
        let unit: u64 = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        total = total.checked_add(digits.take()?.checked_mul(unit)?)?;
    }
    if let Some(n) = digits {
        total = total.checked_add(n)?;
    }
    if v.is_empty() { None } else { Some(total) }
}

/// Traffic counters at the end of the last key exchange, to measure the volume since.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RekeyBase {
    pub(crate) sent_bytes: u64,
    pub(crate) sent_packets: u64,
    pub(crate) received_bytes: u64,
    pub(crate) received_packets: u64,
    pub(crate) at: Instant,
}

impl Transport {
    /// Starts a rekey when the volume or time limit is reached.
    pub(crate) fn check_rekey(&mut self) -> Result<(), TransportError> {
        if self.closed || !self.initial_done || !self.kex.is_idle() {
            return Ok(());
        }
        let limit: RekeyLimit = self.cfg.rekey_limit;
        let base = self.rekey_base;
        let sent_bytes = self.sealer.bytes_sealed().saturating_sub(base.sent_bytes);
        let sent_packets = self
            .sealer
            .packets_sealed()
            .saturating_sub(base.sent_packets);
        let recv_bytes = self
            .opener
            .bytes_opened()
            .saturating_sub(base.received_bytes);
        let recv_packets = self
            .opener
            .packets_opened()
            .saturating_sub(base.received_packets);
        let due_by_time = limit.deadline(base.at).is_some_and(|d| self.now >= d);
        if due_by_time
            || limit.volume_reached(sent_bytes, sent_packets)
            || limit.volume_reached(recv_bytes, recv_packets)
        {
            if let Err(e) = self.start_kex(true) {
                return Err(self.fail(e));
            }
        }
        Ok(())
    }

    /// Records the traffic counters and time at the end of a key exchange.
    pub(crate) fn reset_rekey_base(&mut self) {
        self.rekey_base = RekeyBase {
            sent_bytes: self.sealer.bytes_sealed(),
            sent_packets: self.sealer.packets_sealed(),
            received_bytes: self.opener.bytes_opened(),
            received_packets: self.opener.packets_opened(),
            at: self.now,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_one_gib_two_to_31_packets_one_hour() {
        let d = RekeyLimit::default();
        assert_eq!(d.bytes, Some(1 << 30));
        assert_eq!(d.packets, 1 << 31);
        assert_eq!(d.time, Some(Duration::from_secs(3600)));
        assert_eq!(RekeyLimit::parse("default none").unwrap().time, None);
        assert_eq!(RekeyLimit::parse("default").unwrap(), d);
    }

    #[test]
    fn openssh_volume_and_time_forms_parse() {
        let l = RekeyLimit::parse("1G 1h").unwrap();
        assert_eq!(
            (l.bytes, l.time),
            (Some(1 << 30), Some(Duration::from_secs(3600)))
        );
        assert_eq!(RekeyLimit::parse("64K").unwrap().bytes, Some(65_536));
        assert_eq!(RekeyLimit::parse("512m").unwrap().bytes, Some(512 << 20));
        assert_eq!(RekeyLimit::parse("none 90").unwrap().bytes, None);
        assert_eq!(
            RekeyLimit::parse("none 1h30m").unwrap().time,
            Some(Duration::from_secs(5400))
        );
        assert_eq!(RekeyLimit::parse("100 0").unwrap().time, None);
        assert_eq!(
            RekeyLimit::parse("2T 1w").unwrap().time,
            Some(Duration::from_secs(604_800))
        );
    }

    #[test]
    fn malformed_limits_are_refused() {
        for bad in [
            "",
            "1X",
            "K",
            "8",
            "1G 1y",
            "1G 1h extra",
            "-1G",
            "99999999999999T",
        ] {
            assert!(
                matches!(
                    RekeyLimit::parse(bad),
                    Err(TransportError::InvalidConfig {
                        option: "RekeyLimit",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn volume_reached_by_bytes_or_packets() {
        let l = RekeyLimit::parse("64K none").unwrap();
        assert!(!l.volume_reached(65_535, 10));
        assert!(l.volume_reached(65_536, 10));
        assert!(l.volume_reached(0, 1 << 31));
        assert_eq!(l.time, None);
    }
}
