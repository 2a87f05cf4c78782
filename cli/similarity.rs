//! `cpt similarity`: the near-miss join outside a scan, on vector files (`CPTVEC01`, see
//! `cpt_operators::similarity::vector_file`): export an output folder's unit vectors, generate
//! synthetic ones, run the self-join, time one incremental batch. Each command is a module.

mod delta;
mod device;
mod export;
mod file;
mod generate;
mod join;

use crate::GpuTuning;
use clap::{Args, Subcommand};
use cpt_operators::similarity::gpu::GpuRequired;
use cpt_operators::similarity::{JoinBackend, JoinParams, SizeRatio, Threshold};
use device::Device;
use std::process::ExitCode;

/// What to do with vectors.
#[derive(Subcommand, Debug)]
pub enum SimilarityCommand {
    /// Write the unit vectors of an output folder (its state at the last time; units other than
    /// file units, with a non-zero vector) to a vector file, sorted by unit key.
    #[command(after_help = EXPORT_EXAMPLES)]
    Export(export::ExportArgs),
    /// Write random vectors, a share of them planted near-duplicates (perturbed copies that stay
    /// above the threshold), the same for the same seed.
    Generate(generate::GenerateArgs),
    /// The self-join of a vector file (or its first N vectors as queries against all); prints
    /// one JSON line of figures.
    #[command(after_help = JOIN_EXAMPLES)]
    Join(join::JoinArgs),
    /// Time one incremental batch: hold every vector of a file, then change N of them at once
    /// (removed and re-inserted slightly moved); prints one JSON line (median of repeats).
    Delta(delta::DeltaArgs),
}

const EXPORT_EXAMPLES: &str = "Examples:
  cpt scan . --out /tmp/out && cpt similarity export /tmp/out --to units.vec
  cpt similarity export /tmp/out --to sample.vec --limit 100000   the first 100,000 by unit key (a hash: a random sample)";

const JOIN_EXAMPLES: &str = "Examples:
  cpt similarity join units.vec -w 2                      the self-join at 90 % on two threads
  cpt similarity join units.vec --size-ratio 0            every pair, whatever the units' sizes
  cpt similarity join units.vec --queries 1000 --pairs pairs.txt   the first 1,000 vectors against all";

/// The join's parameters and where it runs, shared by `join` and `delta`.
#[derive(Args, Debug)]
pub struct JoinOptions {
    /// Pairs whose vectors' cosine similarity reaches PERCENT.
    #[arg(long, value_name = "PERCENT", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub similarity: u32,
    /// Only pairs whose token counts are within PERCENT of each other (100·min ≥ PERCENT·max; 0: any sizes).
    #[arg(long, value_name = "PERCENT", default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub size_ratio: u32,
    /// Where the join runs.
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    pub device: Device,
    /// How a GPU join runs (with --device gpu).
    #[command(flatten)]
    pub gpu: GpuTuning,
    /// Threads of the join.
    #[arg(short = 'w', long = "workers", default_value_t = crate::default_workers(), value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub workers: u32,
}

impl JoinOptions {
    /// The join parameters (clap has already kept both percentages in range).
    fn params(&self) -> JoinParams {
        JoinParams {
            threshold: Threshold::new(self.similarity).expect("clap keeps --similarity in 1..=100"),
            size_ratio: SizeRatio::new(self.size_ratio).expect("clap keeps --size-ratio in 0..=100"),
        }
    }

    /// The backend of --device: the CPU, or the first usable GPU with all of --gpu-memory for its
    /// one join (none usable: a usage error saying why).
    fn backend(&self) -> Result<JoinBackend, Failure> {
        self.gpu.backend(self.device.mode(), 1).map_err(|GpuRequired(why)| {
            Failure::Usage(format!("--device gpu: no usable GPU: {why} (write --device cpu to join on the CPU)"))
        })
    }
}

/// Runs a `cpt similarity` command and returns the exit code: 2 for a command line that cannot
/// run as written, 1 for a file that cannot be read or written.
pub fn run(command: SimilarityCommand) -> ExitCode {
    let result = match command {
        SimilarityCommand::Export(args) => export::run(args),
        SimilarityCommand::Generate(args) => generate::run(args),
        SimilarityCommand::Join(args) => join::run(args),
        SimilarityCommand::Delta(args) => delta::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => crate::usage_error(&message),
        Err(Failure::Run(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Why a command stopped.
#[derive(Debug)]
enum Failure {
    /// The command line cannot run as written (exit 2); the message says what to write instead.
    Usage(String),
    /// A file could not be read or written (exit 1).
    Run(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Run(error)
    }
}

/// Prints `figures` as one JSON line on stdout.
fn print_json(figures: serde_json::Value) {
    println!("{figures}");
}
