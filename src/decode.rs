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
//! * an animated GIF or WebP yields its first frame only, and the GIF screen
//!   around a smaller first frame is filled as Pillow fills it.
//!
//! PNG, GIF, BMP and WebP (lossless and lossy) come out identical to
//! Pillow's. JPEG does not quite: `image` decodes it with zune-jpeg, whose
//! IDCT and chroma upsampling differ from libjpeg's, so samples can differ
//! from Pillow's by a few levels.
//!
//! It refuses every other format, any file whose decoder fails, and images
//! with no pixels. The decoders never see a file whose pixel buffers would
//! break the limits, and what they allocate on the side is budgeted from the
//! same [`Limits::max_alloc`].

use std::io::Cursor;

use image::error::LimitErrorKind;
use image::metadata::Orientation;
use image::{ColorType, ImageDecoder, ImageError, ImageReader};

use crate::error::{Cause, Error, Limit, Result};
use crate::pixels::{PixelLayout, Pixels};

/// Default longest accepted side: 32 768 pixels, just above the largest
/// canvas side Chrome and Firefox draw (32 767), so any image a web page can
/// show passes, panoramas included. Memory is bounded by
/// [`DEFAULT_MAX_PIXELS`]; this limit turns away degenerate strips
/// (1 × 1 000 000) that no camera makes, and the 100 000-pixel sides of
/// decompression bombs before any arithmetic on them.
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

/// Default largest file decoded: 256 MiB. A 64-megapixel PNG barely
/// compressed stays under it; anything larger is no photograph a person
/// uploads as an image, and a browser should not read it whole to find out.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

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
    /// the working memory of the decoders: counted by PNG and GIF as they
    /// go, estimated from the header for progressive JPEG (its DCT
    /// coefficients) and WebP (its planes) before they start.
    pub max_alloc: u64,
    /// Largest file, in bytes: a larger one is not decoded.
    pub max_file_bytes: u64,
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
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

impl Limits {
    /// Refuses an image of `width` × `height` pixels that these limits do
    /// not admit, and an empty one.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] naming the width, height or pixel limit;
    /// [`Error::EmptyImage`].
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<()> {
        check_dimensions(width, height, self)
    }
}

/// What an image file's header declares, read without decoding pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderInfo {
    /// `"jpeg"`, `"png"`, `"gif"`, `"webp"`, `"bmp"` (formats [`decode`]
    /// reads), or `"avif"`, `"heif"` (formats only a browser decodes).
    pub format: &'static str,
    /// Declared width, in pixels.
    pub width: u32,
    /// Declared height, in pixels.
    pub height: u32,
}

/// The format and dimensions an image file declares, from its header
/// alone: for checking limits before a decoder that has none of its own
/// (a browser's) is handed the file. `None` when the header is not one
/// this reads. For AVIF and HEIF, the largest `ispe` (image spatial
/// extent) property of the file, so a grid image gives its whole size.
///
/// Never panics; reads at most the file's header boxes or segments.
pub fn header_info(bytes: &[u8]) -> Option<HeaderInfo> {
    // PNG and JPEG read here, from the IHDR chunk and the frame header:
    // the png crate wants more of the file (up to the first IDAT) before
    // it tells the size, which a browser does not.
    match sniff(bytes) {
        Some(ImageFormat::Png) if bytes.get(12..16) == Some(b"IHDR") => {
            let be = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
            return Some(HeaderInfo { format: "png", width: be(16)?, height: be(20)? });
        }
        Some(ImageFormat::Jpeg) => {
            if let Some((_, &[_, h0, h1, w0, w1, ..])) = jpeg_frame(bytes) {
                let (width, height) = (u16::from_be_bytes([w0, w1]), u16::from_be_bytes([h0, h1]));
                return Some(HeaderInfo { format: "jpeg", width: width.into(), height: height.into() });
            }
        }
        _ => {}
    }
    if let Some(format) = sniff(bytes) {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image());
        let mut budget = image::Limits::no_limits();
        budget.max_alloc = Some(DEFAULT_MAX_ALLOC);
        reader.limits(budget);
        let (width, height) = reader.into_decoder().ok()?.dimensions();
        return Some(HeaderInfo { format: format.name(), width, height });
    }
    isobmff::image_info(bytes)
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
        Pixels::new(&self.rgb, self.width, self.height, PixelLayout::Rgb).unwrap_or_else(|_| Pixels::empty())
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
    let file_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if file_bytes > limits.max_file_bytes {
        return Err(Error::LimitExceeded {
            limit: Limit::FileBytes,
            requested: file_bytes,
            max: limits.max_file_bytes,
        });
    }
    let format = sniff(bytes).ok_or(Error::UnsupportedFormat)?;
    if format == ImageFormat::Jpeg && jpeg_is_truncated(bytes) {
        // zune-jpeg pads a cut-off scan with grey and succeeds; Pillow (the
        // reference pipeline) refuses such a file, and so do we.
        return Err(Error::Decode("truncated JPEG: no end-of-image marker after the scan".into()));
    }
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
    let pixels = u64::from(width) * u64::from(height);
    let pixel_count = usize::try_from(pixels).map_err(|_| too_big(pixels))?;
    let output_len = decoder.total_bytes();
    let rgb_len = pixels * 3;
    let peak = if expands(color) { output_len.saturating_add(rgb_len) } else { output_len };
    // Decoders that do not count their own working memory: estimated from
    // the header, so that what they allocate stays within the budget too.
    let working = match format {
        ImageFormat::Jpeg => jpeg_coefficient_bytes(bytes).unwrap_or(0),
        ImageFormat::WebP => webp_working_bytes(bytes, pixels),
        _ => 0,
    };
    let peak = peak.saturating_add(working);
    if peak > limits.max_alloc {
        return Err(Error::LimitExceeded { limit: Limit::Allocation, requested: peak, max: limits.max_alloc });
    }

    let orientation = orientation(&mut decoder);
    // What is left of the budget is the decoder's working memory.
    budget.max_image_width = Some(limits.max_width);
    budget.max_image_height = Some(limits.max_height);
    budget.max_alloc = Some(limits.max_alloc.saturating_sub(peak));
    decoder.set_limits(budget).map_err(|e| decode_error(e, limits))?;

    let mut output = zeroed(output_len)?;
    decoder.read_image(&mut output).map_err(|e| decode_error(e, limits))?;
    let png_grey = format == ImageFormat::Png && png_color_type(bytes) == Some(0);
    let mut rgb = to_rgb(color, output, pixel_count, png_grey)?;
    if format == ImageFormat::Gif {
        fill_around_gif_frame(bytes, &mut rgb, width);
    }
    if rgb.len() as u64 != rgb_len {
        return Err(Error::Decode(
            format!("decoder produced {} bytes of RGB for {width}×{height} pixels", rgb.len()).into(),
        ));
    }
    Ok(DecodedImage { width, height, rgb, format, orientation })
}

/// Whether a JPEG stops before its end-of-image marker: walks the marker
/// segments to the first start-of-scan and looks for `FF D9` after it.
/// A file whose segments cannot be walked is left to the decoder.
fn jpeg_is_truncated(bytes: &[u8]) -> bool {
    let mut at = 2; // after SOI
    loop {
        if bytes.get(at) != Some(&0xff) {
            return false;
        }
        // Fill bytes: any number of 0xFF before the marker code.
        while bytes.get(at + 1) == Some(&0xff) {
            at += 1;
        }
        let Some(&marker) = bytes.get(at + 1) else { return true };
        match marker {
            // Markers without a length.
            0x01 | 0xd0..=0xd7 => at += 2,
            0xd9 => return false,
            _ => {
                let (Some(&hi), Some(&lo)) = (bytes.get(at + 2), bytes.get(at + 3)) else { return true };
                let end = at + 2 + usize::from(u16::from_be_bytes([hi, lo]));
                if marker == 0xda {
                    let scan = bytes.get(end..).unwrap_or(&[]);
                    return !scan.windows(2).any(|w| w == [0xff, 0xd9]);
                }
                at = end;
            }
        }
    }
}

/// What zune-jpeg holds besides the output for a progressive JPEG: every
/// DCT coefficient of the image (an `i16` each), for all the scans to
/// refine. For a baseline JPEG it decodes a row of blocks at a time: `None`
/// (nothing worth counting), also for a header it cannot walk.
///
/// The coefficients of component `i` cover the image padded to whole
/// blocks of the largest sampling factors, `h_i` × `v_i` blocks of 8 × 8
/// per block of `h_max` × `v_max`: a 4:4:4 image holds 6 bytes a pixel,
/// twice its RGB output (measured: a 32768 × 2048 progressive 4:4:4 file
/// took 597 MB; this gives 402 MB plus the 201 MB output).
fn jpeg_coefficient_bytes(bytes: &[u8]) -> Option<u64> {
    let (marker, frame) = jpeg_frame(bytes)?;
    // SOF2, SOF6, SOF10 and SOF14 are progressive.
    if !matches!(marker, 0xc2 | 0xc6 | 0xca | 0xce) {
        return None;
    }
    let (&[_, h0, h1, w0, w1, n], rest) = frame.split_first_chunk::<6>()?;
    let (height, width) = (u64::from(u16::from_be_bytes([h0, h1])), u64::from(u16::from_be_bytes([w0, w1])));
    let sampling: Vec<(u64, u64)> = rest
        .chunks_exact(3)
        .take(usize::from(n))
        .map(|c| c.get(1).map_or((1, 1), |&s| (u64::from(s >> 4).max(1), u64::from(s & 15).max(1))))
        .collect();
    let h_max = sampling.iter().map(|s| s.0).max()?;
    let v_max = sampling.iter().map(|s| s.1).max()?;
    let (mcu_x, mcu_y) = (width.div_ceil(8 * h_max), height.div_ceil(8 * v_max));
    let coefficients: u64 = sampling.iter().map(|&(h, v)| mcu_x * h * 8 * mcu_y * v * 8).sum();
    Some(coefficients.saturating_mul(2))
}

/// The start-of-frame marker of a JPEG and its segment (after the length).
fn jpeg_frame(bytes: &[u8]) -> Option<(u8, &[u8])> {
    let mut at = 2; // after SOI
    loop {
        if *bytes.get(at)? != 0xff {
            return None;
        }
        while bytes.get(at + 1) == Some(&0xff) {
            at += 1;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            0x01 | 0xd0..=0xd7 => at += 2,
            0xd9 | 0xda => return None,
            _ => {
                let len = usize::from(u16::from_be_bytes([*bytes.get(at + 2)?, *bytes.get(at + 3)?]));
                let segment = bytes.get(at + 4..at + 2 + len.max(2))?;
                // Every SOFn but DHT (C4), JPG (C8) and DAC (CC).
                if (0xc0..=0xcf).contains(&marker) && !matches!(marker, 0xc4 | 0xc8 | 0xcc) {
                    return Some((marker, segment));
                }
                at += 2 + len;
            }
        }
    }
}

/// What image-webp (0.2) holds besides the output: for a lossless image,
/// an RGBA frame (4 bytes a pixel); for a lossy one, its Y, U and V planes
/// (1.5 bytes a pixel, padded to macroblocks); for an animation, a frame
/// and a canvas. Counted as 4 bytes a pixel for a still and 8 for an
/// animation (the VP8X header's animation flag), an upper bound of each.
fn webp_working_bytes(bytes: &[u8], pixels: u64) -> u64 {
    let animated = bytes.get(12..16) == Some(b"VP8X") && bytes.get(20).is_some_and(|flags| flags & 0x02 != 0);
    pixels.saturating_mul(if animated { 8 } else { 4 })
}

/// Refuses dimensions outside `limits`, and empty images.
fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<()> {
    let exceeded = |limit, requested, max| Err(Error::LimitExceeded { limit, requested, max });
    if width > limits.max_width {
        return exceeded(Limit::Width, u64::from(width), u64::from(limits.max_width));
    }
    if height > limits.max_height {
        return exceeded(Limit::Height, u64::from(height), u64::from(limits.max_height));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return exceeded(Limit::Pixels, pixels, limits.max_pixels);
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
        ImageError::Limits(e) if e.kind() == LimitErrorKind::InsufficientMemory => Error::LimitExceeded {
            limit: Limit::Allocation,
            requested: limits.max_alloc.saturating_add(1),
            max: limits.max_alloc,
        },
        other => Error::Decode(Cause::from_error(other)),
    }
}

/// A buffer larger than this machine's address space.
fn too_big(requested: u64) -> Error {
    Error::LimitExceeded { limit: Limit::Allocation, requested, max: usize::MAX as u64 }
}

/// A zeroed buffer of `len` bytes, or an error if it cannot be had.
fn zeroed(len: u64) -> Result<Vec<u8>> {
    let len_usize = usize::try_from(len).map_err(|_| too_big(len))?;
    let mut buf = Vec::new();
    buf.try_reserve_exact(len_usize)
        .map_err(|_| Error::Decode(format!("cannot allocate {len} bytes for the pixels").into()))?;
    buf.resize(len_usize, 0);
    Ok(buf)
}

/// The EXIF orientation tag, if the file has a readable one.
///
/// Metadata that cannot be read is treated as absent: orientation is only
/// reported, and a broken Exif block must not stop the pixels from being
/// hashed.
/// The EXIF orientation tag (1 to 8) of an image file, read from its
/// metadata without decoding the pixels; `None` when the file has none, or
/// is not a supported format. The browser bindings use it to undo the
/// rotation a browser's own decoder applies.
pub fn exif_orientation(bytes: &[u8]) -> Option<u8> {
    let format = sniff(bytes)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image());
    // Header parsing only: bound what it may allocate.
    let mut budget = image::Limits::no_limits();
    budget.max_alloc = Some(DEFAULT_MAX_ALLOC);
    reader.limits(budget);
    let mut decoder = reader.into_decoder().ok()?;
    orientation(&mut decoder)
}

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

/// Where the first frame of a GIF lies on the logical screen, and the colour
/// Pillow gives the rest of the screen: the palette entry of the frame's
/// transparent index, or of index 0 when it has none.
#[derive(Debug, PartialEq, Eq)]
struct GifFrame {
    left: usize,
    top: usize,
    width: usize,
    height: usize,
    fill: [u8; 3],
}

/// Paints the screen outside the first GIF frame as Pillow does; `image`
/// leaves it black. Does nothing when the GIF cannot be walked (the decoder
/// has already accepted it, so that does not happen in practice).
fn fill_around_gif_frame(bytes: &[u8], rgb: &mut [u8], width: u32) {
    let Some(frame) = gif_first_frame(bytes) else { return };
    let stride = width as usize * 3;
    if stride == 0 {
        return;
    }
    for (y, row) in rgb.chunks_exact_mut(stride).enumerate() {
        let inside_rows = y >= frame.top && y - frame.top < frame.height;
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            if !(inside_rows && x >= frame.left && x - frame.left < frame.width) {
                px.copy_from_slice(&frame.fill);
            }
        }
    }
}

/// Walks a GIF's blocks to its first image descriptor. Every read is
/// bounds-checked; `None` for anything malformed.
fn gif_first_frame(bytes: &[u8]) -> Option<GifFrame> {
    // Length of the colour table that follows a descriptor with `flags`.
    let table = |flags: u8| if flags & 0x80 != 0 { 3 << ((flags & 7) + 1) } else { 0 };
    let (screen, rest) = bytes.split_at_checked(13)?;
    let (global, mut rest) = rest.split_at_checked(table(*screen.get(10)?))?;
    let mut transparent = None;
    loop {
        let (&introducer, after) = rest.split_first()?;
        match introducer {
            // Extension: a label, then data sub-blocks up to an empty one.
            0x21 => {
                let (&label, mut blocks) = after.split_first()?;
                loop {
                    let (&len, after) = blocks.split_first()?;
                    let (data, after) = after.split_at_checked(usize::from(len))?;
                    blocks = after;
                    if len == 0 {
                        break;
                    }
                    // Graphic control extension: flags, delay (2), index.
                    if let (0xf9, &[flags, _, _, index, ..]) = (label, data) {
                        transparent = (flags & 1 != 0).then_some(index);
                    }
                }
                rest = blocks;
            }
            // Image descriptor: left, top, width, height (LE u16), flags.
            0x2c => {
                let (&[l0, l1, t0, t1, w0, w1, h0, h1, flags], after) = after.split_first_chunk::<9>()?;
                let palette = if flags & 0x80 != 0 { after.get(..table(flags))? } else { global };
                let index = usize::from(transparent.unwrap_or(0)) * 3;
                let fill = match palette.get(index..index + 3) {
                    Some(&[r, g, b]) => [r, g, b],
                    _ => [0, 0, 0],
                };
                let le = |a, b| usize::from(u16::from_le_bytes([a, b]));
                return Some(GifFrame {
                    left: le(l0, l1),
                    top: le(t0, t1),
                    width: le(w0, w1),
                    height: le(h0, h1),
                    fill,
                });
            }
            _ => return None,
        }
    }
}

/// Dimensions of the ISO base media file formats browsers decode and
/// `image` does not: AVIF and HEIF.
mod isobmff {
    use super::HeaderInfo;

    /// Boxes walked at most, so a file of many tiny boxes costs little.
    const MAX_BOXES: usize = 4096;

    /// `(type, body)` of each box in `bytes`, in order, until one is
    /// malformed.
    fn boxes(bytes: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
        let mut rest = bytes;
        std::iter::from_fn(move || {
            let (&[s0, s1, s2, s3, t0, t1, t2, t3], after) = rest.split_first_chunk::<8>()?;
            let size = u64::from(u32::from_be_bytes([s0, s1, s2, s3]));
            let (body, next) = match size {
                // To the end of the enclosing box.
                0 => (after, &[][..]),
                // A 64-bit size follows.
                1 => {
                    let (large, after) = after.split_first_chunk::<8>()?;
                    let len = usize::try_from(u64::from_be_bytes(*large).checked_sub(16)?).ok()?;
                    after.split_at_checked(len)?
                }
                n => after.split_at_checked(usize::try_from(n.checked_sub(8)?).ok()?)?,
            };
            rest = next;
            Some(([t0, t1, t2, t3], body))
        })
        .take(MAX_BOXES)
    }

    fn child<'a>(bytes: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
        boxes(bytes).find(|(t, _)| t == kind).map(|(_, body)| body)
    }

    pub(super) fn image_info(bytes: &[u8]) -> Option<HeaderInfo> {
        let (kind, ftyp) = boxes(bytes).next()?;
        if &kind != b"ftyp" {
            return None;
        }
        // Major brand, minor version, then compatible brands.
        let brands: Vec<&[u8]> = ftyp.chunks_exact(4).enumerate().filter(|(i, _)| *i != 1).map(|(_, b)| b).collect();
        let format = if brands.iter().any(|b| matches!(*b, b"avif" | b"avis")) {
            "avif"
        } else if brands.iter().any(|b| matches!(*b, b"heic" | b"heix" | b"heim" | b"heis" | b"mif1" | b"msf1")) {
            "heif"
        } else {
            return None;
        };
        let meta = child(bytes, b"meta")?;
        // `meta` is a full box: version and flags first.
        let ipco = child(child(meta.get(4..)?, b"iprp")?, b"ipco")?;
        let (width, height) = boxes(ipco)
            .filter(|(t, _)| t == b"ispe")
            .filter_map(|(_, body)| {
                let (&[_, _, _, _, w0, w1, w2, w3, h0, h1, h2, h3], _) = body.split_first_chunk::<12>()?;
                Some((u32::from_be_bytes([w0, w1, w2, w3]), u32::from_be_bytes([h0, h1, h2, h3])))
            })
            .max_by_key(|&(w, h)| u64::from(w) * u64::from(h))?;
        Some(HeaderInfo { format, width, height })
    }
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
        ColorType::La16 => grey_to_rgb(output.as_chunks::<4>().0.iter().map(|&[a, b, _, _]| grey16([a, b])), pixels),
        other => Err(Error::Decode(format!("unsupported pixel type {other:?}").into())),
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
        .map_err(|_| Error::Decode(format!("cannot allocate {len} bytes for the pixels").into()))?;
    for v in grey {
        rgb.extend_from_slice(&[v, v, v]);
    }
    Ok(rgb)
}

/// The tests' one PNG builder, shared with the integration tests.
#[cfg(test)]
#[path = "../tests/common/png.rs"]
mod test_png;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)] // tests: a panic is a failure
mod tests {
    use super::test_png as png_bytes;
    use super::*;
    use image::{DynamicImage, GrayImage, ImageBuffer, Luma, Rgb, RgbImage, RgbaImage};

    /// A 7 × 5 RGB test card with 35 distinct colours (few enough for GIF).
    fn card() -> RgbImage {
        RgbImage::from_fn(7, 5, |x, y| Rgb([x as u8 * 30, y as u8 * 50, 255 - (x + y) as u8 * 20]))
    }

    /// `image` encoded as `format` by the `image` crate's own encoders.
    fn encode(image: DynamicImage, format: image::ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// A PNG whose IHDR declares `width` × `height` RGB8, with a token
    /// IDAT that is never reached: the tests' one PNG builder.
    fn png_declaring(width: u32, height: u32) -> Vec<u8> {
        png_bytes::png_header(width, height)
    }

    /// A big-endian TIFF header and IFD0 holding only Orientation = `value`.
    fn exif_tiff(value: u16) -> Vec<u8> {
        let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01".to_vec();
        tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]);
        tiff.extend_from_slice(&value.to_be_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        tiff
    }

    fn decode_default(bytes: &[u8]) -> Result<DecodedImage> {
        decode(bytes, &Limits::default())
    }

    #[test]
    fn sniffs_each_format_by_magic() {
        let cases: [(&[u8], Option<ImageFormat>); 10] = [
            (b"\xff\xd8\xff\xe0rest", Some(ImageFormat::Jpeg)),
            (b"\x89PNG\r\n\x1a\nrest", Some(ImageFormat::Png)),
            (b"GIF87a", Some(ImageFormat::Gif)),
            (b"GIF89a....", Some(ImageFormat::Gif)),
            (b"RIFF\x10\x00\x00\x00WEBPVP8L", Some(ImageFormat::WebP)),
            (b"BM\x00\x00", Some(ImageFormat::Bmp)),
            (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),
            (b"\x89PNG\r\n", None),
            (b"GIF88a", None),
            (b"", None),
        ];
        for (bytes, format) in cases {
            assert_eq!(sniff(bytes), format, "{bytes:?}");
        }
        let names: Vec<_> =
            [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif, ImageFormat::WebP, ImageFormat::Bmp]
                .map(ImageFormat::name)
                .into();
        assert_eq!(names, ["jpeg", "png", "gif", "webp", "bmp"]);
    }

    #[test]
    fn sniffs_what_the_encoders_write() {
        let card = DynamicImage::ImageRgb8(card());
        for (format, ours) in [
            (image::ImageFormat::Jpeg, ImageFormat::Jpeg),
            (image::ImageFormat::Png, ImageFormat::Png),
            (image::ImageFormat::Gif, ImageFormat::Gif),
            (image::ImageFormat::WebP, ImageFormat::WebP),
            (image::ImageFormat::Bmp, ImageFormat::Bmp),
        ] {
            assert_eq!(sniff(&encode(card.clone(), format)), Some(ours));
        }
    }

    #[test]
    fn unknown_bytes_are_unsupported() {
        assert_eq!(decode_default(b"hello, world"), Err(Error::UnsupportedFormat));
        assert_eq!(decode_default(b""), Err(Error::UnsupportedFormat));
    }

    #[test]
    fn huge_declared_png_is_refused_before_allocating() {
        let png = png_declaring(100_000, 100_000);
        let (result, largest) = crate::test_alloc::largest_allocation(|| decode_default(&png));
        assert_eq!(result, Err(Error::LimitExceeded { limit: Limit::Width, requested: 100_000, max: 32_768 }));
        // 30 GB declared; nothing near a megabyte asked for.
        assert!(largest < 1 << 20, "the refused image allocated {largest} bytes at once");
    }

    #[test]
    fn each_dimension_limit_refuses() {
        let tall = png_declaring(100, 40_000);
        assert_eq!(
            decode_default(&tall),
            Err(Error::LimitExceeded { limit: Limit::Height, requested: 40_000, max: 32_768 })
        );
        let square = png_declaring(30_000, 30_000);
        assert_eq!(
            decode_default(&square),
            Err(Error::LimitExceeded { limit: Limit::Pixels, requested: 900_000_000, max: DEFAULT_MAX_PIXELS })
        );

        let png = encode(DynamicImage::ImageRgb8(card()), image::ImageFormat::Png);
        let loose = Limits { max_width: 7, max_height: 5, max_pixels: 35, max_alloc: 105, ..Limits::default() };
        assert!(decode(&png, &loose).is_ok());
        let refused = |limits, limit, requested, max| {
            assert_eq!(decode(&png, &limits), Err(Error::LimitExceeded { limit, requested, max }));
        };
        refused(Limits { max_width: 6, ..loose }, Limit::Width, 7, 6);
        refused(Limits { max_height: 4, ..loose }, Limit::Height, 5, 4);
        refused(Limits { max_pixels: 34, ..loose }, Limit::Pixels, 35, 34);
        refused(Limits { max_alloc: 104, ..loose }, Limit::Allocation, 105, 104);
    }

    #[test]
    fn grey_expansion_counts_both_buffers_against_the_allocation_limit() {
        let grey = GrayImage::from_fn(4, 4, |x, y| Luma([(x * 16 + y) as u8]));
        let png = encode(DynamicImage::ImageLuma8(grey), image::ImageFormat::Png);
        let limits = Limits { max_alloc: 16 + 48, ..Limits::default() };
        assert!(decode(&png, &limits).is_ok());
        assert_eq!(
            decode(&png, &Limits { max_alloc: 63, ..limits }),
            Err(Error::LimitExceeded { limit: Limit::Allocation, requested: 64, max: 63 })
        );
    }

    #[test]
    fn default_limits_pass_a_phone_photo() {
        // 4032 × 3024, a 12 MP phone photo, declared (refusal would come
        // before the IDAT, which is a token).
        let result = decode_default(&png_declaring(4032, 3024));
        assert!(matches!(result, Err(Error::Decode(_))), "{result:?}");
        let limits = Limits::default();
        assert!(check_dimensions(4032, 3024, &limits).is_ok());
        assert!(check_dimensions(8064, 6048, &limits).is_ok()); // 48 MP
        assert!(check_dimensions(9504, 6336, &limits).is_ok()); // 61 MP
        assert!(check_dimensions(12_000, 9_000, &limits).is_err()); // 108 MP
    }

    #[test]
    fn empty_images_are_refused() {
        assert_eq!(check_dimensions(0, 10, &Limits::default()), Err(Error::EmptyImage));
        assert_eq!(check_dimensions(10, 0, &Limits::default()), Err(Error::EmptyImage));
    }

    #[test]
    fn lossless_formats_decode_exactly() {
        let card = card();
        for format in
            [image::ImageFormat::Png, image::ImageFormat::Bmp, image::ImageFormat::Gif, image::ImageFormat::WebP]
        {
            let bytes = encode(DynamicImage::ImageRgb8(card.clone()), format);
            let decoded = decode_default(&bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (7, 5), "{format:?}");
            assert_eq!(decoded.rgb(), card.as_raw().as_slice(), "{format:?}");
            assert_eq!(decoded.orientation(), None, "{format:?}");
            let pixels = decoded.pixels();
            assert_eq!((pixels.width(), pixels.height()), (7, 5));
            assert_eq!(pixels.layout(), PixelLayout::Rgb);
            assert_eq!(pixels.data(), card.as_raw().as_slice());
        }
    }

    #[test]
    fn jpeg_decodes_close_to_the_source() {
        let card = RgbImage::from_fn(32, 24, |x, y| Rgb([x as u8 * 8, y as u8 * 10, 128]));
        let bytes = encode(DynamicImage::ImageRgb8(card.clone()), image::ImageFormat::Jpeg);
        let decoded = decode_default(&bytes).unwrap();
        assert_eq!(decoded.format(), ImageFormat::Jpeg);
        assert_eq!((decoded.width(), decoded.height()), (32, 24));
        let error: u64 = decoded.rgb().iter().zip(card.as_raw()).map(|(&a, &b)| u64::from(a.abs_diff(b))).sum();
        assert!(error / (32 * 24 * 3) < 4, "mean error {}", error as f64 / (32.0 * 24.0 * 3.0));
    }

    #[test]
    fn alpha_is_dropped_without_compositing() {
        let rgba =
            RgbaImage::from_fn(3, 2, |x, y| image::Rgba([200, 100 + x as u8, 50 + y as u8, [0, 128, 255][x as usize]]));
        for format in [image::ImageFormat::Png, image::ImageFormat::WebP] {
            let decoded = decode_default(&encode(DynamicImage::ImageRgba8(rgba.clone()), format)).unwrap();
            let expected: Vec<u8> = rgba.pixels().flat_map(|p| [p.0[0], p.0[1], p.0[2]]).collect();
            assert_eq!(decoded.rgb(), expected.as_slice(), "{format:?}");
        }
    }

    #[test]
    fn grey_is_expanded() {
        let grey = GrayImage::from_fn(3, 1, |x, _| Luma([x as u8 * 100]));
        let decoded = decode_default(&encode(DynamicImage::ImageLuma8(grey), image::ImageFormat::Png)).unwrap();
        assert_eq!(decoded.rgb(), [0, 0, 0, 100, 100, 100, 200, 200, 200]);
    }

    #[test]
    fn sixteen_bit_png_keeps_the_high_byte_like_pillow() {
        // `image`'s own to_rgb8 would round (v + 128) / 257: 0x00ff → 1.
        let samples = [0x1234, 0xff00, 0x00ff, 0x80ff, 0x7f80, 0xffff];
        let rgb16: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_raw(2, 1, samples.to_vec()).unwrap();
        let decoded = decode_default(&encode(DynamicImage::ImageRgb16(rgb16), image::ImageFormat::Png)).unwrap();
        assert_eq!(decoded.rgb(), [0x12, 0xff, 0x00, 0x80, 0x7f, 0xff]);

        let rgba16: ImageBuffer<image::Rgba<u16>, Vec<u16>> =
            ImageBuffer::from_raw(1, 1, vec![0x1234, 0xabcd, 0x00ff, 0]).unwrap();
        let decoded = decode_default(&encode(DynamicImage::ImageRgba16(rgba16), image::ImageFormat::Png)).unwrap();
        assert_eq!(decoded.rgb(), [0x12, 0xab, 0x00]);
    }

    #[test]
    fn sixteen_bit_grey_png_clamps_like_pillow() {
        // Pillow opens 16-bit grey as I;16, and I;16 → RGB clamps to 255.
        let grey16: ImageBuffer<Luma<u16>, Vec<u16>> =
            ImageBuffer::from_raw(4, 1, vec![0x0080, 0x00ff, 0x0100, 0x1234]).unwrap();
        let decoded = decode_default(&encode(DynamicImage::ImageLuma16(grey16), image::ImageFormat::Png)).unwrap();
        assert_eq!(decoded.rgb(), [128, 128, 128, 255, 255, 255, 255, 255, 255, 255, 255, 255]);
    }

    #[test]
    fn sixteen_bit_grey_alpha_png_keeps_the_high_byte() {
        let la16: ImageBuffer<image::LumaA<u16>, Vec<u16>> =
            ImageBuffer::from_raw(2, 1, vec![0x0180, 0xffff, 0xfe01, 0]).unwrap();
        let decoded = decode_default(&encode(DynamicImage::ImageLumaA16(la16), image::ImageFormat::Png)).unwrap();
        assert_eq!(decoded.rgb(), [1, 1, 1, 0xfe, 0xfe, 0xfe]);
    }

    #[test]
    fn jpeg_orientation_is_reported_not_applied() {
        let card = RgbImage::from_fn(16, 8, |x, _| Rgb([x as u8 * 16, 0, 0]));
        let plain = encode(DynamicImage::ImageRgb8(card), image::ImageFormat::Jpeg);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(exif_tiff(6));
        let mut jpeg = plain[..2].to_vec(); // SOI
        jpeg.extend_from_slice(&[0xff, 0xe1]);
        jpeg.extend_from_slice(&(app1.len() as u16 + 2).to_be_bytes());
        jpeg.extend(app1);
        jpeg.extend_from_slice(&plain[2..]);

        let oriented = decode_default(&jpeg).unwrap();
        let upright = decode_default(&plain).unwrap();
        assert_eq!(oriented.orientation(), Some(6));
        assert_eq!(upright.orientation(), None);
        assert_eq!((oriented.width(), oriented.height()), (16, 8));
        assert_eq!(oriented.rgb(), upright.rgb());
    }

    #[test]
    fn png_exif_orientation_is_reported() {
        let plain = encode(DynamicImage::ImageRgb8(card()), image::ImageFormat::Png);
        // Signature (8) + IHDR chunk (25): eXIf goes right after.
        let mut png = plain[..33].to_vec();
        png.extend(png_bytes::chunk(b"eXIf", &exif_tiff(3)));
        png.extend_from_slice(&plain[33..]);
        let decoded = decode_default(&png).unwrap();
        assert_eq!(decoded.orientation(), Some(3));
        assert_eq!(decoded.rgb(), card().as_raw().as_slice());
        // Out-of-range values are not an orientation.
        let mut png = plain[..33].to_vec();
        png.extend(png_bytes::chunk(b"eXIf", &exif_tiff(9)));
        png.extend_from_slice(&plain[33..]);
        assert_eq!(decode_default(&png).unwrap().orientation(), None);
    }

    /// A 3 × 3 GIF screen whose only frame is the middle pixel, index 1;
    /// `transparent` adds a graphic control extension.
    fn gif_with_inset_frame(transparent: Option<u8>) -> Vec<u8> {
        let mut gif = b"GIF89a\x03\x00\x03\x00\x80\x00\x00".to_vec();
        gif.extend_from_slice(&[10, 20, 30, 200, 100, 50]); // 2-entry palette
        if let Some(index) = transparent {
            gif.extend_from_slice(&[0x21, 0xf9, 4, 1, 0, 0, index, 0]);
        }
        gif.extend_from_slice(&[0x2c, 1, 0, 1, 0, 1, 0, 1, 0, 0]);
        // LZW, minimum code size 2: clear (4), 1, end (5) in 3-bit codes.
        gif.extend_from_slice(&[2, 2, 0x4c, 0x01, 0, 0x3b]);
        gif
    }

    #[test]
    fn gif_screen_around_the_first_frame_is_filled_like_pillow() {
        // No transparency: Pillow fills with palette index 0.
        let decoded = decode_default(&gif_with_inset_frame(None)).unwrap();
        let mut expected = [10, 20, 30].repeat(9);
        expected[12..15].copy_from_slice(&[200, 100, 50]);
        assert_eq!(decoded.rgb(), expected.as_slice());
        // Transparent index 1: the fill is its colour, and the transparent
        // pixel keeps its colour too (alpha dropped, not composited).
        let decoded = decode_default(&gif_with_inset_frame(Some(1))).unwrap();
        assert_eq!(decoded.rgb(), [200, 100, 50].repeat(9).as_slice());
    }

    #[test]
    fn gif_walker_survives_any_truncation() {
        let gif = gif_with_inset_frame(Some(0));
        assert_eq!(gif_first_frame(&gif), Some(GifFrame { left: 1, top: 1, width: 1, height: 1, fill: [10, 20, 30] }));
        for end in 0..gif.len() - 6 {
            let _ = gif_first_frame(&gif[..end]);
        }
    }

    #[test]
    fn corrupt_and_truncated_files_fail_without_panicking() {
        let card = DynamicImage::ImageRgb8(card());
        let mut samples: Vec<Vec<u8>> = [
            image::ImageFormat::Jpeg,
            image::ImageFormat::Png,
            image::ImageFormat::Gif,
            image::ImageFormat::WebP,
            image::ImageFormat::Bmp,
        ]
        .into_iter()
        .map(|format| encode(card.clone(), format))
        .collect();
        samples.push(gif_with_inset_frame(Some(1)));
        for sample in &samples {
            for end in 0..sample.len() {
                let _ = decode_default(&sample[..end]);
            }
            for at in 0..sample.len() {
                let mut broken = sample.clone();
                broken[at] ^= 0xa5;
                let _ = decode_default(&broken);
            }
        }
    }
}
