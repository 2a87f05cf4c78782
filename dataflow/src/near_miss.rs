//! Near-miss (Type-3) clone pairs, as rows of `clone_pairs`: units whose vectors pass the
//! similarity join (ARCHITECTURE §4a) and whose token sequences pass the LCS check, as NiCad does.
//!
//! The candidates are the units that exact clone groups consider (at least `--min-tokens` tokens)
//! other than file units. Their vectors go through [`similar_pairs`]; each similar pair then meets
//! both units' rows (two joins with the candidates arranged by key) and is kept when the two units
//! are of one language, neither encloses the other, and their token sequences have a common
//! subsequence of at least the LCS ratio. That check is a pure function of the two rows, so a pair
//! that fails it is dropped alike when it appears and when it goes, and a unit whose tokens or
//! place change while its vector does not is checked again by the joins. Since most such changes
//! leave the tokens alone (lines moved), each worker keeps a memo of verdicts by structural hashes.

use crate::clones::UnitsByKey;
use crate::failure::JobFailure;
use crate::similar_pairs::{similar_pairs, Pairs, RestoredPairs};
use crate::stats::RunStats;
use cpt_connectors::rows::{ClonePairRow, CloneUnit, UnitRow};
use cpt_operators::model::UnitKind;
use cpt_operators::similarity::verdicts::{KnownVerdicts, VerdictMemo};
use cpt_operators::similarity::verify::LcsRatio;
use cpt_operators::similarity::{JoinBackend, JoinParams};
use differential_dataflow::VecCollection;
use std::sync::Arc;

/// What decides near-miss pairs: the join's contract (threshold, size ratio) and the token check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NearMissParams {
    /// The similarity-join contract.
    pub join: JoinParams,
    /// The share of the longer unit's tokens that the common subsequence must reach.
    pub lcs: LcsRatio,
}

/// The two outputs of the near-miss computation.
pub struct NearMiss<'s> {
    /// The similarity join's pairs (`similar_pairs`), verified or not.
    pub similar: Pairs<'s>,
    /// The pairs that pass the token check (`clone_pairs`).
    pub verified: VecCollection<'s, u64, ClonePairRow, i64>,
}

/// The near-miss clone pairs among `candidates` (units by key, as exact clone groups take them),
/// the vectors joined by joins of `backend` (or, at a resumed job's durable time, the `restored`
/// pairs, whose token check the `known` verdicts answer), with the similar vector pairs and the
/// verified pairs counted in `stats`.
pub fn clone_pairs<'s>(
    candidates: UnitsByKey<'s>,
    params: NearMissParams,
    backend: JoinBackend,
    (restored, known): (Option<RestoredPairs>, Arc<KnownVerdicts>),
    stats: Arc<RunStats>,
    failure: Arc<JobFailure>,
) -> NearMiss<'s> {
    let vectors = candidates.clone().flat_map_ref(|key, row| {
        (row.unit.id.kind != UnitKind::File).then(|| (*key, row.unit.metrics.tokens, row.unit.vector.clone()))
    });
    let mut memo = VerdictMemo::with_known(params.lcs, VerdictMemo::DEFAULT_CAPACITY, known);
    let counted = Arc::clone(&stats);
    let similar = similar_pairs(vectors, params.join, backend, restored, failure)
        .inspect(move |(_, _, diff)| RunStats::add(&counted.similar_pairs, *diff));
    let verified = similar
        .clone()
        .map(|pair| (pair.a, (pair.b, pair.score)))
        .join_core(candidates.clone(), |_, &(b, score), a| Some((b, (score, a.clone()))))
        .join_core(candidates, move |_, (score, a), b| verified(a, b, *score, &mut memo))
        .inspect(move |(_, _, diff)| RunStats::add(&stats.clone_pairs, *diff));
    NearMiss { similar, verified }
}

/// The pair row of `a` (the smaller key) and `b` with vector score `score`, when they pass the
/// checks of the module doc (the token check answered by this worker's `memo` when it can).
fn verified(a: &UnitRow, b: &UnitRow, score: u16, memo: &mut VerdictMemo) -> Option<ClonePairRow> {
    if a.lang != b.lang || encloses(a, b) || encloses(b, a) {
        return None;
    }
    let lcs_percent = memo.share(tokens(a), tokens(b))?;
    Some(ClonePairRow { a: CloneUnit::of(a), b: CloneUnit::of(b), score, lcs_percent })
}

/// What the token check reads of a unit: its structural hash and token sequence.
fn tokens(row: &UnitRow) -> (u64, &[u32]) {
    (row.unit.struct_hash, &row.unit.token_sequence)
}

/// True when `outer` and `inner` are in one file and `outer`'s bytes hold `inner`'s (a class and
/// its only method look alike, but are not clones of each other).
fn encloses(outer: &UnitRow, inner: &UnitRow) -> bool {
    outer.path == inner.path
        && outer.unit.start_byte <= inner.unit.start_byte
        && inner.unit.end_byte <= outer.unit.end_byte
}
