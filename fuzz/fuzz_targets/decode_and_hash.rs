//! Any bytes through decode and every hash: errors allowed, panics not.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast; the limit checks are part of the target.
    let limits = prescan::decode::Limits { max_width: 4096, max_height: 4096, max_pixels: 4 << 20, max_alloc: 64 << 20, ..Default::default() };
    let options = prescan::hash::HashOptions { limits, dihedral: true };
    let _ = prescan::hash::hash_file(data, &options);
});
