//! The incremental join on several threads: one [`CpuJoin`] per [`Shard`], each batch applied by
//! every shard on its own thread (the batch broadcast, as a dataflow does over workers) and their
//! deltas merged. The deltas are those of one unsharded join, whatever the thread count.

use super::contract::{JoinParams, PairDelta};
use super::cpu::CpuJoin;
use super::interface::{consolidate_by_sign, Batch, JoinError, SimilarityJoin};
use super::kernel::Kernel;
use super::shard::Shard;
use super::vector::Entry;
use std::collections::HashSet;

/// A [`SimilarityJoin`] whose shards run on threads of their own.
#[derive(Clone, Debug)]
pub struct ThreadedJoin {
    shards: Vec<CpuJoin>,
}

impl ThreadedJoin {
    /// An empty join of `threads` shards (at least one) with `params`, computing with `kernel`.
    pub fn new(params: JoinParams, threads: u32, kernel: Kernel) -> ThreadedJoin {
        let count = threads.max(1);
        let shards = (0..count).filter_map(|i| Shard::new(i, count)).map(|s| CpuJoin::new(params, s, kernel)).collect();
        ThreadedJoin { shards }
    }

    /// Runs `work` on every shard, each on its own thread, and returns the results in shard order.
    fn on_every_shard<T: Send>(&mut self, work: impl Fn(&mut CpuJoin) -> T + Sync) -> Vec<T> {
        let work = &work;
        std::thread::scope(|scope| {
            let handles: Vec<_> = self.shards.iter_mut().map(|join| scope.spawn(move || work(join))).collect();
            handles.into_iter().map(|h| h.join().expect("a shard's thread does not panic")).collect()
        })
    }
}

impl SimilarityJoin for ThreadedJoin {
    fn apply(&mut self, batch: &Batch) -> Result<Vec<PairDelta>, JoinError> {
        // Every shard checks before any applies, so that a refused batch changes no shard.
        self.shards.iter().try_for_each(|join| join.check(batch))?;
        let mut deltas = Vec::new();
        for shard_deltas in self.on_every_shard(|join| join.apply(batch)) {
            deltas.extend(shard_deltas?);
        }
        consolidate_by_sign(&mut deltas);
        Ok(deltas)
    }

    fn restore(&mut self, entries: &[Entry]) -> Result<(), JoinError> {
        let none_removed = HashSet::new();
        self.shards.iter().try_for_each(|join| join.check_insertions(entries, &none_removed))?;
        self.on_every_shard(|join| join.restore(entries)).into_iter().collect()
    }

    fn resident(&self) -> usize {
        self.shards.iter().map(CpuJoin::resident).sum()
    }
}
