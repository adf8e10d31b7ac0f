//! Perceptual hashing speed, natively, beside `image_hasher` in the same
//! run.
//!
//! `cargo bench --bench perceptual` measures with criterion, on the same
//! RGB pixels (1 and 12 megapixels):
//! * `perceptual/prescan/{size}`: `perceptual::hash_all`, the four hashes
//!   (pHash, dHash, aHash, blockhash) as a check against a list with all
//!   four computes them;
//! * `perceptual/image_hasher/{size}`: the same four configurations hashed
//!   by `image_hasher`'s own `Hasher`s, one after the other: the peer, and
//!   the values prescan must equal (checked before timing).
//!
//! Then it prints both medians side by side with their ratio.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use image::RgbImage;
use prescan::hash::perceptual;
use prescan::{PixelLayout, Pixels};

const SIZES: [(&str, u32, u32); 2] = [("1mp", 1155, 866), ("12mp", 4000, 3000)];

/// Median of `runs` timings of `f`, in ms.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let test_mode = !std::env::args().any(|a| a == "--bench") || std::env::args().any(|a| a == "--test");
    let mut rows = Vec::new();
    for (name, w, h) in SIZES {
        let f = common::generate(common::Pattern::Scene, w, h, PixelLayout::Rgb, 11);
        let pixels = Pixels::new(&f.data, w, h, PixelLayout::Rgb).unwrap();
        let image = RgbImage::from_raw(w, h, f.data.clone()).unwrap();

        // Same values first: a faster wrong answer is no answer.
        let ours: Vec<Vec<u8>> = perceptual::hash_all(pixels).unwrap().iter().map(|p| p.as_bytes().to_vec()).collect();
        assert_eq!(ours, common::image_hasher_hashes(&image), "{name}: prescan and image_hasher disagree");
        if test_mode {
            println!("{name}: the same four hashes as image_hasher (smoke run: not timed)");
            continue;
        }

        let mut group = c.benchmark_group("perceptual");
        group.sample_size(10).measurement_time(Duration::from_secs(if w > 2000 { 12 } else { 4 }));
        group.bench_with_input(BenchmarkId::new("prescan", name), &pixels, |b, px| {
            b.iter(|| perceptual::hash_all(black_box(*px)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("image_hasher", name), &image, |b, img| {
            b.iter(|| common::image_hasher_hashes(black_box(img)))
        });
        group.finish();

        let ours_ms = median_ms(5, || drop(black_box(perceptual::hash_all(pixels).unwrap())));
        let theirs_ms = median_ms(5, || drop(black_box(common::image_hasher_hashes(&image))));
        rows.push((name, w, h, ours_ms, theirs_ms));
    }
    c.final_summary();
    if rows.is_empty() {
        return;
    }
    println!("\npHash + dHash + aHash + blockhash from RGB pixels, same values (median of 5, ms):");
    println!("{:<6} {:>11} {:>12} {:>16} {:>8}", "size", "pixels", "prescan ms", "image_hasher ms", "ratio");
    for (name, w, h, ours, theirs) in rows {
        println!("{name:<6} {:>11} {ours:>12.1} {theirs:>16.1} {:>7.2}×", u64::from(w) * u64::from(h), ours / theirs);
    }
}
