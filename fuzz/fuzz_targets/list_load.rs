//! Any bytes as a signed list: loading (signature first) and the unverified
//! inspection that `prescan list inspect` does.
#![no_main]
use prescan::list::format::{ListLimits, LoadOptions, SignedList, inspect};
use prescan::list::keys::SecretKey;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let key = SecretKey::from_seed([7; 32]).public();
    let limits = ListLimits { max_bytes: 1 << 20, max_entries: 1 << 16 };
    let _ = inspect(data, &limits);
    let options = LoadOptions { trusted_keys: vec![key], now: 0, min_sequence: 0, limits };
    let _ = SignedList::load(data.to_vec(), &options);
});
