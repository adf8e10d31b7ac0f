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
mod resize;
pub mod vpdq;

pub use crate::bits::bits_from_constant;
use crate::decode::{self, ImageFormat, Limits};
use crate::error::Result;
use crate::pixels::Pixels;

use digest::FileDigests;
use pdq::{PdqDihedral, PdqResult};
use perceptual::{PerceptualAlgorithm, PerceptualHash};

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
    let pass = hash_image(pixels, dihedral, &PerceptualAlgorithm::ALL);
    Ok(ImageHashes { pdq: pass.pdq, pdq_dihedral: pass.pdq_dihedral, perceptual: pass.perceptual? })
}

/// What [`hash_image`] computes of an image: [`ImageHashes`], with the
/// perceptual hashes' own outcome, so that a caller that can do without
/// them (a check, which still has PDQ) does.
#[derive(Debug)]
pub(crate) struct ImagePass {
    pub(crate) pdq: PdqResult,
    pub(crate) pdq_dihedral: Option<PdqDihedral>,
    pub(crate) perceptual: Result<Vec<PerceptualHash>>,
}

/// The image half of the pipeline, the one every face runs: PDQ as the
/// reference hashes the pixels (with its eight variants from one DCT when
/// `dihedral`: [`pdq::hash_and_dihedral`]), and the perceptual hashes of
/// `algorithms`, computed together.
// Not inlined: each face's entry point carried a copy (0.2 KB of the Wasm
// module gzipped); it runs once a file, so the call costs nothing.
#[inline(never)]
pub(crate) fn hash_image(pixels: Pixels<'_>, dihedral: bool, algorithms: &[PerceptualAlgorithm]) -> ImagePass {
    let (pdq, pdq_dihedral) = if dihedral {
        let (plain, all) = pdq::hash_and_dihedral(pixels);
        (plain, Some(all))
    } else {
        (pdq::hash(pixels), None)
    };
    ImagePass { pdq, pdq_dihedral, perceptual: perceptual::hash_each(algorithms, pixels) }
}

/// What [`hash_bytes`] computes of a file: its digests (when asked for),
/// and what was decoded and hashed, or why the bytes did not decode.
#[derive(Debug)]
pub(crate) struct FilePass {
    pub(crate) digests: Option<FileDigests>,
    pub(crate) image: Result<(DecodedInfo, ImagePass)>,
}

/// What decoding told of an image, besides its pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecodedInfo {
    pub(crate) format: ImageFormat,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) orientation: Option<u8>,
}

/// The pipeline on one file's bytes, the one path that [`hash_file`] and
/// the check ([`crate::check::hash_for`]) both run: digests of the bytes
/// (when `digests`: a check against a list without digests skips them),
/// then decode under `limits`, then [`hash_image`]. A file that does not
/// decode still has its digests: a check matches them all the same.
pub(crate) fn hash_bytes(
    bytes: &[u8],
    limits: &Limits,
    digests: bool,
    dihedral: bool,
    algorithms: &[PerceptualAlgorithm],
) -> FilePass {
    let digests = digests.then(|| FileDigests::of(bytes));
    let image = decode::decode(bytes, limits).map(|image| {
        let info = DecodedInfo {
            format: image.format(),
            width: image.width(),
            height: image.height(),
            orientation: image.orientation(),
        };
        (info, hash_image(image.pixels(), dihedral, algorithms))
    });
    FilePass { digests, image }
}

/// Digests of `bytes`, then decode them under `options.limits` and hash
/// the pixels: every hash prescan computes of one file.
///
/// # Errors
/// Those of [`decode::decode`] and [`hash_pixels`].
pub fn hash_file(bytes: &[u8], options: &HashOptions) -> Result<FileHashes> {
    let pass = hash_bytes(bytes, &options.limits, true, options.dihedral, &PerceptualAlgorithm::ALL);
    let (info, image) = pass.image?;
    Ok(FileHashes {
        format: info.format,
        width: info.width,
        height: info.height,
        orientation: info.orientation,
        // Asked for above: always there.
        digests: pass.digests.unwrap_or_else(|| FileDigests::of(bytes)),
        image: ImageHashes { pdq: image.pdq, pdq_dihedral: image.pdq_dihedral, perceptual: image.perceptual? },
    })
}
