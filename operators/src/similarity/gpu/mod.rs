//! The similarity join on a GPU (ARCHITECTURE §4a), through cudarc with dynamic loading: the same
//! binary runs where no CUDA is installed, and finds out at run time whether a GPU is usable.
//!
//! - [`choice`]: the `--gpu auto|off|on` decision.
//! - [`device`]: finding a usable device and loading the kernels on it, or the reason it is not.
//! - [`source`]: the kernels' CUDA C source (`join.cu`) and its NVRTC compilation.
//! - [`budget`]: the device memory a join may hold (`--gpu-memory`) and the tile padding.
//! - [`plan`]: how a join of queries × rows is cut into launches.
//! - [`side`]: one side of a join (vectors, norms, roots, sizes) in device memory.
//! - [`resident`]: the resident set on the device, slots updated in place.
//! - [`launch`]: the launches that find passing pairs (tensor cores, or cuBLAS then a threshold).
//! - [`hits`]: what the launches find, made into pair deltas.
//! - [`join`]: [`GpuJoin`], the [`SimilarityJoin`](super::SimilarityJoin) of a shard on a device.

pub mod budget;
pub mod choice;
pub mod device;
pub mod hits;
pub mod join;
mod launch;
pub mod plan;
mod resident;
mod side;
pub mod source;

pub use choice::{choose, GpuChoice, GpuMode, GpuRequired};
pub use device::{GpuDevice, GpuPath, Unusable};
pub use join::GpuJoin;
