//! The operator interface that the CPU join and a GPU join both implement: a batch of removed and
//! inserted vectors in, the pair deltas it causes out (ARCHITECTURE §4a).
//!
//! For a resident set `A`, removed vectors `R` and inserted ones `I` (a changed vector is in both,
//! old and new), with `K = A − R` the residents that stay and `A' = K + I`:
//!
//! `join(A') − join(A) = K⋈I + join(I) − K⋈R − join(R)`
//!
//! which is `ΔA ⋈ A_old + ΔA ⋈ ΔA` with retractions for removed and changed vectors. Summing the
//! deltas of every batch therefore gives the self-join of the final set, and a join that holds
//! only a shard of `A` emits `K_shard⋈I − K_shard⋈R` plus the pairs of `join(I) − join(R)` whose
//! smaller key it owns (see [`super::shard`]).

use super::contract::{PairDelta, UnitKey};
use super::vector::Entry;

/// The changes of one time: vectors that leave the resident set and vectors that join it.
/// A changed unit is removed with its old entry and inserted with its new one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// Entries leaving, each as it was inserted (a shard that does not hold one still joins it).
    pub removed: Vec<Entry>,
    /// Entries arriving.
    pub inserted: Vec<Entry>,
}

/// A batch or a set of vectors that a join refuses; the join's state is left as it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// One key given twice on the same side of a batch, or twice to a full join.
    #[error("unit key {0} appears twice among the vectors given together")]
    DuplicateKey(UnitKey),
    /// A removal of a key that is not resident.
    #[error("unit key {0} is removed but is not resident")]
    NotResident(UnitKey),
    /// A removal whose entry differs from the resident one.
    #[error("unit key {0} is removed with a size or vector other than the resident one")]
    RemovedMismatch(UnitKey),
    /// An insertion of a key that stays resident (a change must remove the old entry too).
    #[error("unit key {0} is inserted but already resident (remove its old entry in the same batch)")]
    AlreadyResident(UnitKey),
    /// The resident set would outgrow the device memory the join may use (`--gpu-memory`).
    #[error("the GPU join needs {needed_mib} MiB of device memory, over its limit of {limit_mib} MiB (raise --gpu-memory or use --gpu off)")]
    DeviceMemory {
        /// What the join would hold after the batch, in MiB (rounded up).
        needed_mib: u64,
        /// The limit, in MiB.
        limit_mib: u64,
    },
    /// A device call failed; the device's state is then unknown, and the join must not be used again.
    #[error("the GPU join failed: {0}")]
    Device(String),
}

/// A similarity join over a changing set of vectors: the one interface of the CPU and GPU joins.
pub trait SimilarityJoin {
    /// Applies one batch and returns the pair deltas it causes, sorted and consolidated by sign
    /// ([`consolidate_by_sign`]): a pair that a changed vector keeps comes out retracted and
    /// inserted, so that a consumer that reads the units' old and new rows sees it leave with the
    /// old and come back with the new. A refused batch changes nothing; after
    /// [`JoinError::Device`] the join is broken and only good for dropping.
    fn apply(&mut self, batch: &Batch) -> Result<Vec<PairDelta>, JoinError>;

    /// Makes `entries` resident without emitting their pairs: a restart whose pairs are already in
    /// the durable output (ARCHITECTURE §4a) rebuilds its state with this instead of re-joining.
    fn restore(&mut self, entries: &[Entry]) -> Result<(), JoinError>;

    /// The number of resident vectors.
    fn resident(&self) -> usize;
}

/// Sorts `deltas` by pair, retractions first, and sums the diffs of equal pairs of one sign: a
/// retraction and an insertion of one pair are both kept (see [`SimilarityJoin::apply`]).
pub fn consolidate_by_sign(deltas: &mut Vec<PairDelta>) {
    deltas.sort_unstable_by_key(|&(pair, diff)| (pair, diff.signum()));
    deltas.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0 && later.1.signum() == earlier.1.signum();
        if same {
            earlier.1 += later.1;
        }
        same
    });
    deltas.retain(|&(_, diff)| diff != 0);
}
