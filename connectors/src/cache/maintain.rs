//! Reporting on a cache and pruning it (`cpt cache stats`, `cpt cache prune`). Pruning drops
//! whole namespaces that this build cannot use (stale), entries written before a cutoff, and the
//! least recently written entries beyond a size cap, then compacts the file so that it shrinks.

use super::location::cache_file;
use super::namespace::{Namespace, NAMESPACES};
use super::record::{now_seconds, EntryTable, KeyBytes};
use super::store;
use anyhow::{anyhow, Context};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Bytes of an entry that do not depend on its analysis: key and write time.
const ENTRY_OVERHEAD: u64 = size_of::<KeyBytes>() as u64 + size_of::<u64>() as u64;

/// How often pruning to a size cap drops more and compacts again when the file is still over it.
const SIZE_ROUNDS: usize = 4;

/// What one namespace holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceStats {
    /// Who wrote it, with which configuration.
    pub namespace: Namespace,
    /// Entries.
    pub entries: u64,
    /// Bytes of keys and values (the file adds redb's pages and free space).
    pub stored_bytes: u64,
    /// When its latest entry was written.
    pub last_written: Option<SystemTime>,
}

/// What a cache holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheStats {
    /// The cache file.
    pub file: PathBuf,
    /// Its size on disk (0 when it does not exist).
    pub file_bytes: u64,
    /// Every namespace, current ones first.
    pub namespaces: Vec<NamespaceStats>,
}

impl CacheStats {
    /// Entries of every namespace.
    pub fn entries(&self) -> u64 {
        self.namespaces.iter().map(|n| n.entries).sum()
    }
}

/// What to drop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PruneRules {
    /// Every namespace of another engine (another cpt build or grammar version).
    pub stale: bool,
    /// Entries written longer ago than this.
    pub older_than: Option<Duration>,
    /// The least recently written entries, until the file is at most this many bytes.
    pub max_bytes: Option<u64>,
}

/// The outcome of a prune.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pruned {
    /// Entries dropped.
    pub removed: u64,
    /// The file's size before.
    pub bytes_before: u64,
    /// The cache after.
    pub after: CacheStats,
}

/// Reports on the cache in the folder `dir`.
pub fn stats(dir: &Path) -> anyhow::Result<CacheStats> {
    let file = cache_file(dir);
    if !file.exists() {
        return Ok(CacheStats { file, file_bytes: 0, namespaces: Vec::new() });
    }
    read_stats(&open(&file)?, &file)
}

/// Prunes the cache in the folder `dir` by `rules`, then compacts it.
pub fn prune(dir: &Path, rules: PruneRules) -> anyhow::Result<Pruned> {
    let file = cache_file(dir);
    if !file.exists() {
        return Ok(Pruned { removed: 0, bytes_before: 0, after: stats(dir)? });
    }
    let bytes_before = file_bytes(&file)?;
    let mut database = open(&file)?;
    let txn = database.begin_write()?;
    let mut removed = drop_by_namespace_and_age(&txn, rules)?;
    drop_empty_namespaces(&txn)?;
    txn.commit()?;
    compact(&mut database)?;
    if let Some(max_bytes) = rules.max_bytes {
        for _ in 0..SIZE_ROUNDS {
            let size = file_bytes(&file)?;
            if size <= max_bytes {
                break;
            }
            let txn = database.begin_write()?;
            removed += drop_oldest(&txn, size, max_bytes)?;
            drop_empty_namespaces(&txn)?;
            txn.commit()?;
            compact(&mut database)?;
        }
    }
    Ok(Pruned { removed, bytes_before, after: read_stats(&database, &file)? })
}

fn open(file: &Path) -> anyhow::Result<Database> {
    store::open_file(file).map_err(|failure| anyhow!("{}", failure.message()))
}

fn file_bytes(file: &Path) -> anyhow::Result<u64> {
    Ok(std::fs::metadata(file).with_context(|| format!("reading {}", file.display()))?.len())
}

fn compact(database: &mut Database) -> anyhow::Result<()> {
    while database.compact().context("compacting the cache")? {}
    Ok(())
}

/// The registered namespaces: table name → namespace.
fn namespaces(
    registry: &impl ReadableTable<&'static str, &'static str>,
) -> anyhow::Result<BTreeMap<String, Namespace>> {
    let mut found = BTreeMap::new();
    for entry in registry.iter()? {
        let (table, json) = entry?;
        found.insert(table.value().to_string(), Namespace::from_json(json.value()).map_err(|e| anyhow!(e))?);
    }
    Ok(found)
}

fn read_stats(database: &Database, file: &Path) -> anyhow::Result<CacheStats> {
    let txn = database.begin_read()?;
    let mut stats = Vec::new();
    for (table, namespace) in namespaces(&txn.open_table(NAMESPACES)?)? {
        let (mut entries, mut stored_bytes, mut last_written) = (0, 0, None);
        for entry in txn.open_table(EntryTable::new(&table))?.iter()? {
            let (_, value) = entry?;
            let (written, stored) = value.value();
            entries += 1;
            stored_bytes += ENTRY_OVERHEAD + stored.len() as u64;
            last_written = last_written.max(Some(written));
        }
        let last_written = last_written.map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds));
        stats.push(NamespaceStats { namespace, entries, stored_bytes, last_written });
    }
    stats.sort_by_key(|s| (s.namespace.is_stale(), s.namespace.engine.clone(), s.namespace.config.clone()));
    Ok(CacheStats { file: file.to_path_buf(), file_bytes: file_bytes(file)?, namespaces: stats })
}

/// Drops stale namespaces and entries written before the cutoff.
fn drop_by_namespace_and_age(txn: &WriteTransaction, rules: PruneRules) -> anyhow::Result<u64> {
    let mut removed = 0;
    for (table, namespace) in namespaces(&txn.open_table(NAMESPACES)?)? {
        let mut entries = txn.open_table(EntryTable::new(&table))?;
        let before = entries.len()?;
        if rules.stale && namespace.is_stale() {
            entries.retain(|_, _| false)?;
        } else if let Some(age) = rules.older_than {
            let cutoff = now_seconds().saturating_sub(age.as_secs());
            entries.retain(|_, (written, _)| written >= cutoff)?;
        }
        removed += before - entries.len()?;
    }
    Ok(removed)
}

/// Drops the least recently written entries so that the stored bytes shrink in proportion to the
/// file's excess over `max_bytes` (with a tenth more, for redb's pages).
fn drop_oldest(txn: &WriteTransaction, file_bytes: u64, max_bytes: u64) -> anyhow::Result<u64> {
    let tables: Vec<String> = namespaces(&txn.open_table(NAMESPACES)?)?.into_keys().collect();
    let mut all: Vec<(u64, usize, KeyBytes, u64)> = Vec::new();
    for (index, table) in tables.iter().enumerate() {
        for entry in txn.open_table(EntryTable::new(table))?.iter()? {
            let (key, value) = entry?;
            let (written, stored) = value.value();
            all.push((written, index, *key.value(), ENTRY_OVERHEAD + stored.len() as u64));
        }
    }
    all.sort_unstable();
    let stored: u64 = all.iter().map(|entry| entry.3).sum();
    let target = (u128::from(stored) * u128::from(max_bytes) * 9 / 10 / u128::from(file_bytes.max(1))) as u64;
    let mut kept = stored;
    let mut victims: Vec<Vec<KeyBytes>> = vec![Vec::new(); tables.len()];
    for (_, index, key, bytes) in all {
        if kept <= target {
            break;
        }
        victims[index].push(key);
        kept -= bytes;
    }
    for (table, keys) in tables.iter().zip(&victims) {
        let mut entries = txn.open_table(EntryTable::new(table))?;
        for key in keys {
            entries.remove(key)?;
        }
    }
    Ok(victims.iter().map(|keys| keys.len() as u64).sum())
}

/// Deletes the tables of namespaces left without entries, and their registrations.
fn drop_empty_namespaces(txn: &WriteTransaction) -> anyhow::Result<()> {
    let mut registry = txn.open_table(NAMESPACES)?;
    for table in namespaces(&registry)?.into_keys() {
        let definition = EntryTable::new(&table);
        if txn.open_table(definition)?.is_empty()? {
            txn.delete_table(definition)?;
            registry.remove(table.as_str())?;
        }
    }
    Ok(())
}
