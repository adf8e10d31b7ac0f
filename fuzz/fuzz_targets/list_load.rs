//! Any bytes as a signed list: loading (signature first) and the unverified inspection.
//! The body is `bodies::list_load`, which `tests/fuzz_regression.rs` also runs.
#![no_main]

#[path = "bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::list_load(data));
