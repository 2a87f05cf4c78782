//! The CPU implementation of [`SimilarityJoin`]: a shard's residents in a [`ResidentStore`], each
//! batch joined against them with the blocked kernel scan, and within itself with the size-band
//! self-join, retractions first (ARCHITECTURE §4a).

use super::blocked::{self, Rows};
use super::contract::{score, JoinParams, Pair, PairDelta, UnitKey};
use super::interface::{consolidate, Batch, JoinError, SimilarityJoin};
use super::kernel::Kernel;
use super::self_join::band_join;
use super::shard::Shard;
use super::store::ResidentStore;
use super::validate::{check_batch, check_insertions};
use super::vector::Entry;
use std::collections::HashSet;

/// The CPU similarity join of one shard.
#[derive(Clone, Debug)]
pub struct CpuJoin {
    params: JoinParams,
    shard: Shard,
    kernel: Kernel,
    store: ResidentStore,
}

impl CpuJoin {
    /// An empty join of `shard` with `params`, computing dot products with `kernel`.
    pub fn new(params: JoinParams, shard: Shard, kernel: Kernel) -> CpuJoin {
        CpuJoin { params, shard, kernel, store: ResidentStore::default() }
    }

    /// Refuses what [`SimilarityJoin::apply`] must not apply (see [`super::validate`]).
    pub(crate) fn check(&self, batch: &Batch) -> Result<(), JoinError> {
        check_batch(&self.store, self.shard, batch)
    }

    /// Refuses keys twice among `inserted`, and owned keys that are resident and not in `removed`.
    pub(crate) fn check_insertions(&self, inserted: &[Entry], removed: &HashSet<UnitKey>) -> Result<(), JoinError> {
        check_insertions(&self.store, self.shard, inserted, removed)
    }

    /// Appends `(pair, diff)` for every pair of `entries` with a resident outside the sorted slots
    /// `excluded`, and for every pair within `entries` whose smaller key this shard owns.
    fn join_changes(&self, entries: &[Entry], excluded: &[usize], diff: i64, deltas: &mut Vec<PairDelta>) {
        let changes = Rows::new(entries.iter().map(|e| e.vector).collect());
        let residents = self.store.rows();
        let all_slots = 0..residents.len();
        let ratio = self.params.size_ratio;
        blocked::scan(
            self.kernel,
            self.params.threshold,
            &changes,
            residents,
            |_| all_slots.clone(),
            |change, slot, dot| {
                let (entry, resident) = (&entries[change], self.store.entry(slot));
                if excluded.binary_search(&slot).is_err() && ratio.admits(entry.size, resident.size) {
                    let score = score(dot, changes.norm(change), residents.norm(slot));
                    deltas.push((Pair::new(entry.key, resident.key, score), diff));
                }
            },
        );
        band_join(self.kernel, self.params, entries, |x, y, score| {
            if self.shard.owns_pair(x.key, y.key) {
                deltas.push((Pair::new(x.key, y.key, score), diff));
            }
        });
    }
}

impl SimilarityJoin for CpuJoin {
    fn apply(&mut self, batch: &Batch) -> Result<Vec<PairDelta>, JoinError> {
        self.check(batch)?;
        let mut deltas = Vec::new();
        let mut leaving: Vec<usize> = batch.removed.iter().filter_map(|e| self.store.slot_of(e.key)).collect();
        leaving.sort_unstable();
        self.join_changes(&batch.removed, &leaving, -1, &mut deltas);
        for entry in &batch.removed {
            self.store.remove(entry.key);
        }
        self.join_changes(&batch.inserted, &[], 1, &mut deltas);
        for entry in batch.inserted.iter().filter(|e| self.shard.owns(e.key)) {
            self.store.insert(entry);
        }
        consolidate(&mut deltas);
        Ok(deltas)
    }

    fn restore(&mut self, entries: &[Entry]) -> Result<(), JoinError> {
        self.check_insertions(entries, &HashSet::new())?;
        for entry in entries.iter().filter(|e| self.shard.owns(e.key)) {
            self.store.insert(entry);
        }
        Ok(())
    }

    fn resident(&self) -> usize {
        self.store.len()
    }
}
