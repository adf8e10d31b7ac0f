//! Bit counts over hash bytes, shared by the list importer (which refuses
//! entries that are a flat image's hash) and the check (which does not
//! match a flat image's perceptual hashes), so that neither reaches into
//! the other's module for it.

/// How many bits `hash` is from the nearest constant hash (all zeros or
/// all ones): its Hamming distance to whichever of the two is closer.
///
/// A flat image hashes to a constant under every perceptual hash (pHash and
/// aHash of a flat image are all ones, dHash all zeros), so a hash within
/// a match threshold of a constant is what a featureless image gives: it
/// carries no information about a picture. The importer refuses such list
/// entries and the checker does not match such computed hashes.
pub fn bits_from_constant(hash: &[u8]) -> u32 {
    let ones: u32 = hash.iter().map(|b| b.count_ones()).sum();
    let bits = u32::try_from(hash.len() * 8).unwrap_or(u32::MAX);
    ones.min(bits.saturating_sub(ones))
}
