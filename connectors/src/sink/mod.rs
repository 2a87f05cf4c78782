//! The Parquet sink: changelog tables written as part files under a manifest (ARCHITECTURE §6).
//!
//! An output folder `OUT` holds one folder per table (`OUT/files/`, `OUT/units/`, …), each a set of
//! Parquet part files, and `OUT/_manifest.json`, the single source of truth: a part file counts only
//! once the manifest lists it. Part files are staged in `OUT/_staging/` and renamed into their
//! table folder; the committer fsyncs a commit's new parts and their folders all at once, then
//! rewrites the manifest atomically. Opening the folder
//! again removes every file the manifest does not list, so a reader never meets a torn or orphaned
//! file once a run has started again.
//!
//! Manifest-aware reading: take the files listed under `tables.<name>` in `_manifest.json`
//! (paths relative to `OUT`); globbing `OUT/<name>/*.parquet` is equivalent whenever no run is
//! writing to the folder. The state of a table at time `t` is the sum of `diff` over the rows with
//! `time <= t`, grouped by the other columns.

mod columns;
mod element_tables;
mod fault;
mod files;
mod manifest;
pub mod periodic;
pub mod read;
mod readback;
mod tables;
pub mod vectors;

pub use element_tables::{read_adoption, AdoptionFigures};
pub use fault::ABORT_AFTER_COMMIT_VARIABLE;
pub use manifest::{read_manifest, Manifest, PartEntry, SourceRecord, MANIFEST_FILE};
pub use readback::{clone_links_at, errors_at, files_at, table_size_at};
pub use tables::table_names;

/// Rows converted to Arrow and handed to the Parquet writer at a time: bounds the memory a large
/// part file needs while it is written.
const ROWS_PER_BATCH: usize = 8_192;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

/// One consolidated changelog update: `row` changed by `diff` at `time`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Update<R> {
    /// The row.
    pub row: R,
    /// The logical time (0 for a scan, the commit index in a replay).
    pub time: u64,
    /// The multiplicity change; never 0 in consolidated input.
    pub diff: i64,
}

/// A row type that has a table of its own in the output.
pub trait TableRow: Sized + Send + 'static {
    /// The table's folder name under the output folder (`files`, `units`, …).
    const TABLE: &'static str;
    /// The Arrow schema of the table's part files; its first two columns are `time` and `diff`.
    fn schema() -> arrow_schema::SchemaRef;
    /// Builds one record batch of `schema()` from updates.
    fn to_batch(updates: &[Update<Self>]) -> anyhow::Result<arrow_array::RecordBatch>;
}

/// What a run is, as recorded in the manifest and checked on resume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunInfo {
    /// `scan`, `replay` or `watch`.
    pub source_kind: String,
    /// The scanned path, or the repository and branch (or range) of a replay.
    pub source: String,
    /// A hash of the configuration that shapes the output.
    pub config_hash: String,
    /// Grammar crate versions by language or crate name.
    pub grammar_versions: Vec<(String, String)>,
    /// The commit replayed at each time (empty unless a replay): the manifest records the last
    /// as the source's tip, and the one at the durable time.
    pub commits: Vec<String>,
}

/// How to open an output folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// Start a new run; `overwrite` allows replacing another run's output in the folder.
    Fresh {
        /// Replace a previous run's output instead of refusing.
        overwrite: bool,
    },
    /// Continue the run recorded in the folder's manifest after its durable time; a manifest of
    /// another run is refused with [`OutputRefused`].
    Resume,
    /// Write part files for another process that commits them (a cluster process other than
    /// the first): the folder, its manifest and its clean-up are that process's, and nothing is
    /// touched on open. `resuming`: that process resumes, so the manifest's durable time is read
    /// (rows up to it are not written again).
    Follower {
        /// The committing process resumes the recorded run.
        resuming: bool,
    },
}

/// A part file written into place but not yet committed to the manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartFile {
    /// The table it belongs to.
    pub table: String,
    /// Its path relative to the output folder, with `/` separators (`units/part-…parquet`).
    pub file: String,
    /// The worker that wrote it.
    pub worker: usize,
    /// The smallest time of its rows.
    pub min_time: u64,
    /// The largest time of its rows.
    pub max_time: u64,
    /// Number of rows.
    pub rows: u64,
}

/// An open output folder, shared by every worker thread of a process (cheap to clone).
#[derive(Clone, Debug)]
pub struct OutputDir {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    durable_at_open: Option<u64>,
    next_seq: AtomicU64,
    manifest: Mutex<Manifest>,
    commits: Vec<String>,
    fault: fault::AbortAfterCommit,
}

impl OutputDir {
    /// Opens `path` for writing.
    ///
    /// `Fresh` refuses a folder holding another run's output unless `overwrite` (then that output is
    /// dropped), refuses a non-empty folder that is not a cpt output, and creates the folder.
    /// `Resume` requires a manifest with the same configuration hash, source, engine and grammar
    /// versions. Both remove files the manifest does not list, and everything staged; `Follower`
    /// touches nothing. The test
    /// hook of [`ABORT_AFTER_COMMIT_VARIABLE`] is read here.
    pub fn open(path: &Path, info: RunInfo, mode: OpenMode) -> anyhow::Result<OutputDir> {
        let root = path.to_path_buf();
        let fault = fault::AbortAfterCommit::from_env()?;
        let manifest = match mode {
            OpenMode::Fresh { overwrite } => open_fresh(&root, &info, overwrite)?,
            OpenMode::Resume => open_resume(&root, &info)?,
            OpenMode::Follower { resuming: false } => Manifest::new(&info),
            OpenMode::Follower { resuming: true } => read_manifest(&root)?,
        };
        if !matches!(mode, OpenMode::Follower { .. }) {
            files::prepare(&root, &manifest)?;
        }
        Ok(OutputDir {
            inner: Arc::new(Inner {
                root,
                durable_at_open: manifest.durable_time,
                next_seq: AtomicU64::new(0),
                manifest: Mutex::new(manifest),
                commits: info.commits,
                fault,
            }),
        })
    }

    /// The output folder.
    pub fn path(&self) -> &Path {
        &self.inner.root
    }

    /// The last durable time recorded in the manifest when the folder was opened
    /// (`None` before a run's first commit).
    pub fn durable_time(&self) -> Option<u64> {
        self.inner.durable_at_open
    }

    /// The durable time of this process's last commit to the manifest (at first, the one it was
    /// opened with).
    pub fn committed_time(&self) -> Option<u64> {
        self.inner.manifest.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).durable_time
    }

    /// Writes consolidated updates as one part file of `R::TABLE` and moves it into place;
    /// `Ok(None)` for no updates. The part counts only once [`OutputDir::commit`] lists it.
    pub fn write_part<R: TableRow>(&self, worker: usize, updates: &[Update<R>]) -> anyhow::Result<Option<PartFile>> {
        let (Some(min_time), Some(max_time)) =
            (updates.iter().map(|u| u.time).min(), updates.iter().map(|u| u.time).max())
        else {
            return Ok(None);
        };
        let mut batches = updates
            .chunks(ROWS_PER_BATCH)
            .map(|chunk| R::to_batch(chunk).with_context(|| format!("building a record batch of table {}", R::TABLE)));
        let spec = files::PartSpec { table: R::TABLE, worker, min_time, max_time, rows: updates.len() };
        let part = files::write_part_file(&self.inner.root, &self.inner.next_seq, &spec, R::schema(), &mut batches)?;
        Ok(Some(part))
    }

    /// Adds `parts` to the manifest, records `durable_time` (with its commit, in a replay) and
    /// `complete`, fsyncs the new parts and the table folders they were renamed into (all at
    /// once), and rewrites the manifest atomically. Tables of [`table_names`] still without a
    /// part get an empty part file, so that every table folder holds at least one readable file.
    /// Called by one committer only.
    pub fn commit(&self, parts: Vec<PartFile>, durable_time: u64, complete: bool) -> anyhow::Result<()> {
        let mut guard = self
            .inner
            .manifest
            .lock()
            .map_err(|_| anyhow::anyhow!("the manifest lock was poisoned by a panicked thread"))?;
        let mut next = guard.clone();
        if let Some(previous) = next.durable_time {
            if durable_time < previous {
                bail!(
                    "commit of durable time {durable_time} after durable time {previous}: \
                     durable time never goes back"
                );
            }
        }
        let mut touched: BTreeSet<String> = BTreeSet::new();
        let mut synced: Vec<PathBuf> = Vec::new();
        for part in parts {
            if part.max_time > durable_time {
                bail!(
                    "part {} holds times up to {}, beyond the durable time {durable_time} being committed",
                    part.file,
                    part.max_time
                );
            }
            let on_disk = self.inner.root.join(&part.file);
            if !on_disk.is_file() {
                bail!("part {} to commit is missing from {}", part.file, self.inner.root.display());
            }
            touched.insert(part.table.clone());
            synced.push(on_disk);
            next.add_part(part);
        }
        for &table in table_names() {
            if next.tables.get(table).is_none_or(|parts| parts.is_empty()) {
                let spec =
                    files::PartSpec { table, worker: 0, min_time: durable_time, max_time: durable_time, rows: 0 };
                let schema = tables::schema_of(table)?;
                let part = files::write_part_file(
                    &self.inner.root,
                    &self.inner.next_seq,
                    &spec,
                    schema,
                    &mut std::iter::empty(),
                )?;
                touched.insert(part.table.clone());
                synced.push(self.inner.root.join(&part.file));
                next.add_part(part);
            }
        }
        // The new parts and their folders, durable before the manifest lists them.
        synced.extend(touched.iter().map(|table| self.inner.root.join(table)));
        files::sync_all(&synced)?;
        next.durable_time = Some(durable_time);
        next.durable_commit = usize::try_from(durable_time).ok().and_then(|t| self.inner.commits.get(t)).cloned();
        next.complete = complete;
        next.touch();
        manifest::write_manifest(&self.inner.root, &next)?;
        *guard = next;
        self.inner.fault.committed();
        Ok(())
    }

    /// The manifest as it is on disk now.
    pub fn manifest(&self) -> anyhow::Result<Manifest> {
        read_manifest(&self.inner.root)
    }
}

/// Why an output folder cannot be used as asked: a usage error (the command line must change),
/// as opposed to a failure while writing.
#[derive(Debug)]
pub struct OutputRefused(pub String);

impl std::fmt::Display for OutputRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OutputRefused {}

fn refused(message: String) -> anyhow::Error {
    OutputRefused(message).into()
}

/// Fresh open: checks what the folder holds, then records a new run's empty manifest.
fn open_fresh(root: &Path, info: &RunInfo, overwrite: bool) -> anyhow::Result<Manifest> {
    if root.exists() && !root.is_dir() {
        return Err(refused(format!("output {} exists and is not a folder; choose another --out", root.display())));
    }
    if root.join(MANIFEST_FILE).exists() {
        if !overwrite {
            return Err(refused(format!(
                "output folder {} already holds the output of a cpt run ({MANIFEST_FILE}); \
                 pass --overwrite to replace it, or choose another --out",
                root.display()
            )));
        }
    } else if files::has_entries(root)? {
        return Err(refused(format!(
            "output folder {} is not empty and holds no cpt output (no {MANIFEST_FILE}); \
             choose an empty or new folder with --out",
            root.display()
        )));
    }
    std::fs::create_dir_all(root).with_context(|| format!("creating output folder {}", root.display()))?;
    let manifest = Manifest::new(info);
    // Recording the new, empty manifest first makes every old part an orphan, removed next.
    manifest::write_manifest(root, &manifest)?;
    Ok(manifest)
}

/// Resume open: the folder's manifest must describe this same run; it takes the source's new tip.
fn open_resume(root: &Path, info: &RunInfo) -> anyhow::Result<Manifest> {
    if !root.join(MANIFEST_FILE).is_file() {
        bail!("cannot resume: {} holds no cpt output (no {MANIFEST_FILE}); start without resuming", root.display());
    }
    let mut manifest = read_manifest(root)?;
    manifest.check_resumable(info).map_err(|reason| {
        refused(format!(
            "cannot resume the run in {}: {reason}; pass --overwrite to start afresh, or choose another --out",
            root.display()
        ))
    })?;
    manifest.source.tip = info.commits.last().cloned();
    Ok(manifest)
}
