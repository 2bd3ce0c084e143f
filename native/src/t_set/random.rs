//! Random picks from a set (SPOP, SRANDMEMBER): one element, or a random
//! subset of positions in order (Redis's lpNextRandom walks a listpack once
//! choosing each entry with probability remaining/left, which is what
//! `ordered_sample` does).
use super::{Elem, Set};
use crate::keyspace::next_rand;
use crate::listpack::LpEntry;

/// A uniform integer below `n` (n > 0).
#[inline]
pub(super) fn below(rng: &mut u64, n: usize) -> usize {
    (next_rand(rng) % n as u64) as usize
}

/// `k` distinct positions out of `0..n`, ascending, each subset equally likely
/// (selection sampling, Knuth's algorithm S).
pub(super) fn ordered_sample(rng: &mut u64, n: usize, k: usize) -> Vec<usize> {
    let mut picked = Vec::with_capacity(k);
    let mut need = k;
    for i in 0..n {
        if need == 0 {
            break;
        }
        if below(rng, n - i) < need {
            picked.push(i);
            need -= 1;
        }
    }
    picked
}

impl Set {
    /// A random element (setTypeRandomElement; a table's draw moves an ongoing resize on).
    pub fn random_elem(&mut self, rng: &mut u64) -> Elem<'_> {
        match self {
            Set::Intset(is) => LpEntry::Int(is.get(below(rng, is.len()))),
            Set::Listpack(lp) => {
                let p = lp.seek(below(rng, lp.len()) as i64).expect("a non-empty listpack");
                lp.get(p)
            }
            Set::Table(d) => LpEntry::Str(d.fair_random_key(|| next_rand(rng)).expect("a non-empty set").as_slice()),
        }
    }

    /// Removes and returns a random element (setTypePopRandom).
    pub fn pop_random(&mut self, rng: &mut u64) -> Vec<u8> {
        let v = self.random_elem(rng).to_vec();
        self.remove(&v);
        v
    }

    /// The elements at ascending `positions` of a listpack set, removed from it, in order.
    pub(super) fn take_listpack_positions(&mut self, positions: &[usize]) -> Vec<Vec<u8>> {
        let Set::Listpack(lp) = self else { unreachable!("a listpack set") };
        let mut out = Vec::with_capacity(positions.len());
        // Delete from the back so earlier offsets stay valid.
        let mut offsets = Vec::with_capacity(positions.len());
        let mut p = lp.first();
        let mut i = 0;
        for &want in positions {
            while i < want {
                p = p.and_then(|q| lp.next(q));
                i += 1;
            }
            let q = p.expect("a position inside the listpack");
            out.push(lp.get(q).to_vec());
            offsets.push(q);
        }
        for &q in offsets.iter().rev() {
            lp.delete(q);
        }
        out
    }
}
