//! # prescan
//!
//! A pre-upload image check: hash an image the way child-safety hash lists
//! are built, then (in later modules) match the hashes against a signed list.
//!
//! The data flows one way:
//!
//! ```text
//! file bytes ─▶ decode (limits) ─▶ pixels ─▶ hash ─▶ hashes
//! ```
//!
//! * [`decode`] turns untrusted bytes into RGB pixels under [`decode::Limits`].
//! * [`hash::pdq`] is Meta's PDQ, bit-exact with the reference C++ core.
//! * [`hash::perceptual`] pins named configurations of the `image_hasher` crate.
//! * [`hash::digest`] computes MD5, SHA-1 and SHA-256 of the file bytes.
//! * [`hash::hash_file`] runs the whole pipeline on one file.
//!
//! ```
//! use prescan::{PixelLayout, Pixels, hash::pdq};
//!
//! // A 64×48 horizontal gradient, RGB.
//! let (w, h) = (64u32, 48u32);
//! let rgb: Vec<u8> = (0..w * h).flat_map(|i| {
//!     let v = (i % w * 4) as u8;
//!     [v, v, v]
//! }).collect();
//! let result = pdq::hash(Pixels::new(&rgb, w, h, PixelLayout::Rgb)?);
//! assert_eq!(result.hash.to_hex().len(), 64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! No function in this crate panics on any input; every failure is an
//! [`Error`].

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
pub mod time;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Cause, ERROR_CODES, Error, Limit, ListLimit, Result};
pub use pixels::{PixelLayout, Pixels};
