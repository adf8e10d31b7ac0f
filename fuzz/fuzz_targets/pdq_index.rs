//! Any bytes as PDQ hashes: the index must answer exactly as a linear scan does.
//! The body is `bodies::pdq_index`, which `tests/fuzz_regression.rs` also runs.
#![no_main]

#[path = "bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::pdq_index(data));
