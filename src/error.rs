//! The one error type of the library.
//!
//! Every public function of prescan returns [`Result`]. Each variant is a
//! failure a caller can act on; the faces turn them into an exit status and a
//! message (CLI) or a JS `Error` whose `code` is [`Error::code`] (Wasm).

use std::fmt;
#[cfg(not(target_arch = "wasm32"))]
use std::sync::Arc;

use crate::time::utc;

/// Which configured limit an input went over ([`Error::LimitExceeded`]).
/// Each counts in its own unit ([`Limit::unit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// An image's width, in pixels.
    Width,
    /// An image's height, in pixels.
    Height,
    /// An image's area, in pixels.
    Pixels,
    /// Memory a decoder would allocate, in bytes.
    Allocation,
    /// A file's size, in bytes.
    FileBytes,
    /// Files in one check request (the server's `POST /v1/check`).
    Files,
    /// vPDQ frames of one video.
    VpdqFrames,
    /// Records of one list import, entries and refused lines together.
    ImportRecords,
    /// Bytes of one import record held while looking for its end.
    RecordBytes,
}

impl Limit {
    /// The stable name: `width`, `height`, `pixels`, `allocation`,
    /// `file_bytes`, `files`, `vpdq_frames`, `import_records`,
    /// `record_bytes`.
    pub const fn name(self) -> &'static str {
        match self {
            Limit::Width => "width",
            Limit::Height => "height",
            Limit::Pixels => "pixels",
            Limit::Allocation => "allocation",
            Limit::FileBytes => "file_bytes",
            Limit::Files => "files",
            Limit::VpdqFrames => "vpdq_frames",
            Limit::ImportRecords => "import_records",
            Limit::RecordBytes => "record_bytes",
        }
    }

    /// What the figures count: `pixels`, `bytes`, `files`, `frames` or
    /// `records`.
    pub const fn unit(self) -> &'static str {
        match self {
            Limit::Width | Limit::Height | Limit::Pixels => "pixels",
            Limit::Allocation | Limit::FileBytes | Limit::RecordBytes => "bytes",
            Limit::Files => "files",
            Limit::VpdqFrames => "frames",
            Limit::ImportRecords => "records",
        }
    }

    /// What is limited, for messages.
    const fn what(self) -> &'static str {
        match self {
            Limit::Width => "image width",
            Limit::Height => "image height",
            Limit::Pixels => "image area",
            Limit::Allocation => "decoding memory",
            Limit::FileBytes => "file",
            Limit::Files => "request",
            Limit::VpdqFrames => "video",
            Limit::ImportRecords => "import",
            Limit::RecordBytes => "import record",
        }
    }
}

/// Which limit of [`crate::list::format::ListLimits`] a list went over
/// ([`Error::ListTooLarge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListLimit {
    /// The list's size, in bytes.
    Bytes,
    /// Its entries, all sections together.
    Entries,
}

impl ListLimit {
    /// What the figures count: `bytes` or `entries`.
    pub const fn unit(self) -> &'static str {
        match self {
            ListLimit::Bytes => "bytes",
            ListLimit::Entries => "entries",
        }
    }
}

/// Why a decoder or a key parser refused its input: the message, and the
/// error it came from when there is one ([`std::error::Error::source`] of
/// the [`Error`] that carries it). Two causes are equal when their
/// messages are.
#[derive(Clone)]
pub struct Cause {
    message: String,
    /// Natively only: see [`Cause::with_source`].
    #[cfg(not(target_arch = "wasm32"))]
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Cause {
    /// A cause with a message alone.
    pub fn new(message: impl Into<String>) -> Self {
        Cause {
            message: message.into(),
            #[cfg(not(target_arch = "wasm32"))]
            source: None,
        }
    }

    /// A cause that keeps the error it came from; its message is that
    /// error's.
    pub fn from_error(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Cause::new(source.to_string()).with_source(source)
    }

    /// This cause, keeping `source` as the error it came from.
    ///
    /// Natively only: the Wasm module keeps the message alone. A kept
    /// source brings its type's `Debug` into the module (the decoder's
    /// errors' was 3.7 KB of the gzipped module), and JS sees an error's
    /// code and message, never its source.
    #[must_use]
    pub fn with_source(self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        return Cause { source: Some(Arc::new(source)), ..self };
        #[cfg(target_arch = "wasm32")]
        {
            drop(source);
            self
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.message, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
    }
}

impl Eq for Cause {}

impl From<String> for Cause {
    fn from(message: String) -> Self {
        Cause::new(message)
    }
}

impl From<&str> for Cause {
    fn from(message: &str) -> Self {
        Cause::new(message)
    }
}

/// Everything that can go wrong in prescan.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not in any image format prescan decodes.
    UnsupportedFormat,
    /// An input would exceed a configured limit: an image (or its
    /// decoding), a file, a check request, a video's frames, an import.
    /// Nothing of that size was allocated.
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// The value the input asked for.
        requested: u64,
        /// The configured maximum.
        max: u64,
    },
    /// The image has no pixels (zero width or height): there is nothing to
    /// decode or hash.
    EmptyImage,
    /// The decoder refused the bytes: truncated, corrupt or unsupported
    /// within a known format. The decoder's own error, when there is one,
    /// is the [`source`](std::error::Error::source).
    Decode(Cause),
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
    /// An entry of a hash list being imported was refused (with `--strict`,
    /// the first one stops the import).
    BadEntry {
        /// Where: `line 12`, `record 5`, …
        location: String,
        /// Why it was refused.
        reason: String,
    },
    /// The list does not start with prescan's list magic.
    ListMagic,
    /// The list is in a format version this build does not read.
    ListVersion(u16),
    /// The list ends before its structure does.
    ListTruncated,
    /// The list is structurally invalid (after its signature was checked:
    /// the signer wrote a bad list), or has bytes after its signature.
    ListMalformed(String),
    /// The list is larger than the caller's limits; it was not parsed.
    ListTooLarge {
        /// Which limit.
        limit: ListLimit,
        /// What the list asked for.
        requested: u64,
        /// The configured maximum.
        max: u64,
    },
    /// The list was signed by a key the caller did not configure.
    UnknownKey {
        /// The list's key id, hex.
        key_id: String,
    },
    /// The signature does not verify: the list was altered after signing.
    BadSignature,
    /// The list expired before `now`.
    Expired {
        /// The list's expiry, Unix seconds.
        expires: u64,
        /// The time it was checked at, Unix seconds.
        now: u64,
    },
    /// The list's sequence number is below the caller's minimum: an older
    /// list replayed (rollback).
    Rollback {
        /// The list's sequence number.
        sequence: u64,
        /// The lowest sequence number the caller accepts.
        minimum: u64,
    },
    /// A signing or verifying key that cannot be used; the key parser's
    /// own error, when there is one, is the
    /// [`source`](std::error::Error::source).
    Key(Cause),
    /// An option given to the library (by a face: a JS options object, a
    /// command-line flag) of the wrong type, out of its range, or unknown.
    BadOption {
        /// The option's name, as the caller spelt it (`minSequence`,
        /// `thresholds.pdq`, …).
        option: String,
        /// Why it was refused.
        reason: String,
    },
    /// A request (to the server) that cannot be read: malformed JSON, an
    /// unknown field, a value of the wrong type or a rule of its shape
    /// broken.
    BadRequest(String),
    /// An input (a list being imported) could not be read: the reader
    /// failed. The system's error is the
    /// [`source`](std::error::Error::source).
    Read(Cause),
    /// A list being built holds the same hash twice in one section.
    DuplicateEntry {
        /// The signal type of the section.
        signal: &'static str,
        /// Index (from 0, in the order given) of the first entry with it.
        first: usize,
        /// Index of the entry that repeats it.
        duplicate: usize,
    },
}

/// Every error code prescan gives, in any face, with what it means: the one
/// table. [`Error::code`] gives the library's (every face); the Wasm
/// bindings add `internal`; the browser package (`www/`) adds the rest.
/// `www/prescan.d.ts`'s `ErrorCode` and the table in `docs/verdict.md`
/// list exactly these, as `tests/error_codes.rs` checks.
pub const ERROR_CODES: [(&str, &str); 41] = [
    ("unsupported_format", "not an image in a format prescan decodes"),
    ("limit_exceeded", "the file or image is over a configured limit (bytes, width, height, pixels, memory)"),
    ("empty_image", "the image has no pixels"),
    ("decode_failed", "the image is truncated or corrupt"),
    ("bad_pixel_buffer", "a pixel buffer whose length does not match its dimensions"),
    ("invalid_hash", "text that is not a valid hash of its kind"),
    ("bad_entry", "an entry of a list being imported was refused"),
    ("list_bad_magic", "not a prescan list"),
    ("list_bad_version", "a list format version this build does not read"),
    ("list_truncated", "the list ends before its structure does"),
    ("list_malformed", "the list is structurally invalid, or has bytes after its signature"),
    ("list_too_large", "the list is over the size or entry limit"),
    ("list_unknown_key", "the list is signed by a key that is not trusted"),
    ("list_bad_signature", "the list was altered after signing"),
    ("list_expired", "the list has expired"),
    ("list_rollback", "the list is older than one seen before (its sequence is below the minimum)"),
    ("bad_key", "a key that cannot be used"),
    ("bad_option", "an option of the wrong type, out of range, or unknown"),
    ("duplicate_entry", "a list being built holds a hash twice"),
    ("read_failed", "an input could not be read (the system's reason is in the message)"),
    ("internal", "the Wasm bindings could not hand over a verdict (a bug)"),
    ("bad_request", "the server refused a request it cannot read: malformed JSON, an unknown field, a wrong type"),
    ("unauthorized", "the server needs a valid bearer token"),
    ("not_found", "the server has no such path"),
    ("method_not_allowed", "the server does not take that method on that path"),
    ("bad_argument", "the browser package was called with arguments it does not take"),
    ("browser_decode_failed", "the browser could not decode the image (its digests were still checked)"),
    ("check_failed", "a check failed in the worker"),
    ("closed", "the checker was closed"),
    ("aborted", "the check was cancelled: its signal aborted"),
    ("list_error", "the worker could not load the list"),
    ("list_fetch_failed", "the list could not be fetched"),
    ("not_ready", "a check was asked for before a list was loaded"),
    ("sequence_store_failed", "the store of the highest list sequence seen could not be read or written"),
    ("worker_failed", "the worker could not start, or died"),
    ("wasm_trapped", "the Wasm module trapped during the check (out of memory, or a bug): the worker was replaced"),
    ("matcher_unavailable", "the remote matcher could not be reached, or did not answer in time"),
    ("matcher_refused", "the remote matcher answered with an error (its code is in the message)"),
    (
        "video_unsupported",
        "a video this browser cannot decode here: no WebCodecs, or a container or codec it does not read (its digests are still checked)",
    ),
    ("video_malformed", "a video whose container is broken or cut short (its digests are still checked)"),
    ("video_decode_failed", "the browser's video decoder failed on the video's frames (its digests are still checked)"),
];

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
            Error::BadEntry { .. } => "bad_entry",
            Error::ListMagic => "list_bad_magic",
            Error::ListVersion(_) => "list_bad_version",
            Error::ListTruncated => "list_truncated",
            Error::ListMalformed(_) => "list_malformed",
            Error::ListTooLarge { .. } => "list_too_large",
            Error::UnknownKey { .. } => "list_unknown_key",
            Error::BadSignature => "list_bad_signature",
            Error::Expired { .. } => "list_expired",
            Error::Rollback { .. } => "list_rollback",
            Error::Key(_) => "bad_key",
            Error::BadOption { .. } => "bad_option",
            Error::BadRequest(_) => "bad_request",
            Error::DuplicateEntry { .. } => "duplicate_entry",
            Error::Read(_) => "read_failed",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnsupportedFormat => f.write_str("not an image in a supported format (JPEG, PNG, GIF, WebP, BMP)"),
            Error::LimitExceeded { limit: Limit::FileBytes, requested, max } => {
                write!(f, "file of {requested} bytes exceeds the limit of {max} bytes")
            }
            Error::LimitExceeded { limit: Limit::ImportRecords, requested, max } => {
                write!(f, "input of over {max} records (entries and refused lines): {requested} read")
            }
            Error::LimitExceeded { limit: Limit::RecordBytes, requested, max } => {
                write!(f, "a record of over {requested} bytes without its end (at most {max} bytes are held)")
            }
            Error::LimitExceeded { limit, requested, max } => {
                let unit = limit.unit();
                write!(f, "{} of {requested} {unit} exceeds the limit of {max} {unit}", limit.what())
            }
            Error::EmptyImage => f.write_str("image has no pixels (zero width or height)"),
            Error::Decode(reason) => write!(f, "cannot decode image: {reason}"),
            Error::PixelBuffer { expected, actual } => {
                write!(f, "pixel buffer holds {actual} bytes, its dimensions call for {expected}")
            }
            Error::InvalidHash { kind, reason } => write!(f, "invalid {kind} hash: {reason}"),
            Error::BadEntry { location, reason } => write!(f, "{location}: {reason}"),
            Error::ListMagic => f.write_str("not a prescan hash list (bad magic)"),
            Error::ListVersion(v) => write!(f, "hash list format version {v} is not supported"),
            Error::ListTruncated => f.write_str("hash list is truncated"),
            Error::ListMalformed(why) => write!(f, "hash list is malformed: {why}"),
            Error::ListTooLarge { limit, requested, max } => {
                let unit = limit.unit();
                write!(f, "hash list of {requested} {unit} exceeds the limit of {max} {unit}")
            }
            Error::UnknownKey { key_id } => write!(f, "hash list is signed by key {key_id}, which is not trusted"),
            Error::BadSignature => f.write_str("hash list signature does not verify: the list was altered"),
            Error::Expired { expires, now } => {
                write!(f, "hash list expired at {} (now {})", utc(*expires), utc(*now))
            }
            Error::Rollback { sequence, minimum } => {
                write!(f, "hash list sequence {sequence} is below the minimum {minimum}: an older list (rollback)")
            }
            Error::Key(why) => write!(f, "bad key: {why}"),
            Error::BadOption { option, reason } => write!(f, "option {option}: {reason}"),
            Error::BadRequest(why) => write!(f, "bad request: {why}"),
            Error::DuplicateEntry { signal, first, duplicate } => {
                write!(f, "{signal} entry {duplicate} repeats entry {first}: a list holds each hash once")
            }
            Error::Read(why) => write!(f, "cannot read the input: {why}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            #[cfg(not(target_arch = "wasm32"))]
            Error::Decode(cause) | Error::Key(cause) | Error::Read(cause) => {
                cause.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
            }
            _ => None,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
