//! Measures the int8 similarity join on real unit vectors, read from a vector file that
//! `cargo run -p cpt-connectors --example units_vectors -- OUT FILE` writes from a `cpt scan`:
//!
//! `cargo run --release -p cpt-operators --example similarity_recall -- FILE [N] [MIN_TOKENS]`
//!
//! on the first N entries of the file with at least MIN_TOKENS tokens (all of them by default; the
//! file is sorted by unit key, a hash, so any prefix is a random sample), the first 20,000 of
//! them for figures 1–5:
//!
//! 1. **Agreement.** The integer test at θ = 0.9 against `cos ≥ 0.9` in f64 over the same vectors
//!    de-quantised (`v/127`). The unquantised vectors are not kept (only the int8 vector is
//!    stored, ARCHITECTURE §3), so this checks the integer arithmetic, not the quantisation.
//! 2. **Quantisation, worst case.** A component `v = round(127·√(c/max c))` is within 1/2 of
//!    `127·√(c/max c)`, and exact where it is 0 or 127 (a count of 0, the largest count; exact for
//!    0 as long as the largest count is ≤ 64,516). So the unquantised vector lies within
//!    `r = √(components strictly between 0 and 127) / 254` of `v/127`, at an angle of at most
//!    `δ = asin(r / |v/127|)`. A pair whose int8 angle `φ` has 0.9 between `cos(φ + δa + δb)` and
//!    `cos(φ − δa − δb)` could be decided differently by the unquantised vectors: the counts of
//!    such pairs bound the precision and recall of the int8 test from below.
//! 3. **Quantisation, expected.** The same with each rounding error drawn uniformly from
//!    `[−1/2, 1/2]` (the usual model of rounding), over several draws: the mean precision and
//!    recall of the int8 test against the drawn "unquantised" vectors. A model, not a measurement.
//! 4. **Size ratio.** How many of the pairs passing at θ the default 50 % size ratio removes.
//! 5. **Selectivity.** The share of all pairs whose int8 cosine reaches 0.90, 0.95, 0.98, 0.99.
//! 6. **Throughput.** The full self-join by every kernel this machine has, size ratio 50 % and
//!    none, its pairs streamed (hashed, not kept): vector pairs compared and pairs emitted per CPU
//!    second, on one thread, and a check that every kernel emits the same pairs in the same order.
//! 7. **Incremental.** `CpuJoin` holding all but 1,000 entries: one batch inserting those 1,000,
//!    one removing them again (the path of a replayed commit or a watch batch), per kernel.

use cpt_operators::similarity::vector_file::read_entries;
use cpt_operators::similarity::{
    join_all, join_each, Batch, CpuJoin, Entry, JoinParams, Kernel, Pair, Shard, SimilarityJoin, SizeRatio, Threshold,
};
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::time::Instant;
use xxhash_rust::xxh3::xxh3_64_with_seed;

const THETA: f64 = 0.9;

/// Entries of the recall figures (1–5) at most: their candidate pairs grow as N².
const RECALL_SAMPLE: usize = 20_000;

/// Vectors changed at once in the incremental figures.
const BATCH: usize = 1000;

/// Draws of rounding errors for the expected figures.
const DRAWS: usize = 8;

/// True for a component that quantisation may have rounded (not 0, not the largest count's 127).
fn rounded(x: i8) -> bool {
    x != 0 && x != 127
}

/// The largest angle between a vector de-quantised and the unquantised vector it came from.
fn quantisation_angle(entry: &Entry) -> f64 {
    let moved = entry.vector.0.iter().filter(|&&x| rounded(x)).count() as f64;
    let norm = f64::from(entry.vector.norm()).sqrt() / 127.0;
    if norm == 0.0 {
        return std::f64::consts::PI;
    }
    (moved.sqrt() / 254.0 / norm).min(1.0).asin()
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    dot(a, b) / (dot(a, a) * dot(b, b)).sqrt()
}

/// `v/127`, plus a uniform rounding error on the rounded components when `rng` is given.
fn float_vector(entry: &Entry, rng: Option<&mut TestRng>) -> Vec<f64> {
    let mut out: Vec<f64> = entry.vector.0.iter().map(|&x| f64::from(x)).collect();
    if let Some(rng) = rng {
        for (value, &x) in out.iter_mut().zip(entry.vector.0.iter()) {
            if rounded(x) {
                *value += f64::from(rng.next_u32()) / f64::from(u32::MAX) - 0.5;
            }
        }
    }
    out.iter().map(|x| x / 127.0).collect()
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        100.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// What happens to the int8 decisions of `pairs` against other decisions of the same pairs.
#[derive(Default)]
struct Confusion {
    /// Pairs the int8 test passes.
    passing: u64,
    /// Of those, pairs the other decision rejects.
    rejected: u64,
    /// Pairs the int8 test fails and the other decision accepts.
    accepted: u64,
}

impl Confusion {
    fn add(&mut self, int8: bool, other: bool) {
        self.passing += u64::from(int8);
        self.rejected += u64::from(int8 && !other);
        self.accepted += u64::from(!int8 && other);
    }

    /// (precision, recall) of the int8 test, in percent, taking the other decision as the truth.
    fn rates(&self) -> (f64, f64) {
        let kept = self.passing - self.rejected;
        (percent(kept, self.passing), percent(kept, kept + self.accepted))
    }
}

fn recall(entries: &[Entry]) {
    let angles: Vec<f64> = entries.iter().map(quantisation_angle).collect();
    let widest = angles.iter().copied().filter(|&a| a < std::f64::consts::PI).fold(0.0, f64::max);
    // Any pair that could reach θ unquantised has an int8 cosine of at least cos(acos θ + 2·widest).
    let floor = (100.0 * (THETA.acos() + 2.0 * widest).cos()).floor().max(1.0) as u32;
    let wide = JoinParams { threshold: Threshold::new(floor).unwrap(), size_ratio: SizeRatio::new(0).unwrap() };
    let (candidates, _) = join_all(Kernel::detect(), wide, entries).expect("unique keys");
    let index: HashMap<i64, usize> = entries.iter().enumerate().map(|(i, e)| (e.key, i)).collect();
    let ends = |pair: &Pair| (index[&pair.a], index[&pair.b]);
    let (threshold, ratio) = (Threshold::default(), SizeRatio::default());
    let norms: Vec<i32> = entries.iter().map(|e| e.vector.norm()).collect();
    let int8 = |a: usize, b: usize| threshold.passes(entries[a].vector.dot(&entries[b].vector), norms[a], norms[b]);
    let dequantised: Vec<Vec<f64>> = entries.iter().map(|e| float_vector(e, None)).collect();
    let (mut agreement, mut worst, mut out_of_band) = (Confusion::default(), Confusion::default(), 0u64);
    for pair in &candidates {
        let (a, b) = ends(pair);
        let (passes, cos) = (int8(a, b), cosine(&dequantised[a], &dequantised[b]));
        agreement.add(passes, cos >= THETA);
        let (angle, margin) = (cos.clamp(-1.0, 1.0).acos(), angles[a] + angles[b]);
        let could_flip = if passes { (angle + margin).cos() < THETA } else { (angle - margin).max(0.0).cos() >= THETA };
        worst.add(passes, passes != could_flip);
        out_of_band += u64::from(passes && !ratio.admits(entries[a].size, entries[b].size));
    }
    let mut rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut expected = Confusion::default();
    for _ in 0..DRAWS {
        let drawn: Vec<Vec<f64>> = entries.iter().map(|e| float_vector(e, Some(&mut rng))).collect();
        for pair in &candidates {
            let (a, b) = ends(pair);
            expected.add(int8(a, b), cosine(&drawn[a], &drawn[b]) >= THETA);
        }
    }
    let passing = agreement.passing;
    println!(
        "{} units; candidate pairs at int8 cos ≥ {:.2}: {}",
        entries.len(),
        f64::from(floor) / 100.0,
        candidates.len()
    );
    let (precision, recall) = agreement.rates();
    println!(
        "int8 test (θ = 0.90) vs f64 cos ≥ 0.90 of the same vectors de-quantised: {passing} pass int8, \
         {} of them fail f64, {} fail int8 only: precision {precision:.3} %, recall {recall:.3} %",
        agreement.rejected, agreement.accepted
    );
    let (precision, recall) = worst.rates();
    println!(
        "quantisation, worst case (widest angle {widest:.4} rad): the unquantised vectors could reject at most {} \
         of the {passing} and accept at most {} more: precision ≥ {precision:.2} %, recall ≥ {recall:.2} %",
        worst.rejected, worst.accepted
    );
    let (precision, recall) = expected.rates();
    println!(
        "quantisation, expected (uniform rounding errors, {DRAWS} draws): {:.1} rejected and {:.1} accepted \
         per draw: precision {precision:.2} %, recall {recall:.2} %",
        expected.rejected as f64 / DRAWS as f64,
        expected.accepted as f64 / DRAWS as f64
    );
    let all_pairs = (entries.len() as u64) * (entries.len() as u64).saturating_sub(1) / 2;
    let shares: Vec<String> = [900, 950, 980, 990]
        .iter()
        .map(|&s| {
            let reached = candidates.iter().filter(|p| p.score >= s).count() as u64;
            format!("{:.2}: {reached} ({:.3} %)", f64::from(s) / 1000.0, percent(reached, all_pairs))
        })
        .collect();
    println!("pairs of all {all_pairs} at int8 cos ≥ {}", shares.join(", "));
    println!(
        "size ratio {} %: removes {out_of_band} of the {passing} ({:.1} %), {} pairs emitted",
        ratio.percent(),
        percent(out_of_band, passing),
        passing - out_of_band
    );
}

/// Seconds of CPU time this thread has used (the machine may be shared: wall time overstates).
fn thread_cpu_seconds() -> f64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}

fn throughput(entries: &[Entry]) {
    println!("| N | size ratio | kernel | compared | emitted | wall s | CPU s | compared/CPU s | emitted/CPU s |");
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
    for ratio in [50, 0] {
        let params = JoinParams { threshold: Threshold::default(), size_ratio: SizeRatio::new(ratio).unwrap() };
        let mut reference = None;
        for kernel in Kernel::available() {
            let (mut emitted, mut digest) = (0u64, 0u64);
            let (wall, cpu) = (Instant::now(), thread_cpu_seconds());
            let stats = join_each(kernel, params, entries, |p| {
                emitted += 1;
                let bytes = [p.a.to_le_bytes(), p.b.to_le_bytes(), u64::from(p.score).to_le_bytes()].concat();
                digest = xxh3_64_with_seed(&bytes, digest);
            })
            .expect("unique keys");
            let (wall, cpu) = (wall.elapsed().as_secs_f64(), thread_cpu_seconds() - cpu);
            println!(
                "| {} | {ratio} % | {} | {} | {emitted} | {wall:.3} | {cpu:.3} | {:.3e} | {:.3e} |",
                entries.len(),
                kernel.name(),
                stats.compared,
                stats.compared as f64 / cpu,
                emitted as f64 / cpu
            );
            assert_eq!(*reference.get_or_insert(digest), digest, "kernel {} emits other pairs", kernel.name());
        }
    }
}

/// The incremental join on the same entries: all but the last [`BATCH`] restored, then one batch
/// inserting those and one removing them again, timed per kernel.
fn incremental(entries: &[Entry]) {
    let (resident, batch) = entries.split_at(entries.len().saturating_sub(BATCH));
    println!("| residents | batch | kernel | inserted: deltas, CPU s | removed: deltas, CPU s |");
    println!("|---:|---:|---|---:|---:|");
    for kernel in Kernel::available() {
        let mut join = CpuJoin::new(JoinParams::default(), Shard::whole(), kernel);
        join.restore(resident).expect("unique keys");
        let mut timed = |batch: Batch| {
            let cpu = thread_cpu_seconds();
            let deltas = join.apply(&batch).expect("a consistent batch");
            format!("{}, {:.3}", deltas.len(), thread_cpu_seconds() - cpu)
        };
        let inserted = timed(Batch { removed: vec![], inserted: batch.to_vec() });
        let removed = timed(Batch { removed: batch.to_vec(), inserted: vec![] });
        println!("| {} | {} | {} | {inserted} | {removed} |", resident.len(), batch.len(), kernel.name());
    }
}

fn duplicate_key(entries: &[Entry]) -> Option<i64> {
    let mut seen = std::collections::HashSet::new();
    entries.iter().find(|e| !seen.insert(e.key)).map(|e| e.key)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fail = |message: String| -> ! {
        eprintln!("similarity_recall: {message}");
        std::process::exit(2)
    };
    let Some(path) = args.first() else { fail("usage: similarity_recall FILE [N] [MIN_TOKENS]".into()) };
    let entries = File::open(path)
        .and_then(|file| read_entries(BufReader::new(file)))
        .unwrap_or_else(|e| fail(format!("{path}: {e}")));
    if let Some(key) = duplicate_key(&entries) {
        fail(format!("{path}: unit key {key} appears twice"));
    }
    let count = |at: usize, default: usize| match args.get(at) {
        Some(n) => n.parse().unwrap_or_else(|_| fail(format!("N and MIN_TOKENS are counts, not {n}"))),
        None => default,
    };
    let (limit, min_tokens) = (count(1, usize::MAX), count(2, 0));
    let sample: Vec<Entry> = entries.into_iter().filter(|e| e.size as usize >= min_tokens).take(limit).collect();
    println!("{} entries of {path} with at least {min_tokens} tokens", sample.len());
    recall(&sample[..sample.len().min(RECALL_SAMPLE)]);
    throughput(&sample);
    incremental(&sample);
}
