//! Property tests of `prescan::index`: every index against a naive scan, on
//! random lists with neighbours planted just inside, at and just outside the
//! threshold, plus the edge cases (empty lists, duplicates, all-zero hashes,
//! thresholds of 256 and more, malformed input).
//!
//! The cases come from a seeded PRNG, so a failure names its seed and
//! reproduces.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{Rng, flip, flip_within};
use prescan::Error;
use prescan::hash::pdq::{Dihedral, PdqHash};
use prescan::index::{ExactSet, HammingSet, HashStore, Neighbour, PdqIndex, PdqMatch, PdqNeighbour, pdq_linear_scan};

/// The indexes of `hashes` with their tables, whatever the list's length
/// (the lists here are short, and `PdqIndex::new` would scan them): one
/// that checks its candidates through the links of its tables, and two
/// that hold the hashes and read them, their buckets in rows and in slots.
fn indexed(hashes: &[PdqHash]) -> [PdqIndex; 3] {
    let store = HashStore::owned(hashes.iter().flat_map(|h| h.to_bytes()).collect()).unwrap();
    let indexes = [
        PdqIndex::with_tables(store.clone()).unwrap(),
        PdqIndex::with_tables_holding(store.clone()).unwrap(),
        PdqIndex::with_tables_in_slots(store).unwrap(),
    ];
    for (index, holds) in indexes.iter().zip([false, true, true]) {
        assert_eq!(index.has_tables(), !hashes.is_empty());
        assert_eq!(index.holds_hashes(), holds && !hashes.is_empty());
    }
    indexes
}

/// Eight related variants: a base hash and seven others, some near it (as
/// rotations of a symmetric image are), some random.
fn variants(rng: &mut Rng) -> [PdqHash; 8] {
    let base = rng.hash();
    std::array::from_fn(|i| match i {
        0 => base,
        1 | 2 => {
            let bits = rng_bits(rng, 40);
            flip(rng, &base, bits)
        }
        _ => rng.hash(),
    })
}

fn rng_bits(rng: &mut Rng, max: usize) -> u32 {
    rng.below(max + 1) as u32
}

/// The single-query answer by brute force.
fn naive_query(hashes: &[PdqHash], q: &PdqHash, max_distance: u32) -> Vec<PdqNeighbour> {
    let mut out: Vec<PdqNeighbour> = hashes
        .iter()
        .enumerate()
        .map(|(i, h)| PdqNeighbour { entry: i as u32, distance: h.distance(q) })
        .filter(|n| n.distance <= max_distance)
        .collect();
    out.sort_by_key(|n| (n.distance, n.entry));
    out
}

/// The dihedral answer by brute force, written independently of
/// `pdq_linear_scan`.
fn naive_dihedral(hashes: &[PdqHash], variants: &[PdqHash; 8], max_distance: u32) -> Vec<PdqMatch> {
    let mut out = Vec::new();
    for (i, h) in hashes.iter().enumerate() {
        let (v, d) = (0..8).map(|v| (v, h.distance(&variants[v]))).min_by_key(|&(v, d)| (d, v)).unwrap();
        if d <= max_distance {
            out.push(PdqMatch { entry: i as u32, distance: d, variant: Dihedral::ALL[v] });
        }
    }
    out.sort_by_key(|m| (m.distance, m.entry));
    out
}

const SIZES: [usize; 5] = [0, 1, 5, 1000, 20000];
/// Every radius change: the pair radius at multiples of 8, the chunk radius
/// at multiples of 16, the scan from 48.
const THRESHOLDS: [u32; 15] = [0, 1, 7, 8, 15, 16, 23, 24, 31, 32, 40, 47, 48, 64, 200];

/// A random list of `n` hashes; when `clustered`, drawn near a few centres
/// so that many entries are near each other and near the queries.
fn list(rng: &mut Rng, n: usize, clustered: bool) -> Vec<PdqHash> {
    let centres: Vec<PdqHash> = (0..4).map(|_| rng.hash()).collect();
    (0..n)
        .map(|_| {
            if clustered {
                let c = centres[rng.below(centres.len())];
                let bits = rng_bits(rng, 70);
                flip(rng, &c, bits)
            } else {
                rng.hash()
            }
        })
        .collect()
}

/// Plants neighbours of random variants of each query at distance `d - 1`,
/// `d` and `d + 1` (and a few exact copies) at random places in `hashes`.
fn plant(rng: &mut Rng, hashes: &mut [PdqHash], queries: &[[PdqHash; 8]], d: u32) {
    if hashes.is_empty() {
        return;
    }
    for q in queries {
        for bits in [d.saturating_sub(1), d, d + 1, 0] {
            let v = q[rng.below(8)];
            let at = rng.below(hashes.len());
            hashes[at] = flip(rng, &v, bits);
        }
    }
}

/// Twelve queries and a list of `n` hashes (clustered or not) with
/// neighbours of the queries planted around distance `d`, from `seed`.
fn planted_case(seed: u64, n: usize, d: u32, clustered: bool) -> (Vec<[PdqHash; 8]>, Vec<PdqHash>) {
    let mut rng = Rng(seed);
    let queries: Vec<[PdqHash; 8]> = (0..12).map(|_| variants(&mut rng)).collect();
    let mut hashes = list(&mut rng, n, clustered);
    plant(&mut rng, &mut hashes, &queries, d);
    (queries, hashes)
}

#[test]
fn query_dihedral_matches_linear_scan() {
    let mut seed = 1u64;
    for &n in &SIZES {
        for &d in &THRESHOLDS {
            for clustered in [false, true] {
                seed += 1;
                let (queries, hashes) = planted_case(seed, n, d, clustered);
                for (index, holds) in indexed(&hashes).iter().zip([false, true]) {
                    assert_eq!(index.len(), n);
                    for (qi, q) in queries.iter().enumerate() {
                        for distance in [d.saturating_sub(1), d, d + 1] {
                            let expected = naive_dihedral(&hashes, q, distance);
                            let scan = pdq_linear_scan(&hashes, q, distance);
                            assert_eq!(scan, expected, "scan: seed {seed} n {n} d {distance} query {qi}");
                            let got = index.query_dihedral(q, distance);
                            assert_eq!(
                                got, expected,
                                "index: seed {seed} n {n} d {distance} query {qi} clustered {clustered} holds {holds}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn query_matches_naive() {
    let mut seed = 1000u64;
    for &n in &SIZES {
        for &d in &THRESHOLDS {
            for clustered in [false, true] {
                seed += 1;
                let (queries, hashes) = planted_case(seed, n, d, clustered);
                for (index, holds) in indexed(&hashes).iter().zip([false, true]) {
                    for q in &queries {
                        for v in [q[0], q[3]] {
                            for distance in [d.saturating_sub(1), d, d + 1] {
                                assert_eq!(
                                    index.query(&v, distance),
                                    naive_query(&hashes, &v, distance),
                                    "seed {seed} n {n} d {distance} holds {holds}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Past 65,536 entries the index stores ids in three bytes.
#[test]
fn a_list_past_65536_entries() {
    let mut rng = Rng(4242);
    let queries: Vec<[PdqHash; 8]> = (0..8).map(|_| variants(&mut rng)).collect();
    let mut hashes = list(&mut rng, 70_000, false);
    plant(&mut rng, &mut hashes, &queries, 31);
    // Entries past 65,536 too.
    for q in &queries {
        let at = 65_536 + rng.below(70_000 - 65_536);
        let v = q[rng.below(8)];
        hashes[at] = flip(&mut rng, &v, 25);
    }
    for index in indexed(&hashes) {
        for q in &queries {
            for d in [15, 31, 32] {
                let expected = naive_dihedral(&hashes, q, d);
                assert!(expected.iter().any(|m| m.entry >= 65_536) || d < 25);
                assert_eq!(index.query_dihedral(q, d), expected);
                assert_eq!(index.query(&q[0], d), naive_query(&hashes, &q[0], d));
            }
        }
    }
}

/// `q` with `distances[k]` distinct bits flipped in chunk `k` (bits `16k`
/// to `16k + 15`).
fn flip_chunks(rng: &mut Rng, q: &PdqHash, distances: &[u32; 16]) -> PdqHash {
    let mut w = q.words();
    for (k, &d) in distances.iter().enumerate() {
        flip_within(rng, &mut w, 16 * k, 16, d);
    }
    PdqHash::from_words(w)
}

/// Neighbours built chunk by chunk at the edges of the method: exactly one
/// pair of chunks (`2p`, `2p + 1`) is within the pair radius `R = d / 8`,
/// with its distance on the even chunk only, on the odd chunk only, or on
/// both; every other pair is `R + 1` away. Some are repeated (equal pairs
/// in a bucket). The index must agree with the scan at and around `d`.
#[test]
fn neighbours_found_through_one_pair_only() {
    let mut rng = Rng(2024);
    for d in [7u32, 8, 15, 16, 23, 24, 31, 32, 39, 40, 47] {
        let pair_radius = d / 8;
        let queries: Vec<[PdqHash; 8]> = (0..6).map(|_| variants(&mut rng)).collect();
        let mut hashes = list(&mut rng, 3000, false);
        for q in &queries {
            for case in 0..12 {
                let v = q[rng.below(8)];
                let pair = rng.below(8);
                let mut distances = [0u32; 16];
                for p in 0..8 {
                    let total = if p == pair { pair_radius.saturating_sub(case % 2) } else { pair_radius + 1 };
                    let even = match (p == pair, case % 3) {
                        (true, 0) => total,
                        (true, 1) => 0,
                        _ => rng_bits(&mut rng, total as usize),
                    };
                    distances[2 * p] = even;
                    distances[2 * p + 1] = total - even;
                }
                let h = flip_chunks(&mut rng, &v, &distances);
                for _ in 0..=(case % 4) / 3 * 2 {
                    let at = rng.below(hashes.len());
                    hashes[at] = h;
                }
            }
        }
        for (index, holds) in indexed(&hashes).iter().zip([false, true]) {
            for q in &queries {
                for distance in [d.saturating_sub(1), d, d + 1, 8 * pair_radius + 7] {
                    let expected = naive_dihedral(&hashes, q, distance);
                    assert_eq!(index.query_dihedral(q, distance), expected, "d {distance} holds {holds}");
                    for v in q {
                        let want = naive_query(&hashes, v, distance);
                        assert_eq!(index.query(v, distance), want, "d {distance} holds {holds}");
                    }
                }
            }
        }
    }
}

#[test]
fn every_threshold_on_a_clustered_list() {
    let mut rng = Rng(77);
    let hashes = list(&mut rng, 300, true);
    let q = variants(&mut rng);
    for index in indexed(&hashes) {
        for d in 0..=260 {
            assert_eq!(index.query_dihedral(&q, d), naive_dihedral(&hashes, &q, d), "d {d}");
            assert_eq!(index.query(&hashes[7], d), naive_query(&hashes, &hashes[7], d), "d {d}");
        }
    }
}

#[test]
fn empty_index() {
    let index = PdqIndex::new(Vec::new()).unwrap();
    assert!(index.is_empty());
    assert_eq!(index.len(), 0);
    assert_eq!(index.get(0), None);
    let q = [PdqHash::default(); 8];
    for d in [0, 31, 32, 256, u32::MAX] {
        assert!(index.query_dihedral(&q, d).is_empty());
        assert!(index.query(&q[0], d).is_empty());
    }
    assert!(pdq_linear_scan(&[], &q, 256).is_empty());
    assert_eq!(index.memory_bytes(), 0);
    let from_bytes = PdqIndex::from_be_bytes(&[]).unwrap();
    assert!(from_bytes.is_empty());
}

#[test]
fn duplicates_and_all_zero_hashes() {
    let zero = PdqHash::default();
    let mut rng = Rng(5);
    let other = rng.hash();
    let hashes = vec![zero, other, zero, zero, other, flip(&mut rng, &zero, 3)];
    for index in indexed(&hashes) {
        let got = index.query(&zero, 0);
        assert_eq!(got.iter().map(|n| n.entry).collect::<Vec<_>>(), vec![0, 2, 3]);
        let got = index.query(&zero, 3);
        assert_eq!(got.iter().map(|n| (n.entry, n.distance)).collect::<Vec<_>>(), vec![(0, 0), (2, 0), (3, 0), (5, 3)]);
        // All variants equal: ties go to the first variant, Original.
        let q = [zero; 8];
        let got = index.query_dihedral(&q, 31);
        assert_eq!(got.len(), 4);
        assert!(got.iter().all(|m| m.variant == Dihedral::Original));
        assert_eq!(got, naive_dihedral(&hashes, &q, 31));
        // A later variant strictly closer wins; equal later ones do not.
        let mut q = [other; 8];
        q[5] = zero;
        q[6] = zero;
        let got = index.query_dihedral(&q, 31);
        assert_eq!(got, naive_dihedral(&hashes, &q, 31));
        let m0 = got.iter().find(|m| m.entry == 0).unwrap();
        assert_eq!((m0.distance, m0.variant), (0, Dihedral::FlipY));
        let m1 = got.iter().find(|m| m.entry == 1).unwrap();
        assert_eq!((m1.distance, m1.variant), (0, Dihedral::Original));
    }
}

#[test]
fn distance_256_and_more_returns_everything() {
    let mut rng = Rng(9);
    let hashes = list(&mut rng, 2000, false);
    let q = variants(&mut rng);
    for index in indexed(&hashes) {
        for d in [256, 300, u32::MAX] {
            let got = index.query_dihedral(&q, d);
            assert_eq!(got.len(), hashes.len());
            assert_eq!(got, naive_dihedral(&hashes, &q, d));
            assert_eq!(index.query(&q[0], d).len(), hashes.len());
        }
        // The complement of a hash is at 256.
        let w = hashes[0].words();
        let complement = PdqHash::from_words([!w[0], !w[1], !w[2], !w[3]]);
        let got = index.query(&complement, 256);
        assert!(got.iter().any(|n| n.entry == 0 && n.distance == 256));
        assert!(!index.query(&complement, 255).iter().any(|n| n.entry == 0));
    }
}

#[test]
fn from_be_bytes_round_trips_and_refuses_ragged_input() {
    let mut rng = Rng(11);
    let hashes = list(&mut rng, 50, false);
    let bytes: Vec<u8> = hashes.iter().flat_map(|h| h.to_bytes()).collect();
    let index = PdqIndex::from_be_bytes(&bytes).unwrap();
    assert_eq!(index.len(), 50);
    for (i, h) in hashes.iter().enumerate() {
        assert_eq!(index.get(i), Some(*h));
    }
    assert_eq!(index.get(50), None);
    assert!(matches!(PdqIndex::from_be_bytes(&bytes[..33]), Err(Error::ListMalformed(_))));
    assert!(matches!(PdqIndex::from_be_bytes(&[0u8; 31]), Err(Error::ListMalformed(_))));
    // Memory is counted: the hashes apart, and a partner per table entry
    // (50 entries are scanned, so no tables).
    assert_eq!(index.hash_bytes(), 50 * 32);
    assert_eq!(index.memory_bytes(), 0);
    assert!(indexed(&hashes).iter().all(|index| index.memory_bytes() >= 16 * 50 * 2));
}

#[test]
fn an_index_over_shared_bytes_reads_them_in_place_or_lets_them_go() {
    use prescan::index::HashStore;
    use std::sync::Arc;

    let mut rng = Rng(12);
    let hashes = list(&mut rng, 300, true);
    // The hashes in the middle of a larger buffer, as in a loaded list.
    let mut buffer = vec![0xa5u8; 7];
    buffer.extend(hashes.iter().flat_map(|h| h.to_bytes()));
    buffer.extend([0x5a; 64]);
    let shared = Arc::new(buffer);
    let store = HashStore::shared(Arc::clone(&shared), 7..7 + 300 * 32).unwrap();
    // 300 entries are scanned, in place.
    let scanned = PdqIndex::over(store.clone()).unwrap();
    assert!(scanned.holds_hashes() && !scanned.has_tables());
    assert_eq!(Arc::strong_count(&shared), 3, "no copy: the index holds the same buffer");
    // Tables hold the hashes in another form and let the buffer go.
    let tables = PdqIndex::with_tables(store).unwrap();
    drop(scanned);
    assert_eq!(Arc::strong_count(&shared), 1, "the tables keep no reference to the buffer");
    assert!(!tables.holds_hashes());
    assert_eq!(tables.hash_bytes(), 0);
    assert_eq!(tables.len(), 300);
    for _ in 0..50 {
        let q = variants(&mut rng);
        assert_eq!(tables.query_dihedral(&q, 31), naive_dihedral(&hashes, &q, 31));
    }
    // Every hash can be put back together from the tables.
    for (i, h) in hashes.iter().enumerate() {
        assert_eq!(tables.get(i), Some(*h));
        let near = tables.query_dihedral(&[*h; 8], 0);
        assert!(near.iter().any(|m| m.entry == i as u32 && m.distance == 0));
    }
    assert_eq!(tables.get(300), None);
    // Ranges outside the buffer or ragged are refused, not read.
    assert!(matches!(HashStore::shared(Arc::clone(&shared), 7..7 + 301 * 32 + 64), Err(Error::ListMalformed(_))));
    assert!(matches!(HashStore::shared(Arc::clone(&shared), 7..40), Err(Error::ListMalformed(_))));
    assert!(matches!(HashStore::shared(shared, 9660..9692), Err(Error::ListMalformed(_))));
}

#[test]
fn an_index_keeping_its_hashes_answers_as_one_without() {
    use prescan::index::{HashStore, MAX_INDEXED_DISTANCE, SCAN_BELOW};
    use std::sync::Arc;

    let mut rng = Rng(14);
    let mut hashes = list(&mut rng, SCAN_BELOW, true);
    let queries: Vec<[PdqHash; 8]> = (0..6).map(|_| variants(&mut rng)).collect();
    plant(&mut rng, &mut hashes, &queries, 60);
    let shared = Arc::new(hashes.iter().flat_map(|h| h.to_bytes()).collect::<Vec<u8>>());
    let store = HashStore::shared(Arc::clone(&shared), 0..shared.len()).unwrap();
    let kept = PdqIndex::over_keeping_hashes(store.clone()).unwrap();
    let dropped = PdqIndex::over(store).unwrap();
    assert!(kept.has_tables() && kept.holds_hashes() && dropped.has_tables() && !dropped.holds_hashes());
    assert_eq!(kept.hash_bytes(), shared.len());
    // Its even tables keep entry numbers in place of links, entry numbers
    // of table 0 and samples of the bucket directory.
    assert!(kept.memory_bytes() < dropped.memory_bytes());
    for q in &queries {
        // Through the tables, and past them (every hash read or put back
        // together).
        for d in [31, MAX_INDEXED_DISTANCE, MAX_INDEXED_DISTANCE + 1, 70] {
            let want = naive_dihedral(&hashes, q, d);
            assert_eq!(kept.query_dihedral(q, d), want, "d {d}");
            assert_eq!(dropped.query_dihedral(q, d), want, "d {d}");
        }
        let nearest = kept.nearest_dihedral(q).unwrap();
        assert_eq!(dropped.nearest_dihedral(q), Some(nearest));
        let all = naive_dihedral(&hashes, q, 256);
        assert_eq!((nearest.distance, nearest.entry), (all[0].distance, all[0].entry));
    }
    assert!(Arc::strong_count(&shared) > 1);
    drop(kept);
    assert_eq!(Arc::strong_count(&shared), 1, "only the index that keeps them holds the hashes");
}

/// From `SLOTS_FROM` entries on, an index that keeps its hashes keeps its
/// buckets in slots, a line a bucket at least: more memory than its rows,
/// the same answers.
#[test]
fn a_long_list_keeping_its_hashes_is_slotted() {
    use prescan::index::SLOTS_FROM;
    for (seed, d) in [(61, 31), (62, 20)] {
        let (queries, hashes) = planted_case(seed, SLOTS_FROM, d, false);
        let store = HashStore::owned(hashes.iter().flat_map(|h| h.to_bytes()).collect()).unwrap();
        let slotted = PdqIndex::over_keeping_hashes(store.clone()).unwrap();
        let rows = PdqIndex::with_tables_holding(store).unwrap();
        assert!(slotted.holds_hashes() && slotted.has_tables());
        // 16 tables of 65,536 buckets, a line of 64 bytes each.
        assert!(slotted.memory_bytes() > 16 * 65_536 * 64, "{} bytes", slotted.memory_bytes());
        assert!(rows.memory_bytes() < slotted.memory_bytes());
        for q in &queries {
            let want = pdq_linear_scan(&hashes, q, d);
            assert!(!want.is_empty(), "the planted neighbours are found");
            assert_eq!(slotted.query_dihedral(q, d), want, "d {d}");
        }
    }
}

fn naive_exact(hash_len: usize, keys: &[u8], key: &[u8]) -> Vec<u32> {
    keys.chunks_exact(hash_len).enumerate().filter(|(_, k)| *k == key).map(|(i, _)| i as u32).collect()
}

#[test]
fn exact_set_matches_naive() {
    let mut rng = Rng(21);
    for hash_len in [1usize, 3, 16, 20, 32] {
        for n in [0usize, 1, 7, 500, 5000] {
            // A small alphabet in the first bytes makes duplicates likely.
            let keys: Vec<u8> = (0..n * hash_len)
                .map(|i| if i % hash_len < 2 { (rng.next() % 4) as u8 } else { (rng.next() % 2) as u8 })
                .collect();
            let set = ExactSet::from_entries(hash_len, &keys).unwrap();
            assert_eq!(set.len(), n);
            assert_eq!(set.is_empty(), n == 0);
            assert!(set.memory_bytes() >= n * (hash_len + 4));
            for _ in 0..200 {
                let key: Vec<u8> = if n > 0 && rng.below(2) == 0 {
                    let i = rng.below(n);
                    keys[i * hash_len..(i + 1) * hash_len].to_vec()
                } else {
                    (0..hash_len).map(|i| if i < 2 { (rng.next() % 4) as u8 } else { (rng.next() % 2) as u8 }).collect()
                };
                assert_eq!(set.get(&key), naive_exact(hash_len, &keys, &key), "len {hash_len} n {n}");
            }
            // Wrong lengths match nothing.
            assert!(set.get(&vec![0u8; hash_len + 1]).is_empty());
            assert!(set.get(&[]).is_empty());
        }
    }
}

#[test]
fn exact_set_duplicates_and_refusals() {
    let keys = [[1u8, 2], [3, 4], [1, 2], [0, 0], [1, 2]].concat();
    let set = ExactSet::from_entries(2, &keys).unwrap();
    assert_eq!(set.get(&[1, 2]), vec![0, 2, 4]);
    assert_eq!(set.get(&[0, 0]), vec![3]);
    assert_eq!(set.get(&[3, 4]), vec![1]);
    assert!(set.get(&[2, 2]).is_empty());
    assert!(matches!(ExactSet::from_entries(2, &keys[..3]), Err(Error::ListMalformed(_))));
    assert!(matches!(ExactSet::from_entries(0, &keys), Err(Error::ListMalformed(_))));
    assert!(matches!(ExactSet::from_entries(0, &[]), Err(Error::ListMalformed(_))));
    assert!(ExactSet::from_entries(16, &[]).unwrap().is_empty());
}

fn naive_hamming(hash_len: usize, keys: &[u8], key: &[u8], max_distance: u32) -> Vec<Neighbour> {
    let mut out: Vec<Neighbour> = keys
        .chunks_exact(hash_len)
        .enumerate()
        .map(|(i, k)| Neighbour {
            entry: i as u32,
            distance: k.iter().zip(key).map(|(a, b)| (a ^ b).count_ones()).sum(),
        })
        .filter(|n| n.distance <= max_distance)
        .collect();
    out.sort_by_key(|n| (n.distance, n.entry));
    out
}

#[test]
fn hamming_set_matches_naive() {
    let mut rng = Rng(31);
    for hash_len in [8usize, 32, 5, 12] {
        for n in [0usize, 1, 9, 3000] {
            let base: Vec<u8> = (0..hash_len).map(|_| rng.next() as u8).collect();
            // Near the base so that thresholds select a real subset.
            let keys: Vec<u8> = (0..n * hash_len)
                .map(|i| {
                    let b = base[i % hash_len];
                    if rng.below(4) == 0 { b ^ (1 << rng.below(8)) } else { b }
                })
                .collect();
            let set = HammingSet::from_entries(hash_len, &keys).unwrap();
            assert_eq!(set.len(), n);
            assert_eq!(set.is_empty(), n == 0);
            assert!(set.memory_bytes() >= n * hash_len);
            for _ in 0..20 {
                let key: Vec<u8> = if n > 0 && rng.below(2) == 0 {
                    let i = rng.below(n);
                    keys[i * hash_len..(i + 1) * hash_len].to_vec()
                } else {
                    base.iter().map(|b| if rng.below(3) == 0 { b ^ (1 << rng.below(8)) } else { *b }).collect()
                };
                for d in [0, 1, 3, 6, 10, 20, 64, 256, u32::MAX] {
                    assert_eq!(
                        set.query(&key, d),
                        naive_hamming(hash_len, &keys, &key, d),
                        "len {hash_len} n {n} d {d}"
                    );
                }
            }
            assert!(set.query(&vec![0u8; hash_len + 1], 1000).is_empty());
        }
    }
    assert!(matches!(HammingSet::from_entries(8, &[0u8; 9]), Err(Error::ListMalformed(_))));
    assert!(matches!(HammingSet::from_entries(0, &[]), Err(Error::ListMalformed(_))));
}

#[test]
fn short_lists_are_scanned_with_the_same_answers() {
    use prescan::index::SCAN_BELOW;
    let mut rng = Rng(13);
    let mut hashes = list(&mut rng, 3000, true);
    let queries: Vec<[PdqHash; 8]> = (0..20).map(|_| variants(&mut rng)).collect();
    plant(&mut rng, &mut hashes, &queries, 31);
    let scanned = PdqIndex::new(hashes.clone()).unwrap();
    assert!(!scanned.has_tables(), "{} entries < {SCAN_BELOW}: no tables", hashes.len());
    assert_eq!(scanned.memory_bytes(), 0);
    for tables in indexed(&hashes) {
        for q in &queries {
            for d in [0, 10, 31, 47, 80] {
                assert_eq!(scanned.query_dihedral(q, d), tables.query_dihedral(q, d));
                assert_eq!(scanned.query(&q[0], d), tables.query(&q[0], d));
            }
            assert_eq!(scanned.nearest_dihedral(q), tables.nearest_dihedral(q));
        }
    }
    // At the threshold, tables.
    let long: Vec<PdqHash> = (0..SCAN_BELOW).map(|_| rng.hash()).collect();
    assert!(PdqIndex::new(long).unwrap().has_tables());
}

#[test]
fn a_list_crowded_into_a_few_buckets_gives_the_same_answers() {
    use prescan::index::SCAN_BELOW;
    // Every entry within 3 bits of one hash: every bucket a query reads
    // holds most of the list, and so does every answer.
    let mut rng = Rng(15);
    let base = rng.hash();
    let hashes: Vec<PdqHash> = (0..SCAN_BELOW + 100).map(|i| flip(&mut rng, &base, (i % 4) as u32)).collect();
    let index = PdqIndex::new(hashes.clone()).unwrap();
    assert!(index.has_tables());
    assert!(index.largest_bucket() > 4096);
    assert!(index.holds_hashes(), "a crowded list keeps its hashes, so the scans its queries end in are quick");
    // The same list without them: its scans put the hashes back together.
    let bytes: Vec<u8> = hashes.iter().flat_map(PdqHash::to_bytes).collect();
    let bare = PdqIndex::with_tables(prescan::index::HashStore::owned(bytes.clone()).unwrap()).unwrap();
    assert!(!bare.holds_hashes());
    // In slots: its buckets spill past their lines, most of them into the
    // spill area.
    let slotted = PdqIndex::with_tables_in_slots(prescan::index::HashStore::owned(bytes).unwrap()).unwrap();
    let near = [flip(&mut rng, &base, 20); 8];
    let far = variants(&mut rng);
    for q in [near, far] {
        for d in [0, 23, 31, 47] {
            assert_eq!(index.query_dihedral(&q, d), naive_dihedral(&hashes, &q, d), "d {d}");
            assert_eq!(bare.query_dihedral(&q, d), naive_dihedral(&hashes, &q, d), "d {d}, without hashes");
            assert_eq!(slotted.query_dihedral(&q, d), naive_dihedral(&hashes, &q, d), "d {d}, in slots");
        }
    }
    assert_eq!(index.query_dihedral(&near, 31).len(), hashes.len());
}

/// A query with thousands of candidates, more than one batch of walks
/// (600 entries within 3 bits of the query: each is a candidate in most of
/// the 16 tables, 5,000 to 10,000 in all, under the 15,000 past which the
/// query gives up for a scan): the same answers as a scan.
#[test]
fn a_query_with_thousands_of_candidates() {
    let mut rng = Rng(41);
    let q = variants(&mut rng);
    let mut hashes = list(&mut rng, 60_000, false);
    for _ in 0..600 {
        let bits = rng_bits(&mut rng, 3);
        hashes.push(flip(&mut rng, &q[0], bits));
    }
    for index in indexed(&hashes) {
        for d in [3, 16, 31] {
            let got = index.query_dihedral(&q, d);
            assert_eq!(got, naive_dihedral(&hashes, &q, d), "distance {d}");
            assert!(got.len() >= 600);
        }
    }
}
