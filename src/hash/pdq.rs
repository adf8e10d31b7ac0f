//! Meta's PDQ perceptual hash, bit for bit as the reference C++ core computes it.
//!
//! PDQ turns an image into 256 bits: luma, a two-pass Jarosz (tent) blur
//! down to 64×64, a 16×16 DCT with the DC row and column left out, and one
//! bit per coefficient: set when it is above the median. A quality score
//! from 0 to 100 says how much gradient the 64×64 image has; hashes of
//! quality below 50 are not to be matched.
//!
//! # Bit-exactness
//! Lists are built with Meta's reference, so every float operation here is
//! the reference's operation in the reference's order: the same `f32`
//! running sums in the box filter, the same `f32` divisions, the same DCT
//! matrix and summation order, the same median (Torben's, which returns the
//! lower median). Given the same pixels, [`hash`] returns the same 256 bits
//! and the same quality as `pdqhash.compute` (the reference core as the
//! `pdqhash` PyPI package runs it, on the full-size image). The tests check
//! this against that package.
//!
//! The reference computes luma with `numpy` as
//! `f32(r*0.299 + g*0.587 + b*0.114)` in `f64`; this module does the same.
//!
//! # Speed
//! The reference runs each box pass over the whole image, and its column
//! passes stride through memory. This module streams the image instead: rows
//! are blurred eight at a time in a transposed strip (eight independent
//! running sums side by side, which the compiler turns into vector code),
//! the column pass keeps one running sum per column and reads a small ring
//! of recent rows, and the second horizontal and vertical passes compute only
//! what the 64×64 decimation reads. Each running sum still sees exactly the
//! reference's sequence of additions, subtractions and divisions, so the
//! result is unchanged.
//!
//! # Quirk kept on purpose
//! For an image of exactly 64×64 pixels the reference's single-hash path
//! skips the blur, while its dihedral path does not; [`hash`] and
//! [`hash_dihedral`] follow it, so their "original" hashes can differ on
//! such images.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::pixels::Pixels;

/// Images with a side shorter than this hash to all zeros with quality 0,
/// as in the reference.
pub const MIN_HASHABLE_DIM: usize = 5;

/// The quality below which a PDQ hash should not be matched (the
/// reference's recommendation).
pub const MIN_MATCHABLE_QUALITY: u8 = 50;

/// The highest PDQ quality: the reference's score runs from 0 to 100.
pub const MAX_QUALITY: u8 = 100;

/// The match threshold recommended by the reference, in bits out of 256.
pub const DEFAULT_MATCH_DISTANCE: u32 = 31;

/// Side of the blurred and decimated image the DCT reads.
const DOWNSAMPLED: usize = 64;
/// Lanes of the transposed strip in the horizontal passes: eight `f32`s, two
/// SSE or Wasm SIMD vectors, one AVX vector.
const LANES: usize = 8;

/// A 256-bit PDQ hash.
///
/// Bit `k = 16*i + j` is DCT coefficient `(i, j)`. The hex form is the
/// 256-bit number printed most significant first, as the reference and
/// ThreatExchange print it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PdqHash {
    /// Little-endian words: bit `k` is bit `k % 64` of `words[k / 64]`.
    words: [u64; 4],
}

impl PdqHash {
    /// Number of bits.
    pub const BITS: u32 = 256;

    /// The hash from its four 64-bit words, least significant first.
    pub const fn from_words(words: [u64; 4]) -> Self {
        PdqHash { words }
    }

    /// The four 64-bit words, least significant first.
    pub const fn words(&self) -> [u64; 4] {
        self.words
    }

    /// Bit `k` (0 to 255), that is DCT coefficient `(k / 16, k % 16)`;
    /// `false` past 255.
    pub fn bit(&self, k: usize) -> bool {
        self.words.get(k / 64).is_some_and(|w| (w >> (k % 64)) & 1 == 1)
    }

    fn set_bit(&mut self, k: usize) {
        if let Some(w) = self.words.get_mut(k / 64) {
            *w |= 1 << (k % 64);
        }
    }

    /// The 32 bytes, most significant first (the hex form's bytes).
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(8).zip(self.words.iter().rev()) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// The hash from 32 bytes, most significant first.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut words = [0u64; 4];
        for (word, chunk) in words.iter_mut().rev().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *word = u64::from_be_bytes(b);
        }
        PdqHash { words }
    }

    /// 64 lowercase hex digits, as the reference prints the hash.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    /// Parses 64 hex digits (either case).
    ///
    /// # Errors
    /// [`Error::InvalidHash`] when the text is not exactly 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidHash { kind: "pdq", reason };
        if text.len() != 64 {
            return Err(invalid(format!("expected 64 hex digits, got {} characters", text.len())));
        }
        let bytes = crate::hex::from_hex(text).ok_or_else(|| invalid("not hex".to_owned()))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| invalid("not hex".to_owned()))?;
        Ok(PdqHash::from_bytes(bytes))
    }

    /// Hamming distance: the number of bits in which the hashes differ.
    pub fn distance(&self, other: &PdqHash) -> u32 {
        self.words.iter().zip(other.words.iter()).map(|(a, b)| (a ^ b).count_ones()).sum()
    }
}

impl fmt::Display for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for word in self.words.iter().rev() {
            write!(f, "{word:016x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PdqHash({self})")
    }
}

impl FromStr for PdqHash {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        PdqHash::from_hex(s)
    }
}

/// A PDQ hash with its quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdqResult {
    /// The hash.
    pub hash: PdqHash,
    /// The reference's quality, 0 to 100; below [`MIN_MATCHABLE_QUALITY`]
    /// the hash should not be matched.
    pub quality: u8,
}

/// The eight rotations and mirrors of an image, in the reference's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dihedral {
    /// The image as it is.
    Original,
    /// Rotated 90° (anticlockwise, as the reference's `rotate90`).
    Rotate90,
    /// Rotated 180°.
    Rotate180,
    /// Rotated 270°.
    Rotate270,
    /// Mirrored left to right.
    FlipX,
    /// Mirrored top to bottom.
    FlipY,
    /// Transposed about the main diagonal.
    FlipPlus1,
    /// Transposed about the anti-diagonal.
    FlipMinus1,
}

impl Dihedral {
    /// All eight, in the reference's order.
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rotate90,
        Dihedral::Rotate180,
        Dihedral::Rotate270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    /// A stable name: `original`, `rotate90`, `rotate180`, `rotate270`,
    /// `flipx`, `flipy`, `flipplus1`, `flipminus1`.
    pub const fn name(self) -> &'static str {
        match self {
            Dihedral::Original => "original",
            Dihedral::Rotate90 => "rotate90",
            Dihedral::Rotate180 => "rotate180",
            Dihedral::Rotate270 => "rotate270",
            Dihedral::FlipX => "flipx",
            Dihedral::FlipY => "flipy",
            Dihedral::FlipPlus1 => "flipplus1",
            Dihedral::FlipMinus1 => "flipminus1",
        }
    }

    /// Coefficient `(i, j)` of the transformed image's DCT, from the
    /// original's `dct`: a transpose for the four transforms that swap the
    /// axes, and a sign flip for odd frequencies (`i` or `j` even, since
    /// index 0 is frequency 1) along each mirrored axis.
    fn coefficient(self, dct: &Dct16, i: usize, j: usize) -> f32 {
        let even = |k: usize| k & 1 == 0;
        // (source row, source column, negate)
        let (si, sj, negate) = match self {
            Dihedral::Original => (i, j, false),
            Dihedral::Rotate90 => (j, i, even(i)),
            Dihedral::Rotate180 => (i, j, !even(i + j)),
            Dihedral::Rotate270 => (j, i, even(j)),
            Dihedral::FlipX => (i, j, even(i)),
            Dihedral::FlipY => (i, j, even(j)),
            Dihedral::FlipPlus1 => (j, i, false),
            Dihedral::FlipMinus1 => (j, i, !even(i + j)),
        };
        let v = dct.get(si).and_then(|row| row.get(sj)).copied().unwrap_or(0.0);
        if negate { -v } else { v }
    }
}

/// The hashes of all eight rotations and mirrors, from one DCT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdqDihedral {
    /// Hashes in the order of [`Dihedral::ALL`].
    pub hashes: [PdqHash; 8],
    /// Quality (the same for every variant).
    pub quality: u8,
}

impl PdqDihedral {
    /// The hash of one variant.
    pub fn get(&self, variant: Dihedral) -> PdqHash {
        let index = Dihedral::ALL.iter().position(|v| *v == variant).unwrap_or(0);
        self.hashes.get(index).copied().unwrap_or_default()
    }
}

/// PDQ hash and quality of `pixels`, as `pdqhash.compute` gives them.
///
/// Never panics; images narrower or shorter than [`MIN_HASHABLE_DIM`]
/// give the all-zero hash with quality 0, as in the reference.
pub fn hash(pixels: Pixels<'_>) -> PdqResult {
    hash_with(pixels, Luma::Pdqhash)
}

/// PDQ hash and quality of `pixels`, their luma computed by `luma`'s rule:
/// [`hash`] is `hash_with(pixels, Luma::Pdqhash)`; vPDQ hashes its frames
/// with [`Luma::Float32`].
pub fn hash_with(pixels: Pixels<'_>, luma: Luma) -> PdqResult {
    if too_small(&pixels) {
        return PdqResult { hash: PdqHash::default(), quality: 0 };
    }
    let tables = LumaTables::new(luma);
    let small = if pixels.width() == DOWNSAMPLED && pixels.height() == DOWNSAMPLED {
        // The reference takes a 64×64 input as already downsampled.
        copy_luma_64(&pixels, &tables)
    } else {
        blur_and_decimate(&pixels, &tables)
    };
    let dct = dct_64_to_16(&small);
    PdqResult { hash: bits_from_dct(&dct), quality: quality(&small) }
}

/// PDQ hashes of all eight rotations and mirrors of `pixels`, from one
/// DCT, as `pdqhash.compute_dihedral` gives them.
pub fn hash_dihedral(pixels: Pixels<'_>) -> PdqDihedral {
    if too_small(&pixels) {
        return PdqDihedral { hashes: [PdqHash::default(); 8], quality: 0 };
    }
    let small = blur_and_decimate(&pixels, &LumaTables::new(Luma::Pdqhash));
    let dct = dct_64_to_16(&small);
    let mut hashes = [PdqHash::default(); 8];
    for (out, variant) in hashes.iter_mut().zip(Dihedral::ALL) {
        let mut transformed = [[0f32; 16]; 16];
        for (i, row) in transformed.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = variant.coefficient(&dct, i, j);
            }
        }
        *out = bits_from_dct(&transformed);
    }
    PdqDihedral { hashes, quality: quality(&small) }
}

/// PDQ of `pixels` as the reference hashes them, and of its eight
/// rotations and mirrors, from one DCT where the reference allows it: what
/// a check matches against a list.
///
/// The variants come from the blurred and decimated image, as
/// `pdqhash.compute_dihedral` gives them. The plain hash is the original
/// variant, except for a 64×64 image: the reference takes such an input as
/// already downsampled and skips the blur for its plain hash (not for the
/// variants), so there the plain hash is computed apart, by [`hash`].
pub fn hash_and_dihedral(pixels: Pixels<'_>) -> (PdqResult, PdqDihedral) {
    let dihedral = hash_dihedral(pixels);
    let plain = if pixels.width() == DOWNSAMPLED && pixels.height() == DOWNSAMPLED {
        hash(pixels)
    } else {
        PdqResult { hash: dihedral.get(Dihedral::Original), quality: dihedral.quality }
    };
    (plain, dihedral)
}

fn too_small(pixels: &Pixels<'_>) -> bool {
    pixels.width() < MIN_HASHABLE_DIM || pixels.height() < MIN_HASHABLE_DIM
}

type Small = [[f32; DOWNSAMPLED]; DOWNSAMPLED];
type Dct16 = [[f32; 16]; 16];

// ---------------------------------------------------------------------------
// Luma

/// How an RGB pixel becomes luma. The reference's C++ core and the
/// `pdqhash` package that wraps it disagree in the last bit of some
/// pixels' luma, and so, now and then, in a hash bit; lists are built with
/// one or the other, so both are here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Luma {
    /// `f32(r*0.299 + g*0.587 + b*0.114)` evaluated in `f64` left to right,
    /// as `pdqhash.compute` does with numpy before the core sees the image:
    /// image PDQ lists are built so.
    Pdqhash,
    /// `0.299f*r + 0.587f*g + 0.114f*b` in `f32`, left to right, as the
    /// core's `fillFloatLumaFromRGB` does: vPDQ hashes its frames so.
    Float32,
}

/// The luma of every byte value under a [`Luma`] rule, by table look-up:
/// each entry is the same rounded product the reference computes.
struct LumaTables {
    rule: Luma,
    r: [f64; 256],
    g: [f64; 256],
    b: [f64; 256],
    r32: [f32; 256],
    g32: [f32; 256],
    b32: [f32; 256],
}

// A `u8` index into a 256-entry table cannot be out of bounds.
#[allow(clippy::indexing_slicing)]
impl LumaTables {
    fn new(rule: Luma) -> Self {
        let mut t = LumaTables {
            rule,
            r: [0.0; 256],
            g: [0.0; 256],
            b: [0.0; 256],
            r32: [0.0; 256],
            g32: [0.0; 256],
            b32: [0.0; 256],
        };
        for v in 0..=255u8 {
            let (x, x32, v) = (f64::from(v), f32::from(v), usize::from(v));
            t.r[v] = x * 0.299;
            t.g[v] = x * 0.587;
            t.b[v] = x * 0.114;
            t.r32[v] = 0.299f32 * x32;
            t.g32[v] = 0.587f32 * x32;
            t.b32[v] = 0.114f32 * x32;
        }
        t
    }

    /// Luma of row `y` of `pixels`, written to `out[x]`.
    fn row(&self, pixels: &Pixels<'_>, y: usize, out: &mut [f32]) {
        let row = pixels.row(y);
        let step = pixels.layout().channels();
        if step == 1 {
            for (o, &v) in out.iter_mut().zip(row) {
                *o = f32::from(v);
            }
            return;
        }
        // The rule is matched once a row, not once a pixel.
        match self.rule {
            Luma::Pdqhash => {
                for (o, p) in out.iter_mut().zip(row.chunks_exact(step)) {
                    if let [r, g, b, ..] = *p {
                        *o = ((self.r[r as usize] + self.g[g as usize]) + self.b[b as usize]) as f32;
                    }
                }
            }
            Luma::Float32 => {
                for (o, p) in out.iter_mut().zip(row.chunks_exact(step)) {
                    if let [r, g, b, ..] = *p {
                        *o = (self.r32[r as usize] + self.g32[g as usize]) + self.b32[b as usize];
                    }
                }
            }
        }
    }
}

fn copy_luma_64(pixels: &Pixels<'_>, tables: &LumaTables) -> Small {
    let mut out = [[0f32; DOWNSAMPLED]; DOWNSAMPLED];
    for (y, row) in out.iter_mut().enumerate() {
        tables.row(pixels, y, row);
    }
    out
}

// ---------------------------------------------------------------------------
// The Jarosz box filter, streamed

/// The reference's box filter window for a side of `n` pixels:
/// `ceil(n / 128)`, so that two passes cover a 64th of the side.
fn window_size(n: usize) -> usize {
    n.div_ceil(2 * DOWNSAMPLED)
}

/// One 1-D box pass of the reference (`box1DFloat`) described per output
/// index, so that it can run over any layout.
///
/// Output `o` first adds input `o + half - 1` (while that exists), then
/// subtracts input `o - (full - half + 1)` (once that exists), then divides
/// the running sum by the number of inputs in it. Before output 0, the sum
/// takes inputs `0 .. half - 1`.
#[derive(Debug, Clone, Copy)]
struct BoxWindow {
    n: usize,
    half: usize,
    /// `full - half + 1`: the first output that subtracts.
    first_sub: usize,
}

impl BoxWindow {
    fn new(n: usize, full: usize) -> Self {
        let half = (full + 2) / 2;
        BoxWindow { n, half, first_sub: full + 1 - half }
    }

    /// Inputs summed before the first output.
    fn warmup(&self) -> usize {
        (self.half - 1).min(self.n)
    }

    fn add(&self, o: usize) -> Option<usize> {
        let a = o + self.half - 1;
        (a < self.n).then_some(a)
    }

    fn sub(&self, o: usize) -> Option<usize> {
        o.checked_sub(self.first_sub)
    }

    fn divisor(&self, o: usize) -> f32 {
        let added = (o + self.half).min(self.n);
        let subtracted = (o + 1).saturating_sub(self.first_sub);
        // Exact: window sizes are far below 2^24.
        (added - subtracted) as f32
    }
}

/// One output step of a box pass over many independent lanes: the running
/// sums take `add`, give up `sub`, and `out` gets the sums divided by
/// `divisor`, each lane with the reference's `f32` operations in its order.
#[inline(always)]
fn box_step(sums: &mut [f32], add: Option<&[f32]>, sub: Option<&[f32]>, divisor: f32, out: &mut [f32]) {
    if let Some(add) = add {
        for (s, a) in sums.iter_mut().zip(add) {
            *s += *a;
        }
    }
    if let Some(sub) = sub {
        for (s, a) in sums.iter_mut().zip(sub) {
            *s -= *a;
        }
    }
    for (o, s) in out.iter_mut().zip(sums.iter()) {
        *o = *s / divisor;
    }
}

/// The horizontal box pass over a transposed strip of up to eight rows:
/// `input[x][lane]` is pixel `x` of row `lane`.
fn box_strip(input: &[[f32; LANES]], output: &mut [[f32; LANES]], window: &BoxWindow) {
    let mut sums = [0f32; LANES];
    for a in input.iter().take(window.warmup()) {
        box_step(&mut sums, Some(a), None, 1.0, &mut [0f32; 0]);
    }
    for (o, out) in output.iter_mut().enumerate() {
        let add = window.add(o).and_then(|i| input.get(i));
        let sub = window.sub(o).and_then(|i| input.get(i));
        box_step(&mut sums, add.map(|a| &a[..]), sub.map(|s| &s[..]), window.divisor(o), out);
    }
}

/// Up to eight rows gathered side by side for [`box_strip`].
struct Strip {
    input: Vec<[f32; LANES]>,
    output: Vec<[f32; LANES]>,
}

impl Strip {
    fn new(width: usize) -> Self {
        Strip { input: vec![[0.0; LANES]; width], output: vec![[0.0; LANES]; width] }
    }

    fn set_row(&mut self, lane: usize, row: &[f32]) {
        for (cell, v) in self.input.iter_mut().zip(row) {
            if let Some(c) = cell.get_mut(lane) {
                *c = *v;
            }
        }
    }

    fn blur(&mut self, window: &BoxWindow) {
        box_strip(&self.input, &mut self.output, window);
    }

    fn get_row(&self, lane: usize, row: &mut [f32]) {
        for (v, cell) in row.iter_mut().zip(&self.output) {
            *v = cell.get(lane).copied().unwrap_or(0.0);
        }
    }
}

/// Rows of the first vertical pass's input, kept only while the pass can
/// still read them.
struct RowRing {
    rows: Vec<f32>,
    width: usize,
    capacity: usize,
}

impl RowRing {
    fn new(width: usize, capacity: usize) -> Self {
        RowRing { rows: vec![0.0; width * capacity], width, capacity }
    }

    fn row(&self, y: usize) -> &[f32] {
        let start = (y % self.capacity) * self.width;
        self.rows.get(start..start + self.width).unwrap_or(&[])
    }

    fn row_mut(&mut self, y: usize) -> &mut [f32] {
        let start = (y % self.capacity) * self.width;
        self.rows.get_mut(start..start + self.width).unwrap_or(&mut [])
    }
}

/// The reference's decimation indices: the pixel nearest the centre of
/// each of 64 cells, computed in `f64` as the reference does.
fn decimation_indices(n: usize) -> [usize; DOWNSAMPLED] {
    let mut out = [0usize; DOWNSAMPLED];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (((i as f64 + 0.5) * n as f64) / DOWNSAMPLED as f64) as usize;
    }
    out
}

/// Luma, two horizontal-then-vertical box passes, and decimation to 64×64,
/// equal to the reference's `jaroszFilterFloat` + `decimateFloat`.
///
/// Stages, each streamed row by row:
/// 1. luma of eight rows → horizontal pass → ring of rows;
/// 2. vertical pass over the ring → eight rows at a time →
/// 3. horizontal pass, kept only at the 64 decimated columns → `narrow`;
/// 4. vertical pass over `narrow` (64 lanes), kept at the 64 decimated rows.
fn blur_and_decimate(pixels: &Pixels<'_>, tables: &LumaTables) -> Small {
    let (width, height) = (pixels.width(), pixels.height());
    let along_rows = BoxWindow::new(width, window_size(width));
    let along_cols = BoxWindow::new(height, window_size(height));
    let cols = decimation_indices(width);
    let rows = decimation_indices(height);

    // The vertical pass reads rows up to `half - 1` ahead and `full + 1 -
    // half` behind the row it writes, and rows arrive eight at a time, so a
    // ring of `full + 2 * LANES` rows always holds every row it needs.
    let ring_rows = (window_size(height) + 2 * LANES).min(height);
    let mut ring = RowRing::new(width, ring_rows);
    let mut strip = Strip::new(width);
    let mut line = vec![0f32; width];
    let mut vertical_sums = vec![0f32; width];
    let mut block = vec![0f32; width * LANES];
    let mut block_rows = 0usize;
    // Stage 3's output: every row, at the 64 decimated columns.
    let mut narrow = vec![[0f32; DOWNSAMPLED]; height];
    let mut next_out_row = 0usize; // next row of the first vertical pass
    let mut warmed = 0usize; // rows added to `vertical_sums` before row 0

    let mut y0 = 0;
    while y0 < height {
        let count = LANES.min(height - y0);
        // Stage 1: luma and the first horizontal pass on rows y0..y0+count.
        for lane in 0..count {
            tables.row(pixels, y0 + lane, &mut line);
            strip.set_row(lane, &line);
        }
        strip.blur(&along_rows);
        for lane in 0..count {
            strip.get_row(lane, ring.row_mut(y0 + lane));
        }
        let available = y0 + count;
        y0 = available;

        // Stage 2: the first vertical pass, for every row whose inputs
        // have arrived.
        while warmed < along_cols.warmup() && warmed < available {
            box_step(&mut vertical_sums, Some(ring.row(warmed)), None, 1.0, &mut []);
            warmed += 1;
        }
        if warmed < along_cols.warmup() {
            continue;
        }
        while next_out_row < height {
            let o = next_out_row;
            let add = along_cols.add(o);
            if add.is_some_and(|a| a >= available) {
                break;
            }
            let lane = o % LANES;
            let out = block.get_mut(lane * width..(lane + 1) * width).unwrap_or(&mut []);
            box_step(
                &mut vertical_sums,
                add.map(|a| ring.row(a)),
                along_cols.sub(o).map(|s| ring.row(s)),
                along_cols.divisor(o),
                out,
            );
            next_out_row += 1;
            block_rows += 1;
            // Stage 3: the second horizontal pass on each full block.
            if block_rows == LANES || next_out_row == height {
                let first = next_out_row - block_rows;
                for lane in 0..block_rows {
                    let row = block.get(lane * width..(lane + 1) * width).unwrap_or(&[]);
                    strip.set_row(lane, row);
                }
                strip.blur(&along_rows);
                for lane in 0..block_rows {
                    if let Some(dst) = narrow.get_mut(first + lane) {
                        for (d, &x) in dst.iter_mut().zip(cols.iter()) {
                            *d = strip.output.get(x).and_then(|c| c.get(lane)).copied().unwrap_or(0.0);
                        }
                    }
                }
                block_rows = 0;
            }
        }
    }

    // Stage 4: the second vertical pass over the 64 kept columns.
    let mut out = [[0f32; DOWNSAMPLED]; DOWNSAMPLED];
    let mut sums = [0f32; DOWNSAMPLED];
    for a in narrow.iter().take(along_cols.warmup()) {
        box_step(&mut sums, Some(a), None, 1.0, &mut []);
    }
    let mut row_out = [0f32; DOWNSAMPLED];
    let mut next = 0usize;
    for o in 0..height {
        let add = along_cols.add(o).and_then(|i| narrow.get(i));
        let sub = along_cols.sub(o).and_then(|i| narrow.get(i));
        box_step(&mut sums, add.map(|a| &a[..]), sub.map(|s| &s[..]), along_cols.divisor(o), &mut row_out);
        while rows.get(next) == Some(&o) {
            if let Some(dst) = out.get_mut(next) {
                *dst = row_out;
            }
            next += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// DCT, quality, bits

/// The reference's 16×64 DCT-II matrix (rows for frequencies 1 to 16):
/// `f32(f32(sqrt(2/64)) * cos(pi/128 * (i+1) * (2j+1)))` with the cosine
/// and the product in `f64`.
fn dct_matrix() -> [[f32; DOWNSAMPLED]; 16] {
    let scale = (2.0f64 / DOWNSAMPLED as f64).sqrt() as f32;
    let mut m = [[0f32; DOWNSAMPLED]; 16];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            let angle = (PI / 2.0 / DOWNSAMPLED as f64) * (i + 1) as f64 * (2 * j + 1) as f64;
            *v = (f64::from(scale) * angle.cos()) as f32;
        }
    }
    m
}

/// `D · A · Dᵀ` with the reference's `f32` summation order (`k` ascending).
fn dct_64_to_16(a: &Small) -> Dct16 {
    let d = dct_matrix();
    // T = D · A, 16×64.
    let mut t = [[0f32; DOWNSAMPLED]; 16];
    for (t_row, d_row) in t.iter_mut().zip(d.iter()) {
        for (j, t_ij) in t_row.iter_mut().enumerate() {
            let mut sum = 0f32;
            for (d_ik, a_row) in d_row.iter().zip(a.iter()) {
                sum += d_ik * a_row.get(j).copied().unwrap_or(0.0);
            }
            *t_ij = sum;
        }
    }
    // B = T · Dᵀ, 16×16.
    let mut b = [[0f32; 16]; 16];
    for (b_row, t_row) in b.iter_mut().zip(t.iter()) {
        for (b_ij, d_row) in b_row.iter_mut().zip(d.iter()) {
            let mut sum = 0f32;
            for (t_ik, d_jk) in t_row.iter().zip(d_row.iter()) {
                sum += t_ik * d_jk;
            }
            *b_ij = sum;
        }
    }
    b
}

/// The reference's quality: the sum of quantised neighbour differences in
/// the 64×64 image, scaled and capped at 100.
fn quality(a: &Small) -> u8 {
    let step = |u: f32, v: f32| -> i32 { (((u - v) * 100.0) / 255.0) as i32 };
    let mut sum: i32 = 0;
    for pair in a.windows(2) {
        if let [upper, lower] = pair {
            for (u, v) in upper.iter().zip(lower.iter()) {
                sum += step(*u, *v).abs();
            }
        }
    }
    for row in a.iter() {
        for pair in row.windows(2) {
            if let [u, v] = pair {
                sum += step(*u, *v).abs();
            }
        }
    }
    (sum / 90).clamp(0, i32::from(MAX_QUALITY)) as u8
}

/// One bit per coefficient: set when above the lower median (the 128th
/// smallest of 256, which is what the reference's Torben median returns).
fn bits_from_dct(dct: &Dct16) -> PdqHash {
    let mut sorted = [0f32; 256];
    for (s, v) in sorted.iter_mut().zip(dct.iter().flatten()) {
        *s = *v;
    }
    let (_, median, _) = sorted.select_nth_unstable_by(127, f32::total_cmp);
    let median = *median;
    let mut hash = PdqHash::default();
    for (k, v) in dct.iter().flatten().enumerate() {
        if *v > median {
            hash.set_bit(k);
        }
    }
    hash
}

#[cfg(test)]
// The twin mirrors the reference's C++ loops on purpose.
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::needless_range_loop, clippy::manual_div_ceil)]
mod tests {
    //! The fast pipeline against a line-by-line twin of the reference.
    use super::*;
    use crate::pixels::PixelLayout;

    /// The reference's `box1DFloat` over a strided vector.
    fn naive_box(input: &[f32], output: &mut [f32], n: usize, stride: usize, full: usize) {
        let half = (full + 2) / 2;
        let (p1, p2, p3, p4) = (half - 1, full - half + 1, n - full, half - 1);
        let (mut li, mut ri, mut oi) = (0, 0, 0);
        let mut sum = 0f32;
        let mut cw = 0i32;
        for _ in 0..p1 {
            sum += input[ri];
            cw += 1;
            ri += stride;
        }
        for _ in 0..p2 {
            sum += input[ri];
            cw += 1;
            output[oi] = sum / cw as f32;
            ri += stride;
            oi += stride;
        }
        for _ in 0..p3 {
            sum += input[ri];
            sum -= input[li];
            output[oi] = sum / cw as f32;
            li += stride;
            ri += stride;
            oi += stride;
        }
        for _ in 0..p4 {
            sum -= input[li];
            cw -= 1;
            output[oi] = sum / cw as f32;
            li += stride;
            oi += stride;
        }
    }

    fn naive_small(pixels: &Pixels<'_>) -> Small {
        let (w, h) = (pixels.width(), pixels.height());
        let tables = LumaTables::new(Luma::Pdqhash);
        let mut buf1 = vec![0f32; w * h];
        for y in 0..h {
            tables.row(pixels, y, &mut buf1[y * w..(y + 1) * w]);
        }
        let mut buf2 = vec![0f32; w * h];
        let (wr, wc) = (window_size(w), window_size(h));
        for _ in 0..2 {
            for y in 0..h {
                naive_box(&buf1[y * w..], &mut buf2[y * w..], w, 1, wr);
            }
            for x in 0..w {
                naive_box(&buf2[x..], &mut buf1[x..], h, w, wc);
            }
        }
        let mut out = [[0f32; 64]; 64];
        for i in 0..64 {
            let yi = (((i as f64 + 0.5) * h as f64) / 64.0) as usize;
            for j in 0..64 {
                let xj = (((j as f64 + 0.5) * w as f64) / 64.0) as usize;
                out[i][j] = buf1[yi * w + xj];
            }
        }
        out
    }

    fn noise(w: usize, h: usize, channels: usize, seed: u64) -> Vec<u8> {
        let mut rng = crate::test_rng::Rng(seed);
        (0..w * h * channels)
            .map(|i| {
                let smooth = ((i / channels) % w * 255 / w.max(1)) as u8;
                smooth.wrapping_add((rng.next_u32() >> 27) as u8)
            })
            .collect()
    }

    #[test]
    fn streamed_blur_equals_reference_passes_bit_for_bit() {
        let sizes = [
            (5, 5),
            (6, 5),
            (5, 9),
            (7, 13),
            (17, 8),
            (64, 64),
            (63, 65),
            (100, 37),
            (129, 130),
            (257, 255),
            (300, 17),
            (17, 300),
            (1000, 9),
            (9, 1000),
            (640, 480),
            (513, 1031),
        ];
        for (idx, &(w, h)) in sizes.iter().enumerate() {
            for layout in [PixelLayout::Luma, PixelLayout::Rgb, PixelLayout::Rgba] {
                let data = noise(w, h, layout.channels(), idx as u64);
                let px = Pixels::new(&data, w as u32, h as u32, layout).unwrap();
                let fast = blur_and_decimate(&px, &LumaTables::new(Luma::Pdqhash));
                let slow = naive_small(&px);
                for i in 0..64 {
                    for j in 0..64 {
                        assert_eq!(fast[i][j].to_bits(), slow[i][j].to_bits(), "{w}x{h} {layout:?} at ({i},{j})");
                    }
                }
            }
        }
    }

    #[test]
    fn window_sizes_match_reference_formula() {
        for n in 1..2000usize {
            assert_eq!(window_size(n), (n + 2 * 64 - 1) / (2 * 64));
        }
    }

    #[test]
    fn median_is_the_lower_median() {
        let mut dct = [[0f32; 16]; 16];
        for (k, v) in dct.iter_mut().flatten().enumerate() {
            *v = k as f32;
        }
        let h = bits_from_dct(&dct);
        // 0..=127 are not above the median 127; 128..=255 are.
        for k in 0..256 {
            assert_eq!(h.bit(k), k >= 128, "bit {k}");
        }
    }

    #[test]
    fn hex_round_trips_and_refuses_garbage() {
        let text = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let h = PdqHash::from_hex(text).unwrap();
        assert_eq!(h.to_hex(), text);
        assert_eq!(PdqHash::from_bytes(h.to_bytes()), h);
        assert_eq!(PdqHash::from_hex(&text.to_uppercase()).unwrap(), h);
        assert!(PdqHash::from_hex(&text[1..]).is_err());
        assert!(PdqHash::from_hex(&format!("+{}", &text[1..])).is_err());
        assert!(PdqHash::from_hex(&format!("{}g", &text[1..])).is_err());
        assert!(PdqHash::from_hex(&"é".repeat(32)).is_err());
        // bit 255 is the first hex digit's high bit
        let top = PdqHash::from_hex(&format!("8{}", "0".repeat(63))).unwrap();
        assert!(top.bit(255) && !top.bit(0));
        assert_eq!(top.distance(&PdqHash::default()), 1);
    }

    #[test]
    fn tiny_images_hash_to_zero() {
        let data = vec![7u8; 4 * 100 * 3];
        let px = Pixels::new(&data, 4, 100, PixelLayout::Rgb).unwrap();
        assert_eq!(hash(px), PdqResult { hash: PdqHash::default(), quality: 0 });
        assert_eq!(hash_dihedral(px).hashes, [PdqHash::default(); 8]);
    }
}
