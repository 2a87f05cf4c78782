//! Measures `analyze` throughput on one thread over every source file under a directory:
//! `cargo run --release -p cpt-operators --example throughput -- DIR`.

use cpt_operators::analyze::analyze;
use cpt_operators::model::{AnalysisConfig, Lang};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let root = std::env::args().nth(1).expect("usage: throughput DIR");
    let mut stack = vec![PathBuf::from(root)];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(lang) = Lang::from_path(path.to_string_lossy().as_bytes()) {
                files.push((std::fs::read(&path).unwrap_or_default(), lang));
            }
        }
    }
    let cfg = AnalysisConfig::default();
    let bytes: usize = files.iter().map(|(b, _)| b.len()).sum();
    let start = Instant::now();
    let units: usize = files.iter().map(|(b, l)| analyze(b, *l, &cfg).units.len()).sum();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} files, {:.1} MB, {units} units in {secs:.2} s: {:.1} MB/s",
        files.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs
    );
}
