//! Hash lists: what an authorised body ships, and how prescan trusts it.
//!
//! * [`SignalType`] and [`Entry`]: the kinds of hash a list holds, and one
//!   listed hash with its optional label.
//! * [`import`]: parsers for the formats lists come in (ThreatExchange
//!   lines and CSV, HMA CSV, StopNCII-style JSON, bare hashes).
//! * [`format`](mod@format): prescan's compact signed binary list, and loading it
//!   under a trusted key, expiry, rollback and size limits.
//! * [`keys`]: Ed25519 signing and verifying keys.

pub mod format;
pub mod import;
pub mod keys;

use std::fmt;

/// A kind of hash a list can hold; the name is ThreatExchange's signal type
/// where one exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignalType {
    /// Meta's PDQ, 256 bits, matched within a Hamming distance.
    Pdq,
    /// MD5 of the file bytes, matched exactly.
    Md5,
    /// SHA-1 of the file bytes, matched exactly.
    Sha1,
    /// SHA-256 of the file bytes, matched exactly.
    Sha256,
    /// prescan's `phash` ([`crate::hash::perceptual::PerceptualAlgorithm::Phash`]), 64 bits.
    Phash,
    /// prescan's `dhash`, 64 bits.
    Dhash,
    /// prescan's `ahash`, 64 bits.
    Ahash,
    /// prescan's `blockhash`, 256 bits.
    Blockhash,
    /// MD5 of a video file's bytes, matched exactly (ThreatExchange's
    /// `video_md5`, StopNCII's `VideoMD5`).
    VideoMd5,
    /// Meta's vPDQ: an entry is a video, its frames' PDQ hashes (32 bytes
    /// each, [`SignalType::hash_len`]); a video matches by the share of its
    /// frames within the threshold of the checked video's
    /// ([`crate::hash::vpdq`]).
    Vpdq,
}

impl SignalType {
    /// Every signal type, in section order.
    pub const ALL: [SignalType; 10] = [
        SignalType::Pdq,
        SignalType::Md5,
        SignalType::Sha1,
        SignalType::Sha256,
        SignalType::Phash,
        SignalType::Dhash,
        SignalType::Ahash,
        SignalType::Blockhash,
        SignalType::VideoMd5,
        SignalType::Vpdq,
    ];

    /// The stable name: `pdq`, `md5`, `sha1`, `sha256`, `phash`, `dhash`,
    /// `ahash`, `blockhash`, `video_md5`, `vpdq`.
    pub const fn name(self) -> &'static str {
        match self {
            SignalType::Pdq => "pdq",
            SignalType::Md5 => "md5",
            SignalType::Sha1 => "sha1",
            SignalType::Sha256 => "sha256",
            SignalType::Phash => "phash",
            SignalType::Dhash => "dhash",
            SignalType::Ahash => "ahash",
            SignalType::Blockhash => "blockhash",
            SignalType::VideoMd5 => "video_md5",
            SignalType::Vpdq => "vpdq",
        }
    }

    /// The signal type named `name` (exactly as [`SignalType::name`] gives
    /// it, in any case).
    pub fn from_name(name: &str) -> Option<Self> {
        SignalType::ALL.into_iter().find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// Length of one hash, in bytes; for vPDQ, of one frame's hash (an
    /// entry holds one or more).
    pub const fn hash_len(self) -> usize {
        match self {
            SignalType::Pdq | SignalType::Sha256 | SignalType::Blockhash | SignalType::Vpdq => 32,
            SignalType::Md5 | SignalType::VideoMd5 => 16,
            SignalType::Sha1 => 20,
            SignalType::Phash | SignalType::Dhash | SignalType::Ahash => 8,
        }
    }

    /// The code of the type in the binary list format. Stable forever.
    pub const fn code(self) -> u8 {
        match self {
            SignalType::Pdq => 1,
            SignalType::Md5 => 2,
            SignalType::Sha1 => 3,
            SignalType::Sha256 => 4,
            SignalType::Phash => 16,
            SignalType::Dhash => 17,
            SignalType::Ahash => 18,
            SignalType::Blockhash => 19,
            SignalType::VideoMd5 => 5,
            SignalType::Vpdq => 6,
        }
    }

    /// Whether an entry of this type is a video of one or more frame
    /// hashes (vPDQ) rather than one hash.
    pub const fn is_video(self) -> bool {
        matches!(self, SignalType::Vpdq)
    }

    /// The signal type of a binary-format code.
    pub fn from_code(code: u8) -> Option<Self> {
        SignalType::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether hashes of this type match within a Hamming distance (PDQ and
    /// the perceptual hashes) rather than exactly (digests).
    pub const fn is_distance_matched(self) -> bool {
        !matches!(self, SignalType::Md5 | SignalType::Sha1 | SignalType::Sha256 | SignalType::VideoMd5)
    }

    /// The default match threshold, in bits: 31 for PDQ and for vPDQ's
    /// frames (the references' recommendation), 0 for digests, and for the 64-bit perceptual
    /// hashes 8 and for blockhash 32 (an eighth of their bits, the usual
    /// choice for these hashes; set your own per list).
    pub const fn default_threshold(self) -> u32 {
        match self {
            SignalType::Pdq | SignalType::Vpdq => crate::hash::pdq::DEFAULT_MATCH_DISTANCE,
            SignalType::Md5 | SignalType::Sha1 | SignalType::Sha256 | SignalType::VideoMd5 => 0,
            SignalType::Phash | SignalType::Dhash | SignalType::Ahash => 8,
            SignalType::Blockhash => 32,
        }
    }

    /// The largest match threshold prescan accepts for this type, in bits:
    /// a quarter of the hash's bits for PDQ and vPDQ (63) and blockhash
    /// (64), 16 for the 64-bit perceptual hashes, 0 for digests.
    ///
    /// Why a cap: a threshold near half the bits matches every image
    /// against every entry (a million matches a check, hundreds of
    /// megabytes of verdict). Within a quarter of the bits, two unrelated
    /// random hashes match with a probability of about 10⁻¹⁶ for PDQ and
    /// 3 × 10⁻⁵ for a 64-bit hash, so no list meant for near-duplicates
    /// needs more. Lists, imports and options above it are refused.
    pub const fn max_threshold(self) -> u32 {
        match self {
            SignalType::Pdq | SignalType::Vpdq => 63,
            SignalType::Md5 | SignalType::Sha1 | SignalType::Sha256 | SignalType::VideoMd5 => 0,
            SignalType::Phash | SignalType::Dhash | SignalType::Ahash => 16,
            SignalType::Blockhash => 64,
        }
    }

    /// Whether this is one of the perceptual hashes of the `image_hasher`
    /// family (`phash`, `dhash`, `ahash`, `blockhash`): matched within a
    /// distance, and computed by [`crate::hash::perceptual`] under the
    /// configuration [`crate::check::perceptual_algorithm`] maps it to.
    pub const fn is_perceptual(self) -> bool {
        matches!(self, SignalType::Phash | SignalType::Dhash | SignalType::Ahash | SignalType::Blockhash)
    }
}

/// A match threshold, in bits, for some signal types: those a list's
/// issuer sets ([`format::ListBuilder::thresholds`]) or a caller overrides
/// ([`crate::check::CheckOptions::thresholds`]). One per type; setting a
/// type again replaces its threshold.
///
/// ```
/// use prescan::list::{SignalType, Thresholds};
///
/// let mut t = Thresholds::from([(SignalType::Pdq, 20)]);
/// t.set(SignalType::Phash, 6);
/// assert_eq!(t.get(SignalType::Pdq), Some(20));
/// assert_eq!(t.get(SignalType::Md5), None);
/// assert_eq!(t.or(SignalType::Md5, 0), 0);
/// assert_eq!(t.iter().collect::<Vec<_>>(), [(SignalType::Pdq, 20), (SignalType::Phash, 6)]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Thresholds([Option<u32>; SignalType::ALL.len()]);

impl Thresholds {
    /// The threshold set for `signal`, if any.
    pub fn get(&self, signal: SignalType) -> Option<u32> {
        self.0.get(signal as usize).copied().flatten()
    }

    /// The threshold set for `signal`, else `default`.
    pub fn or(&self, signal: SignalType, default: u32) -> u32 {
        self.get(signal).unwrap_or(default)
    }

    /// Sets `signal`'s threshold, replacing any set before.
    pub fn set(&mut self, signal: SignalType, bits: u32) {
        if let Some(slot) = self.0.get_mut(signal as usize) {
            *slot = Some(bits);
        }
    }

    /// The thresholds set, in [`SignalType::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (SignalType, u32)> + '_ {
        SignalType::ALL.into_iter().filter_map(|s| Some((s, self.get(s)?)))
    }

    /// Whether no threshold is set.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }
}

impl FromIterator<(SignalType, u32)> for Thresholds {
    fn from_iter<I: IntoIterator<Item = (SignalType, u32)>>(pairs: I) -> Self {
        let mut t = Thresholds::default();
        for (signal, bits) in pairs {
            t.set(signal, bits);
        }
        t
    }
}

impl<const N: usize> From<[(SignalType, u32); N]> for Thresholds {
    fn from(pairs: [(SignalType, u32); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl fmt::Display for SignalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// One listed hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    /// What kind of hash.
    pub signal: SignalType,
    /// The hash, exactly [`SignalType::hash_len`] bytes; for PDQ the bytes
    /// of [`crate::hash::pdq::PdqHash::to_bytes`] (the hex form's bytes).
    /// For vPDQ, the video's frame hashes back to back, each as PDQ's: the
    /// frames that take part in matching
    /// ([`crate::hash::vpdq::matchable`]), one or more.
    pub hash: Vec<u8>,
    /// An optional label from the list's issuer (an id, a category).
    pub label: Option<String>,
}

/// `(first, repeat)` for each of the `n` hashes (`hash(i)`) that repeats
/// an earlier one, in order.
///
/// Sorts the hashes' first 8 bytes alone, which random hashes never share:
/// a million take about 30 ms, small beside verifying and indexing them.
/// Only the hashes whose prefix repeats are compared whole.
pub(crate) fn repeats<'a>(n: usize, hash: impl Fn(usize) -> &'a [u8]) -> Vec<(usize, usize)> {
    let prefix = |h: &[u8]| {
        let mut b = [0u8; 8];
        b.iter_mut().zip(h).for_each(|(d, s)| *d = *s);
        u64::from_be_bytes(b)
    };
    let mut prefixes: Vec<u64> = (0..n).map(|i| prefix(hash(i))).collect();
    sort_prefixes(&mut prefixes);
    let mut shared: Vec<u64> =
        prefixes.windows(2).filter(|w| w.first() == w.get(1)).filter_map(|w| w.first().copied()).collect();
    drop(prefixes);
    if shared.is_empty() {
        return Vec::new();
    }
    shared.dedup();
    // Rare (a list that repeats itself, or a prefix shared by chance): the
    // hashes with a shared prefix, sorted whole; within a run of equal
    // hashes the first position is the original. These two sorts are
    // `crate::sort`'s (a heapsort in the Wasm module): std's were three
    // copies of its sort there, 3.9 KB gzipped, for a path a list of random
    // hashes never takes; the prefixes above, sorted for every list, stay
    // std's.
    let mut candidates: Vec<usize> = (0..n).filter(|&i| shared.binary_search(&prefix(hash(i))).is_ok()).collect();
    crate::sort::unstable_by(&mut candidates, |&a, &b| hash(a).cmp(hash(b)).then(a.cmp(&b)));
    let mut out: Vec<(usize, usize)> = Vec::new();
    for run in candidates.chunk_by(|&a, &b| hash(a) == hash(b)) {
        if let Some((&first, rest)) = run.split_first() {
            out.extend(rest.iter().map(|&i| (first, i)));
        }
    }
    crate::sort::unstable_by_key(&mut out, |&(_, i)| i);
    out
}

/// `(first, repeat)` for each entry of `entries` that repeats an earlier
/// entry's type and hash, by position, in order of the repeats: what an
/// import refuses as duplicates, and what merging several imports drops.
/// Found by sorting (the prefix sort of `repeats`), a million entries in tens of
/// milliseconds, not by a set of every hash.
pub fn duplicate_entries(entries: &[Entry]) -> Vec<(usize, usize)> {
    let mut by_signal: Vec<Vec<usize>> = vec![Vec::new(); SignalType::ALL.len()];
    for (i, e) in entries.iter().enumerate() {
        if let Some(of) = by_signal.get_mut(e.signal as usize) {
            of.push(i);
        }
    }
    let mut out = Vec::new();
    for of in by_signal.iter().filter(|of| of.len() > 1) {
        let hash = |i: usize| of.get(i).and_then(|&e| entries.get(e)).map_or(&[][..], |e| &e.hash[..]);
        out.extend(repeats(of.len(), hash).into_iter().filter_map(|(a, b)| Some((*of.get(a)?, *of.get(b)?))));
    }
    crate::sort::unstable_by_key(&mut out, |&(_, repeat)| repeat);
    out
}

/// Sorts the prefixes of [`repeats`]: on all cores natively (ten million
/// take about half a second on one), on the one thread of the Wasm module.
fn sort_prefixes(prefixes: &mut [u64]) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::slice::ParallelSliceMut;
        prefixes.par_sort_unstable();
    }
    #[cfg(target_arch = "wasm32")]
    prefixes.sort_unstable();
}
