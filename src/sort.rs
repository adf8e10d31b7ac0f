//! Sorting of the library's own slices: std's sorts natively; in the Wasm
//! module, a heapsort.
//!
//! Why: std's unstable sort is 5 to 18 KB of Wasm code for each type it
//! sorts; the module sorted a dozen (89 KB of its code, about 20 KB
//! gzipped, against a size budget). What the module sorts at check time
//! is small (a verdict's matches, a video's frames near the query's), so a
//! heapsort, a few hundred bytes each type and O(n log n) without extra
//! memory, costs nothing a visitor would notice. So are the sorts of a
//! list's duplicate count that only hashes sharing a prefix reach (none in
//! a list of random hashes; `list::repeats`). The sorts of a list's
//! indexing, and of every prefix, stay std's everywhere: they run on every
//! entry of a list.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, not keeping the order of equal elements.
#[cfg(not(target_arch = "wasm32"))]
pub fn unstable_by<T, F: FnMut(&T, &T) -> Ordering>(v: &mut [T], cmp: F) {
    v.sort_unstable_by(cmp);
}

/// Sorts `v` by `cmp`, not keeping the order of equal elements.
#[cfg(target_arch = "wasm32")]
pub fn unstable_by<T, F: FnMut(&T, &T) -> Ordering>(v: &mut [T], mut cmp: F) {
    heapsort(v, &mut |a: &T, b: &T| cmp(a, b) == Ordering::Less);
}

/// Sorts `v` by the key `f` gives, not keeping the order of equal elements.
pub fn unstable_by_key<T, K: Ord, F: FnMut(&T) -> K>(v: &mut [T], mut f: F) {
    unstable_by(v, |a, b| f(a).cmp(&f(b)));
}

/// Sorts `v`, not keeping the order of equal elements.
pub fn unstable<T: Ord>(v: &mut [T]) {
    unstable_by(v, T::cmp);
}

/// Heapsort: a max-heap built in place, then its root swapped to the end
/// until the heap is empty.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn heapsort<T>(v: &mut [T], is_less: &mut impl FnMut(&T, &T) -> bool) {
    // Moves v[node] down the heap v[..end] until neither child is greater.
    let mut sift_down = |v: &mut [T], mut node: usize, end: usize| loop {
        let mut child = 2 * node + 1;
        let (Some(mut c), Some(n)) = (v.get(child), v.get(node)) else { return };
        if child >= end {
            return;
        }
        if child + 1 < end
            && let Some(right) = v.get(child + 1)
            && is_less(c, right)
        {
            child += 1;
            c = right;
        }
        if !is_less(n, c) {
            return;
        }
        v.swap(node, child);
        node = child;
    };
    let len = v.len();
    for node in (0..len / 2).rev() {
        sift_down(v, node, len);
    }
    for end in (1..len).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heapsort_sorts_what_std_sorts() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for len in [0, 1, 2, 3, 7, 64, 1000] {
            let mut v: Vec<u16> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed % 50) as u16
                })
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            heapsort(&mut v, &mut |a: &u16, b: &u16| a < b);
            assert_eq!(v, want, "length {len}");
        }
    }
}
