//! Where a `cpt similarity` join runs: the one place that maps a device to a join.

use clap::ValueEnum;
use cpt_operators::similarity::{join_threads, Entry, JoinParams, Kernel, Pair, SimilarityJoin, ThreadedJoin};

/// A device that runs the join.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Device {
    /// This machine's CPU: the fastest kernel it has, one shard per thread.
    Cpu,
}

impl Device {
    /// What the JSON figures call the device, with the kernel it uses.
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            Device::Cpu => ("cpu", Kernel::detect().name()),
        }
    }

    /// The self-join of `entries` on `threads` threads, each folding its pairs into an `A` with
    /// `fold`; the accumulators, and the vector pairs compared.
    pub fn self_join<A: Default + Send>(
        self,
        params: JoinParams,
        entries: &[Entry],
        threads: u32,
        fold: impl Fn(&mut A, Pair) + Sync,
    ) -> anyhow::Result<(Vec<A>, u64)> {
        match self {
            Device::Cpu => {
                let (folded, stats) = join_threads(Kernel::detect(), params, entries, threads, fold)?;
                Ok((folded, stats.compared))
            }
        }
    }

    /// An empty incremental join on `threads` threads.
    pub fn incremental(self, params: JoinParams, threads: u32) -> Box<dyn SimilarityJoin> {
        match self {
            Device::Cpu => Box::new(ThreadedJoin::new(params, threads, Kernel::detect())),
        }
    }
}
