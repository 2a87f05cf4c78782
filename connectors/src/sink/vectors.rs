//! The unit vectors of an output folder as similarity-join entries: the `units` table's state at
//! its last time (read through the manifest, four columns only), keeping the units a near-miss
//! join takes (not file units, a non-zero vector), sorted by unit key.

use super::read::{column, int32_column, int64_column, read_projected};
use super::read_manifest;
use anyhow::{ensure, Context};
use arrow_array::cast::AsArray;
use arrow_array::types::Int8Type;
use arrow_array::{Array, FixedSizeListArray, RecordBatch};
use cpt_operators::similarity::{Entry, UnitKey, Vector};
use std::collections::BTreeMap;
use std::path::Path;

/// The columns read besides `time` and `diff`.
const COLUMNS: [&str; 4] = ["unit_key", "parent_unit_key", "tokens", "vector"];

/// A `units` row as the export sees it: key, whether it is a file unit, tokens, vector.
type VectorRow = (UnitKey, bool, u32, Vector);

/// The entries (key, tokens as the size, vector) of the non-file units with a non-zero vector in
/// the state of `output`'s `units` table at its last time, sorted by key.
pub fn unit_entries(output: &Path) -> anyhow::Result<Vec<Entry>> {
    let manifest = read_manifest(output)?;
    let mut state: BTreeMap<VectorRow, i64> = BTreeMap::new();
    for batch in read_projected(output, &manifest, "units", None, Some(&COLUMNS))? {
        for (row, diff) in vector_rows(&batch).context("reading the units table")? {
            *state.entry(row).or_insert(0) += diff;
        }
    }
    let mut entries = Vec::new();
    for ((key, is_file, size, vector), diff) in state {
        ensure!((0..=1).contains(&diff), "unit {key} is present {diff} times in the units table");
        if diff == 1 && !is_file && vector != Vector::ZERO {
            entries.push(Entry { key, size, vector });
        }
    }
    ensure!(entries.windows(2).all(|w| w[0].key < w[1].key), "a unit key has two vectors at once");
    Ok(entries)
}

/// The rows of one `units` batch with their diffs.
fn vector_rows(batch: &RecordBatch) -> anyhow::Result<Vec<(VectorRow, i64)>> {
    let (keys, parents, diffs) =
        (int64_column(batch, "unit_key")?, int64_column(batch, "parent_unit_key")?, int64_column(batch, "diff")?);
    let tokens = int32_column(batch, "tokens")?;
    let vectors: &FixedSizeListArray = column(batch, "vector")?;
    (0..batch.num_rows())
        .map(|row| {
            let key = keys.value(row);
            let components = vectors.value(row);
            let vector = Vector::from_slice(components.as_primitive::<Int8Type>().values())
                .with_context(|| format!("unit {key} has a vector of {} components", components.len()))?;
            let size = u32::try_from(tokens.value(row)).with_context(|| format!("unit {key} has negative tokens"))?;
            Ok(((key, parents.is_null(row), size, vector), diffs.value(row)))
        })
        .collect()
}
