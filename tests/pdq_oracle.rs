//! PDQ against Meta's reference, bit for bit.
//!
//! The oracle is the reference C++ core as the `pdqhash` PyPI package runs
//! it (`tests/oracle/pdq_oracle.py`). Every generated image (sizes from 1×1
//! to 4000×3000, every layout) must give the oracle's hash and quality
//! exactly, and the dihedral variants must equal `compute_dihedral`'s.
//!
//! Without Python and `pdqhash` the test fails (scripts/setup installs
//! them), unless `PRESCAN_SKIP_ORACLE=1` says to skip it: then it prints
//! that it skipped, and why.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use prescan::Pixels;
use prescan::hash::pdq;

fn python() -> String {
    std::env::var("PRESCAN_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn oracle_available() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import pdqhash, numpy"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("PRESCAN_SKIP_ORACLE").as_deref() != Ok("1") {
            panic!(
                "the pdqhash oracle is missing: {} cannot import pdqhash and numpy (scripts/setup installs them; \
                 PRESCAN_SKIP_ORACLE=1 skips this test)",
                python()
            );
        }
        eprintln!("SKIPPED pdq_oracle (PRESCAN_SKIP_ORACLE=1): python3 with `pdqhash` and `numpy` not found");
    }
    ok
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    // The oracle prints flat JSON with known keys; a tiny extractor keeps
    // the test free of a JSON dependency.
    let start = line.find(&format!("\"{key}\": ")).map(|i| i + key.len() + 4).unwrap();
    let rest = &line[start..];
    let end = rest.find([',', '}']).unwrap();
    rest[..end].trim().trim_matches('"')
}

fn dihedral(line: &str) -> Vec<String> {
    let start = line.find("\"dihedral\": [").unwrap() + "\"dihedral\": [".len();
    let end = start + line[start..].find(']').unwrap();
    line[start..end].split(',').map(|s| s.trim().trim_matches('"').to_owned()).collect()
}

#[test]
fn pdq_matches_reference_bit_for_bit() {
    if !oracle_available() {
        return;
    }
    let fixtures = common::oracle_set();
    let dir = std::env::temp_dir().join(format!("prescan-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest = String::from("[");
    for (i, f) in fixtures.iter().enumerate() {
        let path = dir.join(format!("{i}.raw"));
        std::fs::write(&path, &f.data).unwrap();
        if i > 0 {
            manifest.push(',');
        }
        manifest.push_str(&format!(
            "{{\"path\": \"{}\", \"width\": {}, \"height\": {}, \"channels\": {}}}",
            path.display(),
            f.width,
            f.height,
            f.layout.channels()
        ));
    }
    manifest.push(']');

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/pdq_oracle.py");
    let mut child = Command::new(python()).arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(manifest.as_bytes()).unwrap();
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap()).lines().map(|l| l.unwrap()).collect();
    assert!(child.wait().unwrap().success(), "oracle failed");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(lines.len(), fixtures.len(), "oracle answered for every image");

    let mut failures = Vec::new();
    let mut high_quality = 0;
    for (f, line) in fixtures.iter().zip(&lines) {
        let px = Pixels::new(&f.data, f.width, f.height, f.layout).unwrap();
        let ours = pdq::hash(px);
        let (want_hash, want_quality) = (field(line, "pdq"), field(line, "quality"));
        if ours.hash.to_hex() != want_hash || ours.quality.to_string() != want_quality {
            failures.push(format!(
                "{}: ours {} q{}, reference {} q{} ({} bits apart)",
                f.name,
                ours.hash,
                ours.quality,
                want_hash,
                want_quality,
                ours.hash.distance(&pdq::PdqHash::from_hex(want_hash).unwrap())
            ));
        }
        let ours_d = pdq::hash_dihedral(px);
        let want_d = dihedral(line);
        let got_d: Vec<String> = ours_d.hashes.iter().map(|h| h.to_hex()).collect();
        if got_d != want_d || ours_d.quality.to_string() != field(line, "dihedral_quality") {
            failures.push(format!("{}: dihedral differ\n ours {got_d:?}\n want {want_d:?}", f.name));
        }
        if ours.quality >= 50 {
            high_quality += 1;
        }
    }
    println!(
        "pdq oracle: {} images, {} exact matches (hash, quality and 8 dihedral variants), {} of quality >= 50",
        fixtures.len(),
        fixtures.len() - failures.len(),
        high_quality
    );
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    assert!(high_quality * 2 >= fixtures.len(), "the set should mostly be matchable images");
}
