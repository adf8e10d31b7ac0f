//! The one error type of the library.
//!
//! Every public function of prescan returns [`Result`]. Each variant is a
//! failure a caller can act on; the faces turn them into an exit status and a
//! message (CLI) or a JS `Error` whose `code` is [`Error::code`] (Wasm).

use std::fmt;

/// Everything that can go wrong in prescan.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not in any image format prescan decodes.
    UnsupportedFormat,
    /// The image (or its decoding) would exceed a configured limit; nothing
    /// of that size was allocated.
    LimitExceeded {
        /// Which limit: `"width"`, `"height"`, `"pixels"` or `"allocation"`.
        limit: &'static str,
        /// The value the input asked for.
        requested: u64,
        /// The configured maximum.
        max: u64,
    },
    /// The image has no pixels (zero width or height): there is nothing to
    /// decode or hash.
    EmptyImage,
    /// The decoder refused the bytes: truncated, corrupt or unsupported
    /// within a known format.
    Decode(String),
    /// A pixel buffer whose length does not match its width, height and
    /// layout.
    PixelBuffer {
        /// Bytes the dimensions call for.
        expected: u64,
        /// Bytes given.
        actual: u64,
    },
    /// Text that is not a valid hash of the named kind.
    InvalidHash {
        /// The kind of hash that was expected (`"pdq"`, `"md5"`, …).
        kind: &'static str,
        /// Why it was refused.
        reason: String,
    },
}

impl Error {
    /// A short stable identifier for the failure, for programs to match on
    /// (the JS `Error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::UnsupportedFormat => "unsupported_format",
            Error::LimitExceeded { .. } => "limit_exceeded",
            Error::EmptyImage => "empty_image",
            Error::Decode(_) => "decode_failed",
            Error::PixelBuffer { .. } => "bad_pixel_buffer",
            Error::InvalidHash { .. } => "invalid_hash",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnsupportedFormat => f.write_str("not an image in a supported format (JPEG, PNG, GIF, WebP, BMP)"),
            Error::LimitExceeded { limit, requested, max } => {
                write!(f, "image {limit} {requested} exceeds the limit of {max}")
            }
            Error::EmptyImage => f.write_str("image has no pixels (zero width or height)"),
            Error::Decode(reason) => write!(f, "cannot decode image: {reason}"),
            Error::PixelBuffer { expected, actual } => {
                write!(f, "pixel buffer holds {actual} bytes, its dimensions call for {expected}")
            }
            Error::InvalidHash { kind, reason } => write!(f, "invalid {kind} hash: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
