//! The kernels' CUDA C source (`join.cu`, built into the binary) and its compilation by NVRTC to
//! PTX for one architecture, at run time: compile errors show up here, as a reason, never a panic.

use cudarc::nvrtc::{compile_ptx_with_opts, CompileError, CompileOptions, Ptx};

/// The CUDA C source of the kernels.
pub const SOURCE: &str = include_str!("join.cu");

/// The kernels the source defines, by name.
pub mod names {
    /// Tensor-core tiles with the fused threshold.
    pub const JOIN_TILES: &str = "join_tiles";
    /// The threshold and compaction of a block of dot products (the cuBLAS path).
    pub const THRESHOLD_BLOCK: &str = "threshold_block";
    /// In-place updates of resident slots.
    pub const SCATTER_SLOTS: &str = "scatter_slots";
}

/// The oldest compute capability the kernels run on: int8 `mma.sync` m16n8k32 needs sm_80.
pub const MIN_CAPABILITY: (i32, i32) = (8, 0);

/// True when the NVRTC library can be loaded (cudarc panics on its first call otherwise).
pub fn nvrtc_present() -> bool {
    // SAFETY: only tries to load the library, as the first call would, and drops it.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// The kernels compiled to PTX for compute capability `major.minor`; the error is NVRTC's log.
/// The caller checks [`nvrtc_present`] first.
pub fn compile(major: i32, minor: i32) -> Result<Ptx, String> {
    let arch: &'static str = match (major, minor) {
        (8, 0) => "compute_80",
        (8, 6) => "compute_86",
        (8, 7) => "compute_87",
        (8, 9) => "compute_89",
        (9, 0) => "compute_90",
        (10, 0) => "compute_100",
        (12, 0) => "compute_120",
        // Newer or unlisted devices take sm_80 PTX, which the driver compiles for them.
        _ => "compute_80",
    };
    let options =
        CompileOptions { arch: Some(arch), options: vec!["--std=c++17".to_string()], ..CompileOptions::default() };
    compile_ptx_with_opts(SOURCE, options).map_err(|error| {
        let detail = match error {
            CompileError::CompileError { log, .. } => log.to_string_lossy().into_owned(),
            other => other.to_string(),
        };
        format!("NVRTC could not compile the kernels for {arch}: {detail}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compiles the kernels with the real NVRTC where the library is found (CI installs the
    /// `nvidia-cuda-nvrtc-cu12` wheel, points `LD_LIBRARY_PATH` at it and sets
    /// `CPT_NVRTC_REQUIRED`, so that there it cannot skip); needs no GPU.
    #[test]
    fn the_kernels_compile_for_ampere_and_hopper() {
        if !nvrtc_present() {
            assert!(
                std::env::var_os("CPT_NVRTC_REQUIRED").is_none(),
                "CPT_NVRTC_REQUIRED is set but libnvrtc is not found"
            );
            eprintln!("SKIPPED: libnvrtc not found (pip install nvidia-cuda-nvrtc-cu12 and add its lib folder to LD_LIBRARY_PATH)");
            return;
        }
        for (major, minor) in [(8, 0), (9, 0)] {
            let ptx = compile(major, minor).unwrap_or_else(|log| panic!("sm_{major}{minor}: {log}"));
            let text = ptx.to_src();
            for name in [names::JOIN_TILES, names::THRESHOLD_BLOCK, names::SCATTER_SLOTS] {
                assert!(text.contains(&format!(".entry {name}")), "sm_{major}{minor}: no kernel {name}");
            }
            assert!(text.contains("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32"), "sm_{major}{minor}");
        }
    }
}
