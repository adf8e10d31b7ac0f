//! A hint to the kernel: back a large array with huge pages (2 MiB on
//! x86-64) where it can. With [`prefetch`](crate::prefetch), one of the
//! library's two `unsafe` blocks (the command line has one more).
//!
//! # Why
//! A PDQ query reads a few thousand lines at random places in tens of
//! megabytes of tables ([`crate::index::PdqIndex`]). With 4 KiB pages
//! nearly every one of those reads also misses the processor's TLB and
//! waits for a page walk, which prefetches do not hide as well as they
//! hide the read itself. Linux gives an allocation huge pages when asked
//! (`transparent_hugepage` set to `madvise`, the usual default, or
//! `always`); asked before the pages are first written, the kernel backs
//! them with huge pages as they are faulted in. The measured gain is in
//! `docs/server.md`.
//!
//! # Safety
//! `madvise(MADV_HUGEPAGE)` changes how the kernel backs a range, never
//! what it holds: it cannot make a program read other values. It is given
//! only whole 2 MiB-aligned pages inside a live slice, so it touches no
//! memory outside the slice. Its error (a kernel without transparent huge
//! pages, say) is ignored: the array then keeps small pages, as without
//! the hint.
//!
//! Elsewhere (the Wasm module, other systems) [`advise_huge_pages`] does
//! nothing.

/// Huge page size asked for: x86-64's and most AArch64 kernels' 2 MiB.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 * 1024 * 1024;

/// Asks the kernel to back the whole huge pages inside `slice` with huge
/// pages. Best called on a fresh allocation before it is filled (a
/// `vec![0; n]` of this size is not yet touched); nothing when `slice`
/// holds no whole huge page, or off Linux.
#[allow(unsafe_code)]
pub(crate) fn advise_huge_pages<T>(slice: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        let start = slice.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(slice);
        let first = start.next_multiple_of(HUGE_PAGE);
        let last = end / HUGE_PAGE * HUGE_PAGE;
        if last > first {
            // SAFETY: see the module docs: `first..last` lies inside the
            // live, exclusively borrowed `slice`, whole pages of it, and
            // the advice changes how it is backed, not what it holds.
            unsafe {
                libc::madvise(first as *mut libc::c_void, last - first, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = slice;
}
