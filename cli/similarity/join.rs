//! `cpt similarity join`: the self-join of a vector file, or its first N vectors against all of
//! them (the pairs among those N and between them and the rest, as one batch inserting them into
//! a join that holds the rest), timed; optionally its pairs, sorted, one `a b score` line each.

use super::device;
use super::{file, print_json, Failure, JoinOptions};
use anyhow::Context;
use clap::Args;
use cpt_operators::similarity::{Batch, Entry, JoinBackend, JoinParams, Pair};
use serde_json::json;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of `cpt similarity join`.
#[derive(Args, Debug)]
pub struct JoinArgs {
    /// The vector file.
    pub file: PathBuf,
    /// Join only the first N vectors, against every vector of the file.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub queries: Option<u64>,
    /// Write the pairs to FILE, sorted, one `a b score` line each (keys, then ⌊1000·cos⌋).
    #[arg(long, value_name = "FILE")]
    pub pairs: Option<PathBuf>,
    /// The join's parameters and device.
    #[command(flatten)]
    pub join: JoinOptions,
}

/// The pairs of a join, counted or kept.
#[derive(Default)]
struct Found {
    count: u64,
    kept: Vec<Pair>,
}

/// Runs `cpt similarity join`.
pub(super) fn run(args: JoinArgs) -> Result<(), Failure> {
    let entries = file::read(&args.file)?;
    let queries = match args.queries.map(|n| usize::try_from(n).unwrap_or(usize::MAX)) {
        Some(n) if n > entries.len() => {
            return Err(Failure::Usage(format!(
                "--queries {n} is more than the {} vectors of {}; write --queries {} or fewer",
                entries.len(),
                args.file.display(),
                entries.len()
            )))
        }
        Some(n) => n,
        None => entries.len(),
    };
    let (params, threads, keep) = (args.join.params(), args.join.workers, args.pairs.is_some());
    let backend = args.join.backend()?;
    let started = Instant::now();
    let (mut found, compared) = if queries == entries.len() {
        self_join(&backend, params, &entries, threads, keep)?
    } else {
        (query_join(&backend, params, &entries, queries, threads, keep)?, None)
    };
    let seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &args.pairs {
        found.kept.sort_unstable();
        write_pairs(path, &found.kept)?;
    }
    let (device_name, kernel) = device::describe(&backend);
    print_json(json!({
        "n": entries.len(),
        "queries": queries,
        "pairs": found.count,
        "seconds": seconds,
        "device": device_name,
        "kernel": kernel,
        "threads": threads,
        "similarity": args.join.similarity,
        "size_ratio": args.join.size_ratio,
        "compared": compared,
    }));
    Ok(())
}

/// The self-join, its pairs counted (and kept if `keep`), with the vector pairs compared.
fn self_join(
    backend: &JoinBackend,
    params: JoinParams,
    entries: &[Entry],
    threads: u32,
    keep: bool,
) -> anyhow::Result<(Found, Option<u64>)> {
    let (parts, compared) = device::self_join(backend, params, entries, threads, |found: &mut Found, pair| {
        found.count += 1;
        if keep {
            found.kept.push(pair);
        }
    })?;
    let mut all = Found::default();
    for part in parts {
        all.count += part.count;
        all.kept.extend(part.kept);
    }
    Ok((all, Some(compared)))
}

/// The first `queries` entries joined with all: one batch inserting them into a join holding the rest.
fn query_join(
    backend: &JoinBackend,
    params: JoinParams,
    entries: &[Entry],
    queries: usize,
    threads: u32,
    keep: bool,
) -> anyhow::Result<Found> {
    let mut join = device::incremental(backend, params, threads)?;
    join.restore(&entries[queries..])?;
    let deltas = join.apply(&Batch { removed: Vec::new(), inserted: entries[..queries].to_vec() })?;
    let kept = if keep { deltas.iter().map(|&(pair, _)| pair).collect() } else { Vec::new() };
    Ok(Found { count: deltas.len() as u64, kept })
}

/// Writes `pairs` to `path`, one `a b score` line each.
fn write_pairs(path: &Path, pairs: &[Pair]) -> anyhow::Result<()> {
    let mut out = BufWriter::new(File::create(path).with_context(|| format!("creating {}", path.display()))?);
    for pair in pairs {
        writeln!(out, "{} {} {}", pair.a, pair.b, pair.score)?;
    }
    out.flush().with_context(|| format!("writing {}", path.display()))
}
