//! The cache-blocked scan that every CPU join runs: queries × rows in tiles of [`TILE`] vectors
//! (32 KiB of rows, reused by every query of a query tile while it sits in L1/L2), the kernel's dot
//! products, then the threshold test.
//!
//! The exact test costs a few i64 products per pair, as much as a VNNI dot product, so a cheaper
//! necessary condition runs first, in i32: a passing pair has `100·d ≥ θ·|a|·|b|`, and
//! `|a|·|b| ≥ ⌊|a|⌋·⌊|b|⌋`, so it has `100·d ≥ θ·⌊|a|⌋·⌊|b|⌋` (both sides ≤ 100·2²¹ < 2³¹).
//! Only pairs meeting it (a few percent on real vectors) take the exact test.

use super::contract::Threshold;
use super::kernel::Kernel;
use super::vector::Vector;
use std::ops::Range;

/// Vectors per tile, on both sides.
pub const TILE: usize = 256;

/// Vectors with what the threshold test needs of each: `|v|²` and `⌊|v|⌋ = ⌊√|v|²⌋`.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    vectors: Vec<Vector>,
    norms: Vec<i32>,
    roots: Vec<i32>,
}

impl Rows {
    /// `vectors` with their norms.
    pub fn new(vectors: Vec<Vector>) -> Rows {
        let norms: Vec<i32> = vectors.iter().map(Vector::norm).collect();
        let roots = norms.iter().map(|&n| root(n)).collect();
        Rows { vectors, norms, roots }
    }

    /// The number of vectors.
    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    /// True when there are no vectors.
    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// Vector `i`.
    pub fn vector(&self, i: usize) -> &Vector {
        &self.vectors[i]
    }

    /// `|vector i|²`.
    pub fn norm(&self, i: usize) -> i32 {
        self.norms[i]
    }

    /// `⌊|vector i|⌋`, the root the cheap necessary test uses.
    pub fn root(&self, i: usize) -> i32 {
        self.roots[i]
    }

    /// Appends `vector`.
    pub fn push(&mut self, vector: Vector) {
        self.vectors.push(vector);
        self.norms.push(vector.norm());
        self.roots.push(root(vector.norm()));
    }

    /// Replaces vector `i`.
    pub fn set(&mut self, i: usize, vector: Vector) {
        self.vectors[i] = vector;
        self.norms[i] = vector.norm();
        self.roots[i] = root(self.norms[i]);
    }
}

/// `⌊√n⌋` of a squared norm.
fn root(norm: i32) -> i32 {
    norm.unsigned_abs().isqrt() as i32
}

/// What a scan counts besides its matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Dot products computed.
    pub compared: u64,
}

/// Calls `on_match(query, row, dot)` for every query `q` and every row in `candidates(q)` (a range
/// of row indices) whose pair passes `threshold`, in tile order. `candidates` must be monotone in
/// both ends (as a size band over size-sorted vectors is) or cover all rows.
pub fn scan(
    kernel: Kernel,
    threshold: Threshold,
    queries: &Rows,
    rows: &Rows,
    candidates: impl Fn(usize) -> Range<usize>,
    mut on_match: impl FnMut(usize, usize, i32),
) -> ScanStats {
    let mut stats = ScanStats::default();
    let mut dots = vec![0i32; TILE];
    for query_tile in (0..queries.vectors.len()).step_by(TILE) {
        let query_end = (query_tile + TILE).min(queries.vectors.len());
        let first_row = candidates(query_tile).start;
        let last_row = candidates(query_end - 1).end;
        for row_tile in (first_row / TILE * TILE..last_row).step_by(TILE) {
            let tile = row_tile..(row_tile + TILE).min(rows.vectors.len());
            for q in query_tile..query_end {
                let wanted = candidates(q);
                let range = wanted.start.max(tile.start)..wanted.end.min(tile.end);
                if range.is_empty() {
                    continue;
                }
                let out = &mut dots[..range.len()];
                kernel.dots(&queries.vectors[q], &rows.vectors[range.clone()], out);
                stats.compared += range.len() as u64;
                let bound = i32::from(threshold.percent()) * queries.roots[q];
                for ((row, &dot), &root) in range.clone().zip(out.iter()).zip(&rows.roots[range]) {
                    if 100 * dot >= bound * root && threshold.passes(dot, queries.norms[q], rows.norms[row]) {
                        on_match(q, row, dot);
                    }
                }
            }
        }
    }
    stats
}
