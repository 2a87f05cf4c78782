//! The replay oracle (ARCHITECTURE §2): a real history is replayed and, at several commits t, the
//! changelog summed up to t must equal a `cpt scan` of that commit's tree built from its raw blobs
//! (no eol or export-ignore rewriting), table by table. Histories: this project's own repository,
//! and histories built from successive released versions of real packages of the `small` corpus.

mod common;

use common::history::{
    build_long_history, clone_this_repository, commit_all, first_parent_commits, git, package_history, replay,
    write_commit_tree,
};
use common::{corpus, cpt, final_state, read_table, scan, state_at, STATE_TABLES as TABLES};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Times to check: the first, the middle, the last, and a few spread pseudo-randomly.
fn times_to_check(commits: usize) -> BTreeSet<usize> {
    let mut times = BTreeSet::from([0, commits / 2, commits - 1]);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..3 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        times.insert((seed >> 33) as usize % commits);
    }
    times
}

/// Replays `repo` and checks the oracle at several commits, and the `commits` table.
fn check_history(repo: &Path, work: &Path) {
    let out = work.join("replayed");
    let stderr = replay(repo, &out, &["-w", "2"]);
    let commits = first_parent_commits(repo);
    assert!(stderr.contains(&format!("cpt replay: {} commits", commits.len())), "{stderr}");
    let recorded: Vec<String> = read_table(&out, "commits").keys().cloned().collect();
    assert_eq!(recorded.len(), commits.len());
    for (time, sha) in commits.iter().enumerate() {
        assert!(recorded.iter().any(|row| row.starts_with(&format!("{time}|{sha}|"))), "no commit {sha} at {time}");
    }
    for t in times_to_check(commits.len()) {
        let tree = work.join(format!("tree{t}"));
        write_commit_tree(repo, &commits[t], &tree);
        let fresh = work.join(format!("fresh{t}"));
        scan(&tree, &fresh, &["-w", "1"]);
        for table in TABLES {
            let (replayed, expected) = (state_at(&out, table, t as u64), final_state(&fresh, table));
            assert!(
                replayed == expected,
                "table {table} at commit {t} ({}) differs from a scan of its tree:\nreplay only: {:?}\nscan only: {:?}",
                commits[t],
                replayed.iter().filter(|(k, v)| expected.get(*k) != Some(v)).take(3).collect::<Vec<_>>(),
                expected.iter().filter(|(k, v)| replayed.get(*k) != Some(v)).take(3).collect::<Vec<_>>(),
            );
        }
    }
}

#[test]
fn replaying_this_repository_equals_scans_of_its_commits() {
    let work = tempfile::tempdir().unwrap();
    let clone = work.path().join("self");
    clone_this_repository(&clone);
    check_history(&clone, work.path());
}

fn check_package_history(kind: &str, name: &str, a: &str, b: &str, rename: &str) {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    package_history(&repo, kind, name, a, b, rename);
    check_history(&repo, work.path());
}

#[test]
fn replaying_markupsafe_releases_equals_scans() {
    check_package_history("pypi", "MarkupSafe", "2.1.5", "3.0.2", "src");
}

#[test]
fn replaying_itoa_releases_equals_scans() {
    check_package_history("crates", "itoa", "1.0.11", "1.0.14", "src");
}

#[test]
fn replaying_react_hot_toast_releases_equals_scans() {
    check_package_history("npm", "react-hot-toast", "2.4.1", "2.5.1", "src");
}

#[test]
fn replaying_setuptools_golang_examples_releases_equals_scans() {
    check_package_history("pypi", "setuptools-golang-examples", "2.1.0", "2.2.0", "hello_lib");
}

#[test]
fn one_and_two_workers_give_the_same_changelog() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    package_history(&repo, "npm", "react-hot-toast", "2.4.1", "2.5.1", "src");
    let (one, two) = (work.path().join("one"), work.path().join("two"));
    replay(&repo, &one, &["-w", "1"]);
    replay(&repo, &two, &["-w", "2"]);
    for table in TABLES.iter().chain(&["elements", "commits", "lineage"]) {
        assert_eq!(read_table(&one, table), read_table(&two, table), "table {table}");
    }
}

#[test]
fn a_missing_repository_or_branch_is_a_usage_error() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let missing = cpt(&["replay", work.path().join("nope").to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    let not_repo = cpt(&["replay", work.path().to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(not_repo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_repo.stderr).contains("not a git repository"));
    let root = common::repo_root();
    let branch = cpt(&["replay", root.to_str().unwrap(), "--branch", "no-such-branch", "--out", out.to_str().unwrap()]);
    assert_eq!(branch.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&branch.stderr).contains("no-such-branch"));
}

#[test]
fn a_history_longer_than_the_commits_in_flight_equals_scans() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    build_long_history(&repo, cpt_dataflow::replay::COMMITS_IN_FLIGHT + 40);
    check_history(&repo, work.path());
}

/// A repository of two commits of real files (loose objects, as git writes them): `a.py` and
/// `b.py`, then `c.rs` added.
fn two_commit_repository(repo: &Path) {
    let markupsafe = corpus("small").join("pypi/MarkupSafe-2.1.5/src/markupsafe");
    fs::create_dir_all(repo).unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    fs::copy(markupsafe.join("__init__.py"), repo.join("a.py")).unwrap();
    fs::copy(markupsafe.join("_native.py"), repo.join("b.py")).unwrap();
    commit_all(repo, "first");
    fs::copy(corpus("small").join("crates/itoa-1.0.14/src/lib.rs"), repo.join("c.rs")).unwrap();
    commit_all(repo, "second");
}

/// A work folder holding [`two_commit_repository`] at `repo` without the loose object file of
/// the object that `spec` names, and where the output goes: (work folder, repo, out).
fn repository_missing(spec: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let (repo, out) = (work.path().join("repo"), work.path().join("out"));
    two_commit_repository(&repo);
    let id = String::from_utf8(git(&repo, &["rev-parse", spec])).unwrap();
    let id = id.trim();
    fs::remove_file(repo.join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();
    (work, repo, out)
}

#[test]
fn a_blob_missing_from_the_repository_is_an_unreadable_row_and_the_replay_goes_on() {
    let (_work, repo, out) = repository_missing("HEAD:b.py");
    let stderr = replay(&repo, &out, &[]);
    let cells = |row: &String, at: usize| row.split('|').nth(at).unwrap().to_string();
    let errors: Vec<(String, String, String)> =
        final_state(&out, "errors").keys().map(|row| (cells(row, 0), cells(row, 2), cells(row, 3))).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (path, reason, detail) = &errors[0];
    assert_eq!((path.as_str(), reason.as_str()), ("b.py", "unreadable"), "{stderr}");
    assert!(detail.contains("missing from the repository"), "{detail}");
    let files: BTreeSet<String> = final_state(&out, "files").keys().map(|row| cells(row, 0)).collect();
    assert_eq!(files, BTreeSet::from(["a.py".to_string(), "c.rs".to_string()]));
    assert_eq!(final_state(&out, "commits").len(), 2, "both commits are replayed");
}

#[test]
fn a_tree_missing_from_the_repository_stops_the_replay_naming_the_commit() {
    let (_work, repo, out) = repository_missing("HEAD^{tree}");
    let head = String::from_utf8(git(&repo, &["rev-parse", "HEAD"])).unwrap();
    let output = cpt(&["replay", repo.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(head.trim()), "the message names the commit: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
