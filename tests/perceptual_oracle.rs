//! prescan's perceptual hashes are image_hasher's: `hash::perceptual`
//! computes pHash, dHash, aHash and blockhash itself, and this test holds
//! every value to what image_hasher 3.1's own `Hasher`s give for the same
//! RGB image, on images of every kind: noise, smooth fields, flat (every DCT
//! coefficient but one zero: the median ties), stripes, tiny and thin, with
//! sides that divide by 16 (blockhash's integer path) and that do not, in
//! every pixel layout, and one of 6 megapixels.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use image::RgbImage;
use prescan::hash::perceptual;
use prescan::{PixelLayout, Pixels};

fn ours(data: &[u8], w: u32, h: u32, layout: PixelLayout) -> Vec<Vec<u8>> {
    let pixels = Pixels::new(data, w, h, layout).unwrap();
    perceptual::hash_all(pixels).unwrap().iter().map(|p| p.as_bytes().to_vec()).collect()
}

#[test]
fn same_as_image_hasher_on_generated_images() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut compared = 0;
    for case in 0..300u32 {
        let (w, h) = match case % 6 {
            0 => (1 + (next() % 4) as u32, 1 + (next() % 4) as u32),
            1 => (1 + (next() % 40) as u32, 1 + (next() % 3) as u32),
            2 => (16 * (1 + (next() % 20) as u32), 16 * (1 + (next() % 20) as u32)),
            _ => (1 + (next() % 300) as u32, 1 + (next() % 300) as u32),
        };
        let (a, b, c) = (next(), next(), next());
        let data: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .flat_map(|(x, y)| {
                let noise = u64::from(x * 31 + y * 17).wrapping_mul(a).rotate_left(y % 64) ^ b;
                match case % 5 {
                    0 => [(noise >> 8) as u8, (noise >> 16) as u8, (noise >> 24) as u8],
                    1 => {
                        let v = ((x * (a % 7 + 1) as u32 + y * (b % 5) as u32) % 256) as u8; // small factors: no overflow
                        [v, v.wrapping_add(c as u8), 255 - v]
                    }
                    2 => [c as u8, (c >> 8) as u8, (c >> 16) as u8],
                    3 => {
                        let stripe = (x / (1 + (a % 9) as u32) + y / (1 + (b % 9) as u32)).is_multiple_of(2);
                        if stripe { [250, 240, 10] } else { [5, 20, 200] }
                    }
                    _ => {
                        let d = (x as i64 - w as i64 / 2).pow(2) + (y as i64 - h as i64 / 3).pow(2);
                        [(d % 251) as u8, (d / 7 % 256) as u8, (noise % 16) as u8]
                    }
                }
            })
            .collect();
        let expected = common::image_hasher_hashes(&RgbImage::from_raw(w, h, data.clone()).unwrap());
        assert_eq!(ours(&data, w, h, PixelLayout::Rgb), expected, "case {case}: {w}×{h}");
        // The same pixels with an alpha channel hash the same.
        let rgba: Vec<u8> = data.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], (p[0] ^ 0x5a)]).collect();
        assert_eq!(ours(&rgba, w, h, PixelLayout::Rgba), expected, "case {case} as RGBA");
        // Grey pixels hash as their RGB expansion does.
        let grey: Vec<u8> = data.chunks_exact(3).map(|p| p[1]).collect();
        let expanded: Vec<u8> = grey.iter().flat_map(|&v| [v, v, v]).collect();
        let grey_expected = common::image_hasher_hashes(&RgbImage::from_raw(w, h, expanded).unwrap());
        assert_eq!(ours(&grey, w, h, PixelLayout::Luma), grey_expected, "case {case} as luma");
        compared += 1;
    }
    assert_eq!(compared, 300);
}

/// A photo-sized image: blockhash's `f32` sums pass 2²⁴ (where their
/// rounding depends on the order of the additions), and the resize windows
/// are a thousand pixels tall.
#[test]
fn same_as_image_hasher_on_a_6_megapixel_image() {
    let (w, h) = (3000u32, 2000u32);
    let data: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            let v = ((x / 37 + y / 23) % 2 * 120 + (x * y) % 97 + (i.wrapping_mul(2_654_435_761) >> 28)) as u8;
            [v, v / 2 + (x % 64) as u8, 255 - v]
        })
        .collect();
    let expected = common::image_hasher_hashes(&RgbImage::from_raw(w, h, data.clone()).unwrap());
    assert_eq!(ours(&data, w, h, PixelLayout::Rgb), expected);
}

/// `image`'s pixels as the RGB image image_hasher is given: alpha dropped,
/// grey expanded.
fn to_rgb(f: &common::Fixture) -> RgbImage {
    let data: Vec<u8> = match f.layout {
        PixelLayout::Rgb => f.data.clone(),
        PixelLayout::Rgba => f.data.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect(),
        PixelLayout::Luma => f.data.iter().flat_map(|&v| [v, v, v]).collect(),
    };
    RgbImage::from_raw(f.width, f.height, data).unwrap()
}

/// The values `tests/wasm.rs` holds the Wasm build to are image_hasher's.
#[test]
fn golden_perceptual_values_are_image_hashers() {
    let fixtures = common::golden_set();
    assert_eq!(fixtures.len(), common::GOLDEN_PERCEPTUAL.len());
    for (f, golden) in fixtures.iter().zip(common::GOLDEN_PERCEPTUAL) {
        let theirs: Vec<String> = common::image_hasher_hashes(&to_rgb(f)).iter().map(|h| hex(h)).collect();
        let ours: Vec<String> = ours(&f.data, f.width, f.height, f.layout).iter().map(|h| hex(h)).collect();
        assert_eq!(theirs, golden, "{}: image_hasher gives {theirs:?}", f.name);
        assert_eq!(ours, golden, "{}", f.name);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
