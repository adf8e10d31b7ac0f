//! The one seeded random number generator of prescan's tests: PCG-XSH-RR
//! 64/32, small and the same values every run. Integration tests and
//! benches get it through `tests/common`, the library's unit tests through
//! `#[path]` in `src/lib.rs`, so that no test keeps a generator of its own.

/// PCG-XSH-RR 64/32 from a seed (the state).
pub struct Rng(pub u64);

#[allow(dead_code)] // each test crate uses some of it
impl Rng {
    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let x = self.0;
        let xorshifted = (((x >> 18) ^ x) >> 27) as u32;
        xorshifted.rotate_right((x >> 59) as u32)
    }

    /// The next 64 random bits: two draws.
    pub fn next(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u32() as u8).collect()
    }
}
