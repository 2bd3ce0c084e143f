//! math.random as Redis gives it to scripts: the 48-bit linear congruential
//! generator of the drand48 family (multiplier 0x5DEECE66D, increment 11),
//! starting from drand48's default state, returning the high 31 bits, so a
//! script sees the same sequence on every platform (Redis's redisLrand48).
use std::cell::Cell;

const MUL: u64 = 0x5_DEEC_E66D;
const ADD: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// drand48's initial state (before any seeding).
const INITIAL: u64 = 0x1234_ABCD_330E;

thread_local! {
    static STATE: Cell<u64> = const { Cell::new(INITIAL) };
}

/// The next value in 0..2^31.
pub fn next() -> i32 {
    STATE.with(|s| {
        let x = (s.get().wrapping_mul(MUL).wrapping_add(ADD)) & MASK;
        s.set(x);
        (x >> 17) as i32
    })
}

/// srand48: the seed's 32 bits become the state's high bits.
pub fn seed(v: i32) {
    STATE.with(|s| s.set(((v as u32 as u64) << 16) | 0x330E));
}

/// Back to the state the server starts with (SCRIPT FLUSH does not reset it in
/// Redis; tests use this to start from a known point).
pub fn reset() {
    STATE.with(|s| s.set(INITIAL));
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_lrand48() {
        // glibc's lrand48() from its initial state, and after srand48(0).
        super::reset();
        assert_eq!([super::next(), super::next(), super::next()], [851401618, 1804928587, 758783491]);
        super::seed(0);
        assert_eq!([super::next(), super::next(), super::next()], [366850414, 1610402240, 206956554]);
    }
}
