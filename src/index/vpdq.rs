//! [`VpdqIndex`]: the videos of a list's vPDQ section, for the matches of
//! a checked video's frames.

use crate::error::{Error, Result};
use crate::hash::vpdq::{self, VideoComparison, VpdqFeature, VpdqThresholds, percent};
use crate::index::{HashStore, PdqIndex};

/// The frames of every listed video in one [`PdqIndex`], each frame
/// knowing its video.
///
/// A query gives, for every video with a frame near one of the query's,
/// python-threatexchange's two percentages ([`crate::hash::vpdq::compare`]
/// against that video alone gives the same): the share of the query's
/// frames near some frame of the video, and the share of the video's frames
/// near some frame of the query. Each query frame is one PDQ query (not
/// dihedral: vPDQ matches frames as they are).
#[derive(Debug, Clone, Default)]
pub struct VpdqIndex {
    frames: PdqIndex,
    /// The video of each frame, in frame order.
    video_of: Vec<u32>,
    /// Each video's number of frames.
    frame_counts: Vec<u32>,
}

/// One listed video near a checked one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoMatch {
    /// The video's entry in its section.
    pub entry: u32,
    /// The two percentages.
    pub comparison: VideoComparison,
    /// The smallest distance between a query frame and a frame of the
    /// video.
    pub distance: u32,
}

impl VpdqIndex {
    /// The index of `frames` (32-byte PDQ hashes, most significant byte
    /// first, video after video), divided into videos by `counts` (each
    /// video's number of frames, one or more).
    ///
    /// # Errors
    /// [`Error::ListMalformed`] when the counts do not add up to the
    /// frames, or a video has none; those of [`PdqIndex::over`].
    pub fn new(frames: HashStore, counts: Vec<u32>) -> Result<Self> {
        let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        if total != frames.len() as u64 || counts.contains(&0) {
            return Err(Error::ListMalformed(format!(
                "vpdq: {} frames divided into videos of {total} frames, or a video of none",
                frames.len()
            )));
        }
        let mut video_of = Vec::with_capacity(frames.len());
        for (v, &c) in (0u32..).zip(&counts) {
            video_of.extend(std::iter::repeat_n(v, c as usize));
        }
        Ok(VpdqIndex { frames: PdqIndex::over(frames)?, video_of, frame_counts: counts })
    }

    /// Number of videos.
    pub fn len(&self) -> usize {
        self.frame_counts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.frame_counts.is_empty()
    }

    /// Heap bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.frames.memory_bytes() + self.video_of.capacity() * 4 + self.frame_counts.capacity() * 4
    }

    /// The videos that a checked video of `features` matches under
    /// `thresholds`, in entry order: its frames that take part
    /// ([`vpdq::matchable`]) are each looked up. A video none of whose
    /// frames is near a query frame is never a match, even at thresholds of
    /// 0%.
    pub fn query(&self, features: &[VpdqFeature], thresholds: &VpdqThresholds) -> Vec<VideoMatch> {
        let query = vpdq::matchable(features, thresholds.quality);
        // Every (video, query frame, distance) near, and every listed
        // frame near some query frame; then counted by sorting (no hash
        // maps: they would bring SipHash into the Wasm module).
        let mut near: Vec<(u32, usize, u32)> = Vec::new();
        let mut frames: Vec<u32> = Vec::new();
        for (i, q) in query.iter().enumerate() {
            for n in self.frames.query(q, thresholds.distance) {
                let Some(&v) = self.video_of.get(n.entry as usize) else { continue };
                near.push((v, i, n.distance));
                frames.push(n.entry);
            }
        }
        crate::sort::unstable(&mut near);
        crate::sort::unstable(&mut frames);
        frames.dedup();
        // Frames are numbered video after video, so the frames hit come
        // grouped by video, in video order.
        let mut hit_per_video: Vec<(u32, usize)> = Vec::new();
        for f in frames {
            let Some(&v) = self.video_of.get(f as usize) else { continue };
            match hit_per_video.last_mut() {
                Some((last, count)) if *last == v => *count += 1,
                _ => hit_per_video.push((v, 1)),
            }
        }
        let mut out = Vec::new();
        let mut hits = hit_per_video.into_iter().peekable();
        for group in near.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(v, _, _)) = group.first() else { continue };
            let distinct_queries =
                1 + group.windows(2).filter(|w| w.first().map(|x| x.1) != w.get(1).map(|x| x.1)).count();
            let distance = group.iter().map(|x| x.2).min().unwrap_or(u32::MAX);
            while hits.peek().is_some_and(|(hv, _)| *hv < v) {
                hits.next();
            }
            let frames_hit = hits.peek().filter(|(hv, _)| *hv == v).map_or(0, |(_, c)| *c);
            let Some(&count) = self.frame_counts.get(v as usize) else { continue };
            let comparison = VideoComparison {
                query_percent: percent(distinct_queries, query.len()),
                compared_percent: percent(frames_hit, count as usize),
            };
            if thresholds.matches(comparison.query_percent, comparison.compared_percent) {
                out.push(VideoMatch { entry: v, comparison, distance });
            }
        }
        out
    }
}
