//! The filtered state of a live working tree, for `watch`: the verdict (a file event or an
//! `errors` row) that a scan would start from for each path, kept up to date by judging again
//! only the paths that file-system events name (ARCHITECTURE §2).
//!
//! A named path is judged again with everything under it, by a walk restricted to it
//! ([`TreeWalk::focused`]), so that it is judged exactly as a scan judges it: a path that is now
//! a folder is walked, a path that disappeared takes everything under it along (folder moves
//! and deletes), a path that is now ignored or hidden loses its verdict, and a changed
//! `.gitignore` or `.ignore` has its whole folder judged again. Contents are identified by their
//! bytes, so a file touched without a change gives no difference.

use crate::focus::Focus;
use crate::ignores::{folder, is_ignore_file};
use crate::rows::PathBytes;
use crate::verdicts::{Delta, Verdict, Verdicts};
use crate::walk::{ScanPolicy, TreeWalk};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The verdicts of a working tree's paths, with what is needed to judge them again.
pub struct FsState {
    root: PathBuf,
    policy: ScanPolicy,
    verdicts: Verdicts,
}

impl FsState {
    /// The state of the tree at `root`, filtered with `policy`, holding `verdicts` (those of a
    /// walk of the whole tree, say, or none to start from an empty tree).
    pub fn new(root: &Path, policy: ScanPolicy, verdicts: impl IntoIterator<Item = (PathBytes, Verdict)>) -> FsState {
        FsState { root: root.to_path_buf(), policy, verdicts: verdicts.into_iter().collect() }
    }

    /// How many paths have a verdict.
    pub fn len(&self) -> usize {
        self.verdicts.len()
    }

    /// True when no path has a verdict.
    pub fn is_empty(&self) -> bool {
        self.verdicts.is_empty()
    }

    /// Judges `paths` (relative to the root; `""` is the whole tree) again, each with everything
    /// under it, updates the state and returns its differences. Fails only when the root itself
    /// can no longer be walked.
    pub fn rejudge(&mut self, paths: impl IntoIterator<Item = PathBytes>) -> io::Result<Vec<Delta>> {
        let focus = Focus::new(paths.into_iter().map(|path| match is_ignore_file(&path) {
            true => folder(&path).to_vec(),
            false => path,
        }));
        if focus.is_empty() {
            return Ok(Vec::new());
        }
        let focus = Arc::new(focus);
        let walk = TreeWalk::focused(&self.root, self.policy.clone(), Arc::clone(&focus))?;
        // A walk error names the folder that could not be read, which may lie above the focus.
        let fresh = walk.filter_map(|item| item.into_verdict().ok()).filter(|(path, _)| focus.covers(path)).collect();
        let before: Vec<PathBytes> = focus.paths().flat_map(|path| self.verdicts.paths_within(path)).cloned().collect();
        Ok(self.settle(before, fresh))
    }

    /// Replaces the whole state with `verdicts` (those of a walk of the whole tree, say) and
    /// returns its differences.
    pub fn replace(&mut self, verdicts: impl IntoIterator<Item = (PathBytes, Verdict)>) -> Vec<Delta> {
        let before: Vec<PathBytes> = self.verdicts.paths().cloned().collect();
        self.settle(before, verdicts.into_iter().collect())
    }

    /// Gives the paths `before` (those judged again that had a verdict) their verdict in `fresh`
    /// or none, and the other paths of `fresh` theirs; returns the differences.
    fn settle(&mut self, before: Vec<PathBytes>, mut fresh: BTreeMap<PathBytes, Verdict>) -> Vec<Delta> {
        let mut deltas = Vec::new();
        for path in before {
            let verdict = fresh.remove(&path);
            self.verdicts.set(path, verdict, &mut deltas);
        }
        for (path, verdict) in fresh {
            self.verdicts.set(path, Some(verdict), &mut deltas);
        }
        deltas
    }
}

/// True when a change at `path` (relative to the root) can change a verdict under `policy`: the
/// walk reaches it, or it is an ignore file in a folder the walk reaches.
pub fn may_change_verdicts(policy: &ScanPolicy, path: &[u8]) -> bool {
    if is_ignore_file(path) {
        !policy.passes_over(folder(path), true)
    } else {
        !policy.passes_over(path, false)
    }
}
