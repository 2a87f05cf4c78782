//! Where a replay starts (ARCHITECTURE §6): afresh; after the durable time of an earlier replay of
//! the same source with the same configuration recorded in the output folder (it was killed, or
//! the branch has moved on since); or nowhere, when that replay is complete and the branch has not
//! moved. Another run's output, or a history rewritten since the output was written, is refused
//! before anything in the folder is touched.

use cpt_connectors::git::CommitMeta;
use cpt_connectors::sink::{read_manifest, OutputRefused, RunInfo, MANIFEST_FILE};
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

/// Decides where a replay of `commits`, described by `info`, into the folder `out` starts.
pub fn decide(out: &Path, overwrite: bool, info: &RunInfo, commits: &[CommitMeta]) -> anyhow::Result<ReplayStart> {
    if overwrite || !out.join(MANIFEST_FILE).exists() {
        return Ok(ReplayStart::Fresh);
    }
    let instead = "pass --overwrite to replace it, or choose another --out";
    let manifest = read_manifest(out).map_err(|e| refusal(format!("{e:#}; {instead}")))?;
    manifest.check_resumable(info).map_err(|reason| {
        refusal(format!("output folder {} holds the output of another run: {reason:#}; {instead}", out.display()))
    })?;
    let Some(time) = manifest.durable_time else {
        return Ok(ReplayStart::Resume(None));
    };
    let Some(commit) = manifest.durable_commit else {
        return Err(refusal(format!(
            "output folder {} records no commit at its durable time {time}; {instead}",
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
