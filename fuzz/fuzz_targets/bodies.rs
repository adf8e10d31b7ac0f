//! What each fuzz target does with its input, in one place: the targets
//! (`fuzz/fuzz_targets/*.rs`) call these, and `tests/fuzz_regression.rs`
//! replays the seeds and every crash kept under `tests/regression/`
//! through the same functions, so that a fixed crash stays fixed in the
//! ordinary test run. Each must return normally on any input: an error is
//! fine, a panic or a failed assertion is the bug.

#![allow(dead_code)] // each target uses one
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::OnceLock;

use prescan::check::{CheckOptions, Checker, MAX_MATCHES, Verdict};
use prescan::hash::pdq::{Dihedral, PdqHash};
use prescan::index::{HashStore, PdqIndex, pdq_linear_scan};
use prescan::list::format::{ListBuilder, ListLimits, LoadOptions, SignedList, inspect};
use prescan::list::import::{ImportOptions, InputFormat, import};
use prescan::list::keys::SecretKey;
use prescan::list::{Entry, SignalType, Thresholds};
use prescan::schema::{FileHashesJson, parse_check_request};

/// Any bytes through decode and every hash: errors allowed, panics not.
/// Small limits keep each run fast; the limit checks are part of it.
pub fn decode_and_hash(data: &[u8]) {
    let limits = prescan::decode::Limits {
        max_width: 4096,
        max_height: 4096,
        max_pixels: 4 << 20,
        max_alloc: 64 << 20,
        ..Default::default()
    };
    let options = prescan::hash::HashOptions { limits, dihedral: true };
    let _ = prescan::hash::hash_file(data, &options);
}

/// Any bytes as a signed list: loading (signature first) and the
/// unverified inspection that `prescan list inspect` does.
pub fn list_load(data: &[u8]) {
    let key = SecretKey::from_seed([7; 32]).public();
    let limits = ListLimits { max_bytes: 1 << 20, max_entries: 1 << 16 };
    let _ = inspect(data, &limits);
    let options = LoadOptions { trusted_keys: vec![key], now: 0, min_sequence: 0, limits };
    let _ = SignedList::load(data.to_vec(), &options);
}

/// Any text through every import format, strict and lenient.
pub fn list_import(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in
        [None, Some(InputFormat::Lines), Some(InputFormat::Csv), Some(InputFormat::Json), Some(InputFormat::Bare)]
    {
        for strict in [false, true] {
            let options = ImportOptions { format, signal_type: Some(SignalType::Pdq), strict };
            let _ = import(text, &options);
        }
    }
}

/// Any bytes as PDQ hashes: the index with tables (links, packed entry
/// numbers, sampled directory), and for some inputs the one in slots,
/// must answer exactly as a linear scan does,
/// give every hash back, and never panic. The first byte picks the
/// distance, the next 32 the query (its eight variants are bit flips of
/// it), the rest are the list's hashes.
pub fn pdq_index(data: &[u8]) {
    let Some((&d, rest)) = data.split_first() else { return };
    let Some((query, list)) = rest.split_first_chunk::<32>() else { return };
    let list = &list[..list.len() / 32 * 32];
    let hashes: Vec<PdqHash> =
        list.chunks_exact(32).map(|c| PdqHash::from_bytes(c.try_into().unwrap_or([0; 32]))).collect();
    let Ok(store) = HashStore::owned(list.to_vec()) else { return };
    let Ok(index) = PdqIndex::with_tables(store.clone()) else { return };
    // The layout `prescan serve` builds for long lists, buckets in slots
    // and candidates checked from the hashes, for a quarter of the inputs
    // (the first byte's top two bits set): its 64 MiB of slots, zeroed by
    // the address sanitizer's allocator, took the target from 114 to 12
    // runs a second when built for every input.
    let slotted = if d >= 0xC0 { PdqIndex::with_tables_in_slots(store).ok() } else { None };
    let q = PdqHash::from_bytes(*query).words();
    let variants: [PdqHash; 8] = std::array::from_fn(|v| {
        let mut w = q;
        w[v % 4] ^= (v as u64).wrapping_mul(0x0101_0101_0101_0101);
        PdqHash::from_words(w)
    });
    let distance = u32::from(d) % 64;
    let want = pdq_linear_scan(&hashes, &variants, distance);
    assert_eq!(index.query_dihedral(&variants, distance), want);
    if let Some(slotted) = &slotted {
        assert_eq!(slotted.query_dihedral(&variants, distance), want);
    }
    assert_eq!(index.nearest_dihedral(&variants).map(|m| (m.distance, m.entry)), {
        let all = pdq_linear_scan(&hashes, &variants, 256);
        all.first().map(|m| (m.distance, m.entry))
    });
    for (i, h) in hashes.iter().enumerate() {
        assert_eq!(index.get(i), Some(*h));
    }
}

/// The bytes of entry `n` of a type in [`check_request`]'s list: a fixed
/// pattern the seeds repeat (`fuzz/seeds/check_request/`), so that the
/// fuzzer starts from requests that match.
fn pattern(n: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(37).wrapping_add(n.wrapping_mul(101)) ^ 0x5a).collect()
}

/// A checker of a list of three entries of every signal type.
fn checker() -> &'static Checker {
    static CHECKER: OnceLock<Checker> = OnceLock::new();
    CHECKER.get_or_init(|| {
        let mut entries = Vec::new();
        for signal in SignalType::ALL {
            let len = signal.hash_len() * if signal.is_video() { 3 } else { 1 };
            for n in 0..3 {
                entries.push(Entry { signal, hash: pattern(n, len), label: Some(format!("{signal}-{n}")) });
            }
        }
        let key = SecretKey::from_seed([9; 32]);
        let builder = ListBuilder {
            id: "fuzz".into(),
            sequence: 1,
            created: 0,
            expires: None,
            thresholds: Thresholds::default(),
        };
        let bytes = builder.build(&entries, &key).expect("the fuzz list builds");
        let options =
            LoadOptions { trusted_keys: vec![key.public()], now: 0, min_sequence: 0, limits: ListLimits::default() };
        let list = SignedList::load(bytes, &options).expect("the fuzz list loads");
        Checker::new(list, CheckOptions { clock: None, ..CheckOptions::default() }).expect("the fuzz list indexes")
    })
}

/// What a verdict matched, comparable across checks.
fn matches(v: &Verdict) -> Vec<(SignalType, u32, u32, Option<Dihedral>)> {
    v.matches.iter().map(|m| (m.signal, m.entry, m.distance, m.variant)).collect()
}

/// Any bytes as the body of `POST /v1/check`: the request parser of
/// `prescan serve` (hyper frames the HTTP; what prescan itself parses of a
/// request is this body), the check of each file it accepts, and the
/// verdicts' JSON. Beyond "no panic": a verdict's `matched` says whether it
/// has matches, no match is past its threshold, a verdict carries at most
/// `MAX_MATCHES`, its JSON says what the verdict says, and the hashes sent
/// again as a browser sends them (`FileHashesJson::of`) get the same
/// matches.
pub fn check_request(data: &[u8]) {
    let Ok(files) = parse_check_request(data) else { return };
    let checker = checker();
    for hashes in files {
        let verdict = checker.check_hashes(hashes.clone());
        assert_eq!(verdict.matched, !verdict.matches.is_empty());
        assert!(verdict.matches.len() <= MAX_MATCHES);
        assert!(verdict.matches.iter().all(|m| m.distance <= m.threshold));

        let json = serde_json::to_value(&verdict).expect("a verdict serialises");
        assert_eq!(json["matched"], serde_json::Value::Bool(verdict.matched));
        assert_eq!(json["matches"].as_array().map(Vec::len), Some(verdict.matches.len()));

        let sent = FileHashesJson::of(&hashes, &SignalType::ALL);
        let body = serde_json::json!({ "files": [sent] }).to_string();
        let again = parse_check_request(body.as_bytes()).expect("what FileHashesJson::of writes parses");
        let [again] = <[_; 1]>::try_from(again).expect("one file");
        assert_eq!(matches(&checker.check_hashes(again)), matches(&verdict));
    }
}
