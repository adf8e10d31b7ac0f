//! PDQ speed, natively, beside the reference in the same run.
//!
//! `cargo bench --bench pdq` measures with criterion:
//! * `pdq_from_pixels/{1,3,12}mp`: PDQ hash and quality from decoded RGB;
//! * `decode_and_pdq/12mp_jpeg`: decoding a 4000×3000 JPEG (quality 90)
//!   and hashing it.
//!
//! Then it times the reference (`pdqhash.compute` from the `pdqhash` PyPI
//! package, Meta's C++ core) on the same pixels with
//! `benches/reference_pdq.py`, checks that both give the same hash, and
//! prints the two side by side with their ratio. Without Python and
//! `pdqhash` the comparison is skipped with a message.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use prescan::decode::{self, Limits};
use prescan::hash::pdq;
use prescan::{PixelLayout, Pixels};

const SIZES: [(&str, u32, u32); 3] = [("1mp", 1155, 866), ("3mp", 2000, 1500), ("12mp", 4000, 3000)];

fn scene(w: u32, h: u32) -> common::Fixture {
    common::generate(common::Pattern::Scene, w, h, PixelLayout::Rgb, 7)
}

fn jpeg_12mp() -> Vec<u8> {
    let f = scene(4000, 3000);
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    enc.encode(&f.data, f.width, f.height, image::ExtendedColorType::Rgb8).expect("encode");
    out
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("pdq_from_pixels");
    group.sample_size(20).measurement_time(Duration::from_secs(4));
    for (name, w, h) in SIZES {
        let f = scene(w, h);
        let px = Pixels::new(&f.data, w, h, PixelLayout::Rgb).expect("pixels");
        group.throughput(Throughput::Elements(u64::from(w) * u64::from(h)));
        group.bench_with_input(BenchmarkId::from_parameter(name), &px, |b, px| b.iter(|| pdq::hash(black_box(*px))));
    }
    group.finish();

    let jpeg = jpeg_12mp();
    let mut group = c.benchmark_group("decode_and_pdq");
    group.sample_size(10).measurement_time(Duration::from_secs(6));
    group.bench_function("12mp_jpeg", |b| {
        b.iter(|| {
            let img = decode::decode(black_box(&jpeg), &Limits::default()).expect("decode");
            pdq::hash(img.pixels())
        })
    });
    group.finish();
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Criterion's median estimate for one benchmark, in milliseconds.
fn criterion_median_ms(group: &str, id: &str) -> Option<f64> {
    let path = target_dir().join("criterion").join(group).join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(v["median"]["point_estimate"].as_f64()? / 1e6)
}

fn compare_with_reference() {
    let python = std::env::var("PRESCAN_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let dir = std::env::temp_dir().join(format!("prescan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut specs = Vec::new();
    let mut ours = Vec::new();
    for (name, w, h) in SIZES {
        let f = scene(w, h);
        let path = dir.join(format!("{name}.rgb"));
        std::fs::write(&path, &f.data).expect("write pixels");
        specs.push(format!("{w}x{h}:{}", path.display()));
        let px = Pixels::new(&f.data, w, h, PixelLayout::Rgb).expect("pixels");
        ours.push((name, w, h, pdq::hash(px).hash.to_hex()));
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/reference_pdq.py");
    let output = Command::new(&python).arg(script).arg("7").args(&specs).output();
    std::fs::remove_dir_all(&dir).ok();
    let output = match output {
        Ok(o) if o.status.success() => o,
        _ => {
            println!(
                "\nreference comparison SKIPPED: {python} with the pdqhash package is needed (pip install pdqhash numpy)"
            );
            return;
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    println!("\nPDQ from RGB pixels, prescan (criterion median) vs reference pdqhash.compute (median of 7):");
    println!("{:<6} {:>11} {:>12} {:>14} {:>8}  same hash", "size", "pixels", "prescan ms", "reference ms", "ratio");
    for ((name, w, h, hash), line) in ours.iter().zip(text.lines()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        let reference = v["median_ms"].as_f64().unwrap_or(f64::NAN);
        let mine = criterion_median_ms("pdq_from_pixels", name).unwrap_or(f64::NAN);
        println!(
            "{name:<6} {:>11} {mine:>12.2} {reference:>14.2} {:>7.3}x  {}",
            format!("{w}x{h}"),
            mine / reference,
            v["pdq"].as_str() == Some(hash.as_str())
        );
    }
    if let Some(ms) = criterion_median_ms("decode_and_pdq", "12mp_jpeg") {
        println!("decode + PDQ of a 12 MP JPEG (q90), prescan: {ms:.1} ms");
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    // `cargo test --benches` runs each benchmark once as a test; the
    // comparison is for real runs only.
    if !std::env::args().any(|a| a == "--test") {
        compare_with_reference();
    }
}
