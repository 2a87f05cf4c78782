//! The part of a tree that a change touches: a set of paths, each standing for itself and, when
//! it is a folder, everything under it. A walk restricted to a focus visits only the folders
//! leading to its paths and what they cover, so that judging a change costs what the change
//! touches, not the size of the tree.

use crate::rows::PathBytes;
use std::collections::{BTreeSet, HashSet};

/// Paths relative to a tree's root (`""` is the root: the whole tree), none under another.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Focus {
    paths: BTreeSet<PathBytes>,
    folders_leading: HashSet<PathBytes>,
}

impl Focus {
    /// The focus on `paths`; a path that lies under another is covered by it and dropped.
    pub fn new(paths: impl IntoIterator<Item = PathBytes>) -> Focus {
        let all: BTreeSet<PathBytes> = paths.into_iter().collect();
        let paths: BTreeSet<PathBytes> =
            all.iter().filter(|path| !folders_above(path).any(|folder| all.contains(folder))).cloned().collect();
        let folders_leading =
            paths.iter().flat_map(|path| folders_above(path).filter(|f| !f.is_empty()).map(<[u8]>::to_vec)).collect();
        Focus { paths, folders_leading }
    }

    /// The focus on the whole tree.
    pub fn everything() -> Focus {
        Focus::new([PathBytes::new()])
    }

    /// The paths of the focus, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &PathBytes> {
        self.paths.iter()
    }

    /// True when `path` is a path of the focus or lies under one.
    pub fn covers(&self, path: &[u8]) -> bool {
        self.paths.contains(path) || folders_above(path).any(|folder| self.paths.contains(folder))
    }

    /// True when a walk restricted to the focus takes the entry `path` (a folder if `is_dir`): the
    /// focus covers it, or it is a folder on the way to a path of the focus.
    pub fn admits(&self, path: &[u8], is_dir: bool) -> bool {
        self.covers(path) || (is_dir && self.leads_to(path))
    }

    /// True when `path` is a folder above a path of the focus (not the root).
    fn leads_to(&self, path: &[u8]) -> bool {
        self.folders_leading.contains(path)
    }

    /// True when the focus holds no path.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

/// The folders above `path`, from the root (`""`) down to its parent; none for the root itself.
fn folders_above(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    let slashes = path.iter().enumerate().filter(|(_, &b)| b == b'/').map(|(at, _)| &path[..at]);
    (!path.is_empty()).then_some(&path[..0]).into_iter().chain(slashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn focus(paths: &[&str]) -> Focus {
        Focus::new(paths.iter().map(|p| p.as_bytes().to_vec()))
    }

    #[test]
    fn a_path_covers_itself_and_what_lies_under_it() {
        let f = focus(&["src/a", "docs/x.rs"]);
        assert!(f.covers(b"src/a"));
        assert!(f.covers(b"src/a/b/c.rs"));
        assert!(!f.covers(b"src/ab.rs"));
        assert!(!f.covers(b"src"));
        assert!(f.covers(b"docs/x.rs"));
        assert!(!f.covers(b"docs/y.rs"));
        assert!(f.leads_to(b"src") && f.leads_to(b"docs"));
        assert!(!f.leads_to(b"src/a") && !f.leads_to(b"") && !f.leads_to(b"lib"));
        assert!(f.admits(b"src", true) && !f.admits(b"src", false));
        assert!(f.admits(b"src/a/b.rs", false) && !f.admits(b"lib", true));
    }

    #[test]
    fn paths_under_another_are_dropped_and_the_root_covers_everything() {
        let f = focus(&["src/a/b.rs", "src", "src/c", "lib.rs"]);
        let paths: Vec<&[u8]> = f.paths().map(|p| p.as_slice()).collect();
        assert_eq!(paths, [&b"lib.rs"[..], b"src"]);
        let all = focus(&["x/y", ""]);
        assert_eq!(all, Focus::everything());
        assert!(all.covers(b"anything/at/all.rs"));
        assert!(focus(&[]).is_empty());
    }
}
