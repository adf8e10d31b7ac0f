//! What makes a hash an entry: the signal type names and aliases the
//! importer knows, and the checks every hash passes (hex, length,
//! placeholders, a vPDQ entry's frames).

use crate::bits::bits_from_constant;
use crate::error::{Error, Result};
use crate::hash::vpdq::{self, VpdqFeature};
use crate::hex::from_hex;
use crate::list::SignalType;

use super::{json, show};

/// Other spellings of the signal types, compared case-insensitively, on top
/// of prescan's own names ([`SignalType::from_name`], which already covers
/// `PDQ`, `MD5`, `SHA1`, `SHA256` in any case):
///
/// * StopNCII-style media-qualified names (`ImagePDQ`, `ImageMD5`,
///   `VideoMD5`, `ImageSHA1`, …). `VideoMD5` is prescan's `video_md5`; a
///   video's other digests are digests of a file like any other, so they
///   are kept as such.
/// * ThreatExchange's `photo_md5` (its `video_md5` is prescan's own name),
///   and its older indicator types `HASH_PDQ`, `HASH_MD5`, `HASH_SHA1`,
///   `HASH_SHA256`.
const ALIASES: [(&str, SignalType); 12] = [
    ("imagepdq", SignalType::Pdq),
    ("hash_pdq", SignalType::Pdq),
    ("photo_md5", SignalType::Md5),
    ("imagemd5", SignalType::Md5),
    ("videomd5", SignalType::VideoMd5),
    ("hash_md5", SignalType::Md5),
    ("imagesha1", SignalType::Sha1),
    ("videosha1", SignalType::Sha1),
    ("hash_sha1", SignalType::Sha1),
    ("imagesha256", SignalType::Sha256),
    ("videosha256", SignalType::Sha256),
    ("hash_sha256", SignalType::Sha256),
];

/// Digests of the empty file. Listed, they would match every empty upload;
/// no body lists them on purpose.
const EMPTY_FILE_DIGESTS: [(SignalType, &str); 4] = [
    (SignalType::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
    (SignalType::VideoMd5, "d41d8cd98f00b204e9800998ecf8427e"),
    (SignalType::Sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    (SignalType::Sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
];

/// The signal type called `name`: a prescan name ([`SignalType::from_name`])
/// or one of a few ThreatExchange and StopNCII aliases, in any case, with
/// surrounding whitespace ignored.
///
/// The aliases: `ImagePDQ`, `HASH_PDQ` (PDQ); `photo_md5`, `ImageMD5`,
/// `HASH_MD5` (MD5); `VideoMD5` (`video_md5`); `ImageSHA1`,
/// `VideoSHA1`, `HASH_SHA1` (SHA-1); `ImageSHA256`, `VideoSHA256`,
/// `HASH_SHA256` (SHA-256).
pub fn parse_signal_type(name: &str) -> Option<SignalType> {
    let name = name.trim();
    SignalType::from_name(name)
        .or_else(|| ALIASES.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(name)).map(|&(_, s)| s))
}

/// The bytes of the hash `text` of type `signal`, as [`import`](super::import) checks
/// every hash: surrounding whitespace is trimmed, and the rest must be
/// exactly `2 × signal.hash_len()` hex digits (either case). The bytes are
/// the hex decoded in order; for PDQ they equal
/// [`PdqHash::to_bytes`](crate::hash::pdq::PdqHash::to_bytes).
///
/// Placeholders, which would match what no list means to match, are
/// refused:
/// * all zeros, of any type: filler in exports, and what PDQ and dHash
///   give a flat, blank or tiny image;
/// * all `f`, of any type: filler, and what pHash and aHash give a flat
///   image;
/// * for the perceptual types (`phash`, `dhash`, `ahash`, `blockhash`), a
///   hash within its type's default threshold
///   ([`SignalType::default_threshold`]: 8 bits of 64, 32 of 256) of all
///   zeros or all ones ([`bits_from_constant`]): flat images hash to a
///   constant, so such an entry would match every flat or blank image at
///   that threshold. The bound is the default threshold because that is
///   the distance at which the entry matches them; a real picture's hash
///   has about half its bits set;
/// * the MD5 `d41d8cd98f00b204e9800998ecf8427e`, the SHA-1
///   `da39a3ee5e6b4b0d3255bfef95601890afd80709` and the SHA-256
///   `e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`:
///   digests of the empty file, which would match every empty upload.
///
/// # Errors
/// [`Error::InvalidHash`] naming the type and the reason (the offending
/// character, expected and actual length, or which placeholder).
///
/// Never panics.
pub fn parse_hash(signal: SignalType, text: &str) -> Result<Vec<u8>> {
    check_hash(signal, text).map_err(|reason| Error::InvalidHash { kind: signal.name(), reason })
}

/// A `vpdq` entry's bytes: the frames that take part in matching
/// ([`vpdq::matchable`]), back to back.
pub(super) fn vpdq_entry_bytes(features: &[VpdqFeature]) -> std::result::Result<Vec<u8>, String> {
    let frames = vpdq::matchable(features, crate::hash::pdq::MIN_MATCHABLE_QUALITY);
    if frames.is_empty() {
        return Err(format!(
            "no frame of quality {} or more among its {}: the video would match nothing",
            crate::hash::pdq::MIN_MATCHABLE_QUALITY,
            features.len()
        ));
    }
    Ok(frames.iter().flat_map(|h| h.to_bytes()).collect())
}

/// The hash bytes, or why `text` is refused.
pub(super) fn check_hash(signal: SignalType, text: &str) -> std::result::Result<Vec<u8>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty hash".to_owned());
    }
    if signal == SignalType::Vpdq {
        return json::parse_vpdq_json(text);
    }
    let expected = signal.hash_len() * 2;
    // Decoded first: a good hash, as nearly all are, is read once. Only a
    // bad one is looked at again, for the message.
    let decoded = if text.len() == expected { from_hex(text) } else { None };
    let Some(bytes) = decoded else {
        if let Some((i, ch)) = text.chars().enumerate().find(|(_, ch)| !ch.is_ascii_hexdigit()) {
            return Err(format!("not hex: {ch:?} at character {} of {}", i + 1, show(text)));
        }
        return Err(format!("wrong length for {signal}: expected {expected} hex digits, got {}", text.len()));
    };
    if let Some(what) = placeholder(signal, &bytes) {
        return Err(format!("placeholder, not a hash: {what}"));
    }
    Ok(bytes)
}

/// Which placeholder `bytes` is, if any (see [`parse_hash`]).
fn placeholder(signal: SignalType, bytes: &[u8]) -> Option<&'static str> {
    if bytes.iter().all(|&b| b == 0) {
        return Some(if signal == SignalType::Pdq {
            "all zeros (the PDQ hash of a flat, blank or tiny image, and common filler)"
        } else {
            "all zeros (filler; for a perceptual hash, that of a flat image)"
        });
    }
    if bytes.iter().all(|&b| b == 0xff) {
        return Some("all f (filler)");
    }
    if signal.is_perceptual() && bits_from_constant(bytes) <= signal.default_threshold() {
        return Some(
            "within the default threshold of all zeros or all ones, the hash of a flat image: \
             it would match every flat or blank image",
        );
    }
    EMPTY_FILE_DIGESTS.iter().find(|(s, h)| *s == signal && from_hex(h).as_deref() == Some(bytes)).map(|(s, _)| match s
    {
        SignalType::Md5 => "the MD5 of the empty file, which would match every empty upload",
        SignalType::Sha1 => "the SHA-1 of the empty file, which would match every empty upload",
        _ => "the SHA-256 of the empty file, which would match every empty upload",
    })
}

/// Whether `label` is as [`clean_label`] would make it: not empty, no
/// control character, no surrounding whitespace.
pub(super) fn is_clean(label: &str) -> bool {
    !label.is_empty() && !label.chars().any(char::is_control) && label.trim().len() == label.len()
}

/// `label` with control characters as spaces, trimmed; `None` when empty.
pub(super) fn clean_label(label: &str) -> Option<String> {
    // Most labels are clean already: one copy, not two.
    if is_clean(label) {
        return Some(label.to_owned());
    }
    let cleaned: String = label.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)] // tests: a panic is a failure
mod tests {
    use super::*;

    #[test]
    fn aliases_are_lowercase_and_not_prescan_names() {
        for (alias, _) in ALIASES {
            assert_eq!(alias, alias.to_ascii_lowercase());
            assert!(SignalType::from_name(alias).is_none());
        }
    }

    #[test]
    fn placeholders_are_refused() {
        for (signal, hex) in EMPTY_FILE_DIGESTS {
            assert!(check_hash(signal, hex).is_err_and(|e| e.contains("empty file")));
        }
        assert!(check_hash(SignalType::Pdq, &"0".repeat(64)).is_err_and(|e| e.contains("flat")));
        assert!(check_hash(SignalType::Phash, &"F".repeat(16)).is_err_and(|e| e.contains("all f")));
        assert_eq!(
            check_hash(SignalType::Dhash, " 0123456789ABCDEF\t"),
            Ok(vec![1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
        );
    }
}
