//! When to rekey: volume and time limits, and the check that starts a key exchange once a
//! limit is reached.

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
    /// True when the traffic since the last key exchange calls for a new one.
    pub fn volume_reached(&self, bytes: u64, packets: u64) -> bool {
        packets >= self.packets || self.bytes.is_some_and(|limit| bytes >= limit)
    }

    /// When the time limit runs out for a key exchange that finished at `since`.
    pub fn deadline(&self, since: Instant) -> Option<Instant> {
        self.time.and_then(|t| since.checked_add(t))
    }
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
    }

    #[test]
    fn volume_reached_by_bytes_or_packets() {
        let l = RekeyLimit {
            bytes: Some(65_536),
            time: None,
            ..RekeyLimit::default()
        };
        assert!(!l.volume_reached(65_535, 10));
        assert!(l.volume_reached(65_536, 10));
        assert!(l.volume_reached(0, 1 << 31));
        assert_eq!(l.time, None);
    }
}
