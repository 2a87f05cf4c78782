//! The closing summary of a job: one line of totals, and with `--verbose` the skipped paths.

use crate::memo::{CacheState, ContentCounts};
use crate::stats::{RunStats, SkippedByReason};
use cpt_operators::model::ErrorReason;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Totals of a finished job.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Commits replayed (`None` unless a replay).
    pub commits: Option<u64>,
    /// Batches watched after the initial scan (`None` unless a watch).
    pub batches: Option<u64>,
    /// Files analysed.
    pub files: i64,
    /// Units extracted.
    pub units: i64,
    /// Exact clone groups.
    pub clone_groups: i64,
    /// Near-miss clone pairs.
    pub clone_pairs: i64,
    /// Vector pairs passing the similarity join, of which the token check kept `clone_pairs`.
    pub similar_pairs: i64,
    /// Similar pairs a resumed job read back from its output instead of joining again.
    pub restored_pairs: u64,
    /// Lines of analysed files.
    pub lines: i64,
    /// Lines covered by clone-group members.
    pub duplicated_lines: i64,
    /// Error rows by reason.
    pub errors: BTreeMap<ErrorReason, i64>,
    /// Skipped entries by reason: count and (with `--verbose`) paths.
    pub skipped: SkippedByReason,
    /// Files rejected by policy (too large, generated, minified), kept with `--verbose`.
    pub rejected: Vec<(ErrorReason, Vec<u8>)>,
    /// Contents parsed and read from the content cache.
    pub contents: ContentCounts,
    /// Replayed commits whose search for renames with edits was skipped.
    pub rename_searches_skipped: u64,
    /// Wall time.
    pub wall: Duration,
}

impl Summary {
    /// Reads the totals of a finished job.
    pub fn from_stats(stats: &RunStats, contents: ContentCounts, wall: Duration) -> Summary {
        Summary {
            commits: None,
            batches: None,
            files: RunStats::get(&stats.files),
            units: RunStats::get(&stats.units),
            clone_groups: RunStats::get(&stats.clone_groups),
            clone_pairs: RunStats::get(&stats.clone_pairs),
            similar_pairs: RunStats::get(&stats.similar_pairs),
            restored_pairs: stats.restored_pairs.load(std::sync::atomic::Ordering::Relaxed),
            lines: RunStats::get(&stats.lines),
            duplicated_lines: RunStats::get(&stats.duplicated_lines),
            errors: stats.errors_by_reason(),
            skipped: stats.skipped_by_reason(),
            rejected: stats.rejected(),
            contents,
            rename_searches_skipped: stats.rename_searches_skipped.load(std::sync::atomic::Ordering::Relaxed),
            wall,
        }
    }

    /// Share of lines covered by clone-group members, in percent.
    pub fn duplicated_percent(&self) -> f64 {
        if self.lines <= 0 {
            0.0
        } else {
            100.0 * self.duplicated_lines as f64 / self.lines as f64
        }
    }

    /// The skipped and policy-rejected paths, one line each, by reason.
    pub fn skipped_listing(&self) -> String {
        let skipped = self.skipped.iter().flat_map(|(reason, (_, paths))| paths.iter().map(|p| (reason.name(), p)));
        let rejected = self.rejected.iter().map(|(reason, path)| (reason.name(), path));
        skipped
            .chain(rejected)
            .map(|(reason, path)| format!("skipped ({reason}): {}\n", String::from_utf8_lossy(path)))
            .collect()
    }
}

fn counts<K, N: fmt::Display + PartialOrd + Default>(
    map: impl Iterator<Item = (K, N)>,
    name: impl Fn(&K) -> &'static str,
) -> String {
    let parts: Vec<String> = map.filter(|(_, n)| *n > N::default()).map(|(k, n)| format!("{n} {}", name(&k))).collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

impl fmt::Display for ContentCounts {
    /// `parsed 3 of 873 contents (870 from cache)`, pointing at the cache's warning (printed when
    /// it happened) when the cache was not used cleanly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (parsed, cached) = (self.parsed, self.from_cache);
        write!(f, "parsed {parsed} of {} contents (", parsed + cached)?;
        match &self.cache {
            CacheState::Off => write!(f, "no cache)"),
            CacheState::Used => write!(f, "{cached} from cache)"),
            CacheState::Unusable(_) => write!(f, "cache not used: see its warning)"),
            CacheState::Troubled(_) => write!(f, "{cached} from cache; see the cache warning)"),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors: i64 = self.errors.values().sum();
        let error_list = counts(self.errors.iter().map(|(r, n)| (*r, *n)), |r| r.name());
        let skipped = counts(self.skipped.iter().map(|(r, (n, _))| (*r, *n)), |r| r.name());
        let seconds = self.wall.as_secs_f64();
        if let Some(commits) = self.commits {
            write!(f, "{commits} commits ({:.0} commits/s), ", commits as f64 / seconds.max(1e-9))?;
        }
        if let Some(batches) = self.batches {
            write!(f, "{batches} batches after the initial scan, ")?;
        }
        write!(
            f,
            "{} files, {} units, {} clone groups, {} near-miss pairs (of {} similar{}), {:.1}% duplicated lines, {} errors ({}), skipped: {}, {}, {:.2} s, {:.0} files/s",
            self.files,
            self.units,
            self.clone_groups,
            self.clone_pairs,
            self.similar_pairs,
            match self.restored_pairs {
                0 => String::new(),
                restored => format!(", {restored} restored from the output"),
            },
            self.duplicated_percent(),
            errors,
            error_list,
            skipped,
            self.contents,
            seconds,
            self.files as f64 / seconds.max(1e-9),
        )?;
        if self.rename_searches_skipped > 0 {
            write!(
                f,
                ", renames with edits not searched in {} commits (over {} candidate pairs each)",
                self.rename_searches_skipped,
                cpt_connectors::renames::MAX_CANDIDATE_PAIRS
            )?;
        }
        Ok(())
    }
}
