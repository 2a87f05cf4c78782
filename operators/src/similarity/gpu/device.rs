//! Finding a usable GPU: the CUDA driver library, a device of compute capability 8.0 or newer,
//! NVRTC, the kernels compiled and loaded for it, and cuBLAS when its path is wanted. Every step
//! that fails gives an [`Unusable`] reason; none panics (each library's presence is checked
//! before cudarc's first call into it, which would panic inside a `OnceLock` otherwise).

use super::launch::JOIN_SHARED_BYTES;
use super::source::{self, names, MIN_CAPABILITY};
use cudarc::driver::sys::CUfunction_attribute;
use cudarc::driver::{CudaContext, CudaFunction, DriverError};
use std::sync::Arc;

/// Which device path computes the dot products.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GpuPath {
    /// The tensor-core kernel with the threshold fused (`join_tiles`).
    #[default]
    Tensor,
    /// cuBLAS int8 GEMM per block, then the threshold kernel: the fallback and the yardstick.
    Cublas,
}

impl GpuPath {
    /// The path's name, as `--gpu-path` writes it.
    pub fn name(self) -> &'static str {
        match self {
            GpuPath::Tensor => "tensor",
            GpuPath::Cublas => "cublas",
        }
    }
}

/// Why no GPU join can run here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    /// libcuda (the driver) is not installed.
    #[error("no CUDA driver library (libcuda.so) could be loaded")]
    NoDriver,
    /// The driver sees no device.
    #[error("the CUDA driver sees no device")]
    NoDevice,
    /// The device is older than the kernels need.
    #[error("GPU {name} has compute capability {major}.{minor}; the join needs 8.0 or newer")]
    TooOld {
        /// The device's name.
        name: String,
        /// Compute capability, major.
        major: i32,
        /// Compute capability, minor.
        minor: i32,
    },
    /// libnvrtc (the run-time compiler) is not installed.
    #[error("no NVRTC library (libnvrtc.so) could be loaded to compile the kernels")]
    NoNvrtc,
    /// The kernels did not compile or load.
    #[error("{0}")]
    Kernels(String),
    /// libcublas is not installed (only for the cuBLAS path).
    #[error("the cuBLAS path was asked for but no libcublas.so could be loaded")]
    NoCublas,
    /// A driver call failed.
    #[error("the CUDA driver failed: {0}")]
    Driver(String),
}

impl From<DriverError> for Unusable {
    fn from(error: DriverError) -> Unusable {
        Unusable::Driver(error.to_string())
    }
}

/// A usable GPU: its context and the kernels loaded on it.
#[derive(Debug)]
pub struct GpuDevice {
    pub(super) context: Arc<CudaContext>,
    pub(super) join_tiles: CudaFunction,
    pub(super) threshold_block: CudaFunction,
    pub(super) scatter_slots: CudaFunction,
    pub(super) path: GpuPath,
    description: String,
}

impl GpuDevice {
    /// Opens device `ordinal` with the kernels of `path` loaded, or says why it cannot.
    pub fn open(ordinal: usize, path: GpuPath) -> Result<GpuDevice, Unusable> {
        // SAFETY: only tries to load the library and drops it.
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return Err(Unusable::NoDriver);
        }
        if CudaContext::device_count()? <= ordinal as i32 {
            return Err(Unusable::NoDevice);
        }
        let context = CudaContext::new(ordinal)?;
        let name = context.name()?;
        let (major, minor) = context.compute_capability()?;
        if (major, minor) < MIN_CAPABILITY {
            return Err(Unusable::TooOld { name, major, minor });
        }
        if !source::nvrtc_present() {
            return Err(Unusable::NoNvrtc);
        }
        // SAFETY: only tries to load the library and drops it.
        if path == GpuPath::Cublas && !unsafe { cudarc::cublas::sys::is_culib_present() } {
            return Err(Unusable::NoCublas);
        }
        let ptx = source::compile(major, minor).map_err(Unusable::Kernels)?;
        let module = context.load_module(ptx).map_err(|e| Unusable::Kernels(format!("loading the kernels: {e}")))?;
        let load = |name: &str| {
            module.load_function(name).map_err(|e| Unusable::Kernels(format!("loading kernel {name}: {e}")))
        };
        let memory_mib = context.total_mem()? >> 20;
        let join_tiles = load(names::JOIN_TILES)?;
        join_tiles
            .set_attribute(
                CUfunction_attribute::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                JOIN_SHARED_BYTES as i32,
            )
            .map_err(|e| {
                Unusable::Kernels(format!("giving join_tiles {JOIN_SHARED_BYTES} bytes of shared memory: {e}"))
            })?;
        Ok(GpuDevice {
            join_tiles,
            threshold_block: load(names::THRESHOLD_BLOCK)?,
            scatter_slots: load(names::SCATTER_SLOTS)?,
            context,
            path,
            description: format!("GPU {ordinal}: {name}, sm_{major}{minor}, {memory_mib} MiB, {} path", path.name()),
        })
    }

    /// The device in words: ordinal, name, architecture, memory and path.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The path that computes dot products.
    pub fn path(&self) -> GpuPath {
        self.path
    }
}
