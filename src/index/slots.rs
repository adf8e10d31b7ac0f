//! The partners of a [`super::PdqIndex`]'s buckets at fixed places, a whole
//! number of cache lines a bucket: what the index that holds its hashes
//! filters (see [`Slots`]).

use crate::pages::advise_huge_pages;
use crate::prefetch::{Level, prefetch_into};

/// `u16`s in a cache line of 64 bytes.
const LINE: usize = 32;
/// The most lines a bucket is given, whatever the list: its length is kept
/// in a `u16`, and the slots of one table take at most 4 GiB.
const MAX_LINES: usize = 1024;
/// Buckets of a table that may be longer than its slots hold (see
/// [`SlotTable::lines`]): a 1,024th of them.
const SPILLS_PER_TABLE: usize = 64;
/// A table's slots get at most this many times the lines a random list of
/// the same length would need ([`Slots::lines_for`]): the bound on their
/// memory whatever the list (its longer buckets spill instead).
const MAX_LINES_OVER_RANDOM: usize = 4;

/// Every bucket of every table in a few cache lines of its own: its first
/// partners, then its length in the last `u16`. A bucket longer than the
/// lines hold keeps the rest in a spill area.
///
/// # Why
/// In compressed-sparse-row form (a table's offsets, then its partners
/// back to back) a bucket costs two reads that wait on each other: the
/// line of offsets that gives its range, then the one or two lines its
/// partners span. Here the place of bucket `v` of table `k` is known
/// without a read, and a bucket of a random list of a million is one line:
/// a dihedral query at 31 reads about 2,200 lines instead of about 5,000.
/// The price is memory: a line a bucket whatever it holds, 64 MiB for
/// 16 tables (the rows of a million take 32). Only the index that holds
/// its hashes uses it (`prescan serve`'s); the compact one that pages use
/// keeps the rows, whose links it walks.
///
/// Each table gets as many lines a bucket as all but [`SPILLS_PER_TABLE`]
/// of its buckets need, so that a list whose chunks are not spread evenly
/// (real hashes have biased bits) still reads one place a bucket; up to
/// [`MAX_LINES_OVER_RANDOM`] times what a random list would need, which
/// bounds the memory of a list crowded on purpose (its long buckets spill,
/// and its queries end in a scan: see `PdqIndex::probe`).
#[derive(Debug, Clone, Default)]
pub(super) struct Slots {
    tables: Vec<SlotTable>,
    /// The most lines a bucket may get.
    max_lines: usize,
}

/// One table's slots (see [`Slots`]).
#[derive(Debug, Clone, Default)]
struct SlotTable {
    /// `u16`s a bucket: `LINE` times its lines.
    per: usize,
    /// Where bucket 0 starts in `data`: the first element on a line (the
    /// allocation is not aligned to 64 bytes).
    base: usize,
    /// The buckets, `per` `u16`s each: up to `per - 1` partners, in
    /// position order, then the bucket's length, or `per` for a bucket
    /// that spills.
    data: Vec<u16>,
    /// `(bucket, start in spill)` of every bucket that spills, in order.
    spill_at: Vec<(u16, usize)>,
    /// The partners of spilling buckets past their first `per - 1`, bucket
    /// after bucket.
    spill: Vec<u16>,
}

impl Slots {
    /// Lines a bucket of a random list of `n` entries needs, with tables of
    /// `buckets` buckets: enough for the mean length and three standard
    /// deviations (a random list's bucket lengths are about Poisson, with
    /// mean `n / buckets`), and the length: 1 line up to about 1.2 million
    /// entries, 6 at 10 million.
    pub(super) fn lines_for(n: usize, buckets: usize) -> usize {
        let mean = n as f64 / buckets.max(1) as f64;
        let want = mean + 3.0 * mean.sqrt() + 1.0;
        ((want / LINE as f64).ceil() as usize).clamp(1, MAX_LINES)
    }

    /// No tables yet, for a list of `n` entries whose tables have `buckets`
    /// buckets.
    pub(super) fn new(n: usize, buckets: usize) -> Self {
        let max_lines = (Slots::lines_for(n, buckets) * MAX_LINES_OVER_RANDOM).min(MAX_LINES);
        Slots { tables: Vec::new(), max_lines }
    }

    /// Adds the next table from its rows: bucket `v` holds
    /// `partners[offsets[v]..offsets[v + 1]]` (`offsets` one longer than
    /// the buckets).
    pub(super) fn push(&mut self, offsets: &[u32], partners: &[u16]) {
        let lengths: Vec<usize> = offsets
            .windows(2)
            .map(|w| match w {
                [start, end] => end.saturating_sub(*start) as usize,
                _ => 0,
            })
            .collect();
        let per = LINE * SlotTable::lines(&lengths, self.max_lines);
        let mut data = vec![0u16; lengths.len() * per + LINE];
        advise_huge_pages(&mut data);
        let base = data.as_ptr().align_offset(LINE * std::mem::size_of::<u16>()).min(LINE);
        let mut table = SlotTable { per, base, data, spill_at: Vec::new(), spill: Vec::new() };
        let room = per - 1;
        for (v, range) in offsets.windows(2).enumerate() {
            let bucket = match range {
                [start, end] => partners.get(*start as usize..*end as usize).unwrap_or(&[]),
                _ => &[],
            };
            if bucket.is_empty() {
                // Its slot is zeros already, its pages maybe not yet touched.
                continue;
            }
            let at = base + v * per;
            let Some(slot) = table.data.get_mut(at..at + per) else { continue };
            let kept = bucket.len().min(room);
            if let (Some(to), Some(from)) = (slot.get_mut(..kept), bucket.get(..kept)) {
                to.copy_from_slice(from);
            }
            if let Some(last) = slot.last_mut() {
                *last = bucket.len().min(per) as u16;
            }
            if bucket.len() > room {
                table.spill_at.push((v as u16, table.spill.len()));
                table.spill.extend_from_slice(bucket.get(room..).unwrap_or(&[]));
            }
        }
        self.tables.push(table);
    }

    /// Asks for the lines of bucket `v` of table `k`, into the cache
    /// `level` (see `crate::prefetch`).
    #[inline]
    pub(super) fn prefetch(&self, k: usize, v: usize, level: Level) {
        let Some(table) = self.tables.get(k) else { return };
        let at = table.base + v * table.per;
        for line in (0..table.per).step_by(LINE) {
            prefetch_into(&table.data, at + line, level);
        }
    }

    /// Bucket `v` of table `k`: its slot (all of it, its length last, so
    /// that a filter may read whole windows), how many of its partners the
    /// slot holds, and the partners that spilled (none for most buckets).
    #[inline]
    pub(super) fn bucket(&self, k: usize, v: usize) -> (&[u16], usize, &[u16]) {
        let Some(table) = self.tables.get(k) else { return (&[], 0, &[]) };
        let at = table.base + v * table.per;
        let Some(slot) = table.data.get(at..at + table.per) else { return (&[], 0, &[]) };
        let length = usize::from(slot.last().copied().unwrap_or(0));
        if length < table.per {
            return (slot, length, &[]);
        }
        (slot, table.per - 1, table.spilled(v))
    }

    /// Heap bytes held.
    pub(super) fn memory_bytes(&self) -> usize {
        self.tables
            .iter()
            .map(|t| {
                t.data.capacity() * std::mem::size_of::<u16>()
                    + t.spill_at.capacity() * std::mem::size_of::<(u16, usize)>()
                    + t.spill.capacity() * std::mem::size_of::<u16>()
            })
            .sum()
    }
}

impl SlotTable {
    /// Lines a bucket for a table whose buckets have these `lengths`: the
    /// fewest with which at most [`SPILLS_PER_TABLE`] buckets spill, at
    /// most `max_lines`.
    fn lines(lengths: &[usize], max_lines: usize) -> usize {
        let mut sorted = lengths.to_vec();
        let Some(i) = sorted.len().checked_sub(SPILLS_PER_TABLE + 1) else { return 1 };
        // The longest bucket that must fit: the others are among the
        // `SPILLS_PER_TABLE` longest.
        let (_, &mut longest, _) = sorted.select_nth_unstable(i);
        (longest + 1).div_ceil(LINE).clamp(1, max_lines.max(1))
    }

    /// The partners of bucket `v` past the slot's.
    fn spilled(&self, v: usize) -> &[u16] {
        let i = self.spill_at.partition_point(|&(bucket, _)| usize::from(bucket) < v);
        match (self.spill_at.get(i), self.spill_at.get(i + 1)) {
            (Some(&(bucket, start)), next) if usize::from(bucket) == v => {
                let end = next.map_or(self.spill.len(), |&(_, end)| end);
                self.spill.get(start..end).unwrap_or(&[])
            }
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;

    /// Rows of `lengths.len()` buckets, bucket `v` of table `k` holding
    /// `lengths[v]` distinct partners.
    fn rows(k: usize, lengths: &[usize]) -> (Vec<u32>, Vec<u16>, Vec<Vec<u16>>) {
        let mut offsets = vec![0u32];
        let mut partners = Vec::new();
        let mut buckets = Vec::new();
        for (v, &len) in lengths.iter().enumerate() {
            let b: Vec<u16> = (0..len).map(|i| (k * 10_000 + v * 300 + i) as u16).collect();
            partners.extend_from_slice(&b);
            offsets.push(partners.len() as u32);
            buckets.push(b);
        }
        (offsets, partners, buckets)
    }

    /// Every bucket gives back its partners, in order, whether it fits its
    /// slot, fills it exactly, or spills (by one or by many).
    #[test]
    fn buckets_give_back_their_partners() {
        // 70 buckets past 31 in table 1: it gets 2 lines, and its buckets
        // past 63 spill; table 0 gets 1 line.
        let mut lengths = vec![0usize, 1, 5, 30, 31, 32, 33, 100, 0, 31, 62, 7];
        let long: Vec<usize> = (0..70).map(|i| 32 + i).collect();
        for (k, lengths) in [lengths.clone(), {
            lengths.extend(&long);
            lengths
        }]
        .iter()
        .enumerate()
        {
            let mut slots = Slots::new(1_000, 256);
            let (offsets, partners, want) = rows(k, lengths);
            slots.push(&offsets, &partners);
            let table = &slots.tables[0];
            assert_eq!(table.per, if k == 0 { 32 } else { 64 }, "table {k}");
            for (v, want) in want.iter().enumerate() {
                let (slot, kept, spilled) = slots.bucket(0, v);
                assert_eq!(slot.len(), table.per);
                assert_eq!(slot.as_ptr() as usize % 64, 0, "a slot starts a line");
                let got: Vec<u16> = slot[..kept].iter().chain(spilled).copied().collect();
                assert_eq!(&got, want, "table {k}, bucket {v}");
            }
        }
    }

    /// A table crowded into a few long buckets gets no more lines than the
    /// bound; its long buckets spill.
    #[test]
    fn crowded_tables_are_bounded() {
        let mut lengths = vec![0usize; 1000];
        lengths[..100].fill(5000);
        let mut slots = Slots::new(500_000, 1000);
        let (offsets, partners, want) = rows(0, &lengths);
        slots.push(&offsets, &partners);
        assert_eq!(slots.tables[0].per, LINE * slots.max_lines);
        let (slot, kept, spilled) = slots.bucket(0, 7);
        assert_eq!(kept + spilled.len(), 5000);
        assert_eq!(slot[..kept].iter().chain(spilled).copied().collect::<Vec<_>>(), want[7]);
    }

    #[test]
    fn lines_fit_a_random_list() {
        assert_eq!(Slots::lines_for(0, 65_536), 1);
        assert_eq!(Slots::lines_for(1_000_000, 65_536), 1);
        assert_eq!(Slots::lines_for(10_000_000, 65_536), 6);
        assert_eq!(Slots::lines_for(usize::MAX, 1), MAX_LINES);
    }
}
