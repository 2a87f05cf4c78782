//! The `cpt` command line: argument parsing (clap) and dispatch to the jobs of `cpt-dataflow`.
//! Usage errors exit with status 2 and say what to write instead; failures of a run exit 1.

use clap::{Args, Parser, Subcommand, ValueEnum};
use cpt_connectors::walk::ScanPolicy;
use cpt_dataflow::scan::{run_scan, ScanJob};
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
}

const TOP_EXAMPLES: &str = "Examples:
  cpt scan .                  scan this folder into ./cpt-out (Parquet tables)
  cpt scan --help             every option of scan, with more examples";

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
    /// List skipped paths after the summary.
    #[arg(short, long)]
    pub verbose: bool,
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

impl ScanArgs {
    fn job(&self) -> ScanJob {
        let skips = |rule| !self.no_skip.contains(&rule);
        ScanJob {
            root: self.path.clone(),
            out: self.out.clone(),
            overwrite: self.overwrite,
            workers: self.workers as usize,
            min_tokens: self.min_tokens,
            policy: ScanPolicy {
                max_file_size: self.max_file_size,
                langs: (!self.lang.is_empty()).then(|| self.lang.iter().copied().collect::<BTreeSet<_>>()),
                skip_vendor_dirs: skips(SkipRule::Vendor),
                skip_minified_names: skips(SkipRule::Minified),
            },
            analysis: AnalysisConfig {
                max_mean_line_length: if skips(SkipRule::Minified) { self.max_line_length } else { 0 },
                skip_generated: skips(SkipRule::Generated),
                ..AnalysisConfig::default()
            },
            progress: !self.quiet,
            verbose: self.verbose,
        }
    }
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Scan(args) => scan(args),
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
    match run_scan(args.job()) {
        Ok(summary) => {
            eprintln!("cpt scan: {summary}");
            if args.verbose {
                eprint!("{}", summary.skipped_listing());
            }
            eprintln!("tables written to {}", args.out.display());
            ExitCode::SUCCESS
        }
        Err(error) if error.downcast_ref::<cpt_connectors::sink::OutputRefused>().is_some() => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
