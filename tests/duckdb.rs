//! The analyst's view: the output opens as it is in DuckDB (PyPI `duckdb`), whose counts and a
//! join of `units` with `clone_groups` agree with what the Rust side reported.

mod common;

use common::{corpus, scan, summary_count};
use std::process::Command;

#[test]
fn duckdb_reads_the_tables_and_agrees_with_the_summary() {
    let root = corpus("small");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stderr = scan(&root, &out, &[]);
    let script = common::repo_root().join("tests/duckdb_check.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(&out)
        .arg(summary_count(&stderr, "files").to_string())
        .arg(summary_count(&stderr, "units").to_string())
        .arg(summary_count(&stderr, "clone").to_string())
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "DuckDB check failed (install it with `python3 -m pip install duckdb`):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
