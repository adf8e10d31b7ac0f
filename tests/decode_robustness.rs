//! Truncated and corrupted files of every format give an error, never a
//! panic, and a tiny file declaring a huge image is refused before its
//! pixels are allocated.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

#[path = "common/alloc.rs"]
mod alloc;

use alloc::largest_allocation;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

use std::panic::{AssertUnwindSafe, catch_unwind};

use image::ImageEncoder;
use prescan::decode::{self, ImageFormat, Limits};
use prescan::hash::{HashOptions, hash_file};
use prescan::{Error, Limit, PixelLayout};

/// A 37×23 scene encoded in `format`.
fn encoded(format: ImageFormat) -> Vec<u8> {
    let f = common::generate(common::Pattern::Scene, 37, 23, PixelLayout::Rgb, 11);
    let mut out = Vec::new();
    let (w, h, px, ty) = (f.width, f.height, &f.data, image::ExtendedColorType::Rgb8);
    match format {
        ImageFormat::Png => image::codecs::png::PngEncoder::new(&mut out).write_image(px, w, h, ty),
        ImageFormat::Jpeg => image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).write_image(px, w, h, ty),
        ImageFormat::Gif => image::codecs::gif::GifEncoder::new(&mut out).encode(px, w, h, ty),
        ImageFormat::Bmp => image::codecs::bmp::BmpEncoder::new(&mut out).write_image(px, w, h, ty),
        ImageFormat::WebP => image::codecs::webp::WebPEncoder::new_lossless(&mut out).write_image(px, w, h, ty),
    }
    .unwrap();
    out
}

const FORMATS: [ImageFormat; 5] =
    [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif, ImageFormat::WebP, ImageFormat::Bmp];

/// Decodes `bytes` and hashes them, failing the test on a panic.
fn must_not_panic(bytes: &[u8], what: &str) -> Result<(), Error> {
    match catch_unwind(AssertUnwindSafe(|| hash_file(bytes, &HashOptions::default()))) {
        Ok(r) => r.map(|_| ()),
        Err(_) => panic!("panicked on {what}"),
    }
}

#[test]
fn every_format_decodes_intact() {
    for format in FORMATS {
        let bytes = encoded(format);
        assert_eq!(decode::sniff(&bytes), Some(format));
        let img = decode::decode(&bytes, &Limits::default()).unwrap();
        assert_eq!((img.width(), img.height(), img.format()), (37, 23, format));
        must_not_panic(&bytes, "intact file").unwrap();
    }
}

#[test]
fn truncated_files_are_errors_not_panics() {
    for format in FORMATS {
        let bytes = encoded(format);
        // Containers end with a trailer (PNG's 12-byte IEND chunk, GIF's
        // `;`, JPEG's EOI marker) after the last pixel data; a cut inside it
        // loses no pixels and may be accepted. Every cut before it must fail.
        const TRAILER: usize = 12;
        for len in 0..bytes.len() {
            let r = must_not_panic(&bytes[..len], &format!("{format:?} cut to {len}"));
            if len + TRAILER <= bytes.len() {
                assert!(r.is_err(), "{format:?} cut to {len} of {} bytes was accepted", bytes.len());
            }
        }
    }
}

#[test]
fn corrupted_files_are_errors_or_images_never_panics() {
    for format in FORMATS {
        let bytes = encoded(format);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for i in 0..600 {
            let mut copy = bytes.clone();
            // Flip 1 to 4 bytes at pseudo-random places, biased to headers.
            for _ in 0..=(i % 4) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let span = if i % 2 == 0 { copy.len().min(64) } else { copy.len() };
                let at = (state as usize) % span;
                copy[at] ^= (state >> 32) as u8 | 1;
            }
            let _ = must_not_panic(&copy, &format!("{format:?} corruption {i}"));
        }
    }
}

#[test]
fn decompression_bomb_is_refused_before_allocation() {
    let bomb = common::png_header(100_000, 100_000);
    assert!(bomb.len() < 80);
    // The meter sees an allocation of that order (so a pass below means it).
    assert!(largest_allocation(|| vec![1u8; 2 << 20]).1 >= 2 << 20);
    let (result, largest) = largest_allocation(|| decode::decode(&bomb, &Limits::default()));
    let err = result.unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err:?}");
    // Refused before anything of the image's size: 30 GB declared, nothing
    // near even a megabyte asked for.
    assert!(largest < 1 << 20, "the refused bomb allocated {largest} bytes at once");

    // Within the side limits but over the pixel count.
    let wide = common::png_header(30_000, 30_000);
    assert!(matches!(
        decode::decode(&wide, &Limits::default()),
        Err(Error::LimitExceeded { limit: Limit::Pixels, .. })
    ));

    // Caller-set limits apply too.
    let small = Limits { max_width: 36, ..Limits::default() };
    let err = decode::decode(&encoded(ImageFormat::Png), &small).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { limit: Limit::Width, requested: 37, max: 36 }), "{err:?}");
}
