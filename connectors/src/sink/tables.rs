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
//! | `errors` | path, path_raw, reason, detail, content_id (NULL when the content was not read) |
//! | `commits` | sha, author_time (Int64, seconds since the epoch), author, subject (replay only) |
//! | `lineage` | commit, old_path, old_path_raw, new_path, new_path_raw, similarity (Int32), old_unit_key, new_unit_key (NULL on a file's row) (replay only) |
//! | `times` | wall_clock_ms (Int64, milliseconds since the epoch), changed_paths (Int32) (watch only) |
//! | `similar_pairs` | a_unit_key, b_unit_key (Int64, a < b), score (Int32, ⌊1000·cos⌋): the similarity join's pairs before the token check |
//! | `clone_pairs` | for each unit, `_a` (smaller key) then `_b`: unit_key, path, path_raw, lang, kind, name, start_line, end_line, tokens (Int32); then score (Int32, ⌊1000·cos⌋ of the vectors), lcs_percent (Int32) |
//! | `clone_classes` | class_id (the smallest member's unit_key), unit_key, path, path_raw, lang, kind, name, start_line, end_line, tokens (Int32) |
//! | `matches` | symbol, unit_key, path, path_raw, lang, kind, name, start_line, end_line, recogniser (`query` or `exemplar`), score (Int32, percent), cyclomatic, tokens (Int32) |
//! | `element_stats` | symbol, occurrences, files, total_files (Int64), adoption (Float64, share of files), languages (comma-separated), mean_cyclomatic, mean_tokens (Float64) |
//! | `elements` | symbol, name, family, category, period (Int32), languages, summary, first_seen (Int64 time, NULL while unseen), peak_adoption (Float64), stage, trend |
//! | `mined_elements` | element_id (the smallest structural hash among the members), class_id, members, files (Int64), languages, mean_tokens (Float64), then the exemplar member: unit_key, path, path_raw, lang, kind, name, start_line, end_line, tokens (Int32) |
//!
//! The rows of the periodic table (`matches`, `element_stats`, `elements`, `mined_elements`) become batches in
//! `element_tables`.

use super::columns::{
    changelog_schema, clone_unit_fields, int32, int64, path_fields, path_fields_named, text, vector_type, Columns,
};
use super::{TableRow, Update};
use crate::rows::{
    CloneClassRow, CloneMemberRow, ClonePairRow, CommitRow, ElementRow, ElementStatsRow, ErrorRow, FileRow, LineageRow,
    MatchRow, MinedElementRow, TimeRow, UnitRow,
};
use anyhow::bail;
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, SchemaRef};
use cpt_operators::similarity::Pair;
use std::sync::OnceLock;

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
        MatchRow::TABLE,
        ElementStatsRow::TABLE,
        ElementRow::TABLE,
        ClonePairRow::TABLE,
        Pair::TABLE,
        CloneClassRow::TABLE,
        MinedElementRow::TABLE,
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
        MatchRow::TABLE => MatchRow::schema(),
        ElementStatsRow::TABLE => ElementStatsRow::schema(),
        ElementRow::TABLE => ElementRow::schema(),
        ClonePairRow::TABLE => ClonePairRow::schema(),
        Pair::TABLE => Pair::schema(),
        CloneClassRow::TABLE => CloneClassRow::schema(),
        MinedElementRow::TABLE => MinedElementRow::schema(),
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
                let mut fields = vec![int64("group_id")];
                fields.extend(clone_unit_fields(""));
                fields.push(int64("exact_hash"));
                changelog_schema(fields)
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .int64(|r| r.group_id)
            .clone_unit(|r| &r.member)?
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
            .clone_unit(|r| r.a.as_ref())?
            .clone_unit(|r| r.b.as_ref())?
            .int32("score", |r| u32::from(r.score))?
            .int32("lcs_percent", |r| u32::from(r.lcs_percent))?
            .finish(Self::schema())
    }
}

/// A row of `similar_pairs`: a pair of unit vectors that passes the similarity join (ARCHITECTURE
/// §4a), kept or not by the token check of `clone_pairs`. What a restart restores the join's
/// output from instead of joining again.
impl TableRow for Pair {
    const TABLE: &'static str = "similar_pairs";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA.get_or_init(|| changelog_schema(vec![int64("a_unit_key"), int64("b_unit_key"), int32("score")])).clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .int64(|r| r.a)
            .int64(|r| r.b)
            .int32("score", |r| u32::from(r.score))?
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
