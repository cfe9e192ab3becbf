//! `Field`: how a message field of each RFC 4251 §5 data type is read and written.

use std::borrow::Cow;

use crate::{DecodeError, NameList, Reader, Writer};

/// A value that a message field holds, with its one wire encoding.
pub(crate) trait Field<'a>: Sized {
    /// Reads the value; `what` names the field in errors (`"CHANNEL_DATA.data"`).
    fn read(r: &mut Reader<'a>, what: &'static str) -> Result<Self, DecodeError>;
    /// Appends the value.
    fn write(&self, w: &mut Writer<'_>);
}

/// A wire encoding of `T` other than `T`'s own [`Field`] one, named on the field with
/// `as Codec` in [`wire_message!`](crate::message::wire_message).
pub(crate) trait Codec<'a, T> {
    /// Reads the value; `what` names the field in errors.
    fn read(r: &mut Reader<'a>, what: &'static str) -> Result<T, DecodeError>;
    /// Appends the value.
    fn write(v: &T, w: &mut Writer<'_>);
}

/// `boolean`.
impl Field<'_> for bool {
    fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Self, DecodeError> {
        r.boolean(what)
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.boolean(*self);
    }
}

/// `uint32`.
impl Field<'_> for u32 {
    fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Self, DecodeError> {
        r.uint32(what)
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.uint32(*self);
    }
}

/// `string` holding UTF-8 text.
impl<'a> Field<'a> for Cow<'a, str> {
    fn read(r: &mut Reader<'a>, what: &'static str) -> Result<Self, DecodeError> {
        r.utf8(what)
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.utf8(self);
    }
}

/// `string` of arbitrary bytes.
impl<'a> Field<'a> for Cow<'a, [u8]> {
    fn read(r: &mut Reader<'a>, what: &'static str) -> Result<Self, DecodeError> {
        r.bytes(what)
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.string(self);
    }
}

/// `name-list`.
impl<'a> Field<'a> for NameList<'a> {
    fn read(r: &mut Reader<'a>, what: &'static str) -> Result<Self, DecodeError> {
        r.name_list(what)
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.name_list(self);
    }
}

/// `byte[n]`, such as the KEXINIT cookie.
impl<const N: usize> Field<'_> for [u8; N] {
    fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Self, DecodeError> {
        r.array(what)
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.raw(self);
    }
}

/// The rest of the payload, raw and unprefixed: a field that ends its message.
pub(crate) struct Rest;

impl<'a> Codec<'a, Cow<'a, [u8]>> for Rest {
    fn read(r: &mut Reader<'a>, _what: &'static str) -> Result<Cow<'a, [u8]>, DecodeError> {
        Ok(Cow::Borrowed(r.rest()))
    }

    fn write(v: &Cow<'a, [u8]>, w: &mut Writer<'_>) {
        w.raw(v);
    }
}

/// A field value whose borrowed parts can be copied into a `'static` value.
pub(crate) trait ToStatic {
    /// The same type with `'static` borrows.
    type Static;
    /// Copies what is borrowed.
    fn to_static(self) -> Self::Static;
}

impl ToStatic for bool {
    type Static = bool;
    fn to_static(self) -> bool {
        self
    }
}

impl ToStatic for u32 {
    type Static = u32;
    fn to_static(self) -> u32 {
        self
    }
}

impl ToStatic for Cow<'_, str> {
    type Static = Cow<'static, str>;
    fn to_static(self) -> Cow<'static, str> {
        Cow::Owned(self.into_owned())
    }
}

impl ToStatic for Cow<'_, [u8]> {
    type Static = Cow<'static, [u8]>;
    fn to_static(self) -> Cow<'static, [u8]> {
        Cow::Owned(self.into_owned())
    }
}

impl<T: ToStatic> ToStatic for Vec<T> {
    type Static = Vec<T::Static>;
    fn to_static(self) -> Vec<T::Static> {
        self.into_iter().map(T::to_static).collect()
    }
}
