//! Image and file hashes.
//!
//! * [`pdq`]: Meta's PDQ perceptual hash.
//! * [`perceptual`]: the named `image_hasher` configurations.
//! * [`digest`]: cryptographic digests of the file bytes.

pub mod digest;
pub mod pdq;
pub mod perceptual;
