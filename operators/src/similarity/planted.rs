//! Vector pairs planted exactly at the integer threshold and one step either side: the cases where
//! a kernel or device that rounds differently would disagree (ARCHITECTURE §4a; the GPU check).
//!
//! For θ percent, with `Q = θ·(100 − θ)` written greedily as a sum of squares `q₁² + q₂² + …`:
//! `a = (θ, q₁, q₂, …, 0, 0, …)·k` and `at = (θ, 0, 0, …, q₁, q₂, …)` on disjoint tails. Then
//! `a·at = kθ²`, `|a|² = k²·100θ`, `|at|² = 100θ`, and `100²·(a·at)² = θ²·|a|²·|at|²` exactly.
//! `above` lowers at's largest `qᵢ` by one (same dot, smaller norm: passes strictly); `below`
//! raises it by one (fails strictly). The scale `k = ⌊127/max(θ, qᵢ)⌋` makes the norms differ. A seed
//! permutes the dimensions and flips signs, the same for all four vectors, which keeps every dot
//! product and norm.

use super::contract::Threshold;
use super::vector::Vector;
use crate::model::VECTOR_DIMS;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A vector and three partners: exactly at the threshold, one step above, one step below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlantedPair {
    /// The first vector.
    pub a: Vector,
    /// `100²·(a·at)² = θ²·|a|²·|at|²`: passes, with equality.
    pub at: Vector,
    /// One unit step closer to `a`: passes strictly (`None` at θ = 100, where nothing is closer).
    pub above: Option<Vector>,
    /// One unit step further from `a`: fails.
    pub below: Vector,
}

/// `value` as a sum of squares, greedily, largest first.
fn squares(mut value: u32) -> Vec<i8> {
    let mut roots = Vec::new();
    while value > 0 {
        let root = value.isqrt();
        roots.push(root as i8);
        value -= root * root;
    }
    roots
}

/// The planted pair of `threshold`, its dimensions permuted and signs flipped by `seed`.
pub fn planted(threshold: Threshold, seed: u64) -> PlantedPair {
    let theta = threshold.percent();
    let tail = squares(u32::from(theta) * (100 - u32::from(theta)));
    let largest = tail.iter().copied().max().unwrap_or(0).max(theta as i8);
    let scale = 127 / largest;
    let mut a = Vector::ZERO;
    let mut at = Vector::ZERO;
    a.0[0] = theta as i8 * scale;
    at.0[0] = theta as i8;
    for (i, &q) in tail.iter().enumerate() {
        a.0[1 + i] = q * scale;
        at.0[1 + tail.len() + i] = q;
    }
    // The largest tail component of `at` moves by one step; θ = 100 has no tail, so `below` leaves
    // the line of `a` through a fresh dimension.
    let step = 1 + tail.len();
    let above = (!tail.is_empty()).then(|| {
        let mut v = at;
        v.0[step] -= 1;
        v
    });
    let mut below = at;
    below.0[step] += 1;
    let mix = |v: Vector| mixed(v, seed);
    PlantedPair { a: mix(a), at: mix(at), above: above.map(mix), below: mix(below) }
}

/// `v` with its dimensions permuted and some signs flipped, both derived from `seed`.
fn mixed(v: Vector, seed: u64) -> Vector {
    let mut order: Vec<(u64, usize)> =
        (0..VECTOR_DIMS).map(|d| (xxh3_64_with_seed(&(d as u64).to_le_bytes(), seed), d)).collect();
    order.sort_unstable();
    let mut out = Vector::ZERO;
    for (to, &(hash, from)) in order.iter().enumerate() {
        out.0[to] = if hash & 1 == 1 { -v.0[from] } else { v.0[from] };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_pairs_sit_on_the_threshold_for_every_theta() {
        for percent in 1..=100 {
            let threshold = Threshold::new(percent).unwrap();
            let (theta, p) = (i64::from(percent), planted(threshold, u64::from(percent)));
            let (na, nat) = (i64::from(p.a.norm()), i64::from(p.at.norm()));
            let dot = i64::from(p.a.dot(&p.at));
            assert_eq!(10_000 * dot * dot, theta * theta * na * nat, "θ = {percent}");
            assert!(threshold.passes(p.a.dot(&p.at), p.a.norm(), p.at.norm()));
            assert!(!threshold.passes(p.a.dot(&p.below), p.a.norm(), p.below.norm()), "θ = {percent}");
            match p.above {
                Some(above) => {
                    let dot = i64::from(p.a.dot(&above));
                    assert!(10_000 * dot * dot > theta * theta * na * i64::from(above.norm()), "θ = {percent}");
                }
                None => assert_eq!(percent, 100),
            }
        }
    }

    #[test]
    fn seeds_move_dimensions_and_signs_but_keep_the_geometry() {
        let threshold = Threshold::default();
        let (one, other) = (planted(threshold, 1), planted(threshold, 2));
        assert_ne!(one.a, other.a);
        assert!(one.a.0.iter().any(|&x| x < 0) || other.a.0.iter().any(|&x| x < 0));
        assert_eq!((one.a.dot(&one.at), one.a.norm()), (other.a.dot(&other.at), other.a.norm()));
    }
}
