//! A `watch` job (ARCHITECTURE §2): time 0 is a scan of the tree, and each later time one batch
//! of file-system events, judged again against the tree's filtered state so that only the
//! differences enter the graph; every time is committed as soon as it is complete.
//!
//! The watch is set up before the first walk, so that nothing changed during the walk is missed.
//! At time 0 every worker walks its share of the tree and hands its verdicts to worker 0, which
//! keeps the whole state ([`FsState`]) and alone feeds the later times: the other workers close
//! their inputs after time 0 (the graph's frontier then follows worker 0's) and go on parsing,
//! joining and writing their share of the rows. A batch that changes no verdict (a touched file,
//! a change inside an ignored folder) makes no time. SIGINT or SIGTERM ends the watch once the
//! current time is committed, and the output is marked complete; a second signal exits at once.
//! The watch also ends, with an error, when the watched folder itself disappears.
//!
//! A watch started again on the output of an earlier watch of the same folder with the same
//! configuration — stopped, or killed at any point — resumes it (ARCHITECTURE §6): worker 0 feeds
//! the state at its durable time T ([`crate::restore`]) as one batch at T, whose rows the sinks
//! drop (the output holds them); the first walk, made as at time 0 but not fed, then gives the
//! tree as it is now, and its differences from that state — the changes made while no watch ran —
//! are time T+1, before the watch goes on as usual.

use crate::job::{run_graph, Driver};
use crate::progress::Progress;
use crate::restore::restore_state;
use crate::resume::{decide_watch, WatchStart};
use crate::scan::judge_walk;
use crate::settings::{RunSettings, Started};
use crate::sink::EpochPolicy;
use crate::stats::RunStats;
use crate::summary::Summary;
use anyhow::{bail, Context};
use cpt_connectors::content::TreeSource;
use cpt_connectors::focus::Focus;
use cpt_connectors::fs_state::FsState;
use cpt_connectors::rows::{PathBytes, TimeRow};
use cpt_connectors::sink::{OpenMode, OutputRefused};
use cpt_connectors::verdicts::{Delta, Verdict};
use cpt_connectors::walk::{ScanPolicy, TreeWalk};
use cpt_connectors::watcher::{Batch, TreeWatcher};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::SigId;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, TryRecvError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Everything a watch needs to know.
#[derive(Clone, Debug)]
pub struct WatchJob {
    /// The tree to watch.
    pub root: PathBuf,
    /// How long the events of a path must be quiet before they are delivered in a batch.
    pub debounce: Duration,
    /// What every job is told.
    pub settings: RunSettings,
}

/// How long worker 0 parks, when no batch wakes it, before it looks again at the stop flag and
/// at the watched folder.
const IDLE_TICK: Duration = Duration::from_millis(100);

/// The verdicts of one worker's share of the first walk, or why it could not walk.
type Share = Result<Vec<(PathBytes, Verdict)>, String>;

/// The state of a resumed watch at its durable time.
struct Restored {
    time: u64,
    verdicts: BTreeMap<PathBytes, Verdict>,
}

/// Watches the tree until SIGINT or SIGTERM (or until the tree disappears, an error) and returns
/// the summary of the final state.
pub fn run_watch(job: WatchJob) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let started_at = SystemTime::now();
    if !job.root.is_dir() {
        bail!("{} is not a directory (cpt watch takes the folder to watch)", job.root.display());
    }
    let root = job.root.canonicalize().with_context(|| format!("resolving {}", job.root.display()))?;
    let settings = &job.settings;
    if settings.out.canonicalize().is_ok_and(|out| out == root) {
        return Err(OutputRefused(format!(
            "--out {} is the watched folder itself; choose an output folder elsewhere",
            settings.out.display()
        ))
        .into());
    }
    let content = Arc::new(TreeSource::new(&root, settings.policy.max_file_size));
    let info = settings.run_info("watch", root.display().to_string(), Vec::new());
    let start = decide_watch(&settings.out, settings.overwrite, &info)?;
    let mode = match start {
        WatchStart::Fresh => OpenMode::Fresh { overwrite: settings.overwrite },
        WatchStart::Resume(_) => OpenMode::Resume,
    };
    let Started { mut ctx, memo, stats, .. } = settings.start(info, mode, content)?;
    ctx.epochs = EpochPolicy::IMMEDIATE;
    let restored = match start {
        WatchStart::Resume(Some(time)) => {
            let restoring = Instant::now();
            let manifest = ctx.out.manifest()?;
            let verdicts =
                restore_state(ctx.out.path(), &manifest, time, &memo, &settings.policy, settings.cluster.workers)?;
            let took = restoring.elapsed().as_secs_f64();
            tracing::info!("the state at time {time} restored: {} paths in {took:.2} s", verdicts.len());
            Some(Restored { time, verdicts })
        }
        _ => None,
    };
    let feed_first_walk = restored.is_none();
    let signals = StopSignals::register().context("handling SIGINT and SIGTERM")?;
    let feeder_thread: Arc<OnceLock<Thread>> = Arc::new(OnceLock::new());
    let wake = wake_up(&feeder_thread);
    let own_output = Focus::new(ctx.out.path().canonicalize().ok().and_then(|out| relative_path(&root, &out)));
    let watcher =
        TreeWatcher::start(&root, settings.policy.clone(), own_output, job.debounce, wake_up(&feeder_thread))?;
    let (shares_to_feeder, shares) = channel::<Share>();
    let batches = Arc::new(AtomicU64::new(0));
    let feeder = Mutex::new(Some(Feeder {
        root: root.clone(),
        policy: settings.policy.clone(),
        watcher,
        shares,
        restored,
        progress: Some(Progress::start(settings.progress, Arc::clone(&stats), Arc::clone(&memo))),
        announce: settings.progress,
        stop: Arc::clone(&signals.flag),
        thread: Arc::clone(&feeder_thread),
        batches: Arc::clone(&batches),
        started_at,
    }));
    let policy = settings.policy.clone();
    let walk_stats = Arc::clone(&stats);
    run_graph(&settings.cluster, ctx, 0, move |driver| {
        let share = first_walk(driver, &root, &policy, &walk_stats, feed_first_walk);
        if driver.index() == 0 {
            let feeder = feeder.lock().expect("feeder slot").take();
            return feeder.map_or(Ok(()), |feeder| feeder.run(driver, share));
        }
        let walked = share.as_ref().map(|_| ()).map_err(Clone::clone);
        // The feeder outlives every share it waits for: a failed send cannot happen.
        let _ = shares_to_feeder.send(share);
        wake();
        walked
    })?;
    drop(signals);
    memo.flush_cache();
    let mut summary = Summary::from_stats(&stats, memo.counts(), started.elapsed());
    summary.batches = Some(batches.load(Ordering::Relaxed));
    Ok(summary)
}

/// `path` relative to `root`, when it lies inside.
fn relative_path(root: &Path, path: &Path) -> Option<PathBytes> {
    path.strip_prefix(root).ok().map(|relative| relative.as_os_str().as_bytes().to_vec())
}

/// A function that unparks the feeding worker's thread, once it is known.
fn wake_up(thread: &Arc<OnceLock<Thread>>) -> impl Fn() + Send + Sync + 'static {
    let thread = Arc::clone(thread);
    move || {
        if let Some(thread) = thread.get() {
            thread.unpark();
        }
    }
}

/// Walks this worker's share of the tree, feeding it at time 0 if `feed`; returns its verdicts.
fn first_walk(driver: &mut Driver, root: &Path, policy: &ScanPolicy, stats: &RunStats, feed: bool) -> Share {
    let walk = TreeWalk::new(root, policy.clone(), driver.index(), driver.peers())
        .map_err(|e| format!("walking {}: {e}", root.display()))?;
    let mut share = Vec::new();
    judge_walk(walk, stats, |(path, verdict)| {
        if feed {
            driver.verdict(path.clone(), verdict.clone(), 1);
        }
        share.push((path, verdict));
    });
    Ok(share)
}

/// What worker 0 owns besides its driver: the watch, the other workers' shares of the first
/// walk, a resumed watch's state, and the progress bar of the first walk.
struct Feeder {
    root: PathBuf,
    policy: ScanPolicy,
    watcher: TreeWatcher,
    shares: Receiver<Share>,
    restored: Option<Restored>,
    progress: Option<Progress>,
    announce: bool,
    stop: Arc<AtomicBool>,
    thread: Arc<OnceLock<Thread>>,
    batches: Arc<AtomicU64>,
    started_at: SystemTime,
}

impl Feeder {
    /// Completes time 0 from this worker's `share` of the first walk and the others' (or, resuming,
    /// the restored time and the one after it), then feeds one time per batch that changes the
    /// state until asked to stop.
    fn run(mut self, driver: &mut Driver, share: Share) -> Result<(), String> {
        // Set before the first wait, so that a share or a batch delivered from now on wakes it.
        let _ = self.thread.set(std::thread::current());
        let (mut state, time) = match self.restored.take() {
            None => (self.scanned(driver, share)?, 0),
            Some(restored) => self.resumed(driver, restored, share)?,
        };
        self.follow(driver, &mut state, time)
    }

    /// Time 0: the first walk, fed by every worker, and its `times` row.
    fn scanned(&mut self, driver: &mut Driver, share: Share) -> Result<FsState, String> {
        let state = FsState::new(&self.root, self.policy.clone(), self.first_walk(driver, share)?);
        let changed_paths = u32::try_from(state.len()).unwrap_or(u32::MAX);
        driver.time(TimeRow { wall_clock_ms: unix_ms(self.started_at), changed_paths });
        driver.durable_before(1);
        drop(self.progress.take());
        if self.announce {
            eprintln!(
                "cpt watch: time 0 written ({} paths); watching {} (Ctrl-C to stop)",
                state.len(),
                self.root.display()
            );
        }
        Ok(state)
    }

    /// A resumed watch: the restored state at its durable time, then the differences of the first
    /// walk from it at the next time (none when nothing changed while no watch ran). Returns the
    /// state and the last time fed.
    fn resumed(&mut self, driver: &mut Driver, restored: Restored, share: Share) -> Result<(FsState, u64), String> {
        let Restored { time, verdicts } = restored;
        let feeding = Instant::now();
        driver.advance_to(time);
        for (path, verdict) in &verdicts {
            driver.verdict(path.clone(), verdict.clone(), 1);
        }
        let restored_paths = verdicts.len();
        let mut state = FsState::new(&self.root, self.policy.clone(), verdicts);
        let fed = feeding.elapsed().as_secs_f64();
        let deltas = state.replace(self.first_walk(driver, share)?);
        let walked_after = feeding.elapsed().as_secs_f64();
        let walked =
            Batch { paths: BTreeSet::new(), rescan: true, delivered: Instant::now(), wall_clock: self.started_at };
        let changed = match deltas.is_empty() {
            true => {
                driver.durable_before(time + 1);
                None
            }
            false => Some(self.feed(driver, time + 1, &walked, deltas)),
        };
        drop(self.progress.take());
        let since = match changed {
            Some(changed) => format!("time {} written ({changed} paths changed while stopped)", time + 1),
            None => "nothing changed while stopped".to_string(),
        };
        tracing::info!(
            "resumed at time {time} ({restored_paths} paths); {since}; from the feeding of the state: fed in \
             {fed:.2} s, every share of the walk in at {walked_after:.2} s, ready at {:.2} s",
            feeding.elapsed().as_secs_f64()
        );
        if self.announce {
            eprintln!(
                "cpt watch: resumed at time {time} ({restored_paths} paths); {since}; watching {} (Ctrl-C to stop)",
                self.root.display()
            );
        }
        Ok((state, time + u64::from(changed.is_some())))
    }

    /// The verdicts of every worker's share of the first walk.
    fn first_walk(&self, driver: &mut Driver, own: Share) -> Result<Vec<(PathBytes, Verdict)>, String> {
        let mut verdicts = own?;
        for _ in 1..driver.peers() {
            let share = loop {
                match self.shares.try_recv() {
                    Ok(share) => break share,
                    Err(TryRecvError::Empty) => driver.step_or_park(IDLE_TICK),
                    Err(TryRecvError::Disconnected) => return Err("a worker ended before its first walk".into()),
                }
            };
            verdicts.extend(share?);
        }
        Ok(verdicts)
    }

    /// Feeds time after time, after `time`, until a signal, a failure of the job, or the loss of
    /// the root.
    fn follow(&self, driver: &mut Driver, state: &mut FsState, mut time: u64) -> Result<(), String> {
        loop {
            if self.stop.load(Ordering::SeqCst) || driver.failure().is_some() {
                return Ok(());
            }
            if self.watcher.root_is_gone() {
                return Err(self.root_gone(time));
            }
            let Some(batch) = self.watcher.take() else {
                driver.step_or_park(IDLE_TICK);
                continue;
            };
            let deltas = state.rejudge(batch.to_judge()).map_err(|error| match self.watcher.root_is_gone() {
                true => self.root_gone(time),
                false => format!("judging changes under {}: {error}", self.root.display()),
            })?;
            if deltas.is_empty() {
                tracing::debug!("a batch of {} paths changed nothing", batch.paths.len());
                continue;
            }
            time += 1;
            self.feed(driver, time, &batch, deltas);
        }
    }

    /// Feeds `deltas` and the batch's row of `times` at `time`, and waits until they are durable;
    /// returns how many paths changed.
    fn feed(&self, driver: &mut Driver, time: u64, batch: &Batch, deltas: Vec<Delta>) -> usize {
        driver.advance_to(time);
        let changed = deltas.iter().map(|(path, _, _)| path).collect::<BTreeSet<_>>().len();
        for (path, verdict, diff) in deltas {
            driver.verdict(path, verdict, diff);
        }
        let changed_paths = u32::try_from(changed).unwrap_or(u32::MAX);
        driver.time(TimeRow { wall_clock_ms: unix_ms(batch.wall_clock), changed_paths });
        driver.durable_before(time + 1);
        tracing::info!(
            "time {time}: {changed} changed paths ({} named by events{}), durable {:.1} ms after the batch",
            batch.paths.len(),
            if batch.rescan { ", whole tree judged again" } else { "" },
            batch.delivered.elapsed().as_secs_f64() * 1e3,
        );
        self.batches.fetch_add(1, Ordering::Relaxed);
        changed
    }

    fn root_gone(&self, time: u64) -> String {
        format!(
            "the watched folder {} disappeared; the output holds times 0 to {time}, every one complete",
            self.root.display()
        )
    }
}

/// Milliseconds since the Unix epoch.
fn unix_ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
}

/// SIGINT and SIGTERM handlers that raise a flag (a second signal exits at once with the
/// conventional status), removed again on drop.
struct StopSignals {
    flag: Arc<AtomicBool>,
    ids: Vec<SigId>,
}

impl StopSignals {
    fn register() -> std::io::Result<StopSignals> {
        let flag = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        for signal in [SIGINT, SIGTERM] {
            // Registered first, so that it sees the flag as an earlier signal left it.
            ids.push(signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&flag))?);
            ids.push(signal_hook::flag::register(signal, Arc::clone(&flag))?);
        }
        Ok(StopSignals { flag, ids })
    }
}

impl Drop for StopSignals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
