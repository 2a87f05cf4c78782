//! Committed rows read back: the state of the `files`, `errors`, `similar_pairs`, `units` and
//! `clone_pairs` tables at a durable time, summed from the part files the manifest lists
//! (ARCHITECTURE §6), which is what a resumed job starts from. Only the columns that identify a
//! path's input, a pair, or what the token check of a pair depends on, are read.

use super::manifest::Manifest;
use super::read::{for_each_batch, int32_column, int64_column, parts_through, text_column};
use super::TableRow;
use crate::rows::{ClonePairRow, ErrorRow, FileRow, PathBytes, UnitRow};
use anyhow::{anyhow, bail, Context};
use arrow_array::cast::AsArray;
use arrow_array::{Array, BinaryArray, RecordBatch, StringArray};
use cpt_operators::model::{ContentId, ContentKey, ErrorReason, Lang};
use cpt_operators::similarity::Pair;
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

/// The similar pairs of the state at `time` of the output folder `root`: the similarity join's
/// output, which a resumed job restores instead of joining again.
pub fn similar_pairs_at(root: &Path, manifest: &Manifest, time: u64) -> anyhow::Result<Vec<Pair>> {
    let columns = ["a_unit_key", "b_unit_key", "score"];
    state_at(root, manifest, Pair::TABLE, &columns, time, |batch| {
        pair_rows(batch, columns, |a, b, score| {
            let score = u16::try_from(score).map_err(|_| anyhow!("similar pair score {score} out of range"))?;
            match a < b {
                true => Ok(Pair { a, b, score }),
                false => Err(anyhow!("similar pair ({a}, {b}) is not ordered")),
            }
        })
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
    state_at(root, manifest, UnitRow::TABLE, &columns, time, |batch| {
        let (keys, hashes) = (int64_column(batch, "unit_key")?, int64_column(batch, "struct_hash")?);
        let (langs, paths) = (text_column(batch, "lang")?, PathColumn::of(batch)?);
        rows_of(batch, |row| {
            let lang = langs.value(row);
            Ok(UnitIdentity {
                unit_key: keys.value(row),
                struct_hash: hashes.value(row) as u64,
                lang: Lang::from_name(lang).ok_or_else(|| anyhow!("unknown language {lang:?}"))?,
                path_hash: xxhash_rust::xxh3::xxh3_64(paths.bytes(row)),
            })
        })
    })
}

/// The verdicts of the token check in the state at `time` of the output folder `root`: each
/// `clone_pairs` row's two unit keys (smaller first) and common subsequence in percent.
pub fn clone_verdicts_at(root: &Path, manifest: &Manifest, time: u64) -> anyhow::Result<Vec<(i64, i64, u8)>> {
    let columns = ["unit_key_a", "unit_key_b", "lcs_percent"];
    state_at(root, manifest, ClonePairRow::TABLE, &columns, time, |batch| {
        pair_rows(batch, columns, |a, b, percent| {
            let percent = u8::try_from(percent).map_err(|_| anyhow!("lcs_percent {percent} out of range"))?;
            Ok((a, b, percent))
        })
    })
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

/// Every row of a batch of pairs, from its columns `[a, b, value]` (two unit keys, Int64, and an
/// Int32), decoded by `row`.
fn pair_rows<K>(
    batch: &RecordBatch,
    [a, b, value]: [&str; 3],
    row: impl Fn(i64, i64, i32) -> anyhow::Result<K>,
) -> anyhow::Result<Vec<K>> {
    let (a_keys, b_keys, values) = (int64_column(batch, a)?, int64_column(batch, b)?, int32_column(batch, value)?);
    rows_of(batch, |index| row(a_keys.value(index), b_keys.value(index), values.value(index)))
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
