//! Macros that define the messages from one field list in the RFC's words, so that a struct,
//! its decoder and its encoder cannot disagree on the fields or their order.

/// Defines a message struct with its fields in wire order, and its `decode` (number checked,
/// each field named `MESSAGE.field` in errors, no trailing bytes), `encode` and `to_bytes`.
/// `$number` is the message's name in [`msg`](crate::msg). A field written `name: Type as
/// Codec` is read and written by that [`Codec`](crate::field::Codec) instead of the type's own
/// [`Field`](crate::field::Field) encoding. A request message ends with `@name { fields }
/// kind: Kind`: the name of its [`wire_kind!`] part (`MESSAGE.name` in errors), the fields that
/// follow the name, and the field holding the kind, whose own fields end the payload. A
/// message without fields is a unit struct: `pub struct NewKeys = NEWKEYS;`.
macro_rules! wire_message {
    (
        $(#[$attr:meta])*
        pub struct $name:ident = $number:ident;
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name;

        impl $name {
            /// Decodes a whole payload, message number included.
            pub fn decode(payload: &[u8]) -> Result<Self, $crate::DecodeError> {
                let what = stringify!($number);
                $crate::codec::open(payload, $crate::msg::$number, what)?.finish(what)?;
                Ok(Self)
            }

            /// Encodes the message, number included.
            pub fn encode(&self, w: &mut $crate::Writer<'_>) {
                w.byte($crate::msg::$number);
            }
        }

        $crate::codec::impl_to_bytes!($name);
    };
    (
        $(#[$attr:meta])*
        pub struct $name:ident $(<$lt:lifetime>)? = $number:ident {
            $(
                $(#[$field_attr:meta])*
                $field:ident: $ty:ty $(as $codec:ty)?,
            )*
            $(
                @$kind_name:ident {
                    $(
                        $(#[$after_attr:meta])*
                        $after:ident: $after_ty:ty,
                    )*
                }
                $(#[$kind_attr:meta])*
                $kind:ident: $kind_ty:ty,
            )?
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name $(<$lt>)? {
            $(
                $(#[$field_attr])*
                pub $field: $ty,
            )*
            $(
                $(
                    $(#[$after_attr])*
                    pub $after: $after_ty,
                )*
                $(#[$kind_attr])*
                pub $kind: $kind_ty,
            )?
        }

        impl $(<$lt>)? $name $(<$lt>)? {
            /// Decodes a whole payload, message number included.
            pub fn decode(payload: &$($lt)? [u8]) -> Result<Self, $crate::DecodeError> {
                let what = stringify!($number);
                let mut r = $crate::codec::open(payload, $crate::msg::$number, what)?;
                $(
                    let $field = $crate::message::read_field!(
                        &mut r,
                        concat!(stringify!($number), ".", stringify!($field)),
                        $ty $(as $codec)?
                    );
                )*
                $(
                    let name = r.utf8(concat!(stringify!($number), ".", stringify!($kind_name)))?;
                    $(
                        let $after = $crate::message::read_field!(
                            &mut r,
                            concat!(stringify!($number), ".", stringify!($after)),
                            $after_ty
                        );
                    )*
                    let $kind = <$kind_ty>::read_body(name, &mut r)?;
                )?
                r.finish(what)?;
                Ok(Self {
                    $($field,)*
                    $($($after,)* $kind,)?
                })
            }

            /// Encodes the message, number included.
            pub fn encode(&self, w: &mut $crate::Writer<'_>) {
                w.byte($crate::msg::$number);
                $(
                    $crate::message::write_field!(w, &self.$field, $ty $(as $codec)?);
                )*
                $(
                    w.utf8(self.$kind.name());
                    $(
                        $crate::message::write_field!(w, &self.$after, $after_ty);
                    )*
                    self.$kind.write_body(w);
                )?
            }
        }

        $crate::codec::impl_to_bytes!($name $(<$lt>)?);
    };
}
pub(crate) use wire_message;

/// Defines the name-keyed part of a request message (channel type, request name, method
/// name): `Unknown`, which keeps any other name and the raw rest of the payload (written first,
/// declared last), then one variant per known name, a unit or with its fields in wire order
/// (each named `prefix.field` in errors). Generates `name()`, `into_owned()`, and `read_body` /
/// `write_body` for what follows the name.
macro_rules! wire_kind {
    (
        $(#[$attr:meta])*
        pub enum $name:ident<$lt:lifetime> {
            $(#[$unknown_attr:meta])*
            Unknown {
                $(#[$unknown_name_attr:meta])*
                $unknown_name:ident,
                $(#[$data_attr:meta])*
                data,
            },
            $(
                $(#[$variant_attr:meta])*
                $variant:ident = $wire_name:ident $($prefix:literal {
                    $(
                        $(#[$field_attr:meta])*
                        $field:ident: $ty:ty $(as $codec:ty)?,
                    )*
                })?,
            )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name<$lt> {
            $(
                $(#[$variant_attr])*
                $variant $({
                    $(
                        $(#[$field_attr])*
                        $field: $ty,
                    )*
                })?,
            )*
            $(#[$unknown_attr])*
            Unknown {
                $(#[$unknown_name_attr])*
                $unknown_name: ::std::borrow::Cow<$lt, str>,
                $(#[$data_attr])*
                data: ::std::borrow::Cow<$lt, [u8]>,
            },
        }

        impl<$lt> $name<$lt> {
            /// The name on the wire.
            pub fn name(&self) -> &str {
                match self {
                    $(Self::$variant $({ $($field: _,)* })? => $wire_name,)*
                    Self::Unknown { $unknown_name, .. } => $unknown_name,
                }
            }

            /// Reads the fields that follow the name `name`, up to the end of the payload.
            pub(crate) fn read_body(
                name: ::std::borrow::Cow<$lt, str>,
                r: &mut $crate::Reader<$lt>,
            ) -> Result<Self, $crate::DecodeError> {
                Ok(match name.as_ref() {
                    $(
                        $wire_name => Self::$variant $({
                            $(
                                $field: $crate::message::read_field!(
                                    r,
                                    concat!($prefix, ".", stringify!($field)),
                                    $ty $(as $codec)?
                                ),
                            )*
                        })?,
                    )*
                    _ => Self::Unknown {
                        data: ::std::borrow::Cow::Borrowed(r.rest()),
                        $unknown_name: name,
                    },
                })
            }

            /// A copy that owns its strings, for what outlives the payload (bounded by the
            /// packet size).
            pub fn into_owned(self) -> $name<'static> {
                match self {
                    $(
                        Self::$variant $({ $($field,)* })? => $name::$variant $({
                            $($field: $crate::field::ToStatic::to_static($field),)*
                        })?,
                    )*
                    Self::Unknown { $unknown_name, data } => $name::Unknown {
                        $unknown_name: $crate::field::ToStatic::to_static($unknown_name),
                        data: $crate::field::ToStatic::to_static(data),
                    },
                }
            }

            /// Writes the fields that follow the name.
            pub(crate) fn write_body(&self, w: &mut $crate::Writer<'_>) {
                match self {
                    $(
                        Self::$variant $({ $($field,)* })? => {
                            $($(
                                $crate::message::write_field!(w, $field, $ty $(as $codec)?);
                            )*)?
                        }
                    )*
                    Self::Unknown { data, .. } => {
                        w.raw(data);
                    }
                }
            }
        }
    };
}
pub(crate) use wire_kind;

/// Defines a layer's message enum, one variant per message struct with the name of its number
/// in [`msg`](crate::msg), and its `encode`, `number` and `to_bytes`. With `decode as "what"`
/// also `decode`, which dispatches on the first byte: numbers outside the layer are
/// `UnknownMessage` and trailing bytes are an error.
macro_rules! layer_message {
    (
        $(#[$attr:meta])*
        pub enum $name:ident<$lt:lifetime> decode as $what:literal {
            $(
                $(#[$variant_attr:meta])*
                $variant:ident($ty:ty) = $number:ident,
            )*
        }
    ) => {
        $crate::message::layer_message! {
            $(#[$attr])*
            pub enum $name<$lt> {
                $(
                    $(#[$variant_attr])*
                    $variant($ty) = $number,
                )*
            }
        }

        impl<$lt> $name<$lt> {
            /// Decodes a whole payload by its first byte; numbers outside this layer are
            /// `UnknownMessage`, and trailing bytes are an error.
            pub fn decode(payload: &$lt [u8]) -> Result<Self, $crate::DecodeError> {
                Ok(match $crate::codec::number(payload, $what)? {
                    $($crate::msg::$number => Self::$variant(<$ty>::decode(payload)?),)*
                    other => return Err($crate::codec::unknown($what, other)),
                })
            }
        }
    };
    (
        $(#[$attr:meta])*
        pub enum $name:ident<$lt:lifetime> {
            $(
                $(#[$variant_attr:meta])*
                $variant:ident($ty:ty) = $number:ident,
            )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name<$lt> {
            $(
                $(#[$variant_attr])*
                $variant($ty),
            )*
        }

        impl $name<'_> {
            /// Encodes the message, number included.
            pub fn encode(&self, w: &mut $crate::Writer<'_>) {
                match self {
                    $(Self::$variant(m) => m.encode(w),)*
                }
            }

            /// The message number.
            pub fn number(&self) -> u8 {
                match self {
                    $(Self::$variant(_) => $crate::msg::$number,)*
                }
            }
        }

        $crate::codec::impl_to_bytes!($name<$lt>);
    };
}
pub(crate) use layer_message;

/// Reads one field: by its type's [`Field`](crate::field::Field) encoding, or by a `Codec`.
macro_rules! read_field {
    ($r:expr, $what:expr, $ty:ty as $codec:ty) => {
        <$codec as $crate::field::Codec<'_, $ty>>::read($r, $what)?
    };
    ($r:expr, $what:expr, $ty:ty) => {
        <$ty as $crate::field::Field<'_>>::read($r, $what)?
    };
}
pub(crate) use read_field;

/// Writes one field: by its type's [`Field`](crate::field::Field) encoding, or by a `Codec`.
macro_rules! write_field {
    ($w:expr, $v:expr, $ty:ty as $codec:ty) => {
        <$codec as $crate::field::Codec<'_, $ty>>::write($v, $w)
    };
    ($w:expr, $v:expr, $ty:ty) => {
        <$ty as $crate::field::Field<'_>>::write($v, $w)
    };
}
pub(crate) use write_field;
