//! The settings every job shares — output folder, cluster place and workers, clone threshold,
//! path and content policy, content cache, terminal output, metrics — and what follows from them:
//! the configuration hash recorded in the manifest, and the opened output and cache with the graph
//! context built around a content source.

use crate::cluster::ClusterSettings;
use crate::failure::JobFailure;
use crate::graph::GraphContext;
use crate::memo::{ContentMemo, DurableCache};
use crate::metrics::{self, MetricSources};
use crate::mined::MiningRules;
use crate::near_miss::NearMissParams;
use crate::sink::EpochPolicy;
use crate::stats::RunStats;
use crate::telemetry::Telemetry;
use cpt_connectors::cache::{ContentCache, Namespace};
use cpt_connectors::config_hash::config_hash;
use cpt_connectors::content::ContentSource;
use cpt_connectors::sink::{OpenMode, OutputDir, RunInfo};
use cpt_connectors::walk::ScanPolicy;
use cpt_operators::catalog::Catalog;
use cpt_operators::model::AnalysisConfig;
use cpt_operators::similarity::JoinBackend;
use serde::Serialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// What a scan and a replay are both told.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// The output folder.
    pub out: PathBuf,
    /// Replace another run's output in `out`.
    pub overwrite: bool,
    /// This process's place in the cluster, and its worker threads.
    pub cluster: ClusterSettings,
    /// Serve Prometheus metrics on this address (its port plus the process index).
    pub metrics: Option<SocketAddr>,
    /// Minimum tokens of a unit for clones (exact groups, near-miss pairs, classes).
    pub min_tokens: u32,
    /// How near-miss clone pairs are found; `None`: they are not (`--no-near-miss`).
    pub near_miss: Option<NearMissParams>,
    /// Which clone classes become mined elements.
    pub mining: MiningRules,
    /// The device of the similarity joins (`--gpu`); not in the configuration hash, since every
    /// device gives the same pairs.
    pub join_backend: JoinBackend,
    /// Which files are looked at.
    pub policy: ScanPolicy,
    /// How contents are analysed; its `catalog` is the fingerprint of [`RunSettings::catalog`].
    pub analysis: AnalysisConfig,
    /// The periodic table's catalogue, matched against every unit.
    pub catalog: Arc<Catalog>,
    /// The folder of the durable content cache; `None` for none (`--no-cache`).
    pub cache_dir: Option<PathBuf>,
    /// Draw a progress bar on a terminal.
    pub progress: bool,
    /// Keep skipped and policy-rejected paths for the summary's listing.
    pub verbose: bool,
    /// How times are grouped into epochs (durable points) of part files.
    pub epochs: EpochPolicy,
}

/// The settings that change results, hashed into the manifest.
#[derive(Serialize)]
struct ResultConfig<'a> {
    analysis: &'a AnalysisConfig,
    min_tokens: u32,
    /// Similarity threshold, size ratio and LCS ratio in percent; `None` without near-miss pairs.
    near_miss: Option<[u8; 3]>,
    /// Fewest members and files of a mined element.
    mining: [u32; 2],
    max_file_size: u64,
    langs: Option<Vec<&'static str>>,
    skip_vendor_dirs: bool,
    skip_minified_names: bool,
}

/// A job's graph context with handles on the parts the job reads back.
pub struct Started {
    /// What every worker's graph shares.
    pub ctx: GraphContext,
    /// The content memo (for the progress bar and the summary).
    pub memo: Arc<ContentMemo>,
    /// The running totals.
    pub stats: Arc<RunStats>,
    /// Where the metrics are served, if they are.
    pub metrics: Option<SocketAddr>,
}

impl RunSettings {
    /// A hash of every setting that changes the output.
    pub fn config_hash(&self) -> String {
        let config = ResultConfig {
            analysis: &self.analysis,
            min_tokens: self.min_tokens,
            near_miss: self
                .near_miss
                .map(|p| [p.join.threshold.percent(), p.join.size_ratio.percent(), p.lcs.percent()]),
            mining: [self.mining.min_members, self.mining.min_files],
            max_file_size: self.policy.max_file_size,
            langs: self.policy.langs.as_ref().map(|langs| langs.iter().map(|l| l.name()).collect()),
            skip_vendor_dirs: self.policy.skip_vendor_dirs,
            skip_minified_names: self.policy.skip_minified_names,
        };
        config_hash(&config)
    }

    /// Opens the durable content cache for this configuration's analyses (a cache that cannot be
    /// opened is warned about and the job runs without it).
    fn open_cache(&self) -> DurableCache {
        let Some(dir) = &self.cache_dir else { return DurableCache::Off };
        match ContentCache::open(dir, &Namespace::current(&self.analysis)) {
            Ok(cache) => DurableCache::Open(cache),
            Err(why) => DurableCache::Unusable(why),
        }
    }

    /// What the manifest records of a run of `kind` (`scan`, `replay`) over `source`, replaying
    /// `commits` (none for a scan) with these settings.
    pub fn run_info(&self, kind: &str, source: String, commits: Vec<String>) -> RunInfo {
        RunInfo {
            source_kind: kind.into(),
            source,
            config_hash: self.config_hash(),
            grammar_versions: cpt_operators::languages::grammar_versions()
                .into_iter()
                .map(|(lang, version)| (lang.to_string(), version.to_string()))
                .collect(),
            commits,
        }
    }

    /// Opens the output folder for the run `info` describes, as `mode` says (a cluster process
    /// other than the first only writes parts, for the first to commit), and builds the content
    /// cache and the graph context that reads contents from `content`.
    pub fn start(&self, info: RunInfo, mode: OpenMode, content: Arc<dyn ContentSource>) -> anyhow::Result<Started> {
        let mode =
            if self.cluster.is_committer() { mode } else { OpenMode::Follower { resuming: mode == OpenMode::Resume } };
        let out = OutputDir::open(&self.out, info, mode)?;
        debug_assert_eq!(self.analysis.catalog, self.catalog.fingerprint(), "the analysis names another catalogue");
        let memo = Arc::new(
            ContentMemo::new(content, self.analysis.clone(), Arc::clone(&self.catalog)).with_cache(self.open_cache()),
        );
        let stats = Arc::new(RunStats::default());
        if self.verbose {
            stats.keep_paths();
        }
        let telemetry = Arc::new(Telemetry::new(self.metrics.is_some()));
        let metrics = match self.metrics {
            Some(base) => {
                let sources = MetricSources {
                    process: self.cluster.process,
                    processes: self.cluster.processes(),
                    stats: Arc::clone(&stats),
                    memo: Arc::clone(&memo),
                    telemetry: Arc::clone(&telemetry),
                    started: Instant::now(),
                };
                let bound = metrics::serve(metrics::address_for(base, self.cluster.process)?, sources)?;
                eprintln!("cpt: metrics at http://{bound}/metrics");
                Some(bound)
            }
            None => None,
        };
        let ctx = GraphContext {
            memo: Arc::clone(&memo),
            out,
            epochs: self.epochs,
            min_tokens: self.min_tokens,
            catalog: Arc::clone(&self.catalog),
            near_miss: self.near_miss,
            mining: self.mining,
            join_backend: self.join_backend.clone(),
            stats: Arc::clone(&stats),
            failure: Arc::new(JobFailure::default()),
            telemetry,
            first_process: self.cluster.process == 0,
        };
        Ok(Started { ctx, memo, stats, metrics })
    }
}
