//! The hits a launch finds — (query, row, dot) of each passing pair — and what the join makes of
//! them: pair deltas with keys and exact scores, filtered as the CPU join filters (slots leaving
//! in the same batch; pairs within a batch that another shard emits), each query's sign given by
//! whether it was removed or inserted.

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

/// Appends `(pair, diff(query))` for each hit of `changes` (rows `change_rows`) against the
/// residents of `store`, except residents in the sorted slots `excluded`.
pub fn cross_deltas(
    hits: &[Hit],
    changes: &[Entry],
    change_rows: &Rows,
    store: &ResidentStore,
    excluded: &[usize],
    diff: impl Fn(usize) -> i64,
    out: &mut Vec<PairDelta>,
) {
    let residents = store.rows();
    for hit in hits.iter().filter(|hit| excluded.binary_search(&hit.row).is_err()) {
        let score = score(hit.dot, change_rows.norm(hit.query), residents.norm(hit.row));
        out.push((Pair::new(changes[hit.query].key, store.key(hit.row), score), diff(hit.query)));
    }
}

/// Appends `(pair, diff)` for each hit of the self-join of `changes` whose smaller key `shard`
/// owns and whose two changes have the same `diff` (a removed and an inserted vector were never
/// resident together).
pub fn within_deltas(
    hits: &[Hit],
    changes: &[Entry],
    change_rows: &Rows,
    shard: Shard,
    diff: impl Fn(usize) -> i64,
    out: &mut Vec<PairDelta>,
) {
    for hit in hits.iter().filter(|hit| diff(hit.query) == diff(hit.row)) {
        let (x, y) = (&changes[hit.query], &changes[hit.row]);
        if shard.owns_pair(x.key, y.key) {
            let score = score(hit.dot, change_rows.norm(hit.query), change_rows.norm(hit.row));
            out.push((Pair::new(x.key, y.key, score), diff(hit.query)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::contract::{JoinParams, Threshold};
    use crate::similarity::interface::{consolidate_by_sign, Batch, SimilarityJoin};
    use crate::similarity::planted::planted;
    use crate::similarity::{CpuJoin, Kernel};

    /// Every passing pair of `queries` × `rows` by brute force, as a launch reports them.
    fn hits_of(queries: &Rows, rows: &Rows, triangular: bool, threshold: Threshold) -> Vec<Hit> {
        let mut hits = Vec::new();
        for query in 0..queries.len() {
            for row in (0..rows.len()).filter(|&row| !triangular || row > query) {
                let dot = queries.vector(query).dot(rows.vector(row));
                if threshold.passes(dot, queries.norm(query), rows.norm(row)) {
                    hits.push(Hit { query, row, dot });
                }
            }
        }
        hits
    }

    #[test]
    fn hits_decode_and_a_full_buffer_asks_for_room_for_all() {
        assert_eq!(
            decode(&[3, 9, 40, 0, 1, -2]),
            [Hit { query: 3, row: 9, dot: 40 }, Hit { query: 0, row: 1, dot: -2 }]
        );
        assert_eq!(overflow(4, 4), None);
        assert_eq!(overflow(5, 4), Some(8));
        assert_eq!(overflow(1 << 20, 1 << 16), Some(1 << 20));
    }

    /// Hits of one pass over a whole batch made into deltas give the CPU join's deltas, sharded,
    /// the slots leaving excluded.
    #[test]
    fn deltas_from_hits_are_the_cpu_joins() {
        let params = JoinParams::default();
        let p = planted(params.threshold, 4);
        let vectors = [p.a, p.at, p.below, p.above.unwrap(), p.a, p.at];
        let entry = |key: i64, v: usize| Entry { key, size: 20, vector: vectors[v] };
        let residents = [entry(10, 0), entry(11, 2), entry(12, 3), entry(13, 1)];
        let batch = Batch { removed: vec![residents[3]], inserted: vec![entry(20, 4), entry(21, 5), entry(13, 1)] };
        for shards in 1..=3 {
            for index in 0..shards {
                let shard = Shard::new(index, shards).unwrap();
                let mut cpu = CpuJoin::new(params, shard, Kernel::detect());
                cpu.restore(&residents).unwrap();
                let mut store = ResidentStore::default();
                for resident in residents.iter().filter(|e| shard.owns(e.key)) {
                    store.insert(resident);
                }
                // As GpuJoin does: the removed and inserted vectors as one side, joined with the
                // residents before the batch (less the slots leaving) and among themselves.
                let changes: Vec<Entry> = batch.removed.iter().chain(&batch.inserted).copied().collect();
                let diff = |query: usize| if query < batch.removed.len() { -1 } else { 1 };
                let rows = Rows::new(changes.iter().map(|e| e.vector).collect());
                let mut excluded: Vec<usize> = batch.removed.iter().filter_map(|e| store.slot_of(e.key)).collect();
                excluded.sort_unstable();
                let mut deltas = Vec::new();
                let cross = hits_of(&rows, store.rows(), false, params.threshold);
                cross_deltas(&cross, &changes, &rows, &store, &excluded, diff, &mut deltas);
                let within = hits_of(&rows, &rows, true, params.threshold);
                within_deltas(&within, &changes, &rows, shard, diff, &mut deltas);
                consolidate_by_sign(&mut deltas);
                assert_eq!(deltas, cpu.apply(&batch).unwrap(), "shard {index} of {shards}");
                assert!(shards > 1 || deltas.len() > 5, "{deltas:?}");
            }
        }
    }
}
