//! Digests: exact lookup by binary search ([`ExactSet`]).

use super::check_keys;
use crate::error::Result;

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
    /// [`Error::ListMalformed`](crate::Error::ListMalformed) when `hash_len` is 0 or `keys` is not a whole
    /// number of keys; [`Error::ListTooLarge`](crate::Error::ListTooLarge) for more than `u32::MAX`.
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
