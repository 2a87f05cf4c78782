//! Which similarity join a dataflow operator builds for its shard: the CPU join with the best
//! kernel, or the GPU join on a device chosen once per process (`--gpu`). Both keep the contract
//! of ARCHITECTURE §4a, so the choice never changes results (and is not in the config hash).

use super::contract::JoinParams;
use super::cpu::CpuJoin;
use super::gpu::{GpuDevice, GpuJoin};
use super::interface::{JoinError, SimilarityJoin};
use super::kernel::Kernel;
use super::shard::Shard;
use std::sync::Arc;

/// The device the joins of a process run on.
#[derive(Clone, Debug, Default)]
pub enum JoinBackend {
    /// The CPU, with the fastest kernel this machine has.
    #[default]
    Cpu,
    /// One GPU shared by the workers of the process, each join holding at most `memory_mib` MiB.
    Gpu {
        /// The device, with its kernels loaded.
        device: Arc<GpuDevice>,
        /// Device memory per join, in MiB (the process's `--gpu-memory` over its workers).
        memory_mib: u64,
    },
}

impl JoinBackend {
    /// A fresh join of `shard` under `params` on this backend (a GPU join fails when the device
    /// refuses it a stream).
    pub fn join(&self, params: JoinParams, shard: Shard) -> Result<Box<dyn SimilarityJoin>, JoinError> {
        Ok(match self {
            JoinBackend::Cpu => Box::new(CpuJoin::new(params, shard, Kernel::detect())),
            JoinBackend::Gpu { device, memory_mib } => {
                Box::new(GpuJoin::new(Arc::clone(device), params, shard, *memory_mib)?)
            }
        })
    }

    /// The backend in words, for logs.
    pub fn description(&self) -> String {
        match self {
            JoinBackend::Cpu => format!("CPU ({} kernel)", Kernel::detect().name()),
            JoinBackend::Gpu { device, memory_mib } => {
                format!("{} (up to {memory_mib} MiB per join)", device.description())
            }
        }
    }
}
