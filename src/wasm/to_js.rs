//! A serde data format whose output is JS values: how the bindings hand a
//! [`Verdict`](crate::check::Verdict) to JavaScript through the one
//! `Serialize` implementation every face uses (`schema`), without
//! formatting it as JSON text first (which would link a float formatter and
//! a string escaper into the module, and parse again on the other side).
//!
//! Numbers become JS numbers (integers above 2^53 lose precision; the
//! verdict has none), strings strings, `None` and unit `null`, sequences
//! arrays, structs and maps plain objects; a field serde skips is absent.

use std::fmt;

use js_sys::{Array, Object, Reflect};
use serde::ser::{self, Serialize};
use wasm_bindgen::JsValue;

/// `value` as a JS value.
///
/// # Errors
/// [`ToJsError`] for a map key that is not a string, which the verdict
/// does not have.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, ToJsError> {
    value.serialize(ToJs)
}

/// Why a value could not be turned into a JS value.
#[derive(Debug)]
pub struct ToJsError(String);

impl fmt::Display for ToJsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ToJsError {}

impl ser::Error for ToJsError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ToJsError(msg.to_string())
    }
}

/// Sets `key` on a fresh plain object, which cannot fail.
fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

struct ToJs;

/// An array being filled.
struct Seq(Array);

/// An object being filled; for maps, the key waiting for its value.
struct Map {
    object: Object,
    key: Option<String>,
}

/// `{ variant: value }` for enum variants with data.
struct Variant {
    name: &'static str,
    inner: Map,
    seq: Option<Seq>,
}

type R = Result<JsValue, ToJsError>;

macro_rules! numbers {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, v: $t) -> R {
            Ok(JsValue::from_f64(v as f64))
        })*
    };
}

impl ser::Serializer for ToJs {
    type Ok = JsValue;
    type Error = ToJsError;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Seq;
    type SerializeTupleVariant = Variant;
    type SerializeMap = Map;
    type SerializeStruct = Map;
    type SerializeStructVariant = Variant;

    fn serialize_bool(self, v: bool) -> R {
        Ok(JsValue::from_bool(v))
    }
    // Every number is a JS number (f64; the verdict has no integer above
    // 2^53): one body for the ten numeric methods.
    numbers!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_f32: f32,
        serialize_f64: f64
    );
    fn serialize_char(self, v: char) -> R {
        Ok(JsValue::from_str(v.encode_utf8(&mut [0; 4])))
    }
    fn serialize_str(self, v: &str) -> R {
        Ok(JsValue::from_str(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> R {
        Ok(js_sys::Uint8Array::from(v).into())
    }
    fn serialize_none(self) -> R {
        Ok(JsValue::NULL)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_unit(self) -> R {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> R {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> R {
        Ok(JsValue::from_str(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> R {
        let object = Object::new();
        set(&object, variant, &value.serialize(ToJs)?);
        Ok(object.into())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq, ToJsError> {
        Ok(Seq(Array::new()))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Seq, ToJsError> {
        Ok(Seq(Array::new()))
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Seq, ToJsError> {
        Ok(Seq(Array::new()))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant, ToJsError> {
        Ok(Variant { name: variant, inner: Map { object: Object::new(), key: None }, seq: Some(Seq(Array::new())) })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map, ToJsError> {
        Ok(Map { object: Object::new(), key: None })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Map, ToJsError> {
        Ok(Map { object: Object::new(), key: None })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant, ToJsError> {
        Ok(Variant { name: variant, inner: Map { object: Object::new(), key: None }, seq: None })
    }
}

impl Seq {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ToJsError> {
        self.0.push(&value.serialize(ToJs)?);
        Ok(())
    }
}

// Sequences, tuples and tuple structs are all arrays: one impl body, three
// traits (whose element method names differ).
macro_rules! array_of {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Seq {
            type Ok = JsValue;
            type Error = ToJsError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ToJsError> {
                self.push(value)
            }
            fn end(self) -> R {
                Ok(self.0.into())
            }
        }
    };
}

array_of!(SerializeSeq, serialize_element);
array_of!(SerializeTuple, serialize_element);
array_of!(SerializeTupleStruct, serialize_field);

impl ser::SerializeMap for Map {
    type Ok = JsValue;
    type Error = ToJsError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ToJsError> {
        let key = key.serialize(ToJs)?;
        self.key = Some(key.as_string().ok_or_else(|| ToJsError("a map key that is not a string".into()))?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ToJsError> {
        let key = self.key.take().ok_or_else(|| ToJsError("a map value without its key".into()))?;
        set(&self.object, &key, &value.serialize(ToJs)?);
        Ok(())
    }
    fn end(self) -> R {
        Ok(self.object.into())
    }
}

impl ser::SerializeStruct for Map {
    type Ok = JsValue;
    type Error = ToJsError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ToJsError> {
        set(&self.object, key, &value.serialize(ToJs)?);
        Ok(())
    }
    fn end(self) -> R {
        Ok(self.object.into())
    }
}

impl Variant {
    fn wrap(self) -> JsValue {
        let inner: JsValue = match self.seq {
            Some(seq) => seq.0.into(),
            None => self.inner.object.into(),
        };
        let object = Object::new();
        set(&object, self.name, &inner);
        object.into()
    }
}

impl ser::SerializeTupleVariant for Variant {
    type Ok = JsValue;
    type Error = ToJsError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ToJsError> {
        match &mut self.seq {
            Some(seq) => seq.push(value),
            None => Err(ToJsError("a tuple variant without its array".into())),
        }
    }
    fn end(self) -> R {
        Ok(self.wrap())
    }
}

impl ser::SerializeStructVariant for Variant {
    type Ok = JsValue;
    type Error = ToJsError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ToJsError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> R {
        Ok(self.wrap())
    }
}
