//! Running the graph on timely worker threads, driven by a source: the source feeds file events
//! and errors at increasing times through a [`Driver`], may wait for a time to be complete (or
//! committed) before it goes on, and the job then closes the inputs and runs the graph to
//! completion.

use crate::graph::{build, GraphContext, GraphInputs, GraphProbes};
use anyhow::anyhow;
use cpt_connectors::rows::{CommitRow, ErrorRow, PathBytes, TimeRow};
use cpt_connectors::verdicts::Verdict;
use cpt_operators::model::ContentKey;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use timely::worker::Worker;

/// One worker's handle on the graph's inputs, given to the source that drives it.
pub struct Driver<'w> {
    worker: &'w mut Worker,
    inputs: GraphInputs,
    probes: GraphProbes,
    ctx: GraphContext,
    fed: usize,
}

/// How many updates a driver buffers before it steps the worker.
const UPDATES_PER_STEP: usize = 64;

impl Driver<'_> {
    /// This worker's index among all workers.
    pub fn index(&self) -> usize {
        self.worker.index()
    }

    /// The number of workers.
    pub fn peers(&self) -> usize {
        self.worker.peers()
    }

    /// A path holds (`diff` = 1) or no longer holds (−1) a content, at the current time.
    pub fn file(&mut self, key: ContentKey, path: PathBytes, diff: i64) {
        self.inputs.events.update((key, path), diff);
        self.fed_one();
    }

    /// An input that could not be taken, at the current time.
    pub fn error(&mut self, row: ErrorRow, diff: i64) {
        self.inputs.errors.update(row, diff);
        self.fed_one();
    }

    /// A path's verdict added (`diff` = 1) or retracted (−1) at the current time: a file event
    /// (counted among the files found) or an error row.
    pub fn verdict(&mut self, path: PathBytes, verdict: Verdict, diff: i64) {
        match verdict {
            Verdict::File(key) => {
                if diff > 0 {
                    self.ctx.stats.files_found.fetch_add(1, Ordering::Relaxed);
                }
                self.file(key, path, diff);
            }
            Verdict::Error(row) => self.error(row, diff),
        }
    }

    /// The replayed commit of the current time (a row of `commits`).
    pub fn commit(&mut self, row: CommitRow) {
        self.inputs.commits.update(row, 1);
        self.fed_one();
    }

    /// The watched batch of the current time (a row of `times`).
    pub fn time(&mut self, row: TimeRow) {
        self.inputs.times.update(row, 1);
        self.fed_one();
    }

    fn fed_one(&mut self) {
        self.fed += 1;
        if self.fed.is_multiple_of(UPDATES_PER_STEP) {
            self.flush();
            self.worker.step();
        }
    }

    fn flush(&mut self) {
        self.inputs.events.flush();
        self.inputs.errors.flush();
        self.inputs.commits.flush();
        self.inputs.times.flush();
    }

    /// Moves every later update to `time` (every worker must advance alike).
    pub fn advance_to(&mut self, time: u64) {
        self.inputs.events.advance_to(time);
        self.inputs.errors.advance_to(time);
        self.inputs.commits.advance_to(time);
        self.inputs.times.advance_to(time);
        self.flush();
    }

    /// Advances to `time` and steps until every output for earlier times is written.
    pub fn complete_before(&mut self, time: u64) {
        self.advance_to(time);
        let probe = &self.probes.written;
        self.worker.step_while(|| probe.less_than(&time));
    }

    /// Advances to `time` and steps until every output for earlier times is committed to the
    /// manifest (durable), or the job failed. Worker 0 commits; the other workers return once
    /// their part files are written.
    pub fn durable_before(&mut self, time: u64) {
        self.complete_before(time);
        if self.index() != 0 {
            return;
        }
        let (out, failure) = (&self.ctx.out, &self.ctx.failure);
        let committed = || out.committed_time().is_some_and(|durable| durable + 1 >= time);
        self.worker.step_while(|| !committed() && failure.first().is_none());
    }

    /// Steps the worker, or parks its thread for at most `timeout` when there is nothing to do
    /// (an unpark of the thread wakes it early).
    pub fn step_or_park(&mut self, timeout: Duration) {
        self.worker.step_or_park(Some(timeout));
    }

    /// The job's first fatal failure so far (an unwritable output, say).
    pub fn failure(&self) -> Option<String> {
        self.ctx.failure.first()
    }

    /// Advances to `time` and steps until every output for earlier times is computed; the rows
    /// may still wait in the sinks for their epoch. Bounds the work in flight without waiting
    /// for epochs to close.
    pub fn computed_before(&mut self, time: u64) {
        self.advance_to(time);
        let probe = &self.probes.computed;
        self.worker.step_while(|| probe.less_than(&time));
    }
}

/// Runs the graph on `workers` threads; every worker calls `drive` with its [`Driver`], then the
/// inputs close and the graph runs until all output is committed. A failure recorded by an
/// operator (an unwritable output, say) is returned as the job's error.
pub fn run_graph<F>(workers: usize, ctx: GraphContext, drive: F) -> anyhow::Result<()>
where
    F: Fn(&mut Driver) -> Result<(), String> + Send + Sync + 'static,
{
    let failure = Arc::clone(&ctx.failure);
    let config = timely::Config::process(workers.max(1));
    let guards = timely::execute(config, move |worker| -> Result<(), String> {
        let (inputs, probes) = build(worker, &ctx);
        let mut driver = Driver { worker, inputs, probes, ctx: ctx.clone(), fed: 0 };
        let driven = drive(&mut driver);
        let Driver { worker, inputs, .. } = driver;
        drop(inputs);
        // Parks while other workers still drive (a watch's feeder may wait for hours).
        while worker.step_or_park(None) {}
        driven
    })
    .map_err(|e| anyhow!("starting workers: {e}"))?;
    for result in guards.join() {
        result.map_err(|e| anyhow!("a worker failed: {e}"))?.map_err(|e| anyhow!(e))?;
    }
    match failure.first() {
        Some(message) => Err(anyhow!(message)),
        None => Ok(()),
    }
}
