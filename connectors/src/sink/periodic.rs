//! The periodic table as an output folder holds it, read back for `cpt table`: the final state of
//! `elements` (the catalogue with each element's stage), the final `element_stats` figures, and
//! each element's occurrences at every durable time at which they changed, with labels for those
//! times (a replay's commits: short sha and date), and the elements mined from the code's clone
//! classes with the time each was first seen.

use super::manifest::{read_manifest, utc_date, SourceRecord};
use super::read::{
    final_state, float64_column, int32_column, int64_column, read_updates, text_column, Float64, FromBatch,
};
use super::{TableRow, Update};
use crate::rows::{CommitRow, ElementRow, ElementStatsRow, MinedElementRow};
use anyhow::{bail, Context};
use arrow_array::{Array, RecordBatch};
use std::collections::BTreeMap;
use std::path::Path;

/// One element of the catalogue and where it stands, as a row of `elements` gives it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ElementEntry {
    /// Its symbol.
    pub symbol: String,
    /// Its name.
    pub name: String,
    /// Its family (a column group of the table).
    pub family: String,
    /// Its category within the family.
    pub category: String,
    /// Its period (a row of the table): 1 atomic to 4 architectural.
    pub period: i32,
    /// The languages it has recognisers for, comma-separated.
    pub languages: String,
    /// One line saying what it is.
    pub summary: String,
    /// The time it was first found, if ever.
    pub first_seen: Option<u64>,
    /// Its highest adoption so far (share of files).
    pub peak_adoption: Float64,
    /// Its stage: unseen, emerging, established, mature, legacy or deprecated.
    pub stage: String,
    /// Its trend: unknown, new, rising, steady or falling.
    pub trend: String,
}

/// What an element amounts to, as a row of `element_stats` gives it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ElementFigures {
    /// The element's symbol.
    pub symbol: String,
    /// Units matching it.
    pub occurrences: i64,
    /// Files holding such a unit.
    pub files: i64,
    /// Files analysed in all.
    pub total_files: i64,
    /// `files / total_files`.
    pub adoption: Float64,
    /// The languages of those files, comma-separated.
    pub languages: String,
    /// Mean cyclomatic complexity of the matching units.
    pub mean_cyclomatic: Float64,
    /// Mean tokens of the matching units.
    pub mean_tokens: Float64,
}

/// A mined element as a row of `mined_elements` gives it, its exemplar member named.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MinedEntry {
    /// The element's id (the smallest structural hash among its members).
    pub element_id: i64,
    /// Units in its clone class.
    pub members: i64,
    /// Files holding them.
    pub files: i64,
    /// Their languages, comma-separated.
    pub languages: String,
    /// Their mean tokens.
    pub mean_tokens: Float64,
    /// The exemplar's kind (`function`, `method`, …).
    pub kind: String,
    /// The exemplar's qualified name.
    pub name: String,
    /// The exemplar's file.
    pub path: String,
    /// The exemplar's first line.
    pub start_line: i32,
}

/// A mined element at the durable time and the first time it was an element.
#[derive(Clone, Debug, PartialEq)]
pub struct MinedElement {
    /// What the table says of it.
    pub entry: MinedEntry,
    /// The earliest time a row of it was added.
    pub first_seen: u64,
}

/// The periodic table of an output folder at its last durable time.
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodicTable {
    /// What was analysed.
    pub source: SourceRecord,
    /// The last durable time: the state shown is the state then.
    pub durable_time: u64,
    /// Whether the run wrote its last time.
    pub complete: bool,
    /// Every element of the catalogue, by symbol.
    pub elements: Vec<ElementEntry>,
    /// The figures of the elements found at the durable time, by symbol.
    pub figures: BTreeMap<String, ElementFigures>,
    /// Per symbol, its occurrences from each time at which they changed on, in time order (none
    /// before the first: zero); an element never found has no entry.
    pub history: BTreeMap<String, Vec<(u64, i64)>>,
    /// A label per time where one is known (a replay's commit: short sha and date).
    pub time_labels: BTreeMap<u64, String>,
    /// The mined elements at the durable time (none for an output written before there were any).
    pub mined: Vec<MinedElement>,
}

impl PeriodicTable {
    /// The time as a reader knows it: `time N`, with its label where there is one.
    pub fn describe_time(&self, time: u64) -> String {
        match self.time_labels.get(&time) {
            Some(label) => format!("time {time} ({label})"),
            None => format!("time {time}"),
        }
    }
}

impl FromBatch for ElementEntry {
    fn from_batch(batch: &RecordBatch) -> anyhow::Result<Vec<Self>> {
        let text = |name| text_column(batch, name);
        let (symbols, names, families, categories) =
            (text("symbol")?, text("name")?, text("family")?, text("category")?);
        let (languages, summaries, stages, trends) =
            (text("languages")?, text("summary")?, text("stage")?, text("trend")?);
        let periods = int32_column(batch, "period")?;
        let first_seen = int64_column(batch, "first_seen")?;
        let peaks = float64_column(batch, "peak_adoption")?;
        Ok((0..batch.num_rows())
            .map(|row| ElementEntry {
                symbol: symbols.value(row).to_string(),
                name: names.value(row).to_string(),
                family: families.value(row).to_string(),
                category: categories.value(row).to_string(),
                period: periods.value(row),
                languages: languages.value(row).to_string(),
                summary: summaries.value(row).to_string(),
                first_seen: first_seen.is_valid(row).then(|| first_seen.value(row) as u64),
                peak_adoption: Float64(peaks.value(row)),
                stage: stages.value(row).to_string(),
                trend: trends.value(row).to_string(),
            })
            .collect())
    }
}

impl FromBatch for ElementFigures {
    fn from_batch(batch: &RecordBatch) -> anyhow::Result<Vec<Self>> {
        let (symbols, languages) = (text_column(batch, "symbol")?, text_column(batch, "languages")?);
        let (occurrences, files, totals) =
            (int64_column(batch, "occurrences")?, int64_column(batch, "files")?, int64_column(batch, "total_files")?);
        let (adoption, cyclomatic, tokens) = (
            float64_column(batch, "adoption")?,
            float64_column(batch, "mean_cyclomatic")?,
            float64_column(batch, "mean_tokens")?,
        );
        Ok((0..batch.num_rows())
            .map(|row| ElementFigures {
                symbol: symbols.value(row).to_string(),
                occurrences: occurrences.value(row),
                files: files.value(row),
                total_files: totals.value(row),
                adoption: Float64(adoption.value(row)),
                languages: languages.value(row).to_string(),
                mean_cyclomatic: Float64(cyclomatic.value(row)),
                mean_tokens: Float64(tokens.value(row)),
            })
            .collect())
    }
}

impl FromBatch for MinedEntry {
    fn from_batch(batch: &RecordBatch) -> anyhow::Result<Vec<Self>> {
        let (ids, members, files) =
            (int64_column(batch, "element_id")?, int64_column(batch, "members")?, int64_column(batch, "files")?);
        let (languages, kinds, names, paths) = (
            text_column(batch, "languages")?,
            text_column(batch, "kind")?,
            text_column(batch, "name")?,
            text_column(batch, "path")?,
        );
        let (tokens, start_lines) = (float64_column(batch, "mean_tokens")?, int32_column(batch, "start_line")?);
        Ok((0..batch.num_rows())
            .map(|row| MinedEntry {
                element_id: ids.value(row),
                members: members.value(row),
                files: files.value(row),
                languages: languages.value(row).to_string(),
                mean_tokens: Float64(tokens.value(row)),
                kind: kinds.value(row).to_string(),
                name: names.value(row).to_string(),
                path: paths.value(row).to_string(),
                start_line: start_lines.value(row),
            })
            .collect())
    }
}

/// The mined elements of `updates`' final state, each with the earliest time a row of it was added.
fn mined_elements(updates: Vec<Update<MinedEntry>>) -> Vec<MinedElement> {
    let mut first_seen: BTreeMap<i64, u64> = BTreeMap::new();
    for update in updates.iter().filter(|update| update.diff > 0) {
        let earliest = first_seen.entry(update.row.element_id).or_insert(update.time);
        *earliest = (*earliest).min(update.time);
    }
    final_state(updates)
        .into_iter()
        .map(|(entry, _)| MinedElement { first_seen: first_seen[&entry.element_id], entry })
        .collect()
}

/// A commit's label: its short sha and its author date.
struct CommitLabel(String);

impl FromBatch for CommitLabel {
    fn from_batch(batch: &RecordBatch) -> anyhow::Result<Vec<Self>> {
        let (shas, times) = (text_column(batch, "sha")?, int64_column(batch, "author_time")?);
        Ok((0..batch.num_rows())
            .map(|row| {
                let sha: String = shas.value(row).chars().take(7).collect();
                CommitLabel(format!("{sha} {}", utc_date(times.value(row))))
            })
            .collect())
    }
}

/// Each symbol's occurrences from each time at which they changed on: the running sums of
/// `occurrences × diff` (a state holds one `element_stats` row per symbol at most).
fn occurrence_history(updates: &[Update<ElementFigures>]) -> BTreeMap<String, Vec<(u64, i64)>> {
    let mut changes: BTreeMap<&str, BTreeMap<u64, i64>> = BTreeMap::new();
    for update in updates {
        *changes.entry(&update.row.symbol).or_default().entry(update.time).or_insert(0) +=
            update.row.occurrences * update.diff;
    }
    changes
        .into_iter()
        .map(|(symbol, by_time)| {
            let mut total = 0;
            let steps = by_time
                .into_iter()
                .filter(|(_, change)| *change != 0)
                .map(|(time, change)| {
                    total += change;
                    (time, total)
                })
                .collect();
            (symbol.to_string(), steps)
        })
        .collect()
}

/// Reads the periodic table of the output folder `root` at its last durable time.
pub fn read_periodic_table(root: &Path) -> anyhow::Result<PeriodicTable> {
    let manifest = read_manifest(root)?;
    let Some(durable_time) = manifest.durable_time else {
        bail!("{} holds no durable output yet: let the job commit its first time", root.display());
    };
    for table in [ElementRow::TABLE, ElementStatsRow::TABLE] {
        if !manifest.tables.contains_key(table) {
            bail!(
                "{} has no {table} table: it was written by a cpt without the periodic table; run the job again",
                root.display()
            );
        }
    }
    let elements: Vec<ElementEntry> =
        final_state(read_updates(root, ElementRow::TABLE, durable_time)?).into_iter().map(|(entry, _)| entry).collect();
    let stats: Vec<Update<ElementFigures>> = read_updates(root, ElementStatsRow::TABLE, durable_time)?;
    let history = occurrence_history(&stats);
    let figures = final_state(stats).into_iter().map(|(figures, _)| (figures.symbol.clone(), figures)).collect();
    let time_labels = read_updates::<CommitLabel>(root, CommitRow::TABLE, durable_time)
        .context("reading the commits table")?
        .into_iter()
        .filter(|update| update.diff > 0)
        .map(|update| (update.time, update.row.0))
        .collect();
    let mined = match manifest.tables.contains_key(MinedElementRow::TABLE) {
        true => mined_elements(read_updates(root, MinedElementRow::TABLE, durable_time)?),
        false => Vec::new(),
    };
    Ok(PeriodicTable {
        source: manifest.source,
        durable_time,
        complete: manifest.complete,
        elements,
        figures,
        history,
        time_labels,
        mined,
    })
}

#[cfg(test)]
mod tests {
    use super::{mined_elements, occurrence_history, ElementFigures, MinedEntry};
    use crate::sink::read::Float64;
    use crate::sink::Update;

    fn figures(symbol: &str, occurrences: i64) -> ElementFigures {
        ElementFigures {
            symbol: symbol.into(),
            occurrences,
            files: 1,
            total_files: 2,
            adoption: Float64(0.5),
            languages: "rust".into(),
            mean_cyclomatic: Float64(1.0),
            mean_tokens: Float64(10.0),
        }
    }

    #[test]
    fn history_holds_the_running_occurrences_at_each_change() {
        let update = |symbol, occurrences, time, diff| Update { row: figures(symbol, occurrences), time, diff };
        let updates = [
            update("Lp", 3, 0, 1),
            update("Lp", 3, 2, -1),
            update("Lp", 5, 2, 1),
            update("Lp", 5, 4, -1),
            update("Rx", 1, 1, 1),
        ];
        let history = occurrence_history(&updates);
        assert_eq!(history["Lp"], vec![(0, 3), (2, 5), (4, 0)]);
        assert_eq!(history["Rx"], vec![(1, 1)]);
    }

    #[test]
    fn a_mined_element_is_first_seen_when_a_row_of_it_was_first_added() {
        let entry = |element_id, members| MinedEntry {
            element_id,
            members,
            files: 3,
            languages: "go".into(),
            mean_tokens: Float64(60.0),
            kind: "function".into(),
            name: "handle".into(),
            path: "a.go".into(),
            start_line: 4,
        };
        let update = |row, time, diff| Update { row, time, diff };
        let updates = vec![
            update(entry(7, 3), 2, 1),
            update(entry(7, 3), 5, -1),
            update(entry(7, 4), 5, 1),
            update(entry(9, 3), 1, 1),
            update(entry(9, 3), 4, -1),
        ];
        let mined = mined_elements(updates);
        assert_eq!(mined.len(), 1, "element 9 is gone");
        assert_eq!((mined[0].entry.members, mined[0].first_seen), (4, 2));
    }
}
