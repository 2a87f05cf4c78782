//! Reading a table back from an output folder the manifest-aware way: the record batches of the
//! part files its manifest lists, skipping the parts that hold only rows after a time. What a
//! resumed job restores its history-dependent state from, and what `cpt table` renders.

use super::manifest::read_manifest;
use anyhow::Context;
use arrow_array::{Array, Int64Array, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;
use std::path::Path;

/// The record batches of `table` in the output folder `root`, from the part files its manifest
/// lists, leaving out the parts whose rows all come after `through` (rows after it may remain in
/// the batches: filter on `time`). No part of a table the manifest does not know is no batch.
pub fn read_batches(root: &Path, table: &str, through: Option<u64>) -> anyhow::Result<Vec<RecordBatch>> {
    let manifest = read_manifest(root)?;
    let mut batches = Vec::new();
    for part in manifest.tables.get(table).into_iter().flatten() {
        if through.is_some_and(|t| part.min_time > t) {
            continue;
        }
        let path = root.join(&part.file);
        let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|builder| builder.build())
            .with_context(|| format!("reading {}", path.display()))?;
        for batch in reader {
            batches.push(batch.with_context(|| format!("reading {}", path.display()))?);
        }
    }
    Ok(batches)
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

/// The Utf8 column `name` of `batch`.
pub fn text_column<'b>(batch: &'b RecordBatch, name: &str) -> anyhow::Result<&'b StringArray> {
    column(batch, name)
}
