//! Sharding the similarity join over workers (ARCHITECTURE §4, §4a).
//!
//! A unit's vector lives on shard `key mod shards` (the key read as u64). Timely's exchange pact
//! routes a record hashed `h` to worker `h mod peers`, so with one shard per worker,
//! `Exchange::new(|e: &Entry| e.key as u64)` sends each vector to the worker that owns it.
//!
//! How a dataflow operator uses it, per time in time order:
//! 1. The batch of changed vectors (removed entries with their old vectors, inserted entries) is
//!    **broadcast** to every worker: each holds only its own shard's residents, and every changed
//!    vector must meet all of them.
//! 2. Each worker runs [`SimilarityJoin::apply`](super::SimilarityJoin::apply) with its
//!    [`Shard`]: the broadcast batch is joined against the shard's residents (`ΔA ⋈ A_old`, an
//!    exact partition of the work), and `ΔA ⋈ ΔA` is computed by every worker but emitted only by
//!    the shard that owns the pair's smaller key, so each pair is emitted once in all.
//! 3. The worker then keeps the inserted entries it owns and drops the removed ones it owns.
//!
//! The union of the workers' deltas is then exactly the unsharded join's, whatever the shard count.

use super::contract::UnitKey;

/// One shard of a join: `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Shard `index` of `count`; `None` unless `index < count`.
    pub fn new(index: u32, count: u32) -> Option<Shard> {
        (index < count).then_some(Shard { index, count })
    }

    /// The one shard of an unsharded join.
    pub fn whole() -> Shard {
        Shard { index: 0, count: 1 }
    }

    /// The shard that holds `key`'s vector, among `count`: `key mod count`, the key read as u64.
    pub fn of(key: UnitKey, count: u32) -> u32 {
        (key as u64 % u64::from(count)) as u32
    }

    /// True when this shard holds `key`'s vector.
    pub fn owns(self, key: UnitKey) -> bool {
        Shard::of(key, self.count) == self.index
    }

    /// True when this shard emits the pair of two changed vectors: it owns the smaller key.
    pub fn owns_pair(self, a: UnitKey, b: UnitKey) -> bool {
        self.owns(a.min(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_and_pair_has_exactly_one_owner() {
        let keys = [i64::MIN, -7, -1, 0, 1, 6, 13, i64::MAX];
        for count in 1..=5 {
            let shards: Vec<Shard> = (0..count).map(|i| Shard::new(i, count).unwrap()).collect();
            for &a in &keys {
                assert_eq!(shards.iter().filter(|s| s.owns(a)).count(), 1);
                for &b in &keys {
                    assert_eq!(shards.iter().filter(|s| s.owns_pair(a, b)).count(), 1);
                }
            }
        }
        assert_eq!(Shard::of(-1, 3), (u64::MAX % 3) as u32);
        assert_eq!(Shard::new(3, 3), None);
        assert_eq!(Shard::new(0, 1), Some(Shard::whole()));
    }
}
