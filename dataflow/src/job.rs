//! Running the graph on timely worker threads, driven by a source: the source feeds file events
//! and errors at increasing times through a [`Driver`], may wait for a time to be complete (or
//! committed) before it goes on, and the job then closes the inputs and runs the graph to
//! completion. The workers are this process's share of a cluster ([`ClusterSettings`]); in a
//! cluster each worker also sends heartbeats, watched by [`crate::liveness`].

use crate::cluster::{exit_on_lost_peer, ClusterSettings};
use crate::graph::{build, GraphContext, GraphInputs, GraphProbes};
use crate::liveness::{spawn_watchdog, Heartbeat, Liveness};
use crate::telemetry::Telemetry;
use anyhow::anyhow;
use cpt_connectors::rows::{CommitRow, ErrorRow, LineageRow, PathBytes, TimeRow};
use cpt_connectors::verdicts::Verdict;
use cpt_operators::model::ContentKey;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use timely::dataflow::ProbeHandle;
use timely::worker::Worker;

/// One worker's handle on the graph's inputs, given to the source that drives it.
pub struct Driver<'w> {
    worker: &'w mut Worker,
    inputs: GraphInputs,
    probes: GraphProbes,
    ctx: GraphContext,
    fed: usize,
    pulse: Pulse,
    /// Whether waiting for the graph steps without parking ([`may_spin`]).
    spin: bool,
}

/// What a worker does between steps: send a heartbeat when one is due, and record how far the
/// output has got.
struct Pulse {
    heartbeat: Option<Heartbeat>,
    written: ProbeHandle<u64>,
    telemetry: Arc<Telemetry>,
}

impl Pulse {
    fn beat(&mut self) {
        if let Some(heartbeat) = self.heartbeat.as_mut() {
            heartbeat.beat();
        }
        if let Some(time) = self.written.with_frontier(|frontier| frontier.first().copied()) {
            Telemetry::advance(&self.telemetry.output_frontier, time);
        }
    }
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

    /// A rename of the current time's commit (a row of `lineage`).
    pub fn lineage(&mut self, row: LineageRow) {
        self.inputs.lineage.update(row, 1);
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
            self.pulse.beat();
        }
    }

    fn flush(&mut self) {
        self.inputs.events.flush();
        self.inputs.errors.flush();
        self.inputs.commits.flush();
        self.inputs.lineage.flush();
        self.inputs.times.flush();
    }

    /// Moves every later update to `time` (every worker must advance alike).
    pub fn advance_to(&mut self, time: u64) {
        self.inputs.events.advance_to(time);
        self.inputs.errors.advance_to(time);
        self.inputs.commits.advance_to(time);
        self.inputs.lineage.advance_to(time);
        self.inputs.times.advance_to(time);
        self.flush();
        Telemetry::advance(&self.pulse.telemetry.input_time, time);
    }

    /// Advances to `time` and steps until every output for earlier times is written as part files
    /// (the committer lists them in the manifest when it next sees the frontier advance).
    pub fn complete_before(&mut self, time: u64) {
        self.advance_to(time);
        let probe = self.probes.written.clone();
        self.step_while(|| probe.less_than(&time));
    }

    /// Advances to `time` and steps until every output for earlier times is committed to the
    /// manifest (durable), or the job failed. Worker 0 commits; the other workers return once
    /// their part files are written.
    pub fn durable_before(&mut self, time: u64) {
        self.complete_before(time);
        if self.index() != 0 {
            return;
        }
        let (out, failure) = (self.ctx.out.clone(), Arc::clone(&self.ctx.failure));
        let committed = move || out.committed_time().is_some_and(|durable| durable + 1 >= time);
        self.step_while(|| !committed() && failure.first().is_none());
    }

    /// Steps the worker, or parks its thread for at most `timeout` when there is nothing to do
    /// (an unpark of the thread wakes it early).
    pub fn step_or_park(&mut self, timeout: Duration) {
        self.worker.step_or_park(Some(timeout));
        self.pulse.beat();
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
        let probe = self.probes.computed.clone();
        self.step_while(|| probe.less_than(&time));
    }

    /// Steps the worker while `condition` holds, beating between steps.
    fn step_while(&mut self, mut condition: impl FnMut() -> bool) {
        while condition() {
            match self.spin {
                true => self.worker.step(),
                false => self.worker.step_or_park(Some(IDLE_PARK)),
            };
            self.pulse.beat();
        }
    }
}

/// How long a worker with nothing to drive parks between heartbeats.
const IDLE_PARK: Duration = Duration::from_millis(100);

/// Whether a worker waiting for the graph may step without parking: only when each of this
/// process's `workers` and `helpers` (threads that work beside them, such as a replay's history
/// reader) can have a core to itself, since a spinning worker would otherwise take turns on a
/// core with a thread that has work.
fn may_spin(workers: usize, helpers: usize) -> bool {
    std::thread::available_parallelism().is_ok_and(|cores| workers + helpers <= cores.get())
}

/// Runs the graph on this process's workers of `cluster`; every worker calls `drive` with its
/// [`Driver`], then the inputs close and the graph runs until all output is committed. `helpers`
/// counts the threads of this process that `drive` keeps busy beside the workers ([`may_spin`]). A
/// failure recorded by an operator (an unwritable output, say) is returned as the job's error;
/// a peer that cannot be reached at start is one too. Start-up and lost peers are reported on
/// standard error, naming the peer.
pub fn run_graph<F>(cluster: &ClusterSettings, ctx: GraphContext, helpers: usize, drive: F) -> anyhow::Result<()>
where
    F: Fn(&mut Driver) -> Result<(), String> + Send + Sync + 'static,
{
    let failure = Arc::clone(&ctx.failure);
    let telemetry = Arc::clone(&ctx.telemetry);
    if cluster.is_cluster() {
        eprintln!("cpt: {}", cluster.describe());
        exit_on_lost_peer(cluster);
    }
    let (builders, others) = cluster.allocators(Arc::clone(&ctx.telemetry.traffic))?;
    let liveness = cluster.is_cluster().then(|| Liveness::new(cluster.processes()));
    if let Some(liveness) = &liveness {
        eprintln!("cpt: process {} connected to every peer", cluster.process);
        spawn_watchdog(Arc::clone(liveness), cluster);
    }
    let watched = liveness.clone();
    let settings = cluster.clone();
    let spin = may_spin(cluster.workers, helpers);
    let guards = timely::execute::execute_from(builders, others, timely::WorkerConfig::default(), move |worker| {
        let telemetry = Arc::clone(&ctx.telemetry);
        telemetry.watch_arrangements(worker);
        let (inputs, probes) = build(worker, &ctx);
        let heartbeat = watched.as_ref().map(|liveness| Heartbeat::install(worker, Arc::clone(liveness), &settings));
        let pulse = Pulse { heartbeat, written: probes.written.clone(), telemetry };
        let mut driver = Driver { worker, inputs, probes, ctx: ctx.clone(), fed: 0, pulse, spin };
        let driven = drive(&mut driver);
        let Driver { worker, inputs, mut pulse, .. } = driver;
        drop(inputs);
        // Parks while other workers still drive (a watch's feeder may wait for hours), waking to
        // send heartbeats; but steps without parking while a fed time is still being computed:
        // its updates and progress cross between the workers many times, and waking a parked
        // worker for each crossing doubled a watch's latency with two workers.
        while !pulse.written.done() {
            match spin && pulse.telemetry.in_flight() {
                true => worker.step(),
                false => worker.step_or_park(Some(IDLE_PARK)),
            };
            pulse.beat();
        }
        drop(pulse);
        // Never parks without a timeout: a lost wake-up then costs at most one `IDLE_PARK`.
        while worker.step_or_park(Some(IDLE_PARK)) {}
        driven
    })
    .map_err(|e| anyhow!("starting workers: {e}"))?;
    let results = guards.join();
    if let Some(liveness) = &liveness {
        liveness.finish();
        let traffic = &telemetry.traffic;
        eprintln!(
            "cpt: process {} exchanged {} bytes with its peers ({} sent, {} received)",
            cluster.process,
            traffic.bytes_exchanged(),
            traffic.bytes_sent.load(Ordering::Relaxed),
            traffic.bytes_received.load(Ordering::Relaxed)
        );
    }
    for result in results {
        result.map_err(|e| anyhow!("a worker failed: {e}"))?.map_err(|e| anyhow!(e))?;
    }
    match failure.first() {
        Some(message) => Err(anyhow!(message)),
        None => Ok(()),
    }
}
