//! The periodic table's tables as record batches: `matches` (elements found in units),
//! `element_stats` (what each element amounts to at a time), `elements` (the catalogue with
//! each element's stage) and `mined_elements` (the clone classes that became elements). Shares of files are written as Float64 fractions, means as Float64;
//! the rows keep the exact integers they come from.

use super::columns::{changelog_schema, clone_unit_fields, float64, int32, int64, path_fields, text, Columns};
use super::read::{int64_column, read_updates, text_column, FromBatch};
use super::{TableRow, Update};
use crate::rows::{ElementRow, ElementStatsRow, MatchRow, MinedElementRow};
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, SchemaRef};
use std::sync::OnceLock;

/// A share in parts per million as a fraction.
fn fraction(ppm: u32) -> f64 {
    f64::from(ppm) / 1e6
}

/// `sum / count`, 0 for no count.
fn mean(sum: u64, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        sum as f64 / count as f64
    }
}

impl TableRow for MatchRow {
    const TABLE: &'static str = "matches";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                let mut fields = vec![text("symbol"), int64("unit_key")];
                fields.extend(path_fields());
                fields.extend([
                    text("lang"),
                    text("kind"),
                    text("name"),
                    int32("start_line"),
                    int32("end_line"),
                    text("recogniser"),
                    int32("score"),
                    int32("cyclomatic"),
                    int32("tokens"),
                ]);
                changelog_schema(fields)
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .text(|r| r.symbol.as_str())
            .int64(|r| r.unit_key)
            .path(|r| &r.path)
            .text(|r| r.lang.name())
            .text(|r| r.unit.id.kind.name())
            .text(|r| r.unit.id.name.as_str())
            .int32("start_line", |r| r.unit.start_line)?
            .int32("end_line", |r| r.unit.end_line)?
            .text(|r| r.recogniser.name())
            .int32("score", |r| u32::from(r.score))?
            .int32("cyclomatic", |r| r.unit.metrics.cyclomatic)?
            .int32("tokens", |r| r.unit.metrics.tokens)?
            .finish(Self::schema())
    }
}

impl TableRow for ElementStatsRow {
    const TABLE: &'static str = "element_stats";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                changelog_schema(vec![
                    text("symbol"),
                    int64("occurrences"),
                    int64("files"),
                    int64("total_files"),
                    float64("adoption"),
                    text("languages"),
                    float64("mean_cyclomatic"),
                    float64("mean_tokens"),
                ])
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .text(|r| r.symbol.as_str())
            .int64_from_u64("occurrences", |r| r.occurrences)?
            .int64_from_u64("files", |r| r.files)?
            .int64_from_u64("total_files", |r| r.total_files)?
            .float64(|r| fraction(r.adoption()))
            .text(|r| r.languages.as_str())
            .float64(|r| mean(r.cyclomatic_sum, r.occurrences))
            .float64(|r| mean(r.tokens_sum, r.occurrences))
            .finish(Self::schema())
    }
}

impl TableRow for ElementRow {
    const TABLE: &'static str = "elements";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                changelog_schema(vec![
                    text("symbol"),
                    text("name"),
                    text("family"),
                    text("category"),
                    int32("period"),
                    text("languages"),
                    text("summary"),
                    Field::new("first_seen", DataType::Int64, true),
                    float64("peak_adoption"),
                    text("stage"),
                    text("trend"),
                ])
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .text(|r| r.symbol.as_str())
            .text(|r| r.name.as_str())
            .text(|r| r.family.as_str())
            .text(|r| r.category.as_str())
            .int32("period", |r| u32::from(r.period))?
            .text(|r| r.languages.as_str())
            .text(|r| r.summary.as_str())
            .optional_int64_from_u64("first_seen", |r| r.standing.first_seen)?
            .float64(|r| fraction(r.standing.peak))
            .text(|r| r.standing.stage.name())
            .text(|r| r.standing.trend.name())
            .finish(Self::schema())
    }
}

/// An element's adoption figures as an `element_stats` row gives them: (symbol, files, total files).
pub type AdoptionFigures = (String, u64, u64);

impl FromBatch for AdoptionFigures {
    fn from_batch(batch: &RecordBatch) -> anyhow::Result<Vec<Self>> {
        let (symbols, files, totals) =
            (text_column(batch, "symbol")?, int64_column(batch, "files")?, int64_column(batch, "total_files")?);
        Ok((0..batch.num_rows())
            .map(|row| (symbols.value(row).to_string(), files.value(row) as u64, totals.value(row) as u64))
            .collect())
    }
}

/// The adoption figures of the `element_stats` rows of the output folder `root` up to `through`,
/// with their times and diffs: the history a resumed job restores element stages from.
pub fn read_adoption(root: &std::path::Path, through: u64) -> anyhow::Result<Vec<Update<AdoptionFigures>>> {
    read_updates(root, ElementStatsRow::TABLE, through)
}

impl TableRow for MinedElementRow {
    const TABLE: &'static str = "mined_elements";

    fn schema() -> SchemaRef {
        static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
        SCHEMA
            .get_or_init(|| {
                let mut fields = vec![
                    int64("element_id"),
                    int64("class_id"),
                    int64("members"),
                    int64("files"),
                    text("languages"),
                    float64("mean_tokens"),
                ];
                fields.extend(clone_unit_fields(""));
                changelog_schema(fields)
            })
            .clone()
    }

    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<RecordBatch> {
        Columns::new(updates)?
            .int64(|r| r.element_id)
            .int64(|r| r.class_id)
            .int64_from_u64("members", |r| r.members)?
            .int64_from_u64("files", |r| r.files)?
            .text(|r| r.languages.as_str())
            .float64(|r| mean(r.tokens_sum, r.members))
            .clone_unit(|r| &r.exemplar)?
            .finish(Self::schema())
    }
}
