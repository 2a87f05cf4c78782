//! Whole scans of real code: the project's own sources and the `small` corpus that
//! `datasets/fetch.py` builds from pinned crates.io, PyPI and npm packages. The output must not
//! depend on the number of workers, and the summary must agree with the tables.

mod common;

use common::{corpus, final_state, read_table, repo_root, scan, summary_count};
use std::collections::BTreeMap;

const TABLES: [&str; 4] = ["files", "units", "clone_groups", "errors"];

fn sum(rows: &BTreeMap<String, i64>) -> i64 {
    rows.values().sum()
}

#[test]
fn one_and_two_workers_give_the_same_tables_on_a_real_corpus() {
    let root = corpus("small");
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("w1"), dir.path().join("w2"));
    scan(&root, &one, &["-w", "1"]);
    scan(&root, &two, &["-w", "2"]);
    for table in TABLES {
        let (a, b) = (read_table(&one, table), read_table(&two, table));
        assert!(!a.is_empty() || table == "errors", "table {table} is empty");
        assert!(a == b, "table {table} differs between -w 1 and -w 2 ({} vs {} rows)", a.len(), b.len());
    }
}

#[test]
fn every_language_yields_units_and_clone_groups_are_found() {
    let root = corpus("small");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stderr = scan(&root, &out, &[]);
    let units = final_state(&out, "units");
    for lang in ["rust", "python", "javascript", "typescript", "tsx", "go", "java", "c", "cpp"] {
        let functions = units
            .keys()
            .filter(|row| {
                row.contains(&format!("|{lang}|")) && (row.contains("|function|") || row.contains("|method|"))
            })
            .count();
        assert!(functions > 0, "no functions or methods found in {lang} files");
    }
    let files = final_state(&out, "files");
    let lang_of = |path: &str| {
        let row = files.keys().find(|row| row.starts_with(&format!("{path}|"))).expect(path);
        row.split('|').nth(2).unwrap().to_string()
    };
    // `.h` is C or C++ by its text: cxx's and JPype's headers are C++; tree-sitter's are C, one
    // of them with `std::` in a comment.
    for (header, lang) in [
        ("crates/cxx-1.0.130/include/cxx.h", "cpp"),
        ("pypi/JPype1-1.5.0/native/common/include/jp_class.h", "cpp"),
        ("crates/tree-sitter-json-0.24.8/src/tree_sitter/parser.h", "c"),
        ("crates/tree-sitter-json-0.24.8/src/tree_sitter/array.h", "c"),
    ] {
        assert_eq!(lang_of(header), lang, "{header}");
    }
    assert_eq!(summary_count(&stderr, "files"), sum(&files));
    assert_eq!(summary_count(&stderr, "units"), sum(&units));
    let members = final_state(&out, "clone_groups");
    let groups: std::collections::BTreeSet<&str> = members.keys().map(|row| row.split('|').next().unwrap()).collect();
    assert_eq!(summary_count(&stderr, "clone"), groups.len() as i64);
    assert!(!groups.is_empty(), "a real corpus with two versions of one package has clones");
}

/// `--lang` keeps a `.h` header by the language its text gives, not by its name.
#[test]
fn the_language_filter_takes_a_header_by_its_text() {
    let (root, dir) = (corpus("small"), tempfile::tempdir().unwrap());
    let (cpp, c) = ("crates/cxx-1.0.130/include/cxx.h", "crates/tree-sitter-json-0.24.8/src/tree_sitter/parser.h");
    for (lang, kept, left_out) in [("cpp", cpp, c), ("c", c, cpp)] {
        let out = dir.path().join(lang);
        scan(&root, &out, &["--lang", lang]);
        let files = final_state(&out, "files");
        let has = |path: &str| files.keys().any(|row| row.starts_with(&format!("{path}|")));
        assert!(has(kept) && !has(left_out), "--lang {lang}: {kept} kept, {left_out} left out");
    }
}

#[test]
fn the_projects_own_sources_scan_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let root = repo_root();
    let stderr = scan(&root, &out, &["--lang", "rust"]);
    let files = final_state(&out, "files");
    assert!(files.keys().any(|row| row.starts_with("dataflow/src/graph.rs|")), "{stderr}");
    assert!(!files.keys().any(|row| row.starts_with("target/")), "target/ is skipped");
    let units = final_state(&out, "units");
    assert!(units.keys().any(|row| row.contains("|dataflow/src/scan.rs|") && row.contains("|run_scan|")));
    let syntax_errors = final_state(&out, "errors").keys().filter(|row| row.contains("|syntax_error|")).count();
    assert_eq!(syntax_errors, 0, "our own Rust parses cleanly");
}
