//! Running totals of a job, fed by the walk and by taps on the output collections, from which the
//! progress bar and the closing summary line are drawn.

use cpt_connectors::rows::ErrorRow;
use cpt_connectors::walk::SkipReason;
use cpt_operators::model::ErrorReason;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

/// Skipped entries by reason: how many, and (with `--verbose`) their paths.
pub type SkippedByReason = BTreeMap<SkipReason, (u64, Vec<Vec<u8>>)>;

/// Totals shared by the workers of one process.
#[derive(Default, Debug)]
pub struct RunStats {
    /// Source files found by the walk (read and hashed), or fed by a replay or a watch.
    pub files_found: AtomicU64,
    /// Commits fed to the graph by a replay.
    pub commits_read: AtomicU64,
    /// Commits whose search for renames with edits was skipped (too many candidate pairs).
    pub rename_searches_skipped: AtomicU64,
    /// Net rows of `files`.
    pub files: AtomicI64,
    /// Net rows of `units`.
    pub units: AtomicI64,
    /// Net number of exact clone groups.
    pub clone_groups: AtomicI64,
    /// Net vector pairs passing the similarity join (near-miss candidates, before the token check).
    pub similar_pairs: AtomicI64,
    /// Similar pairs read back from the output by a resumed job instead of joining again.
    pub restored_pairs: AtomicU64,
    /// Net near-miss clone pairs (candidates that passed the token check).
    pub clone_pairs: AtomicI64,
    /// Net lines of analysed files.
    pub lines: AtomicI64,
    /// Net lines covered by clone-group members.
    pub duplicated_lines: AtomicI64,
    errors: Mutex<BTreeMap<ErrorReason, i64>>,
    skipped: Mutex<SkippedByReason>,
    rejected: Mutex<Vec<(ErrorReason, Vec<u8>)>>,
    keep_paths: AtomicBool,
}

impl RunStats {
    /// Adds `diff` to a counter.
    pub fn add(counter: &AtomicI64, diff: i64) {
        counter.fetch_add(diff, Ordering::Relaxed);
    }

    /// Keeps skipped and policy-rejected paths for `--verbose` (otherwise only counts).
    pub fn keep_paths(&self) {
        self.keep_paths.store(true, Ordering::Relaxed);
    }

    /// Counts an error row; a file rejected by policy (too large, generated, minified) is also
    /// kept for the listing of passed-over files.
    pub fn error(&self, row: &ErrorRow, diff: i64) {
        *self.errors.lock().expect("stats").entry(row.reason).or_default() += diff;
        if diff > 0 && self.keep_paths.load(Ordering::Relaxed) && row.reason.is_policy() {
            self.rejected.lock().expect("stats").push((row.reason, row.path.clone()));
        }
    }

    /// Counts a skipped path (and keeps it, with `--verbose`).
    pub fn skipped(&self, reason: SkipReason, path: Vec<u8>) {
        let mut skipped = self.skipped.lock().expect("stats");
        let entry = skipped.entry(reason).or_default();
        entry.0 += 1;
        if self.keep_paths.load(Ordering::Relaxed) {
            entry.1.push(path);
        }
    }

    /// Net error rows by reason (reasons with none left out).
    pub fn errors_by_reason(&self) -> BTreeMap<ErrorReason, i64> {
        self.errors.lock().expect("stats").iter().filter(|(_, n)| **n != 0).map(|(r, n)| (*r, *n)).collect()
    }

    /// Skipped entries by reason: how many, and the kept paths, sorted.
    pub fn skipped_by_reason(&self) -> SkippedByReason {
        let mut skipped = self.skipped.lock().expect("stats").clone();
        skipped.values_mut().for_each(|(_, paths)| paths.sort());
        skipped
    }

    /// Kept paths of files rejected by policy, sorted.
    pub fn rejected(&self) -> Vec<(ErrorReason, Vec<u8>)> {
        let mut rejected = self.rejected.lock().expect("stats").clone();
        rejected.sort();
        rejected
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicI64) -> i64 {
        counter.load(Ordering::Relaxed)
    }
}
