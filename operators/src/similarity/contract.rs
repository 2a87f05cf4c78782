//! The similarity contract of ARCHITECTURE §4a as integer arithmetic, shared by every kernel and by
//! the GPU: the cosine threshold test, the integer score, the size-ratio bound and the pair record.
//!
//! **Threshold.** A pair of int8 vectors `a`, `b` with dot product `d` and squared norms `|a|²`,
//! `|b|²` is similar at θ percent when `d > 0 ∧ 100²·d² ≥ θ²·|a|²·|b|²`, i.e. `cos ≥ θ/100` exactly.
//! `d > 0` (not `d ≥ 0`) keeps the zero vector (a unit without nodes, or a free slot) from matching
//! everything: with `d ≥ 0` it would pass `0 ≥ 0` against any vector. For θ ≥ 1 the two agree on
//! every pair of non-zero vectors, since `d = 0` then fails the second inequality.
//!
//! **No overflow, in i64** (D = 128, components in −128..=127): `|d| ≤ 128·128·128 = 2²¹` and
//! `|a|², |b|² ≤ 2²¹`, so `100²·d² < 2¹⁴·2⁴² = 2⁵⁶` and `θ²·|a|²·|b|² ≤ 10⁴·2⁴² < 2⁵⁶`, far below
//! `2⁶³`. The dot product itself fits i32 (the kernels accumulate in i32).
//!
//! **Score.** `⌊1000·cos⌋ = ⌊√(10⁶·d² / (|a|²·|b|²))⌋`, computed as the integer square root of the
//! integer quotient (`⌊√⌊x⌋⌋ = ⌊√x⌋` for real `x ≥ 0`); `10⁶·d² < 2²⁰·2⁴² = 2⁶²` fits u64, and the
//! quotient is at most 10⁶ by Cauchy–Schwarz. Because `10·θ` is an integer,
//! `score ≥ 10·θ ⟺ cos ≥ θ/100`: a pair passes exactly when its score reaches `10·θ`.
//!
//! **Size ratio.** Sizes are token counts; two units are comparable when `100·min ≥ r·max` for a
//! ratio of r percent. It is a rule of the contract (a pair outside the band is never emitted, on
//! any device), and it lets a join skip whole ranges of size-sorted vectors.

use serde::{Deserialize, Serialize};

/// The stable key of a unit: the `unit_key` of the `units` table.
pub type UnitKey = i64;

/// A whole percentage, 0 to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u8);

/// A parameter that is not a percentage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} must be a whole percentage from {min} to 100, got {value} (write e.g. {example})")]
pub struct PercentError {
    /// The parameter's name.
    pub name: &'static str,
    /// The value given.
    pub value: u32,
    /// The smallest value allowed.
    pub min: u8,
    /// A typical value, shown in the message.
    pub example: u8,
}

impl Percent {
    /// `value` as a percentage of the parameter `name`, refused outside `min..=100`.
    pub(crate) fn parse(name: &'static str, value: u32, min: u8, example: u8) -> Result<Percent, PercentError> {
        match u8::try_from(value) {
            Ok(p) if (min..=100).contains(&p) => Ok(Percent(p)),
            _ => Err(PercentError { name, value, min, example }),
        }
    }

    /// The percentage as an integer.
    pub fn get(self) -> u8 {
        self.0
    }

    /// `100·part ≥ self·whole`: `part / whole` reaches this percentage (exact, in u64).
    pub fn reached_by(self, part: u64, whole: u64) -> bool {
        u128::from(part) * 100 >= u128::from(self.0) * u128::from(whole)
    }
}

/// The cosine threshold θ, in whole percent (ARCHITECTURE §4a; default 90).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Threshold(Percent);

impl Threshold {
    /// θ = `percent`/100; refused outside 1..=100.
    pub fn new(percent: u32) -> Result<Threshold, PercentError> {
        Percent::parse("the similarity threshold", percent, 1, 90).map(Threshold)
    }

    /// θ in percent.
    pub fn percent(self) -> u8 {
        self.0.get()
    }

    /// The exact integer test `dot > 0 ∧ 100²·dot² ≥ θ²·|a|²·|b|²` (see the module doc for the bounds).
    pub fn passes(self, dot: i32, norm_a: i32, norm_b: i32) -> bool {
        let theta = i64::from(self.percent());
        let dot = i64::from(dot);
        dot > 0 && 10_000 * dot * dot >= theta * theta * i64::from(norm_a) * i64::from(norm_b)
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold(Percent(90))
    }
}

/// `⌊1000·cos⌋` of a pair, 0 when `dot ≤ 0` or a norm is 0 (exact; see the module doc).
pub fn score(dot: i32, norm_a: i32, norm_b: i32) -> u16 {
    if dot <= 0 || norm_a <= 0 || norm_b <= 0 {
        return 0;
    }
    let dot = dot.unsigned_abs() as u64;
    let quotient = 1_000_000 * dot * dot / (norm_a.unsigned_abs() as u64 * norm_b.unsigned_abs() as u64);
    // Cauchy–Schwarz keeps the quotient ≤ 10⁶, so the root is ≤ 1000.
    quotient.isqrt() as u16
}

/// The cosine similarity of two int8 vectors of equal length in whole percent, rounded down
/// (`⌊score / 10⌋`): what a catalogue exemplar match records; 0 when either vector is zero or they
/// point apart.
pub fn similarity_percent(a: &[i8], b: &[i8]) -> u8 {
    let dot = |x: &[i8], y: &[i8]| -> i32 { x.iter().zip(y).map(|(&p, &q)| i32::from(p) * i32::from(q)).sum() };
    (score(dot(a, b), dot(a, a), dot(b, b)) / 10) as u8
}

/// The size-ratio bound: units whose token counts differ by more than this ratio are never paired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SizeRatio(Percent);

impl SizeRatio {
    /// `min/max ≥ percent/100`; 0 admits every pair. Refused above 100.
    pub fn new(percent: u32) -> Result<SizeRatio, PercentError> {
        Percent::parse("the size ratio", percent, 0, 50).map(SizeRatio)
    }

    /// The ratio in percent.
    pub fn percent(self) -> u8 {
        self.0.get()
    }

    /// True when sizes `a` and `b` are within the ratio: `100·min(a,b) ≥ r·max(a,b)`.
    pub fn admits(self, a: u32, b: u32) -> bool {
        self.0.reached_by(u64::from(a.min(b)), u64::from(a.max(b)))
    }

    /// The largest size that `size` admits as the larger of a pair (`u32::MAX` for a ratio of 0).
    pub fn largest_partner(self, size: u32) -> u32 {
        match self.percent() {
            0 => u32::MAX,
            r => u32::try_from(u64::from(size) * 100 / u64::from(r)).unwrap_or(u32::MAX),
        }
    }
}

impl Default for SizeRatio {
    fn default() -> Self {
        SizeRatio(Percent(50))
    }
}

/// The parameters of a join (both parts of the §4a contract that decide which pairs exist).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct JoinParams {
    /// The cosine threshold.
    pub threshold: Threshold,
    /// The size-ratio bound.
    pub size_ratio: SizeRatio,
}

/// One similar pair: `a < b` by unit key, and its score `⌊1000·cos⌋`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pair {
    /// The smaller key.
    pub a: UnitKey,
    /// The larger key.
    pub b: UnitKey,
    /// `⌊1000·cos⌋`, at least `10·θ`.
    pub score: u16,
}

impl Pair {
    /// The pair of two distinct keys, ordered.
    pub fn new(x: UnitKey, y: UnitKey, score: u16) -> Pair {
        debug_assert_ne!(x, y, "a unit is never paired with itself");
        Pair { a: x.min(y), b: x.max(y), score }
    }
}

/// A change to the set of pairs: the pair and +1 (appears) or −1 (disappears).
pub type PairDelta = (Pair, i64);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The test in i128 with the cosine's definition, independent of the i64 bounds argument.
    fn passes_wide(theta: u8, dot: i32, na: i32, nb: i32) -> bool {
        let (t, d) = (i128::from(theta), i128::from(dot));
        d > 0 && 10_000 * d * d >= t * t * i128::from(na) * i128::from(nb)
    }

    /// The extremes of D = 128 int8 vectors: dot and norms up to 2²¹.
    const EXTREME: i32 = 128 * 128 * 128;

    proptest! {
        #[test]
        fn passes_agrees_with_i128_and_with_the_score(
            theta in 1u32..=100,
            na in 0..=EXTREME,
            nb in 0..=EXTREME,
            cos_permille in -1000i64..=1000,
        ) {
            // A dot product consistent with the norms (|dot| ≤ |a||b|), as real vectors have.
            let bound = ((na as f64) * (nb as f64)).sqrt();
            let dot = (bound * cos_permille as f64 / 1000.0) as i32;
            let threshold = Threshold::new(theta).unwrap();
            prop_assert_eq!(threshold.passes(dot, na, nb), passes_wide(theta as u8, dot, na, nb));
            let s = score(dot, na, nb);
            prop_assert!(s <= 1000);
            if na > 0 && nb > 0 {
                prop_assert_eq!(threshold.passes(dot, na, nb), u32::from(s) >= 10 * theta);
            }
        }

        #[test]
        fn score_is_the_floor_of_the_cosine(dot in 1..=EXTREME, na in 1..=EXTREME, nb in 1..=EXTREME) {
            prop_assume!(i64::from(dot) * i64::from(dot) <= i64::from(na) * i64::from(nb));
            let s = i128::from(score(dot, na, nb));
            let (d, n) = (i128::from(dot), i128::from(na) * i128::from(nb));
            // s ≤ 1000·cos < s + 1, squared: s²·n ≤ 10⁶·d² < (s+1)²·n.
            prop_assert!(s * s * n <= 1_000_000 * d * d);
            prop_assert!(1_000_000 * d * d < (s + 1) * (s + 1) * n);
        }

        #[test]
        fn size_ratio_is_exact(a in 0u32..5000, b in 0u32..5000, r in 0u32..=100) {
            let ratio = SizeRatio::new(r).unwrap();
            let exact = u64::from(a.min(b)) * 100 >= u64::from(r) * u64::from(a.max(b));
            prop_assert_eq!(ratio.admits(a, b), exact);
            prop_assert_eq!(ratio.admits(a, b) && a <= b, a <= b && b <= ratio.largest_partner(a));
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let threshold = Threshold::new(100).unwrap();
        assert!(threshold.passes(EXTREME, EXTREME, EXTREME));
        assert!(!threshold.passes(EXTREME - 1, EXTREME, EXTREME));
        assert_eq!(score(EXTREME, EXTREME, EXTREME), 1000);
        assert_eq!(score(EXTREME - 1, EXTREME, EXTREME), 999);
    }

    #[test]
    fn the_zero_vector_matches_nothing() {
        let threshold = Threshold::new(1).unwrap();
        assert!(!threshold.passes(0, 0, 100));
        assert!(!threshold.passes(0, 0, 0));
        assert_eq!(score(0, 0, 100), 0);
    }

    #[test]
    fn parameters_outside_a_percentage_are_refused() {
        assert!(Threshold::new(0).is_err());
        assert!(Threshold::new(101).is_err());
        assert!(SizeRatio::new(101).is_err());
        assert_eq!(SizeRatio::new(0).unwrap().largest_partner(7), u32::MAX);
        let message = Threshold::new(900).unwrap_err().to_string();
        assert!(message.contains("900") && message.contains("e.g. 90"), "{message}");
    }
}

#[cfg(test)]
mod percent_tests {
    use super::similarity_percent;

    #[test]
    fn identical_vectors_are_100_and_orthogonal_or_opposite_ones_0() {
        let a = [3, 0, -4, 0];
        assert_eq!(similarity_percent(&a, &a), 100);
        assert_eq!(similarity_percent(&a, &[0, 5, 0, 7]), 0);
        assert_eq!(similarity_percent(&a, &[-3, 0, 4, 0]), 0);
        assert_eq!(similarity_percent(&a, &[0, 0, 0, 0]), 0);
    }

    #[test]
    fn the_percent_is_the_floor_of_the_float_cosine() {
        let pairs: [([i8; 3], [i8; 3]); 4] = [
            ([1, 1, 0], [1, 0, 0]),
            ([127, 5, -3], [120, 40, 0]),
            ([1, 2, 3], [3, 2, 1]),
            ([-128, 127, 1], [-1, 1, 1]),
        ];
        for (a, b) in pairs {
            let norm = |v: &[i8; 3]| v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
            let cosine =
                a.iter().zip(&b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum::<f64>() / (norm(&a) * norm(&b));
            assert_eq!(f64::from(similarity_percent(&a, &b)), (100.0 * cosine).floor(), "{a:?} {b:?}");
        }
    }
}
