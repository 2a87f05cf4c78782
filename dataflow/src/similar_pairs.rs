//! The similarity-join operator (ARCHITECTURE §4a): unit vectors with their sides in as a changing
//! collection; out, at the same times, the pairs that pass the contract and those of them that
//! pass a check of their two sides (the token check of near-miss clones).
//!
//! Every change is broadcast to every worker, and each worker holds a join of its own [`Shard`] of
//! the resident vectors, built by the process's [`JoinBackend`] (CPU or GPU, the same pairs) (see
//! `cpt_operators::similarity::shard`), and the sides of those residents. A worker buffers the
//! changes by time; once the input frontier has passed a time, it consolidates that time's changes
//! (a changed unit is its old record retracted and its new one inserted), applies them as one
//! [`Batch`] and emits the pair deltas at that time. Times are applied strictly in order, so each
//! batch meets the resident set as the time before left it, and the union of the workers' deltas
//! is the unsharded join's whatever the number of workers.
//!
//! Each pair delta is checked on the sides it is a delta of: a retraction on the units' sides
//! before the time, an insertion on those after it (the join keeps a pair that a changed unit
//! keeps as both, [`SimilarityJoin::apply`](cpt_operators::similarity::SimilarityJoin::apply)).
//! So the checked pairs are a function of the similar pairs and the sides at every time, and no
//! pair is held in memory downstream to be joined with its sides again.
//!
//! A resumed job feeds its whole state at its durable time T (ARCHITECTURE §6), whose pairs are
//! in the durable output already. At T every worker therefore makes its shard resident without
//! joining it: a restart never redoes the O(N²) join, nor any check. What holds state downstream
//! (clone classes) gets the checked pairs at T as links read back from the output instead
//! ([`RestoredLinks`], given to one worker), a share at a time ([`RESTORED_PER_ACTIVATION`]), so
//! that the operators after this one take each share in before the next comes.

use crate::failure::JobFailure;
use cpt_operators::similarity::{Batch, Entry, JoinBackend, JoinParams, Pair, Shard, SimilarityJoin, UnitKey, Vector};
use differential_dataflow::consolidation::consolidate;
use differential_dataflow::{AsCollection, ExchangeData, VecCollection};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::Capability;

/// A unit as the join takes it: key, size in tokens, its int8 vector, and its side (what the
/// check of its pairs reads).
pub type VectorRecord<S> = (UnitKey, u32, Vec<i8>, S);

/// Unit vectors, at most one per key at any time.
pub type Vectors<'s, S> = VecCollection<'s, u64, VectorRecord<S>, i64>;

/// What the operator emits.
#[derive(Clone, Debug)]
pub enum Joined<R> {
    /// A pair that passes the contract, `a < b` with its score (a row of `similar_pairs`).
    Similar(Pair),
    /// What the check made of a similar pair that passes it.
    Checked(R),
    /// A pair that passed the check at a resumed job's durable time, by its two keys.
    Restored(UnitKey, UnitKey),
}

/// The checked pairs at a resumed job's durable time, read back from the output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoredLinks {
    /// The durable time, at which the state is fed again.
    pub time: u64,
    /// The pairs this worker emits at that time (all of them on one worker, none on the others).
    pub links: Vec<(UnitKey, UnitKey)>,
}

/// The changes of one time not yet applied, and the capability to emit that time's deltas.
type Pending<S> = (Capability<u64>, Vec<(VectorRecord<S>, i64)>);

/// How many restored links one activation of the operator emits.
pub const RESTORED_PER_ACTIVATION: usize = 1 << 18;

/// Restored links not yet emitted, and the capability of their time.
type Draining = (Capability<u64>, std::vec::IntoIter<(UnitKey, UnitKey)>);

/// The similar pairs of `vectors` under `params`, maintained time by time by joins of `backend`,
/// and what `check` makes of each pair's two sides (smaller key first); at the time of `restored`,
/// its links stand for the checked pairs. A time whose changes the join refuses (a key twice, a
/// retraction of a vector never inserted, device memory past its limit) is recorded in `failure`
/// and leaves the pairs as they were.
pub fn similar_pairs<'s, S, R>(
    vectors: Vectors<'s, S>,
    params: JoinParams,
    backend: JoinBackend,
    mut restored: Option<RestoredLinks>,
    failure: Arc<JobFailure>,
    mut check: impl FnMut(Pair, &S, &S) -> Option<R> + 'static,
) -> VecCollection<'s, u64, Joined<R>, i64>
where
    S: ExchangeData,
    R: Clone + 'static,
{
    let scope = vectors.inner.scope();
    let shard = Shard::new(scope.index() as u32, scope.peers() as u32).expect("a worker's index is below the peers");
    vectors
        .inner
        .broadcast()
        .unary_frontier(Pipeline, "SimilarityJoin", move |_capability, info| {
            let activator = scope.activator_for(info.address);
            let mut join = backend.join(params, shard).map_err(|e| e.to_string());
            let mut sides: HashMap<UnitKey, S> = HashMap::new();
            let mut pending: BTreeMap<u64, Pending<S>> = BTreeMap::new();
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
                        let changes = Changes::of(changes)?;
                        let deltas = match restoring {
                            None => join.apply(&changes.batch).map_err(|e| e.to_string())?,
                            Some(restored) => {
                                restore(join.as_mut(), &changes.batch, restored.links.len())?;
                                draining = Some((capability.clone(), restored.links.into_iter()));
                                Vec::new()
                            }
                        };
                        // Given as they are checked: a time 0 has tens of millions of pairs.
                        let mut session = output.session(&capability);
                        for (pair, diff) in deltas {
                            session.give((Joined::Similar(pair), time, diff));
                            let side = |key| changes.side(key, diff).or_else(|| sides.get(&key));
                            let (Some(a), Some(b)) = (side(pair.a), side(pair.b)) else {
                                return Err(format!("no side of unit key {} or {} for their pair", pair.a, pair.b));
                            };
                            if let Some(checked) = check(pair, a, b) {
                                session.give((Joined::Checked(checked), time, diff));
                            }
                        }
                        drop(session);
                        changes.update(&mut sides, shard);
                        Ok(())
                    });
                    if let Err(why) = applied {
                        failure.record(format!("the similarity join refused the changes at time {time}: {why}"));
                    }
                }
                if let Some((capability, links)) = draining.as_mut() {
                    let time = *capability.time();
                    let share = links.by_ref().take(RESTORED_PER_ACTIVATION);
                    output.session(capability).give_iterator(share.map(|(a, b)| (Joined::Restored(a, b), time, 1)));
                    match links.len() {
                        0 => draining = None,
                        _ => activator.activate(),
                    }
                }
            }
        })
        .as_collection()
}

/// Makes the vectors of `batch` resident without joining them, at a time whose `restored` checked
/// pairs (read back from the output) are emitted instead. The state of a durable time is all
/// insertions.
fn restore(join: &mut dyn SimilarityJoin, batch: &Batch, restored: usize) -> Result<(), String> {
    if let Some(removed) = batch.removed.first() {
        return Err(format!("the restored state retracts the vector of unit key {}", removed.key));
    }
    join.restore(&batch.inserted).map_err(|e| e.to_string())?;
    tracing::info!("{} vectors made resident, {restored} checked pairs restored from the output", batch.inserted.len());
    Ok(())
}

/// One time's changes: the batch the join applies, and the sides of its removed and inserted units.
struct Changes<S> {
    batch: Batch,
    removed: HashMap<UnitKey, S>,
    inserted: HashMap<UnitKey, S>,
}

impl<S: ExchangeData> Changes<S> {
    /// The changes of one time, consolidated: each retracted record removed and each added one
    /// inserted. A record whose diff is neither 1 nor −1 is refused (a key is held at most once).
    fn of(mut changes: Vec<(VectorRecord<S>, i64)>) -> Result<Changes<S>, String> {
        consolidate(&mut changes);
        let mut this = Changes { batch: Batch::default(), removed: HashMap::new(), inserted: HashMap::new() };
        for ((key, size, components, side), diff) in changes {
            let vector = Vector::from_slice(&components)
                .ok_or_else(|| format!("unit key {key} has a vector of {} dimensions", components.len()))?;
            let entry = Entry { key, size, vector };
            let (entries, sides) = match diff {
                1 => (&mut this.batch.inserted, &mut this.inserted),
                -1 => (&mut this.batch.removed, &mut this.removed),
                _ => return Err(format!("unit key {key} changes by {diff} at once")),
            };
            entries.push(entry);
            sides.insert(key, side);
        }
        Ok(this)
    }

    /// The side of `key` that a pair delta of sign `diff` is checked on, when `key` changed: its
    /// old side for a retraction, its new one for an insertion.
    fn side(&self, key: UnitKey, diff: i64) -> Option<&S> {
        match diff < 0 {
            true => self.removed.get(&key),
            false => self.inserted.get(&key),
        }
    }

    /// Brings the sides of `shard`'s residents to after this time.
    fn update(self, sides: &mut HashMap<UnitKey, S>, shard: Shard) {
        for key in self.removed.into_keys() {
            sides.remove(&key);
        }
        sides.extend(self.inserted.into_iter().filter(|(key, _)| shard.owns(*key)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpt_operators::model::VECTOR_DIMS;
    use differential_dataflow::input::Input;
    use std::cell::RefCell;
    use std::rc::Rc;
    use timely::dataflow::operators::probe::Handle;

    /// What the test's operator emits, as comparable tuples: (kind, a, b, side of a, side of b).
    fn described(joined: &Joined<(char, char)>) -> (&'static str, i64, i64, char, char) {
        match joined {
            Joined::Similar(pair) => ("similar", pair.a, pair.b, ' ', ' '),
            Joined::Checked((a, b)) => ("checked", 0, 0, *a, *b),
            Joined::Restored(a, b) => ("restored", *a, *b, ' ', ' '),
        }
    }

    /// A restart's restored links come out whole at their time, however many activations that
    /// takes; the join goes on from the vectors made resident then; and a unit whose side changes
    /// while its vector does not has its pair checked again, retracted on the old side and
    /// inserted on the new.
    #[test]
    fn restored_links_come_out_whole_and_changed_sides_are_checked_again() {
        let count = RESTORED_PER_ACTIVATION * 2 + 7;
        let links: Vec<(i64, i64)> = (0..count as i64).map(|k| (-k - 1, k)).collect();
        let mut expected: Vec<_> = links.iter().map(|&(a, b)| (("restored", a, b, ' ', ' '), 0, 1)).collect();
        expected.sort_unstable();
        let seen = timely::execute_directly(move |worker| {
            let seen = Rc::new(RefCell::new(Vec::new()));
            let (sink, probe) = (Rc::clone(&seen), Handle::new());
            let mut input = worker.dataflow::<u64, _, _>(|scope| {
                let (input, vectors) = scope.new_collection::<VectorRecord<char>, i64>();
                let restored = Some(RestoredLinks { time: 0, links });
                let check = |_, a: &char, b: &char| (*a != 'x').then_some((*a, *b));
                similar_pairs(vectors, JoinParams::default(), JoinBackend::Cpu, restored, Arc::default(), check)
                    .inspect(move |(joined, time, diff)| sink.borrow_mut().push((described(joined), *time, *diff)))
                    .probe_with(&probe);
                input
            });
            let vector = vec![3; VECTOR_DIMS];
            input.update((1_000_000, 50, vector.clone(), 'p'), 1);
            input.advance_to(1);
            input.update((2_000_000, 50, vector.clone(), 'q'), 1);
            input.advance_to(2);
            input.update((1_000_000, 50, vector.clone(), 'p'), -1);
            input.update((1_000_000, 50, vector.clone(), 'r'), 1);
            input.advance_to(3);
            input.update((1_000_000, 50, vector.clone(), 'r'), -1);
            input.update((1_000_000, 50, vector, 'x'), 1);
            input.close();
            while !probe.done() {
                worker.step();
            }
            seen.take()
        });
        let (mut at_restore, mut after): (Vec<_>, Vec<_>) = seen.into_iter().partition(|(_, time, _)| *time == 0);
        at_restore.sort_unstable();
        assert!(at_restore == expected, "{} updates at the restored time, {count} links restored", at_restore.len());
        after.sort_unstable();
        let pair = ("similar", 1_000_000, 2_000_000, ' ', ' ');
        let checked = |a, b| ("checked", 0, 0, a, b);
        #[rustfmt::skip]
        let mut want = vec![
            (checked('p', 'q'), 1, 1), (pair, 1, 1),
            (checked('p', 'q'), 2, -1), (checked('r', 'q'), 2, 1), (pair, 2, -1), (pair, 2, 1),
            (checked('r', 'q'), 3, -1), (pair, 3, -1), (pair, 3, 1),
        ];
        want.sort_unstable();
        assert_eq!(after, want);
    }
}
