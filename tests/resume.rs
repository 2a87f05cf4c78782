//! Resuming and continuing replays (ARCHITECTURE §6), `--range` and rename lineage, on real
//! histories: this project's own repository, histories built from released versions of packages of
//! the `small` corpus, and a long history of one package's files.
//!
//! The oracle of a resumed run is an uninterrupted run: every table, read through the manifest as
//! a consolidated multiset of (row, time, diff), must be equal. Runs are stopped by the test hook
//! `CPT_FAULT_ABORT_AFTER_COMMIT` at each epoch boundary, and once by a real SIGKILL.

mod common;

use common::history::{
    build_long_history, clone_this_repository, commit_all, first_parent_commits, git, package_history, replay,
};
use common::{corpus, read_table, state_at, REPLAY_TABLES as TABLES, STATE_TABLES};
use cpt_connectors::sink::ABORT_AFTER_COMMIT_VARIABLE;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Every table of an output folder, as consolidated (row with time) → diff.
type Tables = BTreeMap<&'static str, BTreeMap<String, i64>>;

fn tables(out: &Path) -> Tables {
    TABLES.iter().map(|&table| (table, read_table(out, table))).collect()
}

/// Rows of `tables` at times up to `through`.
fn through(tables: &Tables, through: Option<u64>) -> Tables {
    let early = |row: &str| through.is_some_and(|t| row.split('|').next().unwrap().parse::<u64>().unwrap() <= t);
    tables
        .iter()
        .map(|(&table, rows)| {
            (table, rows.iter().filter(|(row, _)| early(row)).map(|(r, d)| (r.clone(), *d)).collect())
        })
        .collect()
}

fn assert_equal_tables(actual: &Tables, expected: &Tables, context: &str) {
    for table in TABLES {
        let (a, e) = (&actual[table], &expected[table]);
        assert!(
            a == e,
            "{context}: table {table} differs from an uninterrupted run:\nhere only: {:?}\nthere only: {:?}",
            a.iter().filter(|(k, v)| e.get(*k) != Some(v)).take(3).collect::<Vec<_>>(),
            e.iter().filter(|(k, v)| a.get(*k) != Some(v)).take(3).collect::<Vec<_>>(),
        );
    }
}

/// Runs `cpt replay REPO --out OUT -q` plus `extra`, without `--overwrite` (an earlier run in OUT
/// is resumed), with the fault hook set to `abort_after` commits if given.
fn replay_again(repo: &Path, out: &Path, extra: &[&str], abort_after: Option<usize>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cpt"));
    command.args(["replay", repo.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"]).args(extra);
    if let Some(k) = abort_after {
        command.env(ABORT_AFTER_COMMIT_VARIABLE, k.to_string());
    }
    command.output().expect("running cpt")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(out.join("_manifest.json")).expect("manifest")).expect("manifest json")
}

/// The manifest's durable time and whether the run completed.
fn durable(out: &Path) -> (Option<u64>, bool) {
    let manifest = manifest(out);
    (manifest["durable_time"].as_u64(), manifest["complete"].as_bool().unwrap())
}

/// Every file under `dir` with its bytes: what "untouched" compares.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Stops a replay of `repo` after each manifest commit in turn (epochs sized to give about six),
/// checks that what it left is exactly the uninterrupted run's output up to its durable time, then
/// resumes it, alternating one and two workers, and compares the whole output.
fn check_faults_at_each_epoch(repo: &Path, work: &Path) {
    let commits = first_parent_commits(repo).len();
    let epoch = commits.div_ceil(6).max(2).to_string();
    let options = ["--epoch-commits", epoch.as_str()];
    let uninterrupted = work.join("uninterrupted");
    replay(repo, &uninterrupted, &[&options[..], &["-w", "2"]].concat());
    let expected = tables(&uninterrupted);
    let (mut stopped, mut restored_pairs) = (0, 0);
    for k in 1.. {
        let out = work.join(format!("stopped-after-{k}"));
        let faulted = replay_again(repo, &out, &[&options[..], &["-w", "2"]].concat(), Some(k));
        if faulted.status.success() {
            break; // the run made fewer than k commits
        }
        assert_eq!(faulted.status.signal(), Some(libc::SIGABRT), "run stopped after commit {k}: {}", stderr(&faulted));
        stopped += 1;
        let (time, complete) = durable(&out);
        let left = tables(&out);
        assert_equal_tables(&left, &through(&expected, time), &format!("left by a run stopped after commit {k}"));
        let workers = if k % 2 == 0 { "1" } else { "2" };
        let resumed = replay_again(repo, &out, &[&options[..], &["-w", workers]].concat(), None);
        let message = stderr(&resumed);
        assert!(resumed.status.success(), "resuming after commit {k}: {message}");
        let announced = match time {
            _ if complete => "up to date".to_string(),
            Some(t) => format!("resuming after commit {t} ({})", first_parent_commits(repo)[t as usize]),
            None => "resuming from the first commit".to_string(),
        };
        assert!(message.contains(&announced), "expected {announced:?} in {message}");
        // The similarity join's pairs at the durable time are not joined again: the output counts them.
        let durable_pairs: i64 = left["similar_pairs"].values().sum();
        if durable_pairs > 0 && !complete {
            let restored = format!("{durable_pairs} restored from the output");
            assert!(message.contains(&restored), "expected {restored:?} in {message}");
            restored_pairs += durable_pairs;
        }
        assert_equal_tables(&tables(&out), &expected, &format!("resumed with -w {workers} after commit {k}"));
    }
    assert!(stopped >= 3, "only {stopped} epoch boundaries in {commits} commits with epochs of {epoch}");
    assert!(restored_pairs > 0, "no resume had similar pairs to restore");
}

#[test]
fn this_repository_stopped_at_each_epoch_and_resumed_equals_an_uninterrupted_replay() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("self");
    clone_this_repository(&repo);
    check_faults_at_each_epoch(&repo, work.path());
}

#[test]
fn a_package_history_stopped_at_each_epoch_and_resumed_equals_an_uninterrupted_replay() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    package_history(&repo, "npm", "react-hot-toast", "2.4.1", "2.5.1", "src");
    check_faults_at_each_epoch(&repo, work.path());
}

#[test]
fn a_replay_killed_with_sigkill_resumes_to_the_uninterrupted_output() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    let commits = 120;
    build_long_history(&repo, commits);
    let uninterrupted = work.path().join("uninterrupted");
    replay(&repo, &uninterrupted, &["-w", "2"]);
    let out = work.path().join("killed");
    let options = ["--epoch-commits", "4", "-w", "2"];
    let mut child = Command::new(env!("CARGO_BIN_EXE_cpt"))
        .args(["replay", repo.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"])
        .args(options)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !out.join("_manifest.json").exists() || durable(&out).0.is_none_or(|t| t == 0) {
        assert!(child.try_wait().unwrap().is_none(), "the replay ended before anything was durable past time 0");
        assert!(started.elapsed() < Duration::from_secs(120), "nothing durable after two minutes");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "the replay ended before it could be killed");
    let (time, complete) = durable(&out);
    assert!(!complete && time.is_some_and(|t| t > 0 && t + 1 < commits as u64), "killed at {time:?}");

    let resumed = replay_again(&repo, &out, &options, None);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(stderr(&resumed).contains(&format!("resuming after commit {}", time.unwrap())), "{}", stderr(&resumed));
    assert_equal_tables(&tables(&out), &tables(&uninterrupted), "resumed after SIGKILL");
}

#[test]
fn a_branch_that_moved_on_is_continued_and_a_rewritten_one_refused() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    package_history(&repo, "pypi", "MarkupSafe", "2.1.5", "3.0.2", "src");
    let commits = first_parent_commits(&repo);
    let cut = commits.len() / 2;
    git(&repo, &["branch", "replayed", &commits[cut]]);
    let out = work.path().join("out");
    let first = replay_again(&repo, &out, &["--branch", "replayed"], None);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = manifest(&out);

    git(&repo, &["branch", "-f", "replayed", "main"]);
    let continued = replay_again(&repo, &out, &["--branch", "replayed", "-w", "1"], None);
    let message = stderr(&continued);
    assert!(continued.status.success(), "{message}");
    assert!(message.contains(&format!("resuming after commit {cut} ({})", commits[cut])), "{message}");
    assert!(message.contains(&format!("cpt replay: {} commits", commits.len() - cut - 1)), "{message}");
    let after = manifest(&out);
    for table in TABLES {
        let listed = |m: &serde_json::Value| -> BTreeSet<String> {
            m["tables"][table].as_array().unwrap().iter().map(|p| p["file"].as_str().unwrap().to_string()).collect()
        };
        let (old, new) = (listed(&before), listed(&after));
        assert!(old.is_subset(&new), "table {table}: parts of the first run were dropped");
        for part in
            after["tables"][table].as_array().unwrap().iter().filter(|p| !old.contains(p["file"].as_str().unwrap()))
        {
            assert!(part["min_time"].as_u64().unwrap() > cut as u64 || part["rows"] == 0, "table {table}: {part}");
        }
    }
    assert_eq!(after["source"]["tip"].as_str(), Some(commits.last().unwrap().as_str()));
    let fresh = work.path().join("fresh");
    replay(&repo, &fresh, &["-w", "2"]);
    assert_equal_tables(&tables(&out), &tables(&fresh), "continued after the branch moved");

    let untouched = snapshot(&out);
    let again = replay_again(&repo, &out, &["--branch", "replayed"], None);
    assert!(again.status.success() && stderr(&again).contains("up to date"), "{}", stderr(&again));
    assert_eq!(snapshot(&out), untouched, "an up-to-date run wrote something");

    git(&repo, &["checkout", "-q", "replayed"]);
    git(&repo, &["commit", "-q", "--amend", "-m", "the last commit, rewritten"]);
    let refused = replay_again(&repo, &out, &["--branch", "replayed"], None);
    let message = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{message}");
    assert!(message.contains("rewritten") && message.contains(commits.last().unwrap()), "{message}");
    assert!(message.contains("--overwrite"), "{message}");
    git(&repo, &["reset", "-q", "--hard", &commits[cut - 1]]);
    let refused = replay_again(&repo, &out, &["--branch", "replayed"], None);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains(&format!("only {cut} commits")), "{}", stderr(&refused));
    for other in [&["--min-tokens", "20"][..], &["--similarity", "80"], &["--lcs", "60"], &["--no-near-miss"]] {
        let other_config = replay_again(&repo, &out, &[&["--branch", "replayed"][..], other].concat(), None);
        assert_eq!(other_config.status.code(), Some(2), "{other:?}: {}", stderr(&other_config));
        assert!(stderr(&other_config).contains("configuration differs"), "{}", stderr(&other_config));
    }
    assert_eq!(snapshot(&out), untouched, "a refused run touched the output");

    let overwritten = replay_again(&repo, &out, &["--branch", "replayed", "--overwrite"], None);
    assert!(overwritten.status.success(), "{}", stderr(&overwritten));
    assert_eq!(durable(&out), (Some(cut as u64 - 1), true));
}

#[test]
fn a_range_replays_the_tail_of_the_history() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    package_history(&repo, "npm", "react-hot-toast", "2.4.1", "2.5.1", "src");
    let commits = first_parent_commits(&repo);
    let full = work.path().join("full");
    replay(&repo, &full, &["-w", "2"]);
    // Start the range just before the folder rename, so that its first commit has lineage.
    let subjects = git(&repo, &["log", "--first-parent", "--reverse", "--format=%s"]);
    let renaming = String::from_utf8(subjects).unwrap().lines().position(|s| s == "rename a folder").unwrap();
    let start = renaming - 1;
    let range = work.path().join("range");
    let stderr_text = replay(&repo, &range, &["--range", &format!("{}..main", commits[start]), "-w", "1"]);
    assert!(stderr_text.contains(&format!("cpt replay: {} commits", commits.len() - start - 1)), "{stderr_text}");
    for (i, t) in (start + 1..commits.len()).enumerate() {
        for table in STATE_TABLES {
            assert!(
                state_at(&range, table, i as u64) == state_at(&full, table, t as u64),
                "table {table}: time {i} of the range differs from time {t} of the whole history"
            );
        }
    }
    let shifted = |out: &Path, table: &str, offset: usize| -> BTreeMap<String, i64> {
        let rows = read_table(out, table);
        rows.into_iter()
            .filter_map(|(row, diff)| {
                let (time, rest) = row.split_once('|').unwrap();
                let time = time.parse::<usize>().unwrap().checked_sub(offset)?;
                Some((format!("{time}|{rest}"), diff))
            })
            .collect()
    };
    for table in ["commits", "lineage"] {
        assert_eq!(read_table(&range, table), shifted(&full, table, start + 1), "table {table}");
    }
    assert!(read_table(&range, "lineage").keys().any(|row| row.starts_with("0|")), "no lineage at the range's start");
    assert!(manifest(&range)["source"]["location"].as_str().unwrap().ends_with(&format!("({}..main)", commits[start])));
}

#[test]
fn bad_ranges_and_references_are_usage_errors() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("self");
    clone_this_repository(&repo);
    let commits = first_parent_commits(&repo);
    let out = work.path().join("out");
    let run = |extra: &[&str]| replay_again(&repo, &out, extra, None);
    let cases: [(&[&str], &str); 6] = [
        (&["--range", "main"], "write FROM..TO"),
        (&["--range", "..main"], "write FROM..TO"),
        (&["--range", "HEAD~1..main", "--branch", "main"], "cannot be used with"),
        (&["--range", "no-such-tag..HEAD"], "no branch, tag or commit \"no-such-tag\""),
        (&["--range", &format!("{}..{}", commits[2], commits[1])], "is not on the first-parent history"),
        (&["--range", &format!("{}..{}", commits[1], &commits[1][..12])], "holds no commit"),
    ];
    for (extra, expected) in cases {
        let output = run(extra);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{extra:?}: {}", stderr(&output));
    }
    assert!(!out.exists(), "a refused command line created the output folder");
}

/// The lineage rows at `time`: (old path, new path, similarity, old unit key, new unit key).
fn lineage_at(out: &Path, time: u64) -> BTreeSet<(String, String, i64, String, String)> {
    let prefix = format!("{time}|");
    read_table(out, "lineage")
        .into_keys()
        .filter(|row| row.starts_with(&prefix))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').collect();
            let [_, _, old, _, new, _, similarity, old_key, new_key] = cells[..] else { panic!("lineage row {row}") };
            (old.into(), new.into(), similarity.parse().unwrap(), old_key.into(), new_key.into())
        })
        .collect()
}

/// What the lineage of a rename of `old` (at `time - 1`) to `new` (at `time`) must hold, from the
/// `units` table: one row per unit with the same kind, name and ordinal at both paths.
fn expected_unit_pairs(out: &Path, time: u64, old: &str, new: &str) -> BTreeSet<(String, String)> {
    let units_at = |t: u64, path: &str| -> BTreeMap<(String, String, String), String> {
        state_at(out, "units", t)
            .into_keys()
            .filter_map(|row| {
                let cells: Vec<String> = row.split('|').map(str::to_string).collect();
                (cells[2] == path).then(|| ((cells[6].clone(), cells[7].clone(), cells[8].clone()), cells[0].clone()))
            })
            .collect()
    };
    let (before, after) = (units_at(time - 1, old), units_at(time, new));
    after.iter().filter_map(|(id, new_key)| Some((before.get(id)?.clone(), new_key.clone()))).collect()
}

#[test]
fn renames_keep_their_units_lineage() {
    let package = corpus("small").join("pypi/MarkupSafe-3.0.2");
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    fs::create_dir_all(repo.join("lib")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let copy = |from: &str, to: &str| fs::copy(package.join(from), repo.join(to)).unwrap();
    copy("src/markupsafe/__init__.py", "lib/escape.py");
    copy("src/markupsafe/_native.py", "lib/native.py");
    copy("tests/test_escape.py", "lib/test_escape.py");
    copy("README.md", "README.md");
    commit_all(&repo, "real files");
    git(&repo, &["mv", "lib/native.py", "lib/native_impl.py"]);
    git(&repo, &["mv", "README.md", "README.rst"]);
    commit_all(&repo, "exact renames");
    // A rename with an edit: the file gains the functions of another real file.
    let mut edited = fs::read(repo.join("lib/escape.py")).unwrap();
    edited.extend(fs::read(package.join("tests/test_leak.py")).unwrap());
    fs::write(repo.join("lib/markup.py"), edited).unwrap();
    fs::remove_file(repo.join("lib/escape.py")).unwrap();
    commit_all(&repo, "rename with an edit");
    // A deletion and an unrelated addition are no rename.
    fs::remove_file(repo.join("lib/test_escape.py")).unwrap();
    copy("docs/conf.py", "lib/conf.py");
    commit_all(&repo, "delete one file, add another");
    let out = work.path().join("out");
    replay(&repo, &out, &["-w", "2"]);

    let exact = lineage_at(&out, 1);
    let exact_pairs = expected_unit_pairs(&out, 1, "lib/native.py", "lib/native_impl.py");
    assert!(exact_pairs.len() >= 2, "{exact_pairs:?}");
    let mut expected: BTreeSet<_> = exact_pairs
        .into_iter()
        .map(|(old, new)| ("lib/native.py".to_string(), "lib/native_impl.py".to_string(), 100, old, new))
        .collect();
    expected.insert(("lib/native.py".into(), "lib/native_impl.py".into(), 100, "NULL".into(), "NULL".into()));
    assert_eq!(exact, expected, "an exact rename keeps every unit");

    let edited = lineage_at(&out, 2);
    let file_row = edited.iter().find(|row| row.3 == "NULL").expect("the renamed file's row").clone();
    assert_eq!((file_row.0.as_str(), file_row.1.as_str()), ("lib/escape.py", "lib/markup.py"));
    assert!((50..100).contains(&file_row.2), "similarity {}", file_row.2);
    let unit_pairs: BTreeSet<(String, String)> =
        edited.iter().filter(|row| row.3 != "NULL").map(|row| (row.3.clone(), row.4.clone())).collect();
    assert_eq!(unit_pairs, expected_unit_pairs(&out, 2, "lib/escape.py", "lib/markup.py"));
    let new_units =
        state_at(&out, "units", 2).into_keys().filter(|row| row.split('|').nth(2) == Some("lib/markup.py")).count();
    assert!(unit_pairs.len() >= 10 && unit_pairs.len() < new_units, "{} of {new_units} units", unit_pairs.len());

    assert!(lineage_at(&out, 0).is_empty() && lineage_at(&out, 3).is_empty());
}
