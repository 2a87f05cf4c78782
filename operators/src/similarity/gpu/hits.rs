//! The hits a launch finds — (query, row, dot) of each passing pair — and what the join makes of
//! them: pair deltas with keys and exact scores, filtered as the CPU join filters (slots leaving
//! in the same batch; pairs within a batch that another shard emits).

use crate::similarity::blocked::Rows;
use crate::similarity::contract::{score, Pair, PairDelta};
use crate::similarity::shard::Shard;
use crate::similarity::store::ResidentStore;
use crate::similarity::vector::Entry;

/// A pair that passed on the device: query index, row index, dot product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// Index on the query side.
    pub query: usize,
    /// Index on the row side (a slot, for residents).
    pub row: usize,
    /// The exact dot product.
    pub dot: i32,
}

/// The hits of the first `count` triples (query, row, dot) of a hit buffer.
pub fn decode(raw: &[i32]) -> Vec<Hit> {
    raw.chunks_exact(3).map(|t| Hit { query: t[0] as usize, row: t[1] as usize, dot: t[2] }).collect()
}

/// The capacity a hit buffer of `capacity` hits needs to be run again with, when a launch
/// counted `found`: `None` when everything fitted.
pub fn overflow(found: usize, capacity: usize) -> Option<usize> {
    (found > capacity).then(|| found.next_power_of_two())
}

/// Appends `(pair, diff)` for each hit of `changes` (rows `change_rows`) against the residents of
/// `store`, except residents in the sorted slots `excluded`.
pub fn cross_deltas(
    hits: &[Hit],
    changes: &[Entry],
    change_rows: &Rows,
    store: &ResidentStore,
    excluded: &[usize],
    diff: i64,
    out: &mut Vec<PairDelta>,
) {
    let residents = store.rows();
    for hit in hits.iter().filter(|hit| excluded.binary_search(&hit.row).is_err()) {
        let score = score(hit.dot, change_rows.norm(hit.query), residents.norm(hit.row));
        out.push((Pair::new(changes[hit.query].key, store.key(hit.row), score), diff));
    }
}

/// Appends `(pair, diff)` for each hit of the self-join of `changes` whose smaller key `shard` owns.
pub fn within_deltas(
    hits: &[Hit],
    changes: &[Entry],
    change_rows: &Rows,
    shard: Shard,
    diff: i64,
    out: &mut Vec<PairDelta>,
) {
    for hit in hits {
        let (x, y) = (&changes[hit.query], &changes[hit.row]);
        if shard.owns_pair(x.key, y.key) {
            let score = score(hit.dot, change_rows.norm(hit.query), change_rows.norm(hit.row));
            out.push((Pair::new(x.key, y.key, score), diff));
        }
    }
}
