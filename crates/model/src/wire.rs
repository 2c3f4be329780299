//! Reading the API's objects with less code in the wasm.
//!
//! `read_object!` writes the `Deserialize` of a struct that is read from a
//! JSON object, field by field, with what serde's derive accepts of an
//! object: fields in any order, unknown fields ignored, a repeated field
//! refused, a missing `Option` as `None` and any other missing field refused
//! by name. The derive also reads every struct from an array, and every
//! field name from bytes and from numbers: input the API never sends, and
//! code that every struct would otherwise carry into the wasm.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

/// Which of `fields` a key of the object names (`None`: an unknown field).
pub struct KeyOf(pub &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyOf {
    type Value = Option<&'static str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for KeyOf {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().copied().find(|f| *f == s))
    }
}

/// The value of a field the object left out: `None` for an `Option`, an
/// error naming the field for anything else.
pub fn missing<'de, T: de::Deserialize<'de>, E: de::Error>(field: &'static str) -> Result<T, E> {
    T::deserialize(Missing(field, PhantomData))
}

struct Missing<E>(&'static str, PhantomData<E>);

impl<'de, E: de::Error> Deserializer<'de> for Missing<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, E> {
        Err(E::missing_field(self.0))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        v.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// `read_object!(Type, "what it is", { field: "name", … })`: see the module.
macro_rules! read_object {
    ($ty:ident, $what:literal, { $($field:ident: $name:literal),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $ty;

                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str($what)
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        $(let mut $field = None;)*
                        while let Some(key) = map.next_key_seed(crate::wire::KeyOf(&[$($name),*]))? {
                            match key {
                                $(Some($name) => {
                                    if $field.is_some() {
                                        return Err(serde::de::Error::duplicate_field($name));
                                    }
                                    $field = Some(map.next_value()?);
                                })*
                                _ => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                }
                            }
                        }
                        Ok($ty {
                            $($field: match $field {
                                Some(v) => v,
                                None => crate::wire::missing($name)?,
                            },)*
                        })
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}
pub(crate) use read_object;
