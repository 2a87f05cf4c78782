//! The filtered state of a live tree against its oracle: after each real edit of a tree seeded
//! with files of the `small` corpus, judging again only the changed paths must give differences
//! that, applied to the verdicts of a first walk, equal the verdicts of a fresh walk.

use cpt_connectors::fs_state::{may_change_verdicts, FsState};
use cpt_connectors::rows::PathBytes;
use cpt_connectors::verdicts::Verdict;
use cpt_connectors::walk::{ScanPolicy, TreeWalk};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn small() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/cache/small");
    assert!(root.is_dir(), "corpus missing at {}; build it with `python3 datasets/fetch.py small`", root.display());
    root
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The verdicts of a walk of the whole tree.
fn walked(root: &Path) -> BTreeMap<PathBytes, Verdict> {
    TreeWalk::new(root, ScanPolicy::default(), 0, 1).unwrap().filter_map(|item| item.into_verdict().ok()).collect()
}

/// A state kept up to date by differences only, next to the tree it follows.
struct Followed {
    root: PathBuf,
    state: FsState,
    verdicts: BTreeMap<PathBytes, Verdict>,
}

impl Followed {
    fn new(root: &Path) -> Followed {
        let verdicts = walked(root);
        Followed {
            root: root.to_path_buf(),
            state: FsState::new(root, ScanPolicy::default(), verdicts.clone()),
            verdicts,
        }
    }

    /// Judges `changed` again, applies the differences, and checks them against a fresh walk;
    /// returns how many differences there were.
    fn changed(&mut self, changed: &[&str]) -> usize {
        let deltas = self.state.rejudge(changed.iter().map(|p| p.as_bytes().to_vec())).unwrap();
        for (path, verdict, diff) in &deltas {
            match diff {
                1 => assert!(self.verdicts.insert(path.clone(), verdict.clone()).is_none(), "{path:?} added twice"),
                -1 => assert_eq!(self.verdicts.remove(path).as_ref(), Some(verdict), "{path:?} retracted"),
                other => panic!("diff {other}"),
            }
        }
        let fresh = walked(&self.root);
        assert_eq!(self.verdicts.keys().collect::<Vec<_>>(), fresh.keys().collect::<Vec<_>>(), "after {changed:?}");
        assert_eq!(self.verdicts, fresh, "after {changed:?}");
        assert_eq!(self.state.len(), fresh.len());
        deltas.len()
    }
}

#[test]
fn judging_changed_paths_again_equals_a_fresh_walk() {
    let small = small();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&small.join("crates/itoa-1.0.14"), &root.join("itoa"));
    copy_tree(&small.join("pypi/MarkupSafe-3.0.2/src"), &root.join("py"));
    let mut tree = Followed::new(root);
    assert!(tree.state.len() > 5);

    copy_tree(&small.join("npm/react-hot-toast-2.5.1/src"), &root.join("web"));
    assert!(tree.changed(&["web"]) >= 13, "a new folder is walked whole");

    let lib = root.join("itoa/src/lib.rs");
    let appended = [fs::read(&lib).unwrap(), fs::read(root.join("itoa/src/udiv128.rs")).unwrap()].concat();
    fs::write(&lib, appended).unwrap();
    assert_eq!(tree.changed(&["itoa/src/lib.rs"]), 2, "a modified file is retracted and added");

    fs::write(&lib, fs::read(&lib).unwrap()).unwrap();
    assert_eq!(tree.changed(&["itoa/src/lib.rs"]), 0, "a file written with the same bytes changes nothing");

    fs::rename(root.join("web/core"), root.join("web/engine")).unwrap();
    assert_eq!(tree.changed(&["web/core", "web/engine"]), 10, "a folder move retracts and adds its files");

    fs::remove_dir_all(root.join("web/components")).unwrap();
    assert_eq!(tree.changed(&["web/components"]), 6, "a deleted folder takes its files along");

    let temp = root.join("py/markupsafe/.__init__.py.swp");
    fs::copy(small.join("pypi/MarkupSafe-2.1.5/src/markupsafe/__init__.py"), &temp).unwrap();
    fs::rename(&temp, root.join("py/markupsafe/__init__.py")).unwrap();
    assert_eq!(tree.changed(&["py/markupsafe/.__init__.py.swp", "py/markupsafe/__init__.py"]), 2);

    fs::write(root.join(".gitignore"), "/web/\n*.pyi\n").unwrap();
    assert!(tree.changed(&[".gitignore"]) >= 6, "a root ignore file judges the whole tree again");
    fs::write(root.join("web/.ignore"), "!engine/\n").unwrap();
    tree.changed(&["web/.ignore"]);
    fs::remove_file(root.join(".gitignore")).unwrap();
    assert!(tree.changed(&[".gitignore"]) >= 6, "removing it brings the files back");

    fs::write(root.join("py/.gitignore"), "_native.py\n").unwrap();
    assert_eq!(tree.changed(&["py/.gitignore"]), 1, "a nested ignore file judges its folder again");

    fs::create_dir_all(root.join("node_modules/pkg")).unwrap();
    fs::copy(&lib, root.join("node_modules/pkg/lib.rs")).unwrap();
    assert_eq!(tree.changed(&["node_modules/pkg/lib.rs", "node_modules"]), 0, "vendored folders stay out");

    fs::remove_file(root.join("itoa/src/udiv128.rs")).unwrap();
    fs::create_dir(root.join("itoa/src/udiv128.rs")).unwrap();
    fs::copy(&lib, root.join("itoa/src/udiv128.rs/inner.rs")).unwrap();
    assert_eq!(tree.changed(&["itoa/src/udiv128.rs"]), 2, "a file that became a folder is walked");
}

#[test]
fn changes_that_cannot_change_a_verdict_are_recognised_by_their_paths() {
    let policy = ScanPolicy::default();
    for path in ["src/a.rs", "vendor", "README.md", ".gitignore", "src/.ignore", ""] {
        assert!(may_change_verdicts(&policy, path.as_bytes()), "{path}");
    }
    for path in
        [".git/index", ".hidden.rs", "src/.a.rs.swp", "node_modules/x/y.js", ".cache/.gitignore", "a/target/b.rs"]
    {
        assert!(!may_change_verdicts(&policy, path.as_bytes()), "{path}");
    }
    let keep_vendor = ScanPolicy { skip_vendor_dirs: false, ..ScanPolicy::default() };
    assert!(may_change_verdicts(&keep_vendor, b"node_modules/x/y.js"));
}
