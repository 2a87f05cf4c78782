//! One side of a device join in device memory — int8 vectors (128 bytes a row), norms, roots and
//! sizes, as structure of arrays with a capacity padded to whole tiles — and the host staging that
//! fills it: contiguously (a batch of queries) or slot by slot in place (the resident set).

use super::budget::{padded, Budget, BYTES_PER_VECTOR};
use crate::model::VECTOR_DIMS;
use crate::similarity::blocked::Rows;
use crate::similarity::interface::JoinError;
use cudarc::driver::{CudaSlice, CudaStream, DriverError};
use std::sync::Arc;

/// A failed device call as the join reports it.
pub(super) fn device_error(error: DriverError) -> JoinError {
    JoinError::Device(error.to_string())
}

/// Vectors with their norms, roots and sizes on the host, laid out as the device holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Staging {
    /// Row-major int8 components, `VECTOR_DIMS` per vector.
    pub vectors: Vec<i8>,
    /// `|v|²` of each.
    pub norms: Vec<i32>,
    /// `⌊|v|⌋` of each.
    pub roots: Vec<i32>,
    /// Sizes in tokens.
    pub sizes: Vec<u32>,
}

impl Staging {
    /// The vectors `indices` of `rows`, with sizes from `size_of`.
    pub fn of(rows: &Rows, indices: impl Iterator<Item = usize>, size_of: impl Fn(usize) -> u32) -> Staging {
        let mut staging = Staging::default();
        for i in indices {
            staging.vectors.extend_from_slice(&rows.vector(i).0);
            staging.norms.push(rows.norm(i));
            staging.roots.push(rows.root(i));
            staging.sizes.push(size_of(i));
        }
        staging
    }

    /// The number of vectors.
    pub fn len(&self) -> usize {
        self.norms.len()
    }
}

/// A side's device buffers.
#[derive(Debug)]
pub(super) struct DeviceSide {
    pub vectors: CudaSlice<i8>,
    pub norms: CudaSlice<i32>,
    pub roots: CudaSlice<i32>,
    pub sizes: CudaSlice<u32>,
    capacity: usize,
}

impl DeviceSide {
    /// Device bytes of a side of `capacity` vectors.
    fn bytes(capacity: usize) -> u64 {
        capacity as u64 * BYTES_PER_VECTOR
    }

    /// A zeroed side of at least `capacity` vectors (padded to tiles), accounted in `budget`.
    pub fn new(stream: &Arc<CudaStream>, capacity: usize, budget: &mut Budget) -> Result<DeviceSide, JoinError> {
        let capacity = padded(capacity);
        budget.replace(0, DeviceSide::bytes(capacity))?;
        let side = (|| {
            Ok(DeviceSide {
                vectors: stream.alloc_zeros(capacity * VECTOR_DIMS)?,
                norms: stream.alloc_zeros(capacity)?,
                roots: stream.alloc_zeros(capacity)?,
                sizes: stream.alloc_zeros(capacity)?,
                capacity,
            })
        })();
        side.map_err(|e| {
            budget.release(DeviceSide::bytes(capacity));
            device_error(e)
        })
    }

    /// Vectors the side holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Grows the side to hold `needed` vectors (by doubling, padded), keeping its first `used`.
    pub fn reserve(
        &mut self,
        stream: &Arc<CudaStream>,
        needed: usize,
        used: usize,
        budget: &mut Budget,
    ) -> Result<(), JoinError> {
        if needed <= self.capacity {
            return Ok(());
        }
        let mut grown = DeviceSide::new(stream, super::budget::grown(self.capacity, needed), budget)?;
        let copy = (|| {
            stream.memcpy_dtod(
                &self.vectors.slice(..used * VECTOR_DIMS),
                &mut grown.vectors.slice_mut(..used * VECTOR_DIMS),
            )?;
            stream.memcpy_dtod(&self.norms.slice(..used), &mut grown.norms.slice_mut(..used))?;
            stream.memcpy_dtod(&self.roots.slice(..used), &mut grown.roots.slice_mut(..used))?;
            stream.memcpy_dtod(&self.sizes.slice(..used), &mut grown.sizes.slice_mut(..used))
        })();
        let old = DeviceSide::bytes(self.capacity);
        copy.map_err(device_error)?;
        *self = grown;
        budget.release(old);
        Ok(())
    }

    /// Writes `staging` to the side's first vectors (the side holds them).
    pub fn fill(&mut self, stream: &Arc<CudaStream>, staging: &Staging) -> Result<(), JoinError> {
        let n = staging.len();
        (|| {
            stream.memcpy_htod(&staging.vectors, &mut self.vectors.slice_mut(..n * VECTOR_DIMS))?;
            stream.memcpy_htod(&staging.norms, &mut self.norms.slice_mut(..n))?;
            stream.memcpy_htod(&staging.roots, &mut self.roots.slice_mut(..n))?;
            stream.memcpy_htod(&staging.sizes, &mut self.sizes.slice_mut(..n))
        })()
        .map_err(device_error)
    }
}
