//! What a running job reports about itself beyond its row counts: how far the inputs and the
//! output have got, time spent per stage, the size of every arrangement (from differential's
//! log of batches and merges) and the bytes exchanged between processes.

use crate::traffic::Traffic;
use differential_dataflow::logging::{DifferentialEvent, DifferentialEventBuilder};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use timely::worker::Worker;

/// A job stage whose time is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Writing part files.
    Write,
    /// Committing the manifest.
    Commit,
}

/// Progress and resource figures of one process, shared by its workers.
#[derive(Debug, Default)]
pub struct Telemetry {
    /// The time the inputs have advanced to (the next time fed).
    pub input_time: AtomicU64,
    /// The earliest time whose output is not yet written everywhere.
    pub output_frontier: AtomicU64,
    /// The durable time of the manifest, −1 before the first commit (known to the committer only).
    pub durable_time: AtomicI64,
    /// Bytes exchanged with other processes.
    pub traffic: Arc<Traffic>,
    write_nanos: AtomicU64,
    commit_nanos: AtomicU64,
    /// Updates held per arrangement operator, when they are followed.
    arranged: Option<Arc<Mutex<BTreeMap<usize, i64>>>>,
}

impl Telemetry {
    /// Figures for a new job; `arrangement_sizes`: whether to follow differential's log of every
    /// arrangement's size. Only `--metrics` shows those, and a registered log costs a clock read
    /// at every step of every worker (4 % of a replay's CPU).
    pub fn new(arrangement_sizes: bool) -> Telemetry {
        Telemetry {
            durable_time: AtomicI64::new(-1),
            arranged: arrangement_sizes.then(Arc::default),
            ..Telemetry::default()
        }
    }

    /// Adds the time since `started` to `stage`.
    pub fn spent(&self, stage: Stage, started: Instant) {
        let nanos = started.elapsed().as_nanos() as u64;
        match stage {
            Stage::Write => &self.write_nanos,
            Stage::Commit => &self.commit_nanos,
        }
        .fetch_add(nanos, Ordering::Relaxed);
    }

    /// Seconds spent in `stage` so far, over all workers.
    pub fn seconds(&self, stage: Stage) -> f64 {
        let nanos = match stage {
            Stage::Write => &self.write_nanos,
            Stage::Commit => &self.commit_nanos,
        };
        nanos.load(Ordering::Relaxed) as f64 / 1e9
    }

    /// True while some time fed to this process's inputs is not yet written everywhere.
    pub fn in_flight(&self) -> bool {
        self.output_frontier.load(Ordering::Relaxed) < self.input_time.load(Ordering::Relaxed)
    }

    /// Moves a monotone figure forward.
    pub fn advance(figure: &AtomicU64, to: u64) {
        // Read first: workers call this at every step, and a write would take the cache line
        // from the others each time.
        if figure.load(Ordering::Relaxed) < to {
            figure.fetch_max(to, Ordering::Relaxed);
        }
    }

    /// Records in-memory updates per arrangement, from `worker`'s differential log, when they are
    /// followed.
    pub fn watch_arrangements(&self, worker: &mut Worker) {
        let Some(arranged) = self.arranged.clone() else { return };
        let Some(mut registry) = worker.log_register() else { return };
        registry.insert::<DifferentialEventBuilder, _>("differential/arrange", move |_time, events| {
            // Timely flushes every logger at every step of the worker, most often with no events:
            // those must not take the lock the workers share.
            let Some(events) = events.as_ref().filter(|events| !events.is_empty()) else { return };
            let mut arranged = arranged.lock().expect("arrangement sizes");
            for (_, event) in events {
                let (operator, change) = match event {
                    DifferentialEvent::Batch(batch) => (batch.operator, batch.length as i64),
                    DifferentialEvent::Merge(merge) => match merge.complete {
                        Some(merged) => (merge.operator, merged as i64 - (merge.length1 + merge.length2) as i64),
                        None => continue,
                    },
                    DifferentialEvent::Drop(drop) => (drop.operator, -(drop.length as i64)),
                    _ => continue,
                };
                *arranged.entry(operator).or_default() += change;
            }
        });
    }

    /// Updates held by each arrangement operator of this process, by operator id (none when they
    /// are not followed).
    pub fn arrangement_sizes(&self) -> BTreeMap<usize, i64> {
        self.arranged.as_ref().map(|arranged| arranged.lock().expect("arrangement sizes").clone()).unwrap_or_default()
    }
}
