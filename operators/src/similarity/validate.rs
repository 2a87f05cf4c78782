//! The checks every join runs before it applies a batch (ARCHITECTURE §4a): keys at most once on
//! each side, removals that match a resident entry of the shard, insertions of keys that do not
//! stay resident. A refused batch leaves the join as it was.

use super::interface::{Batch, JoinError};
use super::shard::Shard;
use super::store::ResidentStore;
use super::vector::Entry;
use super::UnitKey;
use std::collections::HashSet;

/// Refuses what [`SimilarityJoin::apply`](super::SimilarityJoin::apply) must not apply to the
/// residents `store` of `shard`.
pub(crate) fn check_batch(store: &ResidentStore, shard: Shard, batch: &Batch) -> Result<(), JoinError> {
    let mut removed = HashSet::with_capacity(batch.removed.len());
    for entry in &batch.removed {
        if !removed.insert(entry.key) {
            return Err(JoinError::DuplicateKey(entry.key));
        }
        if shard.owns(entry.key) {
            let slot = store.slot_of(entry.key).ok_or(JoinError::NotResident(entry.key))?;
            if store.entry(slot) != *entry {
                return Err(JoinError::RemovedMismatch(entry.key));
            }
        }
    }
    check_insertions(store, shard, &batch.inserted, &removed)
}

/// Refuses keys twice among `inserted`, and keys of `shard` that are resident and not in `removed`.
pub(crate) fn check_insertions(
    store: &ResidentStore,
    shard: Shard,
    inserted: &[Entry],
    removed: &HashSet<UnitKey>,
) -> Result<(), JoinError> {
    let mut keys = HashSet::with_capacity(inserted.len());
    for entry in inserted {
        if !keys.insert(entry.key) {
            return Err(JoinError::DuplicateKey(entry.key));
        }
        if shard.owns(entry.key) && store.slot_of(entry.key).is_some() && !removed.contains(&entry.key) {
            return Err(JoinError::AlreadyResident(entry.key));
        }
    }
    Ok(())
}
