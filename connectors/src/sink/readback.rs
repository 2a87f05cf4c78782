//! Committed rows read back: the state of the `files`, `errors`, `similar_pairs`, `units` and
//! `clone_pairs` tables at a durable time, summed from the part files the manifest lists
//! (ARCHITECTURE §6), which is what a resumed job starts from. Only the columns that identify a
//! path's input, a pair, or what the token check of a pair depends on, are read.

use super::manifest::Manifest;
use super::read::{int32_column, int64_column, read_projected, text_column};
use super::TableRow;
use crate::rows::{ClonePairRow, ErrorRow, FileRow, PathBytes, UnitRow};
use anyhow::{anyhow, bail, Context};
use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use cpt_operators::model::{ContentId, ContentKey, ErrorReason, Lang};
use cpt_operators::similarity::Pair;
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

/// The similar pairs of the state at `time` of the output folder `root`: the similarity join's
/// output, which a resumed job restores instead of joining again.
pub fn similar_pairs_at(root: &Path, manifest: &Manifest, time: u64) -> anyhow::Result<Vec<Pair>> {
    let columns = ["a_unit_key", "b_unit_key", "score"];
    state_at(root, manifest, Pair::TABLE, &columns, time, |batch, row| {
        let score = int32_column(batch, "score")?.value(row);
        let score = u16::try_from(score).map_err(|_| anyhow!("similar pair score {score} out of range"))?;
        let (a, b) = (int64_column(batch, "a_unit_key")?.value(row), int64_column(batch, "b_unit_key")?.value(row));
        match a < b {
            true => Ok(Pair { a, b, score }),
            false => Err(anyhow!("similar pair ({a}, {b}) is not ordered")),
        }
    })
}

/// What the token check of a pair reads of a unit, as the `units` table holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitIdentity {
    /// The unit's key.
    pub unit_key: i64,
    /// Its structural hash, of which its token sequence is a function.
    pub struct_hash: u64,
    /// Its language.
    pub lang: Lang,
    /// The xxh3 of its file's path.
    pub path_hash: u64,
}

/// The units of the state at `time` of the output folder `root`, as the token check knows them.
pub fn unit_identities_at(root: &Path, manifest: &Manifest, time: u64) -> anyhow::Result<Vec<UnitIdentity>> {
    let columns = ["unit_key", "struct_hash", "lang", "path", "path_raw"];
    state_at(root, manifest, UnitRow::TABLE, &columns, time, |batch, row| {
        let lang = text(batch, "lang", row)?;
        Ok(UnitIdentity {
            unit_key: int64_column(batch, "unit_key")?.value(row),
            struct_hash: int64_column(batch, "struct_hash")?.value(row) as u64,
            lang: Lang::from_name(lang).ok_or_else(|| anyhow!("unknown language {lang:?}"))?,
            path_hash: xxhash_rust::xxh3::xxh3_64(&path(batch, row)?),
        })
    })
}

/// The verdicts of the token check in the state at `time` of the output folder `root`: each
/// `clone_pairs` row's two unit keys (smaller first) and common subsequence in percent.
pub fn clone_verdicts_at(root: &Path, manifest: &Manifest, time: u64) -> anyhow::Result<Vec<(i64, i64, u8)>> {
    let columns = ["unit_key_a", "unit_key_b", "lcs_percent"];
    state_at(root, manifest, ClonePairRow::TABLE, &columns, time, |batch, row| {
        let percent = int32_column(batch, "lcs_percent")?.value(row);
        let percent = u8::try_from(percent).map_err(|_| anyhow!("lcs_percent {percent} out of range"))?;
        Ok((int64_column(batch, "unit_key_a")?.value(row), int64_column(batch, "unit_key_b")?.value(row), percent))
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
    let mut updates: Vec<(K, i64)> = Vec::new();
    for batch in read_projected(root, manifest, table, Some(time), Some(columns))? {
        let (times, diffs) = (int64_column(&batch, "time")?, int64_column(&batch, "diff")?);
        for i in 0..batch.num_rows() {
            if u64::try_from(times.value(i)).is_ok_and(|t| t <= time) {
                updates.push((row(&batch, i)?, diffs.value(i)));
            }
        }
    }
    // Sorted and summed in place: a table of millions of rows (`similar_pairs`) needs no tree.
    updates.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    let mut present = Vec::with_capacity(updates.len());
    let mut updates = updates.into_iter().peekable();
    while let Some((key, mut sum)) = updates.next() {
        while let Some((_, diff)) = updates.next_if(|(next, _)| *next == key) {
            sum += diff;
        }
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
