//! The events of the `watch` source: notify (inotify on Linux) watching a tree recursively, its
//! events debounced by notify-debouncer-full and turned into batches of changed paths — a batch
//! is what the debouncer delivers once the events of its paths have been quiet for the debounce
//! time.
//!
//! `Access` events are dropped, and so are paths whose changes cannot change a verdict (inside
//! `.git`, hidden or vendored folders: see [`may_change_verdicts`]) and paths the caller excludes
//! (the watch's own output folder); a rename names both its paths; an overflowed event queue
//! asks for the whole tree to be judged again. Errors of notify are logged, never fatal once
//! watching has started, and the paths they name are judged again.

use crate::focus::Focus;
use crate::fs_state::may_change_verdicts;
use crate::rows::PathBytes;
use crate::walk::ScanPolicy;
use anyhow::{anyhow, Context};
use notify_debouncer_full::notify::{self, EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer_opt, DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache};
use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant, SystemTime};

/// The changes the debouncer delivered at once (or several deliveries merged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Changed paths, relative to the root (`""` is the root itself).
    pub paths: BTreeSet<PathBytes>,
    /// Events were lost: every path must be judged again.
    pub rescan: bool,
    /// When the (last merged) batch was delivered.
    pub delivered: Instant,
    /// The wall clock at that moment.
    pub wall_clock: SystemTime,
}

impl Batch {
    fn new() -> Batch {
        Batch { paths: BTreeSet::new(), rescan: false, delivered: Instant::now(), wall_clock: SystemTime::now() }
    }

    /// True when the batch names nothing to judge again.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.rescan
    }

    /// The paths to judge again: the named ones, or the whole tree (`""`) after lost events.
    pub fn to_judge(&self) -> Vec<PathBytes> {
        if self.rescan {
            vec![PathBytes::new()]
        } else {
            self.paths.iter().cloned().collect()
        }
    }

    fn merge(&mut self, later: Batch) {
        self.paths.extend(later.paths);
        self.rescan |= later.rescan;
        self.delivered = later.delivered;
        self.wall_clock = later.wall_clock;
    }
}

/// The longest the debouncer sleeps between looks at its queue.
const MAX_DEBOUNCE_TICK: Duration = Duration::from_millis(2);

/// How often the debouncer looks for paths quiet for `debounce`: a batch is delivered up to one
/// tick after that, so the tick adds to every change's latency. The debouncer's own default, a
/// quarter of `debounce`, added 6 ms on average at 50 ms; a look at an empty queue costs a few
/// microseconds, so looking every 2 ms costs nothing measurable.
fn debounce_tick(debounce: Duration) -> Duration {
    (debounce / 4).min(MAX_DEBOUNCE_TICK)
}

/// A recursive watch of one tree, delivering batches of changed paths.
pub struct TreeWatcher {
    root: PathBuf,
    identity: (u64, u64),
    batches: Receiver<Batch>,
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl TreeWatcher {
    /// Starts watching the folder `root` (canonical) and everything under it but what `excluded`
    /// covers; a batch is delivered once its events have been quiet for `debounce`, and `wake` is
    /// called after each. Fails when the watch cannot be set up (the folder is gone, or the
    /// inotify watch limit is reached).
    pub fn start(
        root: &Path,
        policy: ScanPolicy,
        excluded: Focus,
        debounce: Duration,
        wake: impl Fn() + Send + 'static,
    ) -> anyhow::Result<TreeWatcher> {
        let metadata = std::fs::metadata(root).with_context(|| format!("watching {}", root.display()))?;
        let (sender, batches) = channel();
        let deliver = Deliver { root: root.to_path_buf(), policy, excluded, sender, wake };
        let config = notify::Config::default().with_follow_symlinks(false);
        let mut debouncer = new_debouncer_opt::<_, RecommendedWatcher, RecommendedCache>(
            debounce,
            Some(debounce_tick(debounce)),
            move |result: DebounceEventResult| deliver.deliver(result),
            RecommendedCache::new(),
            config,
        )
        .map_err(|error| anyhow!("starting to watch {}: {error}", root.display()))?;
        debouncer.watch(root, RecursiveMode::Recursive).map_err(|error| match error.kind {
            notify::ErrorKind::MaxFilesWatch => anyhow!(
                "cannot watch {}: the inotify watch limit (fs.inotify.max_user_watches, one watch per \
                 folder) is reached; raise it, e.g. `sudo sysctl fs.inotify.max_user_watches=524288`",
                root.display()
            ),
            _ => anyhow!("cannot watch {}: {error}", root.display()),
        })?;
        Ok(TreeWatcher {
            root: root.to_path_buf(),
            identity: (metadata.dev(), metadata.ino()),
            batches,
            _debouncer: debouncer,
        })
    }

    /// Every batch delivered since the last call, merged into one; `None` when there is none.
    pub fn take(&self) -> Option<Batch> {
        let mut merged: Option<Batch> = None;
        while let Ok(batch) = self.batches.try_recv() {
            match merged.as_mut() {
                Some(earlier) => earlier.merge(batch),
                None => merged = Some(batch),
            }
        }
        merged
    }

    /// True when the root is no longer the folder being watched: removed, moved away or replaced.
    pub fn root_is_gone(&self) -> bool {
        std::fs::metadata(&self.root).map_or(true, |m| !m.is_dir() || (m.dev(), m.ino()) != self.identity)
    }
}

/// The debouncer's handler: turns what it delivers into batches.
struct Deliver<W> {
    root: PathBuf,
    policy: ScanPolicy,
    excluded: Focus,
    sender: Sender<Batch>,
    wake: W,
}

impl<W: Fn()> Deliver<W> {
    fn deliver(&self, result: DebounceEventResult) {
        let mut batch = Batch::new();
        match result {
            Ok(events) => events.iter().for_each(|event| self.add_event(&mut batch, event)),
            Err(errors) => {
                for error in errors {
                    tracing::warn!("watching {}: {error}", self.root.display());
                    error.paths.iter().for_each(|path| self.add_path(&mut batch, path));
                }
            }
        }
        // A closed channel means the watch is ending: nothing is left to tell.
        if !batch.is_empty() && self.sender.send(batch).is_ok() {
            (self.wake)();
        }
    }

    fn add_event(&self, batch: &mut Batch, event: &DebouncedEvent) {
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        if event.need_rescan() {
            tracing::warn!("watching {}: events were lost; the whole tree is judged again", self.root.display());
            batch.rescan = true;
        }
        event.paths.iter().for_each(|path| self.add_path(batch, path));
    }

    fn add_path(&self, batch: &mut Batch, path: &Path) {
        let Ok(relative) = path.strip_prefix(&self.root) else { return };
        let relative = relative.as_os_str().as_bytes();
        if may_change_verdicts(&self.policy, relative) && !self.excluded.covers(relative) {
            batch.paths.insert(relative.to_vec());
        }
    }
}
