//! The check: one file or image against one signed list, to a [`Verdict`].
//!
//! [`Checker`] is the one place that runs the whole pipeline — digests of
//! the bytes, decode under limits, PDQ (all eight rotations and mirrors from
//! one DCT) and the perceptual hashes, index look-ups — and the one function
//! the CLI and the browser build call.
//!
//! What it refuses to match: a PDQ hash whose quality is below the floor
//! (the verdict says PDQ was skipped), and the perceptual hashes of an
//! image too flat to carry information — one whose PDQ quality is below
//! the same floor, or whose perceptual hash lies within its threshold of a
//! constant hash, which is what featureless images hash to (the verdict
//! says so in [`Verdict::perceptual_skipped`]). A file that cannot be
//! decoded is still checked by its digests, and the verdict carries the
//! decode error so the host can apply its own policy.
//!
//! A verdict carries at most [`MAX_MATCHES`] matches, the nearest; it
//! counts the rest ([`Verdict::matches_truncated`]), so that a list built to
//! match everything cannot make verdicts huge.

use crate::decode::Limits;
use crate::error::{Error, Result};
use crate::hash::digest::FileDigests;
use crate::hash::pdq::{self, Dihedral, PdqDihedral, PdqHash, PdqResult};
use crate::hash::perceptual::{PerceptualAlgorithm, PerceptualHash};
use crate::hash::vpdq::{VideoComparison, VpdqFeature, VpdqThresholds};
use crate::hash::{self, bits_from_constant};
use crate::index::{ExactSet, HammingSet, HashStore, MAX_INDEXED_DISTANCE, PdqIndex, VpdqIndex};
use crate::list::format::{Label, SignedList};
use crate::list::{SignalType, Thresholds};
use crate::pixels::Pixels;

/// The most matches a verdict carries: the nearest ones, in verdict order.
/// The rest are counted in [`Verdict::matches_truncated`]. A real list
/// gives a file one match or a handful; a hundred is room for lists with
/// many entries of one picture and still a small verdict.
pub const MAX_MATCHES: usize = 100;

/// How a [`Checker`] matches.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Match thresholds by signal type, overriding the list's own; a type
    /// absent here uses the threshold the list's issuer set.
    pub thresholds: Thresholds,
    /// PDQ hashes of lower quality are not matched (the reference's advice:
    /// 50).
    pub pdq_quality_floor: u8,
    /// Limits for decoding images.
    pub limits: Limits,
    /// A monotonic clock in milliseconds, for [`Verdict::elapsed_ms`]. The
    /// library has no clock that works on every target; natively the
    /// default is `std::time::Instant`, in the browser the bindings pass
    /// `performance.now()`.
    pub clock: Option<fn() -> f64>,
    /// Report the PDQ distance to the nearest list entry when nothing is
    /// within the threshold ([`Verdict::pdq_nearest`]). Off by default: it
    /// reads the whole PDQ section (about 15 ms per million entries), for
    /// which the checker keeps the list's PDQ hashes (32 bytes an entry
    /// more, on lists long enough for index tables), and a page that shows
    /// it hands its users a distance oracle against the list. For
    /// demonstrations and audits.
    pub report_pdq_nearest: bool,
    /// Keep the list's PDQ hashes beside the index, for speed: a PDQ check
    /// then reads the hash of each candidate the index's filter passes,
    /// instead of following its links through the tables, and from half a
    /// million entries the index keeps its buckets a cache line each. About
    /// 64 bytes an entry more (123 against 59 for a million entries, hashes
    /// included), for checks about 0.63 times as long
    /// ([`PdqIndex::over_keeping_hashes`]). Off by default (memory counts
    /// in a page); `prescan serve` turns it on.
    pub hold_pdq_hashes: bool,
    /// How videos match a vPDQ section: the frame quality floor and the
    /// two percentages ([`VpdqThresholds`]). The frame distance is the
    /// section's threshold (or its override in
    /// [`CheckOptions::thresholds`]), not `vpdq.distance`.
    pub vpdq: VpdqThresholds,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            thresholds: Thresholds::default(),
            pdq_quality_floor: pdq::MIN_MATCHABLE_QUALITY,
            limits: Limits::default(),
            clock: default_clock(),
            report_pdq_nearest: false,
            hold_pdq_hashes: false,
            vpdq: VpdqThresholds::default(),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn default_clock() -> Option<fn() -> f64> {
    fn now() -> f64 {
        static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        EPOCH.get_or_init(std::time::Instant::now).elapsed().as_secs_f64() * 1000.0
    }
    Some(now)
}

#[cfg(target_arch = "wasm32")]
fn default_clock() -> Option<fn() -> f64> {
    None
}

/// One listed entry that the checked file matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The kind of hash that matched.
    pub signal: SignalType,
    /// Hamming distance (0 for digests).
    pub distance: u32,
    /// The threshold it was matched under.
    pub threshold: u32,
    /// Index of the entry in its section.
    pub entry: u32,
    /// The entry's label, if the list gives one (shared with the list, not
    /// copied).
    pub label: Option<Label>,
    /// The id of the list.
    pub list_id: String,
    /// The list's sequence number.
    pub list_sequence: u64,
    /// For PDQ: which rotation or mirror of the image matched.
    pub variant: Option<Dihedral>,
    /// For vPDQ: how much of the two videos matched (`distance` is then
    /// the smallest distance between two of their frames).
    pub video: Option<VideoComparison>,
}

/// The hashes of one file: those a check computed, or those a remote
/// matcher received from a browser ([`Checker::check_hashes`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComputedHashes {
    /// PDQ hash and quality, when the image decoded.
    pub pdq: Option<PdqResult>,
    /// PDQ of all eight rotations and mirrors.
    pub pdq_dihedral: Option<PdqDihedral>,
    /// The perceptual hashes the list has sections for.
    pub perceptual: Vec<PerceptualHash>,
    /// MD5 of the bytes (not computed for pixel checks).
    pub md5: Option<[u8; 16]>,
    /// SHA-1 of the bytes.
    pub sha1: Option<[u8; 20]>,
    /// SHA-256 of the bytes.
    pub sha256: Option<[u8; 32]>,
    /// A video's vPDQ features: its hashed frames.
    pub vpdq: Option<Vec<VpdqFeature>>,
}

impl ComputedHashes {
    /// Sets the three digests.
    pub fn set_digests(&mut self, d: &FileDigests) {
        (self.md5, self.sha1, self.sha256) = (Some(d.md5), Some(d.sha1), Some(d.sha256));
    }
}

/// How far the checked image is from the list's PDQ entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdqNearest {
    /// The smallest Hamming distance from any rotation or mirror of the
    /// image to any entry.
    pub distance: u32,
    /// The threshold PDQ is matched under.
    pub threshold: u32,
    /// The rotation or mirror at that distance.
    pub variant: Dihedral,
}

/// What the image step of a check found besides its matches.
#[derive(Debug, Clone, Copy, Default)]
struct ImageOutcome {
    pdq_skipped_low_quality: bool,
    perceptual_skipped: bool,
    nearest: Option<PdqNearest>,
}

/// A match before its label and list id are attached: what is collected,
/// sorted and cut to [`MAX_MATCHES`].
#[derive(Debug, Clone, Copy)]
struct Hit {
    signal: SignalType,
    distance: u32,
    threshold: u32,
    entry: u32,
    variant: Option<Dihedral>,
    video: Option<VideoComparison>,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether anything matched.
    pub matched: bool,
    /// The matches, PDQ first, then by signal type, distance and entry: at
    /// most [`MAX_MATCHES`] of them.
    pub matches: Vec<Match>,
    /// How many more matches there were than [`Verdict::matches`] holds.
    pub matches_truncated: usize,
    /// What was computed.
    pub hashes: ComputedHashes,
    /// PDQ was computed but not matched: its quality is below the floor.
    pub pdq_skipped_low_quality: bool,
    /// Some or all of the list's perceptual hashes were computed but not
    /// matched: the image is too flat to carry information (its PDQ
    /// quality is below the floor, or the hash is within its threshold of
    /// a constant hash).
    pub perceptual_skipped: bool,
    /// The PDQ distance to the nearest entry (the best match when there is
    /// one), with [`CheckOptions::report_pdq_nearest`] and a PDQ section;
    /// no entry is named.
    pub pdq_nearest: Option<PdqNearest>,
    /// The image could not be decoded; only the digests were checked.
    pub decode_error: Option<Error>,
    /// Time the check took, in milliseconds, when a clock was given.
    pub elapsed_ms: Option<f64>,
}

/// The `image_hasher` configuration prescan computes for a perceptual
/// signal type ([`SignalType::is_perceptual`]), `None` for the others: where
/// the list's signal types meet the hashes computed of an image.
pub const fn perceptual_algorithm(signal: SignalType) -> Option<PerceptualAlgorithm> {
    match signal {
        SignalType::Phash => Some(PerceptualAlgorithm::Phash),
        SignalType::Dhash => Some(PerceptualAlgorithm::Dhash),
        SignalType::Ahash => Some(PerceptualAlgorithm::Ahash),
        SignalType::Blockhash => Some(PerceptualAlgorithm::Blockhash),
        _ => None,
    }
}

/// The hashes a check against a list of `signals` computes of a file's
/// bytes, for a remote matcher to check ([`Checker::check_hashes`]): the
/// digests when the list has any, and, when the bytes decode under
/// `limits`, PDQ with its variants and the perceptual hashes of
/// `signals`. The error is why the bytes did not decode; the digests are
/// there all the same.
pub fn hash_for(bytes: &[u8], limits: &Limits, signals: &[SignalType]) -> (ComputedHashes, Option<Error>) {
    hash_file_for(bytes, limits, wants_digests(signals), &algorithms_of(signals))
}

/// [`hash_for`] of pixels decoded elsewhere, with the digests of the
/// file's bytes when they are given.
pub fn hash_pixels_for(pixels: Pixels<'_>, file_bytes: Option<&[u8]>, signals: &[SignalType]) -> ComputedHashes {
    let mut hashes = ComputedHashes::default();
    if let Some(bytes) = file_bytes.filter(|_| wants_digests(signals)) {
        hashes.set_digests(&FileDigests::of(bytes));
    }
    set_image(&mut hashes, hash::hash_image(pixels, true, &algorithms_of(signals)));
    hashes
}

/// The pipeline ([`hash::hash_bytes`]) as a check runs it: digests when
/// `digests`, PDQ with its eight variants, the perceptual hashes of
/// `algorithms`.
fn hash_file_for(
    bytes: &[u8],
    limits: &Limits,
    digests: bool,
    algorithms: &[PerceptualAlgorithm],
) -> (ComputedHashes, Option<Error>) {
    let pass = hash::hash_bytes(bytes, limits, digests, true, algorithms);
    let mut hashes = ComputedHashes::default();
    if let Some(d) = &pass.digests {
        hashes.set_digests(d);
    }
    match pass.image {
        Ok((_, image)) => {
            set_image(&mut hashes, image);
            (hashes, None)
        }
        Err(e) => (hashes, Some(e)),
    }
}

/// An image's hashes into a check's. An image the perceptual hasher
/// refuses (no pixels) has none; PDQ has handled it.
fn set_image(hashes: &mut ComputedHashes, image: hash::ImagePass) {
    hashes.pdq = Some(image.pdq);
    hashes.pdq_dihedral = image.pdq_dihedral;
    hashes.perceptual = image.perceptual.unwrap_or_default();
}

/// Whether a list of `signals` matches digests, so that a check computes
/// them.
fn wants_digests(signals: &[SignalType]) -> bool {
    signals.iter().any(|s| !s.is_distance_matched())
}

fn algorithms_of(signals: &[SignalType]) -> Vec<PerceptualAlgorithm> {
    signals.iter().filter_map(|s| perceptual_algorithm(*s)).collect()
}

/// A loaded list, indexed, ready to check images against.
#[derive(Debug)]
pub struct Checker {
    list: SignedList,
    options: CheckOptions,
    pdq: Option<(PdqIndex, u32)>,
    exact: Vec<(SignalType, ExactSet)>,
    perceptual: Vec<(SignalType, PerceptualAlgorithm, HammingSet, u32)>,
    vpdq: Option<(VpdqIndex, u32)>,
}

impl Checker {
    /// Indexes every section of `list`.
    ///
    /// # Errors
    /// [`Error::BadOption`] for a threshold override above its type's
    /// [`SignalType::max_threshold`]; those of the index builders (a list
    /// section whose size does not match its hashes), which a verified list
    /// does not produce.
    pub fn new(list: SignedList, options: CheckOptions) -> Result<Self> {
        for (signal, threshold) in options.thresholds.iter() {
            if threshold > signal.max_threshold() {
                return Err(Error::BadOption {
                    option: format!("thresholds.{signal}"),
                    reason: format!(
                        "{threshold} is over the largest threshold accepted for {signal}, {} bits",
                        signal.max_threshold()
                    ),
                });
            }
        }
        let mut pdq = None;
        let mut exact = Vec::new();
        let mut perceptual = Vec::new();
        let mut vpdq = None;
        for section in list.sections() {
            let threshold = options.thresholds.or(section.signal, section.threshold);
            match section.signal {
                SignalType::Pdq => {
                    // Over the list's own bytes, not a copy. An index with
                    // tables holds the hashes in them, so it lets these go
                    // unless a query will read every hash (a report of the
                    // nearest entry, or a threshold past the tables'), or
                    // the caller prefers speed to memory.
                    let store = match list.shared_hashes(SignalType::Pdq) {
                        Some((bytes, range)) => HashStore::shared(bytes, range)?,
                        None => HashStore::default(),
                    };
                    let index =
                        if options.hold_pdq_hashes || options.report_pdq_nearest || threshold > MAX_INDEXED_DISTANCE {
                            PdqIndex::over_keeping_hashes(store)?
                        } else {
                            PdqIndex::over(store)?
                        };
                    pdq = Some((index, threshold));
                }
                SignalType::Md5 | SignalType::Sha1 | SignalType::Sha256 | SignalType::VideoMd5 => {
                    exact.push((section.signal, ExactSet::from_entries(section.signal.hash_len(), section.hashes)?))
                }
                SignalType::Vpdq => {
                    let len = SignalType::Vpdq.hash_len();
                    let counts = (0..section.count)
                        .map(|i| section.hash(i).map_or(0, |h| u32::try_from(h.len() / len).unwrap_or(u32::MAX)))
                        .collect();
                    let store = HashStore::owned(section.hashes.to_vec())?;
                    vpdq = Some((VpdqIndex::new(store, counts)?, threshold));
                }
                signal => {
                    // Every other signal type is a perceptual hash.
                    let Some(algorithm) = perceptual_algorithm(signal) else { continue };
                    let set = HammingSet::from_entries(signal.hash_len(), section.hashes)?;
                    perceptual.push((signal, algorithm, set, threshold));
                }
            }
        }
        // When the index let the list's PDQ hashes go, the checker keeps
        // the rest of the list (metadata, labels) without them: the hashes
        // are then held once, in the tables.
        let list = match &pdq {
            Some((index, _)) if !index.holds_hashes() => list.without_hashes(SignalType::Pdq),
            _ => list,
        };
        Ok(Checker { list, options, pdq, exact, perceptual, vpdq })
    }

    /// The list checked against.
    pub fn list(&self) -> &SignedList {
        &self.list
    }

    /// The PDQ index, when the list has a PDQ section.
    pub fn pdq_index(&self) -> Option<&PdqIndex> {
        self.pdq.as_ref().map(|(index, _)| index)
    }

    /// Heap bytes the checker holds for its list: the list's bytes it keeps
    /// and every index. (Hashes an index reads from the list's bytes are
    /// counted once, with the list.)
    pub fn memory_bytes(&self) -> usize {
        self.list.memory_bytes()
            + self.pdq.as_ref().map_or(0, |(index, _)| index.memory_bytes())
            + self.exact.iter().map(|(_, set)| set.memory_bytes()).sum::<usize>()
            + self.perceptual.iter().map(|(_, _, set, _)| set.memory_bytes()).sum::<usize>()
            + self.vpdq.as_ref().map_or(0, |(index, _)| index.memory_bytes())
    }

    /// Checks a file's bytes: its digests, and if it decodes, its image
    /// hashes. Never fails: a file that does not decode gives a verdict
    /// with [`Verdict::decode_error`] set, its digests still checked.
    pub fn check_bytes(&self, bytes: &[u8]) -> Verdict {
        let start = self.now();
        let (hashes, decode_error) =
            hash_file_for(bytes, &self.options.limits, !self.exact.is_empty(), &self.algorithms());
        self.check(start, hashes, decode_error)
    }

    /// Checks only the digests of a file's bytes, without decoding them:
    /// for a file whose pixels were to come from elsewhere (a browser's
    /// decoder) and could not, so that its digests are checked all the
    /// same. The verdict's [`Verdict::decode_error`] is `None`; the caller
    /// knows why the pixels are missing.
    pub fn check_digests(&self, bytes: &[u8]) -> Verdict {
        let start = self.now();
        let hashes = self.digests(bytes);
        self.check(start, hashes, None)
    }

    /// Checks pixels decoded elsewhere (by a browser), and, when the file's
    /// bytes are given, their digests.
    pub fn check_pixels(&self, pixels: Pixels<'_>, file_bytes: Option<&[u8]>) -> Verdict {
        let start = self.now();
        let mut hashes = file_bytes.map(|b| self.digests(b)).unwrap_or_default();
        self.hash_image(pixels, &mut hashes);
        self.check(start, hashes, None)
    }

    /// Checks hashes computed elsewhere: what a remote matcher does with
    /// the hashes a browser sends, so that they get the verdict a local
    /// check of the same file gives. PDQ is matched with the dihedral
    /// variants when they are given (else the original alone), under the
    /// same quality floor; each perceptual hash and digest present is
    /// looked up in its section. The verdict's hashes are the query's.
    pub fn check_hashes(&self, hashes: ComputedHashes) -> Verdict {
        let start = self.now();
        self.check(start, hashes, None)
    }

    /// Checks a video: its vPDQ features against the list's vPDQ section
    /// and, when given, its file's digests against the digest sections
    /// (`video_md5` among them). Nothing is decoded here: the caller
    /// decoded the video and hashed its frames ([`crate::hash::vpdq`]).
    pub fn check_video(&self, features: Vec<VpdqFeature>, digests: Option<&FileDigests>) -> Verdict {
        let start = self.now();
        let mut hashes = ComputedHashes::default();
        if let Some(d) = digests {
            hashes.set_digests(d);
        }
        hashes.vpdq = Some(features);
        self.check(start, hashes, None)
    }

    /// The decoding limits of the checks.
    pub fn limits(&self) -> &Limits {
        &self.options.limits
    }

    /// The threshold each section is matched under: the caller's override,
    /// or the list's own.
    pub fn thresholds(&self) -> Thresholds {
        let mut out: Thresholds = self.exact.iter().map(|(s, _)| (*s, 0)).collect();
        if let Some((_, t)) = &self.pdq {
            out.set(SignalType::Pdq, *t);
        }
        for (s, _, _, t) in &self.perceptual {
            out.set(*s, *t);
        }
        if let Some((_, t)) = &self.vpdq {
            out.set(SignalType::Vpdq, *t);
        }
        out
    }

    /// The digests of `bytes` the list has sections for (none when it has
    /// no digest section: they would be computed for nothing).
    fn digests(&self, bytes: &[u8]) -> ComputedHashes {
        let mut hashes = ComputedHashes::default();
        if !self.exact.is_empty() {
            hashes.set_digests(&FileDigests::of(bytes));
        }
        hashes
    }

    /// The digest matches of `hashes`.
    fn match_digests(&self, hashes: &ComputedHashes, hits: &mut Vec<Hit>) {
        for (signal, set) in &self.exact {
            let key: Option<&[u8]> = match signal {
                SignalType::Md5 | SignalType::VideoMd5 => hashes.md5.as_ref().map(|d| &d[..]),
                SignalType::Sha1 => hashes.sha1.as_ref().map(|d| &d[..]),
                _ => hashes.sha256.as_ref().map(|d| &d[..]),
            };
            for entry in key.map(|k| set.get(k)).unwrap_or_default() {
                hits.push(Hit { signal: *signal, distance: 0, threshold: 0, entry, variant: None, video: None });
            }
        }
    }

    /// Every match of `hashes`, and the verdict.
    fn check(&self, start: Option<f64>, hashes: ComputedHashes, decode_error: Option<Error>) -> Verdict {
        let mut hits = Vec::new();
        self.match_digests(&hashes, &mut hits);
        self.match_video(&hashes, &mut hits);
        let outcome = self.match_image(&hashes, &mut hits);
        self.verdict(start, hits, hashes, outcome, decode_error)
    }

    fn now(&self) -> Option<f64> {
        self.options.clock.map(|c| c())
    }

    fn verdict(
        &self,
        start: Option<f64>,
        mut hits: Vec<Hit>,
        hashes: ComputedHashes,
        outcome: ImageOutcome,
        decode_error: Option<Error>,
    ) -> Verdict {
        crate::sort::unstable_by_key(&mut hits, |h| (h.signal, h.distance, h.entry));
        let matched = !hits.is_empty();
        let matches_truncated = hits.len().saturating_sub(MAX_MATCHES);
        hits.truncate(MAX_MATCHES);
        let matches = hits.into_iter().map(|h| self.matched(h)).collect();
        let elapsed_ms = start.zip(self.now()).map(|(a, b)| b - a);
        Verdict {
            matched,
            matches,
            matches_truncated,
            hashes,
            pdq_skipped_low_quality: outcome.pdq_skipped_low_quality,
            perceptual_skipped: outcome.perceptual_skipped,
            pdq_nearest: outcome.nearest,
            decode_error,
            elapsed_ms,
        }
    }

    /// PDQ (all eight variants from one DCT) and the perceptual hashes the
    /// list has sections for, of `pixels`, into `hashes`.
    fn hash_image(&self, pixels: Pixels<'_>, hashes: &mut ComputedHashes) {
        set_image(hashes, hash::hash_image(pixels, true, &self.algorithms()));
    }

    /// The perceptual configurations the list has sections for.
    fn algorithms(&self) -> Vec<PerceptualAlgorithm> {
        self.perceptual.iter().map(|(_, algorithm, _, _)| *algorithm).collect()
    }

    /// The vPDQ look-up of a video's features.
    fn match_video(&self, hashes: &ComputedHashes, hits: &mut Vec<Hit>) {
        let (Some((index, threshold)), Some(features)) = (&self.vpdq, &hashes.vpdq) else { return };
        let thresholds = VpdqThresholds { distance: *threshold, ..self.options.vpdq };
        hits.extend(index.query(features, &thresholds).into_iter().map(|m| Hit {
            signal: SignalType::Vpdq,
            distance: m.distance,
            threshold: *threshold,
            entry: m.entry,
            variant: None,
            video: Some(m.comparison),
        }));
    }

    /// PDQ and perceptual look-ups of `hashes`.
    fn match_image(&self, hashes: &ComputedHashes, hits: &mut Vec<Hit>) -> ImageOutcome {
        let flat = hashes.pdq.is_some_and(|p| p.quality < self.options.pdq_quality_floor);
        let mut nearest = None;
        if let (Some((index, threshold)), Some(plain), false) = (&self.pdq, hashes.pdq, flat) {
            let mut variants: [PdqHash; 8] = hashes.pdq_dihedral.map_or([plain.hash; 8], |d| d.hashes);
            if let Some(original) = variants.first_mut() {
                *original = plain.hash;
            }
            let found = index.query_dihedral(&variants, *threshold);
            if self.options.report_pdq_nearest {
                // The best match is the nearest entry; only a miss scans.
                let best = found.first().copied().or_else(|| index.nearest_dihedral(&variants));
                nearest = best.map(|m| PdqNearest { distance: m.distance, threshold: *threshold, variant: m.variant });
            }
            hits.extend(found.into_iter().map(|m| Hit {
                signal: SignalType::Pdq,
                distance: m.distance,
                threshold: *threshold,
                entry: m.entry,
                variant: Some(m.variant),
                video: None,
            }));
        }
        // An image too flat for PDQ, or a hash within its threshold of a
        // constant one (what a featureless image gives), is not matched: it
        // would match every flat image's entry, and flat entries every
        // flat image.
        let mut perceptual_skipped = false;
        for (signal, algorithm, set, threshold) in &self.perceptual {
            let Some(hash) = hashes.perceptual.iter().find(|h| h.algorithm() == *algorithm) else { continue };
            if flat || bits_from_constant(hash.as_bytes()) <= *threshold {
                perceptual_skipped = true;
                continue;
            }
            hits.extend(set.query(hash.as_bytes(), *threshold).into_iter().map(|n| Hit {
                signal: *signal,
                distance: n.distance,
                threshold: *threshold,
                entry: n.entry,
                variant: None,
                video: None,
            }));
        }
        ImageOutcome { pdq_skipped_low_quality: flat, perceptual_skipped, nearest }
    }

    fn matched(&self, hit: Hit) -> Match {
        Match {
            signal: hit.signal,
            distance: hit.distance,
            threshold: hit.threshold,
            entry: hit.entry,
            label: self.list.label(hit.signal, hit.entry as usize),
            list_id: self.list.meta().id.clone(),
            list_sequence: self.list.meta().sequence,
            variant: hit.variant,
            video: hit.video,
        }
    }
}
