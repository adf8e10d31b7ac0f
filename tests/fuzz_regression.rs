//! The fuzz targets' bodies (`fuzz/fuzz_targets/bodies.rs`) on their seeds
//! (`fuzz/seeds/<target>/`) and on every input a fuzzer crashed on and a
//! fix made good (`tests/regression/<target>/`, named after the bug): in
//! the ordinary test run, without cargo-fuzz, so that a fixed crash stays
//! fixed. A failed assertion or a panic here is that bug back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../fuzz/fuzz_targets/bodies.rs"]
mod bodies;

use std::path::Path;

/// Runs `body` on every file of the target's seeds and regression inputs;
/// how many there were.
fn replay(target: &str, body: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for dir in [root.join("fuzz/seeds").join(target), root.join("tests/regression").join(target)] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(outcome.is_ok(), "{target}: {} fails again", path.display());
            count += 1;
        }
    }
    assert!(count > 0, "{target}: no seed or regression input to replay");
    count
}

#[test]
fn decode_and_hash() {
    println!("{} inputs", replay("decode_and_hash", bodies::decode_and_hash));
}

#[test]
fn list_load() {
    println!("{} inputs", replay("list_load", bodies::list_load));
}

#[test]
fn list_import() {
    println!("{} inputs", replay("list_import", bodies::list_import));
}

#[test]
fn pdq_index() {
    println!("{} inputs", replay("pdq_index", bodies::pdq_index));
}

#[test]
fn check_request() {
    println!("{} inputs", replay("check_request", bodies::check_request));
}
