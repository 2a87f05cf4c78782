//! A memo of token-check verdicts ([`LcsRatio::share`]) keyed by the two units' structural hashes.
//!
//! A unit's token sequence is a function of its structural hash (both are taken over the same
//! tokens, the hash from their full 64-bit structural values, the sequence from those values cut
//! to 32 bits), so the verdict on a pair is a function of the two hashes. The dataflow checks a
//! pair again whenever either unit's row changes, and most changes leave the tokens alone: a
//! function above them grew, so their lines moved; a file was renamed; a retraction withdraws a
//! verdict given earlier. A replay of a long history or a watch checks the same pairs over and
//! over; this memo answers those from memory. It holds at most two generations of `capacity`
//! verdicts: when the newer one fills, the older is dropped, so memory stays bounded and the
//! verdicts still in use survive.

use super::verify::{LcsRatio, TokenHasher};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Verdicts by the pair of structural hashes, smaller first.
type Verdicts = HashMap<(u64, u64), Option<u8>, BuildHasherDefault<TokenHasher>>;

/// A bounded memo of one ratio's verdicts.
#[derive(Debug)]
pub struct VerdictMemo {
    ratio: LcsRatio,
    capacity: usize,
    newer: Verdicts,
    older: Verdicts,
}

impl VerdictMemo {
    /// The verdicts kept per generation by [`VerdictMemo::new`]: about 20 MiB each.
    pub const DEFAULT_CAPACITY: usize = 1 << 19;

    /// An empty memo of `ratio`'s verdicts holding up to two generations of `capacity` each.
    pub fn new(ratio: LcsRatio, capacity: usize) -> VerdictMemo {
        VerdictMemo { ratio, capacity: capacity.max(1), newer: Verdicts::default(), older: Verdicts::default() }
    }

    /// [`LcsRatio::share`] of `a` and `b`, each given as (structural hash, token sequence).
    pub fn share(&mut self, a: (u64, &[u32]), b: (u64, &[u32])) -> Option<u8> {
        let key = (a.0.min(b.0), a.0.max(b.0));
        if let Some(&verdict) = self.newer.get(&key) {
            return verdict;
        }
        let verdict = match self.older.get(&key) {
            Some(&verdict) => verdict,
            None => self.ratio.share(a.1, b.1),
        };
        if self.newer.len() == self.capacity {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(key, verdict);
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A stand-in for the structural hash: the sequence's own hash.
    fn hashed(tokens: &[u32]) -> (u64, &[u32]) {
        (xxhash_rust::xxh3::xxh3_64(&tokens.iter().flat_map(|t| t.to_le_bytes()).collect::<Vec<_>>()), tokens)
    }

    proptest! {
        #[test]
        fn the_memo_answers_as_the_ratio_does_at_any_capacity(
            sequences in prop::collection::vec(prop::collection::vec(0u32..4, 0..40), 2..8),
            pairs in prop::collection::vec((0usize..8, 0usize..8), 1..60),
            capacity in 1usize..6,
        ) {
            let ratio = LcsRatio::default();
            let mut memo = VerdictMemo::new(ratio, capacity);
            for (i, j) in pairs {
                let (a, b) = (&sequences[i % sequences.len()], &sequences[j % sequences.len()]);
                prop_assert_eq!(memo.share(hashed(a), hashed(b)), ratio.share(a, b));
                prop_assert!(memo.newer.len() <= capacity && memo.older.len() <= capacity);
            }
        }
    }
}
