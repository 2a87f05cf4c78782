//! The feeding side of a replay. Worker 0 feeds, at each commit's time, the differences of the
//! filtered tree state that the history reader ([`crate::history_reader`]) read ahead, the
//! commit's row and the lineage of its renames; every worker advances time in lockstep. When the
//! replay starts from a commit's tree rather than from nothing — the first commit of a range
//! (its start's tree plus its changes) or the durable commit of a resumed run — the first time
//! fed carries that whole filtered tree, so that the state at every time is exactly the tree of
//! that time's commit.

use crate::history_reader::{HistoryReader, TimeInput};
use crate::job::Driver;
use crate::lineage::lineage_rows;
use crate::memo::ContentMemo;
use cpt_connectors::git::CommitMeta;
use cpt_connectors::rows::CommitRow;
use cpt_connectors::verdicts::Delta;
use std::sync::atomic::Ordering;

/// How many commits may be fed before the feeder waits for their rows to be computed (fewer
/// when epochs are shorter, so that each epoch's times complete together and become durable).
pub const COMMITS_IN_FLIGHT: usize = 256;

/// The commits in flight for epochs of at most `epoch_times` times.
pub fn commits_in_flight(epoch_times: usize) -> u64 {
    COMMITS_IN_FLIGHT.min(epoch_times).max(1) as u64
}

/// What worker 0 feeds.
pub struct Feed<'a> {
    /// Where the commits' inputs come from.
    pub history: HistoryReader<'a>,
    /// Commits fed before the feeder waits for the computation ([`commits_in_flight`]).
    pub in_flight: u64,
    /// Where both contents of a rename find their units.
    pub memo: &'a ContentMemo,
}

/// Moves a worker to the time of commit `i`, waiting for the computation every `in_flight`
/// commits.
pub fn step_time(driver: &mut Driver, i: u64, in_flight: u64) {
    if i > 0 && i.is_multiple_of(in_flight) {
        driver.computed_before(i);
    } else {
        driver.advance_to(i);
    }
}

/// Any worker but 0: advances through the times worker 0 feeds.
pub fn follow(driver: &mut Driver, resume_at: Option<u64>, commits: usize, in_flight: u64) {
    (resume_at.unwrap_or(0)..commits as u64).for_each(|i| step_time(driver, i, in_flight));
}

impl Feed<'_> {
    /// Worker 0: feeds every commit from the first time on, as the reader thread reads them ahead.
    pub fn run(self, driver: &mut Driver) -> Result<(), String> {
        let Feed { history, in_flight, memo } = self;
        let (commits, stats, first) = (&history.line.commits, history.stats, history.resume_at.unwrap_or(0));
        std::thread::scope(|scope| {
            let inputs = history.spawn(scope)?;
            for (time, input) in (first..).zip(inputs) {
                step_time(driver, time, in_flight);
                match input? {
                    TimeInput::ResumedTree(tree) => feed_files(driver, tree),
                    TimeInput::Commit { deltas, renames } => {
                        let meta = &commits[time as usize];
                        feed_files(driver, deltas);
                        driver.commit(commit_row(meta));
                        for row in lineage_rows(&meta.id.to_string(), &renames.pairs, memo) {
                            driver.lineage(row);
                        }
                        stats.commits_read.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Ok(())
        })
    }
}

/// Feeds differences of the filtered tree as file events and error rows.
fn feed_files(driver: &mut Driver, deltas: Vec<Delta>) {
    for (path, verdict, diff) in deltas {
        driver.verdict(path, verdict, diff);
    }
}

fn commit_row(meta: &CommitMeta) -> CommitRow {
    CommitRow {
        sha: meta.id.to_string(),
        author_time: meta.author_time,
        author: meta.author.clone(),
        subject: meta.subject.clone(),
    }
}
