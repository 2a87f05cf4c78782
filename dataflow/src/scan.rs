//! A `scan` job: every worker walks its share of the tree into the graph's inputs at time 0;
//! the graph then runs to completion and the output is committed as one epoch.

use crate::job::run_graph;
use crate::progress::Progress;
use crate::settings::{RunSettings, Started};
use crate::summary::Summary;
use anyhow::{bail, Context};
use cpt_connectors::content::TreeSource;
use cpt_connectors::sink::OpenMode;
use cpt_connectors::walk::{TreeWalk, WalkItem};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
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
    run_graph(&settings.cluster, ctx, move |driver| {
        let walk = TreeWalk::new(&root, policy.clone(), driver.index(), driver.peers())
            .map_err(|e| format!("walking {}: {e}", root.display()))?;
        for item in walk {
            match item {
                WalkItem::File { path, key, bytes } => {
                    walk_stats.files_found.fetch_add(1, Ordering::Relaxed);
                    walk_stats.bytes_found.fetch_add(bytes, Ordering::Relaxed);
                    driver.file(key, path, 1);
                }
                WalkItem::Error(row) => driver.error(row, 1),
                WalkItem::Skipped { path, reason } => walk_stats.skipped(reason, path),
            }
        }
        Ok(())
    })?;
    drop(progress);
    memo.flush_cache();
    Ok(Summary::from_stats(&stats, memo.counts(), started.elapsed()))
}
