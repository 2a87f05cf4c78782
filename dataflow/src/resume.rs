//! Where a replay or a watch starts (ARCHITECTURE §6): afresh; after the durable time of an earlier
//! run of the same source with the same configuration recorded in the output folder (it was
//! killed or stopped, or the branch has moved on since); or, for a replay, nowhere, when that
//! replay is complete and the branch has not moved. Another run's output, or a history rewritten
//! since the output was written, is refused before anything in the folder is touched.

use cpt_connectors::git::CommitMeta;
use cpt_connectors::sink::{read_manifest, Manifest, OutputRefused, RunInfo, MANIFEST_FILE};
use std::path::Path;

/// The last durable point of an earlier run: its time and the commit replayed then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurablePoint {
    /// The durable time.
    pub time: u64,
    /// The commit id replayed at that time.
    pub commit: String,
}

/// Where a replay starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayStart {
    /// No earlier run in the output folder (or `--overwrite`): every commit is replayed.
    Fresh,
    /// The run recorded in the output folder goes on after its durable point (`None`: it was
    /// killed before anything was durable, so it starts over in place).
    Resume(Option<DurablePoint>),
    /// The recorded run is complete and the history has no commit after its last one.
    UpToDate,
}

/// Where a watch starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchStart {
    /// No earlier watch in the output folder (or `--overwrite`): time 0 scans the tree.
    Fresh,
    /// The watch recorded in the output folder goes on after its durable time (`None`: it was
    /// killed before time 0 was durable, so it starts over in place).
    Resume(Option<u64>),
}

/// The manifest of the run recorded in the folder `out` that the run `info` describes continues;
/// `None` when it starts afresh (`overwrite`, or no run is recorded). A manifest of another run
/// (source, configuration, engine or grammars) is refused, saying what to write instead.
fn recorded_run(out: &Path, overwrite: bool, info: &RunInfo) -> anyhow::Result<Option<Manifest>> {
    if overwrite || !out.join(MANIFEST_FILE).exists() {
        return Ok(None);
    }
    let manifest = read_manifest(out).map_err(|e| refusal(format!("{e:#}; {INSTEAD}")))?;
    manifest.check_resumable(info).map_err(|reason| {
        refusal(format!("output folder {} holds the output of another run: {reason:#}; {INSTEAD}", out.display()))
    })?;
    Ok(Some(manifest))
}

/// What a refused output folder asks for.
const INSTEAD: &str = "pass --overwrite to replace it, or choose another --out";

/// Decides where a watch, described by `info`, into the folder `out` starts.
pub fn decide_watch(out: &Path, overwrite: bool, info: &RunInfo) -> anyhow::Result<WatchStart> {
    Ok(match recorded_run(out, overwrite, info)? {
        None => WatchStart::Fresh,
        Some(manifest) => WatchStart::Resume(manifest.durable_time),
    })
}

/// Decides where a replay of `commits`, described by `info`, into the folder `out` starts.
pub fn decide(out: &Path, overwrite: bool, info: &RunInfo, commits: &[CommitMeta]) -> anyhow::Result<ReplayStart> {
    let Some(manifest) = recorded_run(out, overwrite, info)? else {
        return Ok(ReplayStart::Fresh);
    };
    let Some(time) = manifest.durable_time else {
        return Ok(ReplayStart::Resume(None));
    };
    let Some(commit) = manifest.durable_commit else {
        return Err(refusal(format!(
            "output folder {} records no commit at its durable time {time}; {INSTEAD}",
            out.display()
        )));
    };
    let now = usize::try_from(time).ok().and_then(|t| commits.get(t)).map(|meta| meta.id.to_string());
    if now.as_deref() != Some(commit.as_str()) {
        let found = match now {
            Some(other) => format!("it is now {other}"),
            None => format!("the history now has only {} commits", commits.len()),
        };
        return Err(refusal(format!(
            "the history of {} was rewritten since {} was written: commit {commit} was replayed at time {time}, \
             {found}; pass --overwrite to replay it afresh, or choose another --out",
            info.source,
            out.display()
        )));
    }
    if manifest.complete && time + 1 == commits.len() as u64 {
        return Ok(ReplayStart::UpToDate);
    }
    Ok(ReplayStart::Resume(Some(DurablePoint { time, commit })))
}

fn refusal(message: String) -> anyhow::Error {
    OutputRefused(message).into()
}
