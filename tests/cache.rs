//! The durable content cache (ARCHITECTURE §3): a second run over the same contents parses
//! nothing and writes the same tables as a run without the cache; another analysis configuration
//! or language never reuses an entry; a corrupt or busy cache never fails a run; `cpt cache prune`
//! shrinks it; and a replay warmed by a scan of its tip parses less and writes the same changelog.

mod common;

use common::{copy_tree, corpus, cpt, read_table, scan, STATE_TABLES as TABLES};
use cpt_connectors::cache::{ContentCache, Namespace};
use cpt_operators::analyze::analyze;
use cpt_operators::model::{AnalysisConfig, ContentId, ContentKey, Lang};
use std::fs;
use std::path::Path;
use std::process::Command;

/// (parsed, all) from the summary's `parsed P of N contents (…)`.
fn contents(stderr: &str) -> (u64, u64) {
    let at = stderr.find("parsed ").unwrap_or_else(|| panic!("no content counts in {stderr}"));
    let words: Vec<&str> = stderr[at..].split_whitespace().take(5).collect();
    assert_eq!((words[2], words[4]), ("of", "contents"), "{stderr}");
    (words[1].parse().unwrap(), words[3].parse().unwrap())
}

/// Scans `tree` into `out` with the cache folder `cache` and returns stderr.
fn scan_cached(tree: &Path, out: &Path, cache: &Path, extra: &[&str]) -> String {
    let mut args = vec!["--cache", cache.to_str().unwrap()];
    args.extend_from_slice(extra);
    scan(tree, out, &args)
}

fn assert_same_tables(a: &Path, b: &Path, tables: &[&str]) {
    for table in tables {
        let (left, right) = (read_table(a, table), read_table(b, table));
        let may_be_empty = matches!(
            *table,
            "clone_groups"
                | "similar_pairs"
                | "clone_pairs"
                | "clone_classes"
                | "mined_elements"
                | "matches"
                | "element_stats"
                | "errors"
        );
        assert!(!left.is_empty() || may_be_empty, "table {table} is empty");
        assert!(left == right, "table {table} differs between {} and {}", a.display(), b.display());
    }
}

/// `cpt cache stats`: (bytes on disk, entries, the whole report).
fn cache_stats(cache: &Path) -> (u64, u64, String) {
    let output = cpt(&["cache", "stats", "--cache", cache.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{report}{}", String::from_utf8_lossy(&output.stderr));
    let first = report.lines().next().unwrap();
    let number_before = |label: &str| -> u64 {
        let words: Vec<&str> = first.split(['(', ' ', ',']).filter(|w| !w.is_empty()).collect();
        let at = words.iter().position(|w| *w == label).unwrap_or_else(|| panic!("no {label} in {first}"));
        words[at - 1].parse().unwrap()
    };
    (number_before("bytes)"), number_before("entries"), report)
}

fn prune(cache: &Path, rules: &[&str]) -> String {
    let mut args = vec!["cache", "prune", "--cache", cache.to_str().unwrap()];
    args.extend_from_slice(rules);
    let output = cpt(&args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

#[test]
fn a_second_scan_of_the_same_tree_parses_nothing_and_writes_the_same_tables() {
    let work = tempfile::tempdir().unwrap();
    let (tree, cache) = (work.path().join("tree"), work.path().join("cache"));
    copy_tree(&corpus("small"), &tree);
    let (first, second) = (work.path().join("first"), work.path().join("second"));
    let (parsed, all) = contents(&scan_cached(&tree, &first, &cache, &["-w", "2"]));
    assert!(all > 500 && parsed == all, "a cold cache parses everything: {parsed} of {all}");
    let warm = scan_cached(&tree, &second, &cache, &["-w", "2"]);
    assert_eq!(contents(&warm), (0, all), "{warm}");
    assert!(warm.contains(&format!("({all} from cache)")), "{warm}");
    assert_same_tables(&first, &second, &TABLES);
    let (bytes, entries, report) = cache_stats(&cache);
    assert_eq!(entries, all, "{report}");
    assert!(bytes > 0 && report.contains("current:"), "{report}");
}

#[test]
fn another_configuration_or_language_never_reuses_an_entry() {
    let work = tempfile::tempdir().unwrap();
    let (tree, cache) = (work.path().join("tree"), work.path().join("cache"));
    copy_tree(&corpus("small").join("npm/react-hot-toast-2.4.1"), &tree);
    let (parsed, all) = contents(&scan_cached(&tree, &work.path().join("default"), &cache, &[]));
    assert_eq!(parsed, all);
    let narrow = ["--max-line-length", "40"];
    let cached = work.path().join("narrow");
    assert_eq!(contents(&scan_cached(&tree, &cached, &cache, &narrow)), (all, all), "another config parses again");
    let uncached = work.path().join("narrow-no-cache");
    scan(&tree, &uncached, &[&narrow[..], &["--no-cache"]].concat());
    assert_same_tables(&cached, &uncached, &TABLES);
    let default_errors = read_table(&work.path().join("default"), "errors");
    assert_ne!(read_table(&cached, "errors"), default_errors, "the narrower limit finds minified files");

    let source = fs::read(tree.join("src/core/toast.ts")).unwrap();
    let (ts, tsx) = (work.path().join("ts"), work.path().join("tsx"));
    fs::create_dir_all(&ts).unwrap();
    fs::create_dir_all(&tsx).unwrap();
    fs::write(ts.join("toast.ts"), &source).unwrap();
    fs::write(tsx.join("toast.tsx"), &source).unwrap();
    assert_eq!(contents(&scan_cached(&ts, &work.path().join("ts-out"), &cache, &[])), (0, 1), "the .ts was cached");
    let tsx_out = work.path().join("tsx-out");
    assert_eq!(contents(&scan_cached(&tsx, &tsx_out, &cache, &[])), (1, 1), "the same bytes as .tsx parse again");
    let tsx_fresh = work.path().join("tsx-fresh");
    scan(&tsx, &tsx_fresh, &["--no-cache"]);
    assert_same_tables(&tsx_out, &tsx_fresh, &TABLES);
}

#[test]
fn a_corrupt_cache_is_moved_aside_and_the_run_succeeds_with_the_same_tables() {
    let work = tempfile::tempdir().unwrap();
    let (tree, cache) = (work.path().join("tree"), work.path().join("cache"));
    copy_tree(&corpus("small").join("pypi/MarkupSafe-3.0.2"), &tree);
    let first = work.path().join("first");
    let (_, all) = contents(&scan_cached(&tree, &first, &cache, &[]));
    let file = cache.join("content.redb");
    let garbage: Vec<u8> = fs::read(tree.join("src/markupsafe/__init__.py")).unwrap().repeat(8);
    fs::write(&file, &garbage).unwrap();

    let second = work.path().join("second");
    let stderr = scan_cached(&tree, &second, &cache, &[]);
    assert!(stderr.contains("warning: content cache") && stderr.contains("moved it aside"), "{stderr}");
    assert!(stderr.contains("see the cache warning"), "the summary says so: {stderr}");
    assert_eq!(contents(&stderr), (all, all));
    assert_same_tables(&first, &second, &TABLES);
    assert_eq!(fs::read(cache.join("content.redb.corrupt")).unwrap(), garbage, "the bad file is kept aside");

    let third = work.path().join("third");
    let stderr = scan_cached(&tree, &third, &cache, &[]);
    assert_eq!(contents(&stderr), (0, all), "the renewed cache serves the next run: {stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert_same_tables(&first, &third, &TABLES);
}

#[test]
fn a_cache_held_by_another_process_is_left_alone_and_the_run_succeeds() {
    let work = tempfile::tempdir().unwrap();
    let (tree, cache) = (work.path().join("tree"), work.path().join("cache"));
    copy_tree(&corpus("small").join("crates/itoa-1.0.14"), &tree);
    let first = work.path().join("first");
    scan(&tree, &first, &["--no-cache"]);
    let held = ContentCache::open(&cache, &Namespace::current(&AnalysisConfig::default())).unwrap();
    let second = work.path().join("second");
    let output = cpt(&[
        "scan",
        tree.to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
        "-q",
        "--cache",
        cache.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("in use by another cpt process"), "{stderr}");
    assert!(stderr.contains("cache not used"), "{stderr}");
    drop(held);
    assert_same_tables(&first, &second, &TABLES);
}

#[test]
fn pruning_drops_stale_entries_then_the_oldest_down_to_a_size() {
    let work = tempfile::tempdir().unwrap();
    let (tree, cache) = (work.path().join("tree"), work.path().join("cache"));
    let package = corpus("small").join("npm/zod-3.23.8");
    copy_tree(&package, &tree);
    let older = Namespace {
        engine: "cpt 0.0.1 (analysis 0000000000000000, grammars 0000000000000000)".into(),
        ..Namespace::current(&AnalysisConfig::default())
    };
    let stale_entries = {
        let stale = ContentCache::open(&cache, &older).unwrap();
        let mut count = 0;
        for name in ["lib/types.d.ts", "lib/ZodError.d.ts", "lib/helpers/util.d.ts"] {
            let bytes = fs::read(tree.join(name)).unwrap();
            let key = ContentKey { id: ContentId::of_bytes(&bytes), lang: Lang::TypeScript };
            stale.put(&key, &analyze(&bytes, key.lang, &AnalysisConfig::default()));
            count += 1;
        }
        count
    };
    let first = work.path().join("first");
    let (_, current_entries) = contents(&scan_cached(&tree, &first, &cache, &[]));
    let (bytes, entries, report) = cache_stats(&cache);
    assert_eq!(entries, current_entries + stale_entries, "{report}");
    assert!(report.contains(&format!("stale: {stale_entries} entries")) && report.contains(&older.engine), "{report}");

    let pruned = prune(&cache, &["--stale"]);
    assert!(pruned.contains(&format!("pruned {stale_entries} entries")), "{pruned}");
    let (after_stale, entries, report) = cache_stats(&cache);
    assert_eq!(entries, current_entries, "{report}");
    assert!(!report.contains("stale:") && after_stale <= bytes, "{report}");
    let second = work.path().join("second");
    assert_eq!(contents(&scan_cached(&tree, &second, &cache, &[])), (0, current_entries));

    let cap = after_stale / 2;
    prune(&cache, &["--max-size", &cap.to_string()]);
    let (capped, entries, report) = cache_stats(&cache);
    assert!(capped <= cap && entries > 0 && entries < current_entries, "over {cap} bytes: {report}");
    let third = work.path().join("third");
    let (parsed, all) = contents(&scan_cached(&tree, &third, &cache, &[]));
    assert_eq!((parsed, all), (current_entries - entries, current_entries), "what was pruned is parsed again");
    assert_same_tables(&first, &third, &TABLES);

    std::thread::sleep(std::time::Duration::from_millis(1100));
    prune(&cache, &["--older-than", "0"]);
    assert_eq!(cache_stats(&cache).1, 0, "every entry was written over a second ago");
}

#[test]
fn a_replay_warmed_by_a_scan_of_its_tip_parses_less_and_writes_the_same_changelog() {
    let work = tempfile::tempdir().unwrap();
    let clone = work.path().join("self");
    let status = Command::new("git")
        .args(["clone", "-q", "--no-local", common::repo_root().to_str().unwrap(), clone.to_str().unwrap()])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(status.success());
    let replay = |out: &Path, cache: &[&str]| -> String {
        let mut args = vec!["replay", clone.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q", "-w", "2"];
        args.extend_from_slice(cache);
        let output = cpt(&args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        stderr
    };
    let cold = work.path().join("cold");
    let (cold_parsed, all) = contents(&replay(&cold, &["--no-cache"]));
    assert_eq!(cold_parsed, all);

    let cache = work.path().join("cache");
    let (tip_parsed, _) = contents(&scan_cached(&clone, &work.path().join("tip"), &cache, &[]));
    let warm = work.path().join("warm");
    let stderr = replay(&warm, &["--cache", cache.to_str().unwrap()]);
    let (warm_parsed, warm_all) = contents(&stderr);
    assert_eq!(warm_all, all, "{stderr}");
    assert_eq!(warm_parsed, all - tip_parsed, "every content of the tip came from the cache: {stderr}");
    assert_same_tables(&cold, &warm, &[&TABLES[..], &["commits"]].concat());
}
