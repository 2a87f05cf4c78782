//! What a resumed job's near-miss pairs start from (ARCHITECTURE §6): the similarity join's pairs
//! at the durable time, read back once per process, and the token check's verdicts on them,
//! known from the durable `units` and `clone_pairs` tables, so that a restart neither joins the
//! vectors again nor checks the restored pairs' tokens again.
//!
//! A verdict is a function of the two units' structural hashes (see
//! [`cpt_operators::similarity::verdicts`]). A restored pair in `clone_pairs` passed with the
//! share that row gives. One that is not was refused by the token check alone when its units are
//! of one language and in different files (the other refusals need one language, or one unit
//! holding the other, which needs one file); for the rest nothing is known.

use crate::failure::JobFailure;
use anyhow::anyhow;
use cpt_connectors::sink::{clone_verdicts_at, similar_pairs_at, unit_identities_at, OutputDir, UnitIdentity};
use cpt_operators::similarity::verdicts::KnownVerdicts;
use cpt_operators::similarity::verify::TokenHasher;
use cpt_operators::similarity::Pair;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::{Arc, Mutex};
use std::thread::ScopedJoinHandle;

/// A map by unit keys, which are hashes already: hashed with one multiplication.
type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<TokenHasher>>;

/// The restored state of the near-miss pairs of one process.
#[derive(Debug)]
pub struct ResumedJoin {
    /// The durable time.
    pub time: u64,
    /// The similar pairs at that time, in the process that emits them, until its worker 0 takes
    /// them.
    pairs: Mutex<Option<Vec<Pair>>>,
    /// The token check's verdicts on them.
    pub verdicts: Arc<KnownVerdicts>,
}

impl ResumedJoin {
    /// The state at `out`'s durable time, or `None` when nothing is durable; the pairs are kept
    /// to be emitted only when `emits` (the process of worker 0), and only read for their
    /// verdicts otherwise. A failure to read the similar pairs fails the job; one to read the
    /// verdicts only leaves them unknown.
    pub fn read(out: &OutputDir, failure: &JobFailure, emits: bool) -> Option<ResumedJoin> {
        let time = out.durable_time()?;
        let root = out.path();
        let (pairs, checked) = match out.manifest() {
            // The three tables are read side by side: the restart waits for all of them.
            Ok(manifest) => std::thread::scope(|scope| {
                let units = scope.spawn(|| unit_identities_at(root, &manifest, time));
                let passed = scope.spawn(|| clone_verdicts_at(root, &manifest, time));
                let pairs = similar_pairs_at(root, &manifest, time);
                (pairs, joined(units).and_then(|units| Ok((units, joined(passed)?))))
            }),
            Err(error) => (Err(anyhow!("{error:#}")), Err(error)),
        };
        let pairs = pairs.unwrap_or_else(|error| {
            failure.record(format!("reading the durable similar_pairs of {}: {error:#}", root.display()));
            Vec::new()
        });
        let verdicts = match checked {
            Ok((units, passed)) => known_verdicts(&pairs, &units, &passed),
            Err(error) => {
                tracing::warn!("the restored pairs' tokens will be checked again: {error:#}");
                KnownVerdicts::default()
            }
        };
        tracing::info!("{} similar pairs restored, {} token-check verdicts known", pairs.len(), verdicts.len());
        Some(ResumedJoin { time, pairs: Mutex::new(emits.then_some(pairs)), verdicts: Arc::new(verdicts) })
    }

    /// The similar pairs, for the one worker that emits them (empty for any later taker).
    pub fn take_pairs(&self) -> Vec<Pair> {
        self.pairs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take().unwrap_or_default()
    }
}

/// What a reading thread returned (a panic in it as an error).
fn joined<T>(reader: ScopedJoinHandle<'_, anyhow::Result<T>>) -> anyhow::Result<T> {
    reader.join().unwrap_or_else(|_| Err(anyhow!("a thread reading the output panicked")))
}

/// The verdicts of the token check on `pairs`, from the `units` and the `clone_pairs` rows
/// (`(a, b, lcs_percent)`) of the same time (module doc). Both lists are walked in order (as
/// they are read back), so that each pair meets its `clone_pairs` row without a lookup, and a
/// verdict repeated by the next pair (the same two structures) is recorded once.
pub fn known_verdicts(pairs: &[Pair], units: &[UnitIdentity], passed: &[(i64, i64, u8)]) -> KnownVerdicts {
    let by_key: KeyMap<i64, &UnitIdentity> = units.iter().map(|unit| (unit.unit_key, unit)).collect();
    let (pairs, passed) = (in_order(pairs), in_order(passed));
    let mut passed = passed.iter().map(|&(a, b, percent)| ((a, b), percent)).peekable();
    let mut known = KnownVerdicts::default();
    let mut last = None;
    for pair in pairs.iter() {
        let keys = (pair.a, pair.b);
        while passed.next_if(|(earlier, _)| *earlier < keys).is_some() {}
        let percent = passed.next_if(|(same, _)| *same == keys).map(|(_, percent)| percent);
        let (Some(a), Some(b)) = (by_key.get(&pair.a), by_key.get(&pair.b)) else { continue };
        let verdict = match percent {
            Some(percent) => Some(percent),
            None if a.lang == b.lang && a.path_hash != b.path_hash => None,
            None => continue,
        };
        let entry = (a.struct_hash, b.struct_hash, verdict);
        if last != Some(entry) {
            known.insert(entry.0, entry.1, verdict);
            last = Some(entry);
        }
    }
    known
}

/// `items` sorted: as they are when already in order.
fn in_order<T: Ord + Clone>(items: &[T]) -> Cow<'_, [T]> {
    match items.is_sorted() {
        true => Cow::Borrowed(items),
        false => {
            let mut sorted = items.to_vec();
            sorted.sort_unstable();
            Cow::Owned(sorted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpt_operators::model::Lang;
    use cpt_operators::similarity::verdicts::VerdictMemo;
    use cpt_operators::similarity::verify::LcsRatio;

    fn unit(unit_key: i64, struct_hash: u64, lang: Lang, path_hash: u64) -> UnitIdentity {
        UnitIdentity { unit_key, struct_hash, lang, path_hash }
    }

    /// Each restored pair's verdict is known as the module doc says, and a memo given them answers
    /// with them: the tokens below are equal, so a check would pass every pair at 100 %.
    #[test]
    fn restored_verdicts_are_the_durable_ones_where_the_token_check_alone_decided() {
        let units = [
            unit(1, 10, Lang::Rust, 7),
            unit(2, 20, Lang::Rust, 8),
            unit(3, 30, Lang::Rust, 9),
            unit(4, 40, Lang::Rust, 9),
            unit(5, 50, Lang::Python, 6),
        ];
        let pair = |a, b| Pair { a, b, score: 950 };
        // Passed; refused across files (the check's verdict); refused in one file (maybe one
        // holds the other); refused across languages; a unit not in `units`.
        let pairs = [pair(1, 2), pair(1, 3), pair(3, 4), pair(2, 5), pair(2, 6)];
        let known = known_verdicts(&pairs, &units, &[(1, 2, 83)]);
        assert_eq!(known.len(), 2);
        let mut memo = VerdictMemo::with_known(LcsRatio::default(), 8, Arc::new(known));
        let tokens: &[u32] = &[1, 2, 3];
        let share = |memo: &mut VerdictMemo, a: u64, b: u64| memo.share((a, tokens), (b, tokens));
        assert_eq!(share(&mut memo, 20, 10), Some(83));
        assert_eq!(share(&mut memo, 10, 30), None);
        for (a, b) in [(30, 40), (20, 50)] {
            assert_eq!(share(&mut memo, a, b), Some(100), "({a}, {b}) is checked");
        }
    }
}
