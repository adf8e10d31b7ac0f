//! PDQ: multi-index hashing with a pair filter ([`PdqIndex`]), and its
//! naive twin [`pdq_linear_scan`], which gives the same answers.

use super::packed::{Packed, bits_for};
use super::slots::Slots;
use super::store::HashStore;
use super::{PdqMatch, PdqNeighbour, too_many};
use crate::error::Result;
use crate::hash::pdq::{Dihedral, PdqHash};
use crate::pages::advise_huge_pages;
use crate::prefetch::{Level, prefetch};

/// Chunks the 256 bits are split into, one table each.
const CHUNKS: usize = 16;
/// Pairs of chunks: chunks `2p` and `2p + 1` form pair `p`.
const PAIRS: usize = CHUNKS / 2;
/// Bits per chunk.
const CHUNK_BITS: u32 = 16;
/// Distinct values of one chunk: buckets per table.
const BUCKETS: usize = 1 << CHUNK_BITS;
/// Length of one table's offset array.
const OFFSETS_PER_TABLE: usize = BUCKETS + 1;
/// Largest per-chunk radius probed; past it (thresholds of 48 and more) a
/// query scans the list in order instead. At radius 2 a variant reads
/// 16 × 137 buckets, about 3% of the list, still less work than reading all
/// of it; at radius 3 it would be 17%.
const MAX_PROBE_RADIUS: u32 = 2;
/// The largest distance an indexed query answers through the tables: the
/// last whose chunk radius is `MAX_PROBE_RADIUS`. Past it a query reads
/// every hash, which an index without its hashes puts back together from
/// the tables, slowly (see [`PdqIndex::over_keeping_hashes`]).
pub const MAX_INDEXED_DISTANCE: u32 = (2 * MAX_PROBE_RADIUS + 2) * PAIRS as u32 - 1;
/// Positions of an even table between two samples of its bucket
/// directory ([`PdqIndex`]'s `samples`): a query finds the bucket that
/// holds a position from the sample before it, a few buckets on at most.
const SAMPLE_EVERY: usize = 64;
/// A query that has checked one candidate for every this many entries of
/// the list stops and scans the list instead: the bound on a list crowded
/// into a few buckets (many entries sharing chunks), where every bucket
/// read would hold much of the list. A random list of a million has about
/// 300 candidates checked a dihedral query, a thousandth of the 250,000
/// this allows; walking those costs about as much as the scan.
const SCAN_ABOVE_ENTRIES_PER_CANDIDATE: usize = 4;
/// An index whose largest bucket holds more entries than this keeps the
/// list's hashes (see [`PdqIndex::over`]): its queries may end in a scan,
/// which reads held hashes in milliseconds but takes about a second to put
/// them back together from the tables. A random list of 32 Mi entries (the
/// most a list may hold) has about 500 in a bucket; a list with thousands
/// in one was built with many entries sharing chunks.
pub const CROWDED_BUCKET: u32 = 1 << 12;
/// Candidates a query walks together (see [`PdqIndex::probe`]): enough
/// for their reads to overlap (a random million-entry list gives about 80
/// a dihedral query), few enough that a query of a crowded list holds
/// a bounded number (48 KiB of them) before it gives up for a scan.
const WALK_BATCH: usize = 4096;
/// Buckets between the steps of a query's pipeline (see
/// [`PdqIndex::probe`]): a bucket's line of offsets is asked for this many
/// buckets before its range is read, and its partners this many before
/// they are filtered. Enough for the reads to be in flight together, few
/// enough that what was asked for is still in the first-level cache when it
/// is read. Asking for every bucket of a query in one round before reading
/// any (2,176 lines of offsets at distance 31, more than that cache holds)
/// was 1.5 times slower on the AMD EPYC machine of 2026-12-07
/// (`benches/index.rs`).
const READ_AHEAD: usize = 32;
/// Buckets between asking for a bucket's lines of [`Slots`] into the
/// first-level cache and filtering them (see [`PdqIndex::probe_slots`]).
const SLOT_READ_AHEAD: usize = 16;
/// Buckets between asking for a bucket's lines of [`Slots`] into the
/// second-level cache and filtering them. With both, a query at a million
/// entries took about 0.89 times as long as with the first level only,
/// 32 buckets ahead (the ratio to the index without its hashes, run in
/// turns in one process, three runs each: median 0.65 against 0.73,
/// 2026-12-07); 32 and 128 gave 0.66. A first level asked alone for lines
/// 48 or 64 buckets ahead was no faster: its few slots for lines on their
/// way fill (a quarter of the query's samples in the server sat on its
/// prefetches).
const SLOT_READ_FAR: usize = 64;
/// The shortest list whose index, when it holds its hashes
/// ([`PdqIndex::over_keeping_hashes`]), keeps its buckets in slots (`index::slots`):
/// about half a million. Their 64 MiB (a line a bucket of 16 tables) would
/// cost more than 128 bytes an entry on a shorter list, whose rows (under
/// 16 MiB) mostly come from the last-level cache anyway.
pub const SLOTS_FROM: usize = 1 << 19;
/// Lists shorter than this are scanned, not indexed: the tables' offsets
/// alone take 4 MiB, 256 bytes an entry at 16,384 entries, while a scan of
/// that many (all eight variants) takes about 0.25 ms, a small part of
/// hashing the image it matches.
pub const SCAN_BELOW: usize = 1 << 14;

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

/// The radii a query at `max_distance` probes with: `(pair, chunk)`, the
/// largest distance a pair of chunks may have in the pair that finds an
/// entry, and the largest distance of the chunk probed in it.
#[inline]
fn radii(max_distance: u32) -> (u32, u32) {
    let pair = max_distance / PAIRS as u32;
    (pair, pair / 2)
}

/// A PDQ list indexed for near-neighbour queries, with or without the eight
/// rotations and mirrors of the query.
///
/// # Method: multi-index hashing with a pair filter
/// The 256 bits are cut into 16 disjoint chunks of 16 bits, and the chunks
/// into 8 pairs (chunks `2p` and `2p + 1`). If an entry is within distance
/// `d` of the query, its 8 pair distances add up to at most `d`, so
/// (pigeonhole) some pair is within `R = ⌊d / 8⌋` of the query's: were
/// every pair `R + 1` or more away, the total would be at least
/// `8 (R + 1) > d`. In that pair, one of the two chunks is within
/// `r = ⌊R / 2⌋` (else the pair would be at least `2 (r + 1) > R` away). At
/// the usual threshold of 31, `R` is 3 and `r` is 1.
///
/// So a query looks, in each of the 16 tables (one per chunk), at the
/// bucket of its chunk and of the values within `r` of it (17 buckets at
/// `r = 1`). Beside each entry, a table keeps the entry's other chunk of the
/// pair (its *partner*), so the pair distance is known without reading
/// anything else: an entry whose pair is more than `R` away is skipped, and
/// only the others (about 1% of a random list's candidates at `R = 3`) are
/// checked whole. Every match is found (it is within `R` in some pair, and
/// within `r` in a chunk of that pair) and nothing else is reported.
///
/// # Layout: the tables are the hashes
/// Each table is an inverted index in compressed-sparse-row form: an offset
/// array of 65,537 `u32`s (one per chunk value and one past the end) and,
/// for each chunk value in turn, the entries with that value; bucket `v` of
/// table `k` is positions `offsets[k][v]..offsets[k][v + 1]`. Every table
/// keeps the partner (a `u16`) of each position. A position of an even
/// table (chunk `2p`) therefore holds a whole pair of its entry: chunk
/// `2p` is the bucket it is in, chunk `2p + 1` its partner. The eight even
/// tables together hold the whole hash, and each of their positions also
/// keeps a link: the position of the same entry in the next even table
/// (table 14 links back to table 0). Checking a candidate found in pair `p`
/// follows the links through the other seven pairs, adding each pair's
/// distance, and stops as soon as the sum is over the threshold: a random
/// candidate is usually dropped after one or two links, and a match ends
/// its round in table 0, whose positions keep the entry's number in list
/// order.
///
/// An odd table's candidate that passes the filter knows both chunks of its
/// pair, `(a, b)`: its positions in the even table are those of bucket `a`
/// whose partner is `b`, found by scanning that bucket. (An odd table skips
/// the candidates whose even chunk is within `r`: the even table finds
/// them.)
///
/// The bucket that holds a linked position is found from a sampled
/// directory: the bucket of every 64th position of each even table, from
/// which the right one is a step or two on.
///
/// Links and entry numbers are packed in as few bits as the list needs (20
/// up to 1,048,576 entries, 24 up to 16,777,216). A list of a million costs
/// 16 × 2 bytes of partners, 8 × 20 bits of links, 20 bits of entry
/// numbers, a quarter of a byte of directory and 4 MiB of offsets: 58.9
/// bytes per entry, *with* the hashes, which the index does not keep (1.84
/// times the 32 bytes of the hashes alone). A list of fewer than
/// [`SCAN_BELOW`] entries gets no tables (the offsets alone would cost more
/// than 256 bytes an entry): its queries scan its hashes, with the same
/// answers.
///
/// # Holding the hashes
/// An index built by [`PdqIndex::over_keeping_hashes`] holds the hashes,
/// and its even tables keep the entry at each position in place of the
/// links (as many bits; table 0's entry numbers and the directory go): a
/// candidate the filter passes is checked by reading its entry number,
/// then its hash, instead of following the links pair by pair. From
/// [`SLOTS_FROM`] entries on, its buckets' partners are kept in
/// slots (`index::slots`), a few whole cache lines a bucket at a place known without a
/// read, instead of rows: a bucket is one read, not a line of offsets and
/// then its partners. At a million entries that costs 123 bytes an entry,
/// hashes included (88 in rows), for a query about 0.63 times as long as
/// the default's (0.92 in rows); `prescan serve` builds it.
///
/// # What it costs
/// A checked candidate costs a few dependent reads per pair (a link, a
/// partner, a directory entry and a line of offsets) instead of one read
/// of a hash array, for 32 bytes an entry less. A dihedral query at 31
/// reads about 2,200 buckets (a line of offsets and one or two of partners
/// each) and walks a few hundred candidates: what makes it fast is how
/// many of those reads are in flight at once, so each line is asked for
/// (`crate::prefetch`) some reads before it is read: the buckets go
/// through a pipeline (`READ_AHEAD`), the candidates are walked in
/// rounds. A query at a distance past
/// [`MAX_INDEXED_DISTANCE`], and [`PdqIndex::nearest_dihedral`], read
/// every hash: an index built by [`PdqIndex::over_keeping_hashes`] reads
/// them from the list, others put them back together from the tables.
/// What a query takes, and the layouts measured against this one and
/// dropped, are in the docs of `benches/index.rs`, which measures them.
#[derive(Debug, Clone, Default)]
pub struct PdqIndex {
    /// Number of entries.
    len: usize,
    /// The hashes in list order, when held: always when the index has no
    /// tables, and when built by [`PdqIndex::over_keeping_hashes`].
    hashes: Option<HashStore>,
    /// `CHUNKS` offset arrays of `OFFSETS_PER_TABLE` each, back to back.
    offsets: Vec<u32>,
    /// `CHUNKS` arrays of `len` partner chunks each, back to back: the
    /// other chunk of the pair of the entry at each position.
    partners: Vec<u16>,
    /// How a candidate is checked whole.
    whole: Whole,
}

/// How [`PdqIndex`] checks a candidate whole, once the filter has passed
/// it: from the tables alone, or from the hashes it holds.
#[derive(Debug, Clone)]
enum Whole {
    /// Pair by pair, through the links of the even tables: the index does
    /// not need the hashes (see [`PdqIndex::walk`]).
    Links {
        /// `PAIRS` arrays of `len` links: `links[p]` at a position of even
        /// table `2p` is the position of the same entry in even table
        /// `2p + 2` (table 0 after the last).
        links: Vec<Packed>,
        /// The entry (its index in list order) at each position of table 0.
        entries: Packed,
        /// `PAIRS` arrays, one per even table, of the bucket that holds every
        /// [`SAMPLE_EVERY`]-th position: the start of the search for the
        /// bucket of a position (a quarter of a byte an entry, all eight
        /// together).
        samples: Vec<u16>,
    },
    /// By its hash, read from `hashes`, those the index holds (see
    /// [`check_held`]): `entries[p]` is the entry (its index in list order)
    /// at each position of even table `2p`. With `slots`, the buckets'
    /// partners are there, not in rows (see [`PdqIndex::probe_slots`]).
    Held { entries: Vec<Packed>, hashes: HashStore, slots: Option<Slots> },
}

/// How [`PdqIndex::build`] lays the tables out: its buckets in rows,
/// candidates checked through the links; rows, and the hashes held; slots,
/// and the hashes held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Links,
    HeldRows,
    HeldSlots,
}

impl Default for Whole {
    fn default() -> Self {
        Whole::Links { links: Vec::new(), entries: Packed::default(), samples: Vec::new() }
    }
}

impl PdqIndex {
    /// Indexes `hashes`, given in list order, as [`PdqIndex::over`] does.
    ///
    /// # Errors
    /// [`Error::ListTooLarge`](crate::Error::ListTooLarge) for more than `u32::MAX` hashes.
    pub fn new(hashes: Vec<PdqHash>) -> Result<Self> {
        let n = hashes.len();
        u32::try_from(n).map_err(|_| too_many(n))?;
        let bytes: Vec<u8> = hashes.iter().flat_map(PdqHash::to_bytes).collect();
        drop(hashes);
        PdqIndex::over(HashStore::owned(bytes)?)
    }

    /// Indexes hashes stored as in a list: 32 bytes each, most significant
    /// byte first, back to back, as [`PdqIndex::over`] does.
    ///
    /// # Errors
    /// [`Error::ListMalformed`](crate::Error::ListMalformed) when the length is not a multiple of 32;
    /// [`Error::ListTooLarge`](crate::Error::ListTooLarge) for more than `u32::MAX` hashes.
    pub fn from_be_bytes(bytes: &[u8]) -> Result<Self> {
        PdqIndex::over(HashStore::owned(bytes.to_vec())?)
    }

    /// Indexes `hashes`. A list of fewer than [`SCAN_BELOW`] entries gets no
    /// tables and keeps `hashes` (shared, not copied) to scan them; a longer
    /// one gets the tables, which hold the hashes in another form, and lets
    /// `hashes` go — unless a bucket holds more than [`CROWDED_BUCKET`]
    /// entries: a list built with many entries sharing chunks, whose
    /// queries may end in a scan, keeps them so that the scan is quick.
    ///
    /// # Errors
    /// [`Error::ListTooLarge`](crate::Error::ListTooLarge) for more than `u32::MAX` hashes.
    pub fn over(hashes: HashStore) -> Result<Self> {
        if hashes.len() < SCAN_BELOW {
            return Ok(PdqIndex::scanned(hashes));
        }
        // The store is an `Arc`: the clone shares the bytes.
        let mut index = PdqIndex::with_tables(hashes.clone())?;
        if index.largest_bucket() > CROWDED_BUCKET {
            index.hashes = Some(hashes);
        }
        Ok(index)
    }

    /// The most entries any bucket of any table holds (0 without tables).
    pub fn largest_bucket(&self) -> u32 {
        self.offsets
            .chunks_exact(OFFSETS_PER_TABLE)
            .flat_map(|table| {
                table.windows(2).map(|w| w.last().copied().unwrap_or(0) - w.first().copied().unwrap_or(0))
            })
            .max()
            .unwrap_or(0)
    }

    /// As [`PdqIndex::over`], but an index with tables keeps `hashes` too
    /// (32 bytes an entry, none if they are a loaded list's own), for
    /// speed: the queries that read every hash
    /// ([`PdqIndex::nearest_dihedral`], distances past
    /// [`MAX_INDEXED_DISTANCE`]) read them in milliseconds, and a query
    /// checks each candidate the filter passes by reading its hash, in place
    /// of following the links through the tables. Its even tables keep the
    /// entry at each position instead of the links (as many bits), and from
    /// [`SLOTS_FROM`] entries on its buckets are in slots
    /// ([`PdqIndex::with_tables_in_slots`]). A list of a million then costs
    /// 123 bytes an entry, hashes included, against 59; a dihedral query at
    /// 31 took about 0.63 times as long (`benches/index.rs` times the three
    /// layouts in turns: p50 59.9 µs in slots, 87.0 in rows, 94.8 without
    /// the hashes, 2026-12-07). `prescan serve` builds this one.
    ///
    /// # Errors
    /// [`Error::ListTooLarge`](crate::Error::ListTooLarge) for more than `u32::MAX` hashes.
    pub fn over_keeping_hashes(hashes: HashStore) -> Result<Self> {
        if hashes.len() < SCAN_BELOW {
            return Ok(PdqIndex::scanned(hashes));
        }
        if hashes.len() < SLOTS_FROM {
            return PdqIndex::with_tables_holding(hashes);
        }
        PdqIndex::with_tables_in_slots(hashes)
    }

    /// As [`PdqIndex::with_tables`], but holding `hashes` as
    /// [`PdqIndex::over_keeping_hashes`] does for lists under
    /// [`SLOTS_FROM`], its buckets in rows.
    ///
    /// # Errors
    /// [`Error::ListTooLarge`](crate::Error::ListTooLarge) for more than `u32::MAX` hashes.
    pub fn with_tables_holding(hashes: HashStore) -> Result<Self> {
        PdqIndex::build(&hashes, Layout::HeldRows)
    }

    /// As [`PdqIndex::with_tables_holding`], but with its buckets in slots
    /// of whole cache lines, as [`PdqIndex::over_keeping_hashes`] builds
    /// lists of [`SLOTS_FROM`] entries or more, whatever their number.
    ///
    /// # Errors
    /// [`Error::ListTooLarge`](crate::Error::ListTooLarge) for more than `u32::MAX` hashes.
    pub fn with_tables_in_slots(hashes: HashStore) -> Result<Self> {
        PdqIndex::build(&hashes, Layout::HeldSlots)
    }

    /// Indexes `hashes` with the tables whatever their number, and lets
    /// them go (for tests, benchmarks, and callers who prefer table speed
    /// to memory on short lists).
    ///
    /// # Errors
    /// [`Error::ListTooLarge`](crate::Error::ListTooLarge) for more than `u32::MAX` hashes.
    pub fn with_tables(hashes: HashStore) -> Result<Self> {
        PdqIndex::build(&hashes, Layout::Links)
    }

    /// No tables: every query scans `hashes` (fewer than `u32::MAX`, as
    /// [`SCAN_BELOW`] is).
    fn scanned(hashes: HashStore) -> Self {
        PdqIndex { len: hashes.len(), hashes: Some(hashes), ..PdqIndex::default() }
    }

    /// Whether queries go through the tables (else they scan).
    pub fn has_tables(&self) -> bool {
        !self.offsets.is_empty()
    }

    /// Whether the index holds the hashes it was built from (see
    /// [`PdqIndex::over`]).
    pub fn holds_hashes(&self) -> bool {
        self.hashes.is_some()
    }

    /// The tables of `hashes` laid out as `layout` says: without the
    /// hashes; or holding them (shared, not copied), with [`Whole::Held`]'s
    /// entry numbers in place of the links, and the buckets in rows or in
    /// slots.
    ///
    /// # Errors
    /// [`Error::ListTooLarge`](crate::Error::ListTooLarge) for more than `u32::MAX` hashes.
    fn build(hashes: &HashStore, layout: Layout) -> Result<Self> {
        let n = hashes.len();
        u32::try_from(n).map_err(|_| too_many(n))?;
        if n == 0 {
            return Ok(PdqIndex::default());
        }
        let bits = bits_for(n);
        // The tables are read at random places: huge pages spare those
        // reads most of their TLB misses (see `crate::pages`).
        let mut offsets = vec![0u32; CHUNKS * OFFSETS_PER_TABLE];
        advise_huge_pages(&mut offsets);
        // The rows of every table; none for slots, whose tables are laid
        // out from one table's rows at a time (`rows` below).
        let in_slots = layout == Layout::HeldSlots;
        let mut partners = if in_slots { Vec::new() } else { vec![0u16; CHUNKS * n] };
        advise_huge_pages(&mut partners);
        // Each entry's position in the even table being built.
        let mut current = vec![0u32; n];
        if layout != Layout::Links {
            // Held: each even table's entry numbers in place of the links.
            let mut rows = if in_slots { vec![0u16; n] } else { Vec::new() };
            let mut slots = in_slots.then(|| Slots::new(n, BUCKETS));
            let mut entries = Vec::with_capacity(PAIRS);
            for (k, table_offsets) in offsets.chunks_exact_mut(OFFSETS_PER_TABLE).enumerate() {
                let even = k % 2 == 0;
                let table_rows =
                    if in_slots { &mut rows[..] } else { partners.get_mut(k * n..(k + 1) * n).unwrap_or(&mut []) };
                build_table(hashes, k, table_offsets, table_rows, even.then_some(&mut current[..]));
                if let Some(slots) = &mut slots {
                    slots.push(table_offsets, table_rows);
                }
                if even {
                    entries.push(entry_numbers(&current, bits));
                }
            }
            let whole = Whole::Held { entries, hashes: hashes.clone(), slots };
            return Ok(PdqIndex { len: n, hashes: Some(hashes.clone()), offsets, partners, whole });
        }
        let tables = offsets.chunks_exact_mut(OFFSETS_PER_TABLE).zip(partners.chunks_mut(n));
        // Each entry's position in table 0 and in the last even table built.
        let mut first = vec![0u32; n];
        let mut previous = vec![0u32; n];
        let mut links = Vec::with_capacity(PAIRS);
        let mut entries = Packed::default();
        let mut samples = Vec::with_capacity(PAIRS * n.div_ceil(SAMPLE_EVERY));
        advise_huge_pages(samples.spare_capacity_mut());
        for (k, (table_offsets, table_partners)) in tables.enumerate() {
            let even = k % 2 == 0;
            build_table(hashes, k, table_offsets, table_partners, even.then_some(&mut current[..]));
            if !even {
                continue;
            }
            sample_buckets(table_offsets, n, &mut samples);
            if k == 0 {
                entries = entry_numbers(&current, bits);
                first.copy_from_slice(&current);
            } else {
                links.push(link(&previous, &current, bits));
            }
            std::mem::swap(&mut previous, &mut current);
        }
        links.push(link(&previous, &first, bits));
        Ok(PdqIndex { len: n, hashes: None, offsets, partners, whole: Whole::Links { links, entries, samples } })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the index holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The hash of entry `i`, if there is one: read from the hashes when
    /// the index holds them, else put back together from the tables (after
    /// a search of table 0 for the entry: this reads every entry number).
    pub fn get(&self, i: usize) -> Option<PdqHash> {
        if let Some(hashes) = &self.hashes {
            return hashes.words(i).map(PdqHash::from_words);
        }
        let Whole::Links { entries, .. } = &self.whole else { return None };
        let at = (0..self.len).find(|&at| entries.get(at) == Some(i))?;
        self.hash_at(at).map(PdqHash::from_words)
    }

    /// Heap bytes of the index's own structures: the offsets, the partners,
    /// the links and the entry numbers, by the capacity of their vectors.
    /// The hashes it holds are not counted: see [`PdqIndex::hash_bytes`].
    pub fn memory_bytes(&self) -> usize {
        let whole = match &self.whole {
            Whole::Links { links, entries, samples } => {
                links.iter().map(Packed::memory_bytes).sum::<usize>()
                    + entries.memory_bytes()
                    + samples.capacity() * std::mem::size_of::<u16>()
            }
            Whole::Held { entries, slots, .. } => {
                entries.iter().map(Packed::memory_bytes).sum::<usize>() + slots.as_ref().map_or(0, Slots::memory_bytes)
            }
        };
        self.offsets.capacity() * std::mem::size_of::<u32>()
            + self.partners.capacity() * std::mem::size_of::<u16>()
            + whole
    }

    /// Bytes of the hashes the index holds (32 per entry, 0 when it lets
    /// them go), whether they are its own or a loaded list's.
    pub fn hash_bytes(&self) -> usize {
        self.hashes.as_ref().map_or(0, |h| h.as_bytes().len())
    }

    /// The entries within `max_distance` of `q`, sorted by distance, then
    /// entry. A `max_distance` of 256 or more returns every entry.
    pub fn query(&self, q: &PdqHash, max_distance: u32) -> Vec<PdqNeighbour> {
        let mut out: Vec<PdqNeighbour> = self
            .hits(&[q.words()], max_distance)
            .into_iter()
            .map(|(entry, distance, _)| PdqNeighbour { entry, distance })
            .collect();
        // The tables may find an entry more than once.
        crate::sort::unstable_by_key(&mut out, |n| (n.entry, n.distance));
        out.dedup_by_key(|n| n.entry);
        crate::sort::unstable_by_key(&mut out, |n| (n.distance, n.entry));
        out
    }

    /// The entries within `max_distance` of any of `variants` (the hashes of
    /// the eight rotations and mirrors in [`Dihedral::ALL`] order, as
    /// [`crate::hash::pdq::PdqDihedral::hashes`] holds them): one match per
    /// entry, with its smallest distance and the first variant at it, sorted
    /// by distance, then entry. The same as [`pdq_linear_scan`], faster.
    pub fn query_dihedral(&self, variants: &[PdqHash; 8], max_distance: u32) -> Vec<PdqMatch> {
        let words: [[u64; 4]; 8] = std::array::from_fn(|v| variants.get(v).map(PdqHash::words).unwrap_or_default());
        // (entry, distance, variant index): sorting puts each entry's best
        // hit first.
        let mut hits = self.hits(&words, max_distance);
        crate::sort::unstable(&mut hits);
        hits.dedup_by_key(|h| h.0);
        let mut out: Vec<PdqMatch> = hits
            .into_iter()
            .map(|(entry, distance, v)| PdqMatch {
                entry,
                distance,
                variant: Dihedral::ALL.get(usize::from(v)).copied().unwrap_or(Dihedral::Original),
            })
            .collect();
        crate::sort::unstable_by_key(&mut out, |m| (m.distance, m.entry));
        out
    }

    /// The entry nearest to any of `variants`, at any distance: the
    /// smallest distance, the lowest entry among those at it, the first
    /// variant at it; `None` for an empty index.
    ///
    /// This reads every hash (about 15 ms for a million held hashes, about
    /// a second when put back together from the tables): it serves reports
    /// of how far an image is from the list when nothing matched, not
    /// matching.
    pub fn nearest_dihedral(&self, variants: &[PdqHash; 8]) -> Option<PdqMatch> {
        let words: Vec<[u64; 4]> = variants.iter().map(PdqHash::words).collect();
        let mut nearest: Option<PdqMatch> = None;
        self.each_hash(|entry, h| {
            if let Some(m) = best_variant(entry, &h, &words)
                && nearest.is_none_or(|n| (m.distance, m.entry) < (n.distance, n.entry))
            {
                nearest = Some(m);
            }
        });
        nearest
    }

    /// Calls `each(entry, hash)` for every entry: in list order from the
    /// hashes when the index holds them, else in table 0's order, each hash
    /// put back together from the tables.
    fn each_hash(&self, mut each: impl FnMut(u32, [u64; 4])) {
        if let Some(hashes) = &self.hashes {
            for (entry, h) in (0u32..).zip(hashes.iter()) {
                each(entry, h);
            }
            return;
        }
        let Whole::Links { entries, .. } = &self.whole else { return };
        for at in 0..self.len {
            if let (Some(entry), Some(h)) = (entries.get(at), self.hash_at(at)) {
                each(entry as u32, h);
            }
        }
    }

    /// The hash of the entry at position `at` of table 0, from its pairs in
    /// the eight even tables.
    fn hash_at(&self, mut at: usize) -> Option<[u64; 4]> {
        let Whole::Links { links, samples, .. } = &self.whole else { return None };
        let mut words = [0u64; 4];
        for (p, links) in links.iter().enumerate() {
            let (even, odd) = self.pair_at(samples, p, at)?;
            for (k, value) in [(2 * p, even), (2 * p + 1, odd)] {
                let word = words.get_mut(k / 4)?;
                *word |= (value as u64) << (CHUNK_BITS as usize * (k % 4));
            }
            at = links.get(at)?;
        }
        Some(words)
    }

    /// Where in `samples` the bucket of position `at` of even table `2p`
    /// starts its search (see [`PdqIndex::pair_at`]).
    #[inline]
    fn sample_at(&self, p: usize, at: usize) -> usize {
        p * self.len.div_ceil(SAMPLE_EVERY) + at / SAMPLE_EVERY
    }

    /// Pair `p` of the entry at position `at` of even table `2p`: its chunk
    /// `2p` (the bucket that holds the position) and its chunk `2p + 1`
    /// (the partner kept there), found from `samples`, [`Whole::Links`]'s
    /// directory.
    #[inline]
    fn pair_at(&self, samples: &[u16], p: usize, at: usize) -> Option<(usize, usize)> {
        let (offsets, partners) = self.table(2 * p);
        let partner = *partners.get(at)?;
        // The last bucket starting at or before `at` holds it (the empty
        // buckets before it start there too, but come first). The sampled
        // bucket starts at or before `at`; usually one of the next few
        // starts is past it, else a binary search finds it.
        let sampled = usize::from(*samples.get(self.sample_at(p, at))?);
        let later = offsets.get(sampled + 1..)?;
        let more = match later.iter().take(8).position(|&start| start as usize > at) {
            Some(more) => more,
            None => later.partition_point(|&start| start as usize <= at),
        };
        Some((sampled + more, usize::from(partner)))
    }

    /// The candidates `pending` that are within `max_distance` of their
    /// query, as `(entry, distance, v)`: by [`PdqIndex::walk`] or
    /// [`check_held`], as the index is built.
    fn check_whole(&self, pending: &[Candidate], queries: &[[u64; 4]], max_distance: u32) -> Vec<(u32, u32, u8)> {
        match &self.whole {
            Whole::Held { entries, hashes, .. } => {
                check_held(entries, hashes, &self.offsets, pending, queries, max_distance)
            }
            Whole::Links { links, entries, samples } => {
                self.walk(links, entries, samples, pending, queries, max_distance)
            }
        }
    }

    /// [`PdqIndex::check_whole`] from the tables alone: follows each entry's links through the other
    /// seven pairs, adding their distances, and drops it as soon as the sum
    /// is over `max_distance`.
    ///
    /// In lock-step: one pair of every candidate still in, then the next.
    /// A walk is a chain of reads that each wait on the one before (the
    /// link gives the next position); the chains of different candidates
    /// do not wait on each other, so taking one step of all of them at a
    /// time overlaps their memory latencies; so they are walked here, after
    /// the buckets are filtered, rather than each as the filter finds it
    /// (`benches/index.rs` has the figures).
    fn walk(
        &self,
        links: &[Packed],
        entries: &Packed,
        samples: &[u16],
        pending: &[Candidate],
        queries: &[[u64; 4]],
        max_distance: u32,
    ) -> Vec<(u32, u32, u8)> {
        struct Walk {
            p: usize,
            at: usize,
            distance: u32,
            v: u8,
            in_table_0: Option<usize>,
            /// This step's link: the position in the next even table.
            next: Option<usize>,
        }
        let mut walks: Vec<Walk> = pending
            .iter()
            .filter(|c| c.distance <= max_distance)
            .map(|c| {
                let (p, at) = (usize::from(c.pair), c.at as usize);
                Walk { p, at, distance: c.distance, v: c.variant, in_table_0: (p == 0).then_some(at), next: None }
            })
            .collect();
        for step in 1..PAIRS {
            // A step reads, for each walk in turn: its link (its position in
            // the next even table), then the partner and directory sample
            // there, then the offsets past the sampled bucket. Each is
            // asked for for every walk (`crate::prefetch`) before it is
            // read for any, so the walks' chains overlap.
            let links = |w: &Walk| links.get((w.p + step - 1) % PAIRS);
            let t_of = |w: &Walk| (w.p + step) % PAIRS;
            for w in &walks {
                if let Some(links) = links(w) {
                    links.prefetch(w.at);
                }
            }
            for w in &mut walks {
                w.next = links(w).and_then(|links| links.get(w.at));
                if let Some(at) = w.next {
                    let (_, partners) = self.table(2 * t_of(w));
                    prefetch(partners, at);
                    prefetch(samples, self.sample_at(t_of(w), at));
                }
            }
            for w in &walks {
                if let Some(at) = w.next
                    && let Some(&sampled) = samples.get(self.sample_at(t_of(w), at))
                {
                    let (offsets, _) = self.table(2 * t_of(w));
                    prefetch(offsets, usize::from(sampled) + 1);
                }
            }
            walks.retain_mut(|w| {
                let (Some(at), Some(q)) = (w.next, queries.get(usize::from(w.v))) else {
                    return false;
                };
                let t = t_of(w);
                let Some((even, odd)) = self.pair_at(samples, t, at) else { return false };
                w.at = at;
                w.distance += (even ^ chunk(q, 2 * t)).count_ones() + (odd ^ chunk(q, 2 * t + 1)).count_ones();
                if t == 0 {
                    w.in_table_0 = Some(at);
                }
                w.distance <= max_distance
            });
        }
        walks.into_iter().filter_map(|w| Some((entries.get(w.in_table_0?)? as u32, w.distance, w.v))).collect()
    }

    /// Table `k`: its offsets and its partners.
    #[inline]
    fn table(&self, k: usize) -> (&[u32], &[u16]) {
        let n = self.len;
        let offsets = self.offsets.get(k * OFFSETS_PER_TABLE..(k + 1) * OFFSETS_PER_TABLE).unwrap_or(&[]);
        let partners = self.partners.get(k * n..(k + 1) * n).unwrap_or(&[]);
        (offsets, partners)
    }

    /// `(entry, distance, v)` for every entry within `max_distance` of
    /// `queries[v]` (some more than once): through the tables when the
    /// index has them and the distance is at most [`MAX_INDEXED_DISTANCE`],
    /// else by a scan.
    fn hits(&self, queries: &[[u64; 4]], max_distance: u32) -> Vec<(u32, u32, u8)> {
        if max_distance > MAX_INDEXED_DISTANCE || !self.has_tables() {
            return self.scan(queries, max_distance);
        }
        match &self.whole {
            Whole::Held { slots: Some(slots), .. } => self.probe_slots(slots, queries, max_distance),
            Whole::Held { slots: None, .. } | Whole::Links { .. } => self.probe(queries, max_distance),
        }
    }

    /// `(entry, distance, v)` for every entry within `max_distance` (at most
    /// [`MAX_INDEXED_DISTANCE`]) of `queries[v]` (some more than once);
    /// `queries` has at most 256 hashes. Past one candidate for every
    /// [`SCAN_ABOVE_ENTRIES_PER_CANDIDATE`] entries, the same by a scan.
    ///
    /// The buckets of all variants, tables and masks go through a pipeline
    /// of three steps, [`READ_AHEAD`] buckets apart: the line of offsets
    /// asked for; the range read and the partners asked for; the partners
    /// filtered. Then the odd tables' candidates are looked up in their
    /// even tables, and the candidates walked (in batches of
    /// [`WALK_BATCH`]). Each read was asked for a step or a pass before,
    /// and the reads in flight do not wait on each other: their memory
    /// latencies overlap.
    fn probe(&self, queries: &[[u64; 4]], max_distance: u32) -> Vec<(u32, u32, u8)> {
        let (pair_radius, radius) = radii(max_distance);
        let masks = masks(radius);
        // Every bucket the query reads, in order: its range is filled in
        // `READ_AHEAD` buckets before it is filtered.
        let tables: [(&[u32], &[u16]); CHUNKS] = std::array::from_fn(|k| self.table(k));
        let mut probes: Vec<Probe> = Probes::new(queries, &masks, pair_radius).collect();
        let mut found = Candidates::new(self, queries, max_distance);
        // The odd tables' candidates, looked up in their even tables in
        // batches (see `find_odd`).
        let mut odd: Vec<OddCandidate> = Vec::new();
        // A pipeline (see `READ_AHEAD`): at each step, bucket `step` has its
        // line of offsets asked for, bucket `step - READ_AHEAD` its range
        // read and its partners asked for, and bucket `step - 2 READ_AHEAD`
        // is filtered.
        for step in 0..probes.len() + 2 * READ_AHEAD {
            if let Some(probe) = probes.get(step)
                && let Some((offsets, _)) = tables.get(usize::from(probe.table))
            {
                prefetch(offsets, usize::from(probe.value));
            }
            if let Some(probe) = step.checked_sub(READ_AHEAD).and_then(|j| probes.get_mut(j))
                && let Some(&(offsets, partners)) = tables.get(usize::from(probe.table))
            {
                let (start, bucket) = bucket_of(offsets, partners, usize::from(probe.value));
                if !bucket.is_empty() {
                    // A bucket of a million-entry list, about 15 partners,
                    // may straddle two lines.
                    prefetch(bucket, 0);
                    prefetch(bucket, bucket.len() - 1);
                }
                (probe.start, probe.end) = (start as u32, (start + bucket.len()) as u32);
            }
            let Some(probe) = step.checked_sub(2 * READ_AHEAD).and_then(|j| probes.get(j)) else { continue };
            if probe.start == probe.end {
                continue;
            }
            if found.budget == 0 {
                return self.scan(queries, max_distance);
            }
            let k = usize::from(probe.table);
            let even_k = k & !1;
            let pair = (even_k / 2) as u8;
            let (Some(&(_, partners)), Some(&(even_offsets, _))) = (tables.get(k), tables.get(even_k)) else {
                continue;
            };
            let value = usize::from(probe.value);
            let chunk_distance = u32::from(probe.chunk_distance);
            let start = probe.start as usize;
            let (end, limit) = (probe.end as usize, u32::from(probe.limit));
            filter(partners, start, end, probe.q_partner, limit, |i, partner_distance, partner| {
                let distance = chunk_distance + partner_distance;
                if k == even_k {
                    found.push(Candidate {
                        pair,
                        variant: probe.variant,
                        bucket: None,
                        at: (start + i) as u32,
                        distance,
                    });
                } else if partner_distance > radius {
                    // An odd table's candidate: its even chunk is `partner`
                    // (within the chunk radius, the even table has found
                    // it), its odd chunk `value`. Its positions in the even
                    // table are those of bucket `partner` with partner
                    // `value`: found later, the bucket's range asked for now.
                    prefetch(even_offsets, usize::from(partner));
                    odd.push(OddCandidate { pair, even: partner, odd: value as u16, distance, variant: probe.variant });
                }
            });
            if odd.len() >= WALK_BATCH {
                self.find_odd(&odd, &mut found);
                odd.clear();
            }
        }
        self.find_odd(&odd, &mut found);
        found.finish()
    }

    /// Adds to `found` the positions of the odd tables' candidates `odd` in
    /// their even tables: those of bucket `even` whose partner is `odd`.
    /// Each bucket's range is read (its offsets were asked for when the
    /// candidate was found) and its partners asked for, then the buckets
    /// are read: the reads of each round overlap.
    fn find_odd(&self, odd: &[OddCandidate], found: &mut Candidates<'_>) {
        let buckets: Vec<(usize, &[u16])> = odd
            .iter()
            .map(|c| {
                let (offsets, partners) = self.table(2 * usize::from(c.pair));
                let (start, bucket) = bucket_of(offsets, partners, usize::from(c.even));
                prefetch(bucket, 0);
                prefetch(bucket, bucket.len().saturating_sub(1));
                (start, bucket)
            })
            .collect();
        for (c, (start, bucket)) in odd.iter().zip(buckets) {
            for (j, &partner) in bucket.iter().enumerate() {
                if partner == c.odd {
                    found.push(Candidate {
                        pair: c.pair,
                        variant: c.variant,
                        bucket: None,
                        at: (start + j) as u32,
                        distance: c.distance,
                    });
                }
            }
        }
    }

    /// What [`PdqIndex::probe`] finds, from [`Whole::Held`]'s slots: each
    /// bucket is one read whose place is known without a read (see
    /// [`Slots`]), so the pipeline only asks for a bucket's lines, into the
    /// second-level cache [`SLOT_READ_FAR`] buckets before they are
    /// filtered and into the first [`SLOT_READ_AHEAD`] before. A
    /// candidate's position (the bucket's first position in its table's
    /// offsets, plus its place in the bucket) is read only for those the
    /// filter passes, when they are checked ([`check_held`]).
    fn probe_slots(&self, slots: &Slots, queries: &[[u64; 4]], max_distance: u32) -> Vec<(u32, u32, u8)> {
        let (pair_radius, radius) = radii(max_distance);
        // Three walks of the same buckets: `SLOT_READ_FAR` ahead asking for
        // their lines into the second-level cache, `SLOT_READ_AHEAD` ahead
        // into the first, and the filter.
        let mut farther = Probes::new(queries, &masks(radius), pair_radius);
        let (mut ahead, behind) = (farther.clone(), farther.clone());
        let mut found = Candidates::new(self, queries, max_distance);
        let mut odd: Vec<OddCandidate> = Vec::new();
        for probe in farther.by_ref().take(SLOT_READ_FAR) {
            slots.prefetch(usize::from(probe.table), usize::from(probe.value), Level::Second);
        }
        for probe in ahead.by_ref().take(SLOT_READ_AHEAD) {
            slots.prefetch(usize::from(probe.table), usize::from(probe.value), Level::First);
        }
        for probe in behind {
            if let Some(next) = farther.next() {
                slots.prefetch(usize::from(next.table), usize::from(next.value), Level::Second);
            }
            if let Some(next) = ahead.next() {
                slots.prefetch(usize::from(next.table), usize::from(next.value), Level::First);
            }
            let (k, value) = (usize::from(probe.table), usize::from(probe.value));
            let (slot, kept, spilled) = slots.bucket(k, value);
            if kept == 0 {
                continue;
            }
            if found.budget == 0 {
                return self.scan(queries, max_distance);
            }
            let even_k = k & !1;
            let pair = (even_k / 2) as u8;
            let chunk_distance = u32::from(probe.chunk_distance);
            let limit = u32::from(probe.limit);
            let mut pass = |i: usize, partner_distance: u32, partner: u16| {
                let distance = chunk_distance + partner_distance;
                if k == even_k {
                    let bucket = Some(value as u16);
                    found.push(Candidate { pair, variant: probe.variant, bucket, at: i as u32, distance });
                } else if partner_distance > radius {
                    // As in `probe`: its even table's bucket `partner`,
                    // asked for now, holds it with partner `value`.
                    slots.prefetch(even_k, usize::from(partner), Level::First);
                    odd.push(OddCandidate { pair, even: partner, odd: value as u16, distance, variant: probe.variant });
                }
            };
            filter(slot, 0, kept, probe.q_partner, limit, &mut pass);
            if !spilled.is_empty() {
                filter(spilled, 0, spilled.len(), probe.q_partner, limit, |i, d, p| pass(kept + i, d, p));
            }
            if odd.len() >= WALK_BATCH {
                self.find_odd_slots(slots, &odd, &mut found);
                odd.clear();
            }
        }
        self.find_odd_slots(slots, &odd, &mut found);
        found.finish()
    }

    /// [`PdqIndex::find_odd`] from slots: the lines of each bucket were
    /// asked for when its candidate was found.
    fn find_odd_slots(&self, slots: &Slots, odd: &[OddCandidate], found: &mut Candidates<'_>) {
        for c in odd {
            let even_k = 2 * usize::from(c.pair);
            let even = usize::from(c.even);
            let (slot, kept, spilled) = slots.bucket(even_k, even);
            let in_slot = slot.get(..kept).unwrap_or(&[]);
            for (j, &partner) in in_slot.iter().chain(spilled).enumerate() {
                if partner == c.odd {
                    let bucket = Some(c.even);
                    found.push(Candidate {
                        pair: c.pair,
                        variant: c.variant,
                        bucket,
                        at: j as u32,
                        distance: c.distance,
                    });
                }
            }
        }
    }

    /// What [`PdqIndex::probe`] finds, by reading every hash (each entry
    /// once).
    fn scan(&self, queries: &[[u64; 4]], max_distance: u32) -> Vec<(u32, u32, u8)> {
        let mut hits = Vec::new();
        self.each_hash(|entry, h| {
            for (v, q) in (0u8..).zip(queries) {
                let distance = distance_words(&h, q);
                if distance <= max_distance {
                    hits.push((entry, distance, v));
                }
            }
        });
        hits
    }
}

/// Every bucket a query of `queries` reads, in order: for each variant,
/// table and mask, bucket `chunk ^ mask` of the table, with what the filter
/// needs (see [`Probe`]), worked out one at a time from what each variant's
/// table and each mask need, worked out once. [`PdqIndex::probe`] collects
/// them (it fills in their ranges a step before it filters them);
/// [`PdqIndex::probe_slots`] runs three of these some buckets apart, in
/// place of writing 2,176 buckets down and reading them back (5% of the
/// server's time). Built by nested `flat_map`s, and with the query's
/// partner chunk and the limit worked out as each bucket was filtered,
/// the query was about 8% slower (a million entries, alternated in one
/// process, 2026-12-07).
#[derive(Debug, Clone)]
struct Probes {
    /// `(variant, table, chunk, partner chunk)` of each variant and table.
    heads: Vec<(u8, u8, u16, u16)>,
    /// `(mask, its bits, the filter's limit)` of each mask.
    masks: Vec<(u16, u8, u8)>,
    /// The next bucket: head `head`, mask `mask`.
    head: usize,
    mask: usize,
}

impl Probes {
    fn new(queries: &[[u64; 4]], masks: &[u16], pair_radius: u32) -> Self {
        let mut heads = Vec::with_capacity(queries.len() * CHUNKS);
        for (q, variant) in queries.iter().zip(0u8..) {
            for k in 0..CHUNKS {
                heads.push((variant, k as u8, chunk(q, k) as u16, chunk(q, k ^ 1) as u16));
            }
        }
        let masks = masks
            .iter()
            .map(|&mask| {
                let bits = mask.count_ones();
                (mask, bits as u8, pair_radius.saturating_sub(bits) as u8)
            })
            .collect();
        Probes { heads, masks, head: 0, mask: 0 }
    }
}

impl Iterator for Probes {
    type Item = Probe;

    #[inline]
    fn next(&mut self) -> Option<Probe> {
        let &(variant, table, value, q_partner) = self.heads.get(self.head)?;
        let &(mask, chunk_distance, limit) = self.masks.get(self.mask)?;
        self.mask += 1;
        if self.mask == self.masks.len() {
            (self.head, self.mask) = (self.head + 1, 0);
        }
        Some(Probe { start: 0, end: 0, value: value ^ mask, q_partner, table, variant, chunk_distance, limit })
    }
}

/// [`PdqIndex::check_whole`] from held hashes: `entries[p]` gives the
/// entry at each position of even table `2p`, and its hash is read whole.
/// Rounds of reads, each asked for before any is read (`crate::prefetch`)
/// so that their latencies overlap: for an index in slots, the first
/// position of each candidate's bucket (in `offsets`, all the tables'); the
/// candidates' entry numbers; their hashes. Following the links instead,
/// pair by pair, takes a chain of three reads a pair, usually two pairs a
/// candidate.
fn check_held(
    entries: &[Packed],
    hashes: &HashStore,
    offsets: &[u32],
    pending: &[Candidate],
    queries: &[[u64; 4]],
    max_distance: u32,
) -> Vec<(u32, u32, u8)> {
    let first_of = |c: &Candidate| c.bucket.map(|b| 2 * usize::from(c.pair) * OFFSETS_PER_TABLE + usize::from(b));
    for c in pending {
        if let Some(first) = first_of(c) {
            prefetch(offsets, first);
        }
    }
    let positions: Vec<Option<usize>> = pending
        .iter()
        .map(|c| {
            if c.distance > max_distance {
                return None;
            }
            let at = match first_of(c) {
                Some(first) => *offsets.get(first)? as usize + c.at as usize,
                None => c.at as usize,
            };
            entries.get(usize::from(c.pair))?.prefetch(at);
            Some(at)
        })
        .collect();
    let bytes = hashes.as_bytes();
    let found: Vec<Option<usize>> = pending
        .iter()
        .zip(positions)
        .map(|(c, at)| {
            let entry = entries.get(usize::from(c.pair))?.get(at?)?;
            // 32 bytes from a list's own, which may straddle two lines.
            prefetch(bytes, entry * 32);
            prefetch(bytes, entry * 32 + 31);
            Some(entry)
        })
        .collect();
    let mut out = Vec::new();
    for (c, entry) in pending.iter().zip(found) {
        let (Some(entry), Some(q)) = (entry, queries.get(usize::from(c.variant))) else { continue };
        let Some(h) = hashes.words(entry) else { continue };
        let distance = distance_words(&h, q);
        if distance <= max_distance {
            out.push((entry as u32, distance, c.variant));
        }
    }
    out
}

/// Appends to `samples` the bucket that holds every [`SAMPLE_EVERY`]-th
/// position of a table of `n` entries with these `offsets`.
fn sample_buckets(offsets: &[u32], n: usize, samples: &mut Vec<u16>) {
    let mut bucket = 0;
    for at in (0..n).step_by(SAMPLE_EVERY) {
        while offsets.get(bucket + 1).is_some_and(|&start| start as usize <= at) {
            bucket += 1;
        }
        samples.push(bucket as u16);
    }
}

/// The entry at each position of an even table: `positions[e]` is entry
/// `e`'s position in it.
fn entry_numbers(positions: &[u32], bits: u32) -> Packed {
    let mut out = Packed::zeros(positions.len(), bits);
    for (entry, &at) in positions.iter().enumerate() {
        out.set(at as usize, entry);
    }
    out
}

/// The links of one even table to the next: `from[e]` and `to[e]` are
/// entry `e`'s positions in the two tables.
fn link(from: &[u32], to: &[u32], bits: u32) -> Packed {
    let mut out = Packed::zeros(from.len(), bits);
    for (&a, &b) in from.iter().zip(to) {
        out.set(a as usize, b as usize);
    }
    out
}

/// One bucket a query reads: bucket `value` of table `table`, for query
/// `variant`, whose chunk is `chunk_distance` from `value`; its positions
/// `start..end` once read. The filter passes the partners within `limit`
/// of `q_partner`, the query's other chunk of the pair.
#[derive(Debug, Clone, Copy)]
struct Probe {
    start: u32,
    end: u32,
    value: u16,
    q_partner: u16,
    table: u8,
    variant: u8,
    chunk_distance: u8,
    limit: u8,
}

/// An odd table's candidate of pair `pair` (chunks `2 pair` and
/// `2 pair + 1`): chunk values `even` and `odd`, `distance` from query
/// `variant` in that pair; its position in the even table is yet to be
/// found (see [`PdqIndex::find_odd`]).
#[derive(Debug, Clone, Copy)]
struct OddCandidate {
    pair: u8,
    even: u16,
    odd: u16,
    distance: u32,
    variant: u8,
}

/// A candidate the filter passed: the entry at position `at` of even table
/// `2 pair`, whose pair is `distance` from query `variant`. From an index
/// in slots, `at` counts from the first position of `bucket` (read only
/// for the candidates checked, see [`check_held`]); else `bucket` is
/// `None`.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    pair: u8,
    variant: u8,
    bucket: Option<u16>,
    at: u32,
    distance: u32,
}

/// A query's candidates as [`PdqIndex::probe`] finds them, walked (see
/// [`PdqIndex::walk`]) each time [`WALK_BATCH`] have gathered; the hits of
/// those walks; and how many more may be taken before the query gives up
/// for a scan. `index`, `queries` and `max_distance` are the query's.
struct Candidates<'a> {
    index: &'a PdqIndex,
    queries: &'a [[u64; 4]],
    max_distance: u32,
    pending: Vec<Candidate>,
    hits: Vec<(u32, u32, u8)>,
    budget: usize,
}

impl<'a> Candidates<'a> {
    /// None yet, for a query of `index`.
    fn new(index: &'a PdqIndex, queries: &'a [[u64; 4]], max_distance: u32) -> Self {
        let budget = (index.len / SCAN_ABOVE_ENTRIES_PER_CANDIDATE).max(1);
        Candidates { index, queries, max_distance, pending: Vec::new(), hits: Vec::new(), budget }
    }

    /// The query's hits: those of the candidates, or, once the budget is
    /// spent, those of a scan.
    fn finish(self) -> Vec<(u32, u32, u8)> {
        if self.budget == 0 {
            return self.index.scan(self.queries, self.max_distance);
        }
        let mut hits = self.hits;
        hits.extend(self.index.check_whole(&self.pending, self.queries, self.max_distance));
        hits
    }

    /// Takes candidate `c`, unless the budget is spent (the query then
    /// ends in a scan: the rest of its buckets are only filtered, cheaply).
    fn push(&mut self, c: Candidate) {
        if self.budget == 0 {
            return;
        }
        self.budget -= 1;
        self.pending.push(c);
        if self.pending.len() >= WALK_BATCH {
            self.hits.extend(self.index.check_whole(&self.pending, self.queries, self.max_distance));
            self.pending.clear();
        }
    }
}

/// The first position of bucket `value` of a table and its partners.
#[inline]
fn bucket_of<'a>(offsets: &[u32], partners: &'a [u16], value: usize) -> (usize, &'a [u16]) {
    match (offsets.get(value), offsets.get(value + 1)) {
        (Some(&start), Some(&end)) => (start as usize, partners.get(start as usize..end as usize).unwrap_or(&[])),
        _ => (0, &[]),
    }
}

/// Partners the filter compares at a time (see [`filter`]).
const WINDOW: usize = 16;

/// Calls `pass(i, distance, partner)` for every `partner =
/// partners[start + i]` (`start + i < end`) within `limit` of `q`
/// (`distance` being its distance).
///
/// A window of [`WINDOW`] partners at a time: first a count of those
/// within `limit`, a loop of fixed length and no branch, which the
/// compiler turns into vector instructions (SSE2 in x86-64's baseline,
/// simd128 in the Wasm module); then, in the few windows where it is not
/// 0, the partners one by one. A window may reach past `end`: those
/// partners are counted (a few more windows are then looked at one by
/// one), never passed. The filter before, four partners at a time in a
/// `u64` with a bit-parallel popcount and the rest one by one, branched on
/// each bucket's length: `cargo bench --bench index` at a million entries,
/// five alternated runs of each (2026-12-07, a noisy machine), medians
/// 128 µs then and 104 µs now. A copy of the query compiled for AVX2,
/// chosen at run time, was no faster.
#[inline]
fn filter(partners: &[u16], start: usize, end: usize, q: u16, limit: u32, mut pass: impl FnMut(usize, u32, u16)) {
    let limit = limit.min(16) as u16;
    let mut at = start;
    while at < end {
        let window = window_at(partners, at);
        // Counted in 16-bit lanes, the whole window: the partners past
        // `end` are left out below.
        let near: u16 = window.iter().map(|&p| u16::from((p ^ q).count_ones() as u16 <= limit)).sum();
        if near != 0 {
            for (i, &p) in window.iter().enumerate().take(end - at) {
                let distance = (p ^ q).count_ones();
                if distance <= u32::from(limit) {
                    pass(at - start + i, distance, p);
                }
            }
        }
        at += WINDOW;
    }
}

/// The [`WINDOW`] partners from `at`, zeros past the end of `partners`.
#[inline]
fn window_at(partners: &[u16], at: usize) -> [u16; WINDOW] {
    if let Some(window) = partners.get(at..at + WINDOW).and_then(|w| <[u16; WINDOW]>::try_from(w).ok()) {
        return window;
    }
    let mut window = [0u16; WINDOW];
    for (w, &p) in window.iter_mut().zip(partners.get(at..).unwrap_or(&[])) {
        *w = p;
    }
    window
}

/// Fills table `k` by counting sort: `offsets` (65,537 long) from the counts
/// of chunk `k`'s values, then `partners` (one per entry) in ascending
/// entry order within each bucket; and `positions`, when given, with each
/// entry's position in the table.
fn build_table(
    hashes: &HashStore,
    k: usize,
    offsets: &mut [u32],
    partners: &mut [u16],
    mut positions: Option<&mut [u32]>,
) {
    let partner_of = k ^ 1;
    for (value, _) in hashes.chunk_pairs(k, partner_of) {
        if let Some(c) = offsets.get_mut(value + 1) {
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
    for (entry, (value, partner)) in hashes.chunk_pairs(k, partner_of).enumerate() {
        if let Some(cursor) = offsets.get_mut(value) {
            let at = *cursor;
            if let Some(slot) = partners.get_mut(at as usize) {
                *slot = partner as u16;
            }
            if let Some(position) = positions.as_deref_mut().and_then(|p| p.get_mut(entry)) {
                *position = at;
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
    let mut out: Vec<PdqMatch> = (0u32..)
        .zip(hashes)
        .filter_map(|(entry, h)| best_variant(entry, &h.words(), &words))
        .filter(|m| m.distance <= max_distance)
        .collect();
    crate::sort::unstable_by_key(&mut out, |m| (m.distance, m.entry));
    out
}

/// Entry `entry` (hash `h`) at its smallest distance to `variants`, with
/// the first variant at it; `None` without variants.
#[inline]
fn best_variant(entry: u32, h: &[u64; 4], variants: &[[u64; 4]]) -> Option<PdqMatch> {
    let mut best: Option<PdqMatch> = None;
    for (v, variant) in variants.iter().zip(Dihedral::ALL) {
        let distance = distance_words(h, v);
        if best.is_none_or(|b| distance < b.distance) {
            best = Some(PdqMatch { entry, distance, variant });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::test_rng::Rng;

    /// The filter against the plain comparison, on buckets of every length
    /// up to three windows, at every place near the end of the partners
    /// (where a window reaches past them), for every limit a query uses.
    #[test]
    fn the_filter_passes_exactly_the_partners_within_the_limit() {
        let mut rng = Rng(10);
        // Few distinct values, so that many partners are near the query.
        let partners: Vec<u16> = (0..200).map(|_| (rng.next() as u16) & 0x0f0f).collect();
        let n = partners.len();
        for limit in 0..=5 {
            for start in (0..n).step_by(7).chain(n - 20..n) {
                for len in 0..=(3 * WINDOW).min(n - start) {
                    let q = (rng.next() as u16) & 0x0f0f;
                    let mut got = Vec::new();
                    filter(&partners, start, start + len, q, limit, |i, d, p| got.push((i, d, p)));
                    let want: Vec<(usize, u32, u16)> = partners[start..start + len]
                        .iter()
                        .enumerate()
                        .map(|(i, &p)| (i, (p ^ q).count_ones(), p))
                        .filter(|&(_, d, _)| d <= limit)
                        .collect();
                    assert_eq!(got, want, "limit {limit}, start {start}, len {len}");
                }
            }
        }
    }
}
