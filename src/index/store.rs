//! The PDQ hashes a [`super::PdqIndex`] reads: a loaded list's own bytes,
//! shared, or bytes of its own.

use std::ops::Range;
use std::sync::Arc;

use super::check_keys;
use crate::error::{Error, Result};

/// PDQ hashes as a list stores them: 32 bytes each, most significant byte
/// first, back to back. Either a range of a loaded list's own bytes, shared
/// (so that a checker holds the hashes once, not once in the list and again
/// in its index), or bytes of its own.
#[derive(Debug, Clone, Default)]
pub struct HashStore {
    bytes: Arc<Vec<u8>>,
    start: usize,
    count: usize,
}

impl HashStore {
    /// `range` of `bytes`.
    ///
    /// # Errors
    /// [`Error::ListMalformed`] when `range` is outside `bytes` or not a
    /// whole number of 32-byte hashes; [`Error::ListTooLarge`] for more
    /// than `u32::MAX` hashes.
    pub fn shared(bytes: Arc<Vec<u8>>, range: Range<usize>) -> Result<Self> {
        let slice = bytes
            .get(range.clone())
            .ok_or_else(|| Error::ListMalformed(format!("pdq: hashes at {range:?} outside {} bytes", bytes.len())))?;
        let count = check_keys("pdq", 32, slice)?;
        Ok(HashStore { start: range.start, count, bytes })
    }

    /// Hashes in bytes of their own.
    ///
    /// # Errors
    /// As [`HashStore::shared`].
    pub fn owned(bytes: Vec<u8>) -> Result<Self> {
        let len = bytes.len();
        HashStore::shared(Arc::new(bytes), 0..len)
    }

    /// Number of hashes.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The bytes of every hash.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(self.start..self.start + self.count * 32).unwrap_or(&[])
    }

    /// Hash `i` as [`PdqHash::words`](crate::hash::pdq::PdqHash::words) gives it.
    #[inline]
    pub(super) fn words(&self, i: usize) -> Option<[u64; 4]> {
        let at = self.start + i * 32;
        let bytes: &[u8; 32] = self.bytes.get(at..at + 32)?.try_into().ok()?;
        Some(words_of(bytes))
    }

    /// Every hash, in order, as words.
    pub(super) fn iter(&self) -> impl Iterator<Item = [u64; 4]> + '_ {
        self.as_bytes().as_chunks::<32>().0.iter().map(words_of)
    }

    /// Chunks `k` and `j` (`pdq::chunk`'s numbering) of every hash, in order,
    /// read as two-byte loads: building the tables reads only these.
    pub(super) fn chunk_pairs(&self, k: usize, j: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        // Chunk k is bits 16 (k % 4) up of word k / 4, the word stored
        // big-endian at byte 8 (3 - k / 4): its two bytes end 2 (k % 4)
        // bytes before the word's end.
        let at = |k: usize| (3 - k / 4 % 4) * 8 + 6 - 2 * (k % 4);
        let (ak, aj) = (at(k), at(j));
        self.as_bytes().as_chunks::<32>().0.iter().map(move |h| {
            let read = |a: usize| match h.get(a..a + 2) {
                Some(&[hi, lo]) => usize::from(hi) << 8 | usize::from(lo),
                _ => 0,
            };
            (read(ak), read(aj))
        })
    }
}

/// The words of a hash stored most significant byte first: those of
/// [`PdqHash::from_bytes`](crate::hash::pdq::PdqHash::from_bytes).
#[inline]
pub(super) fn words_of(bytes: &[u8; 32]) -> [u64; 4] {
    let (be, _) = bytes.as_chunks::<8>();
    let word = |i: usize| be.get(i).map_or(0, |b| u64::from_be_bytes(*b));
    [word(3), word(2), word(1), word(0)]
}
