//! Any text through every import format, strict and lenient.
#![no_main]
use prescan::list::import::{ImportOptions, InputFormat, import};
use prescan::list::SignalType;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in [None, Some(InputFormat::Lines), Some(InputFormat::Csv), Some(InputFormat::Json), Some(InputFormat::Bare)] {
        for strict in [false, true] {
            let options = ImportOptions { format, signal_type: Some(SignalType::Pdq), strict };
            let _ = import(text, &options);
        }
    }
});
