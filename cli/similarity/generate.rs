//! `cpt similarity generate`: random vectors with planted near-duplicates, as a vector file.

use super::{file, Failure};
use clap::Args;
use cpt_operators::similarity::synthetic::generate;
use cpt_operators::similarity::Threshold;
use std::path::PathBuf;

/// Options of `cpt similarity generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Vectors to write.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub count: u64,
    /// The share of the vectors that are near-duplicates of others, in percent (at most 50).
    #[arg(long, value_name = "PCT", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=50))]
    pub near_duplicates: u8,
    /// The seed: the same seed writes the same vectors.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// The near-duplicates' cosine similarity with their originals is at least PERCENT.
    #[arg(long, value_name = "PERCENT", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub similarity: u32,
    /// The vector file to write.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

/// Runs `cpt similarity generate`.
pub(super) fn run(args: GenerateArgs) -> Result<(), Failure> {
    let threshold = Threshold::new(args.similarity).expect("clap keeps --similarity in 1..=100");
    let count = usize::try_from(args.count).map_err(|_| Failure::Usage("--count is too large here".into()))?;
    let synthetic = generate(count, args.near_duplicates, threshold, args.seed);
    file::write(&args.to, &synthetic.entries)?;
    eprintln!(
        "cpt similarity generate: {} vectors, {} of them planted near-duplicates, written to {}",
        synthetic.entries.len(),
        synthetic.planted.len(),
        args.to.display()
    );
    Ok(())
}
