//! A hint to the processor: bring the cache line of a slice element in,
//! without waiting for it. One of the library's two `unsafe` blocks (with
//! `crate::pages`).
//!
//! # Why
//! A PDQ query reads a few thousand cache lines at places no processor can
//! guess ([`crate::index::PdqIndex`]). Each read waits about 100 ns for
//! memory; what makes a query fast is having many of them in flight at
//! once. Plain loads whose value nothing waits on do overlap (what this
//! does where there is no prefetch instruction), but each stays in the
//! processor's reorder window until its line arrives, so only a few dozen
//! are in flight. A prefetch instruction leaves the window at once: with
//! each line asked for a few dozen reads before it is read, a dihedral
//! query takes about two thirds of the time (the figures: `benches/index.rs`).
//!
//! Rust has no stable safe prefetch: `_mm_prefetch` is a `#[target_feature]`
//! intrinsic, which safe code may call only from functions compiled with
//! that feature, so some caller has to be `unsafe`.
//!
//! # Safety
//! A prefetch never faults and has no effect a program can observe but
//! its speed: it may be given any address at all. Here it is only ever
//! given the address of an element of a live slice, found with `get`.
//! Its target feature, SSE, is part of x86-64's baseline: every x86-64
//! processor has it.
//!
//! Elsewhere (Wasm has no prefetch instruction; AArch64's is unstable in
//! Rust) [`prefetch`] reads the element instead, into [`std::hint::black_box`]
//! so that the read is not optimised away: a load nothing waits on, which
//! still overlaps with the others.
#![allow(unsafe_code)]

/// Asks for the cache line that holds `slice[i]`, into the first-level
/// cache; nothing when `i` is out of bounds.
#[inline(always)]
pub(crate) fn prefetch<T: Copy>(slice: &[T], i: usize) {
    prefetch_into(slice, i, Level::First);
}

/// The cache a prefetch brings a line into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// The first-level cache (`_MM_HINT_T0`): for a line read soon.
    First,
    /// The second-level cache (`_MM_HINT_T1`): for a line read later, so
    /// that it neither waits in nor crowds the first level's few slots for
    /// lines on their way (a PDQ query in slots asks for each bucket into
    /// the second level 64 buckets ahead and into the first 16 ahead: see
    /// `index::PdqIndex::probe_slots`).
    Second,
}

/// Asks for the cache line that holds `slice[i]`, into the cache `level`;
/// nothing when `i` is out of bounds.
#[inline(always)]
pub(crate) fn prefetch_into<T: Copy>(slice: &[T], i: usize, level: Level) {
    let Some(element) = slice.get(i) else { return };
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _MM_HINT_T1, _mm_prefetch};
        let address: *const i8 = (element as *const T).cast();
        // SAFETY: a prefetch cannot fault or change memory (see the module
        // docs); `address` is that of a live element, and SSE is in
        // x86-64's baseline, so the instruction exists.
        unsafe {
            match level {
                Level::First => _mm_prefetch::<_MM_HINT_T0>(address),
                Level::Second => _mm_prefetch::<_MM_HINT_T1>(address),
            }
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = level;
        std::hint::black_box(*element);
    }
}
