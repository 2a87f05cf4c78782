//! The CPU implementation of [`SimilarityJoin`]: a shard's residents in a [`ResidentStore`], each
//! batch's removed and inserted vectors joined against the residents that stay in one pass of the
//! blocked kernel scan, and each side within itself with the size-band self-join (ARCHITECTURE §4a).

use super::blocked::{self, Rows};
use super::contract::{score, JoinParams, Pair, PairDelta, UnitKey};
use super::interface::{consolidate_by_sign, Batch, JoinError, SimilarityJoin};
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

    /// Appends the pairs of the `changes` with the residents outside the sorted slots `excluded`
    /// (the residents that stay), in one pass over them: the first `removed` changes leave (diff
    /// −1), the others arrive (+1), and those marked in `kept` also leave (their entry is the one
    /// they replace: a unit changed in all but its vector keeps its pairs, retracted and inserted).
    fn join_with_residents(
        &self,
        (changes, removed, kept): (&[Entry], usize, &[bool]),
        excluded: &[usize],
        deltas: &mut Vec<PairDelta>,
    ) {
        let rows = Rows::new(changes.iter().map(|e| e.vector).collect());
        let residents = self.store.rows();
        let all_slots = 0..residents.len();
        let ratio = self.params.size_ratio;
        blocked::scan(
            self.kernel,
            self.params.threshold,
            &rows,
            residents,
            |_| all_slots.clone(),
            |change, slot, dot| {
                let (entry, resident) = (&changes[change], self.store.entry(slot));
                if excluded.binary_search(&slot).is_err() && ratio.admits(entry.size, resident.size) {
                    let pair = Pair::new(entry.key, resident.key, score(dot, rows.norm(change), residents.norm(slot)));
                    if change < removed || kept[change] {
                        deltas.push((pair, -1));
                    }
                    if change >= removed {
                        deltas.push((pair, 1));
                    }
                }
            },
        );
    }

    /// Appends `(pair, diff)` for every pair within `entries` whose smaller key this shard owns.
    fn join_within(&self, entries: &[Entry], diff: i64, deltas: &mut Vec<PairDelta>) {
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
        let mut leaving: Vec<usize> = batch.removed.iter().filter_map(|e| self.store.slot_of(e.key)).collect();
        leaving.sort_unstable();
        // Removed and inserted vectors both meet the residents that stay (K = A − R): one pass,
        // in which an entry removed and inserted unchanged is scanned once.
        let unchanged: HashSet<&Entry> = match batch.removed.is_empty() {
            true => HashSet::new(),
            false => {
                let removed: HashSet<&Entry> = batch.removed.iter().collect();
                batch.inserted.iter().filter(|e| removed.contains(e)).collect()
            }
        };
        let replaced: Vec<Entry> = batch.removed.iter().filter(|e| !unchanged.contains(e)).copied().collect();
        let changes: Vec<Entry> = replaced.iter().chain(&batch.inserted).copied().collect();
        let kept: Vec<bool> =
            changes.iter().enumerate().map(|(i, e)| i >= replaced.len() && unchanged.contains(e)).collect();
        let mut deltas = Vec::new();
        self.join_with_residents((&changes, replaced.len(), &kept), &leaving, &mut deltas);
        self.join_within(&batch.removed, -1, &mut deltas);
        self.join_within(&batch.inserted, 1, &mut deltas);
        for entry in &batch.removed {
            self.store.remove(entry.key);
        }
        for entry in batch.inserted.iter().filter(|e| self.shard.owns(e.key)) {
            self.store.insert(entry);
        }
        consolidate_by_sign(&mut deltas);
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
