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
        /// Which limit: `"width"`, `"height"`, `"pixels"`, `"allocation"` or
        /// `"file_bytes"`.
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
        /// Which limit: `"bytes"` or `"entries"`.
        limit: &'static str,
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
    /// A signing or verifying key that cannot be used.
    Key(String),
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
    /// failed, with the system's reason.
    Read(String),
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
    ("video_unsupported", "a video this browser cannot decode here: no WebCodecs, or a container or codec it does not read (its digests are still checked)"),
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
            Error::LimitExceeded { limit: "file_bytes", requested, max } => {
                write!(f, "file of {requested} bytes exceeds the limit of {max} bytes")
            }
            Error::LimitExceeded { limit: "records", requested, max } => {
                write!(f, "input of over {max} records (entries and refused lines): {requested} read")
            }
            Error::LimitExceeded { limit: "line_bytes", requested, max } => {
                write!(f, "a record of over {requested} bytes without its end (at most {max} bytes are held)")
            }
            Error::LimitExceeded { limit, requested, max } => {
                write!(f, "image {limit} {requested} exceeds the limit of {max}")
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
                write!(f, "hash list {limit} {requested} exceeds the limit of {max}")
            }
            Error::UnknownKey { key_id } => write!(f, "hash list is signed by key {key_id}, which is not trusted"),
            Error::BadSignature => f.write_str("hash list signature does not verify: the list was altered"),
            Error::Expired { expires, now } => write!(f, "hash list expired at {expires} (now {now}, Unix seconds)"),
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

impl std::error::Error for Error {}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
