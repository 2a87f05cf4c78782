//! Cosine similarity of int8 characteristic vectors in integer arithmetic only (ARCHITECTURE §4a),
//! so that every machine and kernel agrees to the last digit. Quantised vectors are not unit-norm:
//! `cos(a, b) ≥ p/100` is tested as `dot ≥ 0 ∧ 10000·dot² ≥ p²·|a|²·|b|²` in 64-bit integers
//! (a dot product of two 128-dim int8 vectors is below 2^22, so its square times 10⁴ fits).

/// The cosine similarity of `a` and `b` in whole percent, rounded down: the largest `p ≤ 100`
/// with `dot ≥ 0 ∧ 10000·dot² ≥ p²·|a|²·|b|²`; 0 when either vector is zero or they point apart.
pub fn similarity_percent(a: &[i8], b: &[i8]) -> u8 {
    let dot = |x: &[i8], y: &[i8]| -> i64 { x.iter().zip(y).map(|(&p, &q)| i64::from(p) * i64::from(q)).sum() };
    let (ab, aa, bb) = (dot(a, b), dot(a, a), dot(b, b));
    if ab <= 0 || aa == 0 || bb == 0 {
        return 0;
    }
    // p² ≤ 10000·ab² / (aa·bb) ⟺ p² ≤ ⌊10000·ab² / (aa·bb)⌋, p² being an integer.
    let bound = (10_000 * ab * ab) / (aa * bb);
    u8::try_from(bound.unsigned_abs().isqrt().min(100)).unwrap_or(100)
}

#[cfg(test)]
mod tests {
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
