//! Reason codes: SSH_MSG_DISCONNECT (RFC 4250 §4.2.2) and SSH_MSG_CHANNEL_OPEN_FAILURE
//! (RFC 4250 §4.3).

use core::fmt;

macro_rules! reason_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A code this implementation does not know; kept so it round-trips.
            Other(u32),
        }

        impl $name {
            /// The code on the wire.
            pub fn code(self) -> u32 {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Other(code) => code,
                }
            }

            /// The reason for a code on the wire.
            pub fn from_code(code: u32) -> Self {
                match code {
                    $($value => Self::$variant,)*
                    other => Self::Other(other),
                }
            }
        }

        /// `uint32` reason code; unknown codes are kept as `Other`.
        impl crate::field::Field<'_> for $name {
            fn read(
                r: &mut crate::Reader<'_>,
                what: &'static str,
            ) -> Result<Self, crate::DecodeError> {
                r.uint32(what).map(Self::from_code)
            }

            fn write(&self, w: &mut crate::Writer<'_>) {
                w.uint32(self.code());
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Self::$variant => f.write_str($text),)*
                    Self::Other(code) => write!(f, "unknown reason {code}"),
                }
            }
        }
    };
}

reason_enum! {
    /// Why a side disconnects (SSH_DISCONNECT_*).
    DisconnectReason {
        /// SSH_DISCONNECT_HOST_NOT_ALLOWED_TO_CONNECT
        HostNotAllowedToConnect = 1 => "host not allowed to connect",
        /// SSH_DISCONNECT_PROTOCOL_ERROR
        ProtocolError = 2 => "protocol error",
        /// SSH_DISCONNECT_KEY_EXCHANGE_FAILED
        KeyExchangeFailed = 3 => "key exchange failed",
        /// SSH_DISCONNECT_RESERVED
        Reserved = 4 => "reserved",
        /// SSH_DISCONNECT_MAC_ERROR
        MacError = 5 => "MAC error",
        /// SSH_DISCONNECT_COMPRESSION_ERROR
        CompressionError = 6 => "compression error",
        /// SSH_DISCONNECT_SERVICE_NOT_AVAILABLE
        ServiceNotAvailable = 7 => "service not available",
        /// SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED
        ProtocolVersionNotSupported = 8 => "protocol version not supported",
        /// SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE
        HostKeyNotVerifiable = 9 => "host key not verifiable",
        /// SSH_DISCONNECT_CONNECTION_LOST
        ConnectionLost = 10 => "connection lost",
        /// SSH_DISCONNECT_BY_APPLICATION
        ByApplication = 11 => "disconnected by application",
        /// SSH_DISCONNECT_TOO_MANY_CONNECTIONS
        TooManyConnections = 12 => "too many connections",
        /// SSH_DISCONNECT_AUTH_CANCELLED_BY_USER
        AuthCancelledByUser = 13 => "authentication cancelled by user",
        /// SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE
        NoMoreAuthMethodsAvailable = 14 => "no more authentication methods available",
        /// SSH_DISCONNECT_ILLEGAL_USER_NAME
        IllegalUserName = 15 => "illegal user name",
    }
}

reason_enum! {
    /// Why a channel open was refused (SSH_OPEN_*).
    OpenFailureReason {
        /// SSH_OPEN_ADMINISTRATIVELY_PROHIBITED
        AdministrativelyProhibited = 1 => "administratively prohibited",
        /// SSH_OPEN_CONNECT_FAILED
        ConnectFailed = 2 => "connect failed",
        /// SSH_OPEN_UNKNOWN_CHANNEL_TYPE
        UnknownChannelType = 3 => "unknown channel type",
        /// SSH_OPEN_RESOURCE_SHORTAGE
        ResourceShortage = 4 => "resource shortage",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disconnect_codes_round_trip() {
        for code in 0..20 {
            assert_eq!(DisconnectReason::from_code(code).code(), code);
        }
        assert_eq!(DisconnectReason::ProtocolError.code(), 2);
        assert_eq!(
            DisconnectReason::from_code(14),
            DisconnectReason::NoMoreAuthMethodsAvailable
        );
    }

    #[test]
    fn open_failure_codes() {
        assert_eq!(OpenFailureReason::ResourceShortage.code(), 4);
        assert_eq!(
            OpenFailureReason::from_code(2).to_string(),
            "connect failed"
        );
        assert_eq!(OpenFailureReason::from_code(9), OpenFailureReason::Other(9));
    }
}
