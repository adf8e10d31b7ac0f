//! The golden PDQ values that the Wasm build is held to (`tests/wasm.rs`),
//! checked here for the native build. The values themselves are checked
//! against the reference by `tests/pdq_oracle.rs`, which hashes the same
//! images.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use prescan::Pixels;
use prescan::hash::pdq;

#[test]
fn native_pdq_equals_golden_values() {
    let fixtures = common::golden_set();
    assert_eq!(fixtures.len(), common::GOLDEN_PDQ.len());
    let mut computed = Vec::new();
    for f in &fixtures {
        let px = Pixels::new(&f.data, f.width, f.height, f.layout).unwrap();
        let r = pdq::hash(px);
        let rotate90 = pdq::hash_dihedral(px).get(pdq::Dihedral::Rotate90);
        // Printed in the table's own syntax, to update it on purpose.
        println!("    (\"{}\", {}, \"{rotate90}\"), // {}", r.hash, r.quality, f.name);
        computed.push((r.hash.to_hex(), r.quality, rotate90.to_hex()));
    }
    for ((got, want), f) in computed.iter().zip(common::GOLDEN_PDQ).zip(&fixtures) {
        assert_eq!((got.0.as_str(), got.1, got.2.as_str()), want, "{}", f.name);
    }
}
