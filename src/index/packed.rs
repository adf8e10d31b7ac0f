//! Unsigned integers of a few bits each, packed back to back: what the
//! tables of a [`super::PdqIndex`] are made of.

use crate::pages::advise_huge_pages;
use crate::prefetch::prefetch;

/// Bits per stored position or entry for a list of `n` entries: the fewest
/// that hold `n - 1`, at least 1 (20 for a million).
pub(super) fn bits_for(n: usize) -> u32 {
    (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1)
}

/// Unsigned integers of `bits` bits each (1 to 32), packed back to back,
/// least significant bit first: the positions and entries of a
/// [`PdqIndex`](super::PdqIndex), 20 bits each at a million entries where a `u32` would
/// take 32.
#[derive(Debug, Clone, Default)]
pub(super) struct Packed {
    /// The bits, and 8 bytes of padding so that every read is one `u64`.
    bytes: Vec<u8>,
    bits: u32,
}

impl Packed {
    /// `len` zeros of `bits` bits (1 to 32).
    pub(super) fn zeros(len: usize, bits: u32) -> Self {
        let mut bytes = vec![0; (len * bits as usize).div_ceil(8) + 8];
        advise_huge_pages(&mut bytes);
        Packed { bytes, bits }
    }

    /// The mask of one value.
    #[inline]
    pub(super) fn mask(&self) -> u64 {
        (1u64 << self.bits) - 1
    }

    /// Value `i`; `None` past the end of the bytes.
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<usize> {
        let bit = i * self.bits as usize;
        let bytes: [u8; 8] = self.bytes.get(bit / 8..bit / 8 + 8)?.try_into().ok()?;
        Some(((u64::from_le_bytes(bytes) >> (bit % 8)) & self.mask()) as usize)
    }

    /// Asks for the cache line of value `i` (see `crate::prefetch`).
    #[inline]
    pub(super) fn prefetch(&self, i: usize) {
        prefetch(&self.bytes, i * self.bits as usize / 8);
    }

    /// Sets value `i` to the low `bits` bits of `value`.
    pub(super) fn set(&mut self, i: usize, value: usize) {
        let bit = i * self.bits as usize;
        let mask = self.mask() << (bit % 8);
        if let Some(bytes) = self.bytes.get_mut(bit / 8..bit / 8 + 8)
            && let Ok(word) = <[u8; 8]>::try_from(&*bytes)
        {
            let word = (u64::from_le_bytes(word) & !mask) | ((value as u64) << (bit % 8) & mask);
            bytes.copy_from_slice(&word.to_le_bytes());
        }
    }

    /// Heap bytes held.
    pub(super) fn memory_bytes(&self) -> usize {
        self.bytes.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every width keeps every value, whatever its neighbours hold.
    #[test]
    fn packed_values_round_trip() {
        for bits in 1..=32u32 {
            let n = 1000;
            let mut packed = Packed::zeros(n, bits);
            let mask = (1u64 << bits) - 1;
            let value = |i: usize| ((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 17 & mask) as usize;
            for i in 0..n {
                packed.set(i, usize::MAX);
            }
            for i in (0..n).rev() {
                packed.set(i, value(i));
            }
            for i in 0..n {
                assert_eq!(packed.get(i), Some(value(i)), "bits {bits} i {i}");
            }
            assert_eq!(bits_for(1 << bits), bits);
            assert_eq!(bits_for((1 << bits) + 1), bits + 1);
        }
        assert_eq!(bits_for(0), 1);
        assert_eq!(bits_for(1_000_000), 20);
    }
}
