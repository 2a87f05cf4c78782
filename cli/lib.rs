//! The `cpt` command line: argument parsing (clap) and dispatch to the jobs of `cpt-dataflow`.
//! Usage errors exit with status 2 and say what to write instead; failures of a run exit 1.

mod catalog;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cpt_connectors::git::HistoryRefused;
use cpt_connectors::sink::OutputRefused;
use cpt_connectors::walk::ScanPolicy;
use cpt_dataflow::replay::{run_replay, ReplayJob};
use cpt_dataflow::scan::{run_scan, ScanJob};
use cpt_dataflow::settings::RunSettings;
use cpt_dataflow::summary::Summary;
use cpt_operators::model::{AnalysisConfig, Lang};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Scan a working tree and write Parquet tables (files, units, clone_groups, errors).
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// Replay the first-parent history of a git branch, oldest first (commit i at time i), and write
    /// changelog tables (files, units, clone_groups, errors, commits).
    #[command(after_help = REPLAY_EXAMPLES)]
    Replay(ReplayArgs),
    /// The periodic table's catalogue of code patterns: list its elements, check catalogue files.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
}

const TOP_EXAMPLES: &str = "Examples:
  cpt scan .                  scan this folder into ./cpt-out (Parquet tables)
  cpt replay .                replay this repository's history into ./cpt-out (changelogs by commit)
  cpt catalog list            the periodic table's elements
  cpt scan --help             every option of scan, with more examples";

const REPLAY_EXAMPLES: &str = "Examples:
  cpt replay .                                replay HEAD's history into ./cpt-out
  cpt replay ~/src/app --branch main --out /tmp/app-history -w 4
  cpt replay . --lang rust --overwrite -q

The state at commit t is the sum of diff over rows with time <= t, e.g. files per commit:
  duckdb -c \"SELECT c.time, c.sha, sum(f.diff) AS files FROM 'cpt-out/commits/*.parquet' c
              JOIN 'cpt-out/files/*.parquet' f ON f.time <= c.time GROUP BY ALL ORDER BY c.time\"";

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
    #[arg(long)]
    pub branch: Option<String>,
    /// What every job takes.
    #[command(flatten)]
    pub run: RunArgs,
    /// List the paths rejected by policy (too large, minified, generated) after the summary.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Options shared by `scan` and `replay`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Output folder for the Parquet tables.
    #[arg(long, default_value = "cpt-out")]
    pub out: PathBuf,
    /// Replace the output of an earlier run in --out.
    #[arg(long)]
    pub overwrite: bool,
    /// Worker threads.
    #[arg(short = 'w', long = "workers", default_value_t = default_workers(), value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub workers: u32,
    /// Minimum tokens of a unit to take part in clone groups (jscpd's default is 50 too).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_tokens: u32,
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
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
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

    fn analysis(&self) -> AnalysisConfig {
        AnalysisConfig {
            max_mean_line_length: if self.skips(SkipRule::Minified) { self.max_line_length } else { 0 },
            skip_generated: self.skips(SkipRule::Generated),
            ..AnalysisConfig::default()
        }
    }

    fn settings(&self, verbose: bool) -> RunSettings {
        RunSettings {
            out: self.out.clone(),
            overwrite: self.overwrite,
            workers: self.workers as usize,
            min_tokens: self.min_tokens,
            policy: self.policy(),
            analysis: self.analysis(),
            progress: !self.quiet,
            verbose,
        }
    }
}

impl ScanArgs {
    fn job(&self) -> ScanJob {
        ScanJob { root: self.path.clone(), settings: self.run.settings(self.verbose) }
    }
}

impl ReplayArgs {
    fn job(&self) -> ReplayJob {
        ReplayJob { repo: self.repo.clone(), branch: self.branch.clone(), settings: self.run.settings(self.verbose) }
    }
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Replay(args) => replay(args),
        Command::Catalog(command) => catalog::run(command),
    }
}

fn scan(args: ScanArgs) -> ExitCode {
    if !args.path.exists() {
        eprintln!("error: {} does not exist; write the folder to scan, e.g. `cpt scan .`", args.path.display());
        return ExitCode::from(2);
    }
    if !args.path.is_dir() {
        eprintln!("error: {} is not a folder; `cpt scan` takes the folder that holds it", args.path.display());
        return ExitCode::from(2);
    }
    let verbose = args.verbose;
    finish("scan", run_scan(args.job()), verbose, &args.run.out)
}

fn replay(args: ReplayArgs) -> ExitCode {
    if !args.repo.exists() {
        eprintln!("error: {} does not exist; write the repository to replay, e.g. `cpt replay .`", args.repo.display());
        return ExitCode::from(2);
    }
    finish("replay", run_replay(args.job()), args.verbose, &args.run.out)
}

/// Prints a job's summary or error and returns the exit code: 2 for a refused command line.
fn finish(command: &str, result: anyhow::Result<Summary>, verbose: bool, out: &std::path::Path) -> ExitCode {
    match result {
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
