//! Redis's glob-style matcher (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, ...):
//! `*`, `?`, `[...]` classes with `^` negation and `a-z` ranges, `\` escapes,
//! and an ASCII case-insensitive variant. Quirks kept on purpose, as Redis 7.2
//! behaves: an unterminated class matches with what it has read so far; a
//! range may swallow the closing `]` (`[a-]`); bytes >= 0x80 compare as signed
//! chars in ranges. Cost is bounded: recursion happens only at `*`, stops at a
//! nesting of 1000, and once the rest of a pattern fails at every position no
//! earlier `*` tries a longer match (so the work is polynomial, not exponential).

const MAX_NESTING: u32 = 1000;

/// True if `subject` matches `pattern`.
pub fn matches(pattern: &[u8], subject: &[u8], nocase: bool) -> bool {
    let mut give_up = false;
    match_from(pattern, subject, nocase, &mut give_up, 0)
}

#[inline]
fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// A byte as C's (signed) `char` promoted to int, lowered like `tolower`.
#[inline]
fn signed(c: u8, nocase: bool) -> i32 {
    fold(c, nocase) as i8 as i32
}

fn match_from(pat: &[u8], s: &[u8], nocase: bool, give_up: &mut bool, nesting: u32) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    // `p` and `i` index the pattern and the subject; past-the-end reads see 0,
    // as the C code sees the string's terminator.
    let at = |k: usize| -> u8 { pat.get(k).copied().unwrap_or(0) };
    let mut p = 0usize;
    let mut i = 0usize;
    while p < pat.len() && i < s.len() {
        match pat[p] {
            b'*' => {
                while p < pat.len() && at(p + 1) == b'*' {
                    p += 1;
                }
                if p + 1 == pat.len() {
                    return true;
                }
                while i < s.len() {
                    if match_from(&pat[p + 1..], &s[i..], nocase, give_up, nesting + 1) {
                        return true;
                    }
                    if *give_up {
                        return false;
                    }
                    i += 1;
                }
                *give_up = true;
                return false;
            }
            b'?' => i += 1,
            b'[' => {
                p += 1;
                let not = at(p) == b'^';
                if not {
                    p += 1;
                }
                let c = s[i];
                let mut hit = false;
                loop {
                    let left = pat.len().saturating_sub(p);
                    if at(p) == b'\\' && left >= 2 {
                        p += 1;
                        if pat[p] == c {
                            hit = true;
                        }
                    } else if at(p) == b']' && left > 0 {
                        break;
                    } else if left == 0 {
                        // Unterminated: step back so the common `p += 1` ends the pattern.
                        p -= 1;
                        break;
                    } else if left >= 3 && pat[p + 1] == b'-' {
                        let (mut lo, mut hi) = (pat[p] as i8 as i32, pat[p + 2] as i8 as i32);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        if nocase {
                            lo = lower_signed(lo);
                            hi = lower_signed(hi);
                        }
                        let ch = signed(c, nocase);
                        p += 2;
                        if ch >= lo && ch <= hi {
                            hit = true;
                        }
                    } else if fold(pat[p], nocase) == fold(c, nocase) {
                        hit = true;
                    }
                    p += 1;
                }
                if not {
                    hit = !hit;
                }
                if !hit {
                    return false;
                }
                i += 1;
            }
            b => {
                let b = if b == b'\\' && pat.len() - p >= 2 {
                    p += 1;
                    pat[p]
                } else {
                    b
                };
                if fold(b, nocase) != fold(s[i], nocase) {
                    return false;
                }
                i += 1;
            }
        }
        p += 1;
        if i == s.len() {
            while at(p) == b'*' && p < pat.len() {
                p += 1;
            }
            break;
        }
    }
    p >= pat.len() && i == s.len()
}

#[inline]
fn lower_signed(v: i32) -> i32 {
    if (b'A' as i32..=b'Z' as i32).contains(&v) {
        v + 32
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn literals_and_wildcards() {
        assert!(m("", ""));
        assert!(!m("", "a"));
        // As in Redis, the matcher itself never matches an empty subject
        // against "*" (KEYS and SCAN special-case a lone "*").
        assert!(!m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("a*", "a"));
        assert!(m("a*b", "ab"));
        assert!(m("a*b", "axxxb"));
        assert!(!m("a*b", "axxxbc"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("**a**", "bab"));
        assert!(m("foo", "foo"));
        assert!(!m("foo", "fo"));
        assert!(!m("fo", "foo"));
        assert!(m("a**", "a"));
    }

    #[test]
    fn classes() {
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"), "reversed ranges are swapped");
        assert!(!m("h[a-b]llo", "hcllo"));
        // `!` is not a negation in Redis: it is a plain member.
        assert!(m("[!a]", "!"));
        assert!(!m("[!a]", "b"));
        // A backslash escapes inside a class.
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        // Unterminated class: matches with what it read, then the pattern ends.
        assert!(m("[abc", "b"));
        assert!(!m("[abc", "bx"));
        assert!(m("a[", "a") == false);
        // `[a-]`: the range runs to `]`, swallowing it; the class continues.
        assert!(m("[a-]x]", "_"), "']'..'a' contains '_' and the class ends at the second ']'");
        // Empty class never matches.
        assert!(!m("[]", "a"));
    }

    #[test]
    fn escapes_and_nocase() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a\\", "a\\"));
        assert!(matches(b"HeLLo", b"hello", true));
        assert!(matches(b"h[A-Z]llo", b"hello", true));
        assert!(!matches(b"h[A-Z]llo", b"hello", false));
        assert!(matches(b"H[E]LLO", b"hello", true));
        // Escaped class members compare exactly, even in nocase mode.
        assert!(!matches(b"[\\A]", b"a", true));
    }

    #[test]
    fn high_bytes_are_signed_in_ranges() {
        // [a-\xff]: 'a'(97) and -1 swap into -1..97, so '0' matches and 'b' doesn't.
        assert!(matches(b"[a-\xff]", b"0", false));
        assert!(!matches(b"[a-\xff]", b"b", false));
        assert!(matches(b"[\x80-\xff]", b"\x90", false));
        assert!(matches(b"\xe9*", b"\xe9t\xe9", false));
    }

    #[test]
    fn abusive_patterns_stay_fast() {
        let subject = "a".repeat(60);
        let pattern = format!("{}b", "a*".repeat(30));
        let t = std::time::Instant::now();
        assert!(!m(&pattern, &subject));
        assert!(t.elapsed().as_millis() < 200);
        // Nesting beyond 1000 stars gives up (no match).
        let deep = "*a".repeat(1100);
        assert!(!m(&deep, &"a".repeat(1100)));
        let ok = "*a".repeat(500);
        assert!(m(&ok, &"a".repeat(500)));
    }
}
