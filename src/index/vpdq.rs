//! [`VpdqIndex`]: the videos of a list's vPDQ section, for the matches of
//! a checked video's frames.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::hash::pdq::PdqHash;
use crate::hash::vpdq::{VideoComparison, VpdqThresholds, percent};
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

    /// The videos that `query` (a checked video's matchable frames,
    /// [`crate::hash::vpdq::matchable`]) matches under `thresholds`, in
    /// entry order. A video none of whose frames is near a query frame is
    /// never a match, even at thresholds of 0%.
    pub fn query(&self, query: &[PdqHash], thresholds: &VpdqThresholds) -> Vec<VideoMatch> {
        // Per video: query frames near it, its frames near the query, and
        // the smallest distance; frames of the video already counted.
        let mut near: HashMap<u32, (usize, u32)> = HashMap::new();
        let mut frames_hit: HashMap<u32, usize> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        for q in query {
            let mut videos: Vec<(u32, u32)> = Vec::new();
            for n in self.frames.query(q, thresholds.distance) {
                let Some(&v) = self.video_of.get(n.entry as usize) else { continue };
                videos.push((v, n.distance));
                if seen.insert(n.entry) {
                    *frames_hit.entry(v).or_default() += 1;
                }
            }
            videos.sort_unstable();
            videos.dedup_by_key(|(v, _)| *v);
            for (v, d) in videos {
                let e = near.entry(v).or_insert((0, u32::MAX));
                e.0 += 1;
                e.1 = e.1.min(d);
            }
        }
        let mut out: Vec<VideoMatch> = near
            .into_iter()
            .filter_map(|(v, (q_count, distance))| {
                let frames = *self.frame_counts.get(v as usize)? as usize;
                let comparison = VideoComparison {
                    query_percent: percent(q_count, query.len()),
                    compared_percent: percent(frames_hit.get(&v).copied().unwrap_or(0), frames),
                };
                thresholds
                    .matches(comparison.query_percent, comparison.compared_percent)
                    .then_some(VideoMatch { entry: v, comparison, distance })
            })
            .collect();
        out.sort_unstable_by_key(|m| m.entry);
        out
    }
}
