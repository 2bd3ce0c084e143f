//! The longest common subsequence of two byte strings (the LCS command): the
//! classic dynamic-programming table, walked back from the end to produce the
//! subsequence and its matching ranges in the order Redis reports them.

/// A run of consecutive matches: `a` and `b` are inclusive index ranges.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Range {
    pub a: (u32, u32),
    pub b: (u32, u32),
}

impl Range {
    /// Bytes in the run.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u32 {
        self.a.1 - self.a.0 + 1
    }
}

pub struct Lcs {
    /// Length of the LCS.
    pub len: u32,
    /// The LCS itself (empty unless asked for).
    pub string: Vec<u8>,
    /// Matching ranges from the end of the strings backwards (unless not asked for).
    pub ranges: Vec<Range>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum LcsError {
    /// The table would exceed the given memory limit.
    TooBig,
    /// The table could not be allocated.
    NoMemory,
}

/// Bytes the table for strings of these lengths takes.
pub fn table_bytes(alen: usize, blen: usize) -> u128 {
    (alen as u128 + 1) * (blen as u128 + 1) * 4
}

/// Computes the LCS of `a` and `b`. With `walk` false only the length is
/// computed; otherwise the string and the ranges of at least `min_match`
/// bytes too. `max_table` bounds the table's size in bytes.
pub fn lcs(a: &[u8], b: &[u8], walk: bool, min_match: u64, max_table: u64) -> Result<Lcs, LcsError> {
    let (alen, blen) = (a.len(), b.len());
    if table_bytes(alen, blen) > max_table as u128 {
        return Err(LcsError::TooBig);
    }
    let w = blen + 1;
    let cells = (alen + 1) * w;
    let mut t: Vec<u32> = Vec::new();
    t.try_reserve_exact(cells).map_err(|_| LcsError::NoMemory)?;
    t.resize(cells, 0);
    for i in 1..=alen {
        let ai = a[i - 1];
        let (prev, cur) = t.split_at_mut(i * w);
        let prev = &prev[(i - 1) * w..];
        let cur = &mut cur[..w];
        for j in 1..=blen {
            cur[j] = if ai == b[j - 1] { prev[j - 1] + 1 } else { prev[j].max(cur[j - 1]) };
        }
    }
    let at = |i: usize, j: usize| t[i * w + j];
    let len = at(alen, blen);
    let mut out = Lcs { len, string: Vec::new(), ranges: Vec::new() };
    if !walk {
        return Ok(out);
    }
    out.string = vec![0u8; len as usize];
    let mut idx = len as usize;
    let (mut i, mut j) = (alen, blen);
    // The run being tracked; `None` when there is none.
    let mut run: Option<Range> = None;
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            out.string[idx - 1] = a[i - 1];
            let (ii, jj) = ((i - 1) as u32, (j - 1) as u32);
            match run.as_mut() {
                None => run = Some(Range { a: (ii, ii), b: (jj, jj) }),
                Some(r) if r.a.0 == ii + 1 && r.b.0 == jj + 1 => {
                    r.a.0 = ii;
                    r.b.0 = jj;
                }
                // Not contiguous: the tracked run ends here. (Redis then
                // starts no new run from this match.)
                Some(_) => emit = true,
            }
            if let Some(r) = run {
                if r.a.0 == 0 || r.b.0 == 0 {
                    emit = true;
                }
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if at(i - 1, j) > at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            if run.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some(r) = run.take() {
                if min_match == 0 || r.len() as u64 >= min_match {
                    out.ranges.push(r);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn string_len_and_ranges() {
        let r = lcs(b"ohmytext", b"mynewtext", true, 0, u64::MAX).unwrap();
        assert_eq!(r.string, b"mytext");
        assert_eq!(r.len, 6);
        assert_eq!(
            r.ranges,
            vec![Range { a: (4, 7), b: (5, 8) }, Range { a: (2, 3), b: (0, 1) }]
        );
        let r = lcs(b"ohmytext", b"mynewtext", true, 4, u64::MAX).unwrap();
        assert_eq!(r.ranges, vec![Range { a: (4, 7), b: (5, 8) }]);
        let r = lcs(b"", b"abc", true, 0, u64::MAX).unwrap();
        assert_eq!((r.len, r.string.len(), r.ranges.len()), (0, 0, 0));
    }
    #[test]
    fn memory_limit() {
        assert_eq!(lcs(b"abc", b"abc", false, 0, 15).err(), Some(LcsError::TooBig));
        assert_eq!(lcs(b"abc", b"abc", false, 0, 64).unwrap().len, 3);
    }
}
