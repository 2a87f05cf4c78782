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
use crate::verdicts::{Delta, Verdict, Verdicts};
use crate::walk::{ScanPolicy, WalkItem};
use cpt_operators::model::{ContentId, ContentKey, ErrorReason, Lang};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The tree of the last applied commit, and its filtered state.
pub struct TreeState {
    policy: ScanPolicy,
    blobs: BTreeMap<PathBytes, ContentId>,
    verdicts: Verdicts,
    rules: IgnoreRules,
    /// The language of each `.h` blob judged so far, which its text settles: each is read once.
    header_langs: HashMap<ContentId, Lang>,
}

impl TreeState {
    /// The empty tree, filtered with `policy`.
    pub fn new(policy: ScanPolicy) -> TreeState {
        TreeState {
            policy,
            blobs: BTreeMap::new(),
            verdicts: Verdicts::default(),
            rules: IgnoreRules::default(),
            header_langs: HashMap::new(),
        }
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
            judge.extend(self.verdicts.paths().cloned());
        }
        let mut deltas = Vec::new();
        for path in judge {
            let verdict = self.blobs.get(&path).copied().and_then(|id| self.verdict(&path, id, history));
            self.verdicts.set(path, verdict, &mut deltas);
        }
        deltas
    }

    /// The whole filtered state, as additions sorted by path: what a replay that starts at this
    /// tree (a range's first commit, a resumed run's durable commit) feeds as one batch.
    pub fn state(&self) -> Vec<Delta> {
        self.verdicts.iter().map(|(path, verdict)| (path.clone(), verdict.clone(), 1)).collect()
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
    fn verdict(&mut self, path: &[u8], id: ContentId, history: &GitHistory) -> Option<Verdict> {
        if self.policy.passes_over(path, false) || self.rules.is_ignored(path) {
            return None;
        }
        let lang = match self.policy.judge_name(path) {
            Ok(lang) => lang,
            Err(passed) => return passed.into_verdict().ok().map(|(_, verdict)| verdict),
        };
        // A blob whose header cannot be read is handed on: reading it fails in the parse stage,
        // which reports it as unreadable.
        match history.blob_size(id) {
            Ok(size) if size > self.policy.max_file_size => Some(Verdict::Error(ErrorRow {
                path: path.to_vec(),
                reason: ErrorReason::TooLarge,
                detail: too_large(size, self.policy.max_file_size).detail,
                content_id: None,
            })),
            _ => match self.text_language(path, lang, id, history) {
                Ok(lang) => Some(Verdict::File(ContentKey { id, lang })),
                Err(passed) => passed.into_verdict().ok().map(|(_, verdict)| verdict),
            },
        }
    }

    /// The language of the blob `id` at `path`, which its name gives as `named`, once its text
    /// is read where the text decides (a `.h` header; see [`ScanPolicy::judge_text`]). A blob that
    /// cannot be read keeps `named`: reading it fails again in the parse stage, which reports it.
    fn text_language(
        &mut self,
        path: &[u8],
        named: Lang,
        id: ContentId,
        history: &GitHistory,
    ) -> Result<Lang, WalkItem> {
        if !Lang::text_decides(path) {
            return Ok(named);
        }
        let lang = *self.header_langs.entry(id).or_insert_with(|| match history.read_blob(id) {
            Ok(bytes) => named.of_text(path, &bytes),
            Err(_) => named,
        });
        self.policy.judge_language(path, lang)
    }
}
