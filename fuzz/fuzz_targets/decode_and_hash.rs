//! Any bytes through decode and every hash: errors allowed, panics not.
//! The body is `bodies::decode_and_hash`, which `tests/fuzz_regression.rs` also runs.
#![no_main]

#[path = "bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::decode_and_hash(data));
