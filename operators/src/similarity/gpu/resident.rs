//! The resident set in device memory, mirroring the host [`ResidentStore`] slot for slot: it is
//! updated in place (the slots a batch frees or fills are scattered by `scatter_slots`), grows by
//! reallocation and copy up to the join's budget, and is never rebuilt per batch.

use super::budget::Budget;
use super::device::GpuDevice;
use super::side::{device_error, DeviceSide, Staging};
use crate::similarity::interface::JoinError;
use crate::similarity::store::ResidentStore;
use cudarc::driver::{CudaSlice, CudaStream, LaunchConfig, PushKernelArg};
use std::sync::Arc;

/// Threads per block of `scatter_slots`, 8 per vector.
const SCATTER_THREADS: u32 = 256;

/// The device mirror of a store's slots, and the buffers that carry updates to it.
pub(super) struct DeviceResidents {
    slots: DeviceSide,
    updates: DeviceSide,
    update_slots: CudaSlice<i32>,
}

impl DeviceResidents {
    /// An empty mirror, its first tiles accounted in `budget`.
    pub fn new(stream: &Arc<CudaStream>, budget: &mut Budget) -> Result<DeviceResidents, JoinError> {
        let slots = DeviceSide::new(stream, 0, budget)?;
        let updates = DeviceSide::new(stream, 0, budget)?;
        budget.replace(0, updates.capacity() as u64 * 4)?;
        let update_slots = stream.alloc_zeros(updates.capacity()).map_err(device_error)?;
        Ok(DeviceResidents { slots, updates, update_slots })
    }

    /// The slots as a join side.
    pub fn side(&self) -> &DeviceSide {
        &self.slots
    }

    /// Makes room for `needed` slots, keeping the first `used`; refused past the budget.
    pub fn reserve(
        &mut self,
        stream: &Arc<CudaStream>,
        needed: usize,
        used: usize,
        budget: &mut Budget,
    ) -> Result<(), JoinError> {
        self.slots.reserve(stream, needed, used, budget)
    }

    /// Copies `slots` of `store` (vectors, norms, roots, sizes; a free slot's zero vector) to the
    /// device, in place. The mirror must already hold every slot of the store.
    pub fn write(
        &mut self,
        device: &GpuDevice,
        stream: &Arc<CudaStream>,
        store: &ResidentStore,
        slots: &[usize],
        budget: &mut Budget,
    ) -> Result<(), JoinError> {
        if slots.is_empty() {
            return Ok(());
        }
        debug_assert!(store.rows().len() <= self.slots.capacity());
        if slots.len() > self.updates.capacity() {
            let previous = self.updates.capacity();
            self.updates.reserve(stream, slots.len(), 0, budget)?;
            budget.replace(previous as u64 * 4, self.updates.capacity() as u64 * 4)?;
            self.update_slots = stream.alloc_zeros(self.updates.capacity()).map_err(device_error)?;
        }
        let staging = Staging::of(store.rows(), slots.iter().copied(), |slot| store.size(slot));
        self.updates.fill(stream, &staging)?;
        let indices: Vec<i32> = slots.iter().map(|&slot| slot as i32).collect();
        stream.memcpy_htod(&indices, &mut self.update_slots).map_err(device_error)?;
        let count = slots.len() as i32;
        let config = LaunchConfig {
            grid_dim: ((slots.len() as u32 * 8).div_ceil(SCATTER_THREADS), 1, 1),
            block_dim: (SCATTER_THREADS, 1, 1),
            shared_mem_bytes: 0,
        };
        let updates = &self.updates;
        let mut launch = stream.launch_builder(&device.scatter_slots);
        launch
            .arg(&self.update_slots)
            .arg(&updates.vectors)
            .arg(&updates.norms)
            .arg(&updates.roots)
            .arg(&updates.sizes);
        launch.arg(&count);
        launch
            .arg(&mut self.slots.vectors)
            .arg(&mut self.slots.norms)
            .arg(&mut self.slots.roots)
            .arg(&mut self.slots.sizes);
        // SAFETY: the arguments match scatter_slots's signature; `count` updates are staged and
        // every slot index is below the mirror's capacity.
        unsafe { launch.launch(config) }.map(drop).map_err(device_error)
    }
}
