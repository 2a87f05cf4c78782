//! Near-miss clone pairs and clone classes on real code: a real function copied with its
//! identifiers renamed and a few lines changed pairs with the original (and only `--no-near-miss`
//! takes the pair away), while a module (a scope) never pairs; on the `small` corpus, one worker
//! and three give the same tables, and the summary counts the pairs written.

mod common;

use common::{corpus, final_state, read_table, scan, summary_count};
use std::fs;
use std::path::Path;

/// A real file of the `small` corpus and one of its top-level functions.
const ORIGINAL: &str = "pypi/JPype1-1.5.0/jpype/_classpath.py";
const FUNCTION: &str = "getClassPath";

/// The function `name` of Python `source`: from its `def` line to the next top-level line.
fn top_level_function<'s>(source: &'s str, name: &str) -> &'s str {
    let start = source.find(&format!("\ndef {name}(")).expect("the function is in the file") + 1;
    let end = source[start..]
        .match_indices("\n")
        .map(|(at, _)| start + at + 1)
        .find(|&line| source[line..].starts_with(|c: char| !c.is_whitespace()))
        .unwrap_or(source.len());
    &source[start..end]
}

/// The function with every identifier of its own renamed, one condition rewritten and one
/// statement added: a Type-3 clone of it.
fn edited_copy(function: &str) -> String {
    let renamed =
        [("getClassPath", "collect_paths"), ("classPath", "entries"), ("envPath", "from_env"), ("out", "found")]
            .iter()
            .fold(function.to_string(), |text, (old, new)| text.replace(old, new));
    let rewritten = renamed.replace("if len(paths) == 0:", "if not paths:");
    assert_ne!(rewritten, renamed, "the condition to rewrite is in the function");
    let returned = "    return _SEP.join";
    assert!(rewritten.contains(returned), "the return statement is in the function");
    rewritten.replace(returned, &format!("    found.sort()\n{returned}"))
}

/// A tree holding the original file and a file with the edited copy; returns the copy's path.
fn tree_with_edited_copy(root: &Path) -> &'static str {
    let source = fs::read_to_string(corpus("small").join(ORIGINAL)).unwrap();
    fs::create_dir_all(root.join("a")).unwrap();
    fs::create_dir_all(root.join("b")).unwrap();
    fs::write(root.join("a/_classpath.py"), &source).unwrap();
    let copy = edited_copy(top_level_function(&source, FUNCTION));
    fs::write(root.join("b/copied.py"), format!("import os as _os\n\n_SEP = ':'\n\n\n{copy}")).unwrap();
    "b/copied.py"
}

/// The rows of a clone table's final state that mention the unit `name` of `path` (a clone table
/// row writes a unit as `unit_key|path|path_raw|lang|kind|name|…`).
fn rows_naming(state: &std::collections::BTreeMap<String, i64>, path: &str, name: &str) -> Vec<String> {
    let needle = format!("|{path}|NULL|python|function|{name}|");
    state.keys().filter(|row| row.contains(&needle)).cloned().collect()
}

#[test]
fn an_edited_copy_of_a_real_function_pairs_with_it_unless_near_miss_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let (root, out, off) = (dir.path().join("tree"), dir.path().join("out"), dir.path().join("off"));
    let copy = tree_with_edited_copy(&root);
    scan(&root, &out, &[]);
    let pairs = final_state(&out, "clone_pairs");
    let original_pairs = rows_naming(&pairs, "a/_classpath.py", FUNCTION);
    let found: Vec<&String> = original_pairs.iter().filter(|row| row.contains(&format!("|{copy}|"))).collect();
    assert_eq!(found.len(), 1, "no pair of {FUNCTION} with its edited copy among {pairs:?}");
    let (score, lcs) = found[0].rsplit_once('|').map(|(rest, lcs)| (rest.rsplit('|').next().unwrap(), lcs)).unwrap();
    let (score, lcs): (u32, u32) = (score.parse().unwrap(), lcs.parse().unwrap());
    assert!((900..=1000).contains(&score), "score {score}");
    assert!((70..100).contains(&lcs), "an edited copy shares most but not all tokens: {lcs} %");
    let classes = final_state(&out, "clone_classes");
    let class_of = |path: &str, name: &str| {
        let rows = rows_naming(&classes, path, name);
        assert_eq!(rows.len(), 1, "{name} of {path} is in one class: {classes:?}");
        rows[0].split('|').next().unwrap().to_string()
    };
    assert_eq!(class_of("a/_classpath.py", FUNCTION), class_of(copy, "collect_paths"));

    scan(&root, &off, &["--no-near-miss"]);
    assert!(read_table(&off, "clone_pairs").is_empty());
    assert!(rows_naming(&final_state(&off, "clone_classes"), copy, "collect_paths").is_empty());
    assert_eq!(final_state(&off, "clone_groups"), final_state(&out, "clone_groups"));
}

/// The kinds of the two units of a `clone_pairs` row (`unit_key|path|path_raw|lang|kind|…` for
/// each, nine cells a side).
fn pair_kinds(row: &str) -> (String, String) {
    let cells: Vec<&str> = row.split('|').collect();
    (cells[4].to_string(), cells[13].to_string())
}

/// A module is a scope, like a file: the units in it pair with their near misses, the module
/// itself never does, even with an edited copy of itself.
#[test]
fn a_module_is_not_a_near_miss_but_the_functions_in_it_are() {
    let dir = tempfile::tempdir().unwrap();
    let (root, out) = (dir.path().join("tree"), dir.path().join("out"));
    let source = fs::read_to_string(common::repo_root().join("operators/src/languages/header.rs")).unwrap();
    let edited = source.replacen("assert!(!is_cpp_header(c));", "assert!(!is_cpp_header(c), \"a C header\");", 1);
    assert_ne!(edited, source, "the line to edit is in the file");
    for (folder, text) in [("a", &source), ("b", &edited)] {
        fs::create_dir_all(root.join(folder)).unwrap();
        fs::write(root.join(folder).join("header.rs"), text).unwrap();
    }
    scan(&root, &out, &[]);
    let kinds: Vec<(String, String)> = final_state(&out, "clone_pairs").keys().map(|row| pair_kinds(row)).collect();
    assert!(kinds.iter().any(|(a, b)| a == "function" && b == "function"), "{kinds:?}");
    assert!(!kinds.iter().any(|(a, b)| [a, b].iter().any(|kind| *kind == "module" || *kind == "file")), "{kinds:?}");
    let units = final_state(&out, "units");
    let module = |row: &&String| row.contains("|b/header.rs|NULL|rust|") && row.contains("|module|tests|");
    assert!(units.keys().any(|row| module(&row)), "the module is a unit");
}

#[test]
fn one_worker_and_three_find_the_same_pairs_and_classes() {
    let dir = tempfile::tempdir().unwrap();
    let (one, three) = (dir.path().join("one"), dir.path().join("three"));
    let small = corpus("small");
    let stderr = scan(&small, &one, &["-w", "1"]);
    scan(&small, &three, &["-w", "3"]);
    let pairs: i64 = final_state(&one, "clone_pairs").values().sum();
    assert_eq!(summary_count(&stderr, "near-miss"), pairs, "{stderr}");
    assert!(summary_count(&stderr, "similar)") >= pairs, "{stderr}");
    for table in ["clone_pairs", "clone_classes"] {
        let rows = read_table(&one, table);
        assert!(!rows.is_empty(), "the small corpus has {table}");
        assert_eq!(rows, read_table(&three, table), "table {table} differs between 1 and 3 workers");
    }
}

#[test]
fn thresholds_out_of_range_are_refused_and_conflict_with_no_near_miss() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let small = corpus("small");
    for extra in [&["--similarity", "0"][..], &["--lcs", "101"], &["--no-near-miss", "--lcs", "80"]] {
        let mut args = vec!["scan", small.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let output = common::cpt(&args);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
}
