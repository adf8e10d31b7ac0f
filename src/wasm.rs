//! JavaScript bindings: the browser face of the library.
//!
//! Each export converts JS values to Rust types, calls the library and
//! converts back; there is no logic here. Failures become a JS `Error`
//! whose `code` is [`Error::code`](crate::Error::code), never a trap.
//!
//! This is the hashing surface; the checker and its signed lists come with
//! the list work.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::hash::{self, FileHashes, HashOptions, ImageHashes};
use crate::pixels::{PixelLayout, Pixels};

/// A JS `Error` with the library error's message and `code`.
fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&err, &"code".into(), &e.code().into());
    err.into()
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a plain fresh object cannot fail.
    let _ = Reflect::set(obj, &key.into(), &value.into());
}

fn image_hashes(obj: &Object, h: &ImageHashes) {
    set(obj, "pdq", h.pdq.hash.to_hex());
    set(obj, "pdqQuality", h.pdq.quality);
    if let Some(d) = &h.pdq_dihedral {
        let all: Array = d.hashes.iter().map(|x| JsValue::from(x.to_hex())).collect();
        set(obj, "pdqDihedral", all);
    }
    for p in &h.perceptual {
        set(obj, p.algorithm().name(), p.to_hex());
    }
}

fn file_hashes(h: &FileHashes) -> Object {
    let obj = Object::new();
    set(&obj, "format", h.format.name());
    set(&obj, "width", h.width);
    set(&obj, "height", h.height);
    set(&obj, "orientation", h.orientation.map_or(JsValue::NULL, JsValue::from));
    image_hashes(&obj, &h.image);
    set(&obj, "md5", h.digests.md5_hex());
    set(&obj, "sha1", h.digests.sha1_hex());
    set(&obj, "sha256", h.digests.sha256_hex());
    obj
}

/// Hashes an image file's bytes: `{ format, width, height, orientation,
/// pdq, pdqQuality, pdqDihedral?, phash, dhash, ahash, blockhash, md5,
/// sha1, sha256 }`, with the default decoding limits.
#[wasm_bindgen(js_name = hashImage)]
pub fn hash_image(bytes: &[u8], dihedral: bool) -> Result<Object, JsValue> {
    let options = HashOptions { dihedral, ..HashOptions::default() };
    hash::hash_file(bytes, &options).map(|h| file_hashes(&h)).map_err(|e| js_error(&e))
}

/// Hashes RGBA pixels (an `ImageData`'s `data`): `{ pdq, pdqQuality,
/// pdqDihedral?, phash, dhash, ahash, blockhash }`.
#[wasm_bindgen(js_name = hashRgba)]
pub fn hash_rgba(rgba: &[u8], width: u32, height: u32, dihedral: bool) -> Result<Object, JsValue> {
    let pixels = Pixels::new(rgba, width, height, PixelLayout::Rgba).map_err(|e| js_error(&e))?;
    let hashes = hash::hash_pixels(pixels, dihedral).map_err(|e| js_error(&e))?;
    let obj = Object::new();
    image_hashes(&obj, &hashes);
    Ok(obj)
}
