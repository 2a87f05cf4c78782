//! Sink operators: each worker writes its share of every table as Parquet part files, one per
//! epoch, once the frontier has passed the epoch's times; one committer (worker 0) adds the parts
//! to the manifest and advances the durable time (ARCHITECTURE §6). A resumed run's sinks drop
//! every row at or before the durable time it resumes from: the output holds those already.

use crate::failure::JobFailure;
use crate::telemetry::{Stage, Telemetry};
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

/// How times are grouped into epochs, and for how long complete times may wait to be written.
///
/// Epochs are fixed spans of times, `[0, n)`, `[n, 2n)`, …, the same for every sink, so that
/// all tables reach each epoch's end together and the durable time advances epoch by epoch, even
/// for tables with rows at few times. A sink writes every complete time it holds once the epoch of
/// the oldest is complete, or once that time has waited `max_wait`, or when its input ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochPolicy {
    /// Times per epoch (`n`).
    pub max_times: usize,
    /// How long a complete time may wait for the rest of its epoch.
    pub max_wait: Duration,
}

impl EpochPolicy {
    /// The first time after the epoch that holds `time`.
    fn epoch_end(&self, time: u64) -> u64 {
        let span = self.max_times.max(1) as u64;
        (time / span).saturating_add(1).saturating_mul(span)
    }
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
    /// Rows at this time or earlier are dropped, not written (a resumed run's durable time).
    pub suppress_through: Option<u64>,
    /// Where write and commit times are added up.
    pub telemetry: Arc<Telemetry>,
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
                if let Some(through) = ctx.suppress_through {
                    data.retain(|(_, time, _)| *time > through);
                }
                if data.is_empty() {
                    return;
                }
                let earlier = held.as_ref().is_none_or(|c| capability.least().is_some_and(|t| t < c.time()));
                if earlier {
                    held = capability.retain_least(0);
                }
                times.extend(data.iter().map(|(_, t, _)| *t));
                stash.append(data);
            });
            let (Some(capability), Some(&oldest)) = (held.as_ref(), times.first()) else { return };
            let frontier = frontier.frontier();
            if frontier.less_equal(&oldest) {
                return;
            }
            let waited = waiting_since.get_or_insert_with(Instant::now).elapsed();
            let epoch_complete = !frontier.less_equal(&(ctx.epochs.epoch_end(oldest) - 1));
            if !frontier.is_empty() && !epoch_complete && waited < ctx.epochs.max_wait {
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
            let started = Instant::now();
            let written = ctx.out.write_part(ctx.worker, &updates);
            ctx.telemetry.spent(Stage::Write, started);
            match written {
                Ok(Some(part)) => output.session(capability).give(part),
                Ok(None) => {}
                Err(error) => ctx.failure.record(format!("writing table {}: {error:#}", R::TABLE)),
            }
            held = times.first().map(|least| capability.delayed(least));
        }
    })
}

/// Adds announced parts to the manifest on worker 0 whenever the frontier of all parts advances,
/// and marks the output complete when every input has closed. The durable time never passes rows
/// that are not committed: not a time the frontier has not passed, nor one held by a part still
/// waiting for later times (see [`durable_point`]), nor anything after a failed write.
/// `settle` runs before each commit: it makes durable what the committed rows were computed from
/// (the content cache's new analyses, which a resumed watch rebuilds its state from).
pub fn commit_parts(parts: Parts<'_>, ctx: SinkContext, settle: impl Fn() + 'static) {
    let SinkContext { worker, out, failure, telemetry, .. } = ctx;
    let to_committer = Exchange::new(|_part: &PartFile| 0u64);
    let mut pending: Vec<PartFile> = Vec::new();
    let mut durable: Option<u64> = out.durable_time();
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
            Some(&t) => durable_point(t - 1, &pending),
        };
        let Some(reached) = reached else { return };
        let closing = frontier.is_empty();
        if !closing && durable.is_some_and(|d| reached <= d) {
            return;
        }
        let (ready, later): (Vec<PartFile>, Vec<PartFile>) = pending.drain(..).partition(|p| p.max_time <= reached);
        pending = later;
        let parts = ready.len();
        let rows: u64 = ready.iter().map(|p| p.rows).sum();
        let started = Instant::now();
        settle();
        if let Err(error) = out.commit(ready, reached, closing) {
            failure.record(format!("committing the manifest: {error:#}"));
            return;
        }
        telemetry.spent(Stage::Commit, started);
        telemetry.durable_time.store(reached as i64, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(durable_time = reached, parts, rows, complete = closing, "epoch committed");
        durable = Some(reached);
        complete = closing;
    });
}

/// The latest time, at most `reached` (the last time the frontier has passed), that no pending
/// part straddles: a part holding times on both sides of it would leave rows at or before it
/// uncommitted. `None` when no time qualifies.
///
/// Sinks close epochs independently, so a part of one table may span times 5 to 10 while another
/// table's sink still holds time 8: the frontier has then passed 7, but the durable time must stay
/// at 4 until the first part can be committed whole.
pub fn durable_point(reached: u64, pending: &[PartFile]) -> Option<u64> {
    let mut point = Some(reached);
    while let Some(t) = point {
        let straddling = pending.iter().filter(|p| p.min_time <= t && t < p.max_time).map(|p| p.min_time).min();
        match straddling {
            Some(start) => point = start.checked_sub(1),
            None => break,
        }
    }
    point
}

#[cfg(test)]
mod tests {
    use super::durable_point;
    use cpt_connectors::sink::PartFile;

    fn part(min_time: u64, max_time: u64) -> PartFile {
        PartFile {
            table: "units".into(),
            file: format!("units/part-{min_time}-{max_time}"),
            worker: 0,
            min_time,
            max_time,
            rows: 1,
        }
    }

    #[test]
    fn the_durable_point_stops_before_a_part_that_straddles_it() {
        assert_eq!(durable_point(7, &[]), Some(7));
        assert_eq!(durable_point(7, &[part(2, 7), part(8, 9)]), Some(7));
        assert_eq!(durable_point(7, &[part(5, 10)]), Some(4));
        // Lowering the point below one part's start can land inside another part.
        assert_eq!(durable_point(7, &[part(5, 10), part(3, 6)]), Some(2));
        assert_eq!(durable_point(7, &[part(0, 10)]), None);
    }
}
