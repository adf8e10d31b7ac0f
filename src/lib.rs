//! # prescan
//!
//! A pre-upload check: hash a file the way child-safety hash lists are
//! built, and match the hashes against a list an authorised body signed,
//! before the file is uploaded. The same library runs natively (the
//! `prescan` command line and its HTTP matcher) and in WebAssembly (the
//! browser package in `www/`).
//!
//! The data flows one way:
//!
//! ```text
//! file bytes ─▶ decode (limits) ─▶ pixels ─▶ hash ─▶ hashes ─┐
//!                                                            ├─▶ check ─▶ Verdict
//! signed list bytes ─▶ list (verify, limits) ─▶ index ───────┘
//! ```
//!
//! The main path: an issuer signs a list, a platform loads it under the
//! issuer's key and checks each upload's bytes, and the verdict says what
//! matched.
//!
//! ```
//! use prescan::check::{CheckOptions, Checker};
//! use prescan::list::format::{ListBuilder, ListLimits, LoadOptions, SignedList};
//! use prescan::list::keys::SecretKey;
//! use prescan::list::{Entry, SignalType, Thresholds};
//! # /// A 64×64 24-bit BMP of a pattern with detail enough for PDQ.
//! # fn bmp() -> Vec<u8> {
//! #     let (w, h) = (64u32, 64u32);
//! #     let mut out = b"BM".to_vec();
//! #     for v in [54 + w * h * 3, 0, 54, 40, w, h] { out.extend(v.to_le_bytes()); }
//! #     out.extend([1, 0, 24, 0]);
//! #     for v in [0, w * h * 3, 2835, 2835, 0, 0] { out.extend(v.to_le_bytes()); }
//! #     for y in 0..h { for x in 0..w { let v = ((x * 7 + y * 13) ^ (x * y)) as u8; out.extend([v, v / 2, 255 - v]); } }
//! #     out
//! # }
//! let upload: Vec<u8> = bmp(); // a file's bytes, as picked for upload
//!
//! // The issuer: a list of the PDQ hash of a known picture, signed.
//! let issuer = SecretKey::from_seed([7; 32]);
//! let known = prescan::hash::hash_file(&upload, &Default::default())?.image.pdq.hash;
//! let entry = Entry { signal: SignalType::Pdq, hash: known.to_bytes().to_vec(), label: Some("case-1".into()) };
//! let builder =
//!     ListBuilder { id: "demo".into(), sequence: 1, created: 0, expires: None, thresholds: Thresholds::default() };
//! let signed: Vec<u8> = builder.build(&[entry], &issuer)?;
//!
//! // The platform: the list, accepted only under the key it trusts.
//! let trusted = LoadOptions {
//!     trusted_keys: vec![issuer.public()],
//!     now: 1_800_000_000,
//!     min_sequence: 0,
//!     limits: ListLimits::default(),
//! };
//! let checker = Checker::new(SignedList::load(signed, &trusted)?, CheckOptions::default())?;
//!
//! // Each upload: digests, decode under limits, PDQ with its rotations and
//! // mirrors, the look-ups; the verdict is the schema every face prints.
//! let verdict = checker.check_bytes(&upload);
//! assert!(verdict.matched);
//! let hit = &verdict.matches[0];
//! assert_eq!((hit.signal, hit.distance, hit.label.as_deref()), (SignalType::Pdq, 0, Some("case-1")));
//! let json = serde_json::to_value(&verdict)?;
//! assert_eq!(json["matches"][0]["label"], "case-1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The modules, in the order the data flows:
//!
//! * [`decode`] turns untrusted bytes into RGB pixels under
//!   [`decode::Limits`], checked before anything of that size is
//!   allocated.
//! * [`hash`]: [`hash::pdq`] is Meta's PDQ, bit-exact with the reference;
//!   [`hash::vpdq`] its video form; [`hash::perceptual`] the named
//!   `image_hasher` configurations; [`hash::digest`] MD5, SHA-1 and
//!   SHA-256 of the bytes. [`hash::hash_file`] runs the pipeline on one
//!   file.
//! * [`list`]: the signal types and entries; [`list::import`] reads the
//!   text formats lists are shipped in, a window at a time;
//!   [`list::format`] is the signed binary list (built, verified, refused
//!   when tampered, foreign, expired or rolled back); [`list::keys`] the
//!   Ed25519 keys.
//! * [`index`]: the structures a check queries (PDQ multi-index hashing,
//!   exact and Hamming sets, the vPDQ index).
//! * [`check`]: [`check::Checker`], the one place that runs the whole
//!   pipeline, to a [`check::Verdict`].
//! * [`schema`]: the verdict's JSON, the one serialiser every face uses,
//!   and the remote matcher's request.
//! * [`time`]: Unix seconds as dates, for messages.
//!
//! No function in this crate panics on any input; every failure is an
//! [`Error`], whose [`Error::code`] is one of [`ERROR_CODES`], the table
//! every face shares.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod bits;
pub mod check;
pub mod decode;
mod error;
pub mod hash;
pub(crate) mod hex;
pub mod index;
pub mod list;
mod pages;
mod pixels;
mod prefetch;
pub mod schema;
mod sort;
/// The tests' allocator that notes the largest allocation, so that "refused
/// before allocating" is proven, not timed.
#[cfg(test)]
#[path = "../tests/common/alloc.rs"]
mod test_alloc;
/// The tests' one seeded random number generator, shared with the
/// integration tests.
#[cfg(test)]
#[path = "../tests/common/rng.rs"]
mod test_rng;
pub mod time;
#[cfg(test)]
#[global_allocator]
static TEST_ALLOCATOR: test_alloc::Counting = test_alloc::Counting;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Cause, ERROR_CODES, Error, Limit, ListLimit, Result};
pub use pixels::{PixelLayout, Pixels};
