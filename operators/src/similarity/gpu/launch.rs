//! Finding the passing pairs of queries × rows on the device, piece by piece (see [`super::plan`]):
//! on the tensor path one `join_tiles` launch per piece; on the cuBLAS path an int8 GEMM per block
//! into a scratch block of dot products, then `threshold_block`. Either way the hits go to one
//! bounded buffer; a launch that found more than it holds is run again with a buffer big enough,
//! so no pair is ever lost.

use super::budget::{padded, Budget, BYTES_PER_HIT, TILE};
use super::device::{GpuDevice, GpuPath};
use super::hits::{decode, overflow, Hit};
use super::plan::{pieces, Piece};
use super::side::{device_error, DeviceSide};
use crate::model::VECTOR_DIMS;
use crate::similarity::contract::JoinParams;
use crate::similarity::interface::JoinError;
use cudarc::cublas::{result as blas, sys as blas_sys, CudaBlas};
use cudarc::driver::{CudaSlice, CudaStream, DevicePtr, DevicePtrMut, LaunchConfig, PushKernelArg};
use std::ffi::c_void;
use std::sync::Arc;

/// Queries per tensor-core launch: 512 query tiles, well under the grid's y limit of 65,535.
const QUERY_CHUNK: usize = 1 << 16;

/// Query tiles a `join_tiles` block walks against its row tile: enough to read each row tile
/// from device memory a few times per launch, few enough that a small batch still fills the GPU.
const QUERY_TILES_PER_BLOCK: usize = 16;

/// Dynamic shared memory of a `join_tiles` block: three of join.cu's `SharedTile` (128 rows of
/// 144 bytes, then a norm, a root and a size of 4 bytes each per row). Over the 48 KiB a kernel
/// gets unasked, so [`GpuDevice`] raises the kernel's limit when it loads it.
pub(super) const JOIN_SHARED_BYTES: u32 = 3 * TILE as u32 * (144 + 3 * 4);

/// Queries and rows per block of the cuBLAS path (a 64 MiB block of i32 dot products).
const BLAS_BLOCK: usize = 4096;

/// Hits a buffer starts with.
const FIRST_HIT_CAPACITY: usize = 1 << 16;

/// The first `count` vectors of a device side.
#[derive(Clone, Copy)]
pub(super) struct Side<'a> {
    pub data: &'a DeviceSide,
    pub count: usize,
}

/// The launches of one join on its stream: the hit buffer and, on the cuBLAS path, the handle and
/// the block of dot products.
pub(super) struct Finder {
    device: Arc<GpuDevice>,
    stream: Arc<CudaStream>,
    hits: CudaSlice<i32>,
    found: CudaSlice<u32>,
    capacity: usize,
    blas: Option<(CudaBlas, CudaSlice<i32>)>,
}

impl Finder {
    /// A finder for `device`'s path, its buffers accounted in `budget`.
    pub fn new(device: Arc<GpuDevice>, stream: Arc<CudaStream>, budget: &mut Budget) -> Result<Finder, JoinError> {
        budget.replace(0, FIRST_HIT_CAPACITY as u64 * BYTES_PER_HIT)?;
        let blas = match device.path() {
            GpuPath::Tensor => None,
            GpuPath::Cublas => {
                budget.replace(0, (BLAS_BLOCK * BLAS_BLOCK * 4) as u64)?;
                let handle = CudaBlas::new(Arc::clone(&stream)).map_err(|e| JoinError::Device(e.to_string()))?;
                Some((handle, stream.alloc_zeros(BLAS_BLOCK * BLAS_BLOCK).map_err(device_error)?))
            }
        };
        Ok(Finder {
            hits: stream.alloc_zeros(3 * FIRST_HIT_CAPACITY).map_err(device_error)?,
            found: stream.alloc_zeros(1).map_err(device_error)?,
            capacity: FIRST_HIT_CAPACITY,
            blas,
            device,
            stream,
        })
    }

    /// Every pair of `queries` × `rows` that passes `params` (threshold and size ratio); with
    /// `triangular` the two are one set and only `row > query` counts. Indices are the sides'.
    pub fn find(
        &mut self,
        queries: Side,
        rows: Side,
        triangular: bool,
        params: JoinParams,
        budget: &mut Budget,
    ) -> Result<Vec<Hit>, JoinError> {
        let (query_chunk, row_chunk) = match self.device.path() {
            GpuPath::Tensor => (QUERY_CHUNK, padded(rows.count)),
            GpuPath::Cublas => (BLAS_BLOCK, BLAS_BLOCK),
        };
        let mut hits = Vec::new();
        for piece in pieces(queries.count, rows.count, triangular, query_chunk, row_chunk) {
            loop {
                self.stream.memset_zeros(&mut self.found).map_err(device_error)?;
                self.launch(&piece, queries.data, rows.data, triangular, params)?;
                let found = self.stream.clone_dtoh(&self.found).map_err(device_error)?[0] as usize;
                match overflow(found, self.capacity) {
                    None => {
                        let raw = self.stream.clone_dtoh(&self.hits.slice(..3 * found)).map_err(device_error)?;
                        hits.extend(decode(&raw));
                        break;
                    }
                    Some(capacity) => self.grow(capacity, budget)?,
                }
            }
        }
        Ok(hits)
    }

    /// Replaces the hit buffer with one of `capacity` hits.
    fn grow(&mut self, capacity: usize, budget: &mut Budget) -> Result<(), JoinError> {
        budget.replace(self.capacity as u64 * BYTES_PER_HIT, capacity as u64 * BYTES_PER_HIT)?;
        self.hits = self.stream.alloc_zeros(3 * capacity).map_err(device_error)?;
        self.capacity = capacity;
        Ok(())
    }

    /// Launches the kernels of one piece on `stream`.
    fn launch(
        &mut self,
        piece: &Piece,
        queries: &DeviceSide,
        rows: &DeviceSide,
        triangular: bool,
        params: JoinParams,
    ) -> Result<(), JoinError> {
        let (q, r) = (piece.queries.start, piece.rows.start);
        let q_vectors = queries.vectors.slice(q * VECTOR_DIMS..);
        let (q_norms, q_roots, q_sizes) =
            (queries.norms.slice(q..), queries.roots.slice(q..), queries.sizes.slice(q..));
        let r_vectors = rows.vectors.slice(r * VECTOR_DIMS..);
        let (r_norms, r_roots, r_sizes) = (rows.norms.slice(r..), rows.roots.slice(r..), rows.sizes.slice(r..));
        let (q_count, q_base) = (piece.queries.len() as i32, q as i32);
        let (r_count, r_base) = (piece.rows.len() as i32, r as i32);
        let triangular = i32::from(triangular);
        let theta = i32::from(params.threshold.percent());
        let ratio = i32::from(params.size_ratio.percent());
        let capacity = self.capacity as u32;
        let (device, stream) = (&self.device, &self.stream);
        match &mut self.blas {
            None => {
                let config = LaunchConfig {
                    grid_dim: (piece.row_tiles() as u32, piece.query_tiles().div_ceil(QUERY_TILES_PER_BLOCK) as u32, 1),
                    block_dim: (256, 1, 1),
                    shared_mem_bytes: JOIN_SHARED_BYTES,
                };
                let mut launch = stream.launch_builder(&device.join_tiles);
                launch.arg(&q_vectors).arg(&q_norms).arg(&q_roots).arg(&q_sizes).arg(&q_count).arg(&q_base);
                launch.arg(&r_vectors).arg(&r_norms).arg(&r_roots).arg(&r_sizes).arg(&r_count).arg(&r_base);
                let per_block = QUERY_TILES_PER_BLOCK as i32;
                launch.arg(&triangular).arg(&theta).arg(&ratio).arg(&per_block);
                launch.arg(&mut self.hits).arg(&mut self.found).arg(&capacity);
                // SAFETY: the arguments match join_tiles's signature; every tile read lies inside
                // the sides, whose capacities are padded to whole tiles past the piece's start.
                unsafe { launch.launch(config) }.map(drop).map_err(device_error)
            }
            Some((handle, dots)) => {
                let padded_rows = padded(piece.rows.len()) as i32;
                gemm(handle, stream, &r_vectors, &q_vectors, dots, padded_rows, padded(piece.queries.len()) as i32)?;
                let blocks = (padded_rows as u32 * q_count as u32).div_ceil(256).min(65_536);
                let config = LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (256, 1, 1), shared_mem_bytes: 0 };
                let mut launch = stream.launch_builder(&device.threshold_block);
                launch.arg(&*dots).arg(&padded_rows);
                launch.arg(&q_norms).arg(&q_roots).arg(&q_sizes).arg(&q_count).arg(&q_base);
                launch.arg(&r_norms).arg(&r_roots).arg(&r_sizes).arg(&r_count).arg(&r_base);
                launch.arg(&triangular).arg(&theta).arg(&ratio);
                launch.arg(&mut self.hits).arg(&mut self.found).arg(&capacity);
                // SAFETY: the arguments match threshold_block's signature; it reads `padded_rows`
                // × `q_count` dot products, inside the block the GEMM wrote.
                unsafe { launch.launch(config) }.map(drop).map_err(device_error)
            }
        }
    }
}

/// `dots[r + q·m] = row r · query q` for the first `m` rows and `n` queries (both multiples of
/// [`TILE`]): cuBLAS int8 GEMM, i32 accumulation, column-major (rows as A, transposed).
fn gemm<R: DevicePtr<i8>, Q: DevicePtr<i8>>(
    handle: &CudaBlas,
    stream: &Arc<CudaStream>,
    rows: &R,
    queries: &Q,
    dots: &mut CudaSlice<i32>,
    m: i32,
    n: i32,
) -> Result<(), JoinError> {
    debug_assert!((m as usize).is_multiple_of(TILE) && (n as usize).is_multiple_of(TILE));
    let (alpha, beta) = (1i32, 0i32);
    let dims = VECTOR_DIMS as i32;
    let (a, _a) = rows.device_ptr(stream);
    let (b, _b) = queries.device_ptr(stream);
    let (c, _c) = dots.device_ptr_mut(stream);
    // SAFETY: A is m rows of 128 bytes, B n queries of 128 bytes, C m×n i32: all allocated that
    // large (sides and the block are padded); the scalars are host i32 as COMPUTE_32I wants.
    let status = unsafe {
        blas::gemm_ex(
            *handle.handle(),
            blas_sys::cublasOperation_t::CUBLAS_OP_T,
            blas_sys::cublasOperation_t::CUBLAS_OP_N,
            m,
            n,
            dims,
            (&alpha as *const i32).cast::<c_void>(),
            a as *const c_void,
            blas_sys::cudaDataType_t::CUDA_R_8I,
            dims,
            b as *const c_void,
            blas_sys::cudaDataType_t::CUDA_R_8I,
            dims,
            (&beta as *const i32).cast::<c_void>(),
            c as *mut c_void,
            blas_sys::cudaDataType_t::CUDA_R_32I,
            m,
            blas_sys::cublasComputeType_t::CUBLAS_COMPUTE_32I,
            blas_sys::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
        )
    };
    status.map_err(|e| JoinError::Device(format!("cuBLAS int8 GEMM: {e}")))
}
