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
use std::collections::{HashMap, HashSet};

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
    /// (the residents that stay), in one pass over them, with the diffs each [`Change`] gives.
    fn join_with_residents(&self, changes: &[(Entry, Change)], excluded: &[usize], deltas: &mut Vec<PairDelta>) {
        let rows = Rows::new(changes.iter().map(|(e, _)| e.vector).collect());
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
                let ((entry, how), resident) = (&changes[change], self.store.entry(slot));
                if excluded.binary_search(&slot).is_err() && ratio.admits(entry.size, resident.size) {
                    let pair = Pair::new(entry.key, resident.key, score(dot, rows.norm(change), residents.norm(slot)));
                    deltas.extend(how.diffs().iter().map(|&diff| (pair, diff)));
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

/// What one of a batch's entries does to its pairs with the residents that stay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    /// Removed: its pairs are retracted.
    Leaves,
    /// Inserted: its pairs are inserted.
    Arrives,
    /// Removed and inserted unchanged (the unit changed in all but its vector): its pairs are
    /// retracted and inserted again.
    Stays,
}

impl Change {
    /// The diffs of each of its pairs.
    fn diffs(self) -> &'static [i64] {
        match self {
            Change::Leaves => &[-1],
            Change::Arrives => &[1],
            Change::Stays => &[-1, 1],
        }
    }
}

impl SimilarityJoin for CpuJoin {
    fn apply(&mut self, batch: &Batch) -> Result<Vec<PairDelta>, JoinError> {
        self.check(batch)?;
        let mut leaving: Vec<usize> = batch.removed.iter().filter_map(|e| self.store.slot_of(e.key)).collect();
        leaving.sort_unstable();
        // Removed and inserted vectors both meet the residents that stay (K = A − R): one pass,
        // in which an entry removed and inserted unchanged is scanned once.
        let mut changes: Vec<(Entry, Change)> = batch.removed.iter().map(|e| (*e, Change::Leaves)).collect();
        let removed: HashMap<Entry, usize> = changes.iter().enumerate().map(|(i, (e, _))| (*e, i)).collect();
        for entry in &batch.inserted {
            match removed.get(entry) {
                Some(&i) => changes[i].1 = Change::Stays,
                None => changes.push((*entry, Change::Arrives)),
            }
        }
        let mut deltas = Vec::new();
        self.join_with_residents(&changes, &leaving, &mut deltas);
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
