//! The manifest `OUT/_manifest.json`: what a run is and which part files hold its durable output.
//! It is rewritten atomically (temporary file, fsync, rename, fsync of the folder).

use super::{files, PartFile, RunInfo};
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// File name of the manifest inside an output folder.
pub const MANIFEST_FILE: &str = "_manifest.json";

/// Name of the temporary file a new manifest is written to before it replaces the old one.
pub(super) const MANIFEST_TEMP: &str = "_manifest.json.tmp";

/// Version of the manifest layout and of the table schemas it describes (2: the `lineage` table,
/// the source's tip and the durable commit; 3: the `similar_pairs` table, which a resume reads).
const FORMAT_VERSION: u32 = 3;

/// The manifest of an output folder (serialised as `_manifest.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Version of the manifest layout and table schemas (2).
    pub format_version: u32,
    /// Version of the cpt engine that wrote the output.
    pub engine_version: String,
    /// Grammar versions the run parsed with, by name.
    pub grammar_versions: BTreeMap<String, String>,
    /// Hash of the configuration that shapes the output.
    pub config_hash: String,
    /// What was analysed.
    pub source: SourceRecord,
    /// Every time up to and including this one is completely written; `None` before the first commit.
    pub durable_time: Option<u64>,
    /// The commit replayed at the durable time (replay only): a resume checks that the history
    /// still holds it there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable_commit: Option<String>,
    /// True once the run wrote its last time (a scan or replay that ran to its end).
    pub complete: bool,
    /// The committed part files of each table, by table name.
    pub tables: BTreeMap<String, Vec<PartEntry>>,
    /// When the run started (RFC 3339, UTC).
    pub created_at: String,
    /// When the manifest was last rewritten (RFC 3339, UTC).
    pub updated_at: String,
}

/// The analysed source, as recorded in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRecord {
    /// `scan`, `replay` or `watch`.
    pub kind: String,
    /// The scanned path, or the repository and branch (or range) of a replay.
    pub location: String,
    /// The commit at the tip of the replayed branch or range when the manifest was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip: Option<String>,
}

/// One committed part file of a table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartEntry {
    /// Path relative to the output folder, with `/` separators.
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

impl Manifest {
    /// A new run's manifest: nothing durable yet, no parts.
    pub(super) fn new(info: &RunInfo) -> Manifest {
        let now = now_rfc3339();
        Manifest {
            format_version: FORMAT_VERSION,
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            grammar_versions: info.grammar_versions.iter().cloned().collect(),
            config_hash: info.config_hash.clone(),
            source: SourceRecord {
                kind: info.source_kind.clone(),
                location: info.source.clone(),
                tip: info.commits.last().cloned(),
            },
            durable_time: None,
            durable_commit: None,
            complete: false,
            tables: BTreeMap::new(),
            created_at: now.clone(),
            updated_at: now,
        }
    }

    /// Every committed part file, with its table.
    pub fn parts(&self) -> impl Iterator<Item = PartFile> + '_ {
        self.tables.iter().flat_map(|(table, entries)| {
            entries.iter().map(move |e| PartFile {
                table: table.clone(),
                file: e.file.clone(),
                worker: e.worker,
                min_time: e.min_time,
                max_time: e.max_time,
                rows: e.rows,
            })
        })
    }

    /// Lists `part` under its table; a part already listed is not listed twice.
    pub(super) fn add_part(&mut self, part: PartFile) {
        let entries = self.tables.entry(part.table).or_default();
        if entries.iter().any(|e| e.file == part.file) {
            return;
        }
        entries.push(PartEntry {
            file: part.file,
            worker: part.worker,
            min_time: part.min_time,
            max_time: part.max_time,
            rows: part.rows,
        });
    }

    /// Marks the manifest as rewritten now.
    pub(super) fn touch(&mut self) {
        self.updated_at = now_rfc3339();
    }

    /// Checks that `info` describes the run this manifest records (the same source, configuration,
    /// engine and grammars), so that it may be resumed; the error says what differs.
    pub fn check_resumable(&self, info: &RunInfo) -> anyhow::Result<()> {
        if self.format_version != FORMAT_VERSION {
            bail!("the output has format version {}, this cpt writes version {FORMAT_VERSION}", self.format_version);
        }
        let engine = env!("CARGO_PKG_VERSION");
        if self.engine_version != engine {
            bail!("the output was written by cpt {}, this is cpt {engine}", self.engine_version);
        }
        if self.config_hash != info.config_hash {
            bail!(
                "the configuration differs from the recorded run's (hash {} recorded, {} now)",
                self.config_hash,
                info.config_hash
            );
        }
        if self.source.kind != info.source_kind || self.source.location != info.source {
            bail!(
                "the source differs from the recorded run's ({} {} recorded, {} {} now)",
                self.source.kind,
                self.source.location,
                info.source_kind,
                info.source
            );
        }
        let grammars: BTreeMap<String, String> = info.grammar_versions.iter().cloned().collect();
        if self.grammar_versions != grammars {
            bail!(
                "the grammar versions differ from the recorded run's ({:?} recorded, {:?} now)",
                self.grammar_versions,
                grammars
            );
        }
        Ok(())
    }
}

/// Reads the manifest of the output folder `path` (or the manifest file `path` itself).
pub fn read_manifest(path: &Path) -> anyhow::Result<Manifest> {
    let file: PathBuf = if path.is_dir() { path.join(MANIFEST_FILE) } else { path.to_path_buf() };
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading the cpt manifest {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a valid cpt manifest", file.display()))
}

/// Replaces the manifest of `root` with `manifest` atomically and durably.
pub(super) fn write_manifest(root: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let temp = root.join(MANIFEST_TEMP);
    let target = root.join(MANIFEST_FILE);
    let result = write_synced(&temp, manifest).and_then(|()| {
        std::fs::rename(&temp, &target)
            .with_context(|| format!("renaming {} to {}", temp.display(), target.display()))?;
        files::sync_dir(root)
    });
    if result.is_err() {
        // Best effort: the error being returned matters more than a failed clean-up.
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes the manifest's JSON to `path` and fsyncs it.
fn write_synced(path: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(manifest).context("serialising the manifest")?;
    json.push(b'\n');
    let mut file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(&json).and_then(|()| file.sync_all()).with_context(|| format!("writing {}", path.display()))
}

/// The current time as RFC 3339 in UTC, to the second.
fn now_rfc3339() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The UTC date (`YYYY-MM-DD`) of a time in seconds since the epoch; times before it read as 1970-01-01.
pub(super) fn utc_date(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.max(0) as u64 / 86_400);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
