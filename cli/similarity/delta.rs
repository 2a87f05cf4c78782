//! `cpt similarity delta`: the wall time of one incremental batch against a large resident set,
//! the path of a replayed commit or a watched save. Every vector of the file is restored, then each
//! repeat applies one batch changing N of them (removed, and re-inserted slightly moved, as after
//! a small edit; each repeat changes other vectors, spread over the file); the median is reported.

use super::{device, file, print_json, Failure, JoinOptions};
use clap::Args;
use cpt_operators::similarity::synthetic::perturb;
use cpt_operators::similarity::{Batch, Entry};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Options of `cpt similarity delta`.
#[derive(Args, Debug)]
pub struct DeltaArgs {
    /// The vector file.
    pub file: PathBuf,
    /// Vectors changed by the batch.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub changed: u64,
    /// Batches timed (the median is reported).
    #[arg(long, value_name = "R", default_value_t = 9, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub repeats: u32,
    /// The join's parameters and device.
    #[command(flatten)]
    pub join: JoinOptions,
}

/// Runs `cpt similarity delta`.
pub(super) fn run(args: DeltaArgs) -> Result<(), Failure> {
    let mut entries = file::read(&args.file)?;
    let changed = usize::try_from(args.changed).unwrap_or(usize::MAX);
    if changed > entries.len() {
        return Err(Failure::Usage(format!(
            "--changed {changed} is more than the {} vectors of {}; write --changed {} or fewer",
            entries.len(),
            args.file.display(),
            entries.len()
        )));
    }
    let params = args.join.params();
    let backend = args.join.backend()?;
    let mut join = device::incremental(&backend, params, args.join.workers)?;
    join.restore(&entries).map_err(anyhow::Error::from)?;
    let mut seconds = Vec::new();
    let mut deltas = Vec::new();
    for repeat in 0..args.repeats as usize {
        let stride = entries.len() / changed;
        let picked: Vec<usize> = (0..changed).map(|i| (i * stride + repeat) % entries.len()).collect();
        let removed: Vec<Entry> = picked.iter().map(|&i| entries[i]).collect();
        let inserted: Vec<Entry> = removed
            .iter()
            .map(|e| Entry { vector: perturb(&e.vector, params.threshold, e.key as u64 ^ repeat as u64), ..*e })
            .collect();
        let batch = Batch { removed, inserted };
        let started = Instant::now();
        let pair_deltas = join.apply(&batch).map_err(anyhow::Error::from)?;
        seconds.push(started.elapsed().as_secs_f64());
        deltas.push(pair_deltas.len());
        for (&i, entry) in picked.iter().zip(&batch.inserted) {
            entries[i] = *entry;
        }
    }
    let (device, kernel) = device::describe(&backend);
    print_json(json!({
        "n": entries.len(),
        "changed": changed,
        "repeats": args.repeats,
        "seconds": median(&seconds),
        "seconds_min": seconds.iter().copied().fold(f64::INFINITY, f64::min),
        "seconds_max": seconds.iter().copied().fold(0.0, f64::max),
        "pair_deltas_median": median(&deltas.iter().map(|&d| d as f64).collect::<Vec<_>>()),
        "device": device,
        "kernel": kernel,
        "threads": args.join.workers,
        "similarity": args.join.similarity,
        "size_ratio": args.join.size_ratio,
    }));
    Ok(())
}

/// The median of `values` (the mean of the middle two for an even count); 0 for none.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}
