//! The similarity-join operator (ARCHITECTURE §4a): unit vectors in as a changing collection, the
//! pairs that pass the contract out, as a changing collection at the same times.
//!
//! Every change is broadcast to every worker, and each worker holds a join of its own [`Shard`] of
//! the resident vectors, built by the process's [`JoinBackend`] (CPU or GPU, the same pairs) (see `cpt_operators::similarity::shard`). A worker buffers the
//! changes by time; once the input frontier has passed a time, it consolidates that time's changes
//! (a changed unit is its old entry retracted and its new one inserted), applies them as one
//! [`Batch`] and emits the pair deltas at that time. Times are applied strictly in order, so each
//! batch meets the resident set as the time before left it, and the union of the workers' deltas
//! is the unsharded join's whatever the number of workers.
//!
//! A resumed job feeds its whole state at its durable time T (ARCHITECTURE §6); the join's pairs at
//! T are in the durable output already. At T every worker therefore makes its shard of the vectors
//! resident without joining them, and the pairs read back from the output's `similar_pairs` are
//! emitted instead ([`RestoredPairs`], given to one worker): a restart never redoes the O(N²) join.
//! They are emitted a share at a time ([`RESTORED_PER_ACTIVATION`]), so that the operators after
//! this one take each share in before the next comes, and millions of pairs are never queued whole
//! between them.

use crate::failure::JobFailure;
use cpt_operators::similarity::{Batch, Entry, JoinBackend, JoinParams, Pair, Shard, SimilarityJoin, UnitKey, Vector};
use differential_dataflow::consolidation::consolidate;
use differential_dataflow::{AsCollection, VecCollection};
use std::collections::BTreeMap;
use std::sync::Arc;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::Capability;

/// A unit as the join takes it: key, size in tokens, and its int8 vector.
pub type VectorRecord = (UnitKey, u32, Vec<i8>);

/// Unit vectors, at most one per key at any time.
pub type Vectors<'s> = VecCollection<'s, u64, VectorRecord, i64>;

/// The pairs of those vectors that pass the contract, `a < b` with their score.
pub type Pairs<'s> = VecCollection<'s, u64, Pair, i64>;

/// The join's output at a resumed job's durable time, read back from the output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoredPairs {
    /// The durable time, at which the state is fed again.
    pub time: u64,
    /// The pairs this worker emits at that time (all of them on one worker, none on the others).
    pub pairs: Vec<Pair>,
}

/// The changes of one time not yet applied, and the capability to emit that time's pair deltas.
type Pending = (Capability<u64>, Vec<(VectorRecord, i64)>);

/// How many restored pairs one activation of the operator emits.
pub const RESTORED_PER_ACTIVATION: usize = 1 << 18;

/// Restored pairs not yet emitted, and the capability of their time.
type Draining = (Capability<u64>, std::vec::IntoIter<Pair>);

/// The similar pairs of `vectors` under `params`, maintained time by time by joins of `backend`;
/// at the time of `restored`, its pairs stand for the join's. A time whose changes the join
/// refuses (a key twice, a retraction of a vector never inserted, device memory past its limit)
/// is recorded in `failure` and leaves the pairs as they were.
pub fn similar_pairs<'s>(
    vectors: Vectors<'s>,
    params: JoinParams,
    backend: JoinBackend,
    mut restored: Option<RestoredPairs>,
    failure: Arc<JobFailure>,
) -> Pairs<'s> {
    let scope = vectors.inner.scope();
    let shard = Shard::new(scope.index() as u32, scope.peers() as u32).expect("a worker's index is below the peers");
    vectors
        .inner
        .broadcast()
        .unary_frontier(Pipeline, "SimilarityJoin", move |_capability, info| {
            let activator = scope.activator_for(info.address);
            let mut join = backend.join(params, shard).map_err(|e| e.to_string());
            let mut pending: BTreeMap<u64, Pending> = BTreeMap::new();
            let mut draining: Option<Draining> = None;
            move |(input, frontier), output| {
                input.for_each(|capability, data| {
                    for (record, time, diff) in data.drain(..) {
                        let (_, changes) =
                            pending.entry(time).or_insert_with(|| (capability.delayed(&time, 0), Vec::new()));
                        changes.push((record, diff));
                    }
                });
                let frontier = frontier.frontier();
                while let Some(ready) = pending.first_entry().filter(|entry| !frontier.less_equal(entry.key())) {
                    let (time, (capability, changes)) = ready.remove_entry();
                    let restoring = restored.take_if(|restored| restored.time == time);
                    let applied = join.as_mut().map_err(|why| why.clone()).and_then(|join| {
                        let batch = batch_of(changes)?;
                        match restoring {
                            None => join.apply(&batch).map_err(|e| e.to_string()),
                            Some(restored) => {
                                restore(join.as_mut(), &batch, restored.pairs.len())?;
                                draining = Some((capability.clone(), restored.pairs.into_iter()));
                                Ok(Vec::new())
                            }
                        }
                    });
                    match applied {
                        Ok(deltas) => output
                            .session(&capability)
                            .give_iterator(deltas.into_iter().map(|(pair, diff)| (pair, time, diff))),
                        Err(why) => {
                            failure.record(format!("the similarity join refused the changes at time {time}: {why}"))
                        }
                    }
                }
                if let Some((capability, pairs)) = draining.as_mut() {
                    let time = *capability.time();
                    let share = pairs.by_ref().take(RESTORED_PER_ACTIVATION).map(|pair| (pair, time, 1));
                    output.session(capability).give_iterator(share);
                    match pairs.len() {
                        0 => draining = None,
                        _ => activator.activate(),
                    }
                }
            }
        })
        .as_collection()
}

/// Makes the vectors of `batch` resident without joining them, at a time whose `restored` pairs
/// (the join's output then, read back from the output) are emitted instead. The state of a durable
/// time is all insertions.
fn restore(join: &mut dyn SimilarityJoin, batch: &Batch, restored: usize) -> Result<(), String> {
    if let Some(removed) = batch.removed.first() {
        return Err(format!("the restored state retracts the vector of unit key {}", removed.key));
    }
    join.restore(&batch.inserted).map_err(|e| e.to_string())?;
    tracing::info!("{} vectors made resident, {restored} similar pairs restored from the output", batch.inserted.len());
    Ok(())
}

/// The batch of one time's changes: consolidated, each retracted record removed and each added
/// one inserted. A record whose diff is neither 1 nor −1 is refused (a key is held at most once).
fn batch_of(mut changes: Vec<(VectorRecord, i64)>) -> Result<Batch, String> {
    consolidate(&mut changes);
    let mut batch = Batch::default();
    for ((key, size, components), diff) in changes {
        let vector = Vector::from_slice(&components)
            .ok_or_else(|| format!("unit key {key} has a vector of {} dimensions", components.len()))?;
        let entry = Entry { key, size, vector };
        match diff {
            1 => batch.inserted.push(entry),
            -1 => batch.removed.push(entry),
            _ => return Err(format!("unit key {key} changes by {diff} at once")),
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpt_operators::model::VECTOR_DIMS;
    use differential_dataflow::input::Input;
    use std::cell::RefCell;
    use std::rc::Rc;
    use timely::dataflow::operators::probe::Handle;

    /// A restart's restored pairs come out whole at their time, however many activations that
    /// takes, and the join goes on from the vectors made resident then.
    #[test]
    fn restored_pairs_come_out_whole_and_the_join_goes_on_after_them() {
        let count = RESTORED_PER_ACTIVATION * 2 + 7;
        let restored: Vec<Pair> = (0..count as i64).map(|k| Pair { a: -k - 1, b: k, score: 950 }).collect();
        let mut expected: Vec<(Pair, u64, i64)> = restored.iter().map(|&pair| (pair, 0, 1)).collect();
        expected.sort_unstable();
        let seen = timely::execute_directly(move |worker| {
            let seen = Rc::new(RefCell::new(Vec::new()));
            let (sink, probe) = (Rc::clone(&seen), Handle::new());
            let mut input = worker.dataflow::<u64, _, _>(|scope| {
                let (input, vectors) = scope.new_collection::<VectorRecord, i64>();
                let restored = Some(RestoredPairs { time: 0, pairs: restored });
                similar_pairs(vectors, JoinParams::default(), JoinBackend::Cpu, restored, Arc::default())
                    .inspect(move |update| sink.borrow_mut().push(*update))
                    .probe_with(&probe);
                input
            });
            input.update((1_000_000, 50, vec![3; VECTOR_DIMS]), 1);
            input.advance_to(1);
            input.update((2_000_000, 50, vec![3; VECTOR_DIMS]), 1);
            input.close();
            while !probe.done() {
                worker.step();
            }
            seen.take()
        });
        let (at_restore, after): (Vec<_>, Vec<_>) = seen.into_iter().partition(|(_, time, _)| *time == 0);
        let mut at_restore = at_restore;
        at_restore.sort_unstable();
        assert!(at_restore == expected, "{} updates at the restored time, {count} pairs restored", at_restore.len());
        assert!(
            matches!(after.as_slice(), [(Pair { a: 1_000_000, b: 2_000_000, .. }, 1, 1)]),
            "after the restore: {after:?}"
        );
    }
}
