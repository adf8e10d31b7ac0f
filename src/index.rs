//! The matching structures a checker queries: given the hashes of a list, in
//! list order, find the entries that match a query hash.
//!
//! * [`PdqIndex`] finds the PDQ hashes within a Hamming distance of a query,
//!   or of any of its eight rotations and mirrors, by multi-index hashing;
//!   [`pdq_linear_scan`] is its naive twin, with the same results.
//! * [`ExactSet`] finds the entries whose digest (MD5, SHA-1, SHA-256) is
//!   exactly a query's.
//! * [`HammingSet`] finds the entries whose perceptual hash (`phash`,
//!   `dhash`, `ahash`, `blockhash`) is within a Hamming distance of a
//!   query's.
//!
//! Results name entries by their index in list order (a `u32`). Building an
//! index refuses a list of more than `u32::MAX` entries
//! ([`Error::ListTooLarge`]) and a byte string that is not a whole number of
//! keys ([`Error::ListMalformed`]); a query never fails and never panics. A
//! query key of the wrong length matches nothing. No structure here uses
//! threads or clocks, so all of them work the same in WebAssembly.

use crate::error::{Error, Result};
use crate::hash::pdq::{Dihedral, PdqHash};

/// One PDQ entry near a query: its index in list order and its distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PdqNeighbour {
    /// Index of the entry in list order.
    pub entry: u32,
    /// Hamming distance from the query, 0 to 256.
    pub distance: u32,
}

/// One PDQ entry near some rotation or mirror of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PdqMatch {
    /// Index of the entry in list order.
    pub entry: u32,
    /// The smallest Hamming distance from the entry to any variant.
    pub distance: u32,
    /// The variant at that distance (the first in [`Dihedral::ALL`] order
    /// when several are).
    pub variant: Dihedral,
}

/// One entry near a query in a [`HammingSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Neighbour {
    /// Index of the entry in list order.
    pub entry: u32,
    /// Hamming distance from the query, in bits.
    pub distance: u32,
}

/// The refusal for a list of more entries than a `u32` can name.
fn too_many(count: usize) -> Error {
    Error::ListTooLarge { limit: "entries", requested: count as u64, max: u64::from(u32::MAX) }
}

/// Splits `bytes` into keys of `hash_len` bytes, refusing a length of 0, a
/// ragged tail and more than `u32::MAX` keys.
fn check_keys(what: &str, hash_len: usize, bytes: &[u8]) -> Result<usize> {
    if hash_len == 0 {
        return Err(Error::ListMalformed(format!("{what}: hash length 0")));
    }
    if !bytes.len().is_multiple_of(hash_len) {
        return Err(Error::ListMalformed(format!(
            "{what}: {} bytes is not a whole number of {hash_len}-byte hashes",
            bytes.len()
        )));
    }
    let count = bytes.len() / hash_len;
    if u32::try_from(count).is_err() {
        return Err(too_many(count));
    }
    Ok(count)
}

// ---------------------------------------------------------------------------
// PDQ: multi-index hashing
// ---------------------------------------------------------------------------

/// Chunks the 256 bits are split into, one table each.
const CHUNKS: usize = 16;
/// Bits per chunk.
const CHUNK_BITS: u32 = 16;
/// Distinct values of one chunk: buckets per table.
const BUCKETS: usize = 1 << CHUNK_BITS;
/// Length of one table's offset array.
const OFFSETS_PER_TABLE: usize = BUCKETS + 1;
/// Largest per-chunk radius probed; past it (thresholds of 48 and more) a
/// query scans the list in order instead. At radius 2 a variant reads
/// 16 × 137 buckets, about 3% of the list in random order, still less work
/// than reading all of it; at radius 3 it would be 17%.
const MAX_PROBE_RADIUS: u32 = 2;

/// Chunk `k` (0 to 15) of a hash: bits `16k` to `16k + 15`.
#[inline]
fn chunk(words: &[u64; 4], k: usize) -> usize {
    let word = words.get(k / 4).copied().unwrap_or(0);
    ((word >> (CHUNK_BITS as usize * (k % 4))) & 0xffff) as usize
}

/// Hamming distance of two hashes given as words.
#[inline]
fn distance_words(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Every 16-bit mask with at most `radius` bits set (`radius` ≤ 2): the
/// values within `radius` of a chunk are the chunk XOR each mask.
fn masks(radius: u32) -> Vec<u16> {
    let mut out = vec![0u16];
    if radius >= 1 {
        out.extend((0..CHUNK_BITS).map(|i| 1u16 << i));
    }
    if radius >= 2 {
        for i in 0..CHUNK_BITS {
            out.extend((i + 1..CHUNK_BITS).map(|j| (1u16 << i) | (1u16 << j)));
        }
    }
    out
}

/// Bytes per stored id for a list of `n` entries: the fewest that hold
/// `n - 1`, at least 2.
fn id_width(n: usize) -> usize {
    if n <= 1 << 16 {
        2
    } else if n <= 1 << 24 {
        3
    } else {
        4
    }
}

/// The id stored little-endian in `bytes` (`W` of them).
#[inline]
fn read_id<const W: usize>(bytes: &[u8]) -> u32 {
    let mut le = [0u8; 4];
    for (d, s) in le.iter_mut().zip(bytes.iter().take(W)) {
        *d = *s;
    }
    u32::from_le_bytes(le)
}

/// A PDQ list indexed for near-neighbour queries, with or without the eight
/// rotations and mirrors of the query.
///
/// # Method: multi-index hashing
/// The 256 bits are cut into 16 disjoint chunks of 16 bits. If an entry is
/// within distance `d` of the query, its 16 chunk distances add up to at
/// most `d`, so (pigeonhole) at least one chunk is within `r = ⌊d / 16⌋` of
/// the query's chunk: were every chunk `r + 1` or more away, the total
/// would be at least `16 (r + 1) > d`. At the usual threshold of 31, the
/// radius `r` is one. So a query looks, in each of the 16 tables, at the
/// bucket of its chunk and of the 16 values one bit away, and checks every
/// entry found there with the full distance. Every match is found (usually
/// in several chunks; the duplicates are merged) and nothing else is
/// reported. For a random list a variant reads 16 × 17 buckets of
/// `len / 65536` entries, about 0.4% of the list.
///
/// # Layout
/// The hashes stay in list order, 32 bytes each, so checking a candidate is
/// one read. Each table is an inverted index in compressed-sparse-row form:
/// an offset array of 65,537 `u32`s (one per chunk value and one past the
/// end) and an id array holding, for each chunk value in turn, the entries
/// with that value in ascending order; bucket `v` of table `k` is
/// `ids[k][offsets[k][v]..offsets[k][v + 1]]`. The 16 tables live in two
/// flat vectors. Ids are stored little-endian in as few bytes as the list
/// needs: 2 up to 65,536 entries, 3 up to 16,777,216, else 4. A list of a
/// million costs 32 + 16 × 3 = 80 bytes per entry plus 4 MiB of offsets.
///
/// Measured against this, with a million random hashes: 4-byte ids were no
/// faster (96 bytes per entry); 11 chunks of 23–24 bits probed at radius 2,
/// with buckets on 16 bits and the other 7–8 kept as a one-byte tag beside
/// each id, verify twelve times fewer candidates but read five times more
/// buckets and were about 1.5 times slower (90 bytes per entry).
#[derive(Debug, Clone, Default)]
pub struct PdqIndex {
    /// The hashes in list order.
    hashes: Vec<[u64; 4]>,
    /// `CHUNKS` offset arrays of `OFFSETS_PER_TABLE` each, back to back.
    offsets: Vec<u32>,
    /// `CHUNKS` id arrays of `hashes.len()` ids each, back to back, each id
    /// `id_width` bytes, little-endian.
    ids: Vec<u8>,
    /// Bytes per id: 2, 3 or 4.
    id_width: usize,
}

impl PdqIndex {
    /// Indexes `hashes`, given in list order.
    ///
    /// # Errors
    /// [`Error::ListTooLarge`] for more than `u32::MAX` hashes.
    pub fn new(hashes: Vec<PdqHash>) -> Result<Self> {
        let n = hashes.len();
        u32::try_from(n).map_err(|_| too_many(n))?;
        let words: Vec<[u64; 4]> = hashes.iter().map(PdqHash::words).collect();
        drop(hashes);
        Ok(PdqIndex::build(words, id_width(n)))
    }

    /// The index of `words` with ids of `width` bytes (enough for
    /// `words.len()`, checked by the caller).
    fn build(words: Vec<[u64; 4]>, width: usize) -> Self {
        let n = words.len();
        if n == 0 {
            // No tables: every probe finds no bucket.
            return PdqIndex { hashes: words, offsets: Vec::new(), ids: Vec::new(), id_width: width };
        }
        let mut offsets = vec![0u32; CHUNKS * OFFSETS_PER_TABLE];
        let mut ids = vec![0u8; CHUNKS * n * width];
        let tables = offsets.chunks_exact_mut(OFFSETS_PER_TABLE).zip(ids.chunks_mut((n * width).max(1)));
        for (k, (table_offsets, table_ids)) in tables.enumerate() {
            build_table(&words, k, table_offsets, table_ids, width);
        }
        PdqIndex { hashes: words, offsets, ids, id_width: width }
    }

    /// Indexes hashes stored as in a list: 32 bytes each, most significant
    /// byte first, back to back.
    ///
    /// # Errors
    /// [`Error::ListMalformed`] when the length is not a multiple of 32;
    /// [`Error::ListTooLarge`] for more than `u32::MAX` hashes.
    pub fn from_be_bytes(bytes: &[u8]) -> Result<Self> {
        check_keys("pdq", 32, bytes)?;
        let hashes = bytes
            .chunks_exact(32)
            .map(|c| {
                let mut b = [0u8; 32];
                b.copy_from_slice(c);
                PdqHash::from_bytes(b)
            })
            .collect();
        PdqIndex::new(hashes)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the index holds no entry.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The hash of entry `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<PdqHash> {
        self.hashes.get(i).map(|w| PdqHash::from_words(*w))
    }

    /// Heap bytes the index holds: the hashes, the offsets and the ids, by
    /// the capacity of their vectors.
    pub fn memory_bytes(&self) -> usize {
        self.hashes.capacity() * std::mem::size_of::<[u64; 4]>()
            + self.offsets.capacity() * std::mem::size_of::<u32>()
            + self.ids.capacity()
    }

    /// The entries within `max_distance` of `q`, sorted by distance, then
    /// entry. A `max_distance` of 256 or more returns every entry.
    pub fn query(&self, q: &PdqHash, max_distance: u32) -> Vec<PdqNeighbour> {
        let q = q.words();
        let mut out = Vec::new();
        let radius = max_distance / CHUNKS as u32;
        if radius > MAX_PROBE_RADIUS {
            for (entry, h) in (0u32..).zip(&self.hashes) {
                let distance = distance_words(h, &q);
                if distance <= max_distance {
                    out.push(PdqNeighbour { entry, distance });
                }
            }
        } else {
            let masks = masks(radius);
            self.probe(&q, max_distance, &masks, &mut |entry, distance| out.push(PdqNeighbour { entry, distance }));
            out.sort_unstable_by_key(|n| (n.entry, n.distance));
            out.dedup_by_key(|n| n.entry);
        }
        out.sort_unstable_by_key(|n| (n.distance, n.entry));
        out
    }

    /// The entries within `max_distance` of any of `variants` (the hashes of
    /// the eight rotations and mirrors in [`Dihedral::ALL`] order, as
    /// [`crate::hash::pdq::PdqDihedral::hashes`] holds them): one match per
    /// entry, with its smallest distance and the first variant at it, sorted
    /// by distance, then entry. The same as [`pdq_linear_scan`], faster.
    pub fn query_dihedral(&self, variants: &[PdqHash; 8], max_distance: u32) -> Vec<PdqMatch> {
        let radius = max_distance / CHUNKS as u32;
        if radius > MAX_PROBE_RADIUS {
            return scan_words(&self.hashes, variants, max_distance);
        }
        let masks = masks(radius);
        // (entry, distance, variant index): sorting puts each entry's best
        // hit first.
        let mut hits: Vec<(u32, u32, u8)> = Vec::new();
        for (v, variant) in (0u8..).zip(variants) {
            self.probe(&variant.words(), max_distance, &masks, &mut |entry, distance| hits.push((entry, distance, v)));
        }
        hits.sort_unstable();
        hits.dedup_by_key(|h| h.0);
        let mut out: Vec<PdqMatch> = hits
            .into_iter()
            .map(|(entry, distance, v)| PdqMatch {
                entry,
                distance,
                variant: Dihedral::ALL.get(usize::from(v)).copied().unwrap_or(Dihedral::Original),
            })
            .collect();
        out.sort_unstable_by_key(|m| (m.distance, m.entry));
        out
    }

    /// Calls `hit(entry, distance)` for every entry within `max_distance` of
    /// `q` (some more than once), probing each table with the chunk of `q`
    /// XOR each of `masks`.
    fn probe(&self, q: &[u64; 4], max_distance: u32, masks: &[u16], hit: &mut dyn FnMut(u32, u32)) {
        match self.id_width {
            2 => self.probe_width::<2>(q, max_distance, masks, hit),
            3 => self.probe_width::<3>(q, max_distance, masks, hit),
            _ => self.probe_width::<4>(q, max_distance, masks, hit),
        }
    }

    /// [`PdqIndex::probe`] for ids of `W` bytes.
    fn probe_width<const W: usize>(
        &self,
        q: &[u64; 4],
        max_distance: u32,
        masks: &[u16],
        hit: &mut dyn FnMut(u32, u32),
    ) {
        let table_len = self.hashes.len() * W;
        for k in 0..CHUNKS {
            let offsets = self.offsets.get(k * OFFSETS_PER_TABLE..(k + 1) * OFFSETS_PER_TABLE).unwrap_or(&[]);
            let ids = self.ids.get(k * table_len..(k + 1) * table_len).unwrap_or(&[]);
            let qk = chunk(q, k);
            for &mask in masks {
                let value = qk ^ usize::from(mask);
                let (Some(&start), Some(&end)) = (offsets.get(value), offsets.get(value + 1)) else {
                    continue;
                };
                let bucket = ids.get(start as usize * W..end as usize * W).unwrap_or(&[]);
                for id in bucket.chunks_exact(W).map(read_id::<W>) {
                    if let Some(h) = self.hashes.get(id as usize) {
                        let distance = distance_words(h, q);
                        if distance <= max_distance {
                            hit(id, distance);
                        }
                    }
                }
            }
        }
    }
}

/// Fills table `k` by counting sort: `offsets` (65,537 long) from the counts
/// of chunk `k`'s values, then `ids` (`words.len()` ids of `width` bytes) in
/// ascending entry order within each bucket.
fn build_table(words: &[[u64; 4]], k: usize, offsets: &mut [u32], ids: &mut [u8], width: usize) {
    for h in words {
        if let Some(c) = offsets.get_mut(chunk(h, k) + 1) {
            *c += 1;
        }
    }
    let mut sum = 0u32;
    for c in offsets.iter_mut() {
        sum += *c;
        *c = sum;
    }
    // offsets[v] is now the start of bucket v; use it as a cursor and shift
    // back afterwards (cursor v ends at the start of v + 1).
    for (id, h) in (0u32..).zip(words) {
        if let Some(cursor) = offsets.get_mut(chunk(h, k)) {
            let at = *cursor as usize * width;
            if let (Some(slot), Some(bytes)) = (ids.get_mut(at..at + width), id.to_le_bytes().get(..width)) {
                slot.copy_from_slice(bytes);
            }
            *cursor += 1;
        }
    }
    offsets.copy_within(0..BUCKETS, 1);
    if let Some(first) = offsets.first_mut() {
        *first = 0;
    }
}

/// The matches of `variants` among `hashes` within `max_distance`, by
/// reading every hash: the same results as [`PdqIndex::query_dihedral`].
///
/// Only the first `u32::MAX` hashes are searched (an index refuses more).
pub fn pdq_linear_scan(hashes: &[PdqHash], variants: &[PdqHash; 8], max_distance: u32) -> Vec<PdqMatch> {
    let words: Vec<[u64; 4]> = variants.iter().map(PdqHash::words).collect();
    let mut out = Vec::new();
    for (entry, h) in (0u32..).zip(hashes) {
        push_best(&mut out, entry, &h.words(), &words, max_distance);
    }
    out.sort_unstable_by_key(|m| (m.distance, m.entry));
    out
}

/// [`pdq_linear_scan`] over hashes already split into words.
fn scan_words(hashes: &[[u64; 4]], variants: &[PdqHash; 8], max_distance: u32) -> Vec<PdqMatch> {
    let words: Vec<[u64; 4]> = variants.iter().map(PdqHash::words).collect();
    let mut out = Vec::new();
    for (entry, h) in (0u32..).zip(hashes) {
        push_best(&mut out, entry, h, &words, max_distance);
    }
    out.sort_unstable_by_key(|m| (m.distance, m.entry));
    out
}

/// Pushes entry `entry` with hash `h` when some variant is within
/// `max_distance`, with the first variant at the smallest distance.
#[inline]
fn push_best(out: &mut Vec<PdqMatch>, entry: u32, h: &[u64; 4], variants: &[[u64; 4]], max_distance: u32) {
    let mut best: Option<(u32, Dihedral)> = None;
    for (v, variant) in variants.iter().zip(Dihedral::ALL) {
        let distance = distance_words(h, v);
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, variant));
        }
    }
    if let Some((distance, variant)) = best
        && distance <= max_distance
    {
        out.push(PdqMatch { entry, distance, variant });
    }
}

// ---------------------------------------------------------------------------
// Digests: exact match
// ---------------------------------------------------------------------------

/// Fixed-length digests (MD5, SHA-1, SHA-256) for exact lookup.
///
/// The keys are sorted, each with its entry, so a lookup is a binary search:
/// `hash_len + 4` bytes per entry.
#[derive(Debug, Clone, Default)]
pub struct ExactSet {
    /// Length of one key in bytes (at least 1).
    hash_len: usize,
    /// The keys, sorted, back to back.
    keys: Vec<u8>,
    /// `entries[i]` is the entry of the `i`-th sorted key; equal keys are in
    /// ascending entry order.
    entries: Vec<u32>,
}

impl ExactSet {
    /// Builds the set from `keys`: the entries' keys of `hash_len` bytes each,
    /// back to back, in list order.
    ///
    /// # Errors
    /// [`Error::ListMalformed`] when `hash_len` is 0 or `keys` is not a whole
    /// number of keys; [`Error::ListTooLarge`] for more than `u32::MAX`.
    pub fn from_entries(hash_len: usize, keys: &[u8]) -> Result<Self> {
        let count = check_keys("digest", hash_len, keys)?;
        let key = |i: u32| keys.get(i as usize * hash_len..(i as usize + 1) * hash_len).unwrap_or(&[]);
        let mut entries: Vec<u32> = (0..count as u32).collect();
        entries.sort_unstable_by(|&a, &b| key(a).cmp(key(b)).then(a.cmp(&b)));
        let mut sorted = Vec::with_capacity(keys.len());
        for &e in &entries {
            sorted.extend_from_slice(key(e));
        }
        Ok(ExactSet { hash_len, keys: sorted, entries })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Heap bytes the set holds.
    pub fn memory_bytes(&self) -> usize {
        self.keys.capacity() + self.entries.capacity() * std::mem::size_of::<u32>()
    }

    /// Every entry whose key is `key`, in ascending order (usually none or
    /// one; a list may repeat a digest under several labels). A key of the
    /// wrong length matches nothing.
    pub fn get(&self, key: &[u8]) -> Vec<u32> {
        if key.len() != self.hash_len {
            return Vec::new();
        }
        let at = |i: usize| self.keys.get(i * self.hash_len..(i + 1) * self.hash_len).unwrap_or(&[]);
        let n = self.entries.len();
        let first = partition_point(n, |i| at(i) < key);
        let end = first + partition_point(n - first, |i| at(first + i) == key);
        self.entries.get(first..end).map(<[u32]>::to_vec).unwrap_or_default()
    }
}

/// The first `i` in `0..n` for which `before(i)` is false, `before` being
/// true on a prefix.
fn partition_point(n: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

// ---------------------------------------------------------------------------
// Perceptual hashes: Hamming distance by scan
// ---------------------------------------------------------------------------

/// Perceptual hashes (8-byte `phash`, `dhash`, `ahash`; 32-byte
/// `blockhash`) for queries within a Hamming distance.
///
/// A query reads every entry: the keys are stored as 64-bit words back to
/// back, and an entry costs one XOR and popcount per word. That is enough
/// here because these lists are small next to PDQ lists and a query is one
/// hash, not eight variants: the scan reads memory in order, at a few
/// nanoseconds per entry. A key whose length is not a multiple of 8 is padded with
/// zero bytes, which changes no distance.
#[derive(Debug, Clone, Default)]
pub struct HammingSet {
    /// Length of one key in bytes (at least 1).
    hash_len: usize,
    /// Words per key: `hash_len` / 8, rounded up.
    words_per_key: usize,
    /// The keys in list order, each as `words_per_key` big-endian words.
    words: Vec<u64>,
}

impl HammingSet {
    /// Builds the set from `keys`: the entries' keys of `hash_len` bytes each,
    /// back to back, in list order.
    ///
    /// # Errors
    /// [`Error::ListMalformed`] when `hash_len` is 0 or `keys` is not a whole
    /// number of keys; [`Error::ListTooLarge`] for more than `u32::MAX`.
    pub fn from_entries(hash_len: usize, keys: &[u8]) -> Result<Self> {
        let count = check_keys("perceptual", hash_len, keys)?;
        let words_per_key = hash_len.div_ceil(8);
        let mut words = Vec::with_capacity(count * words_per_key);
        for key in keys.chunks_exact(hash_len) {
            push_words(&mut words, key);
        }
        Ok(HammingSet { hash_len, words_per_key, words })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.words.len().checked_div(self.words_per_key).unwrap_or(0)
    }

    /// Whether the set holds no entry.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Heap bytes the set holds.
    pub fn memory_bytes(&self) -> usize {
        self.words.capacity() * std::mem::size_of::<u64>()
    }

    /// The entries within `max_distance` bits of `key`, sorted by distance,
    /// then entry. A key of the wrong length matches nothing.
    pub fn query(&self, key: &[u8], max_distance: u32) -> Vec<Neighbour> {
        if key.len() != self.hash_len {
            return Vec::new();
        }
        let mut q = Vec::with_capacity(self.words_per_key);
        push_words(&mut q, key);
        let mut out = Vec::new();
        match q.as_slice() {
            [q] => {
                for (entry, w) in (0u32..).zip(&self.words) {
                    let distance = (w ^ q).count_ones();
                    if distance <= max_distance {
                        out.push(Neighbour { entry, distance });
                    }
                }
            }
            [q0, q1, q2, q3] => {
                for (entry, w) in (0u32..).zip(self.words.chunks_exact(4)) {
                    if let [w0, w1, w2, w3] = w {
                        let distance = (w0 ^ q0).count_ones()
                            + (w1 ^ q1).count_ones()
                            + (w2 ^ q2).count_ones()
                            + (w3 ^ q3).count_ones();
                        if distance <= max_distance {
                            out.push(Neighbour { entry, distance });
                        }
                    }
                }
            }
            q => {
                for (entry, w) in (0u32..).zip(self.words.chunks_exact(self.words_per_key.max(1))) {
                    let distance: u32 = w.iter().zip(q).map(|(a, b)| (a ^ b).count_ones()).sum();
                    if distance <= max_distance {
                        out.push(Neighbour { entry, distance });
                    }
                }
            }
        }
        out.sort_unstable_by_key(|n| (n.distance, n.entry));
        out
    }
}

/// Appends `key` as big-endian 64-bit words, the last one padded with zero
/// bytes.
fn push_words(out: &mut Vec<u64>, key: &[u8]) {
    for part in key.chunks(8) {
        let mut b = [0u8; 8];
        for (dst, src) in b.iter_mut().zip(part) {
            *dst = *src;
        }
        out.push(u64::from_be_bytes(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids of 2, 3 and 4 bytes give the same answers (the public
    /// constructor picks 4 only past 16,777,216 entries).
    #[test]
    fn every_id_width_agrees() {
        let mut x = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let words: Vec<[u64; 4]> = (0..3000).map(|_| [next(), next(), next(), next()]).collect();
        let indexes: Vec<PdqIndex> = [2, 3, 4].iter().map(|&w| PdqIndex::build(words.clone(), w)).collect();
        for (i, h) in words.iter().enumerate().step_by(37) {
            let mut variants = [PdqHash::from_words([next(), next(), next(), next()]); 8];
            // A variant 20 bits from entry i.
            let mut near = *h;
            for b in 0..20 {
                near[b % 4] ^= 1 << (b * 3);
            }
            variants[i % 8] = PdqHash::from_words(near);
            let expected = scan_words(&words, &variants, 31);
            assert!(expected.iter().any(|m| m.entry as usize == i));
            for index in &indexes {
                assert_eq!(index.query_dihedral(&variants, 31), expected);
            }
        }
    }
}
