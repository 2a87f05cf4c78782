//! A `scan` job: every worker walks its share of the tree into the graph's inputs at time 0;
//! the graph then runs to completion and the output is committed as one epoch.

use crate::job::{run_graph, Driver};
use crate::progress::Progress;
use crate::settings::{RunSettings, Started};
use crate::stats::RunStats;
use crate::summary::Summary;
use anyhow::{bail, Context};
use cpt_connectors::content::TreeSource;
use cpt_connectors::rows::PathBytes;
use cpt_connectors::sink::OpenMode;
use cpt_connectors::verdicts::Verdict;
use cpt_connectors::walk::TreeWalk;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Everything a scan needs to know.
#[derive(Clone, Debug)]
pub struct ScanJob {
    /// The tree to scan.
    pub root: PathBuf,
    /// What every job is told.
    pub settings: RunSettings,
}

/// Runs a scan to completion and returns its summary.
pub fn run_scan(job: ScanJob) -> anyhow::Result<Summary> {
    let started = Instant::now();
    if !job.root.is_dir() {
        bail!("{} is not a directory (cpt scan takes the folder to scan)", job.root.display());
    }
    let root = job.root.canonicalize().with_context(|| format!("resolving {}", job.root.display()))?;
    let settings = &job.settings;
    let content = Arc::new(TreeSource::new(&root, settings.policy.max_file_size));
    let info = settings.run_info("scan", root.display().to_string(), Vec::new());
    let Started { ctx, memo, stats, .. } =
        settings.start(info, OpenMode::Fresh { overwrite: settings.overwrite }, content)?;
    let walk_stats = Arc::clone(&stats);
    let progress = Progress::start(settings.progress, Arc::clone(&stats), Arc::clone(&memo));
    let policy = settings.policy.clone();
    run_graph(&settings.cluster, ctx, 0, move |driver| {
        let walk = TreeWalk::new(&root, policy.clone(), driver.index(), driver.peers())
            .map_err(|e| format!("walking {}: {e}", root.display()))?;
        feed_walk(driver, walk, &walk_stats);
        Ok(())
    })?;
    drop(progress);
    memo.flush_cache();
    Ok(Summary::from_stats(&stats, memo.counts(), started.elapsed()))
}

/// Feeds one worker's share of a walk at the current time: files and errors into the graph,
/// skipped entries into the totals.
pub(crate) fn feed_walk(driver: &mut Driver, walk: TreeWalk, stats: &RunStats) {
    judge_walk(walk, stats, |(path, verdict)| driver.verdict(path, verdict, 1));
}

/// Hands every file and error of one worker's share of a walk to `judged`, and counts the skipped
/// entries in the totals.
pub(crate) fn judge_walk(walk: TreeWalk, stats: &RunStats, mut judged: impl FnMut((PathBytes, Verdict))) {
    for item in walk {
        match item.into_verdict() {
            Ok(verdict) => judged(verdict),
            Err((path, reason)) => stats.skipped(reason, path),
        }
    }
}
