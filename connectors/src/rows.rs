//! The rows of the output tables, as the dataflow produces them (ARCHITECTURE §6).
//!
//! A changelog row is one of these values at a time with a signed diff; the sink turns
//! consolidated updates into Parquet record batches (see `sink::tables`).

use cpt_operators::catalog::stage::{adoption, Ppm, Standing};
use cpt_operators::model::{ContentId, ErrorReason, FileStats, Lang, LocalUnitId, RecogniserKind, UnitFingerprint};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A file path as raw bytes (paths need not be UTF-8); written as a lossy UTF-8 string plus the
/// raw bytes where the lossy string would lose information.
pub type PathBytes = Vec<u8>;

/// A row of `files`: one analysed file.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct FileRow {
    /// Path relative to the scanned root (or repository root).
    pub path: PathBytes,
    /// Language the file was parsed as.
    pub lang: Lang,
    /// Git blob id of the bytes.
    pub content_id: ContentId,
    /// Figures of the content.
    pub stats: FileStats,
}

/// A row of `units`: one unit at one path.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct UnitRow {
    /// Stable key: hash of (path, kind, qualified name, ordinal), as Int64.
    pub unit_key: i64,
    /// Key of the enclosing unit; `None` for a file unit.
    pub parent_unit_key: Option<i64>,
    /// Path of the file holding the unit.
    pub path: PathBytes,
    /// Language of that file.
    pub lang: Lang,
    /// Git blob id of that file's bytes.
    pub content_id: ContentId,
    /// Extent, identity, metrics and fingerprints (shared with the parse results, not copied).
    pub unit: Arc<UnitFingerprint>,
}

/// A row of `clone_groups`: one member of one exact clone group (units sharing `struct_hash`).
/// A group's size is the number of its member rows; no row repeats it, so that a member joining
/// or leaving changes that member's row only.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct CloneMemberRow {
    /// The group: the members' shared structural hash, as Int64.
    pub group_id: i64,
    /// The member unit.
    pub member: CloneUnit,
    /// The member's exact hash (members with equal exact hashes are Type-1 clones of each other).
    pub exact_hash: i64,
}

/// One unit as a clone table names it: key, place, identity and size.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct CloneUnit {
    /// The unit.
    pub unit_key: i64,
    /// Path of its file.
    pub path: PathBytes,
    /// Language of that file.
    pub lang: Lang,
    /// Its kind name (`function`, `method`, …).
    pub kind: String,
    /// Its qualified name.
    pub name: String,
    /// Its first line.
    pub start_line: u32,
    /// Its last line.
    pub end_line: u32,
    /// Its tokens.
    pub tokens: u32,
}

impl CloneUnit {
    /// The clone-table view of a `units` row.
    pub fn of(row: &UnitRow) -> CloneUnit {
        CloneUnit {
            unit_key: row.unit_key,
            path: row.path.clone(),
            lang: row.lang,
            kind: row.unit.id.kind.name().to_string(),
            name: row.unit.id.name.clone(),
            start_line: row.unit.start_line,
            end_line: row.unit.end_line,
            tokens: row.unit.metrics.tokens,
        }
    }
}

/// A row of `clone_pairs`: two units of one language whose vectors pass the similarity threshold
/// (ARCHITECTURE §4a) and whose token sequences pass the LCS check: a near-miss (Type-3) clone.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct ClonePairRow {
    /// The unit with the smaller key (shared: the dataflow copies pair rows to every consumer).
    pub a: Arc<CloneUnit>,
    /// The unit with the larger key.
    pub b: Arc<CloneUnit>,
    /// `⌊1000·cos⌋` of their vectors (the contract's integer score).
    pub score: u16,
    /// Their longest common token subsequence, in whole percent of the longer unit's tokens.
    pub lcs_percent: u8,
}

/// A row of `clone_classes`: one member of a class, a connected component of units linked by
/// exact clone groups and near-miss pairs (two members or more).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct CloneClassRow {
    /// The class: its smallest member unit key.
    pub class_id: i64,
    /// The member.
    pub member: CloneUnit,
}

/// A row of `mined_elements`: a clone class large and spread enough to be an element of the
/// periodic table grown from the code itself (ARCHITECTURE §5).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct MinedElementRow {
    /// The element: the smallest structural hash among its members, a pure function of content.
    pub element_id: i64,
    /// The clone class it is (the class's smallest member unit key).
    pub class_id: i64,
    /// Units in the class.
    pub members: u64,
    /// Files holding them.
    pub files: u64,
    /// Their languages, by name, sorted, comma-separated.
    pub languages: String,
    /// Sum of their tokens.
    pub tokens_sum: u64,
    /// The member that names the element: the smallest structural hash, then the smallest key.
    pub exemplar: CloneUnit,
}

/// A row of `errors`: one input that could not be read or parsed, or was skipped by policy.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct ErrorRow {
    /// Path of the input.
    pub path: PathBytes,
    /// Why.
    pub reason: ErrorReason,
    /// Detail (OS error text, counts, line numbers).
    pub detail: String,
    /// Blob id of the content when it was read.
    pub content_id: Option<ContentId>,
}

/// A row of `commits` (replay): the commit replayed at the row's time.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct CommitRow {
    /// The commit id, 40 lower-case hexadecimal digits.
    pub sha: String,
    /// Author time, seconds since the epoch.
    pub author_time: i64,
    /// Author name.
    pub author: String,
    /// The subject line of the message.
    pub subject: String,
}

/// A row of `lineage` (replay): a file renamed by the commit at the row's time (unit keys `None`),
/// or one unit of a renamed file that has the same kind, qualified name and ordinal in both
/// contents, with its key at the old path and at the new one.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct LineageRow {
    /// The renaming commit's id, 40 lower-case hexadecimal digits.
    pub commit: String,
    /// The path before the rename.
    pub old_path: PathBytes,
    /// The path after it.
    pub new_path: PathBytes,
    /// Shared content of the old and new file in percent (100: the same bytes).
    pub similarity: u32,
    /// The unit's key at the old path (`None` on the file's own row).
    pub old_unit_key: Option<i64>,
    /// The unit's key at the new path (`None` on the file's own row).
    pub new_unit_key: Option<i64>,
}

/// A row of `times` (watch): when the batch of the row's time was taken, and what it changed.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct TimeRow {
    /// Wall clock when the batch was delivered (time 0: when the first walk started),
    /// milliseconds since the Unix epoch.
    pub wall_clock_ms: i64,
    /// Paths whose file event or error row changed at this time (time 0: every path with one).
    pub changed_paths: u32,
}

/// A row of `matches`: one catalogue element found in one unit, and how.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct MatchRow {
    /// The element's symbol.
    pub symbol: String,
    /// The unit's key (as in `units`).
    pub unit_key: i64,
    /// Path of the unit's file.
    pub path: PathBytes,
    /// Language of that file.
    pub lang: Lang,
    /// How the element was recognised.
    pub recogniser: RecogniserKind,
    /// 100 for a query; for an exemplar, the cosine similarity in whole percent.
    pub score: u8,
    /// The unit (shared with the parse results, not copied).
    pub unit: Arc<UnitFingerprint>,
}

/// A row of `element_stats`: what one element amounts to in the state at the row's time. An
/// element found nowhere has no row.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct ElementStatsRow {
    /// The element's symbol.
    pub symbol: String,
    /// Units matching it.
    pub occurrences: u64,
    /// Files holding such a unit.
    pub files: u64,
    /// Their languages, by name, sorted, comma-separated.
    pub languages: String,
    /// Files analysed in all (the denominator of adoption).
    pub total_files: u64,
    /// Sum of the cyclomatic complexity of the matching units.
    pub cyclomatic_sum: u64,
    /// Sum of their tokens.
    pub tokens_sum: u64,
}

impl ElementStatsRow {
    /// The share of the analysed files holding the element, in parts per million.
    pub fn adoption(&self) -> Ppm {
        adoption(self.files, self.total_files)
    }
}

/// A row of `elements`: one element of the catalogue and where it stands at the row's time.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct ElementRow {
    /// Its symbol (unique in the catalogue).
    pub symbol: String,
    /// Its name.
    pub name: String,
    /// Its family (the table's column group).
    pub family: String,
    /// Its category within the family.
    pub category: String,
    /// Its period (the table's row): 1 atomic to 4 architectural.
    pub period: u8,
    /// The languages it has recognisers for, comma-separated.
    pub languages: String,
    /// One line saying what it is.
    pub summary: String,
    /// First seen, peak adoption, stage and trend, by the rules of `cpt_operators::catalog::stage`.
    pub standing: Standing,
}

/// The stable key of a unit at a path: a hash of (path, kind, qualified name, ordinal), as Int64.
pub fn unit_key(path: &[u8], id: &LocalUnitId) -> i64 {
    let mut bytes = Vec::with_capacity(path.len() + id.name.len() + 16);
    bytes.extend_from_slice(path);
    bytes.push(0);
    bytes.extend_from_slice(id.kind.name().as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(id.name.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(&id.ordinal.to_le_bytes());
    xxhash_rust::xxh3::xxh3_64(&bytes) as i64
}
