//! [`GpuJoin`]: the [`SimilarityJoin`] of one shard with its residents in device memory, with
//! exactly [`CpuJoin`](crate::similarity::CpuJoin)'s semantics — the same checks, shard
//! ownership, size ratio, retractions first, restore, deltas sorted and consolidated by sign.
//!
//! The host keeps the [`ResidentStore`] (keys, sizes, slot map, free list, and the vectors that
//! removals are checked against); the device mirrors its slots. Per batch, the removed and the
//! inserted vectors go to the device as one side, joined in one pass against the residents
//! except the slots leaving (what stays) and in one pass among themselves (a removed and an
//! inserted vector never pair); then the leaving slots are freed and the inserted vectors written
//! to theirs. Only the changed vectors cross the bus; hits come back as (query, row, dot) and get
//! keys and exact scores on the host.

use super::budget::Budget;
use super::device::GpuDevice;
use super::hits::{cross_deltas, within_deltas};
use super::launch::{Finder, Side};
use super::resident::DeviceResidents;
use super::side::{device_error, DeviceSide, Staging};
use crate::similarity::blocked::Rows;
use crate::similarity::contract::{JoinParams, Pair, PairDelta};
use crate::similarity::interface::{consolidate_by_sign, Batch, JoinError, SimilarityJoin};
use crate::similarity::shard::Shard;
use crate::similarity::store::ResidentStore;
use crate::similarity::validate::{check_batch, check_insertions};
use crate::similarity::vector::Entry;
use cudarc::driver::CudaStream;
use std::collections::HashSet;
use std::sync::Arc;

/// The GPU similarity join of one shard.
pub struct GpuJoin {
    params: JoinParams,
    shard: Shard,
    store: ResidentStore,
    device: Arc<GpuDevice>,
    stream: Arc<CudaStream>,
    budget: Budget,
    residents: DeviceResidents,
    queries: DeviceSide,
    finder: Finder,
}

impl GpuJoin {
    /// An empty join of `shard` under `params` on `device`, holding at most `memory_mib` MiB of
    /// device memory; fails when the device refuses a stream or the first buffers.
    pub fn new(
        device: Arc<GpuDevice>,
        params: JoinParams,
        shard: Shard,
        memory_mib: u64,
    ) -> Result<GpuJoin, JoinError> {
        let stream = device.context.new_stream().map_err(device_error)?;
        let mut budget = Budget::new(memory_mib);
        let residents = DeviceResidents::new(&stream, &mut budget)?;
        let queries = DeviceSide::new(&stream, 0, &mut budget)?;
        let finder = Finder::new(Arc::clone(&device), Arc::clone(&stream), &mut budget)?;
        Ok(GpuJoin {
            params,
            shard,
            store: ResidentStore::default(),
            device,
            stream,
            budget,
            residents,
            queries,
            finder,
        })
    }

    /// The self-join of `entries` (each pair once, sorted), on the device, leaving the residents
    /// as they are: what [`join_all`](crate::similarity::join_all) computes on the CPU.
    pub fn join_all(&mut self, entries: &[Entry]) -> Result<Vec<Pair>, JoinError> {
        check_insertions(&ResidentStore::default(), Shard::whole(), entries, &HashSet::new())?;
        self.queries.reserve(&self.stream, entries.len(), 0, &mut self.budget)?;
        let rows = self.upload(entries)?;
        let queries = Side { data: &self.queries, count: entries.len() };
        let hits = self.finder.find(queries, queries, true, self.params, &mut self.budget)?;
        let mut deltas = Vec::with_capacity(hits.len());
        within_deltas(&hits, entries, &rows, Shard::whole(), |_| 1, &mut deltas);
        let mut pairs: Vec<Pair> = deltas.into_iter().map(|(pair, _)| pair).collect();
        pairs.sort_unstable();
        Ok(pairs)
    }

    /// Makes room on the device, before anything changes, for a batch of `changes` vectors on a
    /// side and the store's slots after inserting `arriving` owned entries (an upper bound: freed
    /// slots are reused first).
    fn reserve(&mut self, changes: usize, arriving: usize) -> Result<(), JoinError> {
        self.queries.reserve(&self.stream, changes, 0, &mut self.budget)?;
        let used = self.store.rows().len();
        self.residents.reserve(&self.stream, used + arriving, used, &mut self.budget)
    }

    /// Writes `entries` (at most the query side's capacity) to the query side and returns them
    /// as host rows.
    fn upload(&mut self, entries: &[Entry]) -> Result<Rows, JoinError> {
        let rows = Rows::new(entries.iter().map(|e| e.vector).collect());
        self.queries.fill(&self.stream, &Staging::of(&rows, 0..entries.len(), |i| entries[i].size))?;
        Ok(rows)
    }

    /// Appends the pair deltas of a batch's `changes` (its removed vectors, then its inserted
    /// ones; `diff` gives each index its sign) with the residents outside the sorted slots
    /// `leaving`, and among themselves where this shard owns the pair: one pass of each.
    fn join_changes(
        &mut self,
        changes: &[Entry],
        leaving: &[usize],
        diff: impl Fn(usize) -> i64 + Copy,
        deltas: &mut Vec<PairDelta>,
    ) -> Result<(), JoinError> {
        if changes.is_empty() {
            return Ok(());
        }
        let rows = self.upload(changes)?;
        let queries = Side { data: &self.queries, count: changes.len() };
        let residents = Side { data: self.residents.side(), count: self.store.rows().len() };
        let cross = self.finder.find(queries, residents, false, self.params, &mut self.budget)?;
        cross_deltas(&cross, changes, &rows, &self.store, leaving, diff, deltas);
        let within = self.finder.find(queries, queries, true, self.params, &mut self.budget)?;
        within_deltas(&within, changes, &rows, self.shard, diff, deltas);
        Ok(())
    }

    /// Applies a checked batch whose room is reserved. The removed and the inserted vectors are
    /// joined in one pass against the residents as they were, less the slots leaving: what stays
    /// is what the removed vectors had pairs with and what the inserted ones meet.
    fn apply_checked(&mut self, batch: &Batch) -> Result<Vec<PairDelta>, JoinError> {
        let mut deltas = Vec::new();
        let mut leaving: Vec<usize> = batch.removed.iter().filter_map(|e| self.store.slot_of(e.key)).collect();
        leaving.sort_unstable();
        let changes: Vec<Entry> = batch.removed.iter().chain(&batch.inserted).copied().collect();
        let removed = batch.removed.len();
        self.join_changes(&changes, &leaving, |index| if index < removed { -1 } else { 1 }, &mut deltas)?;
        for entry in &batch.removed {
            self.store.remove(entry.key);
        }
        self.residents.write(&self.device, &self.stream, &self.store, &leaving, &mut self.budget)?;
        self.insert_owned(&batch.inserted)?;
        self.stream.synchronize().map_err(device_error)?;
        consolidate_by_sign(&mut deltas);
        Ok(deltas)
    }

    /// Puts the owned `entries` in slots on the host and on the device.
    fn insert_owned(&mut self, entries: &[Entry]) -> Result<(), JoinError> {
        let slots: Vec<usize> =
            entries.iter().filter(|e| self.shard.owns(e.key)).map(|entry| self.store.insert(entry)).collect();
        self.residents.write(&self.device, &self.stream, &self.store, &slots, &mut self.budget)
    }
}

impl SimilarityJoin for GpuJoin {
    fn apply(&mut self, batch: &Batch) -> Result<Vec<PairDelta>, JoinError> {
        check_batch(&self.store, self.shard, batch)?;
        let arriving = batch.inserted.iter().filter(|e| self.shard.owns(e.key)).count();
        self.reserve(batch.removed.len() + batch.inserted.len(), arriving)?;
        self.apply_checked(batch).map_err(broken)
    }

    fn restore(&mut self, entries: &[Entry]) -> Result<(), JoinError> {
        check_insertions(&self.store, self.shard, entries, &HashSet::new())?;
        self.reserve(0, entries.iter().filter(|e| self.shard.owns(e.key)).count())?;
        self.insert_owned(entries).map_err(broken)?;
        self.stream.synchronize().map_err(device_error)
    }

    fn resident(&self) -> usize {
        self.store.len()
    }
}

/// An error met after a batch began to change the join (a buffer that could not grow): the join is
/// then half-changed, so even a refusal is reported as a broken join.
fn broken(error: JoinError) -> JoinError {
    match error {
        JoinError::DeviceMemory { .. } => JoinError::Device(format!("{error}, in the middle of a batch")),
        other => other,
    }
}
