//! A global allocator for tests that proves "refused before allocating":
//! it notes, per thread, the largest single allocation, so that a test can
//! bound what one call asked for without timing it. Each test crate that
//! uses it declares it (`#[global_allocator]`); the library's unit tests
//! through `#[path]` in `src/lib.rs`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    /// The largest allocation this thread made since it was last reset.
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, noting each allocation's size.
pub struct Counting;

fn note(size: usize) {
    // `try_with`: a thread being torn down has no slot left, and
    // allocating then is no measure anyway.
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

// The one unsafe block of the tests: a global allocator is an unsafe
// trait. Every call goes to `System` unchanged; only sizes are noted.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract for `alloc`, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// `f`'s result, and the largest single allocation it made on this thread
/// (its own thread: tests running beside it do not count).
#[allow(dead_code)] // each test crate uses some of it
pub fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    let out = f();
    (out, LARGEST.with(Cell::get))
}
