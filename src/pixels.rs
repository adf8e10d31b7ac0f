//! Borrowed pixel buffers: the common input of every image hash.
//!
//! [`Pixels`] is a checked view of 8-bit pixels in one of three layouts. It is
//! the only way pixels enter the hashers, so the length check happens once,
//! here, and the hashers can index without re-validating.

use crate::error::{Error, Result};

/// How the bytes of a pixel buffer are laid out, row-major, top row first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelLayout {
    /// One byte of luma (grey) per pixel.
    Luma,
    /// Red, green, blue: three bytes per pixel.
    Rgb,
    /// Red, green, blue, alpha: four bytes per pixel. Alpha is ignored by the
    /// hashes (the reference drops it without compositing).
    Rgba,
}

impl PixelLayout {
    /// Bytes per pixel.
    pub const fn channels(self) -> usize {
        match self {
            PixelLayout::Luma => 1,
            PixelLayout::Rgb => 3,
            PixelLayout::Rgba => 4,
        }
    }
}

/// A validated, borrowed pixel buffer.
#[derive(Debug, Clone, Copy)]
pub struct Pixels<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    layout: PixelLayout,
}

impl<'a> Pixels<'a> {
    /// Wraps `data` as `width` × `height` pixels in `layout`.
    ///
    /// # Errors
    /// [`Error::PixelBuffer`] when `data.len()` is not exactly
    /// `width * height * layout.channels()`.
    pub fn new(data: &'a [u8], width: u32, height: u32, layout: PixelLayout) -> Result<Self> {
        let expected = u64::from(width) * u64::from(height) * layout.channels() as u64;
        if data.len() as u64 != expected {
            return Err(Error::PixelBuffer { expected, actual: data.len() as u64 });
        }
        Ok(Pixels { data, width: width as usize, height: height as usize, layout })
    }

    /// The valid view of no pixels at all (0 × 0 RGB), for places that need
    /// a `Pixels` when an invariant already guarantees a real one.
    pub(crate) const fn empty() -> Pixels<'static> {
        Pixels { data: &[], width: 0, height: 0, layout: PixelLayout::Rgb }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The layout of the bytes.
    pub fn layout(&self) -> PixelLayout {
        self.layout
    }

    /// The raw bytes, `width * height * channels` long.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Row `y` (`width * channels` bytes); empty when `y` is out of range.
    pub fn row(&self, y: usize) -> &'a [u8] {
        let stride = self.width * self.layout.channels();
        self.data.get(y * stride..(y + 1) * stride).unwrap_or(&[])
    }
}
