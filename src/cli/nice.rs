//! Lowering the calling thread's scheduling priority, for work that must
//! not slow the requests `prescan serve` is answering: a list reload. The
//! command line's one `unsafe` block is here.
//!
//! # Why
//! A reload verifies and indexes the new list, a fraction of a second of
//! one core for a million entries, while the old list goes on serving. On a
//! machine whose cores are all busy answering, that fraction is taken from
//! the requests: at 64 connections on 2 cores, the 99th percentile of a
//! 10-second run with a reload in it doubled (`scripts/bench-server`). A
//! thread at nice 10 runs when the answering threads leave it room, and
//! the reload takes longer instead.
//!
//! Rust's standard library sets no thread priority, so this is `libc`'s
//! `setpriority`.
#![allow(unsafe_code)]

/// The nice value a reload runs at: 10 of the 19 a thread may go down to,
/// so that it still finishes while requests keep the cores busy (at 19 it
/// may wait for minutes).
pub(crate) const RELOAD_NICE: i32 = 10;

/// Lowers the calling thread's priority to nice `nice`; false when Linux
/// refused. Elsewhere nothing is done (nice values are per process there)
/// and nothing is reported.
pub(crate) fn lower_this_thread(nice: i32) -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `setpriority` takes three integers and reads or writes
        // no memory of this program's. On Linux, `PRIO_PROCESS` with `who`
        // 0 names the calling thread (nice values are per thread), so the
        // threads that answer requests keep theirs.
        unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = nice;
        true
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The nice value of the calling thread, from `/proc/thread-self/stat`
    /// (field 19; the command name before it, in parentheses, may hold
    /// spaces).
    fn own_nice() -> Option<i32> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        let after_name = stat.rsplit_once(')')?.1;
        after_name.split_whitespace().nth(16)?.parse().ok()
    }

    #[test]
    fn lowers_the_calling_thread_only() {
        let before = own_nice();
        if before.is_some_and(|n| n >= RELOAD_NICE) {
            eprintln!("skipped: the tests already run at nice {before:?}, at or below the reload's priority");
            return;
        }
        let lowered = std::thread::spawn(|| (lower_this_thread(RELOAD_NICE), own_nice())).join().ok();
        assert_eq!(lowered, Some((true, Some(RELOAD_NICE))));
        assert_eq!(own_nice(), before, "the thread that spawned it keeps its priority");
    }
}
