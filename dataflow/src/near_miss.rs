//! Near-miss (Type-3) clone pairs, as rows of `clone_pairs`: units whose vectors pass the
//! similarity join (ARCHITECTURE §4a) and whose token sequences pass the LCS check, as NiCad does.
//!
//! The candidates are the units that exact clone groups consider (at least `--min-tokens` tokens)
//! other than scopes (a file's top level, a module or namespace:
//! [`UnitKind::is_scope`](cpt_operators::model::UnitKind::is_scope)), whose members are compared
//! instead. Each goes into [`similar_pairs`] with its vector and its [`PairSide`], and the operator
//! checks each similar pair on its two sides: it is kept when the two units are of one language,
//! neither encloses the other, and their token sequences have a common subsequence of at least the
//! LCS ratio. That check is a pure function of the two sides, so a pair that fails it is dropped
//! alike when it appears and when it goes, and a unit whose tokens or place change while its
//! vector does not is checked again (its record changed). Since most such changes leave the tokens
//! alone (lines moved), each worker keeps a memo of verdicts by structural hashes.
//!
//! A side holds only what the check and a `clone_pairs` row read, so a unit whose `units` row
//! changes in nothing else (its file changed elsewhere: a new content id, the same place) changes
//! no record, and none of its pairs is joined or checked again.

use crate::clones::UnitsByKey;
use crate::failure::JobFailure;
use crate::similar_pairs::{similar_pairs, Joined, RestoredLinks};
use crate::stats::RunStats;
use cpt_connectors::rows::{ClonePairRow, CloneUnit, UnitRow};
use cpt_operators::model::UnitFingerprint;
use cpt_operators::similarity::verdicts::VerdictMemo;
use cpt_operators::similarity::verify::LcsRatio;
use cpt_operators::similarity::{JoinBackend, JoinParams, Pair, UnitKey};
use differential_dataflow::VecCollection;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What decides near-miss pairs: the join's contract (threshold, size ratio) and the token check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NearMissParams {
    /// The similarity-join contract.
    pub join: JoinParams,
    /// The share of the longer unit's tokens that the common subsequence must reach.
    pub lcs: LcsRatio,
}

/// The outputs of the near-miss computation.
pub struct NearMiss<'s> {
    /// The similarity join's pairs (`similar_pairs`), verified or not.
    pub similar: VecCollection<'s, u64, Pair, i64>,
    /// The pairs that pass the token check (`clone_pairs`).
    pub verified: VecCollection<'s, u64, ClonePairRow, i64>,
    /// The verified pairs by their two keys, at a resumed job's durable time read back from the
    /// output (what clone classes take).
    pub links: VecCollection<'s, u64, (UnitKey, UnitKey), i64>,
}

/// The near-miss clone pairs among `candidates` (units by key, as exact clone groups take them),
/// the vectors joined by joins of `backend` (or, at a resumed job's durable time, the `restored`
/// links standing for the pairs), with the similar vector pairs and the verified pairs counted in
/// `stats`.
pub fn clone_pairs<'s>(
    candidates: UnitsByKey<'s>,
    params: NearMissParams,
    backend: JoinBackend,
    restored: Option<RestoredLinks>,
    stats: Arc<RunStats>,
    failure: Arc<JobFailure>,
) -> NearMiss<'s> {
    let records = candidates.flat_map_ref(|key, row| {
        let record = || (*key, row.unit.metrics.tokens, row.unit.vector.clone(), Arc::new(PairSide::of(row)));
        (!row.unit.id.kind.is_scope()).then(record)
    });
    let mut memo = VerdictMemo::new(params.lcs, VerdictMemo::DEFAULT_CAPACITY);
    let check = move |pair: Pair, a: &Arc<PairSide>, b: &Arc<PairSide>| verified(a, b, pair.score, &mut memo);
    let joined = similar_pairs(records, params.join, backend, restored, failure, check);
    let counted = Arc::clone(&stats);
    let similar = joined
        .clone()
        .flat_map(|joined| match joined {
            Joined::Similar(pair) => Some(pair),
            _ => None,
        })
        .inspect(move |(_, _, diff)| RunStats::add(&counted.similar_pairs, *diff));
    let verified = joined
        .clone()
        .flat_map(|joined| match joined {
            Joined::Checked(row) => Some(row),
            _ => None,
        })
        .inspect(move |(_, _, diff)| RunStats::add(&stats.clone_pairs, *diff));
    let links = joined.flat_map(|joined| match joined {
        Joined::Checked(row) => Some((row.a.unit_key, row.b.unit_key)),
        Joined::Restored(a, b) => Some((a, b)),
        Joined::Similar(_) => None,
    });
    NearMiss { similar, verified, links }
}

/// What the near-miss check and a `clone_pairs` row read of a unit (see the module doc).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Debug)]
struct PairSide {
    /// The unit as `clone_pairs` describes it (key first, so that sides order by key).
    unit: Arc<CloneUnit>,
    /// Its first byte and the byte past its last, in its file.
    bytes: (u32, u32),
    /// Its fingerprint, for the structural hash and token sequence; last, so that it is compared
    /// only between two sides that agree on all else (one replacing the other).
    tokens: Arc<UnitFingerprint>,
}

impl PairSide {
    /// The side of a `units` row.
    fn of(row: &UnitRow) -> PairSide {
        PairSide {
            unit: Arc::new(CloneUnit::of(row)),
            bytes: (row.unit.start_byte, row.unit.end_byte),
            tokens: Arc::clone(&row.unit),
        }
    }

    /// What the token check reads: the structural hash and the token sequence.
    fn tokens(&self) -> (u64, &[u32]) {
        (self.tokens.struct_hash, &self.tokens.token_sequence)
    }

    /// True when `self` and `inner` are in one file and `self`'s bytes hold `inner`'s (a class and
    /// its only method look alike, but are not clones of each other).
    fn encloses(&self, inner: &PairSide) -> bool {
        self.unit.path == inner.unit.path && self.bytes.0 <= inner.bytes.0 && inner.bytes.1 <= self.bytes.1
    }
}

/// The pair row of `a` (the smaller key) and `b` with vector score `score`, when they pass the
/// checks of the module doc (the token check answered by this worker's `memo` when it can).
fn verified(a: &PairSide, b: &PairSide, score: u16, memo: &mut VerdictMemo) -> Option<ClonePairRow> {
    if a.unit.lang != b.unit.lang || a.encloses(b) || b.encloses(a) {
        return None;
    }
    let lcs_percent = memo.share(a.tokens(), b.tokens())?;
    Some(ClonePairRow { a: Arc::clone(&a.unit), b: Arc::clone(&b.unit), score, lcs_percent })
}
