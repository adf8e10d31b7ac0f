//! vPDQ: Meta's video hash, a PDQ hash of every n-th frame.
//!
//! As Meta's vPDQ (`vpdq` 0.2.5, `vpdq/cpp/vpdq/cpp/hashing`) computes it:
//!
//! * **Which frames.** Frames are numbered from 0 in the order the decoder
//!   returns them. Frame `n` is hashed when `n % step == 0`, where `step`
//!   is `max(1, trunc(seconds_per_hash × fps))` ([`frame_step`]) and `fps`
//!   is the stream's average frame rate, or its nominal rate when the
//!   average is unknown. `seconds_per_hash` 0 hashes every frame.
//! * **What is hashed.** The frame at its full size, converted to RGB
//!   (FFmpeg's `swscale` with its area filter, which at the same size only
//!   converts colours), then PDQ with the luma of the C++ core
//!   ([`pdq::Luma::Float32`]): the same hash and quality as the reference
//!   on the same pixels.
//! * **Its time.** `n / fps`, computed in `f32` as the reference does, and
//!   kept to 3 decimals ([`VpdqFeature::timestamp`]).
//!
//! [`VpdqFeature::to_line`] and [`parse_features`] read and write vPDQ's
//! text format, a line a frame: `frameNumber,quality,hash,timestamp`.
//!
//! # Matching
//! [`compare`] is python-threatexchange's rule (`vpdq_brute_matcher`,
//! which HMA runs): each side's frames are de-duplicated (the first of
//! equal hashes kept), then frames of quality below 50 dropped; a query
//! frame *matches* when some compared frame is within distance 31; the
//! query-match percentage is the share of the query's frames that match,
//! the compared-match percentage the share of the compared video's frames
//! that match some query frame; the videos match when the first is at
//! least 80 and the second at least 0 ([`VpdqThresholds`]).
//!
//! Where vPDQ's own texts disagree, prescan follows that code, the one
//! lists are matched with in practice:
//! * vPDQ's README puts the 80% on the *compared* video (`P_c` 80%, `P_q`
//!   0%); python-threatexchange puts it on the *query* (80 and 0);
//! * the C++ `matchTwoHash` counts a frame pair as matching when its
//!   distance is *below* the tolerance (`<`), python-threatexchange and
//!   the README's pseudocode when it is *at most* the tolerance (`<=`);
//! * a side left with no frames after filtering divides by zero in
//!   python-threatexchange; here its percentage is 0, so it matches
//!   nothing unless the threshold is 0.

use serde::Serialize;

use crate::error::{Error, Limit, Result};
use crate::hash::pdq::{self, Luma, PdqHash};
use crate::pixels::Pixels;

/// The default interval between hashed frames, in seconds.
pub const DEFAULT_SECONDS_PER_HASH: f64 = 1.0;

/// The step between hashed frames: frame `n` is hashed when
/// `n % step == 0`. `max(1, trunc(seconds_per_hash × fps))`, as the
/// reference's `static_cast<int>`; a value that is not finite or not
/// positive (a `seconds_per_hash` of 0 among them) gives 1.
pub fn frame_step(seconds_per_hash: f64, fps: f64) -> u64 {
    let step = seconds_per_hash * fps;
    if step.is_finite() && step >= 1.0 {
        // A float to int cast saturates: a step past u64::MAX hashes
        // frame 0 only, as any step longer than the video does.
        step as u64
    } else {
        1
    }
}

/// One hashed frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VpdqFeature {
    /// The frame's number, from 0, in decoding order.
    pub frame: u64,
    /// PDQ quality, 0 to 100.
    pub quality: u8,
    /// The frame's PDQ hash.
    #[serde(serialize_with = "crate::hash::vpdq::hex")]
    pub hash: PdqHash,
    /// Seconds from the start: `frame / fps` in `f32`, rounded to 3
    /// decimals as the reference prints it.
    pub timestamp: f64,
}

fn hex<S: serde::Serializer>(hash: &PdqHash, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(hash)
}

impl VpdqFeature {
    /// The line vPDQ's text format gives this frame:
    /// `frameNumber,quality,hash,timestamp` (no newline).
    pub fn to_line(&self) -> String {
        format!("{},{},{},{:.3}", self.frame, self.quality, self.hash, self.timestamp)
    }
}

/// The timestamp of frame `frame` at `fps`: `f32(frame) / f32(fps)`, as
/// the reference computes it, rounded to 3 decimals as the reference
/// prints it (`%.3f`: the exact value, ties to even).
///
/// Arithmetic, not printing and reading back: an `f32` times 1000 is
/// exact in an `f64` (24 + 10 bits), so rounding it is rounding the exact
/// value, and `k / 1000.0` is the `f64` nearest the printed decimal, as
/// parsing it gives. (Float printing and parsing would also add about
/// 30 KB to the gzipped Wasm module.)
pub fn timestamp(frame: u64, fps: f64) -> f64 {
    let seconds = f64::from(frame as f32 / fps as f32);
    if !seconds.is_finite() {
        return seconds;
    }
    (seconds * 1000.0).round_ties_even() / 1000.0
}

/// Hashes the frames of one video as a decoder hands them over.
#[derive(Debug, Clone)]
pub struct VideoHasher {
    step: u64,
    fps: f64,
    features: Vec<VpdqFeature>,
}

impl VideoHasher {
    /// A hasher for a stream of `fps` frames a second, hashing a frame
    /// every `seconds_per_hash` seconds (0: every frame).
    ///
    /// # Errors
    /// [`Error::BadOption`] when `fps` is not a positive finite number or
    /// `seconds_per_hash` is negative or not finite.
    pub fn new(fps: f64, seconds_per_hash: f64) -> Result<Self> {
        if !(fps.is_finite() && fps > 0.0) {
            let reason = "a positive number of frames a second".to_owned();
            return Err(Error::BadOption { option: "frame rate".to_owned(), reason });
        }
        if !(seconds_per_hash.is_finite() && seconds_per_hash >= 0.0) {
            let reason = "0 or more seconds".to_owned();
            return Err(Error::BadOption { option: "seconds per hash".to_owned(), reason });
        }
        Ok(VideoHasher { step: frame_step(seconds_per_hash, fps), fps, features: Vec::new() })
    }

    /// The step between hashed frames ([`frame_step`]).
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Whether frame `frame` is one to hash: a decoder may skip converting
    /// the others.
    pub fn wants(&self, frame: u64) -> bool {
        frame.is_multiple_of(self.step)
    }

    /// Hashes frame `frame` when it is one to hash ([`VideoHasher::wants`]);
    /// returns the feature added, if any.
    pub fn push(&mut self, frame: u64, pixels: Pixels<'_>) -> Option<VpdqFeature> {
        if !self.wants(frame) {
            return None;
        }
        let pdq = pdq::hash_with(pixels, Luma::Float32);
        let feature =
            VpdqFeature { frame, quality: pdq.quality, hash: pdq.hash, timestamp: timestamp(frame, self.fps) };
        self.features.push(feature);
        Some(feature)
    }

    /// The frames hashed so far.
    pub fn features(&self) -> &[VpdqFeature] {
        &self.features
    }

    /// The hashed frames, in frame order.
    pub fn finish(mut self) -> Vec<VpdqFeature> {
        self.features.sort_by_key(|f| f.frame);
        self.features
    }
}

/// Longest line [`parse_features`] reads: a frame number, a quality, 64
/// hex digits and a timestamp fit in far less.
pub const MAX_LINE_LEN: usize = 256;

/// Reads vPDQ's text format: a line a frame, `frameNumber,quality,hash,
/// timestamp` (more fields after those are ignored, as the reference
/// does); blank lines are skipped. At most `max_frames` frames.
///
/// # Errors
/// [`Error::BadEntry`] naming the line for a line that is not a frame (a
/// field missing, a number that is not one, a quality over 100, a hash
/// that is not 64 hex digits, a negative timestamp, a line over
/// [`MAX_LINE_LEN`]); [`Error::LimitExceeded`] past `max_frames`.
pub fn parse_features(text: &str, max_frames: usize) -> Result<Vec<VpdqFeature>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |reason: String| Error::BadEntry { location: format!("line {}", i + 1), reason };
        if line.len() > MAX_LINE_LEN {
            return Err(bad(format!("a line of {} bytes, over {MAX_LINE_LEN}", line.len())));
        }
        if out.len() >= max_frames {
            return Err(Error::LimitExceeded {
                limit: Limit::VpdqFrames,
                requested: out.len() as u64 + 1,
                max: max_frames as u64,
            });
        }
        let mut fields = line.split(',').map(str::trim);
        let (Some(frame), Some(quality), Some(hash), Some(time)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(bad("expected frameNumber,quality,hash,timestamp".to_owned()));
        };
        let frame = frame.parse::<u64>().map_err(|_| bad(format!("frame number {frame:?} is not a whole number")))?;
        out.push(parse_frame(frame, quality, hash, time).map_err(bad)?);
    }
    Ok(out)
}

/// Frame `frame` from the text of its quality (0 to 100), hash (64 hex
/// digits) and timestamp (seconds, 0 or more): the fields every vPDQ text
/// form carries, checked alike wherever they are read.
///
/// # Errors
/// Why a field is refused.
pub fn parse_frame(frame: u64, quality: &str, hash: &str, time: &str) -> std::result::Result<VpdqFeature, String> {
    let q = quality.parse::<u8>().map_err(|_| format!("quality {quality:?} is not 0 to 100"))?;
    let t = time.parse::<f64>().map_err(|_| format!("timestamp {time:?} is not a number of seconds"))?;
    frame_of(frame, q, hash, t)
}

/// Frame `frame` from its quality (0 to 100), hash (64 hex digits) and
/// timestamp (seconds, finite, 0 or more), checked as [`parse_frame`]
/// checks the text forms: what a check request's JSON frame goes through.
///
/// # Errors
/// Why a field is refused.
pub fn frame_of(frame: u64, quality: u8, hash: &str, timestamp: f64) -> std::result::Result<VpdqFeature, String> {
    if quality > pdq::MAX_QUALITY {
        return Err(format!("quality {quality} is not 0 to 100"));
    }
    let hash = PdqHash::from_hex(hash).map_err(|e| e.to_string())?;
    if !(timestamp.is_finite() && timestamp >= 0.0) {
        return Err("the timestamp is not a number of seconds".to_owned());
    }
    Ok(VpdqFeature { frame, quality, hash, timestamp })
}

/// The thresholds of a vPDQ comparison ([`compare`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VpdqThresholds {
    /// Largest distance at which two frames match, in bits.
    pub distance: u32,
    /// Frames of lower quality are left out on both sides.
    pub quality: u8,
    /// Smallest share of the query's frames that must match, in percent.
    pub query_percent: f64,
    /// Smallest share of the compared video's frames that must match, in
    /// percent.
    pub compared_percent: f64,
}

impl Default for VpdqThresholds {
    /// python-threatexchange's: 31 bits, quality 50, 80% and 0%.
    fn default() -> Self {
        VpdqThresholds {
            distance: pdq::DEFAULT_MATCH_DISTANCE,
            quality: pdq::MIN_MATCHABLE_QUALITY,
            query_percent: 80.0,
            compared_percent: 0.0,
        }
    }
}

impl VpdqThresholds {
    /// Whether these percentages make a match.
    pub fn matches(&self, query_percent: f64, compared_percent: f64) -> bool {
        query_percent >= self.query_percent && compared_percent >= self.compared_percent
    }
}

/// The frames of a video that take part in matching: de-duplicated (the
/// first of equal hashes kept), then those of quality below `quality`
/// dropped, in that order, as python-threatexchange's brute matcher does.
pub fn matchable(features: &[VpdqFeature], quality: u8) -> Vec<PdqHash> {
    // The first of equal hashes by sorting, not hashing: a hash set would
    // bring SipHash into the Wasm module for this alone.
    let mut order: Vec<usize> = (0..features.len()).collect();
    crate::sort::unstable_by_key(&mut order, |&i| (features.get(i).map(|f| f.hash), i));
    let mut first = vec![true; features.len()];
    for pair in order.windows(2) {
        if let [a, b] = *pair
            && features.get(a).map(|f| f.hash) == features.get(b).map(|f| f.hash)
            && let Some(later) = first.get_mut(b)
        {
            *later = false;
        }
    }
    features.iter().zip(first).filter(|(f, keep)| *keep && f.quality >= quality).map(|(f, _)| f.hash).collect()
}

/// How much of two videos matches.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoComparison {
    /// Share of the query's matchable frames within the distance of some
    /// frame of the other video, in percent.
    pub query_percent: f64,
    /// Share of the other video's matchable frames within the distance of
    /// some query frame, in percent.
    pub compared_percent: f64,
}

/// `count * 100 / total` as Python computes it, 0 when `total` is 0.
pub fn percent(count: usize, total: usize) -> f64 {
    if total == 0 { 0.0 } else { count as f64 * 100.0 / total as f64 }
}

/// Compares two videos' frames by brute force, by the rule of the module
/// docs; the verdict is `thresholds.matches(query_percent,
/// compared_percent)`. A list is matched through an index instead, with
/// the same result.
pub fn compare(query: &[VpdqFeature], compared: &[VpdqFeature], thresholds: &VpdqThresholds) -> VideoComparison {
    let q = matchable(query, thresholds.quality);
    let c = matchable(compared, thresholds.quality);
    let near = |h: &PdqHash, other: &[PdqHash]| other.iter().any(|o| h.distance(o) <= thresholds.distance);
    let q_matched = q.iter().filter(|h| near(h, &c)).count();
    let c_matched = c.iter().filter(|h| near(h, &q)).count();
    VideoComparison { query_percent: percent(q_matched, q.len()), compared_percent: percent(c_matched, c.len()) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn feature(frame: u64, quality: u8, hash: PdqHash) -> VpdqFeature {
        VpdqFeature { frame, quality, hash, timestamp: 0.0 }
    }

    fn flip(hash: PdqHash, bits: usize) -> PdqHash {
        let mut w = hash.words();
        for k in 0..bits {
            w[k / 64] ^= 1 << (k % 64);
        }
        PdqHash::from_words(w)
    }

    #[test]
    fn frame_step_truncates_as_the_reference() {
        assert_eq!(frame_step(1.0, 30000.0 / 1001.0), 29);
        assert_eq!(frame_step(1.0, 25.0), 25);
        assert_eq!(frame_step(0.0, 25.0), 1);
        assert_eq!(frame_step(0.01, 25.0), 1);
        assert_eq!(frame_step(2.5, 24.0), 60);
        assert_eq!(frame_step(f64::NAN, 24.0), 1);
    }

    #[test]
    fn timestamps_are_f32_divisions_to_three_decimals() {
        let fps = 30000.0 / 1001.0;
        assert_eq!(timestamp(29, fps), 0.968);
        assert_eq!(timestamp(0, fps), 0.0);
        assert_eq!(timestamp(50, 25.0), 2.0);
        assert_eq!(
            VpdqFeature { frame: 29, quality: 7, hash: PdqHash::default(), timestamp: 0.968 }.to_line(),
            format!("29,7,{},0.968", "0".repeat(64))
        );
    }

    #[test]
    fn text_format_round_trips_and_names_bad_lines() {
        let h = PdqHash::from_words([1, 2, 3, 4]);
        let text = format!("0,100,{h},0.000\n\n25,49,{h},1.000,extra\n");
        let got = parse_features(&text, 10).unwrap();
        assert_eq!(
            got,
            vec![
                VpdqFeature { frame: 0, quality: 100, hash: h, timestamp: 0.0 },
                VpdqFeature { frame: 25, quality: 49, hash: h, timestamp: 1.0 }
            ]
        );
        assert_eq!(
            got.iter().map(|f| f.to_line() + "\n").collect::<String>(),
            text.replace("\n\n", "\n").replace(",extra", "")
        );
        for (bad, line) in [
            (format!("0,101,{h},0"), 1),
            (format!("0,9,{h}"), 1),
            (format!("\nx,9,{h},0"), 2),
            ("0,9,abc,0".to_owned(), 1),
            (format!("0,9,{h},-1"), 1),
        ] {
            match parse_features(&bad, 10) {
                Err(Error::BadEntry { location, .. }) => assert_eq!(location, format!("line {line}"), "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(parse_features(&text, 1), Err(Error::LimitExceeded { limit: Limit::VpdqFrames, .. })));
    }

    #[test]
    fn compare_follows_python_threatexchange() {
        let t = VpdqThresholds::default();
        let a = PdqHash::from_words([0x1234_5678_9abc_def0, 0x0fed_cba9_8765_4321, 0xdead_beef, 0xfeed_f00d]);
        let b = PdqHash::from_words([!0, 0, !0, 0]);
        let c = PdqHash::from_words([0x5555, 0xaaaa_0000_ffff, 0x0f0f_0f0f, 0x3333_cccc]);
        // The query: a (twice), b, and a low-quality c; the other: a
        // within 31, c.
        let query = [feature(0, 90, a), feature(1, 90, a), feature(2, 90, b), feature(3, 10, c)];
        let other = [feature(0, 90, flip(a, 31)), feature(1, 90, c)];
        let r = compare(&query, &other, &t);
        assert_eq!((r.query_percent, r.compared_percent), (50.0, 50.0));
        assert!(!t.matches(r.query_percent, r.compared_percent));
        // 32 bits is one too many.
        let far = [feature(0, 90, flip(a, 32))];
        assert_eq!(compare(&query, &far, &t).query_percent, 0.0);
        // 80% is enough: 4 of 5 distinct frames.
        let five: Vec<_> = (0..5).map(|i| feature(i, 90, flip(b, 40 * i as usize))).collect();
        let r = compare(&five, &five[..4], &t);
        assert_eq!(r.query_percent, 80.0);
        assert!(t.matches(r.query_percent, r.compared_percent));
        // Nothing matchable on one side: 0%, no match, no division by zero.
        let r = compare(&[feature(0, 10, a)], &other, &t);
        assert_eq!((r.query_percent, r.compared_percent), (0.0, 0.0));
    }

    #[test]
    fn hasher_takes_every_step_th_frame() {
        let mut h = VideoHasher::new(25.0, 1.0).unwrap();
        let data = vec![128u8; 16 * 16 * 3];
        let px = Pixels::new(&data, 16, 16, crate::pixels::PixelLayout::Rgb).unwrap();
        let kept: Vec<u64> = (0..60).filter_map(|n| h.push(n, px).map(|f| f.frame)).collect();
        assert_eq!(kept, vec![0, 25, 50]);
        assert_eq!(h.finish().iter().map(|f| f.timestamp).collect::<Vec<_>>(), vec![0.0, 1.0, 2.0]);
        assert!(VideoHasher::new(0.0, 1.0).is_err());
        assert!(VideoHasher::new(25.0, -1.0).is_err());
    }
}
