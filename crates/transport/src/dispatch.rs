//! Incoming packets: the admission gate, then one `on_<message>` per transport message;
//! service-layer messages go up as payload events.

use burrow_wire::msg;
use burrow_wire::transport::{Debug, Disconnect, ExtInfo, Ignore, Unimplemented};
use bytes::Bytes;

use crate::admission::{Phase, admissible, is_known_transport_message};
use crate::event::TransportEvent;
use crate::{Transport, TransportError};

impl Transport {
    /// Handles one decrypted payload that arrived with sequence number `seq`.
    pub(crate) fn on_packet(&mut self, payload: Bytes, seq: u32) -> Result<(), TransportError> {
        if self.ignore_next_packet {
            // The peer's guessed kex packet was for a method we did not choose (RFC 4253 §7).
            self.ignore_next_packet = false;
            return Ok(());
        }
        let number = payload.first().copied().unwrap_or(0);
        let phase = self.phase();
        if !admissible(self.side, phase, number) {
            return Err(match phase {
                Phase::StrictInitialKex => TransportError::StrictKexViolation { number },
                _ => TransportError::UnexpectedMessage {
                    number,
                    phase: phase.name(),
                },
            });
        }
        match number {
            msg::DISCONNECT => self.on_disconnect(&payload),
            msg::IGNORE => Ignore::decode(&payload).map(drop).map_err(Into::into),
            msg::DEBUG => Debug::decode(&payload).map(drop).map_err(Into::into),
            msg::UNIMPLEMENTED => Unimplemented::decode(&payload)
                .map(drop)
                .map_err(Into::into),
            msg::EXT_INFO => self.on_ext_info(&payload),
            msg::KEXINIT => self.on_kexinit(payload, seq),
            msg::NEWKEYS => self.on_newkeys(&payload),
            msg::KEX_ECDH_INIT => self.on_ecdh_init(&payload),
            msg::KEX_ECDH_REPLY => self.on_ecdh_reply(&payload),
            n if n < 50 && !is_known_transport_message(n) => self.send_unimplemented(seq),
            _ => {
                // SERVICE_REQUEST, SERVICE_ACCEPT and 50-255: the layer above decides.
                self.events.push_back(TransportEvent::Payload(payload));
                Ok(())
            }
        }
    }

    fn on_disconnect(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        let msg = Disconnect::decode(payload)?;
        self.closed = true;
        self.events.push_back(TransportEvent::Disconnected {
            reason: msg.reason_code,
            description: msg.description.into_owned(),
        });
        Ok(())
    }

    /// RFC 8308: the client records `server-sig-algs`; the server has nothing to learn.
    fn on_ext_info(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        let info = ExtInfo::decode(payload)?;
        if self.side == burrow_wire::Side::Client {
            if let Some(algs) = info.server_sig_algs()? {
                self.server_sig_algs = Some(algs.iter().map(str::to_owned).collect());
            }
        }
        Ok(())
    }

    fn send_unimplemented(&mut self, seq: u32) -> Result<(), TransportError> {
        let msg = Unimplemented {
            sequence_number: seq,
        };
        self.seal(&msg.to_bytes())
    }
}
