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

mod to_js;

use std::rc::Rc;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::check::{self, CheckOptions, Verdict};
use crate::decode::{self, Limits};
use crate::error::{Error, Limit};
use crate::hash::{self, FileHashes, HashOptions, ImageHashes, pdq};
use crate::list::SignalType;
use crate::list::format::{ListLimits, LoadOptions, SignedList};
use crate::list::keys::PublicKey;
use crate::pixels::{PixelLayout, Pixels};

// The shapes of the objects below are declared once, in www/prescan.d.ts
// (the package's types); the generated pkg/prescan.d.ts imports them, and
// `unchecked_return_type` / `unchecked_param_type` name them.
#[wasm_bindgen(typescript_custom_section)]
const TS_IMPORTS: &'static str = r#"
import type { CheckerOptions, FileHashes, HashedFile, HasherOptions, ImageHashes, ListInfo, MatcherFile, Verdict } from "../prescan.js";
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
    set_digests(&obj, &h.digests);
    obj
}

fn set_digests(obj: &Object, d: &hash::digest::FileDigests) {
    set(obj, "md5", d.md5_hex());
    set(obj, "sha1", d.sha1_hex());
    set(obj, "sha256", d.sha256_hex());
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

/// The names [`Checker::new`] takes in its options object; any other is
/// refused, so that a misspelt option is not silently ignored.
const KNOWN_OPTIONS: [&str; 12] = [
    "minSequence",
    "now",
    "thresholds",
    "pdqQualityFloor",
    "pdqNearest",
    "maxListBytes",
    "maxEntries",
    "maxWidth",
    "maxHeight",
    "maxPixels",
    "maxFileBytes",
    "maxDecodeBytes",
];

/// The default memory budget of one decode in the browser
/// (`maxDecodeBytes`): 256 MiB, half the native default
/// ([`crate::decode::DEFAULT_MAX_ALLOC`]). A check holds about this budget
/// plus the file's bytes (scripts/bench-memory: a 48 MP JPEG, 160 MiB in
/// all), on top of the list (about 100 MiB at its peak for a million
/// PDQ entries), and a phone's tab has a few hundred MiB to spare before
/// the browser kills it. Every photograph of 48 MP and more (a 61 MP camera
/// JPEG needs about 180 MiB) fits; a 16-bit PNG past 32 MP does not.
pub const BROWSER_MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// `Number.MAX_SAFE_INTEGER`: the largest whole number a JS number holds
/// exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn bad_option(option: &str, reason: String) -> JsValue {
    js_error(&Error::BadOption { option: option.to_owned(), reason })
}

/// A JS options object, read strictly: every option of the wrong type or
/// out of range is refused with `bad_option` naming it, never ignored.
struct JsOptions {
    /// `None` when the caller passed `undefined` or `null`.
    object: Option<Object>,
    /// How option names are shown in errors: `""` or `"thresholds."`.
    prefix: &'static str,
}

impl JsOptions {
    /// Reads `value` as an options object whose names are all in `known`.
    fn new(value: &JsValue, name: &str, prefix: &'static str, known: &[&str]) -> Result<Self, JsValue> {
        if value.is_undefined() || value.is_null() {
            return Ok(JsOptions { object: None, prefix });
        }
        if !value.is_object() || Array::is_array(value) {
            return Err(bad_option(name, format!("must be an object, got {}", type_of(value))));
        }
        let object: Object = value.clone().unchecked_into();
        for key in Object::keys(&object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(bad_option(
                    &format!("{prefix}{key}"),
                    format!("unknown option (known: {})", known.join(", ")),
                ));
            }
        }
        Ok(JsOptions { object: Some(object), prefix })
    }

    /// The value of `key`, `None` when absent or `undefined`.
    fn get(&self, key: &str) -> Option<JsValue> {
        let object = self.object.as_ref()?;
        Reflect::get(object, &key.into()).ok().filter(|v| !v.is_undefined())
    }

    /// A whole number from 0 to `max`.
    fn whole(&self, key: &str, max: u64) -> Result<Option<u64>, JsValue> {
        let Some(v) = self.get(key) else { return Ok(None) };
        match v.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= 0.0 && n <= max as f64 => Ok(Some(n as u64)),
            _ => Err(bad_option(
                &format!("{}{key}", self.prefix),
                format!("must be a whole number from 0 to {max}, got {}", show(&v)),
            )),
        }
    }

    /// The decoding limits `maxWidth`, `maxHeight`, `maxPixels`,
    /// `maxFileBytes` and `maxDecodeBytes`, each defaulting to
    /// [`Limits::default`]'s, except `maxDecodeBytes`: [`BROWSER_MAX_ALLOC`].
    fn decode_limits(&self) -> Result<Limits, JsValue> {
        let d = Limits::default();
        let side = u64::from(u32::MAX);
        Ok(Limits {
            max_width: self.whole("maxWidth", side)?.map_or(d.max_width, |v| v as u32),
            max_height: self.whole("maxHeight", side)?.map_or(d.max_height, |v| v as u32),
            max_pixels: self.whole("maxPixels", MAX_SAFE_INTEGER)?.unwrap_or(d.max_pixels),
            max_file_bytes: self.whole("maxFileBytes", MAX_SAFE_INTEGER)?.unwrap_or(d.max_file_bytes),
            max_alloc: self.whole("maxDecodeBytes", MAX_SAFE_INTEGER)?.unwrap_or(BROWSER_MAX_ALLOC),
        })
    }

    /// A boolean.
    fn boolean(&self, key: &str) -> Result<Option<bool>, JsValue> {
        let Some(v) = self.get(key) else { return Ok(None) };
        v.as_bool().map(Some).ok_or_else(|| {
            bad_option(&format!("{}{key}", self.prefix), format!("must be true or false, got {}", show(&v)))
        })
    }
}

/// `typeof` of a JS value, for messages.
fn type_of(v: &JsValue) -> String {
    v.js_typeof().as_string().unwrap_or_default()
}

/// A JS value for a message: its type, and its text for strings and
/// numbers.
fn show(v: &JsValue) -> String {
    match (v.as_string(), v.as_f64()) {
        (Some(s), _) => format!("the string {s:?}"),
        (None, Some(n)) => format!("{n}"),
        _ => format!("a value of type {}", type_of(v)),
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
    /// maxEntries, maxWidth, maxHeight, maxPixels, maxFileBytes }`, all
    /// optional. Throws an `Error` with a `code`: `bad_option` (naming the
    /// option) for an unknown name, a value of the wrong type or out of
    /// range, or a threshold over its type's cap; the list's code when the
    /// list is refused.
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
        let o = JsOptions::new(&options, "options", "", &KNOWN_OPTIONS)?;
        let defaults = ListLimits::default();
        let limits = ListLimits {
            max_bytes: o.whole("maxListBytes", MAX_SAFE_INTEGER)?.unwrap_or(defaults.max_bytes),
            max_entries: o.whole("maxEntries", MAX_SAFE_INTEGER)?.unwrap_or(defaults.max_entries),
        };
        let now = o.whole("now", MAX_SAFE_INTEGER)?.unwrap_or((js_sys::Date::now() / 1000.0) as u64);
        let min_sequence = o.whole("minSequence", MAX_SAFE_INTEGER)?.unwrap_or(0);
        let decode_limits = o.decode_limits()?;
        let mut check_options = CheckOptions { clock: Some(now_ms), limits: decode_limits, ..CheckOptions::default() };
        check_options.report_pdq_nearest = o.boolean("pdqNearest")?.unwrap_or(false);
        if let Some(floor) = o.whole("pdqQualityFloor", u64::from(pdq::MAX_QUALITY))? {
            check_options.pdq_quality_floor = floor as u8;
        }
        let names = SignalType::ALL.map(SignalType::name);
        let thresholds =
            JsOptions::new(&o.get("thresholds").unwrap_or(JsValue::UNDEFINED), "thresholds", "thresholds.", &names)?;
        for signal in SignalType::ALL {
            if let Some(t) = thresholds.whole(signal.name(), u64::from(signal.max_threshold()))? {
                check_options.thresholds.set(signal, t as u32);
            }
        }
        // Options first, then the list: a bad option is reported as such
        // whatever the list.
        let load = LoadOptions { trusted_keys, now, min_sequence, limits };
        let list = SignedList::load(list_bytes, &load).map_err(|e| js_error(&e))?;
        let inner = check::Checker::new(list, check_options).map_err(|e| js_error(&e))?;
        Ok(Checker { inner: Rc::new(inner) })
    }

    /// Checks only the digests (MD5, SHA-1, SHA-256) of a file's bytes,
    /// without decoding: for a file a browser could not decode, so that a
    /// listed digest matches whatever the pixels. `decodeError` is null;
    /// the caller sets its own.
    #[wasm_bindgen(js_name = checkDigests, unchecked_return_type = "Verdict")]
    pub fn check_digests(&self, bytes: &[u8]) -> Result<Object, JsValue> {
        verdict(&self.inner.check_digests(bytes))
    }

    /// Checks the hashes a [`Hasher`] computed (its `hashes`: the shape of
    /// a file of `POST /v1/check`), for a pool of workers that decode and
    /// hash beside the one that holds the list. Throws an `Error` with code
    /// `invalid_hash` or `bad_request` for hashes not of that shape.
    #[wasm_bindgen(js_name = checkHashes, unchecked_return_type = "Verdict")]
    pub fn check_hashes(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MatcherFile")] hashes: JsValue,
    ) -> Result<Object, JsValue> {
        let hashes = hashes_of_js(&hashes).and_then(|f| f.to_hashes()).map_err(|e| js_error(&e))?;
        verdict(&self.inner.check_hashes(hashes))
    }

    /// The format and dimensions a file's header declares (JPEG, PNG, GIF,
    /// WebP, BMP, AVIF, HEIF), read without decoding: `{ format, width,
    /// height }`, or `null` for a header it cannot read. Throws an `Error`
    /// with code `limit_exceeded` when the file or its dimensions are over
    /// this checker's decoding limits: call it before handing a file to
    /// the browser's decoder, which has no limits of its own.
    #[wasm_bindgen(js_name = imageInfo, unchecked_return_type = "{ format: string; width: number; height: number } | null")]
    pub fn image_info(&self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        image_info(self.inner.limits(), bytes)
    }

    /// The decoding limits of this checker: `{ maxWidth, maxHeight,
    /// maxPixels, maxFileBytes, maxDecodeBytes }`, as the options set them or their
    /// defaults (one source for the worker's browser-decode path).
    #[wasm_bindgen(
        js_name = decodeLimits,
        unchecked_return_type = "{ maxWidth: number; maxHeight: number; maxPixels: number; maxFileBytes: number; maxDecodeBytes: number }"
    )]
    pub fn decode_limits(&self) -> Object {
        decode_limits(self.inner.limits())
    }

    /// Checks an image file's bytes. An undecodable file gives a verdict
    /// with `decodeError` set (its digests still checked), not an error.
    #[wasm_bindgen(js_name = checkBytes, unchecked_return_type = "Verdict")]
    pub fn check_bytes(&self, bytes: &[u8]) -> Result<Object, JsValue> {
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
        verdict(&self.inner.check_pixels(pixels, file_bytes.as_deref()))
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
            Ok(verdict(&inner.check_bytes(&bytes))?.into())
        })
    }

    /// `{ id, sequence, created, expires, keyId, entries, duplicates,
    /// sections: [{signal, count, threshold}] }` (`schema::ListInfoJson`,
    /// what the server's `GET /v1/list` gives too), each threshold the one
    /// matched under (the caller's override, or the list's).
    #[wasm_bindgen(js_name = listInfo, unchecked_return_type = "ListInfo")]
    pub fn list_info(&self) -> Result<JsValue, JsValue> {
        to_js::to_js(&crate::schema::ListInfoJson::from(&*self.inner))
            .map_err(|_| internal("the list info could not be handed over"))
    }
}

/// What `imageInfo` gives under `limits`.
fn image_info(limits: &Limits, bytes: &[u8]) -> Result<JsValue, JsValue> {
    let len = bytes.len() as u64;
    if len > limits.max_file_bytes {
        return Err(js_error(&Error::LimitExceeded {
            limit: Limit::FileBytes,
            requested: len,
            max: limits.max_file_bytes,
        }));
    }
    let Some(info) = decode::header_info(bytes) else { return Ok(JsValue::NULL) };
    match limits.check_dimensions(info.width, info.height) {
        Ok(()) | Err(Error::EmptyImage) => {}
        Err(e) => return Err(js_error(&e)),
    }
    // The browser's pixels come into the module as RGBA, 4 bytes a pixel:
    // within the decode budget, or refused before the browser decodes.
    let rgba = u64::from(info.width) * u64::from(info.height) * 4;
    if rgba > limits.max_alloc {
        return Err(js_error(&Error::LimitExceeded {
            limit: Limit::Allocation,
            requested: rgba,
            max: limits.max_alloc,
        }));
    }
    let obj = Object::new();
    set(&obj, "format", info.format);
    set(&obj, "width", info.width);
    set(&obj, "height", info.height);
    Ok(obj.into())
}

/// A check request's file from a JS object, read field by field (with
/// serde_json the module grew by 30 KB gzipped, this way by 5): each a
/// string, `pdqQuality` a whole number, `pdqDihedral` an array of
/// strings; any other field is refused, as the server refuses it.
fn hashes_of_js(value: &JsValue) -> Result<crate::schema::FileHashesJson, Error> {
    const FIELDS: [&str; 11] =
        ["pdq", "pdqQuality", "pdqDihedral", "md5", "sha1", "sha256", "phash", "dhash", "ahash", "blockhash", "vpdq"];
    let bad = |why: String| Error::BadRequest(why);
    let obj: &Object = value.dyn_ref().ok_or_else(|| bad("the hashes must be an object".into()))?;
    for key in Object::keys(obj).iter() {
        let key = key.as_string().unwrap_or_default();
        if !FIELDS.contains(&key.as_str()) {
            return Err(bad(format!("unknown field {key:?}")));
        }
    }
    let field = |name: &str| Reflect::get(obj, &name.into()).ok().filter(|v| !v.is_undefined() && !v.is_null());
    let text = |name: &str| -> Result<Option<String>, Error> {
        field(name).map(|v| v.as_string().ok_or_else(|| bad(format!("{name} must be a string")))).transpose()
    };
    let quality = match field("pdqQuality") {
        None => None,
        Some(v) => match v.as_f64() {
            Some(q) if (0.0..=f64::from(pdq::MAX_QUALITY)).contains(&q) && q.fract() == 0.0 => Some(q as u8),
            _ => return Err(bad("pdqQuality is a whole number from 0 to 100".into())),
        },
    };
    let dihedral = match field("pdqDihedral") {
        None => None,
        Some(v) => {
            let array: &Array = v.dyn_ref().ok_or_else(|| bad("pdqDihedral must be an array".into()))?;
            let all: Option<Vec<String>> = array.iter().map(|h| h.as_string()).collect();
            Some(all.ok_or_else(|| bad("pdqDihedral holds strings".into()))?)
        }
    };
    let vpdq = match field("vpdq") {
        None => None,
        Some(v) => Some(vpdq_frames_of_js(&v)?),
    };
    Ok(crate::schema::FileHashesJson {
        vpdq,
        pdq: text("pdq")?,
        pdq_quality: quality,
        pdq_dihedral: dihedral,
        md5: text("md5")?,
        sha1: text("sha1")?,
        sha256: text("sha256")?,
        phash: text("phash")?,
        dhash: text("dhash")?,
        ahash: text("ahash")?,
        blockhash: text("blockhash")?,
    })
}

/// A request's `vpdq` from a JS array of `{ frame, quality, hash,
/// timestamp }`, read field by field as [`hashes_of_js`] does; the values
/// are checked by `FileHashesJson::to_hashes`.
fn vpdq_frames_of_js(value: &JsValue) -> Result<Vec<crate::schema::VpdqFrameJson>, Error> {
    let bad = |why: String| Error::BadRequest(why);
    let array: &Array = value.dyn_ref().ok_or_else(|| bad("vpdq must be an array".into()))?;
    let len = array.length() as usize;
    if len > crate::schema::MAX_VPDQ_FRAMES_PER_FILE {
        let max = crate::schema::MAX_VPDQ_FRAMES_PER_FILE as u64;
        return Err(Error::LimitExceeded { limit: Limit::VpdqFrames, requested: len as u64, max });
    }
    let mut frames = Vec::with_capacity(len);
    for (i, item) in array.iter().enumerate() {
        let obj: &Object = item.dyn_ref().ok_or_else(|| bad(format!("vpdq frame {i} must be an object")))?;
        if Object::keys(obj).length() != 4 {
            return Err(bad(format!("vpdq frame {i} has the fields frame, quality, hash and timestamp, no others")));
        }
        let number = |name: &str| Reflect::get(obj, &name.into()).ok().and_then(|v| v.as_f64());
        let whole = |name: &str, max: u64| {
            number(name)
                .filter(|n| (0.0..=max as f64).contains(n) && n.fract() == 0.0)
                .ok_or_else(|| bad(format!("vpdq frame {i}: {name} is a whole number from 0 to {max}")))
        };
        frames.push(crate::schema::VpdqFrameJson {
            frame: whole("frame", MAX_SAFE_INTEGER)? as u64,
            quality: whole("quality", u64::from(pdq::MAX_QUALITY))? as u8,
            hash: Reflect::get(obj, &"hash".into())
                .ok()
                .and_then(|v| v.as_string())
                .ok_or_else(|| bad(format!("vpdq frame {i}: hash must be a string")))?,
            timestamp: number("timestamp").ok_or_else(|| bad(format!("vpdq frame {i}: timestamp must be a number")))?,
        });
    }
    Ok(frames)
}

/// What `decodeLimits` gives.
fn decode_limits(l: &Limits) -> Object {
    let obj = Object::new();
    set(&obj, "maxWidth", l.max_width);
    set(&obj, "maxHeight", l.max_height);
    set(&obj, "maxPixels", l.max_pixels as f64);
    set(&obj, "maxFileBytes", l.max_file_bytes as f64);
    set(&obj, "maxDecodeBytes", l.max_alloc as f64);
    obj
}

/// The hashes a browser sends a remote matcher, for the signal types of
/// its list: `{ hashes, decodeError }` (see [`Hasher::hash_bytes`]).
#[wasm_bindgen]
pub struct Hasher {
    limits: Limits,
}

/// Names [`Hasher::new`] takes in its options.
const HASHER_OPTIONS: [&str; 5] = ["maxWidth", "maxHeight", "maxPixels", "maxFileBytes", "maxDecodeBytes"];

/// Signal types by name; an unknown name is refused.
fn signals(names: &[String]) -> Result<Vec<SignalType>, JsValue> {
    names
        .iter()
        .map(|n| SignalType::from_name(n).ok_or_else(|| bad_option("signals", format!("unknown signal type {n:?}"))))
        .collect()
}

/// `{ hashes, decodeError }`: the request's file entry and why the bytes
/// did not decode.
fn hashed(hashes: &check::ComputedHashes, signals: &[SignalType], error: Option<&Error>) -> Result<Object, JsValue> {
    let obj = Object::new();
    let request = crate::schema::FileHashesJson::of(hashes, signals);
    set(&obj, "hashes", to_js::to_js(&request).map_err(|_| internal("the hashes could not be handed over"))?);
    let error = error.map_or(JsValue::NULL, |e| {
        let o = Object::new();
        set(&o, "code", e.code());
        set(&o, "message", e.to_string());
        JsValue::from(o)
    });
    set(&obj, "decodeError", error);
    Ok(obj)
}

#[wasm_bindgen]
impl Hasher {
    /// A hasher with the decoding limits `{ maxWidth, maxHeight, maxPixels,
    /// maxFileBytes, maxDecodeBytes }` (all optional; any other name, a wrong type or a
    /// value out of range: `bad_option`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "HasherOptions | undefined")] options: JsValue,
    ) -> Result<Hasher, JsValue> {
        let o = JsOptions::new(&options, "options", "", &HASHER_OPTIONS)?;
        Ok(Hasher { limits: o.decode_limits()? })
    }

    /// Hashes a file's bytes as a check against a list of `signals` (the
    /// signal type names of its sections) does: `{ hashes, decodeError }`,
    /// `hashes` being one entry of a `POST /v1/check` request's `files`
    /// (`docs/server.md`). An undecodable file gives its digests and the
    /// reason in `decodeError`.
    #[wasm_bindgen(js_name = hashBytes, unchecked_return_type = "HashedFile")]
    pub fn hash_bytes(&self, bytes: &[u8], signals: Vec<String>) -> Result<Object, JsValue> {
        let signals = self::signals(&signals)?;
        let (hashes, error) = check::hash_for(bytes, &self.limits, &signals);
        hashed(&hashes, &signals, error.as_ref())
    }

    /// [`Hasher::hash_bytes`] of RGBA pixels from the browser's decoder,
    /// with the digests of the file's bytes when they are given.
    #[wasm_bindgen(js_name = hashRgba, unchecked_return_type = "HashedFile")]
    pub fn hash_rgba(
        &self,
        rgba: &[u8],
        width: u32,
        height: u32,
        file_bytes: Option<Vec<u8>>,
        signals: Vec<String>,
    ) -> Result<Object, JsValue> {
        let signals = self::signals(&signals)?;
        let pixels = Pixels::new(rgba, width, height, PixelLayout::Rgba).map_err(|e| js_error(&e))?;
        let hashes = check::hash_pixels_for(pixels, file_bytes.as_deref(), &signals);
        hashed(&hashes, &signals, None)
    }

    /// As [`Checker::image_info`], under this hasher's limits.
    #[wasm_bindgen(js_name = imageInfo, unchecked_return_type = "{ format: string; width: number; height: number } | null")]
    pub fn image_info(&self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        image_info(&self.limits, bytes)
    }

    /// As [`Checker::decode_limits`].
    #[wasm_bindgen(
        js_name = decodeLimits,
        unchecked_return_type = "{ maxWidth: number; maxHeight: number; maxPixels: number; maxFileBytes: number; maxDecodeBytes: number }"
    )]
    pub fn decode_limits(&self) -> Object {
        decode_limits(&self.limits)
    }
}

/// The vPDQ hashing of one video, whose frames the browser decodes
/// (WebCodecs, or a `<video>` element): which frames to hash, and their
/// PDQ as Meta's vPDQ computes it ([`crate::hash::vpdq::VideoHasher`]).
#[wasm_bindgen(js_name = VideoHasher)]
pub struct JsVideoHasher {
    inner: hash::vpdq::VideoHasher,
}

#[wasm_bindgen(js_class = VideoHasher)]
impl JsVideoHasher {
    /// A hasher for `fps` frames a second hashing a frame every
    /// `secondsPerHash` (0: every frame); `bad_option` otherwise.
    #[wasm_bindgen(constructor)]
    pub fn new(fps: f64, seconds_per_hash: f64) -> Result<JsVideoHasher, JsValue> {
        let inner = hash::vpdq::VideoHasher::new(fps, seconds_per_hash).map_err(|e| js_error(&e))?;
        Ok(JsVideoHasher { inner })
    }

    /// The step between hashed frames: frame `n` is hashed when `n % step == 0`.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> f64 {
        self.inner.step() as f64
    }

    /// Hashes frame `frame` (from 0, in presentation order) from its RGBA
    /// pixels: `{ frame, quality, hash, timestamp }`, or `null` when it is
    /// not a frame to hash.
    #[wasm_bindgen(
        unchecked_return_type = "{ frame: number; quality: number; hash: string; timestamp: number } | null"
    )]
    pub fn push(&mut self, frame: f64, rgba: &[u8], width: u32, height: u32) -> Result<JsValue, JsValue> {
        if !(frame >= 0.0 && frame.fract() == 0.0 && frame <= MAX_SAFE_INTEGER as f64) {
            return Err(js_error(&Error::BadRequest("the frame number is not a whole number of 0 or more".to_owned())));
        }
        let pixels = Pixels::new(rgba, width, height, PixelLayout::Rgba).map_err(|e| js_error(&e))?;
        match self.inner.push(frame as u64, pixels) {
            None => Ok(JsValue::NULL),
            Some(f) => to_js::to_js(&f).map_err(|_| internal("the frame could not be handed over")),
        }
    }
}

/// MD5, SHA-1 and SHA-256 of a file fed in pieces (a video, read in
/// chunks rather than whole).
#[wasm_bindgen(js_name = Digester)]
pub struct JsDigester {
    inner: Option<hash::digest::Digester>,
}

#[wasm_bindgen(js_class = Digester)]
impl JsDigester {
    /// A digester of nothing yet.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsDigester {
        JsDigester { inner: Some(hash::digest::Digester::default()) }
    }

    /// Feeds the next bytes.
    pub fn update(&mut self, bytes: &[u8]) -> Result<(), JsValue> {
        self.inner.as_mut().map(|d| d.update(bytes)).ok_or_else(|| internal("the digester is finished"))
    }

    /// `{ md5, sha1, sha256 }` of everything fed, hex; the digester is spent.
    #[wasm_bindgen(unchecked_return_type = "{ md5: string; sha1: string; sha256: string }")]
    pub fn finish(&mut self) -> Result<Object, JsValue> {
        let d = self.inner.take().ok_or_else(|| internal("the digester is finished"))?.finish();
        let obj = Object::new();
        set_digests(&obj, &d);
        Ok(obj)
    }
}

impl Default for JsDigester {
    fn default() -> Self {
        Self::new()
    }
}

/// A verdict as a plain object, in the verdict schema (`docs/verdict.md`):
/// serialised by the one `Serialize` every face uses, into JS values
/// ([`to_js`]). No pixels or bytes in it.
///
/// # Errors
/// An `Error` with code `internal` if that failed, which a verdict of
/// strings, numbers and booleans does not: thrown, so that a caller never
/// mistakes a missing verdict for a clear one.
fn verdict(v: &Verdict) -> Result<Object, JsValue> {
    let error = || internal("the verdict could not be handed over");
    to_js::to_js(v).ok().and_then(|o| o.dyn_into::<Object>().ok()).ok_or_else(error)
}

/// A JS `Error` with code `internal`: what the bindings could not do for a
/// reason that is a bug, thrown rather than returned as a value a caller
/// could mistake for a clear file.
fn internal(message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    let _ = Reflect::set(&err, &"code".into(), &"internal".into());
    err.into()
}
