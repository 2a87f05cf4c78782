//! The `cpt` command line: argument parsing (clap) and dispatch to the jobs of `cpt-dataflow`
//! and to the content cache's upkeep ([`cache`]). Usage errors exit with status 2 and say what to
//! write instead; failures of a run exit 1.

mod cache;
mod catalog;
mod similarity;
mod table;

use cache::CacheCommand;
use clap::{Args, Parser, Subcommand, ValueEnum};
use cpt_connectors::cache::default_dir;
use cpt_connectors::git::{HistoryRefused, HistorySpec};
use cpt_connectors::sink::OutputRefused;
use cpt_connectors::walk::ScanPolicy;
use cpt_dataflow::cluster::{loopback_addresses, read_hostfile, ClusterSettings};
use cpt_dataflow::mined::MiningRules;
use cpt_dataflow::near_miss::NearMissParams;
use cpt_dataflow::replay::{plan_replay, run_replay, ReplayJob};
use cpt_dataflow::resume::ReplayStart;
use cpt_dataflow::scan::{run_scan, ScanJob};
use cpt_dataflow::settings::RunSettings;
use cpt_dataflow::sink::EpochPolicy;
use cpt_dataflow::summary::Summary;
use cpt_dataflow::watch::{run_watch, WatchJob};
use cpt_operators::catalog::{load, Catalog, Loaded};
use cpt_operators::model::{AnalysisConfig, Lang};
use cpt_operators::similarity::gpu::{choose, GpuChoice, GpuDevice, GpuMode, GpuPath, GpuRequired};
use cpt_operators::similarity::verify::LcsRatio;
use cpt_operators::similarity::{JoinBackend, JoinParams, Threshold};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Code Periodic Table: an incremental map of the code patterns and clones in a codebase.
#[derive(Parser, Debug)]
#[command(name = "cpt", version, about, propagate_version = true, after_help = TOP_EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan a working tree and write Parquet tables (files, units, clones, periodic-table matches and elements, errors).
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// Replay the first-parent history of a git branch (or a range of it), oldest first (commit i at
    /// time i), and write changelog tables (those of scan, plus commits and lineage);
    /// run again on the same --out, it resumes a killed replay or continues after new commits.
    #[command(after_help = REPLAY_EXAMPLES)]
    Replay(ReplayArgs),
    /// Show or prune the content cache, which spares later runs the parsing of contents seen before.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Watch a working tree: time 0 is a scan, then each batch of file changes is the next time
    /// (changelog tables plus times); stop with Ctrl-C or SIGTERM; run again on the same --out, it
    /// resumes, the changes made meanwhile being the next time.
    #[command(after_help = WATCH_EXAMPLES)]
    Watch(WatchArgs),
    /// The periodic table's catalogue of code patterns: list its elements, check catalogue files.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Render the periodic table of an output folder as one self-contained HTML page: families as
    /// column groups, periods as rows, each element's occurrences, stage and history.
    #[command(after_help = TABLE_EXAMPLES)]
    Table(table::TableArgs),
    /// The near-miss similarity join on vector files: export an output's unit vectors, generate
    /// synthetic ones, run and time the self-join and an incremental batch.
    #[command(subcommand)]
    Similarity(similarity::SimilarityCommand),
}

const TOP_EXAMPLES: &str = "Examples:
  cpt scan .                  scan this folder into ./cpt-out (Parquet tables)
  cpt replay .                replay this repository's history into ./cpt-out (changelogs by commit)
  cpt cache stats             what the content cache holds (a second run parses only new contents)
  cpt watch . --out /tmp/live follow this folder's changes into /tmp/live until Ctrl-C
  cpt catalog list            the periodic table's elements
  cpt table                   render ./cpt-out's periodic table as ./cpt-out/periodic-table.html
  cpt similarity join FILE    the near-miss self-join of a vector file (`cpt similarity export` writes one)
  cpt scan --help             every option of scan, with more examples";

const REPLAY_EXAMPLES: &str = "Examples:
  cpt replay .                                replay HEAD's history into ./cpt-out
  cpt replay ~/src/app --branch main --out /tmp/app-history -w 4
  cpt replay ~/src/app --range v1.0..main     the commits after v1.0 up to main
  cpt replay . --lang rust --overwrite -q

Running it again with the same --out resumes a killed replay, or replays only the commits added
to the branch since; --overwrite starts afresh.

The state at commit t is the sum of diff over rows with time <= t, e.g. files per commit:
  duckdb -c \"SELECT c.time, c.sha, sum(f.diff) AS files FROM 'cpt-out/commits/*.parquet' c
              JOIN 'cpt-out/files/*.parquet' f ON f.time <= c.time GROUP BY ALL ORDER BY c.time\"";

const WATCH_EXAMPLES: &str = "Examples:
  cpt watch . --out /tmp/live                 scan, then one time per batch of changes, until Ctrl-C
  cpt watch ~/src/app --out /tmp/app -w 4 --debounce 200
  RUST_LOG=info cpt watch . --out /tmp/live   also log one line per time (paths changed, latency)

Running it again with the same --out resumes a stopped or killed watch: the changes made while it
was not running are the next time; --overwrite starts afresh.

Each time is committed as soon as it is complete; the times table maps it to the wall clock:
  duckdb -c \"SELECT t.time, t.wall_clock_ms, sum(f.diff) AS files FROM '/tmp/live/times/*.parquet' t
              JOIN '/tmp/live/files/*.parquet' f ON f.time <= t.time GROUP BY ALL ORDER BY t.time\"";

const TABLE_EXAMPLES: &str = "Examples:
  cpt table                                   ./cpt-out's table into ./cpt-out/periodic-table.html
  cpt replay . --out /tmp/history && cpt table /tmp/history --out history.html

Open the page in a browser; hover (or focus) a cell for the element's details.";

const SCAN_EXAMPLES: &str = "Examples:
  cpt scan .                                  scan this folder into ./cpt-out
  cpt scan ~/src/app --out /tmp/app -w 4      four worker threads
  cpt scan . --lang rust,python --min-tokens 80 --overwrite
  cpt scan . --no-skip vendor --max-file-size 4MiB

Then, for example:  duckdb -c \"SELECT lang, count(*) FROM 'cpt-out/units/*.parquet' GROUP BY lang\"";

/// Default skips that `--no-skip` can switch off.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SkipRule {
    /// node_modules/, vendor/, third_party/, target/.
    Vendor,
    /// `*.min.*` files and files whose mean line length exceeds --max-line-length.
    Minified,
    /// Files with an `@generated` or "Code generated ... DO NOT EDIT" marker.
    Generated,
}

/// Options of `cpt scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// The folder to scan.
    pub path: PathBuf,
    /// What every job takes.
    #[command(flatten)]
    pub run: RunArgs,
    /// List skipped paths after the summary.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Options of `cpt replay`.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The repository to replay (its working tree or its git folder).
    pub repo: PathBuf,
    /// The branch (or other reference) whose history is replayed; HEAD by default.
    #[arg(long, conflicts_with = "range")]
    pub branch: Option<String>,
    /// Replay only the commits after FROM up to TO on TO's first-parent history (FROM excluded);
    /// each is a branch, tag or commit id.
    #[arg(long, value_name = "FROM..TO", value_parser = parse_range)]
    pub range: Option<HistorySpec>,
    /// Commits per epoch: the output becomes durable (and a killed run resumable from there)
    /// every this many commits.
    #[arg(
        long,
        default_value_t = EpochPolicy::default().max_times as u32,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub epoch_commits: u32,
    /// ...or once the oldest commit waiting for its epoch has waited this many milliseconds.
    #[arg(long, default_value_t = EpochPolicy::default().max_wait.as_millis() as u64)]
    pub epoch_wait_ms: u64,
    /// What every job takes.
    #[command(flatten)]
    pub run: RunArgs,
    /// List the paths rejected by policy (too large, minified, generated) after the summary.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Options of `cpt watch`.
#[derive(Args, Debug)]
pub struct WatchArgs {
    /// The folder to watch.
    pub path: PathBuf,
    /// Milliseconds a path's events must be quiet before they are taken in a batch: at 50, an
    /// editor's save (write a temporary file, rename it over the old one: a few milliseconds)
    /// lands in one batch, and a change is durable within about a tenth of a second.
    #[arg(long, value_name = "MS", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub debounce: u64,
    /// What every job takes.
    #[command(flatten)]
    pub run: RunArgs,
}

/// What `--gpu` asks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum GpuArg {
    /// A usable GPU if there is one, else the CPU.
    Auto,
    /// A usable GPU, or no run.
    On,
    /// The CPU, without looking for a GPU.
    Off,
}

impl From<GpuArg> for GpuMode {
    fn from(arg: GpuArg) -> GpuMode {
        match arg {
            GpuArg::Auto => GpuMode::Auto,
            GpuArg::On => GpuMode::On,
            GpuArg::Off => GpuMode::Off,
        }
    }
}

/// What `--gpu-path` asks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum GpuPathArg {
    /// The tensor-core kernel with the threshold fused.
    Tensor,
    /// cuBLAS int8 GEMM per block, then the threshold kernel.
    Cublas,
}

impl From<GpuPathArg> for GpuPath {
    fn from(arg: GpuPathArg) -> GpuPath {
        match arg {
            GpuPathArg::Tensor => GpuPath::Tensor,
            GpuPathArg::Cublas => GpuPath::Cublas,
        }
    }
}

/// How a GPU similarity join runs, wherever a command may run one.
#[derive(Args, Debug, Clone, Copy)]
pub struct GpuTuning {
    /// Device memory the similarity joins of this process may hold, in MiB (shared among its
    /// workers); a join that would need more stops the run with a message.
    #[arg(long, value_name = "MIB", default_value_t = 8192, value_parser = clap::value_parser!(u64).range(64..))]
    pub gpu_memory: u64,
    /// How the GPU computes dot products: tensor (the tensor-core kernel with the threshold fused)
    /// or cublas (cuBLAS int8 GEMM per block, then a threshold kernel: the fallback).
    #[arg(long, value_enum, default_value_t = GpuPathArg::Tensor)]
    pub gpu_path: GpuPathArg,
}

impl GpuTuning {
    /// The backend of `joins` joins under `mode`: the first GPU, its memory split among the
    /// joins, when the mode and the machine allow; the CPU otherwise. Logs which and why; `on`
    /// without a usable GPU is refused with the reason.
    pub fn backend(self, mode: GpuMode, joins: u32) -> Result<JoinBackend, GpuRequired> {
        let path = GpuPath::from(self.gpu_path);
        match choose(mode, || GpuDevice::open(0, path))? {
            GpuChoice::Gpu(device) => {
                let memory_mib = self.gpu_memory / u64::from(joins.max(1));
                let backend = JoinBackend::Gpu { device: Arc::new(device), memory_mib };
                tracing::info!("similarity join on {}", backend.description());
                Ok(backend)
            }
            GpuChoice::Cpu(why) => {
                if let Some(why) = why {
                    tracing::info!("similarity join on the CPU: {why}");
                }
                Ok(JoinBackend::Cpu)
            }
        }
    }
}

/// Options shared by `scan`, `replay` and `watch`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Output folder for the Parquet tables.
    #[arg(long, default_value = "cpt-out")]
    pub out: PathBuf,
    /// Replace the output of an earlier run in --out.
    #[arg(long)]
    pub overwrite: bool,
    /// Worker threads (in each process).
    #[arg(short = 'w', long = "workers", default_value_t = default_workers(), value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub workers: u32,
    /// Where this process stands in a cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Serve Prometheus metrics at http://ADDR/metrics while the job runs (ADDR: PORT or HOST:PORT,
    /// loopback by default); process i of a cluster serves on PORT + i.
    #[arg(long, value_name = "ADDR", value_parser = parse_metrics_address)]
    pub metrics: Option<SocketAddr>,
    /// Minimum tokens of a unit to take part in clone groups (jscpd's default is 50 too).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_tokens: u32,
    /// Find no near-miss clone pairs (clone classes then link exact clone groups only).
    #[arg(long)]
    pub no_near_miss: bool,
    /// Near-miss candidates: units whose vectors' cosine similarity reaches PERCENT.
    #[arg(long, value_name = "PERCENT", default_value_t = 90, conflicts_with = "no_near_miss",
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub similarity: u32,
    /// Near-miss pairs: candidates whose longest common token subsequence covers PERCENT of the
    /// longer unit's tokens (identifiers and literals normalised).
    #[arg(long, value_name = "PERCENT", default_value_t = 70, conflicts_with = "no_near_miss",
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub lcs: u32,
    /// Mined elements (table mined_elements): the fewest members (units) of a clone class that becomes one.
    #[arg(long, value_name = "K", default_value_t = MiningRules::default().min_members,
          value_parser = clap::value_parser!(u32).range(2..))]
    pub mine_members: u32,
    /// Mined elements: the fewest distinct files a clone class's members must lie in.
    #[arg(long, value_name = "F", default_value_t = MiningRules::default().min_files,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub mine_files: u32,
    /// Run the similarity join on a GPU: auto (the first usable one, else the CPU; the log says
    /// which and why), on (refuse to start without one), off (never look for one). Same pairs on
    /// every device.
    #[arg(long, value_enum, default_value_t = GpuArg::Auto)]
    pub gpu: GpuArg,
    /// How a GPU join runs.
    #[command(flatten)]
    pub gpu_tuning: GpuTuning,
    /// Only these languages, comma-separated: rust, python, javascript, typescript, tsx, go, java, c, cpp.
    #[arg(long, value_delimiter = ',', value_parser = parse_lang)]
    pub lang: Vec<Lang>,
    /// Files larger than this are reported as too_large and not read (suffixes K, KiB, M, MiB, G, GiB).
    #[arg(long, default_value = "1MiB", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Files whose mean line length exceeds this are reported as minified (0: no limit).
    #[arg(long, default_value_t = 300)]
    pub max_line_length: u32,
    /// Switch off a default skip (repeatable or comma-separated): vendor, minified, generated.
    #[arg(long, value_delimiter = ',')]
    pub no_skip: Vec<SkipRule>,
    /// Folder of the content cache (default: $CPT_CACHE_DIR, else $XDG_CACHE_HOME/cpt, else ~/.cache/cpt).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// A catalogue file of your own, whose elements are matched beside the built-in ones (repeatable).
    #[arg(long = "catalog", value_name = "FILE")]
    pub catalogs: Vec<PathBuf>,
    /// Match only the --catalog files, not the built-in catalogue.
    #[arg(long)]
    pub no_builtin_catalog: bool,
    /// Parse every content: read and write no content cache.
    #[arg(long, conflicts_with = "cache")]
    pub no_cache: bool,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Parses `--range FROM..TO`.
fn parse_range(text: &str) -> Result<HistorySpec, String> {
    match text.split_once("..") {
        Some((from, to)) if !from.is_empty() && !to.is_empty() && !to.starts_with('.') => {
            Ok(HistorySpec::Range { from: from.to_string(), to: to.to_string() })
        }
        _ => Err(format!("{text:?} is not a range; write FROM..TO, e.g. v1.0..main or 3f2a1c9..HEAD")),
    }
}

/// Cluster options: the same job over several processes (timely's cluster mode).
#[derive(Args, Debug)]
#[command(next_help_heading = "Cluster")]
pub struct ClusterArgs {
    /// Number of processes taking part (start every one with the same options and hostfile).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub processes: u32,
    /// This process's index, 0 to --processes minus 1 (process 0 writes the manifest).
    #[arg(long, default_value_t = 0)]
    pub process: u32,
    /// A file of host:port lines, one per process in process order (default: 127.0.0.1:2101 and up).
    #[arg(long, value_name = "FILE")]
    pub hostfile: Option<PathBuf>,
    /// Seconds to wait at start for every peer to connect before giving up.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub startup_timeout: u64,
    /// Seconds a peer may stay silent (dead, frozen, cut off) before every process stops.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub peer_timeout: u64,
}

impl ClusterArgs {
    /// The cluster settings, or a usage error saying what to write instead.
    pub fn settings(&self, workers: usize) -> Result<ClusterSettings, String> {
        let processes = self.processes as usize;
        let process = self.process as usize;
        if process >= processes {
            return Err(format!(
                "--process {process} is out of range for --processes {processes}; write --process 0 to --process {}",
                processes - 1
            ));
        }
        if processes == 1 && self.hostfile.is_some() {
            return Err("--hostfile needs --processes N with N above 1".into());
        }
        let addresses = match &self.hostfile {
            Some(path) => read_hostfile(path, processes).map_err(|e| format!("{e:#}"))?,
            None => loopback_addresses(processes),
        };
        Ok(ClusterSettings {
            workers,
            process,
            addresses,
            startup_timeout: Duration::from_secs(self.startup_timeout),
            peer_timeout: Duration::from_secs(self.peer_timeout),
        })
    }
}

/// Parses `--metrics`: `PORT`, `:PORT` or `HOST:PORT` (an IP address), loopback by default.
pub fn parse_metrics_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let port_only = text.strip_prefix(':').unwrap_or(text);
    if let Ok(port) = port_only.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse::<SocketAddr>().map_err(|_| format!("{text:?} is not PORT or IP:PORT; write e.g. 9184 or 0.0.0.0:9184"))
}

fn default_workers() -> u32 {
    std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1)
}

fn parse_lang(name: &str) -> Result<Lang, String> {
    Lang::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Lang::ALL.iter().map(|l| l.name()).collect();
        format!("unknown language {name:?}; write one of {}", known.join(", "))
    })
}

/// Parses a byte size such as `1048576`, `512K`, `1MiB` or `2G`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 =
        digits.parse().map_err(|_| format!("{text:?} is not a size; write bytes like 1048576 or 1MiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?}; write K, KiB, M, MiB, G or GiB")),
    };
    match number.checked_mul(scale) {
        Some(0) => Err("the size must be above 0".into()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("{text:?} is too large")),
    }
}

impl RunArgs {
    fn skips(&self, rule: SkipRule) -> bool {
        !self.no_skip.contains(&rule)
    }

    fn policy(&self) -> ScanPolicy {
        ScanPolicy {
            max_file_size: self.max_file_size,
            langs: (!self.lang.is_empty()).then(|| self.lang.iter().copied().collect::<BTreeSet<_>>()),
            skip_vendor_dirs: self.skips(SkipRule::Vendor),
            skip_minified_names: self.skips(SkipRule::Minified),
        }
    }

    /// The catalogue to match: mistakes in it refuse the run, naming each.
    fn catalog(&self) -> Result<Arc<Catalog>, String> {
        let sources = catalog::sources(&self.catalogs, !self.no_builtin_catalog)?;
        let Loaded { catalog, diagnostics } = load(&sources);
        if diagnostics.is_empty() {
            return Ok(Arc::new(catalog));
        }
        let listed: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
        Err(format!(
            "the catalogue has {} mistakes:\n{}\nfix them (`cpt catalog check FILE` checks a file alone) or leave the file out",
            diagnostics.len(),
            listed.join("\n")
        ))
    }

    fn analysis(&self, catalog: &Catalog) -> AnalysisConfig {
        AnalysisConfig {
            catalog: catalog.fingerprint().to_string(),
            max_mean_line_length: if self.skips(SkipRule::Minified) { self.max_line_length } else { 0 },
            skip_generated: self.skips(SkipRule::Generated),
            ..AnalysisConfig::default()
        }
    }

    /// The near-miss parameters: `None` with --no-near-miss.
    fn near_miss(&self) -> Result<Option<NearMissParams>, String> {
        if self.no_near_miss {
            return Ok(None);
        }
        let threshold = Threshold::new(self.similarity).map_err(|e| format!("--similarity: {e}"))?;
        let lcs = LcsRatio::new(self.lcs).map_err(|e| format!("--lcs: {e}"))?;
        Ok(Some(NearMissParams { join: JoinParams { threshold, ..JoinParams::default() }, lcs }))
    }

    /// The device of the similarity joins as `--gpu` decides (a GPU is looked for only when
    /// near-miss pairs are wanted, or with `--gpu on`); `--gpu on` without a usable GPU is refused.
    fn join_backend(&self) -> Result<JoinBackend, String> {
        let mode = if self.no_near_miss && self.gpu != GpuArg::On { GpuMode::Off } else { self.gpu.into() };
        self.gpu_tuning.backend(mode, self.workers).map_err(|refusal| refusal.to_string())
    }

    /// The cache folder: `None` with --no-cache, or (with a warning) when nothing names one.
    fn cache_dir(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        let dir = self.cache.clone().or_else(default_dir);
        if dir.is_none() {
            eprintln!("warning: no content cache folder (set CPT_CACHE_DIR or HOME, or write --cache DIR); parsing everything");
        }
        dir
    }

    fn settings(&self, verbose: bool) -> Result<RunSettings, String> {
        let catalog = self.catalog()?;
        Ok(RunSettings {
            out: self.out.clone(),
            overwrite: self.overwrite,
            cluster: self.cluster.settings(self.workers as usize)?,
            metrics: self.metrics,
            min_tokens: self.min_tokens,
            near_miss: self.near_miss()?,
            mining: MiningRules { min_members: self.mine_members, min_files: self.mine_files },
            join_backend: self.join_backend()?,
            policy: self.policy(),
            analysis: self.analysis(&catalog),
            catalog,
            cache_dir: self.cache_dir(),
            progress: !self.quiet,
            verbose,
            epochs: EpochPolicy::default(),
        })
    }
}

impl ScanArgs {
    fn job(&self) -> Result<ScanJob, String> {
        Ok(ScanJob { root: self.path.clone(), settings: self.run.settings(self.verbose)? })
    }
}

impl ReplayArgs {
    fn job(&self) -> Result<ReplayJob, String> {
        let history = self.range.clone().unwrap_or_else(|| HistorySpec::Branch(self.branch.clone()));
        let mut settings = self.run.settings(self.verbose)?;
        settings.epochs =
            EpochPolicy { max_times: self.epoch_commits as usize, max_wait: Duration::from_millis(self.epoch_wait_ms) };
        Ok(ReplayJob { repo: self.repo.clone(), history, settings })
    }
}

impl WatchArgs {
    fn job(&self) -> Result<WatchJob, String> {
        if self.run.cluster.processes > 1 {
            return Err("cpt watch runs as one process (it follows one machine's tree); drop --processes".into());
        }
        Ok(WatchJob {
            root: self.path.clone(),
            debounce: Duration::from_millis(self.debounce),
            settings: self.run.settings(false)?,
        })
    }
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Replay(args) => replay(args),
        Command::Cache(command) => cache::run(command),
        Command::Watch(args) => watch(args),
        Command::Catalog(command) => catalog::run(command),
        Command::Table(args) => table::run(args),
        Command::Similarity(command) => similarity::run(command),
    }
}

fn scan(args: ScanArgs) -> ExitCode {
    if let Err(code) = check_folder("scan", &args.path) {
        return code;
    }
    match args.job() {
        Ok(job) => finish("scan", run_scan(job), args.verbose, &args.run),
        Err(message) => usage_error(&message),
    }
}

fn watch(args: WatchArgs) -> ExitCode {
    if let Err(code) = check_folder("watch", &args.path) {
        return code;
    }
    match args.job() {
        Ok(job) => finish("watch", run_watch(job), false, &args.run),
        Err(message) => usage_error(&message),
    }
}

/// Refuses (exit 2) a PATH of `cpt scan` or `cpt watch` that is not a folder.
fn check_folder(command: &str, path: &std::path::Path) -> Result<(), ExitCode> {
    if !path.exists() {
        eprintln!("error: {} does not exist; write the folder to {command}, e.g. `cpt {command} .`", path.display());
        return Err(ExitCode::from(2));
    }
    if !path.is_dir() {
        eprintln!("error: {} is not a folder; `cpt {command}` takes the folder that holds it", path.display());
        return Err(ExitCode::from(2));
    }
    Ok(())
}

fn replay(args: ReplayArgs) -> ExitCode {
    if !args.repo.exists() {
        eprintln!("error: {} does not exist; write the repository to replay, e.g. `cpt replay .`", args.repo.display());
        return ExitCode::from(2);
    }
    let out = &args.run.out;
    let job = match args.job() {
        Ok(job) => job,
        Err(message) => return usage_error(&message),
    };
    let result = plan_replay(job).and_then(|plan| {
        match &plan.start {
            ReplayStart::UpToDate => {
                let commits = plan.commits();
                eprintln!(
                    "cpt replay: up to date: {} already holds all {} commits (the last is {}); nothing written",
                    out.display(),
                    commits.len(),
                    commits.last().map(|meta| meta.id.to_string()).unwrap_or_default()
                );
            }
            ReplayStart::Resume(Some(point)) => eprintln!("resuming after commit {} ({})", point.time, point.commit),
            ReplayStart::Resume(None) => eprintln!("resuming from the first commit (nothing was durable yet)"),
            ReplayStart::Fresh => {}
        }
        run_replay(plan)
    });
    match result.transpose() {
        None => ExitCode::SUCCESS,
        Some(result) => finish("replay", result, args.verbose, &args.run),
    }
}

/// Reports a command line that cannot run as written: exit status 2.
fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Prints a job's summary or error and returns the exit code: 2 for a refused command line.
fn finish(command: &str, result: anyhow::Result<Summary>, verbose: bool, run: &RunArgs) -> ExitCode {
    let out = &run.out;
    match result {
        Ok(summary) if run.cluster.processes > 1 => {
            eprintln!(
                "cpt {command}, process {} of {} (its share): {summary}",
                run.cluster.process, run.cluster.processes
            );
            ExitCode::SUCCESS
        }
        Ok(summary) => {
            eprintln!("cpt {command}: {summary}");
            if verbose {
                eprint!("{}", summary.skipped_listing());
            }
            eprintln!("tables written to {}", out.display());
            ExitCode::SUCCESS
        }
        Err(error)
            if error.downcast_ref::<OutputRefused>().is_some() || error.downcast_ref::<HistoryRefused>().is_some() =>
        {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
