//! Any bytes as the body of `POST /v1/check`: the request parser of
//! `prescan serve` (hyper frames the HTTP; what prescan itself parses of a
//! request is this body), the check of each file it accepts against a list
//! of every signal type, and the verdicts' JSON, the boundary every face
//! serialises through.
//!
//! Beyond "no panic": a verdict's `matched` says whether it has matches,
//! no match is past its threshold, a verdict carries at most `MAX_MATCHES`,
//! its JSON says what the verdict says, and the hashes sent back as a
//! browser would send them (`FileHashesJson::of`) parse to the same
//! verdict's matches.
#![no_main]
use std::sync::OnceLock;

use prescan::check::{CheckOptions, Checker, MAX_MATCHES, Verdict};
use prescan::list::format::{ListBuilder, ListLimits, LoadOptions, SignedList};
use prescan::list::keys::SecretKey;
use prescan::list::{Entry, SignalType, Thresholds};
use prescan::schema::{FileHashesJson, parse_check_request};

/// The bytes of entry `n` of a type: a fixed pattern the seeds repeat
/// (`fuzz/seeds/check_request/`), so that the fuzzer starts from requests
/// that match.
fn pattern(n: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(37).wrapping_add(n.wrapping_mul(101)) ^ 0x5a).collect()
}

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
        let builder =
            ListBuilder { id: "fuzz".into(), sequence: 1, created: 0, expires: None, thresholds: Thresholds::default() };
        let (Ok(bytes), public) = (builder.build(&entries, &key), key.public()) else {
            std::process::abort();
        };
        let options =
            LoadOptions { trusted_keys: vec![public], now: 0, min_sequence: 0, limits: ListLimits::default() };
        let Ok(list) = SignedList::load(bytes, &options) else { std::process::abort() };
        let Ok(checker) = Checker::new(list, CheckOptions { clock: None, ..CheckOptions::default() }) else {
            std::process::abort()
        };
        checker
    })
}

/// What a verdict matched, comparable across checks.
fn matches(v: &Verdict) -> Vec<(SignalType, u32, u32, Option<prescan::hash::pdq::Dihedral>)> {
    v.matches.iter().map(|m| (m.signal, m.entry, m.distance, m.variant)).collect()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
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

        // Sent again as a browser sends it: the same matches.
        let sent = FileHashesJson::of(&hashes, &SignalType::ALL);
        let body = serde_json::json!({ "files": [sent] }).to_string();
        let again = parse_check_request(body.as_bytes()).expect("what FileHashesJson::of writes parses");
        let [again] = <[_; 1]>::try_from(again).expect("one file");
        assert_eq!(matches(&checker.check_hashes(again)), matches(&verdict));
    }
});
