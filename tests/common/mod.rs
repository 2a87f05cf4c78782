//! Helpers shared by the integration tests: running the `cpt` binary, locating the real corpora
//! that `datasets/fetch.py` builds, and reading output tables back through the manifest as
//! consolidated multisets of rows.

#![allow(dead_code)]

pub mod cluster;
pub mod history;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, Int8Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The tables whose state at a time is a function of the tree at that time alone: a fresh scan
/// of that tree must reproduce them.
pub const STATE_TABLES: [&str; 10] = [
    "files",
    "units",
    "clone_groups",
    "similar_pairs",
    "clone_pairs",
    "clone_classes",
    "mined_elements",
    "matches",
    "element_stats",
    "errors",
];

/// The tables of a replay that record history rather than state.
const HISTORY_TABLES: [&str; 3] = ["elements", "commits", "lineage"];

/// Every table of a replay: the state tables and those that record history.
pub const REPLAY_TABLES: [&str; 13] = joined(STATE_TABLES, HISTORY_TABLES);

/// `state` followed by `history`.
const fn joined(state: [&'static str; 10], history: [&'static str; 3]) -> [&'static str; 13] {
    let mut all = [""; 13];
    let mut i = 0;
    while i < all.len() {
        all[i] = if i < state.len() { state[i] } else { history[i - state.len()] };
        i += 1;
    }
    all
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The root of a corpus built by `datasets/fetch.py`; fails with the command to run if missing.
pub fn corpus(name: &str) -> PathBuf {
    let root = repo_root().join("datasets/cache").join(name);
    assert!(
        root.is_dir(),
        "corpus {name:?} is missing at {}; build it with `python3 datasets/fetch.py {name}`",
        root.display()
    );
    root
}

/// Runs `cpt` with arguments and returns its output. Its content cache is a fresh folder of its
/// own (so that a test never touches the user's cache nor another test's) unless the arguments
/// name one with `--cache`.
pub fn cpt(args: &[&str]) -> Output {
    let cache = tempfile::tempdir().expect("a cache folder");
    Command::new(env!("CARGO_BIN_EXE_cpt")).args(args).env("CPT_CACHE_DIR", cache.path()).output().expect("running cpt")
}

/// Runs `cpt scan ROOT --out OUT --overwrite -q` plus extra arguments; asserts exit 0 and returns stderr.
pub fn scan(root: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["scan", root.to_str().unwrap(), "--out", out.to_str().unwrap(), "--overwrite", "-q"];
    args.extend_from_slice(extra);
    let output = cpt(&args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "cpt {args:?} failed: {stderr}");
    stderr
}

/// A number printed in the summary line just before `label` (e.g. `12 files`).
pub fn summary_count(stderr: &str, label: &str) -> i64 {
    let line = stderr.lines().find(|l| l.starts_with("cpt scan:")).expect("summary line");
    let words: Vec<&str> = line.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    let at = words.iter().position(|w| *w == label).unwrap_or_else(|| panic!("no {label:?} in {line}"));
    words[at - 1].parse().unwrap_or_else(|_| panic!("no count before {label:?} in {line}"))
}

/// The part files of `table` that the manifest lists.
pub fn manifest_parts(out: &Path, table: &str) -> Vec<PathBuf> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).expect("manifest")).expect("manifest json");
    let parts = manifest["tables"][table].as_array().cloned().unwrap_or_default();
    parts.iter().map(|p| out.join(p["file"].as_str().expect("part file name"))).collect()
}

/// All rows of `table` (time included, diff excluded) with their summed diffs, zero sums dropped.
pub fn read_table(out: &Path, table: &str) -> BTreeMap<String, i64> {
    let mut rows = BTreeMap::new();
    for part in manifest_parts(out, table) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&part).expect("part file"))
            .expect("parquet footer")
            .build()
            .expect("parquet reader");
        for batch in reader {
            add_rows(&batch.expect("record batch"), &mut rows);
        }
    }
    rows.retain(|_, diff| *diff != 0);
    rows
}

/// Copies the folder `from` into `to`, files and folders only (symbolic links are left out).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The state at the end: rows summed over all times (time dropped), zero sums dropped.
pub fn final_state(out: &Path, table: &str) -> BTreeMap<String, i64> {
    let mut state = BTreeMap::new();
    for (row, diff) in read_table(out, table) {
        let without_time = row.split_once('|').map(|(_, rest)| rest.to_string()).unwrap_or(row);
        *state.entry(without_time).or_insert(0) += diff;
    }
    state.retain(|_, diff| *diff != 0);
    state
}

fn add_rows(batch: &RecordBatch, rows: &mut BTreeMap<String, i64>) {
    let schema = batch.schema();
    let diff_at = schema.index_of("diff").expect("diff column");
    let diffs = batch.column(diff_at).as_primitive::<Int64Type>();
    for row in 0..batch.num_rows() {
        let cells: Vec<String> =
            (0..batch.num_columns()).filter(|c| *c != diff_at).map(|c| cell(batch.column(c).as_ref(), row)).collect();
        *rows.entry(cells.join("|")).or_insert(0) += diffs.value(row);
    }
}

fn cell(column: &dyn Array, row: usize) -> String {
    if column.is_null(row) {
        return "NULL".into();
    }
    match column.data_type() {
        DataType::Int64 => column.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Int32 => column.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Float64 => format!("{:?}", column.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => column.as_string::<i32>().value(row).to_string(),
        DataType::Binary => format!("{:?}", column.as_binary::<i32>().value(row)),
        DataType::FixedSizeList(_, _) => {
            let list = column.as_fixed_size_list().value(row);
            format!("{:?}", list.as_primitive::<Int8Type>().values())
        }
        other => panic!("unexpected column type {other}"),
    }
}

/// The state at time `t`: rows with `time <= t` summed (time dropped), zero sums dropped.
pub fn state_at(out: &Path, table: &str, t: u64) -> BTreeMap<String, i64> {
    let mut state = BTreeMap::new();
    for (row, diff) in read_table(out, table) {
        let (time, rest) = row.split_once('|').expect("time column first");
        if time.parse::<u64>().expect("time") <= t {
            *state.entry(rest.to_string()).or_insert(0) += diff;
        }
    }
    state.retain(|_, diff| *diff != 0);
    state
}
