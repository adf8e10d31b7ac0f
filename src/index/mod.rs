//! The matching structures a checker queries: given the hashes of a list, in
//! list order, find the entries that match a query hash.
//!
//! * [`PdqIndex`] finds the PDQ hashes within a Hamming distance of a query,
//!   or of any of its eight rotations and mirrors, by multi-index hashing;
//!   [`pdq_linear_scan`] is its naive twin, with the same results.
//! * [`ExactSet`] finds the entries whose digest (MD5, SHA-1, SHA-256) is
//!   exactly a query's.
//! * [`HammingSet`] finds the entries whose perceptual hash (`phash`,
//!   `dhash`, `ahash`, `blockhash`) is within a Hamming distance of a
//!   query's.
//! * [`VpdqIndex`] finds the listed videos (vPDQ) enough of whose frames
//!   are near enough of a checked video's.
//!
//! Results name entries by their index in list order (a `u32`). Building an
//! index refuses a list of more than `u32::MAX` entries
//! ([`Error::ListTooLarge`]) and a byte string that is not a whole number of
//! keys ([`Error::ListMalformed`]); a query never fails and never panics. A
//! query key of the wrong length matches nothing. No structure here uses
//! threads or clocks, so all of them work the same in WebAssembly.

//!
//! The modules, one structure each: `pdq` (the multi-index and its linear
//! twin), `store` (the PDQ hashes it reads, shared with the list), `packed`
//! (the packed integers its tables are made of), `exact`, `hamming` and
//! `vpdq`.

use crate::error::{Error, ListLimit, Result};
use crate::hash::pdq::Dihedral;

mod exact;
mod hamming;
mod packed;
mod pdq;
mod slots;
mod store;
mod vpdq;

pub use exact::ExactSet;
pub use hamming::HammingSet;
pub use pdq::{CROWDED_BUCKET, MAX_INDEXED_DISTANCE, PdqIndex, SCAN_BELOW, SLOTS_FROM, pdq_linear_scan};
pub use store::HashStore;
pub use vpdq::{VideoMatch, VpdqIndex};

/// One PDQ entry near a query: its index in list order and its distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PdqNeighbour {
    /// Index of the entry in list order.
    pub entry: u32,
    /// Hamming distance from the query, 0 to 256.
    pub distance: u32,
}

/// One PDQ entry near some rotation or mirror of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PdqMatch {
    /// Index of the entry in list order.
    pub entry: u32,
    /// The smallest Hamming distance from the entry to any variant.
    pub distance: u32,
    /// The variant at that distance (the first in [`Dihedral::ALL`] order
    /// when several are).
    pub variant: Dihedral,
}

/// One entry near a query in a [`HammingSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Neighbour {
    /// Index of the entry in list order.
    pub entry: u32,
    /// Hamming distance from the query, in bits.
    pub distance: u32,
}

/// The refusal for a list of more entries than a `u32` can name.
fn too_many(count: usize) -> Error {
    Error::ListTooLarge { limit: ListLimit::Entries, requested: count as u64, max: u64::from(u32::MAX) }
}

/// Splits `bytes` into keys of `hash_len` bytes, refusing a length of 0, a
/// ragged tail and more than `u32::MAX` keys.
fn check_keys(what: &str, hash_len: usize, bytes: &[u8]) -> Result<usize> {
    if hash_len == 0 {
        return Err(Error::ListMalformed(format!("{what}: hash length 0")));
    }
    if !bytes.len().is_multiple_of(hash_len) {
        return Err(Error::ListMalformed(format!(
            "{what}: {} bytes is not a whole number of {hash_len}-byte hashes",
            bytes.len()
        )));
    }
    let count = bytes.len() / hash_len;
    if u32::try_from(count).is_err() {
        return Err(too_many(count));
    }
    Ok(count)
}
