//! Deterministic test images, made in code so that the tests need no files.
//!
//! Every generator is a pure function of its arguments (a small PCG for
//! noise), so native tests, Wasm tests and the Python oracle all see the
//! same pixels.

#![allow(dead_code)]

#[path = "png.rs"]
mod png_bytes;
#[path = "rng.rs"]
mod rng;

#[allow(unused_imports)] // each test crate uses some of it
pub use png_bytes::png_header;
use prescan::PixelLayout;
use prescan::hash::pdq::PdqHash;
pub use rng::Rng;

/// A generated image.
pub struct Fixture {
    /// Short description, for failure messages.
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub layout: PixelLayout,
    pub data: Vec<u8>,
}

/// The content of a generated image.
#[derive(Clone, Copy, Debug)]
pub enum Pattern {
    /// One colour everywhere.
    Flat,
    /// Independent uniform noise in every channel.
    Noise,
    /// Horizontal, vertical and diagonal ramps in the three channels.
    Gradient,
    /// A smooth "scene": overlapping discs and stripes with light noise,
    /// the kind of content that gets high PDQ quality.
    Scene,
    /// 8-pixel checkerboard.
    Checker,
}

/// A triangle wave of `period` in `t`, from 0 up to `period` and back.
fn tri(t: i64, period: i64) -> i64 {
    let m = t.rem_euclid(2 * period);
    if m < period { m } else { 2 * period - m }
}

/// Channel `c` of pixel `(x, y)` of `pattern`. Integer arithmetic only, so
/// that every platform makes the same pixels.
fn value(pattern: Pattern, x: u32, y: u32, c: usize, w: u32, h: u32, rng: &mut Rng) -> u8 {
    let (x, y, w, h, ci) = (x as i64, y as i64, w.max(1) as i64, h.max(1) as i64, c as i64);
    match pattern {
        Pattern::Flat => [200u8, 90, 30, 255][c],
        Pattern::Noise => rng.next_u32() as u8,
        Pattern::Gradient => match c {
            0 => (x * 255 / w) as u8,
            1 => (y * 255 / h) as u8,
            2 => ((x * h + y * w) * 127 / (w * h)) as u8,
            _ => (255 - x * 255 / w) as u8,
        },
        Pattern::Checker => {
            if ((x / 8) + (y / 8)) % 2 == 0 {
                [250, 240, 230, 255][c]
            } else {
                [10, 20, 30, 0][c]
            }
        }
        Pattern::Scene => {
            // Broad waves whose period scales with the image, plus three discs.
            let mut v = 40 + tri(x * 1000 / w + ci * 150, 300) * 60 / 300 + tri(y * 1000 / h, 400) * 50 / 400;
            for (cx, cy, r, tone) in [(300, 400, 200, 120), (700, 600, 250, -80), (500, 200, 100, 150)] {
                let (dx, dy) = (x * 1000 / w - cx, y * 1000 / h - cy);
                if dx * dx + dy * dy < r * r {
                    v += tone * (10 + ci) / 10;
                }
            }
            v += (rng.next_u32() % 9) as i64;
            v.clamp(0, 255) as u8
        }
    }
}

/// `width` × `height` pixels of `pattern` in `layout`, seeded by `seed`.
pub fn generate(pattern: Pattern, width: u32, height: u32, layout: PixelLayout, seed: u64) -> Fixture {
    let channels = layout.channels();
    let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut data = Vec::with_capacity(width as usize * height as usize * channels);
    for y in 0..height {
        for x in 0..width {
            match layout {
                PixelLayout::Luma => {
                    // Luma fixtures use the green channel's content.
                    data.push(value(pattern, x, y, 1, width, height, &mut rng));
                }
                _ => {
                    for c in 0..channels {
                        data.push(value(pattern, x, y, c, width, height, &mut rng));
                    }
                }
            }
        }
    }
    Fixture { name: format!("{pattern:?} {width}x{height} {layout:?} seed {seed}"), width, height, layout, data }
}

/// The oracle conformance set: sizes from 1×1 to 4000×3000, odd and extreme
/// aspect ratios, every pattern, every layout.
pub fn oracle_set() -> Vec<Fixture> {
    use Pattern::*;
    use PixelLayout::*;
    let mut out = Vec::new();
    let sizes: &[(u32, u32)] = &[
        (1, 1),
        (2, 3),
        (4, 4),
        (4, 100),
        (100, 4),
        (5, 5),
        (5, 1000),
        (1000, 5),
        (6, 7),
        (7, 7),
        (13, 11),
        (31, 33),
        (63, 64),
        (64, 64),
        (65, 64),
        (64, 63),
        (100, 100),
        (127, 129),
        (128, 128),
        (129, 127),
        (255, 256),
        (333, 517),
        (517, 333),
        (640, 480),
        (480, 640),
        (1, 4000),
        (3, 3000),
        (4000, 7),
        (7, 4000),
        (2048, 13),
        (13, 2048),
        (1024, 768),
        (1000, 1000),
        (1600, 1004),
        (1920, 1080),
        (1080, 1920),
        (2999, 2001),
        (4000, 3000),
    ];
    let patterns = [Scene, Noise, Gradient, Checker, Flat];
    let layouts = [Rgb, Rgba, Luma];
    for (i, &(w, h)) in sizes.iter().enumerate() {
        let pattern = patterns[i % patterns.len()];
        let layout = layouts[i % layouts.len()];
        out.push(generate(pattern, w, h, layout, i as u64));
        // Every size also as a scene in RGB, the common case.
        if !matches!((pattern, layout), (Scene, Rgb)) && w * h <= 2_000_000 {
            out.push(generate(Scene, w, h, Rgb, 1000 + i as u64));
        }
    }
    // Every pattern in every layout at one middling size.
    for (p, pattern) in patterns.iter().enumerate() {
        for (l, layout) in layouts.iter().enumerate() {
            out.push(generate(*pattern, 301, 199, *layout, (50 + p * 3 + l) as u64));
        }
    }
    // The images whose hashes are pinned for the Wasm build.
    out.extend(golden_set());
    out
}

/// A small set for the Wasm-versus-native check, with hashes pinned.
pub fn golden_set() -> Vec<Fixture> {
    use Pattern::*;
    use PixelLayout::*;
    vec![
        generate(Scene, 640, 480, Rgb, 1),
        generate(Noise, 257, 311, Rgba, 2),
        generate(Gradient, 1000, 9, Luma, 3),
        generate(Checker, 64, 64, Rgb, 4),
        generate(Scene, 1201, 797, Rgba, 5),
    ]
}

/// PDQ hex, quality and rotate-90 hex of each image of [`golden_set`], as
/// the reference computes them (checked by `tests/pdq_oracle.rs`).
pub const GOLDEN_PDQ: [(&str, u8, &str); 5] = [
    (
        "0c8ccdc9cd89799e731c6274a0d8309c57a1ce62da36d913bb3302eecccc7dd9",
        100,
        "627a830c1f09e646f07b1f3c0cec8766f387b9b804ece0c6fb0762d9107c9f66",
    ), // Scene 640x480 Rgb seed 1
    (
        "3e6a5e040ad9db6f977a24eea464065f9c5583739c768c392d4d48a836abae15",
        100,
        "1af1affb860b275df0bd3044b943e7b7240640179e76d60ebd1ea8569d628e24",
    ), // Noise 257x311 Rgba seed 2
    (
        "000080cb2c4bd17e2c4b6a4a0000418e2c4b09f0585e02c22c4b5b22102f0e60",
        58,
        "500040012c8868882ced5576041528bb4150010610476d9e7daa6cdd7dbe1571",
    ), // Gradient 1000x9 Luma seed 3
    (
        "0277570202575f0077007f885d22f5025d088a770a5528770a5d807d570a28f7",
        100,
        "243882f7e396a275a7d2a275f682a27510295d8aead75d8aef825d8aeb825d8a",
    ), // Checker 64x64 Rgb seed 4
    (
        "0ccc8dc9cd89f99e731c6274a0d8309c57a1ce60da369913bb3342eecccc7dd9",
        100,
        "627ac31c0f09e646f07b1f3c0cec8766f38739b804ecf0c6fb0762d9103c9f66",
    ), // Scene 1201x797 Rgba seed 5
];

#[allow(dead_code)] // each test crate uses some of it
impl Rng {
    /// A random PDQ hash.
    pub fn hash(&mut self) -> PdqHash {
        PdqHash::from_words([self.next(), self.next(), self.next(), self.next()])
    }
}

pub fn flip(rng: &mut Rng, h: &PdqHash, bits: u32) -> PdqHash {
    let mut w = h.words();
    flip_within(rng, &mut w, 0, 256, bits);
    PdqHash::from_words(w)
}

/// Flips exactly `count` distinct bits of `w` (as many as fit) among bits
/// `first..first + width` (bit `i` being bit `i % 64` of word `i / 64`).
pub fn flip_within(rng: &mut Rng, w: &mut [u64; 4], first: usize, width: usize, count: u32) {
    let mut chosen = [false; 256];
    let mut left = (count as usize).min(width);
    while left > 0 {
        let b = rng.below(width);
        if !chosen[b] {
            chosen[b] = true;
            let bit = first + b;
            w[bit / 64] ^= 1 << (bit % 64);
            left -= 1;
        }
    }
}

/// The perceptual hashes (pHash, dHash, aHash, blockhash, in
/// `PerceptualAlgorithm::ALL` order) of `image` by image_hasher's own
/// `Hasher`s, configured as `prescan::hash::perceptual` names them: the
/// oracle of those hashes.
pub fn image_hasher_hashes(image: &image::RgbImage) -> Vec<Vec<u8>> {
    use image::imageops::FilterType;
    use image_hasher::{BitOrder, HashAlg, HasherConfig};
    let config = |alg, side| {
        HasherConfig::new()
            .hash_alg(alg)
            .hash_size(side, side)
            .resize_filter(FilterType::Lanczos3)
            .bit_order(BitOrder::MsbFirst)
    };
    let hashers = [
        config(HashAlg::Median, 8).preproc_dct().to_hasher(),
        config(HashAlg::Gradient, 8).to_hasher(),
        config(HashAlg::Mean, 8).to_hasher(),
        config(HashAlg::Blockhash, 16).to_hasher(),
    ];
    hashers.iter().map(|h| h.hash_image(image).as_bytes().to_vec()).collect()
}

/// pHash, dHash, aHash and blockhash hex of each image of [`golden_set`], as
/// image_hasher computes them (checked by `tests/perceptual_oracle.rs`).
pub const GOLDEN_PERCEPTUAL: [[&str; 4]; 5] = [
    [
        "c0cd193b666436e7",
        "94f2c6c7c585838c",
        "007efff1e0000046",
        "00000180fbfcffff3fc07f04ff007f00ff01fe01fe00fc0120007000f87effff",
    ], // Scene 640x480 Rgb seed 1
    [
        "b154ea08d2ccb3e7",
        "a58e0ab89ad54349",
        "f042efde6e6f73ef",
        "f7ff8200adef9010ff4f8006f7fe80008000fffd8002fb7f9902dfffc8328423",
    ], // Noise 257x311 Rgba seed 2
    [
        "ff7fff7fff7fff7f",
        "0000000000000000",
        "00000000ffffffff",
        "0000aaaa0000ffff0000ffff0000ffffffff0000ffff0000ffff0000ffff0000",
    ], // Gradient 1000x9 Luma seed 3
    [
        "ffffffffffffffff",
        "5aa55aa55aa55aa5",
        "aa55aa55aa55aa55",
        "cccccccc33333333cccccccc33333333cccccccc33333333cccccccc33333333",
    ], // Checker 64x64 Rgb seed 4
    [
        "c0cd193b666436e7",
        "94f2c6c7c585838c",
        "007efff1e0000046",
        "00000180fbfcffff3fc07f00ff00ff00fe01fe01fe01fc0120007000f87effff",
    ], // Scene 1201x797 Rgba seed 5
];

/// A fresh directory under the system's temporary directory, removed when
/// dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("prescan-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// A path inside the directory, as text.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `f` encoded as PNG, in its own layout.
pub fn png(f: &Fixture) -> Vec<u8> {
    use image::ImageEncoder;
    let ty = match f.layout {
        PixelLayout::Luma => image::ExtendedColorType::L8,
        PixelLayout::Rgb => image::ExtendedColorType::Rgb8,
        PixelLayout::Rgba => image::ExtendedColorType::Rgba8,
    };
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out).write_image(&f.data, f.width, f.height, ty).unwrap();
    out
}

/// Lists signed by a test key, loaded as a checker would load them.
#[cfg(not(target_arch = "wasm32"))]
pub mod lists {
    use prescan::list::format::{ListLimits, LoadOptions, SignedList};
    use prescan::list::keys::SecretKey;

    /// `bytes` loaded under `key` at time `now`, from any sequence, with
    /// the default limits.
    pub fn load(bytes: Vec<u8>, key: &SecretKey, now: u64) -> prescan::Result<SignedList> {
        let options =
            LoadOptions { trusted_keys: vec![key.public()], now, min_sequence: 0, limits: ListLimits::default() };
        SignedList::load(bytes, &options)
    }

    /// `bytes` with its signature replaced by a valid one: the issuer's
    /// own list, as a careless or hostile issuer could sign it.
    pub fn resign(mut bytes: Vec<u8>, key: &SecretKey) -> Vec<u8> {
        bytes.truncate(bytes.len().saturating_sub(64));
        let signature = key.sign(&bytes);
        bytes.extend_from_slice(&signature);
        bytes
    }
}
