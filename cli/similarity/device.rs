//! Where a `cpt similarity` join runs: the `--device` choice, and the one place that maps a join
//! backend (the CPU on threads, or a GPU) to a self-join or an incremental join.

use clap::ValueEnum;
use cpt_operators::similarity::gpu::{GpuJoin, GpuMode};
use cpt_operators::similarity::{
    join_threads, Entry, JoinBackend, JoinParams, Kernel, Pair, Shard, SimilarityJoin, ThreadedJoin,
};
use std::sync::Arc;

/// A device that runs the join.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Device {
    /// This machine's CPU: the fastest kernel it has, one shard per thread.
    Cpu,
    /// The first usable GPU (or no run, saying why there is none).
    Gpu,
}

impl Device {
    /// How the GPU is looked for: never for the CPU, required for a GPU.
    pub fn mode(self) -> GpuMode {
        match self {
            Device::Cpu => GpuMode::Off,
            Device::Gpu => GpuMode::On,
        }
    }
}

/// What the JSON figures call the device, and what it computes with (kernel or GPU).
pub fn describe(backend: &JoinBackend) -> (&'static str, String) {
    match backend {
        JoinBackend::Cpu => ("cpu", Kernel::detect().name().to_string()),
        JoinBackend::Gpu { .. } => ("gpu", backend.description()),
    }
}

/// The self-join of `entries` on `backend` (the CPU on `threads` threads), its pairs folded into
/// accumulators `A` with `fold`; the accumulators, and the vector pairs compared.
pub fn self_join<A: Default + Send>(
    backend: &JoinBackend,
    params: JoinParams,
    entries: &[Entry],
    threads: u32,
    fold: impl Fn(&mut A, Pair) + Sync,
) -> anyhow::Result<(Vec<A>, u64)> {
    match backend {
        JoinBackend::Cpu => {
            let (folded, stats) = join_threads(Kernel::detect(), params, entries, threads, fold)?;
            Ok((folded, stats.compared))
        }
        JoinBackend::Gpu { device, memory_mib } => {
            let pairs = GpuJoin::new(Arc::clone(device), params, Shard::whole(), *memory_mib)?.join_all(entries)?;
            let mut folded = A::default();
            pairs.into_iter().for_each(|pair| fold(&mut folded, pair));
            // The device compares every pair; the size ratio is tested with the threshold.
            let n = entries.len() as u64;
            Ok((vec![folded], n * n.saturating_sub(1) / 2))
        }
    }
}

/// An empty incremental join on `backend` (the CPU on `threads` threads).
pub fn incremental(backend: &JoinBackend, params: JoinParams, threads: u32) -> anyhow::Result<Box<dyn SimilarityJoin>> {
    Ok(match backend {
        JoinBackend::Cpu => Box::new(ThreadedJoin::new(params, threads, Kernel::detect())),
        JoinBackend::Gpu { .. } => backend.join(params, Shard::whole())?,
    })
}
