//! The replay oracle (ARCHITECTURE §2): a real history is replayed and, at several commits t, the
//! changelog summed up to t must equal a `cpt scan` of that commit's tree built from its raw blobs
//! (no eol or export-ignore rewriting), table by table. Histories: this project's own repository,
//! and histories built from successive released versions of real packages of the `small` corpus.

mod common;

use common::{corpus, cpt, final_state, read_table, scan, state_at};
use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TABLES: [&str; 4] = ["files", "units", "clone_groups", "errors"];

/// Runs git isolated from the user's and the system's configuration; returns stdout.
fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=cpt test", "-c", "user.email=cpt@test", "-c", "commit.gpgsign=false"])
        .args(["-c", "core.autocrlf=false", "-c", "core.hooksPath=/dev/null"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("running git");
    assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// The first-parent commits of HEAD, oldest first.
fn first_parent_commits(repo: &Path) -> Vec<String> {
    let out = git(repo, &["rev-list", "--first-parent", "--reverse", "HEAD"]);
    String::from_utf8(out).unwrap().lines().map(str::to_string).collect()
}

/// Writes the tree of commit `sha` into `dir` from its raw blobs (regular files only: a symbolic
/// link is not source, a submodule has no blobs here).
fn write_commit_tree(repo: &Path, sha: &str, dir: &Path) {
    let listing = git(repo, &["ls-tree", "-r", "-z", sha]);
    let mut files = Vec::new();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let tab = entry.iter().position(|&b| b == b'\t').unwrap();
        let meta = std::str::from_utf8(&entry[..tab]).unwrap();
        let fields: Vec<&str> = meta.split(' ').collect();
        if fields[0] == "100644" || fields[0] == "100755" {
            files.push((fields[2].to_string(), String::from_utf8(entry[tab + 1..].to_vec()).unwrap()));
        }
    }
    let mut batch = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = batch.stdin.take().unwrap();
    let ids: String = files.iter().map(|(id, _)| format!("{id}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(ids.as_bytes()).unwrap());
    let mut stdout = BufReader::new(batch.stdout.take().unwrap());
    for (_, path) in &files {
        let mut header = String::new();
        stdout.read_line(&mut header).unwrap();
        let size: usize = header.split_whitespace().nth(2).unwrap().parse().unwrap();
        let mut bytes = vec![0; size + 1];
        stdout.read_exact(&mut bytes).unwrap();
        bytes.pop();
        let target = dir.join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, bytes).unwrap();
    }
    writer.join().unwrap();
    assert!(batch.wait().unwrap().success());
}

fn replay(repo: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["replay", repo.to_str().unwrap(), "--out", out.to_str().unwrap(), "--overwrite", "-q"];
    args.extend_from_slice(extra);
    let output = cpt(&args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "cpt {args:?} failed: {stderr}");
    stderr
}

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
    git(work.path(), &["clone", "-q", "--no-local", common::repo_root().to_str().unwrap(), clone.to_str().unwrap()]);
    check_history(&clone, work.path());
}

/// Regular files under `root`, relative, sorted.
fn files_under(root: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                found.insert(entry.path().strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    found
}

fn commit_all(repo: &Path, message: &str) {
    git(repo, &["add", "-A", "-f", "."]);
    git(repo, &["commit", "-q", "--allow-empty", "-m", message]);
}

/// A history from version `a` to version `b` of a package: `a` whole, then `b`'s differences in
/// commits of at most five files, then a folder rename, a `.gitignore` ignoring one source file,
/// its removal, and a deletion.
fn build_history(repo: &Path, a: &Path, b: &Path, rename: &str) {
    fs::create_dir_all(repo).unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    for file in files_under(a) {
        fs::create_dir_all(repo.join(&file).parent().unwrap()).unwrap();
        fs::copy(a.join(&file), repo.join(&file)).unwrap();
    }
    commit_all(repo, &format!("{}", a.display()));
    let (old, new) = (files_under(a), files_under(b));
    let changed: Vec<&PathBuf> = old
        .union(&new)
        .filter(|f| {
            !new.contains(*f) || !old.contains(*f) || fs::read(a.join(f)).unwrap() != fs::read(b.join(f)).unwrap()
        })
        .collect();
    for (n, chunk) in changed.chunks(5).enumerate() {
        for file in chunk {
            let target = repo.join(file);
            if new.contains(*file) {
                fs::create_dir_all(target.parent().unwrap()).unwrap();
                fs::copy(b.join(file), &target).unwrap();
            } else {
                fs::remove_file(&target).unwrap();
            }
        }
        commit_all(repo, &format!("towards {} ({n})", b.display()));
    }
    let renamed = format!("{rename}-moved");
    git(repo, &["mv", rename, &renamed]);
    commit_all(repo, "rename a folder");
    let sources: Vec<PathBuf> = files_under(repo)
        .into_iter()
        .filter(|f| {
            !f.starts_with(".git") && cpt_operators::model::Lang::from_path(f.to_str().unwrap().as_bytes()).is_some()
        })
        .collect();
    assert!(sources.len() >= 3, "too few source files in {}", repo.display());
    let ignored = sources[sources.len() / 2].to_str().unwrap().to_string();
    fs::write(repo.join(".gitignore"), format!("/{ignored}\n")).unwrap();
    commit_all(repo, "ignore one source file");
    fs::remove_file(repo.join(".gitignore")).unwrap();
    commit_all(repo, "stop ignoring it");
    for file in sources.iter().step_by(3) {
        fs::remove_file(repo.join(file)).unwrap();
    }
    commit_all(repo, "delete files");
}

fn package_history(kind: &str, name: &str, a: &str, b: &str, rename: &str) {
    let small = corpus("small");
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    let dir = |version: &str| small.join(kind).join(format!("{name}-{version}"));
    build_history(&repo, &dir(a), &dir(b), rename);
    check_history(&repo, work.path());
}

#[test]
fn replaying_markupsafe_releases_equals_scans() {
    package_history("pypi", "MarkupSafe", "2.1.5", "3.0.2", "src");
}

#[test]
fn replaying_itoa_releases_equals_scans() {
    package_history("crates", "itoa", "1.0.11", "1.0.14", "src");
}

#[test]
fn replaying_react_hot_toast_releases_equals_scans() {
    package_history("npm", "react-hot-toast", "2.4.1", "2.5.1", "src");
}

#[test]
fn replaying_setuptools_golang_examples_releases_equals_scans() {
    package_history("pypi", "setuptools-golang-examples", "2.1.0", "2.2.0", "hello_lib");
}

#[test]
fn one_and_two_workers_give_the_same_changelog() {
    let small = corpus("small");
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    let dir = |version: &str| small.join("npm").join(format!("react-hot-toast-{version}"));
    build_history(&repo, &dir("2.4.1"), &dir("2.5.1"), "src");
    let (one, two) = (work.path().join("one"), work.path().join("two"));
    replay(&repo, &one, &["-w", "1"]);
    replay(&repo, &two, &["-w", "2"]);
    for table in TABLES.iter().chain(&["commits"]) {
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
    let source = corpus("small").join("crates/cxx-1.0.130");
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let files: Vec<PathBuf> = files_under(&source).into_iter().collect();
    let commits = cpt_dataflow::replay::COMMITS_IN_FLIGHT + 40;
    for n in 0..commits {
        // One file per commit, cycling through the package, so later commits modify and re-add.
        let file = &files[n % files.len()];
        let target = repo.join(format!("slot{}", n % 7)).join(file.file_name().unwrap());
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(source.join(file), target).unwrap();
        commit_all(&repo, &format!("commit {n}"));
    }
    check_history(&repo, work.path());
}
