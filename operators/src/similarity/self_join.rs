//! The self-join of a set of vectors: every pair that passes the contract, each once.
//!
//! The vectors are sorted by (size, key); under a size ratio r, the partners of vector `i` that come
//! after it are exactly those up to the last size `≤ ⌊100·sizeᵢ / r⌋`, a range found by binary
//! search. The blocked scan is given only those ranges, so pairs outside the size band are never
//! compared (whole row tiles beyond the band are skipped), and pairs inside it always are.

use super::blocked::{self, Rows, ScanStats};
use super::contract::{score, JoinParams, Pair};
use super::interface::JoinError;
use super::kernel::Kernel;
use super::vector::Entry;
use std::collections::HashSet;

/// Calls `emit(x, y, score)` once for each unordered pair of `entries` that passes `params`
/// (keys are not compared: the caller sees to their uniqueness).
pub(crate) fn band_join(
    kernel: Kernel,
    params: JoinParams,
    entries: &[Entry],
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
    blocked::scan(
        kernel,
        params.threshold,
        &rows,
        &rows,
        |i| i + 1..band_ends[i],
        |i, j, dot| emit(order[i], order[j], score(dot, rows.norm(i), rows.norm(j))),
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
    let mut keys = HashSet::with_capacity(entries.len());
    if let Some(e) = entries.iter().find(|e| !keys.insert(e.key)) {
        return Err(JoinError::DuplicateKey(e.key));
    }
    Ok(band_join(kernel, params, entries, |x, y, score| emit(Pair::new(x.key, y.key, score))))
}

/// The self-join of `entries`: its pairs in order, and the scan's figures. Refuses a key given twice.
pub fn join_all(kernel: Kernel, params: JoinParams, entries: &[Entry]) -> Result<(Vec<Pair>, ScanStats), JoinError> {
    let mut pairs = Vec::new();
    let stats = join_each(kernel, params, entries, |pair| pairs.push(pair))?;
    pairs.sort_unstable();
    Ok((pairs, stats))
}
