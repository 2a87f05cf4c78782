//! Committed rows read back: the state of the `files`, `errors` and `clone_pairs` tables at a
//! durable time, summed from the part files the manifest lists, and the size of any table then
//! (ARCHITECTURE §6), which is what a resumed job starts from. Only the columns that identify a
//! path's input or a pair are read.

use super::manifest::Manifest;
use super::read::{for_each_batch, int64_column, parts_through, text_column};
use super::TableRow;
use crate::rows::{ClonePairRow, ErrorRow, FileRow, PathBytes};
use anyhow::{anyhow, bail, Context};
use arrow_array::cast::AsArray;
use arrow_array::{Array, BinaryArray, RecordBatch, StringArray};
use cpt_operators::model::{ContentId, ContentKey, ErrorReason, Lang};
use std::path::Path;

/// The files of the state at `time` of the output folder `root`: each path with the content (and
/// language) it holds.
pub fn files_at(root: &Path, manifest: &Manifest, time: u64) -> anyhow::Result<Vec<(PathBytes, ContentKey)>> {
    let columns = ["path", "path_raw", "lang", "content_id"];
    state_at(root, manifest, FileRow::TABLE, &columns, time, |batch| {
        let (paths, langs, ids) =
            (PathColumn::of(batch)?, text_column(batch, "lang")?, text_column(batch, "content_id")?);
        rows_of(batch, |row| {
            let lang = langs.value(row);
            let lang = Lang::from_name(lang).ok_or_else(|| anyhow!("unknown language {lang:?}"))?;
            Ok((paths.value(row), ContentKey { id: content_id(ids.value(row))?, lang }))
        })
    })
}

/// The `errors` rows of the state at `time` of the output folder `root`.
pub fn errors_at(root: &Path, manifest: &Manifest, time: u64) -> anyhow::Result<Vec<ErrorRow>> {
    let columns = ["path", "path_raw", "reason", "detail", "content_id"];
    state_at(root, manifest, ErrorRow::TABLE, &columns, time, |batch| {
        let (paths, reasons, details) =
            (PathColumn::of(batch)?, text_column(batch, "reason")?, text_column(batch, "detail")?);
        let ids = batch.column_by_name("content_id").context("no content_id column")?;
        let id_texts = ids.as_string_opt::<i32>().context("column content_id is not Utf8")?;
        rows_of(batch, |row| {
            let reason = reasons.value(row);
            let reason = ErrorReason::ALL
                .into_iter()
                .find(|known| known.name() == reason)
                .ok_or_else(|| anyhow!("unknown error reason {reason:?}"))?;
            let content_id = match ids.is_null(row) {
                true => None,
                false => Some(content_id(id_texts.value(row))?),
            };
            Ok(ErrorRow { path: paths.value(row), reason, detail: details.value(row).to_string(), content_id })
        })
    })
}

/// The near-miss pairs in the state at `time` of the output folder `root`: each `clone_pairs`
/// row's two unit keys, smaller first (what a resumed job's clone classes start from).
pub fn clone_links_at(root: &Path, manifest: &Manifest, time: u64) -> anyhow::Result<Vec<(i64, i64)>> {
    state_at(root, manifest, ClonePairRow::TABLE, &["unit_key_a", "unit_key_b"], time, |batch| {
        let (a_keys, b_keys) = (int64_column(batch, "unit_key_a")?, int64_column(batch, "unit_key_b")?);
        rows_of(batch, |row| Ok((a_keys.value(row), b_keys.value(row))))
    })
}

/// How many rows `table` of the output folder `root` holds at `time`: the sum of its diffs up to
/// then (no row is decoded).
pub fn table_size_at(root: &Path, manifest: &Manifest, table: &str, time: u64) -> anyhow::Result<u64> {
    let mut size = 0i64;
    for_each_batch(root, manifest, table, Some(time), Some(&[]), |batch| {
        let (times, diffs) = (int64_column(&batch, "time")?, int64_column(&batch, "diff")?);
        let due =
            times.values().iter().zip(diffs.values()).filter(|(&at, _)| u64::try_from(at).is_ok_and(|at| at <= time));
        size += due.map(|(_, diff)| diff).sum::<i64>();
        Ok(())
    })?;
    u64::try_from(size).map_err(|_| anyhow!("table {table} of {} holds {size} rows at time {time}", root.display()))
}

/// The rows of `table` summed over the times up to `time`: those present once. `rows` decodes the
/// rows of a batch holding `columns` (plus `time` and `diff`), in order. A row left with another sum than
/// 0 or 1 means the output is not a consistent changelog.
fn state_at<K: Ord>(
    root: &Path,
    manifest: &Manifest,
    table: &str,
    columns: &[&str],
    time: u64,
    rows: impl Fn(&RecordBatch) -> anyhow::Result<Vec<K>>,
) -> anyhow::Result<Vec<K>> {
    // Batch by batch, into room for every row: a table of millions of rows is held once.
    let listed: u64 = parts_through(manifest, table, Some(time)).map(|part| part.rows).sum();
    let mut updates: Vec<(K, i64)> = Vec::with_capacity(usize::try_from(listed).unwrap_or(0));
    for_each_batch(root, manifest, table, Some(time), Some(columns), |batch| {
        let (times, diffs) = (int64_column(&batch, "time")?, int64_column(&batch, "diff")?);
        let stamped = rows(&batch)?.into_iter().zip(times.values().iter().zip(diffs.values()));
        let due = stamped.filter(|(_, (&at, _))| u64::try_from(at).is_ok_and(|at| at <= time));
        updates.extend(due.map(|(row, (_, &diff))| (row, diff)));
        Ok(())
    })?;
    // Sorted and summed in place: a table of millions of rows (`similar_pairs`) needs no tree.
    // Each part file holds its rows in order, so the sort that merges runs does less work.
    updates.sort_by(|x, y| x.0.cmp(&y.0));
    updates.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 += later.1;
        }
        same
    });
    if let Some((_, sum)) = updates.iter().find(|(_, sum)| !matches!(sum, 0 | 1)) {
        bail!("table {table} of {} sums a row to {sum} at time {time}: not a consistent changelog", root.display());
    }
    Ok(updates.into_iter().filter(|(_, sum)| *sum == 1).map(|(row, _)| row).collect())
}

/// Every row of `batch`, decoded by `row` from its index.
fn rows_of<K>(batch: &RecordBatch, row: impl Fn(usize) -> anyhow::Result<K>) -> anyhow::Result<Vec<K>> {
    (0..batch.num_rows()).map(row).collect()
}

/// A batch's path columns: the exact bytes where the lossy text would lose them, else the text.
struct PathColumn<'b> {
    raw: &'b BinaryArray,
    text: &'b StringArray,
}

impl<'b> PathColumn<'b> {
    fn of(batch: &'b RecordBatch) -> anyhow::Result<PathColumn<'b>> {
        let raw = batch.column_by_name("path_raw").context("no path_raw column")?;
        let raw = raw.as_binary_opt::<i32>().context("column path_raw is not Binary")?;
        Ok(PathColumn { raw, text: text_column(batch, "path")? })
    }

    fn value(&self, row: usize) -> PathBytes {
        self.bytes(row).to_vec()
    }

    fn bytes(&self, row: usize) -> &'b [u8] {
        match self.raw.is_null(row) {
            false => self.raw.value(row),
            true => self.text.value(row).as_bytes(),
        }
    }
}

fn content_id(hex: &str) -> anyhow::Result<ContentId> {
    ContentId::from_hex(hex).ok_or_else(|| anyhow!("{hex:?} is not a content id"))
}
