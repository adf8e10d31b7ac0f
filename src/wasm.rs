//! JavaScript bindings: the browser face of the library.
//!
//! Each export converts JS values to Rust types, calls the library and
//! converts back; there is no logic here. Failures become a JS `Error`
//! whose `code` is [`Error::code`](crate::Error::code), never a trap.
//!
//! * [`Checker`]: a signed list, verified and indexed, and checks against
//!   it of file bytes, a `Blob` or `File`, an `ImageData` or RGBA pixels,
//!   returning plain verdict objects.
//! * [`hash_image`], [`hash_rgba`]: the hashes alone.
//! * [`exif_orientation`]: the orientation tag, for the browser-decode path.

use std::rc::Rc;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::check::{self, CheckOptions, Verdict};
use crate::decode::{self, Limits};
use crate::error::Error;
use crate::hash::{self, FileHashes, HashOptions, ImageHashes};
use crate::list::SignalType;
use crate::list::format::{ListLimits, LoadOptions, SignedList};
use crate::list::keys::PublicKey;
use crate::pixels::{PixelLayout, Pixels};

// The shapes of the objects below are declared once, in www/prescan.d.ts
// (the package's types); the generated pkg/prescan.d.ts imports them, and
// `unchecked_return_type` / `unchecked_param_type` name them.
#[wasm_bindgen(typescript_custom_section)]
const TS_IMPORTS: &'static str = r#"
import type { CheckerOptions, FileHashes, ImageHashes, ListInfo, Verdict } from "../prescan.js";
"#;

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
#[wasm_bindgen(js_name = hashImage, unchecked_return_type = "FileHashes")]
pub fn hash_image(bytes: &[u8], dihedral: bool) -> Result<Object, JsValue> {
    let options = HashOptions { dihedral, ..HashOptions::default() };
    hash::hash_file(bytes, &options).map(|h| file_hashes(&h)).map_err(|e| js_error(&e))
}

/// Hashes RGBA pixels (an `ImageData`'s `data`): `{ pdq, pdqQuality,
/// pdqDihedral?, phash, dhash, ahash, blockhash }`.
#[wasm_bindgen(js_name = hashRgba, unchecked_return_type = "ImageHashes")]
pub fn hash_rgba(rgba: &[u8], width: u32, height: u32, dihedral: bool) -> Result<Object, JsValue> {
    let pixels = Pixels::new(rgba, width, height, PixelLayout::Rgba).map_err(|e| js_error(&e))?;
    let hashes = hash::hash_pixels(pixels, dihedral).map_err(|e| js_error(&e))?;
    let obj = Object::new();
    image_hashes(&obj, &hashes);
    Ok(obj)
}

/// The EXIF orientation (1 to 8) an image file declares, or `null`.
#[wasm_bindgen(js_name = exifOrientation)]
pub fn exif_orientation(bytes: &[u8]) -> Option<u8> {
    decode::exif_orientation(bytes)
}

/// A number option of a JS options object, if present.
fn number(options: &JsValue, key: &str) -> Option<f64> {
    if options.is_undefined() || options.is_null() {
        return None;
    }
    Reflect::get(options, &key.into()).ok().and_then(|v| v.as_f64())
}

/// A non-negative number option, rounded down; anything else is refused.
fn whole(options: &JsValue, key: &str) -> Result<Option<u64>, JsValue> {
    match number(options, key) {
        None => Ok(None),
        Some(v) if (0.0..=9_007_199_254_740_991.0).contains(&v) => Ok(Some(v.floor() as u64)),
        Some(v) => {
            let err = js_sys::Error::new(&format!("option {key} must be a whole number >= 0, got {v}"));
            let _ = Reflect::set(&err, &"code".into(), &"bad_option".into());
            Err(err.into())
        }
    }
}

/// `performance.now()` of the window or worker, falling back to
/// `Date.now()` where there is no `performance`.
fn now_ms() -> f64 {
    let performance = Reflect::get(&js_sys::global(), &"performance".into()).unwrap_or(JsValue::UNDEFINED);
    let now = Reflect::get(&performance, &"now".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    now.and_then(|f| f.call0(&performance).ok()).and_then(|v| v.as_f64()).unwrap_or_else(js_sys::Date::now)
}

/// A verified, indexed list, and checks against it.
#[wasm_bindgen]
pub struct Checker {
    /// Shared with the futures of `checkFile`, which outlive the borrow of
    /// `self` that started them.
    inner: Rc<check::Checker>,
}

#[wasm_bindgen]
impl Checker {
    /// Verifies `list_bytes` under `public_keys` (hex strings) and indexes
    /// it. `options`: `{ minSequence, now (Unix seconds), thresholds:
    /// {pdq: 31, …}, pdqQualityFloor, pdqNearest (false), maxListBytes,
    /// maxEntries, maxWidth, maxHeight, maxPixels }`, all optional. Throws an `Error` with a
    /// `code` when the list is refused.
    #[wasm_bindgen(constructor)]
    pub fn new(
        list_bytes: Vec<u8>,
        public_keys: Vec<String>,
        #[wasm_bindgen(unchecked_param_type = "CheckerOptions | undefined")] options: JsValue,
    ) -> Result<Checker, JsValue> {
        let trusted_keys = public_keys
            .iter()
            .map(|k| PublicKey::from_hex(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| js_error(&e))?;
        let defaults = ListLimits::default();
        let limits = ListLimits {
            max_bytes: whole(&options, "maxListBytes")?.unwrap_or(defaults.max_bytes),
            max_entries: whole(&options, "maxEntries")?.unwrap_or(defaults.max_entries),
        };
        let now = whole(&options, "now")?.unwrap_or((js_sys::Date::now() / 1000.0) as u64);
        let load =
            LoadOptions { trusted_keys, now, min_sequence: whole(&options, "minSequence")?.unwrap_or(0), limits };
        let list = SignedList::load(list_bytes, &load).map_err(|e| js_error(&e))?;

        let mut check_options = CheckOptions { clock: Some(now_ms), ..CheckOptions::default() };
        let limit_defaults = Limits::default();
        check_options.limits = Limits {
            max_width: whole(&options, "maxWidth")?
                .map_or(limit_defaults.max_width, |v| v.min(u64::from(u32::MAX)) as u32),
            max_height: whole(&options, "maxHeight")?
                .map_or(limit_defaults.max_height, |v| v.min(u64::from(u32::MAX)) as u32),
            max_pixels: whole(&options, "maxPixels")?.unwrap_or(limit_defaults.max_pixels),
            max_alloc: limit_defaults.max_alloc,
        };
        check_options.report_pdq_nearest =
            Reflect::get(&options, &"pdqNearest".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
        if let Some(floor) = whole(&options, "pdqQualityFloor")? {
            check_options.pdq_quality_floor = floor.min(100) as u8;
        }
        let thresholds = Reflect::get(&options, &"thresholds".into()).unwrap_or(JsValue::UNDEFINED);
        for signal in SignalType::ALL {
            if let Some(t) = whole(&thresholds, signal.name())? {
                check_options.thresholds.push((signal, t.min(256) as u32));
            }
        }
        let inner = check::Checker::new(list, check_options).map_err(|e| js_error(&e))?;
        Ok(Checker { inner: Rc::new(inner) })
    }

    /// Checks an image file's bytes. Never throws: an undecodable file
    /// gives a verdict with `decodeError` set (its digests still checked).
    #[wasm_bindgen(js_name = checkBytes, unchecked_return_type = "Verdict")]
    pub fn check_bytes(&self, bytes: &[u8]) -> Object {
        verdict(&self.inner.check_bytes(bytes))
    }

    /// Checks RGBA pixels (from the browser's own decoder), and the
    /// digests of the file's bytes when they are given.
    #[wasm_bindgen(js_name = checkRgba, unchecked_return_type = "Verdict")]
    pub fn check_rgba(
        &self,
        rgba: &[u8],
        width: u32,
        height: u32,
        file_bytes: Option<Vec<u8>>,
    ) -> Result<Object, JsValue> {
        let pixels = Pixels::new(rgba, width, height, PixelLayout::Rgba).map_err(|e| js_error(&e))?;
        Ok(verdict(&self.inner.check_pixels(pixels, file_bytes.as_deref())))
    }

    /// Checks an `ImageData` (from a canvas, or `createImageBitmap` drawn
    /// on one), and the digests of the file's bytes when they are given.
    #[wasm_bindgen(js_name = checkImageData, unchecked_return_type = "Verdict")]
    pub fn check_image_data(&self, image: &web_sys::ImageData, file_bytes: Option<Vec<u8>>) -> Result<Object, JsValue> {
        let rgba = image.data();
        self.check_rgba(&rgba, image.width(), image.height(), file_bytes)
    }

    /// Reads a `Blob` (a `File` from an `<input type="file">`) and checks
    /// its bytes: a promise of the verdict, as `checkBytes` gives it. It
    /// rejects only when the blob cannot be read.
    #[wasm_bindgen(js_name = checkFile, unchecked_return_type = "Promise<Verdict>")]
    pub fn check_file(&self, file: &web_sys::Blob) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        let read = JsFuture::from(file.array_buffer());
        wasm_bindgen_futures::future_to_promise(async move {
            let buffer = read.await?;
            let bytes = Uint8Array::new(&buffer).to_vec();
            Ok(verdict(&inner.check_bytes(&bytes)).into())
        })
    }

    /// `{ id, sequence, created, expires, keyId, entries, sections:
    /// [{signal, count, threshold}] }`, each threshold the one matched
    /// under (the caller's override, or the list's).
    #[wasm_bindgen(js_name = listInfo, unchecked_return_type = "ListInfo")]
    pub fn list_info(&self) -> Object {
        let list = self.inner.list();
        let m = list.meta();
        let obj = Object::new();
        set(&obj, "id", m.id.as_str());
        set(&obj, "sequence", m.sequence as f64);
        set(&obj, "created", m.created as f64);
        set(&obj, "expires", m.expires.map_or(JsValue::NULL, |e| JsValue::from(e as f64)));
        set(&obj, "keyId", m.key_id.to_string());
        set(&obj, "entries", list.len() as f64);
        let thresholds = self.inner.thresholds();
        let sections: Array = list
            .sections()
            .map(|s| {
                let o = Object::new();
                set(&o, "signal", s.signal.name());
                set(&o, "count", s.count as f64);
                let threshold = thresholds.iter().find(|(t, _)| *t == s.signal).map_or(s.threshold, |(_, t)| *t);
                set(&o, "threshold", threshold);
                JsValue::from(o)
            })
            .collect();
        set(&obj, "sections", sections);
        obj
    }
}

/// A verdict as a plain object; no pixels or bytes in it.
fn verdict(v: &Verdict) -> Object {
    let obj = Object::new();
    set(&obj, "matched", v.matched);
    let matches: Array = v
        .matches
        .iter()
        .map(|m| {
            let o = Object::new();
            set(&o, "signal", m.signal.name());
            set(&o, "distance", m.distance);
            set(&o, "threshold", m.threshold);
            set(&o, "entry", m.entry);
            set(&o, "label", m.label.as_deref().map_or(JsValue::NULL, JsValue::from));
            set(&o, "listId", m.list_id.as_str());
            set(&o, "variant", m.variant.map_or(JsValue::NULL, |d| JsValue::from(d.name())));
            JsValue::from(o)
        })
        .collect();
    set(&obj, "matches", matches);
    let h = &v.hashes;
    set(&obj, "pdq", h.pdq.map_or(JsValue::NULL, |p| JsValue::from(p.hash.to_hex())));
    set(&obj, "pdqQuality", h.pdq.map_or(JsValue::NULL, |p| JsValue::from(p.quality)));
    let dihedral = h.pdq_dihedral.map_or(JsValue::NULL, |d| {
        JsValue::from(d.hashes.iter().map(|x| JsValue::from(x.to_hex())).collect::<Array>())
    });
    set(&obj, "pdqDihedral", dihedral);
    set(&obj, "pdqSkippedLowQuality", v.pdq_skipped_low_quality);
    let nearest = v.pdq_nearest.map_or(JsValue::NULL, |n| {
        let o = Object::new();
        set(&o, "distance", n.distance);
        set(&o, "threshold", n.threshold);
        set(&o, "variant", n.variant.name());
        JsValue::from(o)
    });
    set(&obj, "pdqNearest", nearest);
    for p in &h.perceptual {
        set(&obj, p.algorithm().name(), p.to_hex());
    }
    if let Some(d) = &h.digests {
        set(&obj, "md5", d.md5_hex());
        set(&obj, "sha1", d.sha1_hex());
        set(&obj, "sha256", d.sha256_hex());
    }
    let error = v.decode_error.as_ref().map_or(JsValue::NULL, |e| {
        let o = Object::new();
        set(&o, "code", e.code());
        set(&o, "message", e.to_string());
        JsValue::from(o)
    });
    set(&obj, "decodeError", error);
    set(&obj, "elapsedMs", v.elapsed_ms.map_or(JsValue::NULL, JsValue::from));
    obj
}
