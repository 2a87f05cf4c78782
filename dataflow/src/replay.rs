//! A `replay` job: the first-parent history of a branch, oldest first, commit `i` at time `i`
//! (ARCHITECTURE §2). Worker 0 reads each commit's blob changes, filters them like a scan of that
//! commit's tree and feeds the differences; every worker advances time in lockstep. Many commits
//! are in flight at once: the feeder waits for the computation only every
//! [`COMMITS_IN_FLIGHT`] commits, and the sinks group times into epochs.

use crate::job::{run_graph, Driver};
use crate::progress::Progress;
use crate::settings::{RunSettings, Started};
use crate::stats::RunStats;
use crate::summary::Summary;
use cpt_connectors::git::{CommitMeta, GitHistory, GitSource};
use cpt_connectors::rows::CommitRow;
use cpt_connectors::tree_state::TreeState;
use cpt_connectors::walk::ScanPolicy;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// How many commits may be fed before the feeder waits for their rows to be computed.
pub const COMMITS_IN_FLIGHT: usize = 256;

/// Everything a replay needs to know.
#[derive(Clone, Debug)]
pub struct ReplayJob {
    /// The repository (its working tree or git folder).
    pub repo: PathBuf,
    /// The branch or reference to replay; `None` for `HEAD`.
    pub branch: Option<String>,
    /// What every job is told.
    pub settings: RunSettings,
}

/// Replays the history to completion and returns its summary. A repository that cannot be
/// opened or a branch that does not exist is a [`cpt_connectors::git::HistoryRefused`] error.
pub fn run_replay(job: ReplayJob) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let history = GitHistory::open(&job.repo, job.branch.as_deref())?;
    let commits: Arc<Vec<CommitMeta>> = Arc::new(history.commits().to_vec());
    let git_dir = history.git_dir().to_path_buf();
    drop(history);
    let source = format!("{} ({})", job.repo.display(), job.branch.as_deref().unwrap_or("HEAD"));
    let settings = &job.settings;
    let content = Arc::new(GitSource::new(&git_dir, settings.policy.max_file_size));
    let Started { ctx, memo, stats } = settings.start("replay", source, content)?;
    let total = commits.len() as u64;
    let progress = Progress::start_commits(settings.progress, total, Arc::clone(&stats), Arc::clone(&memo));
    let feed_stats = Arc::clone(&stats);
    let policy = settings.policy.clone();
    run_graph(settings.workers, ctx, move |driver| {
        if driver.index() == 0 {
            feed(driver, &git_dir, &commits, policy.clone(), &feed_stats)
        } else {
            (0..commits.len()).for_each(|i| step_time(driver, i));
            Ok(())
        }
    })?;
    drop(progress);
    let mut summary = Summary::from_stats(&stats, memo.parsed_files(), started.elapsed());
    summary.commits = Some(total);
    Ok(summary)
}

/// Moves a worker to the time of commit `i`, waiting for the computation every
/// [`COMMITS_IN_FLIGHT`] commits.
fn step_time(driver: &mut Driver, i: usize) {
    if i > 0 && i.is_multiple_of(COMMITS_IN_FLIGHT) {
        driver.computed_before(i as u64);
    } else {
        driver.advance_to(i as u64);
    }
}

/// Worker 0: reads every commit's changes and feeds the differences of the filtered tree.
fn feed(
    driver: &mut Driver,
    git_dir: &Path,
    commits: &[CommitMeta],
    policy: ScanPolicy,
    stats: &RunStats,
) -> Result<(), String> {
    let history = GitHistory::reopen(git_dir, commits.to_vec()).map_err(|e| format!("{e:#}"))?;
    let mut tree = TreeState::new(policy);
    for (i, meta) in commits.iter().enumerate() {
        step_time(driver, i);
        let changes = history.changes(i).map_err(|e| format!("{e:#}"))?;
        for (path, verdict, diff) in tree.apply(changes, &history) {
            driver.verdict(path, verdict, diff);
        }
        driver.commit(CommitRow {
            sha: meta.id.to_string(),
            author_time: meta.author_time,
            author: meta.author.clone(),
            subject: meta.subject.clone(),
        });
        stats.commits_read.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}
