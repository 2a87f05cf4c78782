//! The progress bar of a running job: files analysed out of files found (or, for a replay,
//! commits replayed out of all), the rate, MB/s and ETA,
//! drawn on standard error only when it is a terminal.

use crate::memo::ContentMemo;
use crate::stats::RunStats;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A progress bar redrawn by a thread of its own until dropped.
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing files analysed (parsed or read from the content cache) out of files found
    /// (a no-op when `enabled` is false or standard error is not a terminal).
    pub fn start(enabled: bool, stats: Arc<RunStats>, memo: Arc<ContentMemo>) -> Progress {
        let template = "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files, {per_sec}, {msg}, ETA {eta}";
        Progress::spawn(enabled, template, move |bar, seconds| {
            let found = stats.files_found.load(Ordering::Relaxed);
            bar.set_length(found);
            bar.set_position((memo.parsed_files() + memo.cached_files()).min(found));
            bar.set_message(format!("{:.1} MB/s", memo.parsed_bytes() as f64 / 1e6 / seconds));
        })
    }

    /// Starts drawing commits replayed out of `total`, with commits/s and files parsed or read from
    /// the content cache.
    pub fn start_commits(enabled: bool, total: u64, stats: Arc<RunStats>, memo: Arc<ContentMemo>) -> Progress {
        let template = "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} commits, {per_sec}, {msg}, ETA {eta}";
        Progress::spawn(enabled, template, move |bar, seconds| {
            bar.set_length(total);
            bar.set_position(stats.commits_read.load(Ordering::Relaxed).min(total));
            let mb = memo.parsed_bytes() as f64 / 1e6;
            let (parsed, cached) = (memo.parsed_files(), memo.cached_files());
            bar.set_message(format!("{parsed} files parsed, {cached} from cache, {:.1} MB/s", mb / seconds));
        })
    }

    fn spawn<F>(enabled: bool, template: &str, update: F) -> Progress
    where
        F: Fn(&ProgressBar, f64) + Send + 'static,
    {
        let done = Arc::new(AtomicBool::new(false));
        let target = if enabled { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        if target.is_hidden() {
            return Progress { done, thread: None };
        }
        let bar = ProgressBar::with_draw_target(Some(0), target);
        bar.set_style(ProgressStyle::with_template(template).expect("static progress template"));
        let stop = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                update(&bar, started.elapsed().as_secs_f64().max(1e-3));
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Progress { done, thread: Some(thread) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
