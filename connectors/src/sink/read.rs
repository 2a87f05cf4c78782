//! Reading a table back from an output folder the manifest-aware way: the record batches of the
//! part files its manifest lists, skipping the parts that hold only rows after a time. What a
//! resumed job restores its history-dependent state from, and what `cpt table` renders: typed
//! rows with their times and diffs ([`read_updates`]) and the state they sum to ([`final_state`]).

use super::manifest::{read_manifest, Manifest, PartEntry};
use super::Update;
use anyhow::Context;
use arrow_array::{Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

/// The record batches of `table` in the output folder `root`, from the part files its manifest
/// lists, leaving out the parts whose rows all come after `through` (rows after it may remain in
/// the batches: filter on `time`). No part of a table the manifest does not know is no batch.
pub fn read_batches(root: &Path, table: &str, through: Option<u64>) -> anyhow::Result<Vec<RecordBatch>> {
    read_projected(root, &read_manifest(root)?, table, through, None)
}

/// As [`read_batches`], with the manifest already read and, when `columns` are named, only those
/// columns besides `time` and `diff`.
pub fn read_projected(
    root: &Path,
    manifest: &Manifest,
    table: &str,
    through: Option<u64>,
    columns: Option<&[&str]>,
) -> anyhow::Result<Vec<RecordBatch>> {
    let mut batches = Vec::new();
    for_each_batch(root, manifest, table, through, columns, |batch| {
        batches.push(batch);
        Ok(())
    })?;
    Ok(batches)
}

/// As [`read_projected`], handing each record batch to `each` as it is read, so that a table of
/// many rows is never held whole as batches.
pub fn for_each_batch(
    root: &Path,
    manifest: &Manifest,
    table: &str,
    through: Option<u64>,
    columns: Option<&[&str]>,
    mut each: impl FnMut(RecordBatch) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for part in parts_through(manifest, table, through) {
        let path = root.join(&part.file);
        let mut read = || -> anyhow::Result<()> {
            let mut builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path)?)?;
            if let Some(columns) = columns {
                let named = ["time", "diff"].iter().chain(columns).copied();
                let mask = ProjectionMask::columns(builder.parquet_schema(), named);
                builder = builder.with_projection(mask);
            }
            for batch in builder.build()? {
                each(batch?)?;
            }
            Ok(())
        };
        read().with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(())
}

/// The part files of `table` that hold rows, leaving out those whose rows all come after `through`.
pub fn parts_through<'m>(
    manifest: &'m Manifest,
    table: &str,
    through: Option<u64>,
) -> impl Iterator<Item = &'m PartEntry> + 'm {
    let parts = manifest.tables.get(table).into_iter().flatten();
    parts.filter(move |part| part.rows > 0 && through.is_none_or(|t| part.min_time <= t))
}

/// The column `name` of `batch` as `A`, or why it is not one.
pub fn column<'b, A: Array + 'static>(batch: &'b RecordBatch, name: &str) -> anyhow::Result<&'b A> {
    batch
        .column_by_name(name)
        .with_context(|| format!("no column {name}"))?
        .as_any()
        .downcast_ref::<A>()
        .with_context(|| format!("column {name} has another type"))
}

/// The Int64 column `name` of `batch`.
pub fn int64_column<'b>(batch: &'b RecordBatch, name: &str) -> anyhow::Result<&'b Int64Array> {
    column(batch, name)
}

/// The Int32 column `name` of `batch`.
pub fn int32_column<'b>(batch: &'b RecordBatch, name: &str) -> anyhow::Result<&'b Int32Array> {
    column(batch, name)
}

/// The Utf8 column `name` of `batch`.
pub fn text_column<'b>(batch: &'b RecordBatch, name: &str) -> anyhow::Result<&'b StringArray> {
    column(batch, name)
}

/// A row type that can be read back from a table's record batches.
pub trait FromBatch: Sized {
    /// The rows of `batch`, in order.
    fn from_batch(batch: &RecordBatch) -> anyhow::Result<Vec<Self>>;
}

/// The updates of `table` in the output folder `root` with times up to `through`: each row with
/// its time and diff, as the part files hold them (not consolidated).
pub fn read_updates<R: FromBatch>(root: &Path, table: &str, through: u64) -> anyhow::Result<Vec<Update<R>>> {
    let mut updates = Vec::new();
    for batch in read_batches(root, table, Some(through))? {
        let (times, diffs) = (int64_column(&batch, "time")?, int64_column(&batch, "diff")?);
        let rows = R::from_batch(&batch).with_context(|| format!("reading table {table}"))?;
        for (index, row) in rows.into_iter().enumerate() {
            let time = times.value(index) as u64;
            if time <= through {
                updates.push(Update { row, time, diff: diffs.value(index) });
            }
        }
    }
    Ok(updates)
}

/// The state after all `updates`: each row whose diffs do not sum to zero, with that sum, in row order.
pub fn final_state<R: Ord>(updates: impl IntoIterator<Item = Update<R>>) -> Vec<(R, i64)> {
    let mut state = BTreeMap::new();
    for update in updates {
        *state.entry(update.row).or_insert(0) += update.diff;
    }
    state.into_iter().filter(|(_, diff)| *diff != 0).collect()
}

/// A Float64 cell that is ordered (by [`f64::total_cmp`]), so that rows holding one consolidate.
#[derive(Clone, Copy, Debug)]
pub struct Float64(pub f64);

impl PartialEq for Float64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Float64 {}

impl PartialOrd for Float64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Float64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The Float64 column `name` of `batch`.
pub fn float64_column<'b>(batch: &'b RecordBatch, name: &str) -> anyhow::Result<&'b Float64Array> {
    column(batch, name)
}

#[cfg(test)]
mod tests {
    use super::{final_state, Float64};
    use crate::sink::Update;

    #[test]
    fn final_state_sums_diffs_and_drops_rows_that_cancel() {
        let update = |row: (&'static str, f64), time, diff| Update { row: (row.0, Float64(row.1)), time, diff };
        let updates =
            [update(("a", 0.5), 0, 1), update(("b", 1.0), 0, 1), update(("a", 0.5), 1, -1), update(("a", 0.25), 1, 1)];
        assert_eq!(final_state(updates), vec![(("a", Float64(0.25)), 1), (("b", Float64(1.0)), 1)]);
    }
}
