//! The self-join of a set of vectors: every pair that passes the contract, each once.
//!
//! The vectors are sorted by (size, key); under a size ratio r, the partners of vector `i` that come
//! after it are exactly those up to the last size `≤ ⌊100·sizeᵢ / r⌋`, a range found by binary
//! search. The blocked scan is given only those ranges, so pairs outside the size band are never
//! compared (whole row tiles beyond the band are skipped), and pairs inside it always are.
//!
//! [`join_threads`] splits the scan over threads by [`Shard`]: each scans, as queries, the vectors
//! of its shard against every later vector in the band, so each pair is found by exactly one thread.

use super::blocked::{self, Rows, ScanStats};
use super::contract::{score, JoinParams, Pair};
use super::interface::JoinError;
use super::kernel::Kernel;
use super::shard::Shard;
use super::vector::Entry;
use std::collections::HashSet;

/// Calls `emit(x, y, score)` once for each unordered pair of `entries` that passes `params`
/// (keys are not compared: the caller sees to their uniqueness).
pub(crate) fn band_join(
    kernel: Kernel,
    params: JoinParams,
    entries: &[Entry],
    emit: impl FnMut(&Entry, &Entry, u16),
) -> ScanStats {
    band_join_shard(kernel, params, entries, Shard::whole(), emit)
}

/// As [`band_join`], for the pairs whose first vector in (size, key) order `shard` owns: the
/// shards of one set split its self-join's work and pairs between them, each pair to one shard.
fn band_join_shard(
    kernel: Kernel,
    params: JoinParams,
    entries: &[Entry],
    shard: Shard,
    mut emit: impl FnMut(&Entry, &Entry, u16),
) -> ScanStats {
    let mut order: Vec<&Entry> = entries.iter().collect();
    order.sort_unstable_by_key(|e| (e.size, e.key));
    let rows = Rows::new(order.iter().map(|e| e.vector).collect());
    let band_ends: Vec<usize> = order
        .iter()
        .map(|e| {
            let largest = params.size_ratio.largest_partner(e.size);
            order.partition_point(|other| other.size <= largest)
        })
        .collect();
    let owned: Vec<usize> = (0..order.len()).filter(|&i| shard.owns(order[i].key)).collect();
    let queries = Rows::new(owned.iter().map(|&i| order[i].vector).collect());
    blocked::scan(
        kernel,
        params.threshold,
        &queries,
        &rows,
        |q| owned[q] + 1..band_ends[owned[q]],
        |q, j, dot| emit(order[owned[q]], order[j], score(dot, queries.norm(q), rows.norm(j))),
    )
}

/// Calls `emit` once for each pair of the self-join of `entries` (ARCHITECTURE §4a), in the scan's
/// order (the same for every kernel), and returns the scan's figures. Refuses a key given twice.
pub fn join_each(
    kernel: Kernel,
    params: JoinParams,
    entries: &[Entry],
    mut emit: impl FnMut(Pair),
) -> Result<ScanStats, JoinError> {
    check_unique(entries)?;
    Ok(band_join(kernel, params, entries, |x, y, score| emit(Pair::new(x.key, y.key, score))))
}

/// The self-join of `entries`: its pairs in order, and the scan's figures. Refuses a key given twice.
pub fn join_all(kernel: Kernel, params: JoinParams, entries: &[Entry]) -> Result<(Vec<Pair>, ScanStats), JoinError> {
    let mut pairs = Vec::new();
    let stats = join_each(kernel, params, entries, |pair| pairs.push(pair))?;
    pairs.sort_unstable();
    Ok((pairs, stats))
}

/// The self-join of `entries` on `threads` threads (at least one), each scanning the queries of
/// one [`Shard`]: thread `i` folds its pairs into an accumulator with `fold`, starting from
/// `A::default()`. Returns the accumulators in shard order and the scan's figures summed; the
/// union of the pairs is [`join_all`]'s whatever the thread count. Refuses a key given twice.
pub fn join_threads<A: Default + Send>(
    kernel: Kernel,
    params: JoinParams,
    entries: &[Entry],
    threads: u32,
    fold: impl Fn(&mut A, Pair) + Sync,
) -> Result<(Vec<A>, ScanStats), JoinError> {
    check_unique(entries)?;
    let shards: Vec<Shard> = (0..threads.max(1)).filter_map(|i| Shard::new(i, threads.max(1))).collect();
    let results: Vec<(A, ScanStats)> = std::thread::scope(|scope| {
        let fold = &fold;
        let handles: Vec<_> = shards
            .iter()
            .map(|&shard| {
                scope.spawn(move || {
                    let mut acc = A::default();
                    let stats = band_join_shard(kernel, params, entries, shard, |x, y, score| {
                        fold(&mut acc, Pair::new(x.key, y.key, score))
                    });
                    (acc, stats)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a join thread does not panic")).collect()
    });
    let compared = results.iter().map(|(_, stats)| stats.compared).sum();
    Ok((results.into_iter().map(|(acc, _)| acc).collect(), ScanStats { compared }))
}

/// Refuses a key given twice among `entries`.
fn check_unique(entries: &[Entry]) -> Result<(), JoinError> {
    let mut keys = HashSet::with_capacity(entries.len());
    match entries.iter().find(|e| !keys.insert(e.key)) {
        Some(e) => Err(JoinError::DuplicateKey(e.key)),
        None => Ok(()),
    }
}
