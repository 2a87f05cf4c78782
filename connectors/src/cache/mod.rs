//! The durable content cache (ARCHITECTURE §3): the analysis of a content ([`ParsedContent`])
//! kept on disk under its content id and language, within a [`Namespace`] (the engine's identity
//! and the analysis configuration), so that a content any earlier scan, replay or watch analysed
//! is never parsed again, and a result of another engine or configuration is never reused.
//!
//! The store is one redb file, [`CACHE_FILE`] in the cache folder ([`default_dir`]); its layout
//! is described in `record` and `namespace`. Reads run concurrently on every worker thread;
//! writes are committed in batches by a background thread (`writer`). [`maintain`] reports on a
//! cache and prunes it (`cpt cache`).
//!
//! A cache never fails a run: an unsound file is moved aside and a new one started, a file that
//! another process holds (redb admits one writer) or that cannot be accessed leaves the run
//! without a cache, and a read or write that fails is warned about once and skipped (see
//! [`ContentCache::problem`]).

mod location;
pub mod maintain;
mod namespace;
mod problems;
mod record;
mod store;
mod writer;

pub use location::{cache_file, default_dir, CACHE_FILE};
pub use namespace::Namespace;

use cpt_operators::model::{ContentKey, ParsedContent};
use problems::{warn, Problems};
use record::EntryTable;
use redb::{Database, ReadableDatabase};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use writer::Writer;

/// An open content cache, shared by the worker threads of a process.
pub struct ContentCache {
    database: Arc<Database>,
    file: PathBuf,
    table: String,
    writer: Writer,
    problems: Arc<Problems>,
    reads_failed: AtomicBool,
}

impl ContentCache {
    /// Opens (or creates) the cache in the folder `dir` for entries of `namespace`. When it cannot
    /// be used, warns and returns why; the run then goes on without it.
    pub fn open(dir: &Path, namespace: &Namespace) -> Result<ContentCache, String> {
        let file = cache_file(dir);
        let opened = store::open_or_renew(&file).and_then(|(database, renewed)| {
            let table = namespace.table_name();
            register(&database, &table, namespace)
                .map_err(|e| store::OpenFailure::Inaccessible(format!("cannot write to {}: {e}", file.display())))?;
            Ok((database, table, renewed))
        });
        let (database, table, renewed) = opened.map_err(|failure| {
            let message = format!("{}; running without it", failure.message());
            warn(&message);
            message
        })?;
        let problems = Arc::new(Problems::default());
        if let Some(renewed) = renewed {
            problems.report(renewed);
        }
        let database = Arc::new(database);
        let writer = Writer::start(Arc::clone(&database), table.clone(), Arc::clone(&problems));
        Ok(ContentCache { database, file, table, writer, problems, reads_failed: AtomicBool::new(false) })
    }

    /// The stored analysis of `key`, if any. A value that cannot be decoded counts as missing
    /// (the content is parsed again and the entry rewritten); a failing store is read no more.
    pub fn get(&self, key: &ContentKey) -> Option<ParsedContent> {
        if self.reads_failed.load(Ordering::Relaxed) {
            return None;
        }
        let found = self.database.begin_read().map_err(redb::Error::from).and_then(|txn| {
            let entries = txn.open_table(EntryTable::new(&self.table))?;
            let value = entries.get(&record::key_bytes(key))?;
            Ok(value.map(|value| record::decode(value.value().1)))
        });
        match found {
            Ok(None) => None,
            Ok(Some(Ok(parsed))) => Some(parsed),
            Ok(Some(Err(why))) => {
                self.problems.report(format!("an entry could not be decoded ({why}); its content is parsed again"));
                None
            }
            Err(error) => {
                self.reads_failed.store(true, Ordering::Relaxed);
                self.problems.report(format!("reading {} failed ({error}); no more reads", self.file.display()));
                None
            }
        }
    }

    /// Stores the analysis of `key`; it is committed within a few seconds, or by [`flush`](Self::flush).
    pub fn put(&self, key: &ContentKey, parsed: &ParsedContent) {
        self.writer.put(record::key_bytes(key), record::encode(parsed));
    }

    /// Commits every stored analysis now.
    pub fn flush(&self) {
        self.writer.flush();
    }

    /// The first problem met since the cache was opened (a renewed file, a failed read or write).
    pub fn problem(&self) -> Option<String> {
        self.problems.first()
    }
}

/// Creates the entry table of `namespace` and records what it holds, unless an earlier run did.
fn register(database: &Database, table: &str, namespace: &Namespace) -> Result<(), redb::Error> {
    if database.begin_read()?.open_table(namespace::NAMESPACES)?.get(table)?.is_some() {
        return Ok(());
    }
    let txn = database.begin_write()?;
    {
        txn.open_table(EntryTable::new(table))?;
        txn.open_table(namespace::NAMESPACES)?.insert(table, namespace.to_json().as_str())?;
    }
    txn.commit()?;
    Ok(())
}
