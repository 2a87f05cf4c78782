//! Sink operators: each worker writes its share of every table as Parquet part files once the
//! frontier has passed their times, and one committer (worker 0) adds the parts to the manifest,
//! advancing the durable time (ARCHITECTURE §6).

use crate::failure::JobFailure;
use cpt_connectors::sink::{OutputDir, PartFile, TableRow, Update};
use differential_dataflow::consolidation::consolidate_updates;
use differential_dataflow::{ExchangeData, VecCollection};
use std::sync::Arc;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::Capability;
use timely::dataflow::Stream;

/// Part files written, as announced to the committer.
pub type Parts<'s> = Stream<'s, u64, Vec<PartFile>>;

/// Writes a changelog table: consolidated updates are held until the frontier passes their
/// times, then written as one part file per flush; the written parts are announced downstream.
pub fn write_table<'s, R>(
    rows: VecCollection<'s, u64, R, i64>,
    worker: usize,
    out: OutputDir,
    failure: Arc<JobFailure>,
) -> Parts<'s>
where
    R: TableRow + ExchangeData + std::hash::Hash,
{
    let name = format!("Sink({})", R::TABLE);
    rows.consolidate().inner.unary_frontier(Pipeline, &name, move |_capability, _info| {
        let mut stash: Vec<(R, u64, i64)> = Vec::new();
        let mut held: Option<Capability<u64>> = None;
        move |(input, frontier), output| {
            input.for_each(|capability, data| {
                let earlier = held.as_ref().is_none_or(|c| capability.least().is_some_and(|t| t < c.time()));
                if earlier {
                    held = capability.retain_least(0);
                }
                stash.append(data);
            });
            let Some(capability) = held.as_ref() else { return };
            let frontier = frontier.frontier();
            if frontier.less_equal(capability.time()) {
                return;
            }
            let (ready, pending): (Vec<_>, Vec<_>) = stash.drain(..).partition(|(_, t, _)| !frontier.less_equal(t));
            stash = pending;
            let mut ready = ready;
            consolidate_updates(&mut ready);
            let updates: Vec<Update<R>> =
                ready.into_iter().map(|(row, time, diff)| Update { row, time, diff }).collect();
            match out.write_part(worker, &updates) {
                Ok(Some(part)) => output.session(capability).give(part),
                Ok(None) => {}
                Err(error) => failure.record(format!("writing table {}: {error:#}", R::TABLE)),
            }
            held = match stash.iter().map(|(_, t, _)| *t).min() {
                Some(least) => Some(capability.delayed(&least)),
                None => None,
            };
        }
    })
}

/// Adds announced parts to the manifest on worker 0 whenever the frontier of all parts advances,
/// and marks the output complete when every input has closed.
pub fn commit_parts(parts: Parts<'_>, out: OutputDir, failure: Arc<JobFailure>) {
    let to_committer = Exchange::new(|_part: &PartFile| 0u64);
    let mut pending: Vec<PartFile> = Vec::new();
    let mut durable: Option<u64> = None;
    let mut complete = false;
    parts.sink(to_committer, "Commit", move |(input, frontier)| {
        input.for_each(|_capability, data| pending.append(data));
        if complete {
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
