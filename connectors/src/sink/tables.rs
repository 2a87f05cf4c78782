//! Schemas of the output tables and the conversion of their rows into Arrow record batches.
//!
//! Every table starts with `time` (Int64) and `diff` (Int64). Types are those every reader takes:
//! Int64 for keys, hashes (a `u64` hash is stored bit for bit, `as i64`), byte sizes and times;
//! Int32 for line numbers and small counts; Utf8 for names; a path is `path` (Utf8, lossy) plus
//! `path_raw` (Binary: the exact bytes, NULL when the path is valid UTF-8). `vector` is a
//! FixedSizeList of 128 Int8. No unsigned or dictionary types.
//!
//! | table | columns after `time`, `diff` |
//! |---|---|
//! | `files` | path, path_raw, lang, content_id, bytes (Int64), lines, tokens, units, error_nodes (Int32) |
//! | `units` | unit_key, parent_unit_key (NULL for a file unit), path, path_raw, lang, content_id, kind, name, ordinal, start_line, end_line, tokens, nodes, lines, cyclomatic, max_nesting (Int32), exact_hash, struct_hash (Int64), vector |
//! | `clone_groups` | group_id, unit_key, path, path_raw, lang, kind, name, start_line, end_line, tokens (Int32), exact_hash |
//! | `clone_pairs` | for each unit, `_a` (smaller key) then `_b`: unit_key, path, path_raw, lang, kind, name, start_line, end_line, tokens (Int32); then score (Int32, ⌊1000·cos⌋ of the vectors), lcs_percent (Int32) |
//! | `clone_classes` | class_id (the smallest member's unit_key), unit_key, path, path_raw, lang, kind, name, start_line, end_line, tokens (Int32) |
//! | `errors` | path, path_raw, reason, detail, content_id (NULL when the content was not read) |
//! | `commits` | sha, author_time (Int64, seconds since the epoch), author, subject (replay only) |
//! | `lineage` | commit, old_path, old_path_raw, new_path, new_path_raw, similarity (Int32), old_unit_key, new_unit_key (NULL on a file's row) (replay only) |
//! | `times` | wall_clock_ms (Int64, milliseconds since the epoch), changed_paths (Int32) (watch only) |

use super::{TableRow, Update};
use crate::rows::{
    CloneClassRow, CloneMemberRow, ClonePairRow, CloneUnit, CommitRow, ErrorRow, FileRow, LineageRow, TimeRow, UnitRow,
};
use anyhow::{bail, Context};
use arrow_array::{
    ArrayRef, BinaryArray, FixedSizeListArray, Int32Array, Int64Array, Int8Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, FieldRef, Schema, SchemaRef};
use cpt_operators::model::{ContentId, VECTOR_DIMS};
use std::sync::{Arc, OnceLock};

/// The tables this sink writes, by folder name.
pub fn table_names() -> &'static [&'static str] {
    &[
        FileRow::TABLE,
        UnitRow::TABLE,
        CloneMemberRow::TABLE,
        ErrorRow::TABLE,
        CommitRow::TABLE,
        LineageRow::TABLE,
        TimeRow::TABLE,
        ClonePairRow::TABLE,
        CloneClassRow::TABLE,
    ]
}

/// The schema of the table named `table`.
pub(super) fn schema_of(table: &str) -> anyhow::Result<SchemaRef> {
    Ok(match table {
        FileRow::TABLE => FileRow::schema(),
        UnitRow::TABLE => UnitRow::schema(),
        CloneMemberRow::TABLE => CloneMemberRow::schema(),
        ErrorRow::TABLE => ErrorRow::schema(),
        CommitRow::TABLE => CommitRow::schema(),
        LineageRow::TABLE => LineageRow::schema(),
        TimeRow::TABLE => TimeRow::schema(),
        ClonePairRow::TABLE => ClonePairRow::schema(),
        CloneClassRow::TABLE => CloneClassRow::schema(),
        _ => bail!("no table named {table} is known to the sink"),
    })
}

impl TableRow for FileRow {
    const TABLE: &'static str = "files";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                let mut fields = path_fields();
                fields.extend([
                    text("lang"),
                    text("content_id"),
                    int64("bytes"),
                    int32("lines"),
                    int32("tokens"),
                    int32("units"),
                    int32("error_nodes"),
                ]);
                changelog_schema(fields)
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .path(|r| &r.path)
            .text(|r| r.lang.name())
            .content_id(|r| &r.content_id)
            .int64_from_u64("bytes", |r| r.stats.bytes)?
            .int32("lines", |r| r.stats.lines)?
            .int32("tokens", |r| r.stats.tokens)?
            .int32("units", |r| r.stats.units)?
            .int32("error_nodes", |r| r.stats.error_nodes)?
            .finish(Self::schema())
    }
}

impl TableRow for UnitRow {
    const TABLE: &'static str = "units";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                let mut fields = vec![int64("unit_key"), Field::new("parent_unit_key", DataType::Int64, true)];
                fields.extend(path_fields());
                fields.extend([
                    text("lang"),
                    text("content_id"),
                    text("kind"),
                    text("name"),
                    int32("ordinal"),
                    int32("start_line"),
                    int32("end_line"),
                    int32("tokens"),
                    int32("nodes"),
                    int32("lines"),
                    int32("cyclomatic"),
                    int32("max_nesting"),
                    int64("exact_hash"),
                    int64("struct_hash"),
                    Field::new("vector", vector_type(), false),
                ]);
                changelog_schema(fields)
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .int64(|r| r.unit_key)
            .optional_int64(|r| r.parent_unit_key)
            .path(|r| &r.path)
            .text(|r| r.lang.name())
            .content_id(|r| &r.content_id)
            .text(|r| r.unit.id.kind.name())
            .text(|r| r.unit.id.name.as_str())
            .int32("ordinal", |r| r.unit.id.ordinal)?
            .int32("start_line", |r| r.unit.start_line)?
            .int32("end_line", |r| r.unit.end_line)?
            .int32("tokens", |r| r.unit.metrics.tokens)?
            .int32("nodes", |r| r.unit.metrics.nodes)?
            .int32("lines", |r| r.unit.metrics.lines)?
            .int32("cyclomatic", |r| r.unit.metrics.cyclomatic)?
            .int32("max_nesting", |r| r.unit.metrics.max_nesting)?
            .int64(|r| r.unit.exact_hash as i64)
            .int64(|r| r.unit.struct_hash as i64)
            .vector(|r| &r.unit.vector)?
            .finish(Self::schema())
    }
}

impl TableRow for CloneMemberRow {
    const TABLE: &'static str = "clone_groups";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                let mut fields = vec![int64("group_id"), int64("unit_key")];
                fields.extend(path_fields());
                fields.extend([
                    text("lang"),
                    text("kind"),
                    text("name"),
                    int32("start_line"),
                    int32("end_line"),
                    int32("tokens"),
                    int64("exact_hash"),
                ]);
                changelog_schema(fields)
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .int64(|r| r.group_id)
            .int64(|r| r.unit_key)
            .path(|r| &r.path)
            .text(|r| r.lang.name())
            .text(|r| r.kind.as_str())
            .text(|r| r.name.as_str())
            .int32("start_line", |r| r.start_line)?
            .int32("end_line", |r| r.end_line)?
            .int32("tokens", |r| r.tokens)?
            .int64(|r| r.exact_hash)
            .finish(Self::schema())
    }
}

impl TableRow for ErrorRow {
    const TABLE: &'static str = "errors";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                let mut fields = path_fields();
                fields.extend([text("reason"), text("detail"), Field::new("content_id", DataType::Utf8, true)]);
                changelog_schema(fields)
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .path(|r| &r.path)
            .text(|r| r.reason.name())
            .text(|r| r.detail.as_str())
            .optional_text(|r| r.content_id.map(|id| id.to_hex()))
            .finish(Self::schema())
    }
}

impl TableRow for CommitRow {
    const TABLE: &'static str = "commits";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| changelog_schema(vec![text("sha"), int64("author_time"), text("author"), text("subject")]))
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .text(|r| r.sha.as_str())
            .int64(|r| r.author_time)
            .text(|r| r.author.as_str())
            .text(|r| r.subject.as_str())
            .finish(Self::schema())
    }
}

impl TableRow for LineageRow {
    const TABLE: &'static str = "lineage";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                let mut fields = vec![text("commit")];
                fields.extend(path_fields_named("old_path"));
                fields.extend(path_fields_named("new_path"));
                fields.extend([
                    int32("similarity"),
                    Field::new("old_unit_key", DataType::Int64, true),
                    Field::new("new_unit_key", DataType::Int64, true),
                ]);
                changelog_schema(fields)
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .text(|r| r.commit.as_str())
            .path(|r| &r.old_path)
            .path(|r| &r.new_path)
            .int32("similarity", |r| r.similarity)?
            .optional_int64(|r| r.old_unit_key)
            .optional_int64(|r| r.new_unit_key)
            .finish(Self::schema())
    }
}

impl TableRow for TimeRow {
    const TABLE: &'static str = "times";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA.get_or_init(|| changelog_schema(vec![int64("wall_clock_ms"), int32("changed_paths")])).clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .int64(|r| r.wall_clock_ms)
            .int32("changed_paths", |r| r.changed_paths)?
            .finish(Self::schema())
    }
}

impl TableRow for ClonePairRow {
    const TABLE: &'static str = "clone_pairs";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                let mut fields = clone_unit_fields("_a");
                fields.extend(clone_unit_fields("_b"));
                fields.extend([int32("score"), int32("lcs_percent")]);
                changelog_schema(fields)
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .clone_unit(|r| &r.a)?
            .clone_unit(|r| &r.b)?
            .int32("score", |r| u32::from(r.score))?
            .int32("lcs_percent", |r| u32::from(r.lcs_percent))?
            .finish(Self::schema())
    }
}

impl TableRow for CloneClassRow {
    const TABLE: &'static str = "clone_classes";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                let mut fields = vec![int64("class_id")];
                fields.extend(clone_unit_fields(""));
                changelog_schema(fields)
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?.int64(|r| r.class_id).clone_unit(|r| &r.member)?.finish(Self::schema())
    }
}

/// The columns of a [`CloneUnit`], each name followed by `suffix`.
fn clone_unit_fields(suffix: &str) -> Vec<Field> {
    let named = |name: &str| format!("{name}{suffix}");
    let mut fields = vec![int64(&named("unit_key"))];
    fields.extend(path_fields_named(&named("path")));
    fields.extend([text(&named("lang")), text(&named("kind")), text(&named("name"))]);
    fields.extend([int32(&named("start_line")), int32(&named("end_line")), int32(&named("tokens"))]);
    fields
}

/// `time` and `diff`, then `columns`.
fn changelog_schema(columns: Vec<Field>) -> SchemaRef {
    let mut fields = vec![int64("time"), int64("diff")];
    fields.extend(columns);
    Arc::new(Schema::new(fields))
}

/// A non-null Int64 column.
fn int64(name: &str) -> Field {
    Field::new(name, DataType::Int64, false)
}

/// A non-null Int32 column.
fn int32(name: &str) -> Field {
    Field::new(name, DataType::Int32, false)
}

/// A non-null Utf8 column.
fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, false)
}

/// `path` (lossy UTF-8) and `path_raw` (exact bytes, NULL when `path` is exact).
fn path_fields() -> Vec<Field> {
    path_fields_named("path")
}

/// `NAME` (lossy UTF-8) and `NAME_raw` (exact bytes, NULL when `NAME` is exact).
fn path_fields_named(name: &str) -> Vec<Field> {
    vec![text(name), Field::new(format!("{name}_raw"), DataType::Binary, true)]
}

/// The element field of `vector`.
fn vector_item() -> FieldRef {
    Arc::new(Field::new("item", DataType::Int8, false))
}

/// FixedSizeList<Int8, 128>.
fn vector_type() -> DataType {
    DataType::FixedSizeList(vector_item(), VECTOR_DIMS as i32)
}

/// The columns of a batch under construction, filled left to right from the updates' rows.
struct Columns<'a, R> {
    updates: &'a [Update<R>],
    arrays: Vec<ArrayRef>,
}

impl<'a, R> Columns<'a, R> {
    /// Starts a batch with its `time` and `diff` columns.
    fn new(updates: &'a [Update<R>]) -> anyhow::Result<Self> {
        let times = updates
            .iter()
            .map(|u| i64::try_from(u.time).with_context(|| format!("time {} exceeds Int64", u.time)))
            .collect::<anyhow::Result<Vec<i64>>>()?;
        let diffs: Vec<i64> = updates.iter().map(|u| u.diff).collect();
        Ok(Columns { updates, arrays: vec![Arc::new(Int64Array::from(times)), Arc::new(Int64Array::from(diffs))] })
    }

    /// Appends one column.
    fn push(mut self, array: ArrayRef) -> Self {
        self.arrays.push(array);
        self
    }

    /// Appends an Int64 column.
    fn int64(self, value: impl Fn(&R) -> i64) -> Self {
        let array = Int64Array::from_iter_values(self.updates.iter().map(|u| value(&u.row)));
        self.push(Arc::new(array))
    }

    /// Appends a nullable Int64 column.
    fn optional_int64(self, value: impl Fn(&R) -> Option<i64>) -> Self {
        let array: Int64Array = self.updates.iter().map(|u| value(&u.row)).collect();
        self.push(Arc::new(array))
    }

    /// Appends an Int64 column of unsigned values; a value beyond Int64 is an error.
    fn int64_from_u64(self, name: &str, value: impl Fn(&R) -> u64) -> anyhow::Result<Self> {
        let values = self
            .updates
            .iter()
            .map(|u| {
                let v = value(&u.row);
                i64::try_from(v).with_context(|| format!("column {name}: {v} exceeds Int64"))
            })
            .collect::<anyhow::Result<Vec<i64>>>()?;
        Ok(self.push(Arc::new(Int64Array::from(values))))
    }

    /// Appends an Int32 column of unsigned values; a value beyond Int32 is an error.
    fn int32(self, name: &str, value: impl Fn(&R) -> u32) -> anyhow::Result<Self> {
        let values = self
            .updates
            .iter()
            .map(|u| {
                let v = value(&u.row);
                i32::try_from(v).with_context(|| format!("column {name}: {v} exceeds Int32"))
            })
            .collect::<anyhow::Result<Vec<i32>>>()?;
        Ok(self.push(Arc::new(Int32Array::from(values))))
    }

    /// Appends a Utf8 column.
    fn text(self, value: impl Fn(&R) -> &str) -> Self {
        let array = StringArray::from_iter_values(self.updates.iter().map(|u| value(&u.row)));
        self.push(Arc::new(array))
    }

    /// Appends a Utf8 column of content ids in lower-case hexadecimal.
    fn content_id(self, value: impl Fn(&R) -> &ContentId) -> Self {
        let array = StringArray::from_iter_values(self.updates.iter().map(|u| value(&u.row).to_hex()));
        self.push(Arc::new(array))
    }

    /// Appends a nullable Utf8 column.
    fn optional_text<S: AsRef<str>>(self, value: impl Fn(&R) -> Option<S>) -> Self {
        let array: StringArray = self.updates.iter().map(|u| value(&u.row)).collect();
        self.push(Arc::new(array))
    }

    /// Appends a path as two columns: lossy UTF-8, and the bytes where the path is not UTF-8.
    fn path(self, value: impl Fn(&R) -> &[u8]) -> Self {
        let lossy = StringArray::from_iter_values(self.updates.iter().map(|u| String::from_utf8_lossy(value(&u.row))));
        let raw: BinaryArray = self
            .updates
            .iter()
            .map(|u| {
                let bytes = value(&u.row);
                std::str::from_utf8(bytes).is_err().then_some(bytes)
            })
            .collect();
        self.push(Arc::new(lossy)).push(Arc::new(raw))
    }

    /// Appends a FixedSizeList<Int8, 128> column; a vector of another length is an error.
    fn vector(self, value: impl Fn(&R) -> &[i8]) -> anyhow::Result<Self> {
        let mut flat = Vec::with_capacity(self.updates.len() * VECTOR_DIMS);
        for u in self.updates {
            let v = value(&u.row);
            if v.len() != VECTOR_DIMS {
                bail!("column vector: a vector has {} dimensions, {VECTOR_DIMS} expected", v.len());
            }
            flat.extend_from_slice(v);
        }
        let array =
            FixedSizeListArray::try_new(vector_item(), VECTOR_DIMS as i32, Arc::new(Int8Array::from(flat)), None)
                .context("building the vector column")?;
        Ok(self.push(Arc::new(array)))
    }

    /// Appends the columns of a [`CloneUnit`] (see [`clone_unit_fields`]).
    fn clone_unit(self, value: impl Fn(&R) -> &CloneUnit) -> anyhow::Result<Self> {
        self.int64(|r| value(r).unit_key)
            .path(|r| &value(r).path)
            .text(|r| value(r).lang.name())
            .text(|r| value(r).kind.as_str())
            .text(|r| value(r).name.as_str())
            .int32("start_line", |r| value(r).start_line)?
            .int32("end_line", |r| value(r).end_line)?
            .int32("tokens", |r| value(r).tokens)
    }

    /// The record batch of `schema` made of the appended columns.
    fn finish(self, schema: SchemaRef) -> anyhow::Result<RecordBatch> {
        RecordBatch::try_new(schema, self.arrays).context("assembling a record batch")
    }
}
