//! Untrusted bytes to 8-bit RGB pixels.
//!
//! [`decode`] recognises JPEG, PNG, GIF, WebP and BMP by their magic bytes
//! (never by a file name), reads the dimensions the file declares and refuses
//! an image larger than its [`Limits`] before any pixel buffer exists. It
//! then decodes with the `image` crate and converts the result the way
//! Pillow's `Image.convert("RGB")` does, because that is how the reference
//! hash tools see an image:
//!
//! * alpha is dropped, not composited onto any background;
//! * grey and palette images are expanded to three equal or looked-up
//!   channels;
//! * 16-bit PNG samples keep their high byte (`v >> 8`), except 16-bit
//!   greyscale, which Pillow opens as mode `I;16` and clamps (`min(v, 255)`);
//! * the EXIF orientation is reported ([`DecodedImage::orientation`]) but
//!   not applied, and ICC profiles and gamma are ignored;
//! * an animated GIF or WebP yields its first frame only.
//!
//! It refuses every other format, any file whose decoder fails, and images
//! with no pixels. The decoders never see a file whose pixel buffers would
//! break the limits, and what they allocate on the side is budgeted from the
//! same [`Limits::max_alloc`].

use std::io::Cursor;

use image::error::LimitErrorKind;
use image::metadata::Orientation;
use image::{ColorType, ImageDecoder, ImageError, ImageReader};

use crate::error::{Error, Result};
use crate::pixels::{PixelLayout, Pixels};

/// Default longest accepted side, in pixels: the largest canvas side that
/// Chrome and Firefox draw (32 767), rounded up, so any image a web page can
/// show passes. Memory is bounded by [`DEFAULT_MAX_PIXELS`]; this limit only
/// turns away degenerate strips (1 × 1 000 000) that no camera or screen
/// makes and that a 100 000-pixel-wide declaration is the usual sign of.
pub const DEFAULT_MAX_SIDE: u32 = 32_768;

/// Default largest accepted pixel count: 64 Mi (67 108 864) pixels. Every
/// photograph in ordinary use passes (12 MP phone photos, 48 and 50 MP phone
/// full-resolution modes, 61 MP full-frame cameras); 100 MP and larger
/// phone modes, medium format and scans do not. At 8 bytes a pixel, the
/// widest buffer a decoder hands over (16-bit RGBA), it exactly fills
/// [`DEFAULT_MAX_ALLOC`], so no image inside this limit is refused for the
/// size of its own buffers.
pub const DEFAULT_MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// Default allocation budget for one decode: 512 MiB. It is the `image`
/// crate's own default, an eighth of the 4 GiB a wasm32 module can address,
/// and leaves the rest of a browser tab's memory to the page, including on
/// phones.
pub const DEFAULT_MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// Resource limits for [`decode`].
///
/// Every limit is checked against what the file declares, before the pixel
/// buffers are allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted width, in pixels.
    pub max_width: u32,
    /// Largest accepted height, in pixels.
    pub max_height: u32,
    /// Largest accepted width × height.
    pub max_pixels: u64,
    /// Largest number of bytes the decode may hold at once: the decoder's
    /// output buffer, the RGB buffer when it cannot reuse the output, and
    /// the working memory of the decoders that account for it (PNG and GIF).
    pub max_alloc: u64,
}

impl Default for Limits {
    /// Limits sized for one image in a browser tab; see
    /// [`DEFAULT_MAX_SIDE`], [`DEFAULT_MAX_PIXELS`] and
    /// [`DEFAULT_MAX_ALLOC`] for the reasons.
    fn default() -> Self {
        Limits {
            max_width: DEFAULT_MAX_SIDE,
            max_height: DEFAULT_MAX_SIDE,
            max_pixels: DEFAULT_MAX_PIXELS,
            max_alloc: DEFAULT_MAX_ALLOC,
        }
    }
}

/// The image formats [`decode`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// JPEG (JFIF, Exif), baseline and progressive.
    Jpeg,
    /// PNG, including APNG (whose default image is decoded).
    Png,
    /// GIF 87a and 89a.
    Gif,
    /// WebP, lossy and lossless.
    WebP,
    /// Windows BMP.
    Bmp,
}

impl ImageFormat {
    /// The lowercase name: `"jpeg"`, `"png"`, `"gif"`, `"webp"` or `"bmp"`.
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Png => "png",
            ImageFormat::Gif => "gif",
            ImageFormat::WebP => "webp",
            ImageFormat::Bmp => "bmp",
        }
    }

    fn to_image(self) -> image::ImageFormat {
        match self {
            ImageFormat::Jpeg => image::ImageFormat::Jpeg,
            ImageFormat::Png => image::ImageFormat::Png,
            ImageFormat::Gif => image::ImageFormat::Gif,
            ImageFormat::WebP => image::ImageFormat::WebP,
            ImageFormat::Bmp => image::ImageFormat::Bmp,
        }
    }
}

/// The format of `bytes`, judged by its magic bytes alone; `None` when it is
/// none of the supported formats.
///
/// A match says what the file claims to be, not that it is valid.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(b"\xff\xd8\xff") {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(PNG) {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(ImageFormat::WebP)
    } else if bytes.starts_with(b"BM") {
        Some(ImageFormat::Bmp)
    } else {
        None
    }
}

/// A decoded image: 8-bit RGB pixels, row-major, top row first, exactly as
/// stored in the file (orientation not applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedImage {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    format: ImageFormat,
    orientation: Option<u8>,
}

impl DecodedImage {
    /// Width in pixels, as stored (before any EXIF rotation).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels, as stored (before any EXIF rotation).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The RGB bytes, `width * height * 3` long.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// Takes the RGB bytes out.
    pub fn into_rgb(self) -> Vec<u8> {
        self.rgb
    }

    /// The format the bytes were decoded as.
    pub fn format(&self) -> ImageFormat {
        self.format
    }

    /// The EXIF orientation tag (1 to 8) when the file carries a valid one,
    /// whether 1 (upright) or not. It is reported, never applied: the pixels
    /// are as stored.
    pub fn orientation(&self) -> Option<u8> {
        self.orientation
    }

    /// The pixels as an RGB [`Pixels`] view, ready for the hashers.
    pub fn pixels(&self) -> Pixels<'_> {
        // `decode` builds `rgb` to exactly `width * height * 3` bytes, so the
        // check cannot fail; the empty view only keeps this infallible.
        Pixels::new(&self.rgb, self.width, self.height, PixelLayout::Rgb)
            .unwrap_or_else(|_| Pixels::empty())
    }
}

/// Decodes untrusted `bytes` to RGB under `limits`.
///
/// # Errors
/// * [`Error::UnsupportedFormat`] when the magic bytes are not JPEG, PNG,
///   GIF, WebP or BMP.
/// * [`Error::LimitExceeded`] when the declared width, height, pixel count or
///   the memory the decode needs exceeds `limits`; checked before the pixel
///   buffers are allocated. When it is a decoder that runs out of its
///   working-memory budget, it does not say how much it wanted: `requested`
///   is then `max + 1`.
/// * [`Error::EmptyImage`] when the image is zero pixels wide or high.
/// * [`Error::Decode`] when the file is truncated, corrupt or uses a feature
///   the decoder does not support.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<DecodedImage> {
    let format = sniff(bytes).ok_or(Error::UnsupportedFormat)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image());
    // Dimensions are checked below, by us, so the error can name the limit;
    // the budget bounds what the header parsers may allocate meanwhile.
    let mut budget = image::Limits::no_limits();
    budget.max_alloc = Some(limits.max_alloc);
    reader.limits(budget.clone());
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(e, limits))?;

    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    let color = decoder.color_type();
    let pixel_count = usize::try_from(u64::from(width) * u64::from(height))
        .map_err(|_| too_big(u64::from(width) * u64::from(height)))?;
    let output_len = decoder.total_bytes();
    let rgb_len = u64::from(width) * u64::from(height) * 3;
    let peak = if expands(color) { output_len.saturating_add(rgb_len) } else { output_len };
    if peak > limits.max_alloc {
        return Err(Error::LimitExceeded {
            limit: "allocation",
            requested: peak,
            max: limits.max_alloc,
        });
    }

    let orientation = orientation(&mut decoder);
    // What is left of the budget is the decoder's working memory.
    budget.max_image_width = Some(limits.max_width);
    budget.max_image_height = Some(limits.max_height);
    budget.max_alloc = Some(limits.max_alloc - peak);
    decoder.set_limits(budget).map_err(|e| decode_error(e, limits))?;

    let mut output = zeroed(output_len)?;
    decoder.read_image(&mut output).map_err(|e| decode_error(e, limits))?;
    let png_grey = format == ImageFormat::Png && png_color_type(bytes) == Some(0);
    let rgb = to_rgb(color, output, pixel_count, png_grey)?;
    if rgb.len() as u64 != rgb_len {
        return Err(Error::Decode(format!(
            "decoder produced {} bytes of RGB for {width}×{height} pixels",
            rgb.len()
        )));
    }
    Ok(DecodedImage { width, height, rgb, format, orientation })
}

/// Refuses dimensions outside `limits`, and empty images.
fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<()> {
    let exceeded = |limit, requested, max| Err(Error::LimitExceeded { limit, requested, max });
    if width > limits.max_width {
        return exceeded("width", u64::from(width), u64::from(limits.max_width));
    }
    if height > limits.max_height {
        return exceeded("height", u64::from(height), u64::from(limits.max_height));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return exceeded("pixels", pixels, limits.max_pixels);
    }
    if pixels == 0 {
        return Err(Error::EmptyImage);
    }
    Ok(())
}

/// Maps an `image` error: a decoder out of its memory budget is a limit,
/// everything else a decode failure.
fn decode_error(error: ImageError, limits: &Limits) -> Error {
    match error {
        ImageError::Limits(e) if e.kind() == LimitErrorKind::InsufficientMemory => {
            Error::LimitExceeded {
                limit: "allocation",
                requested: limits.max_alloc.saturating_add(1),
                max: limits.max_alloc,
            }
        }
        other => Error::Decode(other.to_string()),
    }
}

/// A buffer larger than this machine's address space.
fn too_big(requested: u64) -> Error {
    Error::LimitExceeded { limit: "allocation", requested, max: usize::MAX as u64 }
}

/// A zeroed buffer of `len` bytes, or an error if it cannot be had.
fn zeroed(len: u64) -> Result<Vec<u8>> {
    let len_usize = usize::try_from(len).map_err(|_| too_big(len))?;
    let mut buf = Vec::new();
    buf.try_reserve_exact(len_usize)
        .map_err(|_| Error::Decode(format!("cannot allocate {len} bytes for the pixels")))?;
    buf.resize(len_usize, 0);
    Ok(buf)
}

/// The EXIF orientation tag, if the file has a readable one.
///
/// Metadata that cannot be read is treated as absent: orientation is only
/// reported, and a broken Exif block must not stop the pixels from being
/// hashed.
fn orientation(decoder: &mut impl ImageDecoder) -> Option<u8> {
    let exif = decoder.exif_metadata().ok().flatten()?;
    // Some writers keep the JPEG APP1 "Exif\0\0" prefix in PNG and WebP.
    let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(&exif);
    Orientation::from_exif_chunk(tiff).map(Orientation::to_exif)
}

/// The colour type byte of a PNG's IHDR (0 grey, 2 RGB, 3 palette, 4 grey
/// with alpha, 6 RGBA); the IHDR is the first chunk, so it sits at a fixed
/// offset.
fn png_color_type(bytes: &[u8]) -> Option<u8> {
    bytes.get(25).copied()
}

/// Whether converting `color` to RGB needs a second buffer (grey to RGB
/// grows) rather than shrinking the decoder's buffer in place.
fn expands(color: ColorType) -> bool {
    matches!(color, ColorType::L8 | ColorType::La8 | ColorType::L16 | ColorType::La16)
}

/// Index of the most significant byte in a native-endian `u16`, as the
/// decoders deliver 16-bit samples.
const HIGH: usize = if cfg!(target_endian = "little") { 1 } else { 0 };

/// Converts the decoder's output to RGB the way Pillow's `convert("RGB")`
/// does. `png_grey` says the file is a greyscale PNG, whose 16-bit samples
/// Pillow clamps instead of shifting (it may arrive as `La16` when a tRNS
/// chunk gave it an alpha channel).
fn to_rgb(color: ColorType, output: Vec<u8>, pixels: usize, png_grey: bool) -> Result<Vec<u8>> {
    let high = |s: [u8; 2]| s[HIGH];
    let clamp = |s: [u8; 2]| u8::try_from(u16::from_ne_bytes(s)).unwrap_or(u8::MAX);
    let grey16 = |s: [u8; 2]| if png_grey { clamp(s) } else { high(s) };
    match color {
        ColorType::Rgb8 => Ok(output),
        ColorType::Rgba8 => Ok(keep(output, 4, |i| i < 3)),
        ColorType::Rgb16 => Ok(keep(output, 6, |i| i % 2 == HIGH)),
        ColorType::Rgba16 => Ok(keep(output, 8, |i| i < 6 && i % 2 == HIGH)),
        ColorType::L8 => grey_to_rgb(output.iter().copied(), pixels),
        ColorType::La8 => grey_to_rgb(output.as_chunks::<2>().0.iter().map(|&[l, _]| l), pixels),
        ColorType::L16 => grey_to_rgb(output.as_chunks::<2>().0.iter().map(|&l| grey16(l)), pixels),
        ColorType::La16 => grey_to_rgb(
            output.as_chunks::<4>().0.iter().map(|&[a, b, _, _]| grey16([a, b])),
            pixels,
        ),
        other => Err(Error::Decode(format!("unsupported pixel type {other:?}"))),
    }
}

/// Keeps, in place, the bytes whose offset within their `stride`-byte pixel
/// satisfies `wanted`.
fn keep(mut buf: Vec<u8>, stride: usize, wanted: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut offset = 0;
    buf.retain(|_| {
        let kept = wanted(offset);
        offset = (offset + 1) % stride;
        kept
    });
    buf.shrink_to_fit();
    buf
}

/// Expands grey samples to RGB triples.
fn grey_to_rgb(grey: impl Iterator<Item = u8>, pixels: usize) -> Result<Vec<u8>> {
    let len = pixels.checked_mul(3).ok_or(too_big(u64::MAX))?;
    let mut rgb = Vec::new();
    rgb.try_reserve_exact(len)
        .map_err(|_| Error::Decode(format!("cannot allocate {len} bytes for the pixels")))?;
    for v in grey {
        rgb.extend_from_slice(&[v, v, v]);
    }
    Ok(rgb)
}
