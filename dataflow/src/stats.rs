//! Running totals of a job, fed by the walk and by taps on the output collections, from which the
//! progress bar and the closing summary line are drawn.

use cpt_connectors::walk::SkipReason;
use cpt_operators::model::ErrorReason;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

/// Totals shared by the workers of one process.
#[derive(Default, Debug)]
pub struct RunStats {
    /// Source files found by the walk (read and hashed).
    pub files_found: AtomicU64,
    /// Bytes of those files.
    pub bytes_found: AtomicU64,
    /// Net rows of `files`.
    pub files: AtomicI64,
    /// Net rows of `units`.
    pub units: AtomicI64,
    /// Net number of exact clone groups.
    pub clone_groups: AtomicI64,
    /// Net lines of analysed files.
    pub lines: AtomicI64,
    /// Net lines covered by clone-group members.
    pub duplicated_lines: AtomicI64,
    errors: Mutex<BTreeMap<ErrorReason, i64>>,
    skipped: Mutex<BTreeMap<SkipReason, Vec<Vec<u8>>>>,
}

impl RunStats {
    /// Adds `diff` to a counter.
    pub fn add(counter: &AtomicI64, diff: i64) {
        counter.fetch_add(diff, Ordering::Relaxed);
    }

    /// Counts an error row.
    pub fn error(&self, reason: ErrorReason, diff: i64) {
        *self.errors.lock().expect("stats").entry(reason).or_default() += diff;
    }

    /// Records a skipped path.
    pub fn skipped(&self, reason: SkipReason, path: Vec<u8>) {
        self.skipped.lock().expect("stats").entry(reason).or_default().push(path);
    }

    /// Net error rows by reason (reasons with none left out).
    pub fn errors_by_reason(&self) -> BTreeMap<ErrorReason, i64> {
        self.errors.lock().expect("stats").iter().filter(|(_, n)| **n != 0).map(|(r, n)| (*r, *n)).collect()
    }

    /// Skipped paths by reason, each list sorted.
    pub fn skipped_by_reason(&self) -> BTreeMap<SkipReason, Vec<Vec<u8>>> {
        let mut skipped = self.skipped.lock().expect("stats").clone();
        skipped.values_mut().for_each(|paths| paths.sort());
        skipped
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicI64) -> i64 {
        counter.load(Ordering::Relaxed)
    }
}
