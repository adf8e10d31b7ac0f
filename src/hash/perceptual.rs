//! The named `image_hasher` configurations: pHash, dHash, aHash and
//! blockhash.
//!
//! Hash lists store these hashes, so each name stands for one configuration
//! forever: every parameter is set here explicitly, none is left to an
//! `image_hasher` default, and golden tests pin the output so that a change
//! in the crate or here fails loudly. A new configuration gets a new name.
//!
//! Pixels are hashed as RGB, whatever their layout: grey is expanded and
//! alpha dropped without compositing, the convention of [`crate::decode`].
//! This module refuses images with no pixels and images with a side longer
//! than [`MAX_SIDE`]; it refuses hex that is not exactly the length of the
//! algorithm's hash.
//!
//! These are `image_hasher` 3.1's values, computed here: image_hasher is
//! the test oracle, not a dependency of the library (see "Why not call
//! image_hasher" below); `tests/perceptual_oracle.rs` and
//! `benches/perceptual.rs` hold every value to its own. Other libraries'
//! "phash" or "dhash" (Python `imagehash`, say) differ in grey conversion,
//! resize filter or threshold, and their values are not comparable with
//! these.

use std::cell::OnceCell;
use std::fmt;

use image::GrayImage;
use rustdct::Dct2;
use rustdct::algorithm::type2and3_butterflies::Type2And3Butterfly16;

use super::blockhash::blockhash_bits;
use super::resize::Shrinker;
use crate::error::{Error, Limit, Result};
use crate::hex;
use crate::pixels::{PixelLayout, Pixels};

/// Longest side accepted, in pixels: 2²⁴. `image_hasher`'s blockhash places
/// pixels into blocks with `f32` arithmetic, exact only up to 2²⁴; beyond it
/// a pixel of the last row can land outside the grid (an index panic).
pub const MAX_SIDE: u32 = 1 << 24;

/// One of the fixed perceptual hash configurations.
///
/// | name | `HashAlg` | preprocessing | hash size | resize filter | bit order | bits | hex digits |
/// |---|---|---|---|---|---|---|---|
/// | `phash` | `Median` (bit = coefficient ≥ median) | DCT: grey resized to 16 × 16, 2-D DCT-II, low 8 × 8 kept | 8 × 8 | `Lanczos3` | `MsbFirst` | 64 | 16 |
/// | `dhash` | `Gradient` (bit = left < right) | none; grey resized to 9 × 8 | 8 × 8 | `Lanczos3` | `MsbFirst` | 64 | 16 |
/// | `ahash` | `Mean` (bit = pixel ≥ mean) | none; grey resized to 8 × 8 | 8 × 8 | `Lanczos3` | `MsbFirst` | 64 | 16 |
/// | `blockhash` | `Blockhash` | none; the RGB image is not resized | 16 × 16 | `Lanczos3` (unused) | `MsbFirst` | 256 | 64 |
///
/// pHash thresholds at the median, as pHash does: with `Mean`, the DC
/// coefficient outweighs the other 63 put together and the hash comes out
/// `8000000000000000` for nearly every image.
///
/// Every configuration starts from the RGB image. Grey is `image`'s luma
/// (Rec. 709 weights: 0.2126 R + 0.7152 G + 0.0722 B); blockhash sums
/// R + G + B per block instead. No difference-of-Gaussians preprocessing.
///
/// Encoding: the hash bits in the algorithm's order (row-major over the
/// hash grid), packed eight to a byte with the first bit in the most
/// significant position, bytes in order; hex is those bytes as lowercase
/// digits. The first hex digit therefore holds the first four bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PerceptualAlgorithm {
    /// DCT-preprocessed median hash, 64 bits.
    Phash,
    /// Horizontal gradient (difference) hash, 64 bits.
    Dhash,
    /// Average (mean) hash, 64 bits.
    Ahash,
    /// Blockhash.io-style block mean hash, 256 bits.
    Blockhash,
}

impl PerceptualAlgorithm {
    /// Every algorithm, in the order [`hash_all`] returns them.
    pub const ALL: [Self; 4] = [Self::Phash, Self::Dhash, Self::Ahash, Self::Blockhash];

    /// The stable name: `"phash"`, `"dhash"`, `"ahash"` or `"blockhash"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Phash => "phash",
            Self::Dhash => "dhash",
            Self::Ahash => "ahash",
            Self::Blockhash => "blockhash",
        }
    }

    /// The algorithm called `name` (exactly, lowercase), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// Length of the hash in bits.
    pub fn bits(self) -> u32 {
        match self {
            Self::Phash | Self::Dhash | Self::Ahash => 64,
            Self::Blockhash => 256,
        }
    }

    /// Length of the hash in bytes.
    fn len(self) -> usize {
        self.bits() as usize / 8
    }
}

impl fmt::Display for PerceptualAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A perceptual hash together with the algorithm that made it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PerceptualHash {
    algorithm: PerceptualAlgorithm,
    bytes: Vec<u8>,
}

impl PerceptualHash {
    /// The algorithm that made this hash.
    pub fn algorithm(&self) -> PerceptualAlgorithm {
        self.algorithm
    }

    /// The hash bytes, `algorithm().bits() / 8` long.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The hash as lowercase hex, `algorithm().bits() / 4` digits.
    pub fn to_hex(&self) -> String {
        hex::to_hex(&self.bytes)
    }

    /// Reads a hash of `algorithm` from hex (either case).
    ///
    /// # Errors
    /// [`Error::InvalidHash`] when `hex` is not exactly
    /// `algorithm.bits() / 4` hex digits.
    pub fn from_hex(algorithm: PerceptualAlgorithm, hex: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidHash { kind: algorithm.name(), reason };
        let digits = algorithm.len() * 2;
        if hex.len() != digits {
            return Err(invalid(format!("expected {digits} hex digits, got {}", hex.len())));
        }
        let bytes = hex::from_hex(hex).ok_or_else(|| invalid("not hexadecimal".to_owned()))?;
        Ok(PerceptualHash { algorithm, bytes })
    }

    /// The number of differing bits, or `None` when the two hashes come from
    /// different algorithms and cannot be compared.
    pub fn distance(&self, other: &PerceptualHash) -> Option<u32> {
        if self.algorithm != other.algorithm || self.bytes.len() != other.bytes.len() {
            return None;
        }
        Some(self.bytes.iter().zip(&other.bytes).map(|(a, b)| (a ^ b).count_ones()).sum())
    }
}

impl fmt::Display for PerceptualHash {
    /// Writes the hex form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Hashes `pixels` with `algorithm`.
///
/// # Errors
/// [`Error::EmptyImage`] for an image with no pixels;
/// [`Error::LimitExceeded`] for a side longer than [`MAX_SIDE`].
pub fn hash(algorithm: PerceptualAlgorithm, pixels: Pixels<'_>) -> Result<PerceptualHash> {
    let mut hashes = hash_each(&[algorithm], pixels)?;
    hashes.pop().ok_or(Error::EmptyImage)
}

/// Hashes `pixels` with every algorithm, in the order of
/// [`PerceptualAlgorithm::ALL`].
///
/// # Errors
/// As [`hash`].
pub fn hash_all(pixels: Pixels<'_>) -> Result<Vec<PerceptualHash>> {
    hash_each(&PerceptualAlgorithm::ALL, pixels)
}

/// Hashes `pixels` with each of `algorithms`, in that order, converting the
/// pixels to grey at most once and resizing each grey height once.
///
/// # Errors
/// As [`hash`].
pub fn hash_each(algorithms: &[PerceptualAlgorithm], pixels: Pixels<'_>) -> Result<Vec<PerceptualHash>> {
    check_size(pixels)?;
    // Grey only when an algorithm needs it: a 12-megapixel conversion is
    // not free. The shrinker keeps the vertical passes dHash and aHash share.
    let grey = OnceCell::new();
    let shrinker_cell = OnceCell::new();
    let shrinker = || shrinker_cell.get_or_init(|| Shrinker::new(grey.get_or_init(|| grey_image(pixels))));
    let mut out = Vec::with_capacity(algorithms.len());
    for &algorithm in algorithms {
        out.push(match algorithm {
            PerceptualAlgorithm::Phash => phash(shrinker()),
            PerceptualAlgorithm::Dhash => dhash(shrinker()),
            PerceptualAlgorithm::Ahash => ahash(shrinker()),
            PerceptualAlgorithm::Blockhash => {
                PerceptualHash { algorithm, bytes: pack_msb_first(blockhash_bits(pixels).into_iter()) }
            }
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// image_hasher's computation, redone here
// ---------------------------------------------------------------------------
//
// Why not call image_hasher: its pHash plans its 16-point DCT with rustdct's
// `DctPlanner`, which links all of rustfft into the Wasm module (160 KB of
// its 1 MB) although a 16-point DCT never uses it; each of its hashers
// converts the whole image to grey again; its resizing (`imageops::resize`)
// and its blockhash go through a 12-megapixel image slowly (`super::resize`
// and `super::blockhash` say why). Together, 7 times slower than the steps
// below (`cargo bench --bench perceptual`).
//
// The steps are image_hasher 3.1's, call for call: grey as
// `imageops::grayscale` makes it (what its `Image::to_grayscale` does for an
// `RgbImage`), `imageops::resize` with Lanczos3 (redone to the byte by
// `super::resize`), for pHash rustdct's `Type2And3Butterfly16` (the
// algorithm the planner picks for 16 points) on the rows, then on the
// columns, the top-left 8 × 8 kept; the thresholds and the bit packing as
// its `alg` module does them; blockhash as its `alg::blockhash` does it
// (`super::blockhash`). `tests/perceptual_oracle.rs` compares every value
// with image_hasher's own on 300 generated images in three layouts and a
// 6-megapixel one, and the golden values pin them.

/// dHash: the grey image resized to 9 × 8; bit = the pixel is darker than
/// its right neighbour, row by row.
fn dhash(grey: &Shrinker<'_>) -> PerceptualHash {
    let small = grey.resize(9, 8);
    let bits = small.chunks_exact(9).flat_map(|row| row.windows(2).map(|w| w.first() < w.get(1)));
    PerceptualHash { algorithm: PerceptualAlgorithm::Dhash, bytes: pack_msb_first(bits) }
}

/// aHash: the grey image resized to 8 × 8; bit = the pixel is at least the
/// mean, the mean truncated to an integer.
fn ahash(grey: &Shrinker<'_>) -> PerceptualHash {
    let values = grey.resize(8, 8);
    let mean = values.iter().map(|&v| u32::from(v)).sum::<u32>() / values.len().max(1) as u32;
    let bits = values.iter().map(|&v| u32::from(v) >= mean);
    PerceptualHash { algorithm: PerceptualAlgorithm::Ahash, bytes: pack_msb_first(bits) }
}

/// Side of pHash's DCT input: the hash side (8) times image_hasher's
/// `SIZE_MULTIPLIER` (2).
const DCT_SIDE: usize = 16;

/// pHash's 64 bits: the grey image resized to 16 × 16, a 2-D DCT-II
/// (unnormalised, rows then columns), the top-left 8 × 8 coefficients, each
/// compared with their median (the mean of the middle two).
fn phash(grey: &Shrinker<'_>) -> PerceptualHash {
    let small = grey.resize(DCT_SIDE as u32, DCT_SIDE as u32);
    let mut values: Vec<f32> = small.iter().map(|&v| f32::from(v)).collect();
    let dct = Type2And3Butterfly16::<f32>::new();
    let mut scratch: [f32; 0] = [];
    for _pass in 0..2 {
        // A pass transforms the rows and transposes, so the second pass
        // transforms the columns and transposes back.
        for row in values.chunks_exact_mut(DCT_SIDE) {
            dct.process_dct2_with_scratch(row, &mut scratch);
        }
        values = (0..DCT_SIDE * DCT_SIDE)
            .map(|i| values.get((i % DCT_SIDE) * DCT_SIDE + i / DCT_SIDE).copied().unwrap_or(0.0))
            .collect();
    }
    let kept: Vec<f32> = values
        .chunks_exact(DCT_SIDE)
        .take(DCT_SIDE / 2)
        .flat_map(|row| row.iter().take(DCT_SIDE / 2))
        .copied()
        .collect();
    let mut sorted = kept.clone();
    crate::sort::unstable_by(&mut sorted, f32::total_cmp);
    let mid = sorted.len() / 2;
    let median = match (sorted.get(mid.wrapping_sub(1)), sorted.get(mid)) {
        (Some(&a), Some(&b)) => f32::midpoint(a, b),
        _ => 0.0,
    };
    let bits = kept.iter().map(|&c| c >= median);
    PerceptualHash { algorithm: PerceptualAlgorithm::Phash, bytes: pack_msb_first(bits) }
}

/// Packs bits eight to a byte, the first in the most significant position
/// (image_hasher's `BitOrder::MsbFirst`); a last partial byte is padded with
/// zeros.
fn pack_msb_first(bits: impl Iterator<Item = bool>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (n, bit) in bits.enumerate() {
        if n % 8 == 0 {
            bytes.push(0);
        }
        if let Some(byte) = bytes.last_mut() {
            *byte |= u8::from(bit) << (7 - n % 8);
        }
    }
    bytes
}

/// Refuses what the hashes cannot be computed for: no pixels, or a side
/// past [`MAX_SIDE`].
fn check_size(pixels: Pixels<'_>) -> Result<()> {
    let side = |limit, value: usize| match u32::try_from(value) {
        Ok(v) if v <= MAX_SIDE => Ok(v),
        _ => Err(Error::LimitExceeded { limit, requested: value as u64, max: u64::from(MAX_SIDE) }),
    };
    let width = side(Limit::Width, pixels.width())?;
    let height = side(Limit::Height, pixels.height())?;
    if width == 0 || height == 0 {
        return Err(Error::EmptyImage);
    }
    Ok(())
}

/// The grey image image_hasher starts from: `image`'s luma of the RGB
/// pixels (alpha dropped, grey as it is), `(2126 R + 7152 G + 722 B) /
/// 10000` in integers, as `imageops::grayscale` computes it.
fn grey_image(pixels: Pixels<'_>) -> GrayImage {
    let data = pixels.data();
    let luma =
        |r: &u8, g: &u8, b: &u8| ((2126 * u32::from(*r) + 7152 * u32::from(*g) + 722 * u32::from(*b)) / 10000) as u8;
    let grey: Vec<u8> = match pixels.layout() {
        PixelLayout::Luma => data.to_vec(),
        PixelLayout::Rgb => data.as_chunks::<3>().0.iter().map(|[r, g, b]| luma(r, g, b)).collect(),
        PixelLayout::Rgba => data.as_chunks::<4>().0.iter().map(|[r, g, b, _]| luma(r, g, b)).collect(),
    };
    // Width and height checked by `check_size`; the length is theirs.
    GrayImage::from_raw(pixels.width() as u32, pixels.height() as u32, grey).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)] // tests: a panic is a failure
mod tests {
    use super::*;

    /// 97 × 61 RGB: a red ramp across, a green ring pattern, a blue ramp
    /// down crossed with the coordinates' bits.
    fn gradient() -> Vec<u8> {
        (0..61u32)
            .flat_map(|y| {
                (0..97u32).flat_map(move |x| {
                    let rings = (x * x + 3 * y * y) / 11;
                    [(x * 255 / 96) as u8, rings as u8, ((y * 255 / 60) ^ (x & y)) as u8]
                })
            })
            .collect()
    }

    /// 300 × 200 RGB checkerboard of 25-pixel squares, dark blue and cream.
    fn checker() -> Vec<u8> {
        (0..200u32)
            .flat_map(|y| {
                (0..300u32).flat_map(move |x| if (x / 25 + y / 25) % 2 == 0 { [20, 30, 90] } else { [240, 230, 200] })
            })
            .collect()
    }

    fn rgb(data: &[u8], width: u32, height: u32) -> Pixels<'_> {
        Pixels::new(data, width, height, PixelLayout::Rgb).unwrap()
    }

    fn hexes(pixels: Pixels<'_>) -> Vec<String> {
        hash_all(pixels).unwrap().iter().map(PerceptualHash::to_hex).collect()
    }

    /// Any change here means lists built with earlier hashes no longer
    /// match: do not update these values, add a new algorithm instead.
    #[test]
    fn golden_values() {
        let gradient = gradient();
        assert_eq!(
            hexes(rgb(&gradient, 97, 61)),
            [
                "860e0e1cb9f9f307",
                "f5e5ea93ed9fefdf",
                "171727cf174f3f7f",
                "019f01bf0337037f027f000518ffc1ff03ff0eff000903bf06ff81ff0e7f0009",
            ]
        );
        let checker = checker();
        assert_eq!(
            hexes(rgb(&checker, 300, 200)),
            [
                "ffaaffaaffaaffaa",
                "9924db24db24db24",
                "5dbe7dbe7dbe7dba",
                "6969696996969696696969699696969669696969969696966969696996969696",
            ]
        );
    }

    #[test]
    fn hash_matches_hash_all() {
        let gradient = gradient();
        let all = hash_all(rgb(&gradient, 97, 61)).unwrap();
        for (alg, expected) in PerceptualAlgorithm::ALL.into_iter().zip(&all) {
            let one = hash(alg, rgb(&gradient, 97, 61)).unwrap();
            assert_eq!(&one, expected);
            assert_eq!(one.algorithm(), alg);
            assert_eq!(one.as_bytes().len() * 8, alg.bits() as usize);
            assert_eq!(one.to_hex().len() * 4, alg.bits() as usize);
        }
    }

    #[test]
    fn every_layout_hashes_as_its_rgb() {
        let gradient = gradient();
        let rgba: Vec<u8> =
            gradient.as_chunks::<3>().0.iter().enumerate().flat_map(|(i, &[r, g, b])| [r, g, b, i as u8]).collect();
        let rgba = Pixels::new(&rgba, 97, 61, PixelLayout::Rgba).unwrap();
        assert_eq!(hexes(rgba), hexes(rgb(&gradient, 97, 61)));

        let grey: Vec<u8> = (0..97 * 61).map(|i| (i * 7 % 256) as u8).collect();
        let expanded: Vec<u8> = grey.iter().flat_map(|&v| [v, v, v]).collect();
        let grey = Pixels::new(&grey, 97, 61, PixelLayout::Luma).unwrap();
        assert_eq!(hexes(grey), hexes(rgb(&expanded, 97, 61)));
    }

    #[test]
    fn tiny_and_thin_images_hash() {
        for (w, h) in [(1, 1), (1, 2), (2, 1), (3, 2), (1, 300), (300, 1), (15, 17), (16, 16)] {
            let data: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 256) as u8).collect();
            let hashes = hash_all(rgb(&data, w, h)).unwrap();
            assert_eq!(hashes.len(), 4, "{w}×{h}");
        }
    }

    #[test]
    fn empty_and_oversized_images_are_refused() {
        for (w, h) in [(0, 0), (0, 5), (5, 0)] {
            let pixels = Pixels::new(&[], w, h, PixelLayout::Rgb).unwrap();
            assert_eq!(hash_all(pixels), Err(Error::EmptyImage));
            assert_eq!(hash(PerceptualAlgorithm::Dhash, pixels), Err(Error::EmptyImage));
        }
        let strip = vec![0; MAX_SIDE as usize + 1];
        let tall = Pixels::new(&strip, 1, MAX_SIDE + 1, PixelLayout::Luma).unwrap();
        assert_eq!(
            hash(PerceptualAlgorithm::Blockhash, tall),
            Err(Error::LimitExceeded {
                limit: Limit::Height,
                requested: u64::from(MAX_SIDE) + 1,
                max: u64::from(MAX_SIDE)
            })
        );
    }

    #[test]
    fn distance_counts_differing_bits() {
        let gradient = gradient();
        let checker = checker();
        let a = hash_all(rgb(&gradient, 97, 61)).unwrap();
        let b = hash_all(rgb(&checker, 300, 200)).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.distance(x), Some(0));
            let d = x.distance(y).unwrap();
            assert_eq!(y.distance(x), Some(d));
            assert!(d > 0 && d <= x.algorithm().bits());
        }
        assert_eq!(a[0].distance(&a[1]), None); // phash against dhash
        let zero = PerceptualHash::from_hex(PerceptualAlgorithm::Ahash, "0000000000000000").unwrap();
        let ones = PerceptualHash::from_hex(PerceptualAlgorithm::Ahash, "ffffffff000000f1").unwrap();
        assert_eq!(zero.distance(&ones), Some(37));
    }

    #[test]
    fn hex_round_trips_and_refuses_bad_lengths() {
        let gradient = gradient();
        for h in hash_all(rgb(&gradient, 97, 61)).unwrap() {
            let hex = h.to_hex();
            assert_eq!(PerceptualHash::from_hex(h.algorithm(), &hex), Ok(h.clone()));
            assert_eq!(PerceptualHash::from_hex(h.algorithm(), &hex.to_uppercase()), Ok(h.clone()));
            assert_eq!(h.to_string(), hex);
            for bad in [&hex[1..], &hex[2..], &format!("{hex}0"), &format!("{hex}00"), ""] {
                let err = PerceptualHash::from_hex(h.algorithm(), bad).unwrap_err();
                assert!(matches!(err, Error::InvalidHash { kind, .. } if kind == h.algorithm().name()), "{err:?}");
            }
        }
        let err = PerceptualHash::from_hex(PerceptualAlgorithm::Dhash, "0123456789abcdeg");
        assert!(matches!(err, Err(Error::InvalidHash { kind: "dhash", .. })), "{err:?}");
        // A blockhash is not a valid phash, whatever its digits.
        let long = "0".repeat(64);
        assert!(PerceptualHash::from_hex(PerceptualAlgorithm::Phash, &long).is_err());
        assert!(PerceptualHash::from_hex(PerceptualAlgorithm::Blockhash, &long).is_ok());
    }

    #[test]
    fn names_round_trip() {
        let names: Vec<_> = PerceptualAlgorithm::ALL.map(PerceptualAlgorithm::name).into();
        assert_eq!(names, ["phash", "dhash", "ahash", "blockhash"]);
        for alg in PerceptualAlgorithm::ALL {
            assert_eq!(PerceptualAlgorithm::from_name(alg.name()), Some(alg));
            assert_eq!(alg.to_string(), alg.name());
        }
        assert_eq!(PerceptualAlgorithm::from_name("PHASH"), None);
        assert_eq!(PerceptualAlgorithm::from_name("pdq"), None);
        let bits: Vec<_> = PerceptualAlgorithm::ALL.map(PerceptualAlgorithm::bits).into();
        assert_eq!(bits, [64, 64, 64, 256]);
    }
}
