//! The filtered state of a replayed tree: which rows a scan of a checkout of the current commit
//! would start from (a file event or an `errors` row per path), kept up to date commit by commit
//! so that each commit yields only the differences (ARCHITECTURE §2).
//!
//! The filter is the scan's path policy ([`ScanPolicy`]: hidden paths, vendored folders, language,
//! `*.min.*`, size cap) plus the commit's own ignore files. When an ignore file changes, every
//! path of the tree is judged again; otherwise only the changed paths are.

use crate::content::too_large;
use crate::git::{BlobChange, GitHistory};
use crate::ignores::{is_ignore_file, IgnoreRules};
use crate::rows::{ErrorRow, PathBytes};
use crate::walk::{is_minified_name, ScanPolicy, VENDOR_DIRS};
use cpt_operators::model::{ContentId, ContentKey, ErrorReason, Lang};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a scan starts from for one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A source file to analyse.
    File(ContentKey),
    /// A row of the `errors` table (a policy rejection such as `too_large`).
    Error(ErrorRow),
}

/// One difference of the filtered state: a path's verdict added (`+1`) or retracted (`-1`).
pub type Delta = (PathBytes, Verdict, i64);

/// The tree of the last applied commit, and its filtered state.
pub struct TreeState {
    policy: ScanPolicy,
    blobs: BTreeMap<PathBytes, ContentId>,
    verdicts: HashMap<PathBytes, Verdict>,
    rules: IgnoreRules,
}

impl TreeState {
    /// The empty tree, filtered with `policy`.
    pub fn new(policy: ScanPolicy) -> TreeState {
        TreeState { policy, blobs: BTreeMap::new(), verdicts: HashMap::new(), rules: IgnoreRules::default() }
    }

    /// Applies one commit's blob changes and returns the differences of the filtered state.
    pub fn apply(&mut self, changes: Vec<BlobChange>, history: &GitHistory) -> Vec<Delta> {
        let ignores_changed = changes.iter().any(|change| is_ignore_file(&change.path));
        let mut judge: BTreeSet<PathBytes> = BTreeSet::new();
        for change in changes {
            match change.new {
                Some(id) => self.blobs.insert(change.path.clone(), id),
                None => self.blobs.remove(&change.path),
            };
            judge.insert(change.path);
        }
        if ignores_changed {
            self.rules = self.read_rules(history);
            judge.extend(self.blobs.keys().cloned());
            judge.extend(self.verdicts.keys().cloned());
        }
        let mut deltas = Vec::new();
        for path in judge {
            let verdict = self.blobs.get(&path).and_then(|&id| self.verdict(&path, id, history));
            if self.verdicts.get(&path) == verdict.as_ref() {
                continue;
            }
            if let Some(old) = self.verdicts.remove(&path) {
                deltas.push((path.clone(), old, -1));
            }
            if let Some(new) = verdict {
                self.verdicts.insert(path.clone(), new.clone());
                deltas.push((path, new, 1));
            }
        }
        deltas
    }

    /// The whole filtered state, as additions sorted by path: what a replay that starts at this
    /// tree (a range's first commit, a resumed run's durable commit) feeds as one batch.
    pub fn state(&self) -> Vec<Delta> {
        let mut state: Vec<Delta> =
            self.verdicts.iter().map(|(path, verdict)| (path.clone(), verdict.clone(), 1)).collect();
        state.sort_by(|a, b| a.0.cmp(&b.0));
        state
    }

    fn read_rules(&self, history: &GitHistory) -> IgnoreRules {
        let files = self.blobs.iter().filter(|(path, _)| is_ignore_file(path)).filter_map(|(path, &id)| match history
            .read_blob(id)
        {
            Ok(bytes) => Some((path.as_slice(), bytes)),
            Err(error) => {
                tracing::warn!("{}: unreadable, not used: {error:#}", String::from_utf8_lossy(path));
                None
            }
        });
        IgnoreRules::build(files)
    }

    /// What a scan of a checkout would make of the blob `id` at `path`; `None` for nothing.
    fn verdict(&self, path: &[u8], id: ContentId, history: &GitHistory) -> Option<Verdict> {
        let components: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
        let (folders, _) = components.split_at(components.len() - 1);
        if components.iter().any(|c| c.first() == Some(&b'.')) {
            return None;
        }
        if self.policy.skip_vendor_dirs && folders.iter().any(|f| VENDOR_DIRS.iter().any(|v| v.as_bytes() == *f)) {
            return None;
        }
        if self.rules.is_ignored(path) {
            return None;
        }
        let lang = Lang::from_path(path)?;
        if self.policy.langs.as_ref().is_some_and(|langs| !langs.contains(&lang)) {
            return None;
        }
        let error =
            |reason, detail| Some(Verdict::Error(ErrorRow { path: path.to_vec(), reason, detail, content_id: None }));
        if self.policy.skip_minified_names && is_minified_name(path) {
            return error(ErrorReason::Minified, "name matches *.min.*".into());
        }
        // A blob whose header cannot be read is handed on: reading it fails in the parse stage,
        // which reports it as unreadable.
        match history.blob_size(id) {
            Ok(size) if size > self.policy.max_file_size => {
                error(ErrorReason::TooLarge, too_large(size, self.policy.max_file_size).detail)
            }
            _ => Some(Verdict::File(ContentKey { id, lang })),
        }
    }
}
