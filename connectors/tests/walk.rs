//! The directory walker and the tree content source on real files the tests create.

use cpt_connectors::content::{ContentSource, TreeSource};
use cpt_connectors::walk::{is_minified_name, ScanPolicy, SkipReason, TreeWalk, WalkItem};
use cpt_operators::model::{ContentId, ErrorReason, Lang};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

fn write(root: &Path, name: &str, text: &str) {
    let path = root.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn walk(root: &Path, policy: ScanPolicy, index: usize, peers: usize) -> Vec<WalkItem> {
    TreeWalk::new(root, policy, index, peers).unwrap().collect()
}

fn files(items: &[WalkItem]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|item| match item {
            WalkItem::File { path, .. } => Some(String::from_utf8(path.clone()).unwrap()),
            _ => None,
        })
        .collect()
}

#[test]
fn vendored_folders_and_ignored_files_are_skipped_and_the_rest_is_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/main.rs", "fn main() {}\n");
    write(root, "src/lib.py", "x = 1\n");
    write(root, "node_modules/a/index.js", "module.exports = 1;\n");
    write(root, "pkg/vendor/b.go", "package b\n");
    write(root, "target/debug/build.rs", "fn main() {}\n");
    write(root, "docs/readme.md", "# hi\n");
    write(root, ".ignore", "generated/\n");
    write(root, "generated/out.rs", "fn g() {}\n");
    let items = walk(root, ScanPolicy::default(), 0, 1);
    assert_eq!(files(&items), BTreeSet::from(["src/lib.py".to_string(), "src/main.rs".to_string()]));
    let vendored: BTreeSet<String> = items
        .iter()
        .filter_map(|item| match item {
            WalkItem::Skipped { path, reason: SkipReason::VendorDir } => Some(String::from_utf8(path.clone()).unwrap()),
            _ => None,
        })
        .collect();
    assert_eq!(vendored, BTreeSet::from(["node_modules".into(), "pkg/vendor".into(), "target".into()]));
    let main = items.iter().find_map(|item| match item {
        WalkItem::File { path, key, bytes } if path == b"src/main.rs" => Some((*key, *bytes)),
        _ => None,
    });
    let (key, bytes) = main.unwrap();
    assert_eq!(key.lang, Lang::Rust);
    assert_eq!(bytes, 13);
    assert_eq!(key.id, ContentId::of_bytes(b"fn main() {}\n"));

    let mut policy = ScanPolicy { skip_vendor_dirs: false, ..ScanPolicy::default() };
    assert_eq!(files(&walk(root, policy.clone(), 0, 1)).len(), 5);
    policy.langs = Some(BTreeSet::from([Lang::Python]));
    assert_eq!(files(&walk(root, policy, 0, 1)), BTreeSet::from(["src/lib.py".to_string()]));
}

#[test]
fn workers_split_the_tree_without_overlap() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        write(dir.path(), &format!("m{i}.py"), &format!("x = {i}\n"));
    }
    let all = files(&walk(dir.path(), ScanPolicy::default(), 0, 1));
    let a = files(&walk(dir.path(), ScanPolicy::default(), 0, 2));
    let b = files(&walk(dir.path(), ScanPolicy::default(), 1, 2));
    assert!(a.is_disjoint(&b) && !a.is_empty() && !b.is_empty());
    assert_eq!(a.union(&b).cloned().collect::<BTreeSet<_>>(), all);
}

#[test]
fn a_file_deleted_during_the_walk_is_reported_as_vanished() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.py", "b.py", "z.py"] {
        write(dir.path(), name, "x = 1\n");
    }
    let mut walker = TreeWalk::new(dir.path(), ScanPolicy::default(), 0, 1).unwrap();
    let first = walker.next().unwrap();
    assert!(matches!(first, WalkItem::File { ref path, .. } if path == b"a.py"));
    fs::remove_file(dir.path().join("z.py")).unwrap();
    let rest: Vec<WalkItem> = walker.collect();
    let vanished = rest
        .iter()
        .any(|item| matches!(item, WalkItem::Error(row) if row.path == b"z.py" && row.reason == ErrorReason::Vanished));
    assert!(vanished, "{rest:?}");
}

#[test]
fn the_content_source_detects_vanished_and_changed_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.py", "x = 1\n");
    let source = TreeSource::new(dir.path(), 1 << 20);
    let id = ContentId::of_bytes(b"x = 1\n");
    assert_eq!(source.read(b"a.py", id).unwrap(), b"x = 1\n");
    write(dir.path(), "a.py", "x = 2\n");
    assert_eq!(source.read(b"a.py", id).unwrap_err().reason, ErrorReason::ChangedDuringScan);
    fs::remove_file(dir.path().join("a.py")).unwrap();
    assert_eq!(source.read(b"a.py", id).unwrap_err().reason, ErrorReason::Vanished);
}

#[test]
fn minified_names() {
    assert!(is_minified_name(b"dist/app.min.js"));
    assert!(!is_minified_name(b"src/admin.js"));
    assert!(!is_minified_name(b"min.d/app.js"));
}

#[test]
fn content_ids_are_git_blob_ids() {
    // `printf 'hello\n' | git hash-object --stdin`
    assert_eq!(ContentId::of_bytes(b"hello\n").to_hex(), "ce013625030ba8dba906f756967f9e9ca394464a");
}
