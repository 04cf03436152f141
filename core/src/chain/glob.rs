//! Glob patterns for task names: `*` matches any run of characters, `?`
//! any one character; everything else matches itself.

use std::collections::HashMap;

/// Whether `name` matches the glob `pattern`.
///
/// The pattern is split on `*` into segments: the first must start the
/// name, the last must end it, and each one between is found at its
/// leftmost place after the one before (the greedy choice never loses a
/// match). A segment without `?` is found with Knuth-Morris-Pratt, a
/// segment with `?` with bit-parallel Shift-And, and each name character
/// is scanned by one segment search at most. Time: linear in the lengths
/// of both, times `1 + k / 64` for the longest segment with a `?` of `k`
/// characters, so a hostile pattern cannot blow up.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    glob_match_counted(pattern, name, &mut 0)
}

/// [`glob_match`], adding its work (characters compared or words shifted)
/// to `steps`.
fn glob_match_counted(pattern: &str, name: &str, steps: &mut usize) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let mut segments: Vec<&[char]> = p.split(|c| *c == '*').collect();
    if segments.len() == 1 {
        return p.len() == n.len() && matches_here(&p, &n, steps);
    }
    let (Some(last), first) = (segments.pop(), segments.remove(0)) else {
        return false;
    };
    if first.len() + last.len() > n.len()
        || !matches_here(first, &n[..first.len()], steps)
        || !matches_here(last, &n[n.len() - last.len()..], steps)
    {
        return false;
    }
    let mut rest = &n[first.len()..n.len() - last.len()];
    for segment in segments.into_iter().filter(|s| !s.is_empty()) {
        let found = if segment.contains(&'?') {
            find_with_wildcards(segment, rest, steps)
        } else {
            find_exact(segment, rest, steps)
        };
        match found {
            Some(end) => rest = &rest[end..],
            None => return false,
        }
    }
    true
}

/// Whether `segment` matches `text` of the same length, `?` matching any
/// character.
fn matches_here(segment: &[char], text: &[char], steps: &mut usize) -> bool {
    *steps += segment.len();
    segment.iter().zip(text).all(|(s, t)| *s == '?' || s == t)
}

/// The end of the leftmost occurrence of `segment` (no `?`) in `text`:
/// Knuth-Morris-Pratt, linear in both lengths.
fn find_exact(segment: &[char], text: &[char], steps: &mut usize) -> Option<usize> {
    // failure[i]: length of the longest proper border of segment[..=i].
    let mut failure = vec![0; segment.len()];
    let mut k = 0;
    for i in 1..segment.len() {
        while k > 0 && segment[i] != segment[k] {
            k = failure[k - 1];
            *steps += 1;
        }
        if segment[i] == segment[k] {
            k += 1;
        }
        failure[i] = k;
        *steps += 1;
    }
    let mut matched = 0;
    for (i, c) in text.iter().enumerate() {
        while matched > 0 && *c != segment[matched] {
            matched = failure[matched - 1];
            *steps += 1;
        }
        if *c == segment[matched] {
            matched += 1;
        }
        *steps += 1;
        if matched == segment.len() {
            return Some(i + 1);
        }
    }
    None
}

/// The end of the leftmost occurrence of `segment` (with `?`) in `text`:
/// Shift-And, one pass over `text` at `segment.len() / 64 + 1` words per
/// character.
fn find_with_wildcards(segment: &[char], text: &[char], steps: &mut usize) -> Option<usize> {
    let words = segment.len().div_ceil(64);
    // Bit i of a mask: segment[i] accepts the character.
    let mut any = vec![0u64; words];
    let mut masks: HashMap<char, Vec<u64>> = HashMap::new();
    for (i, c) in segment.iter().enumerate() {
        if *c == '?' {
            any[i / 64] |= 1 << (i % 64);
        } else {
            masks.entry(*c).or_insert_with(|| vec![0; words])[i / 64] |= 1 << (i % 64);
        }
    }
    for mask in masks.values_mut() {
        for (m, a) in mask.iter_mut().zip(&any) {
            *m |= a;
        }
        *steps += words;
    }
    let last = segment.len() - 1;
    // Bit i of `state`: segment[..=i] ends at the current character.
    let mut state = vec![0u64; words];
    for (at, c) in text.iter().enumerate() {
        let mask = masks.get(c).unwrap_or(&any);
        let mut carry = 1;
        for (word, m) in state.iter_mut().zip(mask) {
            let next_carry = *word >> 63;
            *word = ((*word << 1) | carry) & m;
            carry = next_carry;
        }
        *steps += words;
        if state[last / 64] & (1 << (last % 64)) != 0 {
            return Some(at + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{glob_match, glob_match_counted};

    #[test]
    fn patterns() {
        assert!(glob_match("*", ""));
        assert!(glob_match("enemy-*", "enemy-12"));
        assert!(!glob_match("enemy-*", "friend-1"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("*b*d", "abcd"));
        assert!(!glob_match("*b*e", "abcd"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
        assert!(glob_match("**x", "x"));
        assert!(glob_match("a*a", "a"[..].repeat(2).as_str()));
        assert!(!glob_match("a*a", "a"));
        assert!(glob_match("*?b?*", "xxabcx"));
        assert!(glob_match("é*ü", "é-ü"));
    }

    /// The textbook dynamic-programming matcher, as the reference.
    fn reference(p: &[char], n: &[char]) -> bool {
        let mut row = vec![false; n.len() + 1];
        row[0] = true;
        for pc in p {
            let mut next = vec![false; n.len() + 1];
            if *pc == '*' {
                next[0] = row[0];
            }
            for j in 1..=n.len() {
                next[j] = match pc {
                    '*' => row[j] || next[j - 1],
                    '?' => row[j - 1],
                    c => row[j - 1] && *c == n[j - 1],
                };
            }
            row = next;
        }
        row[n.len()]
    }

    #[test]
    fn agrees_with_the_reference_on_every_small_case() {
        // Every pattern over {a, b, ?, *} up to 5 long against every name
        // over {a, b} up to 6 long.
        fn all(alphabet: &[char], max: usize) -> Vec<Vec<char>> {
            let mut out = vec![vec![]];
            let mut layer = vec![vec![]];
            for _ in 0..max {
                let mut next = Vec::new();
                for s in &layer {
                    for c in alphabet {
                        let mut t: Vec<char> = s.clone();
                        t.push(*c);
                        next.push(t);
                    }
                }
                out.extend(next.iter().cloned());
                layer = next;
            }
            out
        }
        let names = all(&['a', 'b'], 6);
        for p in all(&['a', 'b', '?', '*'], 5) {
            let pattern: String = p.iter().collect();
            for n in &names {
                let name: String = n.iter().collect();
                assert_eq!(
                    glob_match(&pattern, &name),
                    reference(&p, n),
                    "{pattern:?} vs {name:?}"
                );
            }
        }
    }

    // regression: a 10,000-character pattern against a 20,000-character
    // name took ~10^8 steps (backtracking to the last star).
    #[test]
    fn hostile_patterns_take_linear_work() {
        let name = "a".repeat(20_000);
        let bound = |pattern: &str, k: usize| (pattern.len() + name.len()) * (2 + k / 64) * 2;
        for (pattern, k) in [
            ("*a".repeat(5_000) + "b", 0),
            (format!("*{}b*", "a".repeat(9_998)), 0),
            (format!("*{}?b*", "a".repeat(9_997)), 9_999),
            ("*a?".repeat(3_333) + "b", 2),
        ] {
            let mut steps = 0;
            assert!(!glob_match_counted(&pattern, &name, &mut steps));
            assert!(
                steps <= bound(&pattern, k),
                "{} steps for a {}-character pattern",
                steps,
                pattern.len()
            );
        }
    }
}
