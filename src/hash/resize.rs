//! Lanczos3 resizing of grey images to a few pixels, bit for bit as
//! `image` 0.25's `imageops::resize` computes it, faster.
//!
//! The perceptual hashes are defined by `image_hasher`, which shrinks the
//! grey image with `imageops::resize(…, FilterType::Lanczos3)`; their values
//! depend on every rounding of that resampler, so this module repeats its
//! arithmetic exactly: the same kernel (`sin` of `f32`), the same weights,
//! normalised the same way, each output a sum over the same inputs in the
//! same order, without fused multiply-adds, the vertical pass first (into
//! `f32`), the horizontal second (rounded and clamped to a byte), and the
//! same shortcut (a copy) when the size does not change.
//!
//! What differs is only the memory order. `imageops::resize` walks each
//! column down the whole window of rows for every output pixel (a cache
//! miss a tap on a 12-megapixel image) and carries four channels for a grey
//! one; here each output row adds whole input rows in turn, reading the
//! image front to back. The sums per pixel are the same, term by term. And
//! a [`Shrinker`] keeps the vertical pass of each output height, so dHash
//! (9 × 8) and aHash (8 × 8) share theirs.
//!
//! `tests::same_as_imageops_resize` holds this to `imageops::resize` on
//! sizes from 1 × 1 up, shrinking and enlarging.

use std::cell::OnceCell;

use image::GrayImage;

/// Support of the Lanczos3 kernel, in output pixels.
const SUPPORT: f32 = 3.0;

/// `image`'s `sinc`.
fn sinc(t: f32) -> f32 {
    let a = t * std::f32::consts::PI;
    if t == 0.0 { 1.0 } else { a.sin() / a }
}

/// `image`'s `lanczos3_kernel`.
fn lanczos3(x: f32) -> f32 {
    if x.abs() < SUPPORT { sinc(x) * sinc(x / SUPPORT) } else { 0.0 }
}

/// The inputs and weights of output sample `out` when `len` samples are
/// resized to `new_len`: the first input and one weight per input from it,
/// as `image`'s `vertical_sample` and `horizontal_sample` compute them.
fn weights(len: u32, new_len: u32, out: u32) -> (usize, Vec<f32>) {
    let ratio = len as f32 / new_len as f32;
    let sratio = if ratio < 1.0 { 1.0 } else { ratio };
    let src_support = SUPPORT * sratio;
    let centre = (out as f32 + 0.5) * ratio;
    let left = ((centre - src_support).floor() as i64).clamp(0, i64::from(len) - 1);
    let right = ((centre + src_support).ceil() as i64).clamp(left + 1, i64::from(len));
    let centre = centre - 0.5;
    let mut ws: Vec<f32> = (left..right).map(|i| lanczos3((i as f32 - centre) / sratio)).collect();
    let sum: f32 = ws.iter().fold(0.0, |sum, w| sum + w);
    for w in &mut ws {
        *w /= sum;
    }
    (left as usize, ws)
}

/// The vertical pass: `new_height` rows of `width` unrounded samples.
fn vertical(grey: &GrayImage, new_height: u32) -> Vec<f32> {
    let (width, height) = (grey.width() as usize, grey.height());
    let rows: Vec<&[u8]> = grey.as_raw().chunks_exact(width.max(1)).collect();
    let mut out = vec![0.0f32; width * new_height as usize];
    for (y, sums) in (0..new_height).zip(out.chunks_exact_mut(width.max(1))) {
        let (top, ws) = weights(height, new_height, y);
        for (row, &w) in rows.iter().skip(top).zip(&ws) {
            for (sum, &v) in sums.iter_mut().zip(row.iter()) {
                *sum += f32::from(v) * w;
            }
        }
    }
    out
}

/// The horizontal pass over `columns` (rows of `width` samples, from
/// [`vertical`]): `new_width` bytes a row.
fn horizontal(columns: &[f32], width: u32, new_width: u32) -> Vec<u8> {
    let rows: Vec<&[f32]> = columns.chunks_exact(width.max(1) as usize).collect();
    let mut out = vec![0u8; new_width as usize * rows.len()];
    for x in 0..new_width {
        let (left, ws) = weights(width, new_width, x);
        for (row, out_row) in rows.iter().zip(out.chunks_exact_mut(new_width.max(1) as usize)) {
            let sum = row.iter().skip(left).zip(&ws).fold(0.0f32, |sum, (&v, &w)| sum + v * w);
            if let Some(o) = out_row.get_mut(x as usize) {
                // `as` saturates; `image` rounds half away from zero too.
                *o = sum.clamp(0.0, 255.0).round() as u8;
            }
        }
    }
    out
}

/// Output heights whose vertical pass a [`Shrinker`] keeps: those of the
/// hashes (8 for dHash and aHash, 16 for pHash).
const KEPT_HEIGHTS: [u32; 2] = [8, 16];

/// A grey image to resize to several small sizes, computing each vertical
/// pass once.
pub(crate) struct Shrinker<'a> {
    grey: &'a GrayImage,
    passes: [OnceCell<Vec<f32>>; KEPT_HEIGHTS.len()],
}

impl<'a> Shrinker<'a> {
    pub(crate) fn new(grey: &'a GrayImage) -> Self {
        Shrinker { grey, passes: Default::default() }
    }

    /// `imageops::resize(grey, width, height, FilterType::Lanczos3)`'s
    /// pixels, row by row.
    pub(crate) fn resize(&self, width: u32, height: u32) -> Vec<u8> {
        let grey = self.grey;
        if (width, height) == grey.dimensions() {
            return grey.as_raw().clone();
        }
        if grey.width() == 0 || grey.height() == 0 {
            return vec![0; width as usize * height as usize];
        }
        let kept = KEPT_HEIGHTS.iter().position(|&h| h == height).and_then(|i| self.passes.get(i));
        match kept {
            Some(cell) => horizontal(cell.get_or_init(|| vertical(grey, height)), grey.width(), width),
            None => horizontal(&vertical(grey, height), grey.width(), width),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)] // tests: a panic is a failure
mod tests {
    use super::*;
    use image::imageops::{self, FilterType};

    fn noise(w: u32, h: u32, seed: u32) -> GrayImage {
        let mut rng = crate::test_rng::Rng(u64::from(seed));
        GrayImage::from_fn(w, h, |x, y| {
            image::Luma([(rng.next_u32() >> 24) as u8 / if (x / 7 + y / 5) % 3 == 0 { 1 } else { 2 }])
        })
    }

    #[test]
    fn same_as_imageops_resize() {
        let sources =
            [(1, 1), (1, 9), (9, 1), (3, 2), (8, 8), (9, 8), (16, 16), (17, 16), (16, 40), (61, 97), (300, 7)];
        let targets = [(8, 8), (9, 8), (16, 16), (1, 1), (5, 3), (20, 30)];
        let mut compared = 0;
        for (i, &(w, h)) in sources.iter().chain(&[(640, 480), (1001, 333)]).enumerate() {
            let grey = noise(w, h, i as u32);
            let shrinker = Shrinker::new(&grey);
            for &(nw, nh) in &targets {
                let expected = imageops::resize(&grey, nw, nh, FilterType::Lanczos3);
                assert_eq!(shrinker.resize(nw, nh), expected.as_raw().clone(), "{w}×{h} → {nw}×{nh}");
                compared += 1;
            }
        }
        assert_eq!(compared, 13 * 6);
    }

    /// Many random sizes to the hashes' sizes: a rounding that differs
    /// anywhere shows as a byte that differs somewhere.
    #[test]
    fn same_as_imageops_resize_on_random_sizes() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n) as u32
        };
        let mut differing = Vec::new();
        for case in 0..400 {
            let (w, h) = (1 + next(260), 1 + next(260));
            let grey = noise(w, h, case);
            let shrinker = Shrinker::new(&grey);
            for (nw, nh) in [(16, 16), (9, 8), (8, 8)] {
                if shrinker.resize(nw, nh) != imageops::resize(&grey, nw, nh, FilterType::Lanczos3).into_raw() {
                    differing.push((w, h, nw, nh));
                }
            }
        }
        assert_eq!(differing, []);
    }

    #[test]
    fn a_kept_pass_serves_every_width() {
        let grey = noise(200, 150, 3);
        let shrinker = Shrinker::new(&grey);
        for nw in [9, 8, 9, 3] {
            let expected = imageops::resize(&grey, nw, 8, FilterType::Lanczos3);
            assert_eq!(shrinker.resize(nw, 8), expected.as_raw().clone());
        }
    }
}
