//! The token check of a candidate pair: the longest common subsequence of the two units' token
//! sequences must cover a share of the longer one (default 70 %: `100·LCS ≥ 70·max(|a|, |b|)`).
//!
//! **Why LCS, not multiset Jaccard.** It is NiCad's measure (a clone may differ in at most 30 % of
//! its items) and it respects order: two bodies with the same statements shuffled share a token
//! multiset, so Jaccard calls them clones, while their LCS is short.
//!
//! **How.** Bit-parallel LCS length (Allison–Dix; Hyyrö's form `V ← (V + (V ∧ M)) ∨ (V ∧ ¬M)`):
//! one bit per token of the shorter sequence, one multi-word add per token of the longer, so
//! `⌈m/64⌉·n` word steps: 47 × 3,000 for two 3,000-token units, well under a millisecond. A pair
//! whose lengths alone rule it out (`LCS ≤ min` cannot reach the share) costs nothing, one whose
//! common token multiset (a bound on the LCS, counted in the pass that looks each token up) falls
//! short costs one pass, and one whose LCS so far plus the tokens left falls short stops there
//! (checked every 64 tokens). The token table hashes with one multiplication and its buffers are
//! kept per thread: millions of pairs are checked when a large tree is scanned or restored.

use super::contract::{Percent, PercentError};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The share of the longer unit's tokens that the common subsequence must reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LcsRatio(Percent);

impl LcsRatio {
    /// `100·LCS ≥ percent·max(|a|, |b|)`; refused above 100.
    pub fn new(percent: u32) -> Result<LcsRatio, PercentError> {
        Percent::parse("the token LCS ratio", percent, 0, 70).map(LcsRatio)
    }

    /// The share in percent.
    pub fn percent(self) -> u8 {
        self.0.get()
    }

    /// True when the token sequences `a` and `b` have a common subsequence of at least this share
    /// of the longer one (two empty sequences are equal, so they pass).
    pub fn accepts(self, a: &[u32], b: &[u32]) -> bool {
        self.share(a, b).is_some()
    }

    /// The common subsequence of `a` and `b` in whole percent of the longer one (rounded down;
    /// 100 for two empty sequences) when it reaches this share, `None` when it does not.
    pub fn share(self, a: &[u32], b: &[u32]) -> Option<u8> {
        let (shorter, longer) = (a.len().min(b.len()) as u64, a.len().max(b.len()) as u64);
        if !self.0.reached_by(shorter, longer) {
            return None;
        }
        // The fewest common tokens that reach the share: ⌈percent·longer/100⌉.
        let needed = (u64::from(self.percent()) * longer).div_ceil(100) as usize;
        let common = lcs_at_least(a, b, needed)? as u64;
        let percent = (100 * common).checked_div(longer).map_or(100, |p| p as u8);
        self.0.reached_by(common, longer).then_some(percent)
    }
}

impl Default for LcsRatio {
    fn default() -> Self {
        LcsRatio::new(70).expect("70 is a percentage")
    }
}

/// The length of a longest common subsequence of `a` and `b`, bit-parallel.
pub fn lcs_len(a: &[u32], b: &[u32]) -> usize {
    lcs_at_least(a, b, 0).expect("every length is at least 0")
}

/// The length of a longest common subsequence of `a` and `b` when it is at least `needed`;
/// `None` as soon as the tokens left cannot bring it there (most rejected pairs stop early).
pub fn lcs_at_least(a: &[u32], b: &[u32], needed: usize) -> Option<usize> {
    let (pattern, text) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    SCRATCH.with_borrow_mut(|scratch| scratch.lcs_at_least(pattern, text, needed))
}

thread_local! {
    /// Each thread's buffers, so that checking millions of pairs allocates nothing per pair.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// The buffers of one LCS computation, kept between calls.
#[derive(Default)]
struct Scratch {
    /// Each distinct token of the pattern and its index into `masks`.
    symbols: HashMap<u32, usize, BuildHasherDefault<TokenHasher>>,
    /// One bit mask over the pattern's positions per distinct token, `words` words each.
    masks: Vec<u64>,
    /// Per distinct token of the pattern, its occurrences not yet paired with the text's.
    unpaired: Vec<u32>,
    /// Per token of the text, the index of its mask (`ABSENT` when the pattern lacks it).
    text_symbols: Vec<u32>,
    /// The bit vector of the computation.
    v: Vec<u64>,
}

/// The mask index of a text token that the pattern lacks.
const ABSENT: u32 = u32::MAX;

impl Scratch {
    /// The LCS length of `pattern` (the shorter sequence) and `text` if at least `needed`.
    fn lcs_at_least(&mut self, pattern: &[u32], text: &[u32], needed: usize) -> Option<usize> {
        if needed > pattern.len() {
            return None;
        }
        let words = pattern.len().div_ceil(64);
        let (symbols, masks, v) = (&mut self.symbols, &mut self.masks, &mut self.v);
        let (unpaired, text_symbols) = (&mut self.unpaired, &mut self.text_symbols);
        symbols.clear();
        masks.clear();
        unpaired.clear();
        for (i, token) in pattern.iter().enumerate() {
            let next = symbols.len();
            let k = *symbols.entry(*token).or_insert(next);
            if k == next {
                masks.resize(masks.len() + words, 0);
                unpaired.push(0);
            }
            masks[k * words + i / 64] |= 1 << (i % 64);
            unpaired[k] += 1;
        }
        // A common subsequence pairs equal tokens, so it is no longer than the common multiset.
        text_symbols.clear();
        let mut multiset = 0;
        for token in text {
            let k = symbols.get(token).map_or(ABSENT, |&k| k as u32);
            if let Some(left @ 1..) = unpaired.get_mut(k as usize) {
                *left -= 1;
                multiset += 1;
            }
            text_symbols.push(k);
        }
        if multiset < needed {
            return None;
        }
        // A zero bit of `v` at position i: the LCS so far gained one at pattern position i.
        v.clear();
        v.resize(words, u64::MAX);
        for (done, &k) in text_symbols.iter().enumerate() {
            // Every 64 tokens: each token left adds one at most.
            if done % 64 == 63 && common(v, pattern.len()) + (text.len() - done) < needed {
                return None;
            }
            if k == ABSENT {
                continue;
            }
            let k = k as usize;
            let mut carry = 0;
            for (word, &mask) in v.iter_mut().zip(&masks[k * words..(k + 1) * words]) {
                let (sum, c1) = word.overflowing_add(*word & mask);
                let (sum, c2) = sum.overflowing_add(carry);
                carry = u64::from(c1 || c2);
                *word = sum | (*word & !mask);
            }
        }
        Some(common(v, pattern.len())).filter(|&length| length >= needed)
    }
}

/// The LCS length so far: the zero bits of `v` over the pattern's `len` positions (bits past its
/// end start at one but carries may clear them, so they are not counted).
fn common(v: &[u64], len: usize) -> usize {
    let zeros = v.iter().enumerate().map(|(w, word)| {
        let valid = match len - 64 * w {
            n @ 1..64 => (1u64 << n) - 1,
            _ => u64::MAX,
        };
        (!word & valid).count_ones() as usize
    });
    zeros.sum()
}

/// A hasher for token values (and other keys that are hashes already): one multiplication
/// (Fibonacci hashing) spreads them over the 64 bits the table's probing reads, at a fraction of
/// SipHash's cost.
#[derive(Default)]
pub struct TokenHasher(u64);

impl Hasher for TokenHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0 ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The textbook O(mn) dynamic programme.
    fn lcs_dp(a: &[u32], b: &[u32]) -> usize {
        let mut row = vec![0usize; b.len() + 1];
        for x in a {
            let mut diagonal = 0;
            for (j, y) in b.iter().enumerate() {
                let above = row[j + 1];
                row[j + 1] = if x == y { diagonal + 1 } else { above.max(row[j]) };
                diagonal = above;
            }
        }
        row[b.len()]
    }

    proptest! {
        #[test]
        fn bit_parallel_lcs_equals_the_dynamic_programme(
            a in prop::collection::vec(0u32..6, 0..200),
            b in prop::collection::vec(0u32..6, 0..200),
        ) {
            prop_assert_eq!(lcs_len(&a, &b), lcs_dp(&a, &b));
        }

        #[test]
        fn the_early_exit_answers_exactly_when_the_length_is_reached(
            a in prop::collection::vec(0u32..6, 0..300),
            b in prop::collection::vec(0u32..6, 0..300),
            needed in 0usize..300,
        ) {
            let exact = lcs_dp(&a, &b);
            prop_assert_eq!(lcs_at_least(&a, &b, needed), (exact >= needed).then_some(exact));
        }

        /// Sequences past one word, of a wider alphabet and mostly alike, and lengths needed
        /// about their LCS: where the early exit stops a check, and where it must not.
        #[test]
        fn the_early_exit_stops_only_checks_that_fail(
            a in prop::collection::vec(0u32..24, 64..400),
            edits in prop::collection::vec((0usize..400, 0u32..24), 0..120),
            slack in -20i64..20,
        ) {
            let mut b = a.clone();
            for (at, token) in edits {
                let at = at % (b.len() + 1);
                match token % 3 {
                    0 if at < b.len() => { b.remove(at); }
                    1 if at < b.len() => b[at] = token,
                    _ => b.insert(at, token),
                }
            }
            let exact = lcs_dp(&a, &b);
            let needed = (exact as i64 + slack).max(0) as usize;
            prop_assert_eq!(lcs_at_least(&a, &b, needed), (exact >= needed).then_some(exact));
        }
    }

    #[test]
    fn the_ratio_is_of_the_longer_sequence_and_order_matters() {
        let a: Vec<u32> = (0..100).collect();
        let mut edited = a.clone();
        edited.drain(40..70); // 30 of 100 tokens gone: LCS 70 of max 100
        assert_eq!(lcs_len(&a, &edited), 70);
        assert!(LcsRatio::default().accepts(&a, &edited));
        assert_eq!(LcsRatio::default().share(&a, &edited), Some(70));
        assert_eq!(LcsRatio::new(0).unwrap().share(&a, &a[..1]), Some(1));
        edited.pop();
        assert!(!LcsRatio::default().accepts(&a, &edited));
        let reversed: Vec<u32> = a.iter().rev().copied().collect();
        assert_eq!(lcs_len(&a, &reversed), 1);
        assert!(!LcsRatio::default().accepts(&a, &reversed));
        assert!(LcsRatio::default().accepts(&[], &[]));
        assert!(LcsRatio::new(101).is_err());
    }

    #[test]
    fn long_units_cross_word_boundaries() {
        let a: Vec<u32> = (0..3000).map(|i| i % 97).collect();
        let b: Vec<u32> = (0..2900).map(|i| (i * 7) % 97).collect();
        assert_eq!(lcs_len(&a, &b), lcs_dp(&a, &b));
    }
}
