//! Any bytes as PDQ hashes: the index with tables (links, packed entry
//! numbers, sampled directory) must answer exactly as a linear scan does,
//! give every hash back, and never panic. The first byte picks the
//! distance, the next 32 the query (its eight variants are bit flips of
//! it), the rest are the list's hashes.
#![no_main]
use prescan::hash::pdq::PdqHash;
use prescan::index::{HashStore, PdqIndex, pdq_linear_scan};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&d, rest)) = data.split_first() else { return };
    let Some((query, list)) = rest.split_first_chunk::<32>() else { return };
    let list = &list[..list.len() / 32 * 32];
    let hashes: Vec<PdqHash> =
        list.chunks_exact(32).map(|c| PdqHash::from_bytes(c.try_into().unwrap_or([0; 32]))).collect();
    let Ok(store) = HashStore::owned(list.to_vec()) else { return };
    let Ok(index) = PdqIndex::with_tables(store) else { return };
    let q = PdqHash::from_bytes(*query).words();
    let variants: [PdqHash; 8] = std::array::from_fn(|v| {
        let mut w = q;
        w[v % 4] ^= (v as u64).wrapping_mul(0x0101_0101_0101_0101);
        PdqHash::from_words(w)
    });
    let distance = u32::from(d) % 64;
    assert_eq!(index.query_dihedral(&variants, distance), pdq_linear_scan(&hashes, &variants, distance));
    assert_eq!(index.nearest_dihedral(&variants).map(|m| (m.distance, m.entry)), {
        let all = pdq_linear_scan(&hashes, &variants, 256);
        all.first().map(|m| (m.distance, m.entry))
    });
    for (i, h) in hashes.iter().enumerate() {
        assert_eq!(index.get(i), Some(*h));
    }
});
