//! PDQ matching speed: [`PdqIndex`] beside [`pdq_linear_scan`] in the same
//! run.
//!
//! `cargo bench --bench index` builds lists of 10k, 1M and 10M random PDQ
//! hashes (restrict them with `PRESCAN_BENCH_SIZES=10000,1000000`) and, for
//! each, 2000 dihedral queries (eight random variants each); 1% of the
//! queries have one variant within 10 to 31 bits of a listed hash. Then:
//!
//! * criterion measures `query_dihedral/{size}` at distance 31 (and
//!   `linear_scan/10000`) for the lists of up to 1M;
//!   (Lists under `index::SCAN_BELOW`, 16,384 entries, get no tables: the
//!   10k row measures the scan the checker does for them.)
//! * every size is timed by hand, one `Instant` per query, for the table
//!   printed at the end: build time, memory (the bytes per entry the index
//!   holds, hashes included, and the ratio to the raw 32 bytes; an index
//!   with tables holds the hashes in them, a scanned one holds the hashes
//!   only), query p50/p99 for the index and for the linear scan (fewer
//!   scan queries on big lists), and the speed-up. The index's answers are
//!   checked against the scan's on every query both ran.
//! * then, per size, the list as a whole, for the second table: a signed
//!   list of the same hashes built and signed with `ListBuilder::build`
//!   (test key from `SecretKey::from_seed`), loaded and verified with
//!   `SignedList::load`, indexed with `Checker::new`; each step timed once,
//!   with the list's size and `Checker::memory_bytes`, all the checker
//!   holds for it: the list's bytes it keeps (without the PDQ hashes once
//!   its index has tables) and the index (heap bytes by capacity;
//!   resident-memory growth is no measure here, the allocator reusing
//!   freed pages).
//!   Peak memory stays near 2 GB at 10M entries (the entries, the list and
//!   its copy, one index at a time).
//!
//! # What a query costs, and what was measured against the layout
//! (The figures of the index's own docs until they moved here, where they
//! are measured; re-run before quoting them.)
//!
//! A checked candidate costs a few dependent reads per pair (a link, a
//! partner, a directory entry and a line of offsets) instead of one read
//! of a hash array, for 32 bytes an entry less. A dihedral query at 31
//! reads about 2,200 buckets (a line of offsets and one or two of partners
//! each) and walks a few hundred candidates: what makes it fast is how
//! many of those reads are in flight at once (`crate::prefetch`). The
//! buckets go through a pipeline: a bucket's offsets are asked for 32
//! buckets before its range is read, its partners 32 before they are
//! filtered (`READ_AHEAD`). On the AMD EPYC machine of 2026-12-07 that took
//! the criterion figure at a million entries from 160 to 103–110 µs
//! (16 buckets ahead: about the same; 64: 127 µs), and the p50 of the
//! table from 172 to 100 µs, against rounds that asked for every line of a
//! round (all 2,176 lines of offsets, then all the partners) before reading
//! any: those evict each other from the first-level cache before they are
//! read (`perf annotate` put half the query's samples on the loads the
//! rounds had asked for). On the machine of 2026-12-02 the rounds had been
//! the faster (a pipeline 16 to 256 buckets ahead was 1.2 times slower);
//! both took the query from 130 µs p50 with plain reads ahead of use
//! to about 91 µs there. Also tried then, slower: a line of 64 bytes a
//! bucket holding its range and first 28 partners, one read a bucket
//! instead of two (1.3 times slower: 64 MiB of lines miss the TLB, where
//! the 4 MiB of offsets mostly do not). With huge pages (`crate::pages`,
//! added later that day) that reason went: on 2026-12-07 (fifth session)
//! the index that holds its hashes keeps its buckets in such lines
//! (`index::slots`, from `SLOTS_FROM` entries), its query 0.69 times as
//! long as with the rows (the third table: p50 59.9 against 87.0 µs at a
//! million), each bucket's lines asked for into the second-level cache 64
//! buckets ahead and into the first 16 ahead.
//!
//! Keeping the hashes beside the tables, with entry numbers in place of
//! the links, is what `PdqIndex::over_keeping_hashes` builds (88 bytes an
//! entry in rows, 123 in slots, against 59, hashes included): the third
//! table times both in turns with the index that does not hold them (in
//! rows about 0.9 times as long a query at a million, 2026-12-07; 1.2 times
//! faster against an earlier version of the query). A query at a distance
//! past
//! `MAX_INDEXED_DISTANCE`, and `PdqIndex::nearest_dihedral`, read
//! every hash: an index built by `PdqIndex::over_keeping_hashes` reads
//! them from the list (about 15 ms for a million), others put them back
//! together from the tables (0.7 to 1.2 s).
//!
//! Also measured, with a million random hashes and dihedral queries at
//! distance 31: ids in all 16 tables and no partner filter (every
//! candidate's hash read: about 35,000 random reads a query) was about 4
//! times slower than the pair filter; sorting those candidates by address
//! before reading them was no faster; 11 chunks of 23–24 bits probed at
//! radius 2 were slower still; 8 chunks of 32 bits probed at radius 3 (697
//! buckets of a 16-bit directory per table and variant), whose tables fit
//! in about 32 bytes an entry beside the hashes, took 3.5 ms p50 and 5.0 ms
//! p99 a query.
//! Measured on 2026-12-07 (fourth session) in one process, two ways of the
//! query alternated in turns of 500 queries at a million entries, and
//! dropped: the filter counting the partners within the limit by clearing
//! the lowest set bit `limit` times instead of a popcount (0.99 times as
//! long: the query waits on memory, not on the filter's arithmetic); the
//! pipeline in blocks of 32 buckets, each step a loop over a block (1.6
//! times as long: a block's prefetches go out in a burst); the offsets and
//! the partners asked for at other distances ahead (16 and 32, 32 and 48,
//! 48 and 32, 24 and 24, 16 and 48 buckets: none faster than 32 and 32).
//! Walking the candidates after the buckets are filtered, in lock-step,
//! rather than each as the filter finds it, took a dihedral query at a
//! million entries from about 235 to 190 µs.
//!
//! `cargo test --benches` runs only a quick smoke pass (10k entries, 20
//! queries, no criterion).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Rng, flip};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use prescan::check::{CheckOptions, Checker};
use prescan::hash::pdq::PdqHash;
use prescan::index::{HashStore, PdqIndex, pdq_linear_scan};
use prescan::list::format::{ListBuilder, LoadOptions, SignedList};
use prescan::list::keys::SecretKey;
use prescan::list::{Entry, SignalType};

const DEFAULT_SIZES: [usize; 3] = [10_000, 1_000_000, 10_000_000];
const MAX_DISTANCE: u32 = 31;
const QUERIES: usize = 2000;
/// Criterion measures lists up to this size (bigger ones are only timed by
/// hand).
const CRITERION_MAX: usize = 1_000_000;

/// Random queries; 1% have a random variant 10 to 31 bits from a random
/// listed hash.
fn queries(rng: &mut Rng, hashes: &[PdqHash], count: usize) -> Vec<[PdqHash; 8]> {
    (0..count)
        .map(|i| {
            let mut q: [PdqHash; 8] = std::array::from_fn(|_| rng.hash());
            if i % 100 == 0 && !hashes.is_empty() {
                let target = hashes[rng.below(hashes.len())];
                let bits = 10 + rng.below(22) as u32;
                q[rng.below(8)] = flip(rng, &target, bits);
            }
            q
        })
        .collect()
}

fn sizes() -> Vec<usize> {
    match std::env::var("PRESCAN_BENCH_SIZES") {
        Ok(text) => text.split(',').filter_map(|s| s.trim().replace('_', "").parse().ok()).collect(),
        Err(_) => DEFAULT_SIZES.to_vec(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

struct Row {
    size: usize,
    build_ms: f64,
    /// Index memory per entry, its tables and the hashes it reads.
    bytes_per_entry: f64,
    /// The tables alone.
    table_bytes_per_entry: f64,
    index_p50: f64,
    index_p99: f64,
    index_queries: usize,
    scan_p50: f64,
    scan_p99: f64,
    scan_queries: usize,
    planted_found: usize,
    planted: usize,
    list: ListRow,
    /// One `nearest_dihedral` without the hashes, for lists with tables.
    nearest_ms: Option<f64>,
    /// The same queries of an index holding the hashes, for lists with
    /// tables (see [`held_beside`]).
    held: Option<HeldRow>,
}

/// The indexes that hold the hashes (`PdqIndex::over_keeping_hashes`, as
/// `prescan serve` builds), their buckets in rows and in slots, beside the
/// one that does not, timed in turn.
struct HeldRow {
    /// Memory per entry, hashes included: rows, slots.
    bytes_per_entry: [f64; 2],
    /// p50 and p99 of the index without the hashes, then rows, then slots,
    /// timed in the same turns.
    p50: [f64; 3],
    p99: [f64; 3],
}

/// Times `plain` and two indexes of the same hashes that hold them (their
/// buckets in rows, `PdqIndex::with_tables_holding`, and in slots,
/// `PdqIndex::with_tables_in_slots`, which `over_keeping_hashes` builds
/// from `SLOTS_FROM` entries on), in turns of 100 queries (so that a
/// machine whose speed drifts gives all three the same conditions), and
/// checks that they answer alike.
fn held_beside(plain: &PdqIndex, hashes: &[PdqHash], queries: &[[PdqHash; 8]]) -> HeldRow {
    let bytes: Vec<u8> = hashes.iter().flat_map(PdqHash::to_bytes).collect();
    let rows = PdqIndex::with_tables_holding(HashStore::owned(bytes.clone()).unwrap()).unwrap();
    let slots = PdqIndex::with_tables_in_slots(HashStore::owned(bytes).unwrap()).unwrap();
    let indexes = [plain, &rows, &slots];
    let mut times: [Vec<Duration>; 3] = Default::default();
    for turn in queries.chunks(100) {
        let mut answers = Vec::new();
        for (index, times) in indexes.iter().zip(&mut times) {
            let (t, results) = time_each(turn, |q| index.query_dihedral(q, MAX_DISTANCE));
            times.extend(t);
            answers.push(results);
        }
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "the indexes disagree");
    }
    for t in &mut times {
        t.sort();
    }
    let per_entry = |i: &PdqIndex| (i.memory_bytes() + i.hash_bytes()) as f64 / hashes.len().max(1) as f64;
    HeldRow {
        bytes_per_entry: [per_entry(&rows), per_entry(&slots)],
        p50: std::array::from_fn(|i| percentile(&times[i], 0.50)),
        p99: std::array::from_fn(|i| percentile(&times[i], 0.99)),
    }
}

/// The list-level figures of one size.
struct ListRow {
    /// `ListBuilder::build`: serialise and sign.
    build_sign_ms: f64,
    list_bytes: usize,
    /// `SignedList::load`: parse and verify the signature.
    load_ms: f64,
    /// `Checker::new`: index every section.
    index_ms: f64,
    /// `Checker::memory_bytes`: all the checker holds for the list.
    checker_bytes: usize,
}

/// Builds, signs, loads and indexes a list of `hashes`, timing each step.
fn measure_list(hashes: &[PdqHash], planted: &[[PdqHash; 8]]) -> ListRow {
    let key = SecretKey::from_seed([42; 32]);
    let entries: Vec<Entry> =
        hashes.iter().map(|h| Entry { signal: SignalType::Pdq, hash: h.to_bytes().to_vec(), label: None }).collect();
    let builder = ListBuilder {
        id: "bench".into(),
        sequence: 1,
        created: 1_700_000_000,
        expires: None,
        thresholds: [(SignalType::Pdq, MAX_DISTANCE)].into(),
    };
    let start = Instant::now();
    let bytes = builder.build(&entries, &key).unwrap();
    let build_sign_ms = start.elapsed().as_secs_f64() * 1e3;
    drop(entries);
    let list_bytes = bytes.len();
    let options = LoadOptions {
        trusted_keys: vec![key.public()],
        now: 1_700_000_001,
        min_sequence: 0,
        limits: Default::default(),
    };
    let start = Instant::now();
    let list = SignedList::load(bytes, &options).unwrap();
    let load_ms = start.elapsed().as_secs_f64() * 1e3;
    let start = Instant::now();
    let checker = Checker::new(list, CheckOptions::default()).unwrap();
    let index_ms = start.elapsed().as_secs_f64() * 1e3;
    assert_eq!(checker.list().len(), hashes.len());
    // The checker's index answers as the bench's did.
    let index = checker.pdq_index().unwrap();
    for q in planted.iter().take(3) {
        assert_eq!(index.query_dihedral(q, MAX_DISTANCE), pdq_linear_scan(hashes, q, MAX_DISTANCE));
    }
    ListRow { build_sign_ms, list_bytes, load_ms, index_ms, checker_bytes: checker.memory_bytes() }
}

/// Times `f` once per query; returns the durations (sorted) and results.
fn time_each<T>(queries: &[[PdqHash; 8]], mut f: impl FnMut(&[PdqHash; 8]) -> T) -> (Vec<Duration>, Vec<T>) {
    let mut times = Vec::with_capacity(queries.len());
    let mut results = Vec::with_capacity(queries.len());
    for q in queries {
        let start = Instant::now();
        let r = black_box(f(black_box(q)));
        times.push(start.elapsed());
        results.push(r);
    }
    times.sort();
    (times, results)
}

fn measure(c: &mut Criterion, size: usize, test_mode: bool) -> Row {
    let mut rng = Rng(size as u64 ^ 0x5eed);
    let hashes: Vec<PdqHash> = (0..size).map(|_| rng.hash()).collect();
    let queries = queries(&mut rng, &hashes, if test_mode { 20 } else { QUERIES });

    let input = hashes.clone();
    let start = Instant::now();
    let index = PdqIndex::new(input).unwrap();
    let build_ms = start.elapsed().as_secs_f64() * 1e3;
    let table_bytes_per_entry = index.memory_bytes() as f64 / size.max(1) as f64;
    let bytes_per_entry = (index.memory_bytes() + index.hash_bytes()) as f64 / size.max(1) as f64;

    if size <= CRITERION_MAX && !test_mode {
        let mut group = c.benchmark_group("query_dihedral");
        group.sample_size(20).measurement_time(Duration::from_secs(3));
        group.bench_with_input(BenchmarkId::from_parameter(size), &queries, |b, queries| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % queries.len();
                index.query_dihedral(black_box(&queries[i]), MAX_DISTANCE)
            })
        });
        group.finish();
        if size <= 10_000 {
            let mut group = c.benchmark_group("linear_scan");
            group.sample_size(20).measurement_time(Duration::from_secs(3));
            group.bench_with_input(BenchmarkId::from_parameter(size), &queries, |b, queries| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % queries.len();
                    pdq_linear_scan(&hashes, black_box(&queries[i]), MAX_DISTANCE)
                })
            });
            group.finish();
        }
    }

    let (index_times, index_results) = time_each(&queries, |q| index.query_dihedral(q, MAX_DISTANCE));
    // The scan reads every hash: keep its total near a second.
    let scan_count = if test_mode { 2 } else { (200_000_000 / size.max(1)).clamp(20, QUERIES) };
    let scan_queries: Vec<[PdqHash; 8]> =
        queries.iter().step_by(queries.len() / scan_count).take(scan_count).copied().collect();
    let (scan_times, scan_results) = time_each(&scan_queries, |q| pdq_linear_scan(&hashes, q, MAX_DISTANCE));
    for (i, expected) in scan_results.iter().enumerate() {
        let got = index.query_dihedral(&scan_queries[i], MAX_DISTANCE);
        assert_eq!(&got, expected, "index and scan disagree at size {size}");
    }
    let planted = queries.iter().step_by(100).count();
    let planted_found = index_results.iter().step_by(100).filter(|r| !r.is_empty()).count();
    // One look for the nearest entry, every hash put back together from
    // the tables (the checker keeps the hashes when it reports it).
    let nearest_ms = index.has_tables().then(|| {
        let start = Instant::now();
        black_box(index.nearest_dihedral(&queries[0]));
        start.elapsed().as_secs_f64() * 1e3
    });
    let held = index.has_tables().then(|| held_beside(&index, &hashes, &queries));
    drop(index);
    let planted_queries: Vec<[PdqHash; 8]> = queries.iter().step_by(100).copied().collect();
    let list = measure_list(&hashes, &planted_queries);

    Row {
        size,
        build_ms,
        bytes_per_entry,
        table_bytes_per_entry,
        index_p50: percentile(&index_times, 0.50),
        index_p99: percentile(&index_times, 0.99),
        index_queries: index_times.len(),
        scan_p50: percentile(&scan_times, 0.50),
        scan_p99: percentile(&scan_times, 0.99),
        scan_queries: scan_times.len(),
        planted_found,
        planted,
        list,
        nearest_ms,
        held,
    }
}

/// A memory figure of this process from `/proc/self/status` (Linux only),
/// in MiB.
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM:")
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // (or `--test`): then only a quick smoke run of the smallest list.
    let test_mode = !std::env::args().any(|a| a == "--bench") || std::env::args().any(|a| a == "--test");
    let sizes = if test_mode { vec![10_000] } else { sizes() };
    let mut rows = Vec::new();
    for size in sizes {
        rows.push(measure(&mut c, size, test_mode));
    }
    c.final_summary();

    println!(
        "\nPDQ query_dihedral at distance {MAX_DISTANCE}: PdqIndex vs pdq_linear_scan (µs per query, one Instant each)"
    );
    println!(
        "B/entry: all the index holds, hashes included (a scanned list: its hashes; tables: in them); tables: the tables"
    );
    println!(
        "{:>10} {:>9} {:>8} {:>6} {:>8} {:>10} {:>10} {:>6} {:>11} {:>11} {:>5} {:>9} {:>8}",
        "entries",
        "build ms",
        "B/entry",
        "×raw",
        "tables",
        "index p50",
        "index p99",
        "n",
        "scan p50",
        "scan p99",
        "n",
        "speed-up",
        "planted"
    );
    for r in &rows {
        println!(
            "{:>10} {:>9.1} {:>8.1} {:>6.2} {:>8.1} {:>10.1} {:>10.1} {:>6} {:>11.1} {:>11.1} {:>5} {:>8.0}× {:>4}/{:<3}",
            r.size,
            r.build_ms,
            r.bytes_per_entry,
            r.bytes_per_entry / 32.0,
            r.table_bytes_per_entry,
            r.index_p50,
            r.index_p99,
            r.index_queries,
            r.scan_p50,
            r.scan_p99,
            r.scan_queries,
            r.scan_p50 / r.index_p50,
            r.planted_found,
            r.planted
        );
    }
    println!(
        "\nHolding the hashes (PdqIndex::over_keeping_hashes, as prescan serve builds): candidates checked by reading \
         their hashes, not through the links; the buckets in rows (under SLOTS_FROM entries) or in slots (from it); \
         the three indexes timed in turns of 100 queries (µs per query; ratio: p50 over that of the index without \
         the hashes)"
    );
    println!(
        "{:>10} {:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6} {:>6}",
        "entries",
        "B/e rows",
        "B/e slot",
        "plain p50",
        "plain p99",
        "rows p50",
        "rows p99",
        "slots p50",
        "slots p99",
        "rows",
        "slots"
    );
    for r in &rows {
        if let Some(h) = &r.held {
            println!(
                "{:>10} {:>8.1} {:>8.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>6.2} {:>6.2}",
                r.size,
                h.bytes_per_entry[0],
                h.bytes_per_entry[1],
                h.p50[0],
                h.p99[0],
                h.p50[1],
                h.p99[1],
                h.p50[2],
                h.p99[2],
                h.p50[1] / h.p50[0],
                h.p50[2] / h.p50[0],
            );
        }
    }
    for r in &rows {
        if let Some(ms) = r.nearest_ms {
            println!("{:>10} nearest_dihedral, every hash put back together from the tables: {ms:.0} ms", r.size);
        }
    }
    println!(
        "\nThe list: ListBuilder::build (build + sign), SignedList::load (verify), Checker::new (index); ms, once each"
    );
    println!(
        "{:>10} {:>12} {:>10} {:>10} {:>10} {:>17} {:>11} {:>11}",
        "entries", "build+sign", "list MiB", "load", "index", "load+verify+index", "checker MiB", "checker B/e"
    );
    for r in &rows {
        let l = &r.list;
        println!(
            "{:>10} {:>12.1} {:>10.1} {:>10.1} {:>10.1} {:>17.1} {:>11.1} {:>11.1}",
            r.size,
            l.build_sign_ms,
            l.list_bytes as f64 / (1 << 20) as f64,
            l.load_ms,
            l.index_ms,
            l.load_ms + l.index_ms,
            l.checker_bytes as f64 / (1 << 20) as f64,
            l.checker_bytes as f64 / r.size.max(1) as f64,
        );
    }
    crowded(if test_mode { 20_000 } else { 1_000_000 });
    if let Some(mib) = peak_rss_mib() {
        println!("peak resident memory of the run: {mib:.0} MiB");
    }
}

/// A list built to be slow (issue 9, item 18): every entry shares chunks 0
/// to 7 (128 bits) with one image and is random elsewhere (about 64 bits
/// away: no match). Each of the image's queries finds the whole list in 8
/// tables, spends its candidate budget and scans; the index keeps the
/// hashes of such a list, and the same list indexed without them
/// (`with_tables`) scans by putting them back together.
fn crowded(size: usize) {
    let mut rng = Rng(18);
    let base = rng.hash();
    let head = base.to_bytes();
    let mut bytes = Vec::with_capacity(size * 32);
    for _ in 0..size {
        bytes.extend_from_slice(&head[..16]);
        bytes.extend_from_slice(&rng.hash().to_bytes()[16..]);
    }
    let variants = [base; 8];
    println!(
        "\nA crowded list of {size} (all share 128 bits with the query): query_dihedral at {MAX_DISTANCE}, 5 runs"
    );
    for (name, index) in [
        ("PdqIndex::over (keeps the hashes)", PdqIndex::over(HashStore::owned(bytes.clone()).unwrap()).unwrap()),
        ("PdqIndex::with_tables (without them)", PdqIndex::with_tables(HashStore::owned(bytes).unwrap()).unwrap()),
    ] {
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                assert!(index.query_dihedral(&variants, MAX_DISTANCE).is_empty());
                start.elapsed()
            })
            .collect();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name:>38}: largest bucket {}, holds hashes {}, median {:.1} ms (min {:.1}, max {:.1})",
            index.largest_bucket(),
            index.holds_hashes(),
            ms(times[2]),
            ms(times[0]),
            ms(times[4])
        );
    }
}
