//! `cpt catalog list` and `cpt catalog check` through the binary: the table, diagnostics as
//! FILE:LINE:COL lines with exit 1, usage errors with exit 2, and the corpus report on the real
//! test corpus.

mod common;

use common::{corpus, cpt, repo_root};

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn list_prints_one_row_per_element_and_the_counts() {
    let output = cpt(&["catalog", "list"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("symbol") && lines[0].ends_with("languages"), "{}", lines[0]);
    let guard = lines.iter().find(|l| l.starts_with("Gc ")).expect("the guard clause row");
    for cell in ["Guard clause", "Control", "Conditional", "1 atomic", "python", "typescript"] {
        assert!(guard.contains(cell), "{cell:?} missing from {guard}");
    }
    let summary = lines.last().expect("a summary line");
    let count: usize = summary.split(' ').next().and_then(|n| n.parse().ok()).expect("an element count");
    assert_eq!(count, lines.len() - 2, "{summary}");
    assert!(count >= 60, "{summary}");
}

#[test]
fn check_reports_each_mistake_at_its_line_and_exits_1() {
    let fixture = repo_root().join("operators/tests/catalog/mistakes.yaml");
    let output = cpt(&["catalog", "check", "--no-builtin", fixture.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = stdout(&output);
    let prefix = format!("{}:", fixture.display());
    assert_eq!(text.lines().count(), 18, "{text}");
    assert!(text.lines().all(|l| l.starts_with(&prefix)), "{text}");
    assert!(text.contains(":51:20: unknown node kind \"blok\" in the rust grammar"), "{text}");
}

/// A user catalogue of one element with `symbol`, written into `dir`.
fn user_catalogue(dir: &std::path::Path, symbol: &str) -> String {
    let path = dir.join(format!("{symbol}.yaml"));
    let text = format!(
        "elements:\n  - symbol: {symbol}\n    name: Bare return\n    summary: A return without a value.\n    \
         family: Control\n    category: Conditional\n    period: 1\n    recognisers:\n      - language: python\n        \
         query: '(return_statement . \"return\" .) @match'\n"
    );
    std::fs::write(&path, text).expect("writing the user catalogue");
    path.to_str().expect("a UTF-8 path").to_string()
}

#[test]
fn user_catalogues_go_beside_or_instead_of_the_builtin_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mine = user_catalogue(dir.path(), "Zz");
    let beside = stdout(&cpt(&["catalog", "list", "--catalog", &mine]));
    assert!(beside.lines().any(|l| l.starts_with("Zz ")) && beside.lines().any(|l| l.starts_with("Gc ")), "{beside}");
    let instead = stdout(&cpt(&["catalog", "list", "--catalog", &mine, "--no-builtin"]));
    assert_eq!(instead.lines().count(), 3, "header, Zz, summary:\n{instead}");
    let clash = cpt(&["catalog", "list", "--catalog", &user_catalogue(dir.path(), "Gc")]);
    assert_eq!(clash.status.code(), Some(1), "{clash:?}");
    let stderr = String::from_utf8_lossy(&clash.stderr);
    assert!(stderr.contains("duplicate symbol `Gc`: already defined at datasets/catalog/control.yaml:"), "{stderr}");
}

#[test]
fn the_builtin_catalogue_checks_clean() {
    let output = cpt(&["catalog", "check"]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert_eq!(stdout(&output), "");
}

#[test]
fn usage_errors_exit_2_with_what_to_write() {
    for (args, advice) in [
        (&["catalog", "list", "--no-builtin"][..], "add --catalog FILE"),
        (&["catalog", "check", "--no-builtin"][..], "cpt catalog check FILE"),
        (&["catalog", "check", "--corpus", "/nonexistent/folder"][..], "write the folder"),
        (&["catalog", "check", "/nonexistent/catalogue.yaml"][..], "write the path of a YAML catalogue file"),
    ] {
        let output = cpt(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(advice), "{args:?}: {stderr}");
    }
}

#[test]
fn corpus_check_counts_matches_per_element_and_flags_suspects() {
    let root = corpus("small");
    let output = cpt(&["catalog", "check", "--corpus", root.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let header = text.lines().next().expect("a corpus line");
    assert!(header.starts_with("corpus ") && header.contains(" units ("), "{header}");
    let counts: Vec<u64> = text
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("warning:"))
        .map(|l| l.split_whitespace().rev().nth(2).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{l}")))
        .collect();
    assert!(counts.len() >= 60, "{text}");
    assert!(counts.iter().filter(|&&n| n > 0).count() >= 30, "most elements occur in real code:\n{text}");
    let unmatched = counts.iter().filter(|&&n| n == 0).count();
    let warnings = text.lines().filter(|l| l.starts_with("warning: ")).count();
    assert!(warnings >= unmatched, "every unmatched element is flagged:\n{text}");
}
