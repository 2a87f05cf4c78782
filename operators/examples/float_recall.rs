//! The recall of the engine's int8 similarity test against exact float cosine, on real units:
//!
//! `cargo run --release -p cpt-operators --example float_recall -- DIR [N] [MIN_TOKENS] [THREADS]`
//!
//! The source files under DIR, in an order shuffled by a hash of their paths, are analysed as a
//! scan does ([`analyze_unquantised`]) until N units (default 20,000) other than file units, of at
//! least MIN_TOKENS tokens (default 50, the scan's default) and with a non-zero vector, are
//! collected. Each unit gives its int8 vector (what the engine stores and joins) and the same
//! vector before rounding, in f64. Among all pairs of the sample at θ = 0.90:
//!
//! - float pairs: exact cosine of the unrounded vectors ≥ 0.90 (f64, all pairs compared);
//! - int8 pairs: the engine's integer test on the int8 vectors (`join_all`, size ratio 0);
//! - recall: the share of the float pairs that the int8 test finds; false share: the share of the
//!   int8 pairs whose float cosine is below 0.90. Both again under the default 50 % size ratio.

use cpt_operators::analyze::analyze_unquantised;
use cpt_operators::model::{AnalysisConfig, Lang, VECTOR_DIMS};
use cpt_operators::similarity::{join_all, Entry, JoinParams, Kernel, SizeRatio, Threshold, Vector};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_64;

/// θ of the engine's default threshold, as a float.
const THETA: f64 = 0.9;

/// Every file under `dir` whose name cpt parses.
fn source_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => source_files(&path, files),
            Ok(kind) if kind.is_file() && Lang::from_path(path.as_os_str().as_encoded_bytes()).is_some() => {
                files.push(path)
            }
            _ => {}
        }
    }
}

/// A unit of the sample: tokens, int8 vector, unrounded vector scaled to length 1.
struct Unit {
    tokens: u32,
    vector: Vector,
    unit_length: [f64; VECTOR_DIMS],
}

/// Up to `count` units of at least `min_tokens` tokens from the files under `dir`.
fn sample(dir: &Path, count: usize, min_tokens: u32) -> Vec<Unit> {
    let mut files = Vec::new();
    source_files(dir, &mut files);
    files.sort_by_key(|path| xxh3_64(path.as_os_str().as_encoded_bytes()));
    let config = AnalysisConfig::default();
    let mut units = Vec::new();
    for path in files {
        let (Ok(bytes), Some(lang)) = (std::fs::read(&path), Lang::from_path(path.as_os_str().as_encoded_bytes()))
        else {
            continue;
        };
        for (unit, unrounded) in analyze_unquantised(&bytes, lang, &config).unwrap_or_default() {
            let vector = Vector::from_slice(&unit.vector).expect("a unit's vector has VECTOR_DIMS components");
            if unit.parent.is_none() || unit.metrics.tokens < min_tokens || vector == Vector::ZERO {
                continue;
            }
            let length = unrounded.iter().map(|x| x * x).sum::<f64>().sqrt();
            units.push(Unit { tokens: unit.metrics.tokens, vector, unit_length: unrounded.map(|x| x / length) });
            if units.len() == count {
                return units;
            }
        }
    }
    units
}

/// The pairs `(i, j)`, `i < j`, whose unrounded vectors have cosine ≥ θ, on `threads` threads.
fn float_pairs(units: &[Unit], threads: usize) -> HashSet<(usize, usize)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut pairs = Vec::new();
                    for i in (t..units.len()).step_by(threads) {
                        let x = &units[i].unit_length;
                        for (j, other) in units.iter().enumerate().skip(i + 1) {
                            let cosine: f64 = x.iter().zip(&other.unit_length).map(|(a, b)| a * b).sum();
                            if cosine >= THETA {
                                pairs.push((i, j));
                            }
                        }
                    }
                    pairs
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a thread does not panic")).collect()
    })
}

/// Recall and false share of `int8` against `float`, among the pairs that `keep` admits.
fn compare(
    float: &HashSet<(usize, usize)>,
    int8: &HashSet<(usize, usize)>,
    keep: impl Fn(&(usize, usize)) -> bool,
) -> String {
    let float: HashSet<_> = float.iter().copied().filter(&keep).collect();
    let int8: HashSet<_> = int8.iter().copied().filter(&keep).collect();
    let both = float.intersection(&int8).count();
    format!(
        "float pairs {}, int8 pairs {}, both {}: recall {:.3} %, int8 pairs below {THETA} in float {:.3} %",
        float.len(),
        int8.len(),
        both,
        100.0 * both as f64 / float.len().max(1) as f64,
        100.0 * (int8.len() - both) as f64 / int8.len().max(1) as f64
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| -> usize {
        args.get(i).map_or(default, |s| s.parse().unwrap_or_else(|_| panic!("argument {} must be a number", i + 1)))
    };
    let Some(dir) = args.first() else {
        eprintln!("usage: float_recall DIR [N] [MIN_TOKENS] [THREADS]");
        std::process::exit(2);
    };
    let (count, min_tokens, threads) = (number(1, 20_000), number(2, 50) as u32, number(3, 2).max(1));
    let units = sample(Path::new(dir), count, min_tokens);
    let entries: Vec<Entry> =
        units.iter().enumerate().map(|(i, u)| Entry { key: i as i64, size: u.tokens, vector: u.vector }).collect();
    let params = JoinParams { threshold: Threshold::default(), size_ratio: SizeRatio::new(0).expect("0 is a ratio") };
    let (pairs, _) = join_all(Kernel::detect(), params, &entries).expect("keys are distinct");
    let int8: HashSet<(usize, usize)> = pairs.iter().map(|p| (p.a as usize, p.b as usize)).collect();
    let float = float_pairs(&units, threads);
    let ratio = SizeRatio::default();
    println!("{} units of at least {min_tokens} tokens from {dir}, θ = {THETA}", units.len());
    println!("any sizes:       {}", compare(&float, &int8, |_| true));
    println!(
        "size ratio {} %: {}",
        ratio.percent(),
        compare(&float, &int8, |&(i, j)| ratio.admits(units[i].tokens, units[j].tokens))
    );
}
