//! Running the graph on timely worker threads, driven by a source: the source feeds file events
//! and errors at increasing times through a [`Driver`], may wait for a time to be complete before
//! it goes on, and the job then closes the inputs and runs the graph to completion.

use crate::graph::{build, GraphContext, GraphInputs};
use anyhow::anyhow;
use cpt_connectors::rows::{ErrorRow, PathBytes};
use cpt_operators::model::ContentKey;
use std::sync::Arc;
use timely::dataflow::ProbeHandle;
use timely::worker::Worker;

/// One worker's handle on the graph's inputs, given to the source that drives it.
pub struct Driver<'w> {
    worker: &'w mut Worker,
    inputs: GraphInputs,
    probe: ProbeHandle<u64>,
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

    fn fed_one(&mut self) {
        self.fed += 1;
        if self.fed.is_multiple_of(UPDATES_PER_STEP) {
            self.inputs.events.flush();
            self.inputs.errors.flush();
            self.worker.step();
        }
    }

    /// Moves every later update to `time` (every worker must advance alike).
    pub fn advance_to(&mut self, time: u64) {
        self.inputs.events.advance_to(time);
        self.inputs.errors.advance_to(time);
        self.inputs.events.flush();
        self.inputs.errors.flush();
    }

    /// Advances to `time` and steps until every output for earlier times is written.
    pub fn complete_before(&mut self, time: u64) {
        self.advance_to(time);
        let probe = &self.probe;
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
        let (inputs, probe) = build(worker, &ctx);
        let mut driver = Driver { worker, inputs, probe, fed: 0 };
        let driven = drive(&mut driver);
        let Driver { worker, inputs, .. } = driver;
        drop(inputs);
        while worker.step() {}
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
