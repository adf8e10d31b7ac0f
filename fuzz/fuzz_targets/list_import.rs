//! Any text through every import format, strict and lenient.
//! The body is `bodies::list_import`, which `tests/fuzz_regression.rs` also runs.
#![no_main]

#[path = "bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::list_import(data));
