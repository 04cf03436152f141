//! A tiny seeded random number generator (xorshift64*), so that a stress
//! run is the same run every time: enough for picking delays, names and
//! moves, no dependency.

/// xorshift64*: a seeded stream of pseudo-random numbers.
pub(crate) struct XorShift(u64);

impl XorShift {
    /// A stream from `seed` (0 is replaced: xorshift would stay at 0).
    pub(crate) fn new(seed: u64) -> Self {
        XorShift(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next number.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`; the slight bias of a modulo does not
    /// matter here).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}
