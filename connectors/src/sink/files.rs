//! Files of an output folder: staging and rename of part files, their fsync at commit (all of a
//! commit's files and folders at once), and orphan clean-up.

use super::manifest::{Manifest, MANIFEST_TEMP};
use super::{table_names, PartFile};
use anyhow::Context;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::collections::{BTreeSet, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Folder, inside the output folder, where part files are written before they move into place.
const STAGING: &str = "_staging";

/// Which part file to write: its table, writer and range of times.
pub(super) struct PartSpec<'a> {
    /// The table folder.
    pub table: &'a str,
    /// The worker writing it.
    pub worker: usize,
    /// Smallest time of its rows.
    pub min_time: u64,
    /// Largest time of its rows.
    pub max_time: u64,
    /// How many rows it will hold.
    pub rows: usize,
}

/// True when `dir` exists and has at least one entry.
pub(super) fn has_entries(dir: &Path) -> anyhow::Result<bool> {
    if !dir.exists() {
        return Ok(false);
    }
    let mut entries = fs::read_dir(dir).with_context(|| format!("listing folder {}", dir.display()))?;
    Ok(entries.next().is_some())
}

/// Makes the folder ready for writing: an empty staging folder, one folder per table, and no file
/// in a table folder that `manifest` does not list (nor a left-over temporary manifest).
pub(super) fn prepare(root: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let staging = root.join(STAGING);
    if staging.exists() {
        fs::remove_dir_all(&staging).with_context(|| format!("removing staged files in {}", staging.display()))?;
    }
    fs::create_dir_all(&staging).with_context(|| format!("creating staging folder {}", staging.display()))?;
    let temp = root.join(MANIFEST_TEMP);
    if temp.exists() {
        fs::remove_file(&temp).with_context(|| format!("removing {}", temp.display()))?;
    }
    let listed: HashSet<PathBuf> = manifest.parts().map(|p| root.join(p.file)).collect();
    let tables: BTreeSet<&str> =
        table_names().iter().copied().chain(manifest.tables.keys().map(String::as_str)).collect();
    let mut removed = 0usize;
    for table in tables {
        let dir = root.join(table);
        fs::create_dir_all(&dir).with_context(|| format!("creating table folder {}", dir.display()))?;
        removed += remove_unlisted(&dir, &listed)?;
    }
    if removed > 0 {
        tracing::info!("removed {removed} part files of {} that no manifest lists", root.display());
    }
    sync_dir(root)
}

/// Removes every non-folder entry of `dir` that is not in `listed`; returns how many.
fn remove_unlisted(dir: &Path, listed: &HashSet<PathBuf>) -> anyhow::Result<usize> {
    let mut removed = 0;
    let entries = fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let path = entry.path();
        let is_dir = entry.file_type().with_context(|| format!("inspecting {}", path.display()))?.is_dir();
        if !is_dir && !listed.contains(&path) {
            fs::remove_file(&path).with_context(|| format!("removing orphan file {}", path.display()))?;
            removed += 1;
        }
    }
    if removed > 0 {
        sync_dir(dir)?;
    }
    Ok(removed)
}

/// Writes `batch` (or no rows at all) with `schema` as a Parquet file in the staging folder
/// and renames it into its table folder under a name no other part has. Neither the file nor its
/// folder is fsynced here: the commit that lists the part fsyncs both first, together with every
/// other file and folder of that commit ([`super::OutputDir::commit`]). A part renamed but not yet
/// listed is an orphan that the next start removes, whatever a crash left of it.
pub(super) fn write_part_file(
    root: &Path,
    next_seq: &AtomicU64,
    spec: &PartSpec<'_>,
    schema: SchemaRef,
    batches: &mut dyn Iterator<Item = anyhow::Result<RecordBatch>>,
) -> anyhow::Result<PartFile> {
    let table_dir = root.join(spec.table);
    fs::create_dir_all(&table_dir).with_context(|| format!("creating table folder {}", table_dir.display()))?;
    let staging = root.join(STAGING);
    fs::create_dir_all(&staging).with_context(|| format!("creating staging folder {}", staging.display()))?;
    let (seq, file, target) = loop {
        let seq = next_seq.fetch_add(1, Ordering::Relaxed);
        let file = format!("{}/part-{}-{}-w{}-{seq}.parquet", spec.table, spec.min_time, spec.max_time, spec.worker);
        let target = root.join(&file);
        if !target.exists() {
            break (seq, file, target);
        }
    };
    let staged = staging.join(format!("{}-w{}-{seq}.parquet", spec.table, spec.worker));
    let rows = write_parquet(&staged, schema, properties_for(spec.rows), batches)
        .with_context(|| format!("writing part file {}", staged.display()))?;
    fs::rename(&staged, &target).with_context(|| format!("moving {} to {}", staged.display(), target.display()))?;
    Ok(PartFile {
        table: spec.table.to_string(),
        file,
        worker: spec.worker,
        min_time: spec.min_time,
        max_time: spec.max_time,
        rows,
    })
}

/// Rows per Parquet row group: bounds the encoder's buffers while a part file is written.
const ROWS_PER_ROW_GROUP: usize = 65_536;

/// Parts with fewer rows than this are written plainly: see [`properties_for`].
const SMALL_PART_ROWS: usize = 4_096;

/// How a part of `rows` rows is encoded: zstd and the parquet crate's defaults, except for small
/// parts. For every column the parquet crate sets up a zstd compression and decompression context
/// and a dictionary's hash table, and collects statistics per page; for the parts of a watch's time
/// (a few rows in each of a dozen tables) that setup took a fifth of the time's CPU and more than
/// the rest of the write. A small part is therefore written uncompressed, without dictionaries and
/// with statistics per column chunk only: its bytes are few either way.
fn properties_for(rows: usize) -> WriterProperties {
    let builder = WriterProperties::builder().set_max_row_group_row_count(Some(ROWS_PER_ROW_GROUP));
    match rows < SMALL_PART_ROWS {
        true => builder
            .set_compression(Compression::UNCOMPRESSED)
            .set_dictionary_enabled(false)
            .set_statistics_enabled(EnabledStatistics::Chunk),
        false => builder.set_compression(Compression::ZSTD(ZstdLevel::default())),
    }
    .build()
}

/// Writes one Parquet file at `path` from batches built one at a time; returns the number of rows.
/// A failed write leaves no file behind.
fn write_parquet(
    path: &Path,
    schema: SchemaRef,
    props: WriterProperties,
    batches: &mut dyn Iterator<Item = anyhow::Result<RecordBatch>>,
) -> anyhow::Result<u64> {
    let result = (|| {
        let file = File::create(path)?;
        let mut writer = ArrowWriter::try_new(file, schema, Some(props))?;
        let mut rows = 0u64;
        for batch in batches {
            let batch = batch?;
            writer.write(&batch)?;
            rows += batch.num_rows() as u64;
        }
        writer.close()?;
        anyhow::Ok(rows)
    })();
    if result.is_err() {
        // Best effort: the write error is what matters to the caller.
        let _ = fs::remove_file(path);
    }
    result
}

/// Fsyncs a file or folder (a folder: so that entries created or renamed in it are durable).
pub(super) fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("syncing {}", dir.display()))
}

/// Most fsyncs in flight at once.
const CONCURRENT_SYNCS: usize = 16;

/// Fsyncs every file and folder of `paths`, up to [`CONCURRENT_SYNCS`] at once: the file system
/// makes concurrent fsyncs durable together (one journal commit, one device flush), where one
/// after another each waits for its own (16 small files here: 16 ms in turn, 7 ms at once).
pub(super) fn sync_all(paths: &[PathBuf]) -> anyhow::Result<()> {
    let chunk = paths.len().div_ceil(CONCURRENT_SYNCS).max(1);
    std::thread::scope(|scope| {
        let syncs: Vec<_> =
            paths.chunks(chunk).map(|chunk| scope.spawn(|| chunk.iter().try_for_each(|p| sync_dir(p)))).collect();
        syncs.into_iter().try_for_each(|sync| sync.join().expect("an fsync thread panicked"))
    })
}
