//! A test hook, not a feature: with `CPT_FAULT_ABORT_AFTER_COMMIT=k` in its environment, a process
//! aborts (as a crash would: no clean-up, no further write) right after its k-th manifest commit,
//! so that tests can stop a run at each epoch boundary and check that a resumed run ends equal to
//! an uninterrupted one.

use anyhow::Context;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable of the hook.
pub const ABORT_AFTER_COMMIT_VARIABLE: &str = "CPT_FAULT_ABORT_AFTER_COMMIT";

/// Counts manifest commits and aborts the process after the one the hook names.
#[derive(Debug, Default)]
pub(super) struct AbortAfterCommit {
    after: Option<u64>,
    commits: AtomicU64,
}

impl AbortAfterCommit {
    /// Reads the hook's variable (absent: never abort).
    pub(super) fn from_env() -> anyhow::Result<Self> {
        let after = match std::env::var(ABORT_AFTER_COMMIT_VARIABLE) {
            Err(_) => None,
            Ok(value) => Some(value.parse::<u64>().ok().filter(|&k| k > 0).with_context(|| {
                format!("{ABORT_AFTER_COMMIT_VARIABLE}={value:?}: the test hook takes a commit count of 1 or more")
            })?),
        };
        Ok(AbortAfterCommit { after, commits: AtomicU64::new(0) })
    }

    /// Called after each manifest commit: aborts after the k-th.
    pub(super) fn committed(&self) {
        let done = self.commits.fetch_add(1, Ordering::SeqCst) + 1;
        if self.after == Some(done) {
            std::process::abort();
        }
    }
}
