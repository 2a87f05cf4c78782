//! A `replay` job: the first-parent history of a branch (or a range of it), oldest first, commit
//! `i` at time `i` (ARCHITECTURE §2). [`plan_replay`] reads the history and decides where the
//! replay starts ([`crate::resume`]); [`run_replay`] runs the graph with worker 0 feeding the
//! commits ([`crate::feed`]). Many commits are in flight at once: the feeder waits for the
//! computation only every [`COMMITS_IN_FLIGHT`] commits (or every epoch, when epochs are
//! shorter), and the sinks group times into epochs.
//!
//! A resumed run feeds the whole tree of its durable commit `T` at time `T`, then the commits
//! after it; its sinks drop every row at or before `T`, which the output holds already, so the
//! output ends as an uninterrupted run's would.

pub use crate::feed::COMMITS_IN_FLIGHT;

use crate::feed::{commits_in_flight, follow, Feed};
use crate::history_reader::HistoryReader;
use crate::job::run_graph;
use crate::progress::Progress;
use crate::resume::{decide, ReplayStart};
use crate::settings::{RunSettings, Started};
use crate::summary::Summary;
use cpt_connectors::git::{CommitLine, CommitMeta, GitHistory, GitSource, HistorySpec};
use cpt_connectors::sink::{OpenMode, RunInfo};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Everything a replay needs to know.
#[derive(Clone, Debug)]
pub struct ReplayJob {
    /// The repository (its working tree or git folder).
    pub repo: PathBuf,
    /// The branch or range to replay.
    pub history: HistorySpec,
    /// What every job is told.
    pub settings: RunSettings,
}

/// A replay ready to run: its history read and its start decided.
pub struct ReplayPlan {
    settings: RunSettings,
    git_dir: PathBuf,
    line: CommitLine,
    info: RunInfo,
    /// Where the replay starts.
    pub start: ReplayStart,
}

impl ReplayPlan {
    /// The replayed commits, oldest first.
    pub fn commits(&self) -> &[CommitMeta] {
        &self.line.commits
    }
}

/// Reads the history and decides where the replay starts. A repository, reference or range that
/// cannot be used is a [`cpt_connectors::git::HistoryRefused`] error; an output folder that holds
/// another run, or a history rewritten since the output was written, is a
/// [`cpt_connectors::sink::OutputRefused`] error.
pub fn plan_replay(job: ReplayJob) -> anyhow::Result<ReplayPlan> {
    let history = GitHistory::open(&job.repo, &job.history)?;
    let line = history.line().clone();
    let git_dir = history.git_dir().to_path_buf();
    let repo = job.repo.canonicalize().unwrap_or(job.repo);
    let source = format!("{} ({})", repo.display(), job.history);
    let commit_ids = line.commits.iter().map(|meta| meta.id.to_string()).collect();
    let info = job.settings.run_info("replay", source, commit_ids);
    let start = decide(&job.settings.out, job.settings.overwrite, &info, &line.commits)?;
    Ok(ReplayPlan { settings: job.settings, git_dir, line, info, start })
}

/// Runs a planned replay to completion and returns its summary; `None` when the output is up to
/// date (nothing is written then).
pub fn run_replay(plan: ReplayPlan) -> anyhow::Result<Option<Summary>> {
    let started = Instant::now();
    let ReplayPlan { settings, git_dir, line, info, start } = plan;
    let (mode, resume_at) = match start {
        ReplayStart::UpToDate => return Ok(None),
        ReplayStart::Fresh => (OpenMode::Fresh { overwrite: settings.overwrite }, None),
        ReplayStart::Resume(point) => (OpenMode::Resume, point.map(|p| p.time)),
    };
    let content = Arc::new(GitSource::new(&git_dir, settings.policy.max_file_size));
    let Started { ctx, memo, stats, .. } = settings.start(info, mode, content)?;
    let commits = line.commits.len();
    let replayed = commits as u64 - resume_at.map_or(0, |t| t + 1);
    let progress = Progress::start_commits(settings.progress, replayed, Arc::clone(&stats), Arc::clone(&memo));
    let (feed_memo, feed_stats, policy) = (Arc::clone(&memo), Arc::clone(&stats), settings.policy.clone());
    let in_flight = commits_in_flight(settings.epochs.max_times);
    // Worker 0's process also runs the history reader.
    let helpers = if settings.cluster.process == 0 { HistoryReader::THREADS } else { 0 };
    run_graph(&settings.cluster, ctx, helpers, move |driver| {
        if driver.index() == 0 {
            let history =
                HistoryReader { git_dir: &git_dir, line: &line, resume_at, policy: policy.clone(), stats: &feed_stats };
            let feed = Feed { history, in_flight, memo: &feed_memo };
            feed.run(driver)
        } else {
            follow(driver, resume_at, commits, in_flight);
            Ok(())
        }
    })?;
    drop(progress);
    memo.flush_cache();
    let mut summary = Summary::from_stats(&stats, memo.counts(), started.elapsed());
    summary.commits = Some(replayed);
    Ok(Some(summary))
}
