//! A `scan` job: every worker walks its share of the tree into the graph's inputs at time 0;
//! the graph then runs to completion and the output is committed as one epoch.

use crate::failure::JobFailure;
use crate::graph::GraphContext;
use crate::job::run_graph;
use crate::memo::ContentMemo;
use crate::progress::Progress;
use crate::sink::EpochPolicy;
use crate::stats::RunStats;
use crate::summary::Summary;
use anyhow::{bail, Context};
use cpt_connectors::content::TreeSource;
use cpt_connectors::sink::{OpenMode, OutputDir, RunInfo};
use cpt_connectors::walk::{ScanPolicy, TreeWalk, WalkItem};
use cpt_operators::model::AnalysisConfig;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Everything a scan needs to know.
#[derive(Clone, Debug)]
pub struct ScanJob {
    /// The tree to scan.
    pub root: PathBuf,
    /// The output folder.
    pub out: PathBuf,
    /// Replace another run's output in `out`.
    pub overwrite: bool,
    /// Worker threads.
    pub workers: usize,
    /// Minimum tokens of a unit for exact clone groups.
    pub min_tokens: u32,
    /// Which files are looked at.
    pub policy: ScanPolicy,
    /// How contents are analysed.
    pub analysis: AnalysisConfig,
    /// Draw a progress bar on a terminal.
    pub progress: bool,
    /// Keep skipped paths for the summary's listing.
    pub verbose: bool,
}

/// The settings that change results, hashed into the manifest.
#[derive(Serialize)]
struct ResultConfig<'a> {
    analysis: &'a AnalysisConfig,
    min_tokens: u32,
    max_file_size: u64,
    langs: Option<Vec<&'static str>>,
    skip_vendor_dirs: bool,
    skip_minified_names: bool,
}

impl ScanJob {
    /// A hash of every setting that changes the output.
    pub fn config_hash(&self) -> String {
        config_hash(&self.analysis, self.min_tokens, &self.policy)
    }
}

/// A hash of the settings that change a job's output.
pub(crate) fn config_hash(analysis: &AnalysisConfig, min_tokens: u32, policy: &ScanPolicy) -> String {
    let config = ResultConfig {
        analysis,
        min_tokens,
        max_file_size: policy.max_file_size,
        langs: policy.langs.as_ref().map(|langs| langs.iter().map(|l| l.name()).collect()),
        skip_vendor_dirs: policy.skip_vendor_dirs,
        skip_minified_names: policy.skip_minified_names,
    };
    let json = serde_json::to_vec(&config).expect("configuration serialises");
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&json))
}

/// What the manifest records of a run of `kind` over `source`.
pub(crate) fn run_info(kind: &str, source: String, config_hash: String) -> RunInfo {
    RunInfo {
        source_kind: kind.into(),
        source,
        config_hash,
        grammar_versions: cpt_operators::languages::grammar_versions()
            .into_iter()
            .map(|(lang, version)| (lang.to_string(), version.to_string()))
            .collect(),
    }
}

/// Runs a scan to completion and returns its summary.
pub fn run_scan(job: ScanJob) -> anyhow::Result<Summary> {
    let started = Instant::now();
    if !job.root.is_dir() {
        bail!("{} is not a directory (cpt scan takes the folder to scan)", job.root.display());
    }
    let root = job.root.canonicalize().with_context(|| format!("resolving {}", job.root.display()))?;
    let info = run_info("scan", root.display().to_string(), job.config_hash());
    let out = OutputDir::open(&job.out, info, OpenMode::Fresh { overwrite: job.overwrite })?;
    let source = Arc::new(TreeSource::new(&root, job.policy.max_file_size));
    let memo = Arc::new(ContentMemo::new(source, job.analysis.clone()));
    let stats = Arc::new(RunStats::default());
    if job.verbose {
        stats.keep_paths();
    }
    let ctx = GraphContext {
        memo: Arc::clone(&memo),
        out,
        epochs: EpochPolicy::default(),
        min_tokens: job.min_tokens,
        stats: Arc::clone(&stats),
        failure: Arc::new(JobFailure::default()),
    };
    let walk_stats = Arc::clone(&stats);
    let progress = Progress::start(job.progress, Arc::clone(&stats), Arc::clone(&memo));
    let policy = job.policy.clone();
    run_graph(job.workers, ctx, move |driver| {
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
    Ok(Summary::from_stats(&stats, memo.parsed_files(), started.elapsed()))
}
