//! Writes a few generated demo images (PNG and JPEG) into a folder, for
//! `scripts/run` to hash: `cargo run --example demo_images -- DIR`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::error::Error;
use std::path::PathBuf;

use image::ImageEncoder;
use prescan::PixelLayout;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: demo_images DIR")?);
    std::fs::create_dir_all(&dir)?;
    let images = [
        ("scene.png", common::generate(common::Pattern::Scene, 1200, 800, PixelLayout::Rgb, 1)),
        ("gradient.png", common::generate(common::Pattern::Gradient, 640, 480, PixelLayout::Rgb, 2)),
        ("photo-like.jpg", common::generate(common::Pattern::Scene, 2000, 1500, PixelLayout::Rgb, 3)),
    ];
    for (name, f) in images {
        let mut out = Vec::new();
        let ty = image::ExtendedColorType::Rgb8;
        if name.ends_with(".png") {
            image::codecs::png::PngEncoder::new(&mut out).write_image(&f.data, f.width, f.height, ty)?;
        } else {
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
                .write_image(&f.data, f.width, f.height, ty)?;
        }
        std::fs::write(dir.join(name), out)?;
    }
    Ok(())
}
