//! The reading side of a replay: a thread that diffs each commit's tree against its parent's,
//! keeps the filtered tree state and finds the commit's renames, ahead of worker 0, which feeds
//! what it reads into the graph. Reading the history (inflating trees and the blobs that judge
//! paths or renames) then overlaps the computation instead of taking turns with it on worker 0.

use crate::stats::RunStats;
use cpt_connectors::git::{CommitLine, GitHistory};
use cpt_connectors::renames::{detect_renames, Renames, SourceFile};
use cpt_connectors::rows::PathBytes;
use cpt_connectors::tree_state::TreeState;
use cpt_connectors::verdicts::{Delta, Verdict};
use cpt_connectors::walk::ScanPolicy;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender};

/// How many times the reader may be ahead of the feeder.
const READ_AHEAD: usize = 64;

/// What the feeder feeds at one time, in the order of the times.
pub enum TimeInput {
    /// A resumed run's first time: the whole filtered tree of its durable commit, whose row was
    /// written before the run stopped.
    ResumedTree(Vec<Delta>),
    /// A commit's differences of the filtered tree, and its renames.
    Commit { deltas: Vec<Delta>, renames: Renames },
}

/// Reads the history for the feeder.
pub struct HistoryReader<'a> {
    /// The repository's git folder (the reader opens it on its own thread).
    pub git_dir: &'a Path,
    /// The replayed commits.
    pub line: &'a CommitLine,
    /// The time a resumed run starts from (its durable time); `None` for a replay from the start.
    pub resume_at: Option<u64>,
    /// The path policy of the filtered tree.
    pub policy: ScanPolicy,
    /// Running totals (the rename searches skipped).
    pub stats: &'a RunStats,
}

impl<'a> HistoryReader<'a> {
    /// The threads a reader runs on, beside the workers.
    pub const THREADS: usize = 1;

    /// Starts reading on a thread of `scope`: the receiver yields each time's input from the
    /// first time on, in order, and ends after the last commit or after a failure, which it
    /// yields as an error. The reader stops early when the receiver is dropped.
    pub fn spawn<'scope>(
        self,
        scope: &'scope std::thread::Scope<'scope, '_>,
    ) -> Result<Receiver<Result<TimeInput, String>>, String>
    where
        'a: 'scope,
    {
        let (sender, inputs) = std::sync::mpsc::sync_channel(READ_AHEAD);
        std::thread::Builder::new()
            .name("cpt:history".into())
            .spawn_scoped(scope, move || {
                if let Err(failure) = self.read(&sender) {
                    // The feeder may have stopped already; then nobody needs the failure.
                    let _ = sender.send(Err(failure));
                }
            })
            .map_err(|e| format!("starting the history reader: {e}"))?;
        Ok(inputs)
    }

    /// Sends every time's input; stops quietly when the feeder is gone.
    fn read(&self, sender: &SyncSender<Result<TimeInput, String>>) -> Result<(), String> {
        let error = |e: anyhow::Error| format!("{e:#}");
        let history = GitHistory::reopen(self.git_dir, self.line.clone()).map_err(error)?;
        let mut tree = TreeState::new(self.policy.clone());
        let commits = history.commits();
        let next = match self.resume_at {
            Some(time) => {
                let blobs = history.tree_blobs(commits[time as usize].id).map_err(error)?;
                if sender.send(Ok(TimeInput::ResumedTree(tree.apply(blobs, &history)))).is_err() {
                    return Ok(());
                }
                time as usize + 1
            }
            None => {
                if let Some(base) = self.line.base {
                    tree.apply(history.tree_blobs(base).map_err(error)?, &history);
                }
                0
            }
        };
        for i in next..commits.len() {
            let changes = history.changes(i).map_err(error)?;
            let removed: BTreeSet<PathBytes> =
                changes.iter().filter(|c| c.new.is_none()).map(|c| c.path.clone()).collect();
            let created: BTreeSet<PathBytes> =
                changes.iter().filter(|c| c.old.is_none()).map(|c| c.path.clone()).collect();
            let deltas = tree.apply(changes, &history);
            let renames = detect_renames(sources(&deltas, &removed, -1), sources(&deltas, &created, 1), |id| {
                history.read_blob(id).ok()
            });
            if renames.similarity_skipped {
                self.stats.rename_searches_skipped.fetch_add(1, Ordering::Relaxed);
            }
            // A range's first commit carries its start's tree too.
            let deltas = if i == 0 && self.line.base.is_some() { tree.state() } else { deltas };
            if sender.send(Ok(TimeInput::Commit { deltas, renames })).is_err() {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// The source files among `deltas` with sign `diff` whose path is in `paths` (deleted or added
/// by the commit, not merely newly ignored or no longer ignored).
fn sources(deltas: &[Delta], paths: &BTreeSet<PathBytes>, diff: i64) -> Vec<SourceFile> {
    deltas
        .iter()
        .filter(|(path, _, d)| *d == diff && paths.contains(path))
        .filter_map(|(path, verdict, _)| match verdict {
            Verdict::File(key) => Some((path.clone(), *key)),
            Verdict::Error(_) => None,
        })
        .collect()
}
