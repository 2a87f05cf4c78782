//! `cpt cache`: what the content cache holds (`stats`) and making it smaller (`prune`).

use crate::parse_size;
use clap::{ArgGroup, Args, Subcommand};
use cpt_connectors::cache::default_dir;
use cpt_connectors::cache::maintain::{self, CacheStats, PruneRules};
use indicatif::{HumanBytes, HumanDuration};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const SECONDS_PER_DAY: u64 = 24 * 60 * 60;

/// What to do with the cache.
#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// Entries and bytes on disk, per engine and analysis configuration.
    Stats(CacheDir),
    /// Drop stale, old or least recently written entries, then compact the file.
    #[command(after_help = PRUNE_EXAMPLES)]
    Prune(PruneArgs),
}

const PRUNE_EXAMPLES: &str = "Examples:
  cpt cache prune --stale                   drop what another cpt build or grammar version wrote
  cpt cache prune --older-than 30           drop entries written over 30 days ago
  cpt cache prune --stale --max-size 1GiB   then drop the least recently written down to 1 GiB";

/// The cache folder option.
#[derive(Args, Debug)]
pub struct CacheDir {
    /// The cache folder (default: $CPT_CACHE_DIR, else $XDG_CACHE_HOME/cpt, else ~/.cache/cpt).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
}

/// Options of `cpt cache prune`: at least one rule.
#[derive(Args, Debug)]
#[command(group(ArgGroup::new("rule").required(true).multiple(true).args(["stale", "older_than", "max_size"])))]
pub struct PruneArgs {
    /// The cache folder.
    #[command(flatten)]
    pub dir: CacheDir,
    /// Drop every entry written by another cpt build or grammar version (this build never reads them).
    #[arg(long)]
    pub stale: bool,
    /// Drop entries written more than DAYS days ago.
    #[arg(long, value_name = "DAYS")]
    pub older_than: Option<u64>,
    /// Drop the least recently written entries until the file is at most SIZE (suffixes K, KiB, M, MiB, G, GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
}

impl CacheDir {
    fn resolve(&self) -> Option<PathBuf> {
        self.cache.clone().or_else(default_dir)
    }
}

/// Runs a `cpt cache` command and returns the exit code.
pub fn run(command: CacheCommand) -> ExitCode {
    let dir = match &command {
        CacheCommand::Stats(dir) | CacheCommand::Prune(PruneArgs { dir, .. }) => dir.resolve(),
    };
    let Some(dir) = dir else {
        eprintln!("error: no cache folder: set CPT_CACHE_DIR or HOME, or write --cache DIR");
        return ExitCode::from(2);
    };
    let result = match command {
        CacheCommand::Stats(_) => maintain::stats(&dir).map(|stats| print!("{}", describe(&stats))),
        CacheCommand::Prune(args) => {
            let rules = PruneRules {
                stale: args.stale,
                older_than: args.older_than.map(|days| Duration::from_secs(days.saturating_mul(SECONDS_PER_DAY))),
                max_bytes: args.max_size,
            };
            maintain::prune(&dir, rules).map(|pruned| {
                let (before, after) = (HumanBytes(pruned.bytes_before), HumanBytes(pruned.after.file_bytes));
                println!("pruned {} entries; {before} -> {after} on disk", pruned.removed);
                print!("{}", describe(&pruned.after));
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The report of `cpt cache stats`: the file, then one line per namespace.
fn describe(stats: &CacheStats) -> String {
    if stats.file_bytes == 0 {
        return format!("no content cache at {} yet (a scan or replay creates it)\n", stats.file.display());
    }
    let mut report = format!(
        "content cache {}: {} on disk ({} bytes), {} entries\n",
        stats.file.display(),
        HumanBytes(stats.file_bytes),
        stats.file_bytes,
        stats.entries()
    );
    for namespace in &stats.namespaces {
        let state = if namespace.namespace.is_stale() { "stale" } else { "current" };
        let age = namespace.last_written.map_or("never written".into(), |written| {
            format!("last written {} ago", HumanDuration(written.elapsed().unwrap_or_default()))
        });
        report += &format!(
            "  {state}: {} entries, {} stored, {age}; engine {}, config {}\n",
            namespace.entries,
            HumanBytes(namespace.stored_bytes),
            namespace.namespace.engine,
            namespace.namespace.config
        );
    }
    report
}
