//! The similarity join of unit vectors (ARCHITECTURE §4a): which units are near-miss clone
//! candidates, exactly, on any device.
//!
//! - [`contract`]: the integer threshold test, the integer score, the size-ratio bound, the pair.
//! - [`vector`]: the int8 vector and the entry (key, size, vector) a join takes.
//! - [`kernel`]: int8 dot products, portable and x86-64 (AVX2, AVX-512 VNNI) chosen at run time.
//! - [`blocked`]: the cache-blocked scan of queries × rows that every join runs.
//! - [`self_join`]: the self-join of a set, size-sorted so that pairs outside the band are skipped,
//!   on one thread or split over threads by shard.
//! - [`store`]: resident vectors in slots with a free list (the layout a GPU mirrors).
//! - [`interface`]: the [`SimilarityJoin`] trait (batches in, pair deltas out) and its errors.
//! - `validate`: the checks of a batch that every join runs first.
//! - [`cpu`]: the CPU implementation, incremental and shardable.
//! - [`gpu`]: the GPU implementation (CUDA through cudarc, loaded at run time) and the choice of device.
//! - [`backend`]: which join a dataflow operator builds: CPU, or GPU on a chosen device.
//! - [`shard`]: which worker holds which vector, and how a dataflow operator uses the join.
//! - [`threaded`]: the incremental join with one shard per thread.
//! - [`verify`]: the token check of a candidate pair (LCS ratio), as NiCad does.
//! - [`verdicts`]: a bounded memo of token-check verdicts by the units' structural hashes.
//! - [`vector_file`]: a binary file of entries, for checks that run outside the engine (GPU).
//! - [`planted`]: vector pairs exactly at the integer threshold and one step either side.
//! - [`synthetic`]: random vectors with planted near-duplicates, from a seed.

pub mod backend;
pub mod blocked;
pub mod contract;
pub mod cpu;
pub mod gpu;
pub mod interface;
pub mod kernel;
pub mod planted;
pub mod self_join;
pub mod shard;
pub mod store;
pub mod synthetic;
pub mod threaded;
pub(crate) mod validate;
pub mod vector;
pub mod vector_file;
pub mod verdicts;
pub mod verify;

pub use backend::JoinBackend;
pub use contract::{similarity_percent, JoinParams, Pair, PairDelta, SizeRatio, Threshold, UnitKey};
pub use cpu::CpuJoin;
pub use gpu::GpuJoin;
pub use interface::{Batch, JoinError, SimilarityJoin};
pub use kernel::Kernel;
pub use self_join::{join_all, join_each, join_threads};
pub use shard::Shard;
pub use threaded::ThreadedJoin;
pub use vector::{Entry, Vector};

#[cfg(test)]
mod tests;
