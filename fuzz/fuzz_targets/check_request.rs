//! Any bytes as the body of POST /v1/check, through the check to the verdicts' JSON.
//! The body is `bodies::check_request`, which `tests/fuzz_regression.rs` also runs.
#![no_main]

#[path = "bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::check_request(data));
