//! Git histories for the replay tests: running git isolated from the user's configuration,
//! building histories from real files (released versions of packages of the `small` corpus, or one
//! package's files committed one at a time), writing a commit's tree from its raw blobs, and
//! running `cpt replay`.

use super::cpt;
use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs git isolated from the user's and the system's configuration; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
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
pub fn first_parent_commits(repo: &Path) -> Vec<String> {
    let out = git(repo, &["rev-list", "--first-parent", "--reverse", "HEAD"]);
    String::from_utf8(out).unwrap().lines().map(str::to_string).collect()
}

/// Writes the tree of commit `sha` into `dir` from its raw blobs (regular files only: a symbolic
/// link is not source, a submodule has no blobs here).
pub fn write_commit_tree(repo: &Path, sha: &str, dir: &Path) {
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

/// Runs `cpt replay REPO --out OUT --overwrite -q` plus extra arguments; asserts exit 0 and returns stderr.
pub fn replay(repo: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["replay", repo.to_str().unwrap(), "--out", out.to_str().unwrap(), "--overwrite", "-q"];
    args.extend_from_slice(extra);
    let output = cpt(&args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "cpt {args:?} failed: {stderr}");
    stderr
}

/// Regular files under `root`, relative, sorted.
pub fn files_under(root: &Path) -> BTreeSet<PathBuf> {
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

pub fn commit_all(repo: &Path, message: &str) {
    git(repo, &["add", "-A", "-f", "."]);
    git(repo, &["commit", "-q", "--allow-empty", "-m", message]);
}

/// A history from version `a` to version `b` of a package: `a` whole, then `b`'s differences in
/// commits of at most five files, then a folder rename, a `.gitignore` ignoring one source file,
/// its removal, and a deletion.
pub fn build_history(repo: &Path, a: &Path, b: &Path, rename: &str) {
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

/// A history of `commits` commits in a new repository at `repo`, each copying one file of the
/// `cxx` package of the `small` corpus into one of seven folders, cycling through the package, so
/// that later commits modify and re-add files.
pub fn build_long_history(repo: &Path, commits: usize) {
    let source = super::corpus("small").join("crates/cxx-1.0.130");
    fs::create_dir_all(repo).unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    let files: Vec<PathBuf> = files_under(&source).into_iter().collect();
    for n in 0..commits {
        let file = &files[n % files.len()];
        let target = repo.join(format!("slot{}", n % 7)).join(file.file_name().unwrap());
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(source.join(file), target).unwrap();
        commit_all(repo, &format!("commit {n}"));
    }
}

/// A history from version `a` to version `b` of package `name` of the `small` corpus (`kind`:
/// `crates`, `pypi` or `npm`), built by [`build_history`] in a new repository at `repo`.
pub fn package_history(repo: &Path, kind: &str, name: &str, a: &str, b: &str, rename: &str) {
    let dir = |version: &str| super::corpus("small").join(kind).join(format!("{name}-{version}"));
    build_history(repo, &dir(a), &dir(b), rename);
}

/// A clone of this project's own repository at `target` (its real history).
pub fn clone_this_repository(target: &Path) {
    let parent = target.parent().unwrap();
    git(parent, &["clone", "-q", "--no-local", super::repo_root().to_str().unwrap(), target.to_str().unwrap()]);
}
