//! `image_hasher`'s blockhash (16 × 16 blocks, 256 bits), bit for bit,
//! read straight from pixels in any layout.
//!
//! image_hasher 3.1 computes it pixel by pixel through a closure that
//! divides, floors and weighs in `f32` for every pixel; on a 12-megapixel
//! photo that is most of the time of all four perceptual hashes. The
//! arithmetic here is the same: when both sides divide by 16, integer sums
//! of R + G + B per block (`blockhash_fast`); otherwise `f32` sums, each
//! pixel split over up to four blocks with its weights, added in the same
//! row-major order (`blockhash_slow`, whose sums round once they pass 2²⁴,
//! so the order matters). What is done once a row or a column (block
//! indices and weights) is computed once, not once a pixel, and adding a
//! weight of exactly zero, which changes no sum, is skipped.
//!
//! Pixels are read as the RGB image `perceptual` would hand image_hasher:
//! alpha dropped, grey counted three times.
//! `tests/perceptual_oracle.rs` holds the values to image_hasher's.

use crate::pixels::{PixelLayout, Pixels};

/// Blocks a side.
const SIDE: usize = 16;
/// Blocks in a group with its own median: four rows of blocks.
const GROUP: usize = SIDE * 4;

/// R + G + B of every pixel of row `y`, in order.
fn row_sums<'a>(pixels: &Pixels<'a>, y: usize) -> impl Iterator<Item = u32> + 'a {
    let row = pixels.row(y);
    let (step, grey) = match pixels.layout() {
        PixelLayout::Luma => (1, true),
        PixelLayout::Rgb => (3, false),
        PixelLayout::Rgba => (4, false),
    };
    row.chunks_exact(step).map(move |px| match (grey, px) {
        (true, [v, ..]) => 3 * u32::from(*v),
        (false, [r, g, b, ..]) => u32::from(*r) + u32::from(*g) + u32::from(*b),
        _ => 0,
    })
}

/// The 256 bits, block by block, row-major.
pub(crate) fn blockhash_bits(pixels: Pixels<'_>) -> Vec<bool> {
    if pixels.width().is_multiple_of(SIDE) && pixels.height().is_multiple_of(SIDE) {
        exact_blocks(&pixels)
    } else {
        weighted_blocks(&pixels)
    }
}

/// Sides that divide by 16: whole pixels per block, integer sums.
fn exact_blocks(pixels: &Pixels<'_>) -> Vec<bool> {
    let (width, height) = (pixels.width(), pixels.height());
    let (block_width, block_height) = (width / SIDE, height / SIDE);
    let mut blocks = [0u32; SIDE * SIDE];
    for y in 0..height {
        let base = y / block_height.max(1) * SIDE;
        for (x, sum) in row_sums(pixels, y).enumerate() {
            if let Some(block) = blocks.get_mut(base + x / block_width.max(1)) {
                // image_hasher's `+=` on u32: wraps in a release build. No
                // image under the decode limits comes near.
                *block = block.wrapping_add(sum);
            }
        }
    }
    let block_area = (block_width as u32).wrapping_mul(block_height as u32);
    let cmp_factor = 765u32.wrapping_mul(block_area) / 2;
    bits(&blocks, cmp_factor, |a, b| a == b)
}

/// Where one pixel coordinate's value goes along one axis: the first block
/// and its weight, the second block and its weight, as image_hasher's
/// `blockhash_slow` computes them.
#[derive(Clone, Copy)]
struct Split {
    first: usize,
    first_weight: f32,
    second: usize,
    second_weight: f32,
}

fn split(i: usize, block_len: f32) -> Split {
    let i = i as f32;
    let block = i / block_len;
    // Sic: `i + (1 % block_len)`, as image_hasher (and the Python blockhash
    // it follows) writes it. For blocks of more than a pixel this is
    // `i + 1`: a whole number, so the first weight is 0 and the second 1.
    let modulo = i + 1. % block_len;
    let first_weight = modulo.fract();
    let first = block.floor() as usize;
    let second = if modulo.trunc() == 0. { block.ceil() as usize } else { first };
    Split { first, first_weight, second, second_weight: 1. - first_weight }
}

/// Other sides: pixels weighed into blocks, `f32` sums.
fn weighted_blocks(pixels: &Pixels<'_>) -> Vec<bool> {
    let (width, height) = (pixels.width(), pixels.height());
    let (block_width, block_height) = (width as f32 / SIDE as f32, height as f32 / SIDE as f32);
    let columns: Vec<Split> = (0..width).map(|x| split(x, block_width)).collect();
    let mut blocks = [0f32; SIDE * SIDE];
    for y in 0..height {
        let row = split(y, block_height);
        for (sum, column) in row_sums(pixels, y).zip(&columns) {
            let sum = sum as f32;
            // image_hasher's order: (left, top), (left, bottom), (right,
            // top), (right, bottom); the product `sum * w1 * w2` left to
            // right.
            for (bx, wx, by, wy) in [
                (column.first, column.first_weight, row.first, row.first_weight),
                (column.first, column.first_weight, row.second, row.second_weight),
                (column.second, column.second_weight, row.first, row.first_weight),
                (column.second, column.second_weight, row.second, row.second_weight),
            ] {
                if wx != 0.
                    && wy != 0.
                    && let Some(block) = blocks.get_mut(by * SIDE + bx)
                {
                    *block += sum * wx * wy;
                }
            }
        }
    }
    let cmp_factor = 255. * 3. * (block_width * block_height) / 2.;
    bits(&blocks, cmp_factor, |a: f32, b: f32| (a - b).abs() < 0.001)
}

/// A bit per block, four rows of blocks at a time: above the group's
/// median (its 33rd smallest), or equal to it when the median is over half
/// the brightest a block can be.
fn bits<T: Copy + PartialOrd>(blocks: &[T], cmp_factor: T, equal: impl Fn(T, T) -> bool) -> Vec<bool> {
    let mut out = Vec::with_capacity(blocks.len());
    for group in blocks.chunks(GROUP) {
        let mut sorted = group.to_vec();
        let k = sorted.len() / 2;
        crate::sort::unstable_by(&mut sorted, |a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Less));
        let Some(&median) = sorted.get(k) else { continue };
        out.extend(group.iter().map(|&block| block > median || (equal(block, median) && median > cmp_factor)));
    }
    out
}
