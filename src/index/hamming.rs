//! Perceptual hashes: Hamming distance by scan ([`HammingSet`]).

use super::{Neighbour, check_keys};
use crate::error::Result;

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
    /// [`Error::ListMalformed`](crate::Error::ListMalformed) when `hash_len` is 0 or `keys` is not a whole
    /// number of keys; [`Error::ListTooLarge`](crate::Error::ListTooLarge) for more than `u32::MAX`.
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
        crate::sort::unstable_by_key(&mut out, |n| (n.distance, n.entry));
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
