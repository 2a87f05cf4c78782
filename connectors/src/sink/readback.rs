//! Committed rows read back: the state of the `files` and `errors` tables at a durable time, summed
//! from the part files the manifest lists (ARCHITECTURE §6), which is what a resumed watch starts
//! from. Only the columns that identify a path's input are read.

use super::manifest::Manifest;
use super::read::{int64_column, read_projected, text_column};
use super::TableRow;
use crate::rows::{ErrorRow, FileRow, PathBytes};
use anyhow::{anyhow, bail, Context};
use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use cpt_operators::model::{ContentId, ContentKey, ErrorReason, Lang};
use std::collections::BTreeMap;
use std::path::Path;

/// The files of the state at `time` of the output folder `root`: each path with the content (and
/// language) it holds.
pub fn files_at(root: &Path, manifest: &Manifest, time: u64) -> anyhow::Result<Vec<(PathBytes, ContentKey)>> {
    let columns = ["path", "path_raw", "lang", "content_id"];
    state_at(root, manifest, FileRow::TABLE, &columns, time, |batch, row| {
        let lang = text(batch, "lang", row)?;
        let lang = Lang::from_name(lang).ok_or_else(|| anyhow!("unknown language {lang:?}"))?;
        Ok((path(batch, row)?, ContentKey { id: content_id(text(batch, "content_id", row)?)?, lang }))
    })
}

/// The `errors` rows of the state at `time` of the output folder `root`.
pub fn errors_at(root: &Path, manifest: &Manifest, time: u64) -> anyhow::Result<Vec<ErrorRow>> {
    let columns = ["path", "path_raw", "reason", "detail", "content_id"];
    state_at(root, manifest, ErrorRow::TABLE, &columns, time, |batch, row| {
        let reason = text(batch, "reason", row)?;
        let reason = ErrorReason::ALL
            .into_iter()
            .find(|known| known.name() == reason)
            .ok_or_else(|| anyhow!("unknown error reason {reason:?}"))?;
        let id = batch.column_by_name("content_id").context("no content_id column")?;
        let content_id = match id.is_null(row) {
            true => None,
            false => Some(content_id(id.as_string::<i32>().value(row))?),
        };
        Ok(ErrorRow { path: path(batch, row)?, reason, detail: text(batch, "detail", row)?.to_string(), content_id })
    })
}

/// The rows of `table` summed over the times up to `time`: those present once. `row` decodes one
/// row of a batch holding `columns` (plus `time` and `diff`). A row left with another sum than
/// 0 or 1 means the output is not a consistent changelog.
fn state_at<K: Ord>(
    root: &Path,
    manifest: &Manifest,
    table: &str,
    columns: &[&str],
    time: u64,
    row: impl Fn(&RecordBatch, usize) -> anyhow::Result<K>,
) -> anyhow::Result<Vec<K>> {
    let mut sums: BTreeMap<K, i64> = BTreeMap::new();
    for batch in read_projected(root, manifest, table, Some(time), Some(columns))? {
        let (times, diffs) = (int64_column(&batch, "time")?, int64_column(&batch, "diff")?);
        for i in 0..batch.num_rows() {
            if u64::try_from(times.value(i)).is_ok_and(|t| t <= time) {
                *sums.entry(row(&batch, i)?).or_insert(0) += diffs.value(i);
            }
        }
    }
    let mut present = Vec::with_capacity(sums.len());
    for (key, sum) in sums {
        match sum {
            0 => {}
            1 => present.push(key),
            _ => bail!(
                "table {table} of {} sums a row to {sum} at time {time}: not a consistent changelog",
                root.display()
            ),
        }
    }
    Ok(present)
}

fn text<'a>(batch: &'a RecordBatch, name: &str, row: usize) -> anyhow::Result<&'a str> {
    Ok(text_column(batch, name)?.value(row))
}

/// A path: its exact bytes where the lossy text would lose them, else the text.
fn path(batch: &RecordBatch, row: usize) -> anyhow::Result<PathBytes> {
    let raw = batch.column_by_name("path_raw").context("no path_raw column")?;
    if !raw.is_null(row) {
        return Ok(raw.as_binary_opt::<i32>().context("column path_raw is not Binary")?.value(row).to_vec());
    }
    Ok(text(batch, "path", row)?.as_bytes().to_vec())
}

fn content_id(hex: &str) -> anyhow::Result<ContentId> {
    ContentId::from_hex(hex).ok_or_else(|| anyhow!("{hex:?} is not a content id"))
}
