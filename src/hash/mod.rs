//! Image and file hashes.
//!
//! * [`pdq`]: Meta's PDQ perceptual hash.
//! * [`perceptual`]: the named `image_hasher` configurations.
//! * [`digest`]: cryptographic digests of the file bytes.
//! * [`vpdq`]: Meta's vPDQ video hash, a PDQ hash of every n-th frame.
//!
//! [`hash_file`] runs the whole pipeline on one file's bytes: digests of
//! the bytes, then decode under limits, then every image hash of the
//! pixels.

mod blockhash;
pub mod digest;
pub mod pdq;
pub mod perceptual;
pub mod vpdq;
mod resize;

use crate::decode::{self, ImageFormat, Limits};
use crate::error::Result;
use crate::pixels::Pixels;

use digest::FileDigests;
use pdq::{PdqDihedral, PdqResult};
use perceptual::PerceptualHash;

/// What [`hash_file`] computes, and under which limits.
#[derive(Debug, Clone, Default)]
pub struct HashOptions {
    /// Limits for decoding the image.
    pub limits: Limits,
    /// Also compute the PDQ hashes of the eight rotations and mirrors.
    pub dihedral: bool,
}

/// The perceptual hashes of one image's pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageHashes {
    /// PDQ hash and quality.
    pub pdq: PdqResult,
    /// PDQ of the eight rotations and mirrors, when asked for.
    pub pdq_dihedral: Option<PdqDihedral>,
    /// The `image_hasher` hashes, one per [`perceptual::PerceptualAlgorithm`].
    pub perceptual: Vec<PerceptualHash>,
}

/// Everything prescan computes for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHashes {
    /// The format sniffed from the bytes.
    pub format: ImageFormat,
    /// Width of the decoded image, in pixels.
    pub width: u32,
    /// Height of the decoded image, in pixels.
    pub height: u32,
    /// The EXIF orientation tag (1 to 8) the file carries, if any. The
    /// hashes are of the stored pixels: the orientation is not applied.
    pub orientation: Option<u8>,
    /// Digests of the file bytes.
    pub digests: FileDigests,
    /// Perceptual hashes of the decoded pixels.
    pub image: ImageHashes,
}

/// Every image hash of `pixels`: PDQ (and, if `dihedral`, its eight
/// variants) and each perceptual configuration.
///
/// # Errors
/// Those of [`perceptual::hash_all`] (an image with no pixels).
pub fn hash_pixels(pixels: Pixels<'_>, dihedral: bool) -> Result<ImageHashes> {
    let (pdq, pdq_dihedral) = if dihedral {
        let all = pdq::hash_dihedral(pixels);
        // The variants come from the same blur as the plain hash, except
        // for 64×64 images, where the reference's plain hash skips it.
        let plain = if pixels.width() == 64 && pixels.height() == 64 {
            pdq::hash(pixels)
        } else {
            PdqResult { hash: all.get(pdq::Dihedral::Original), quality: all.quality }
        };
        (plain, Some(all))
    } else {
        (pdq::hash(pixels), None)
    };
    Ok(ImageHashes { pdq, pdq_dihedral, perceptual: perceptual::hash_all(pixels)? })
}

/// How many bits `hash` is from the nearest constant hash (all zeros or
/// all ones): its Hamming distance to whichever of the two is closer.
///
/// A flat image hashes to a constant under every perceptual hash (pHash and
/// aHash of a flat image are all ones, dHash all zeros), so a hash within
/// a match threshold of a constant is what a featureless image gives: it
/// carries no information about a picture. The importer refuses such list
/// entries and the checker does not match such computed hashes.
pub fn bits_from_constant(hash: &[u8]) -> u32 {
    let ones: u32 = hash.iter().map(|b| b.count_ones()).sum();
    let bits = u32::try_from(hash.len() * 8).unwrap_or(u32::MAX);
    ones.min(bits.saturating_sub(ones))
}

/// Digests of `bytes`, then decode them under `options.limits` and hash
/// the pixels.
///
/// # Errors
/// Those of [`decode::decode`] and [`hash_pixels`].
pub fn hash_file(bytes: &[u8], options: &HashOptions) -> Result<FileHashes> {
    let digests = FileDigests::of(bytes);
    let image = decode::decode(bytes, &options.limits)?;
    Ok(FileHashes {
        format: image.format(),
        width: image.width(),
        height: image.height(),
        orientation: image.orientation(),
        digests,
        image: hash_pixels(image.pixels(), options.dihedral)?,
    })
}
