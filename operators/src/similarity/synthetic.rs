//! Synthetic join inputs with known answers: random int8 vectors, a share of them perturbed copies
//! of others that stay above the threshold (planted near-duplicates). Everything is derived from a
//! seed with xxh3, so a seed always gives the same entries.
//!
//! Random vectors of D = 128 uniform components are nearly orthogonal (their cosine has a standard
//! deviation of about 1/√128 ≈ 0.09), so at any usual θ the pairs of the join are the planted ones.

use super::contract::{Threshold, UnitKey};
use super::vector::{Entry, Vector};
use crate::model::VECTOR_DIMS;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Components a perturbation moves at first (fewer if the copy would fall below the threshold).
const PERTURBED_COMPONENTS: usize = 8;

/// Sizes (tokens) of the synthetic units: `MIN_SIZE` up to `MIN_SIZE + SIZE_SPREAD − 1`.
const MIN_SIZE: u32 = 50;
const SIZE_SPREAD: u64 = 450;

/// Generated entries and the pairs planted among them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Synthetic {
    /// Keys `0..count`, originals first, then the copies.
    pub entries: Vec<Entry>,
    /// `(original, copy)` keys of each planted near-duplicate.
    pub planted: Vec<(UnitKey, UnitKey)>,
}

/// A deterministic stream of 64-bit values: the xxh3 of a counter under a seed.
struct Stream {
    seed: u64,
    next: u64,
}

impl Stream {
    fn value(&mut self) -> u64 {
        self.next += 1;
        xxh3_64_with_seed(&self.next.to_le_bytes(), self.seed)
    }

    /// A component in −127..=127.
    fn component(&mut self) -> i8 {
        ((self.value() % 255) as i16 - 127) as i8
    }
}

/// `count` entries of which `near_duplicate_percent` % (rounded down, at most half) are copies of
/// an original with a few components moved, each still passing `threshold` with it. A copy has
/// its original's size, so it passes any size ratio too.
pub fn generate(count: usize, near_duplicate_percent: u8, threshold: Threshold, seed: u64) -> Synthetic {
    let copies = (count * usize::from(near_duplicate_percent.min(50)) / 100).min(count / 2);
    let originals = count - copies;
    let mut stream = Stream { seed, next: 0 };
    let mut entries: Vec<Entry> = (0..originals)
        .map(|key| Entry {
            key: key as UnitKey,
            size: MIN_SIZE + (stream.value() % SIZE_SPREAD) as u32,
            vector: Vector(std::array::from_fn(|_| stream.component())),
        })
        .collect();
    let mut planted = Vec::with_capacity(copies);
    for copy in 0..copies {
        let original = entries[copy];
        let key = (originals + copy) as UnitKey;
        entries.push(Entry { key, size: original.size, vector: perturb(&original.vector, threshold, stream.value()) });
        planted.push((original.key, key));
    }
    Synthetic { entries, planted }
}

/// `vector` with some components moved by −8..=7 (chosen by `seed`), as many as keep it at
/// `threshold` or above (none in the worst case: an exact copy): a near-duplicate, or a unit after
/// a small edit.
pub fn perturb(vector: &Vector, threshold: Threshold, seed: u64) -> Vector {
    let mut stream = Stream { seed, next: 0 };
    (0..=PERTURBED_COMPONENTS)
        .rev()
        .map(|moved| {
            let mut copy = *vector;
            for _ in 0..moved {
                let dim = (stream.value() % VECTOR_DIMS as u64) as usize;
                let step = (stream.value() % 16) as i16 - 8;
                copy.0[dim] = (i16::from(copy.0[dim]) + step).clamp(-127, 127) as i8;
            }
            copy
        })
        .find(|copy| threshold.passes(vector.dot(copy), vector.norm(), copy.norm()))
        .unwrap_or(*vector)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::{join_all, JoinParams, Kernel};

    #[test]
    fn the_same_seed_gives_the_same_entries_and_the_join_finds_exactly_the_planted_pairs() {
        let threshold = Threshold::default();
        let synthetic = generate(2000, 10, threshold, 7);
        assert_eq!(synthetic, generate(2000, 10, threshold, 7));
        assert_ne!(synthetic.entries, generate(2000, 10, threshold, 8).entries);
        assert_eq!(synthetic.planted.len(), 200);
        let params = JoinParams { threshold, ..JoinParams::default() };
        let (pairs, _) = join_all(Kernel::detect(), params, &synthetic.entries).unwrap();
        let found: Vec<(UnitKey, UnitKey)> = pairs.iter().map(|p| (p.a, p.b)).collect();
        assert_eq!(found, synthetic.planted);
        assert!(synthetic.entries.iter().zip(&synthetic.entries[1800..]).all(|(o, c)| o.vector != c.vector));
    }
}
