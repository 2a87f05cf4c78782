//! How a join of queries × rows is cut into device launches: query chunks × row chunks, both
//! whole tiles, skipping the pieces of a self-join that hold no pair `row > query`. Bounding a
//! piece bounds what one launch may find and what the cuBLAS path's block of dot products takes.

use super::budget::{padded, TILE};
use std::ops::Range;

/// One launch: a range of queries against a range of rows, both starting on a tile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Query indices (the last piece's end is the query count).
    pub queries: Range<usize>,
    /// Row indices (the last piece's end is the row count).
    pub rows: Range<usize>,
}

impl Piece {
    /// Query tiles, padded.
    pub fn query_tiles(&self) -> usize {
        padded(self.queries.len()) / TILE
    }

    /// Row tiles, padded.
    pub fn row_tiles(&self) -> usize {
        padded(self.rows.len()) / TILE
    }
}

/// The pieces of `queries` × `rows` in chunks of at most `query_chunk` × `row_chunk` (multiples
/// of [`TILE`]). With `triangular` the two are one set and a piece is kept only if it holds a pair
/// `row > query` and starts no earlier than its queries; every such pair lies in exactly one piece, as does every pair otherwise.
pub fn pieces(queries: usize, rows: usize, triangular: bool, query_chunk: usize, row_chunk: usize) -> Vec<Piece> {
    debug_assert!(
        query_chunk.is_multiple_of(TILE) && row_chunk.is_multiple_of(TILE) && query_chunk > 0 && row_chunk > 0
    );
    let mut out = Vec::new();
    for q in (0..queries).step_by(query_chunk) {
        let query_end = (q + query_chunk).min(queries);
        // Rows before a self-join's chunk are all below its queries.
        let first_row = if triangular { q } else { 0 };
        for r in (first_row..rows).step_by(row_chunk) {
            let row_end = (r + row_chunk).min(rows);
            if !triangular || row_end > q + 1 {
                out.push(Piece { queries: q..query_end, rows: r..row_end });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wanted_pair_is_in_exactly_one_piece() {
        for (n, m, triangular) in [(1, 1, true), (300, 300, true), (513, 513, true), (257, 1000, false), (0, 5, false)]
        {
            for (query_chunk, row_chunk) in [(128, 128), (256, 128), (128, 384), (1 << 16, 1 << 30)] {
                let pieces = pieces(n, m, triangular, query_chunk, row_chunk);
                for q in 0..n {
                    for r in 0..m {
                        let holders = pieces.iter().filter(|p| p.queries.contains(&q) && p.rows.contains(&r)).count();
                        let wanted = !triangular || r > q;
                        assert!(holders == 1 || !wanted && holders == 0, "{n}×{m} {q},{r}: {holders}");
                    }
                }
                assert!(pieces.iter().all(|p| p.queries.start % TILE == 0 && p.rows.start % TILE == 0));
                assert!(pieces.iter().all(|p| p.queries.len() <= query_chunk && p.rows.len() <= row_chunk));
            }
        }
        // A self-join of 1,000,000 in 65,536-query chunks against all rows: 16 launches.
        let big = pieces(1_000_000, 1_000_000, true, 1 << 16, 1 << 30);
        assert_eq!((big.len(), big[0].query_tiles(), big[0].row_tiles()), (16, 512, 7813));
        assert_eq!((big[15].queries.start, big[15].rows.start), (15 << 16, 15 << 16));
    }
}
