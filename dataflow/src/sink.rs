//! Sink operators: each worker writes its share of every table as Parquet part files, one per
//! epoch, once the frontier has passed the epoch's times; one committer (worker 0) adds the parts
//! to the manifest and advances the durable time (ARCHITECTURE §6).

use crate::failure::JobFailure;
use cpt_connectors::sink::{OutputDir, PartFile, TableRow, Update};
use differential_dataflow::consolidation::consolidate_updates;
use differential_dataflow::{ExchangeData, VecCollection};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::Capability;
use timely::dataflow::Stream;

/// Part files written, as announced to the committer.
pub type Parts<'s> = Stream<'s, u64, Vec<PartFile>>;

/// How many times an epoch may span, and for how long complete times may wait to be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochPolicy {
    /// An epoch is written once it holds this many complete times…
    pub max_times: usize,
    /// …or once its first complete time has waited this long, or when the input ends.
    pub max_wait: Duration,
}

impl Default for EpochPolicy {
    fn default() -> Self {
        EpochPolicy { max_times: 1024, max_wait: Duration::from_secs(2) }
    }
}

impl EpochPolicy {
    /// Every time is written as soon as it is complete (a watch, where latency matters more than
    /// the number of part files).
    pub const IMMEDIATE: EpochPolicy = EpochPolicy { max_times: 1, max_wait: Duration::ZERO };
}

/// What a sink needs besides its rows.
#[derive(Clone)]
pub struct SinkContext {
    /// This worker's index (part files are per worker).
    pub worker: usize,
    /// The output folder.
    pub out: OutputDir,
    /// Epoch grouping.
    pub epochs: EpochPolicy,
    /// Where a write failure is recorded.
    pub failure: Arc<JobFailure>,
}

/// Writes a changelog table. Rows are exchanged by `key` (all updates of one row, and of one
/// unit or path, meet on one worker), held until the frontier passes their times, consolidated
/// per (row, time) and written as one part file per epoch; the parts are announced downstream.
pub fn write_table<'s, R, K>(rows: VecCollection<'s, u64, R, i64>, ctx: SinkContext, key: K) -> Parts<'s>
where
    R: TableRow + ExchangeData,
    K: Fn(&R) -> u64 + 'static,
{
    let name = format!("Sink({})", R::TABLE);
    let scope = rows.inner.scope();
    let by_key = Exchange::new(move |update: &(R, u64, i64)| key(&update.0));
    rows.inner.unary_frontier(by_key, &name, move |_capability, info| {
        let activator = scope.activator_for(info.address);
        let mut stash: Vec<(R, u64, i64)> = Vec::new();
        let mut times: BTreeSet<u64> = BTreeSet::new();
        let mut held: Option<Capability<u64>> = None;
        let mut waiting_since: Option<Instant> = None;
        move |(input, frontier), output| {
            input.for_each(|capability, data| {
                let earlier = held.as_ref().is_none_or(|c| capability.least().is_some_and(|t| t < c.time()));
                if earlier {
                    held = capability.retain_least(0);
                }
                times.extend(data.iter().map(|(_, t, _)| *t));
                stash.append(data);
            });
            let Some(capability) = held.as_ref() else { return };
            let frontier = frontier.frontier();
            let complete = times.iter().take_while(|t| !frontier.less_equal(t)).count();
            if complete == 0 {
                return;
            }
            let waited = waiting_since.get_or_insert_with(Instant::now).elapsed();
            if !frontier.is_empty() && complete < ctx.epochs.max_times && waited < ctx.epochs.max_wait {
                activator.activate_after(ctx.epochs.max_wait - waited);
                return;
            }
            let (mut ready, pending): (Vec<_>, Vec<_>) = stash.drain(..).partition(|(_, t, _)| !frontier.less_equal(t));
            stash = pending;
            times.retain(|t| frontier.less_equal(t));
            waiting_since = None;
            consolidate_updates(&mut ready);
            let updates: Vec<Update<R>> =
                ready.into_iter().map(|(row, time, diff)| Update { row, time, diff }).collect();
            match ctx.out.write_part(ctx.worker, &updates) {
                Ok(Some(part)) => output.session(capability).give(part),
                Ok(None) => {}
                Err(error) => ctx.failure.record(format!("writing table {}: {error:#}", R::TABLE)),
            }
            held = times.first().map(|least| capability.delayed(least));
        }
    })
}

/// Adds announced parts to the manifest on worker 0 whenever the frontier of all parts advances,
/// and marks the output complete when every input has closed. After a failed write nothing more
/// is committed, so the durable time never passes rows that are missing.
pub fn commit_parts(parts: Parts<'_>, worker: usize, out: OutputDir, failure: Arc<JobFailure>) {
    let to_committer = Exchange::new(|_part: &PartFile| 0u64);
    let mut pending: Vec<PartFile> = Vec::new();
    let mut durable: Option<u64> = None;
    let mut complete = false;
    parts.sink(to_committer, "Commit", move |(input, frontier)| {
        input.for_each(|_capability, data| pending.append(data));
        if worker != 0 || complete || failure.first().is_some() {
            return;
        }
        let frontier = frontier.frontier();
        let reached = match frontier.first() {
            None => pending.iter().map(|p| p.max_time).chain(durable).max().or(Some(0)),
            Some(&0) => None,
            Some(&t) => Some(t - 1),
        };
        let Some(reached) = reached else { return };
        let closing = frontier.is_empty();
        let (ready, later): (Vec<PartFile>, Vec<PartFile>) = pending.drain(..).partition(|p| p.max_time <= reached);
        pending = later;
        if !closing && durable == Some(reached) && ready.is_empty() {
            return;
        }
        if let Err(error) = out.commit(ready, reached, closing) {
            failure.record(format!("committing the manifest: {error:#}"));
        }
        durable = Some(reached);
        complete = closing;
    });
}
