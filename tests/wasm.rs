//! The library compiled to WebAssembly gives the native build's results.
//!
//! Runs under Node, and in headless Chromium with `WASM_BINDGEN_USE_BROWSER=1`
//! and `CHROMEDRIVER=/usr/bin/chromedriver`, with `wasm-bindgen-test-runner`:
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test --target wasm32-unknown-unknown --test wasm`.
//! The expected PDQ values are the ones `tests/pdq_golden.rs` holds the
//! native build to and `tests/pdq_oracle.rs` checks against the reference.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg(target_arch = "wasm32")]

mod common;

use prescan::hash::digest::FileDigests;
use prescan::hash::pdq;
use prescan::hash::{HashOptions, hash_file};
use prescan::{Error, Pixels};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn pdq_in_wasm_equals_native_and_reference() {
    for (f, (hash, quality, rotate90)) in common::golden_set().iter().zip(common::GOLDEN_PDQ) {
        let px = Pixels::new(&f.data, f.width, f.height, f.layout).unwrap();
        let r = pdq::hash(px);
        assert_eq!((r.hash.to_hex().as_str(), r.quality), (hash, quality), "{}", f.name);
        let d = pdq::hash_dihedral(px);
        assert_eq!(d.get(pdq::Dihedral::Rotate90).to_hex(), rotate90, "{}", f.name);
    }
}

#[wasm_bindgen_test]
fn digests_in_wasm() {
    let d = FileDigests::of(b"abc");
    assert_eq!(d.md5_hex(), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(d.sha1_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(d.sha256_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[wasm_bindgen_test]
fn garbage_is_an_error_not_a_trap() {
    let e = hash_file(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", &HashOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Decode(_) | Error::LimitExceeded { .. }), "{e:?}");
    let e = hash_file(b"not an image", &HashOptions::default()).unwrap_err();
    assert_eq!(e, Error::UnsupportedFormat);
}

fn get(obj: &wasm_bindgen::JsValue, key: &str) -> wasm_bindgen::JsValue {
    js_sys::Reflect::get(obj, &key.into()).unwrap()
}

#[wasm_bindgen_test]
fn js_bindings_hash_a_png_and_throw_coded_errors() {
    use image::ImageEncoder;
    let f = &common::golden_set()[0];
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&f.data, f.width, f.height, image::ExtendedColorType::Rgb8)
        .unwrap();
    let obj: wasm_bindgen::JsValue = prescan::wasm::hash_image(&png, true).unwrap().into();
    assert_eq!(get(&obj, "pdq").as_string().unwrap(), common::GOLDEN_PDQ[0].0);
    assert_eq!(get(&obj, "pdqQuality").as_f64().unwrap(), f64::from(common::GOLDEN_PDQ[0].1));
    assert_eq!(get(&obj, "format").as_string().unwrap(), "png");
    assert_eq!(js_sys::Array::from(&get(&obj, "pdqDihedral")).length(), 8);
    assert_eq!(get(&obj, "sha256").as_string().unwrap(), FileDigests::of(&png).sha256_hex());

    let err = prescan::wasm::hash_image(b"junk", false).unwrap_err();
    assert!(wasm_bindgen::JsCast::is_instance_of::<js_sys::Error>(&err));
    assert_eq!(get(&err, "code").as_string().unwrap(), "unsupported_format");
}

#[wasm_bindgen_test]
fn js_checker_verifies_lists_and_matches_images() {
    use image::ImageEncoder;
    use prescan::list::format::ListBuilder;
    use prescan::list::keys::SecretKey;
    use prescan::list::{Entry, SignalType};

    let f = &common::golden_set()[0];
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&f.data, f.width, f.height, image::ExtendedColorType::Rgb8)
        .unwrap();
    let pdq = pdq::PdqHash::from_hex(common::GOLDEN_PDQ[0].0).unwrap();
    let entries = vec![Entry { signal: SignalType::Pdq, hash: pdq.to_bytes().to_vec(), label: Some("case 7".into()) }];
    let key = SecretKey::from_seed([8; 32]);
    let list =
        ListBuilder { id: "wasm".into(), sequence: 3, created: 0, expires: None, thresholds: Default::default() }
            .build(&entries, &key)
            .unwrap();
    let keys = vec![key.public().to_hex()];

    let checker = prescan::wasm::Checker::new(list.clone(), keys.clone(), wasm_bindgen::JsValue::UNDEFINED).unwrap();
    let v: wasm_bindgen::JsValue = checker.check_bytes(&png).unwrap().into();
    assert_eq!(get(&v, "matched").as_bool(), Some(true));
    let m = js_sys::Array::from(&get(&v, "matches")).get(0);
    assert_eq!(get(&m, "label").as_string().unwrap(), "case 7");
    assert_eq!(get(&m, "variant").as_string().unwrap(), "original");
    assert!(get(&v, "pdqNearest").is_null(), "pdqNearest is off by default");
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"pdqNearest".into(), &true.into()).unwrap();
    let reporting = prescan::wasm::Checker::new(list.clone(), keys.clone(), options.into()).unwrap();
    let v: wasm_bindgen::JsValue = reporting.check_bytes(&png).unwrap().into();
    let nearest = get(&v, "pdqNearest");
    assert_eq!(get(&nearest, "distance").as_f64(), Some(0.0));
    assert_eq!(get(&nearest, "threshold").as_f64(), Some(31.0));
    assert_eq!(get(&nearest, "variant").as_string().unwrap(), "original");
    let garbage: wasm_bindgen::JsValue = checker.check_bytes(b"junk").unwrap().into();
    assert_eq!(get(&garbage, "matched").as_bool(), Some(false));
    assert_eq!(get(&get(&garbage, "decodeError"), "code").as_string().unwrap(), "unsupported_format");

    let mut tampered = list.clone();
    tampered[60] ^= 1;
    let err = prescan::wasm::Checker::new(tampered, keys.clone(), wasm_bindgen::JsValue::UNDEFINED).err().unwrap();
    assert_eq!(get(&err, "code").as_string().unwrap(), "list_bad_signature");
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"minSequence".into(), &4.into()).unwrap();
    let err = prescan::wasm::Checker::new(list, keys, options.into()).err().unwrap();
    assert_eq!(get(&err, "code").as_string().unwrap(), "list_rollback");
}

fn golden_key() -> prescan::list::keys::SecretKey {
    prescan::list::keys::SecretKey::from_seed([9; 32])
}

/// A list holding golden image 0's PDQ (and the MD5 of `b"other"`), signed
/// by [`golden_key`], sequence 1.
fn golden_list() -> Vec<u8> {
    use prescan::list::format::ListBuilder;
    use prescan::list::{Entry, SignalType};
    let pdq = pdq::PdqHash::from_hex(common::GOLDEN_PDQ[0].0).unwrap();
    // An MD5 section too, of other bytes, so that checks compute digests.
    let entries = vec![
        Entry { signal: SignalType::Pdq, hash: pdq.to_bytes().to_vec(), label: Some("golden 0".into()) },
        Entry { signal: SignalType::Md5, hash: FileDigests::of(b"other").md5.to_vec(), label: None },
    ];
    ListBuilder { id: "wasm".into(), sequence: 1, created: 0, expires: None, thresholds: Default::default() }
        .build(&entries, &golden_key())
        .unwrap()
}

/// A checker of [`golden_list`], and golden image 0 as PNG bytes and as
/// RGBA.
fn golden_checker() -> (prescan::wasm::Checker, Vec<u8>, Vec<u8>, u32, u32) {
    use image::ImageEncoder;
    let f = &common::golden_set()[0];
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&f.data, f.width, f.height, image::ExtendedColorType::Rgb8)
        .unwrap();
    let rgba: Vec<u8> = f.data.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    let checker = prescan::wasm::Checker::new(
        golden_list(),
        vec![golden_key().public().to_hex()],
        wasm_bindgen::JsValue::UNDEFINED,
    )
    .unwrap();
    (checker, png, rgba, f.width, f.height)
}

#[wasm_bindgen_test]
async fn js_checker_checks_a_blob() {
    let (checker, png, _, _, _) = golden_checker();
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(png.as_slice()));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).unwrap();
    let v = wasm_bindgen_futures::JsFuture::from(checker.check_file(&blob)).await.unwrap();
    assert_eq!(get(&v, "matched").as_bool(), Some(true));
    assert_eq!(get(&v, "pdq").as_string().unwrap(), common::GOLDEN_PDQ[0].0);
    assert_eq!(get(&v, "sha256").as_string().unwrap(), FileDigests::of(&png).sha256_hex());

    let junk = web_sys::Blob::new_with_u8_array_sequence(&js_sys::Array::of1(&js_sys::Uint8Array::from(&b"junk"[..])))
        .unwrap();
    let v = wasm_bindgen_futures::JsFuture::from(checker.check_file(&junk)).await.unwrap();
    assert_eq!(get(&v, "matched").as_bool(), Some(false));
    assert_eq!(get(&get(&v, "decodeError"), "code").as_string().unwrap(), "unsupported_format");
}

#[wasm_bindgen_test]
fn js_checker_checks_image_data() {
    // Node has no ImageData; the browser run (WASM_BINDGEN_USE_BROWSER=1)
    // does this test.
    let has_image_data = js_sys::Reflect::has(&js_sys::global(), &"ImageData".into()).unwrap_or(false);
    if !has_image_data {
        wasm_bindgen_test::console_log!(
            "js_checker_checks_image_data skipped: no ImageData here (Node); run in a browser"
        );
        return;
    }
    let (checker, png, rgba, width, height) = golden_checker();
    let image =
        web_sys::ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(&rgba), width, height).unwrap();
    let v: wasm_bindgen::JsValue = checker.check_image_data(&image, Some(png.clone())).unwrap().into();
    assert_eq!(get(&v, "matched").as_bool(), Some(true));
    assert_eq!(get(&v, "pdq").as_string().unwrap(), common::GOLDEN_PDQ[0].0);
    assert_eq!(get(&v, "md5").as_string().unwrap(), FileDigests::of(&png).md5_hex());
    // Without file bytes: no digests.
    let v: wasm_bindgen::JsValue = checker.check_image_data(&image, None).unwrap().into();
    assert_eq!(get(&v, "matched").as_bool(), Some(true));
    assert!(get(&v, "md5").is_undefined());
}

#[wasm_bindgen_test]
fn perceptual_in_wasm_equals_image_hasher() {
    // Wasm's f32 `sin` (in the Lanczos weights) is Rust's libm, not the C
    // library's: the values must still be the ones image_hasher gives
    // natively (`tests/perceptual_oracle.rs`).
    for (f, golden) in common::golden_set().iter().zip(common::GOLDEN_PERCEPTUAL) {
        let pixels = Pixels::new(&f.data, f.width, f.height, f.layout).unwrap();
        let got: Vec<String> =
            prescan::hash::perceptual::hash_all(pixels).unwrap().iter().map(|h| h.to_hex()).collect();
        assert_eq!(got, golden, "{}", f.name);
    }
}

/// The PDQ index with tables (links, packed entry numbers, sampled
/// directory) in 32-bit Wasm: the same answers as a linear scan, planted
/// neighbours found, every hash put back together.
#[wasm_bindgen_test]
fn pdq_index_tables_in_wasm_equal_a_scan() {
    use prescan::hash::pdq::PdqHash;
    use prescan::index::{PdqIndex, SCAN_BELOW, pdq_linear_scan};

    let mut rng = common::Rng(77);
    let mut hashes: Vec<PdqHash> = (0..SCAN_BELOW + 500).map(|_| rng.hash()).collect();
    let queries: Vec<[PdqHash; 8]> = (0..8).map(|_| std::array::from_fn(|_| rng.hash())).collect();
    for (i, q) in queries.iter().enumerate() {
        let at = rng.below(hashes.len());
        hashes[at] = common::flip(&mut rng, &q[i % 8], 20 + i as u32);
    }
    let index = PdqIndex::new(hashes.clone()).unwrap();
    assert!(index.has_tables() && !index.holds_hashes());
    for q in &queries {
        let found = index.query_dihedral(q, 31);
        assert!(!found.is_empty());
        assert_eq!(found, pdq_linear_scan(&hashes, q, 31));
    }
    for i in (0..hashes.len()).step_by(997) {
        assert_eq!(index.get(i), Some(hashes[i]));
    }
}

/// Issue 9, item 4: every option of the wrong type, an unknown option name
/// or a value out of range is refused with `bad_option` naming it. Before,
/// `minSequence: "42"` or `42n` loaded a sequence-1 list (rollback
/// protection off) and `thresholds: { pdq: "0" }` was ignored.
#[wasm_bindgen_test]
fn js_checker_refuses_options_of_the_wrong_type() {
    use wasm_bindgen::JsValue;
    let (_, png, _, _, _) = golden_checker();
    let list = golden_list();
    let keys = vec![golden_key().public().to_hex()];
    let with = |key: &str, value: JsValue| {
        let options = js_sys::Object::new();
        js_sys::Reflect::set(&options, &key.into(), &value).unwrap();
        JsValue::from(options)
    };
    let thresholds = |key: &str, value: JsValue| with("thresholds", with(key, value));
    let refused: Vec<(JsValue, &str)> = vec![
        (with("minSequence", "42".into()), "minSequence"),
        (with("minSequence", js_sys::BigInt::from(42u32).into()), "minSequence"),
        (with("minSequence", (-1).into()), "minSequence"),
        (with("minSequence", 1.5.into()), "minSequence"),
        (with("maxListBytes", "100".into()), "maxListBytes"),
        (with("now", "2026-01-01".into()), "now"),
        (with("pdqNearest", 1.into()), "pdqNearest"),
        (with("pdqQualityFloor", 101.into()), "pdqQualityFloor"),
        (with("maxFileBytes", f64::NAN.into()), "maxFileBytes"),
        (with("maxDecodeBytes", "1".into()), "maxDecodeBytes"),
        (with("minSequnce", 2.into()), "minSequnce"),
        (with("thresholds", 31.into()), "thresholds"),
        (thresholds("pdq", "0".into()), "thresholds.pdq"),
        (thresholds("pdq", 64.into()), "thresholds.pdq"),
        (thresholds("phash", 17.into()), "thresholds.phash"),
        (thresholds("md5", 1.into()), "thresholds.md5"),
        (thresholds("tlsh", 3.into()), "thresholds.tlsh"),
        (thresholds("vpdq", 64.into()), "thresholds.vpdq"),
        ("options".into(), "options"),
    ];
    for (options, name) in refused {
        let err = prescan::wasm::Checker::new(list.clone(), keys.clone(), options).err().expect(name);
        assert_eq!(get(&err, "code").as_string().unwrap(), "bad_option", "{name}");
        let message = get(&err, "message").as_string().unwrap();
        assert!(message.contains(name), "{name}: {message}");
    }
    // The right types still work: a threshold of 0 makes the golden image's
    // own PDQ (distance 0) the only match, and minSequence 2 refuses the
    // sequence-1 list.
    let exact = prescan::wasm::Checker::new(list.clone(), keys.clone(), thresholds("pdq", 0.into())).unwrap();
    let v: JsValue = exact.check_bytes(&png).unwrap().into();
    assert_eq!(get(&v, "matched").as_bool(), Some(true));
    let err = prescan::wasm::Checker::new(list, keys, with("minSequence", 2.into())).err().unwrap();
    assert_eq!(get(&err, "code").as_string().unwrap(), "list_rollback");
}

/// Issue 9, items 2 and 12: the bindings the browser-decode path needs.
/// `checkDigests` matches a listed digest without decoding; `imageInfo`
/// reads dimensions from the header and refuses, before any decoder runs,
/// what is over the limits; `decodeLimits` says what they are.
#[wasm_bindgen_test]
fn js_checker_checks_digests_and_headers_without_decoding() {
    use wasm_bindgen::JsValue;
    let (checker, png, _, w, h) = golden_checker();
    let v: JsValue = checker.check_digests(b"other").unwrap().into();
    assert_eq!(get(&v, "matched").as_bool(), Some(true), "the listed MD5 of a non-image");
    assert!(get(&v, "decodeError").is_null());
    assert!(get(&v, "pdq").is_null(), "nothing was decoded");
    let info = checker.image_info(&png).unwrap();
    assert_eq!(get(&info, "format").as_string().unwrap(), "png");
    assert_eq!((get(&info, "width").as_f64(), get(&info, "height").as_f64()), (Some(f64::from(w)), Some(f64::from(h))));
    assert!(checker.image_info(b"not an image").unwrap().is_null());
    let huge = common::png_header(40_000, 10);
    let err = checker.image_info(&huge).unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "limit_exceeded");
    let limits: JsValue = checker.decode_limits().into();
    assert_eq!(get(&limits, "maxWidth").as_f64(), Some(32_768.0));
    assert_eq!(get(&limits, "maxFileBytes").as_f64(), Some(268_435_456.0));
}

/// Issue 11, item 4: `maxDecodeBytes` caps the memory one decode may hold
/// (default 256 MiB in the browser); an image whose decode would need more
/// is refused from its header with `limit_exceeded`, by `checkBytes` and,
/// for the browser's decoder, by `imageInfo`, and the Hasher takes it too.
#[wasm_bindgen_test]
fn js_checker_caps_the_memory_of_a_decode() {
    use wasm_bindgen::JsValue;
    let (checker, png, _, w, h) = golden_checker();
    let limits: JsValue = checker.decode_limits().into();
    assert_eq!(get(&limits, "maxDecodeBytes").as_f64(), Some(268_435_456.0));
    let v: JsValue = checker.check_bytes(&png).unwrap().into();
    assert!(get(&v, "decodeError").is_null(), "the default admits it");

    let small = u64::from(w) * u64::from(h) * 3 - 1; // less than its RGB pixels
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"maxDecodeBytes".into(), &(small as f64).into()).unwrap();
    let keys = vec![golden_key().public().to_hex()];
    let capped = prescan::wasm::Checker::new(golden_list(), keys, options.clone().into()).unwrap();
    let limits: JsValue = capped.decode_limits().into();
    assert_eq!(get(&limits, "maxDecodeBytes").as_f64(), Some(small as f64));
    let v: JsValue = capped.check_bytes(&png).unwrap().into();
    let error = get(&v, "decodeError");
    assert_eq!(get(&error, "code").as_string().unwrap(), "limit_exceeded");
    assert!(get(&v, "pdq").is_null(), "not decoded");
    assert!(get(&v, "md5").as_string().is_some(), "its digests still checked");
    let err = capped.image_info(&png).unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "limit_exceeded");

    let hasher = prescan::wasm::Hasher::new(options.into()).unwrap();
    let limits: JsValue = hasher.decode_limits().into();
    assert_eq!(get(&limits, "maxDecodeBytes").as_f64(), Some(small as f64));
}

/// Issue 11, item 5: the pool's matcher. `checkHashes` of the hashes a
/// `Hasher` computed gives the verdict `checkBytes` gives (matches, PDQ,
/// digests), and refuses hashes that are not a check request's file.
#[wasm_bindgen_test]
fn js_checker_checks_the_hashes_a_hasher_computed() {
    use wasm_bindgen::JsValue;
    let (checker, png, _, _, _) = golden_checker();
    let hasher = prescan::wasm::Hasher::new(JsValue::UNDEFINED).unwrap();
    let signals: Vec<String> = ["pdq", "md5", "sha1", "sha256"].iter().map(|s| s.to_string()).collect();
    let hashed: JsValue = hasher.hash_bytes(&png, signals).unwrap().into();
    let pooled: JsValue = checker.check_hashes(get(&hashed, "hashes")).unwrap().into();
    let direct: JsValue = checker.check_bytes(&png).unwrap().into();
    assert_eq!(get(&pooled, "matched").as_bool(), Some(true));
    for field in ["matched", "pdq", "pdqQuality", "md5", "sha256"] {
        assert_eq!(
            js_sys::JSON::stringify(&get(&pooled, field)).unwrap().as_string(),
            js_sys::JSON::stringify(&get(&direct, field)).unwrap().as_string(),
            "{field}"
        );
    }
    let matches = |v: &JsValue| js_sys::JSON::stringify(&get(v, "matches")).unwrap().as_string().unwrap();
    assert_eq!(matches(&pooled), matches(&direct));

    let bad = js_sys::Object::new();
    js_sys::Reflect::set(&bad, &"pdq".into(), &"zz".into()).unwrap();
    let err = checker.check_hashes(bad.clone().into()).unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "invalid_hash");
    js_sys::Reflect::set(&bad, &"pixels".into(), &1.into()).unwrap();
    let err = checker.check_hashes(bad.into()).unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "bad_request");
}

/// Duplicates are found in Wasm as natively: the hashes that share a
/// prefix are sorted by the module's own heapsort (`src/sort.rs`), here
/// with many repeats, prefixes shared by different hashes, and two types.
#[wasm_bindgen_test]
fn duplicates_in_wasm_are_every_repeat_in_order() {
    use prescan::list::{Entry, SignalType, duplicate_entries};
    let mut rng = common::Rng(9);
    let entries: Vec<Entry> = (0..3000)
        .map(|_| {
            // 40 hashes in all: 8 prefixes, 5 tails each.
            let mut hash = vec![rng.below(8) as u8; 32];
            hash[31] = rng.below(5) as u8;
            let signal = if rng.below(4) == 0 { SignalType::Sha256 } else { SignalType::Pdq };
            Entry { signal, hash, label: None }
        })
        .collect();
    let mut expected = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(first) = entries[..i].iter().position(|f| f.signal == e.signal && f.hash == e.hash) {
            expected.push((first, i));
        }
    }
    assert!(expected.len() > 2900, "{}", expected.len());
    assert_eq!(duplicate_entries(&entries), expected);
}
