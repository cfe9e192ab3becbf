//! Transport-layer messages (RFC 4253, RFC 8308) and the `TransportMessage` enum over them.

mod ext_info;
mod generic;
mod kex;
#[cfg(test)]
mod tests;

pub use ext_info::{ExtInfo, MAX_EXTENSIONS, SERVER_SIG_ALGS};
pub use generic::{Debug, Disconnect, Ignore, ServiceAccept, ServiceRequest, Unimplemented};
pub use kex::{KexEcdhInit, KexEcdhReply, KexInit, NewKeys};

use crate::message::layer_message;

layer_message! {
    /// Any transport-layer message: numbers 1-7, 20-21 and 30-31.
    pub enum TransportMessage<'a> decode as "transport message" {
        /// SSH_MSG_DISCONNECT.
        Disconnect(Disconnect<'a>) = DISCONNECT,
        /// SSH_MSG_IGNORE.
        Ignore(Ignore<'a>) = IGNORE,
        /// SSH_MSG_UNIMPLEMENTED.
        Unimplemented(Unimplemented) = UNIMPLEMENTED,
        /// SSH_MSG_DEBUG.
        Debug(Debug<'a>) = DEBUG,
        /// SSH_MSG_SERVICE_REQUEST.
        ServiceRequest(ServiceRequest<'a>) = SERVICE_REQUEST,
        /// SSH_MSG_SERVICE_ACCEPT.
        ServiceAccept(ServiceAccept<'a>) = SERVICE_ACCEPT,
        /// SSH_MSG_EXT_INFO.
        ExtInfo(ExtInfo<'a>) = EXT_INFO,
        /// SSH_MSG_KEXINIT.
        KexInit(KexInit<'a>) = KEXINIT,
        /// SSH_MSG_NEWKEYS.
        NewKeys(NewKeys) = NEWKEYS,
        /// SSH_MSG_KEX_ECDH_INIT.
        KexEcdhInit(KexEcdhInit<'a>) = KEX_ECDH_INIT,
        /// SSH_MSG_KEX_ECDH_REPLY.
        KexEcdhReply(KexEcdhReply<'a>) = KEX_ECDH_REPLY,
    }
}
