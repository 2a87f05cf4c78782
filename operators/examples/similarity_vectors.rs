//! Test vectors for a device check of the similarity join (the GPU must emit exactly the CPU's
//! pairs), in the vector file format of `cpt_operators::similarity::vector_file`:
//!
//! `cargo run -p cpt-operators --example similarity_vectors -- write FILE [N] [SEED] [THETA]`
//! writes N entries (default 10,000): for θ (default 90) every planted threshold case (a pair at
//! equality and one step either side, dimensions permuted and signs flipped by the seed), the
//! extreme vectors (all −128, all 127, alternating), and clusters of random vectors over the whole
//! int8 range with a few components moved, so that many pairs fall near the threshold.
//!
//! `cargo run -p cpt-operators --example similarity_vectors -- pairs FILE [THETA] [RATIO]`
//! reads a file back and prints the CPU join's pairs, one `a b score` line each, in order.

use cpt_operators::model::VECTOR_DIMS;
use cpt_operators::similarity::planted::planted;
use cpt_operators::similarity::vector_file::{read_entries, write_entries};
use cpt_operators::similarity::{join_all, Entry, JoinParams, Kernel, SizeRatio, Threshold, Vector};
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};

/// Prints `message` and exits with status 2.
fn fail(message: String) -> ! {
    eprintln!("similarity_vectors: {message}");
    std::process::exit(2)
}

fn number<T: std::str::FromStr>(arg: Option<&String>, default: T, what: &str) -> T {
    arg.map_or(Ok(default), |s| s.parse()).unwrap_or_else(|_| fail(format!("{what} must be a number")))
}

fn threshold(percent: u32) -> Threshold {
    Threshold::new(percent).unwrap_or_else(|e| fail(e.to_string()))
}

/// N test entries for threshold `theta`, keys 0..N in a shuffled order.
fn test_entries(count: usize, seed: u64, theta: Threshold) -> Vec<Entry> {
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed.to_le_bytes(), [0; 8], [0; 8], [0; 8]].concat());
    let mut vectors = Vec::new();
    for case in 0..16 {
        let p = planted(theta, seed.wrapping_add(case));
        vectors.extend([p.a, p.at, p.below]);
        vectors.extend(p.above);
    }
    let planted_count = vectors.len();
    let alternating = Vector(std::array::from_fn(|i| if i % 2 == 0 { -128 } else { 127 }));
    vectors.extend([Vector([-128; VECTOR_DIMS]), Vector([127; VECTOR_DIMS]), alternating]);
    let mut base = Vector::ZERO;
    while vectors.len() < count {
        if vectors.len() % 8 == 0 {
            base = Vector(std::array::from_fn(|_| rng.next_u32() as i8));
        }
        let mut v = base;
        for _ in 0..rng.next_u32() % 6 {
            let dim = rng.next_u32() as usize % VECTOR_DIMS;
            v.0[dim] = v.0[dim].saturating_add((rng.next_u32() % 7) as i8 - 3);
        }
        vectors.push(v);
    }
    vectors.truncate(count);
    let mut keys: Vec<i64> = (0..count as i64).collect();
    for i in (1..keys.len()).rev() {
        keys.swap(i, rng.next_u64() as usize % (i + 1));
    }
    // Planted vectors share a size; the others spread over sizes 10..200 so that the ratio matters.
    let sizes = (0..count).map(|i| if i < planted_count { 100 } else { 10 + rng.next_u32() % 190 });
    keys.into_iter().zip(sizes).zip(vectors).map(|((key, size), vector)| Entry { key, size, vector }).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let open = |path: &String| File::open(path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    match (args.first().map(String::as_str), args.get(1)) {
        (Some("write"), Some(path)) => {
            let count = number(args.get(2), 10_000usize, "N");
            let seed = number(args.get(3), 1u64, "SEED");
            let entries = test_entries(count, seed, threshold(number(args.get(4), 90, "THETA")));
            let file = File::create(path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
            write_entries(BufWriter::new(file), &entries).unwrap_or_else(|e| fail(format!("{path}: {e}")));
            let back = read_entries(BufReader::new(open(path))).unwrap_or_else(|e| fail(format!("{path}: {e}")));
            if back != entries {
                fail(format!("{path} does not read back as written"));
            }
            println!("{} entries written to {path} and read back", entries.len());
        }
        (Some("pairs"), Some(path)) => {
            let entries = read_entries(BufReader::new(open(path))).unwrap_or_else(|e| fail(format!("{path}: {e}")));
            let ratio = number(args.get(3), 50, "RATIO");
            let params = JoinParams {
                threshold: threshold(number(args.get(2), 90, "THETA")),
                size_ratio: SizeRatio::new(ratio).unwrap_or_else(|e| fail(e.to_string())),
            };
            let (pairs, _) = join_all(Kernel::detect(), params, &entries).unwrap_or_else(|e| fail(e.to_string()));
            let mut out = std::io::stdout().lock();
            for pair in pairs {
                writeln!(out, "{} {} {}", pair.a, pair.b, pair.score).unwrap_or_else(|e| fail(e.to_string()));
            }
        }
        _ => fail("usage: similarity_vectors write FILE [N] [SEED] [THETA] | pairs FILE [THETA] [RATIO]".into()),
    }
}
