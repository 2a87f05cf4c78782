//! The content memo: every distinct (content id, language) is analysed once per process and its
//! facts kept while the job runs, so that a retraction, a second path with the same bytes, or a
//! rename never parses again; and, through the durable [`ContentCache`], once ever: a content
//! that an earlier run analysed with the same engine and configuration is read from the cache
//! instead of parsed (ARCHITECTURE §3). New analyses are written to the cache as they are made.
//!
//! Only analyses are memoised, never read failures: a failure to read belongs to a path at a
//! moment (the file vanished or changed), not to the content.

use crate::facts::{facts_from, ParsedFacts};
use cpt_connectors::cache::ContentCache;
use cpt_connectors::content::ContentSource;
use cpt_operators::catalog::Catalog;
use cpt_operators::model::{AnalysisConfig, ContentKey, InputError, ParsedContent};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const SHARDS: usize = 64;

/// The durable cache behind a memo.
pub enum DurableCache {
    /// None was asked for (`--no-cache`).
    Off,
    /// An open cache.
    Open(ContentCache),
    /// One was asked for but could not be opened; why.
    Unusable(String),
}

/// How the durable cache served a job, for its summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheState {
    /// None was asked for.
    Off,
    /// Used without a problem.
    Used,
    /// Could not be opened: the job ran without it.
    Unusable(String),
    /// Used, but something went wrong (a renewed file, a failed read or write).
    Troubled(String),
}

/// How the contents of a job were analysed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentCounts {
    /// Contents parsed.
    pub parsed: u64,
    /// Contents read from the durable cache instead.
    pub from_cache: u64,
    /// How the cache served.
    pub cache: CacheState,
}

/// Parse results by content key, shared by the workers of one process.
pub struct ContentMemo {
    shards: Vec<Mutex<HashMap<ContentKey, Arc<ParsedFacts>>>>,
    source: Arc<dyn ContentSource>,
    config: AnalysisConfig,
    catalog: Arc<Catalog>,
    durable: DurableCache,
    lookups: AtomicU64,
    parsed_files: AtomicU64,
    parsed_bytes: AtomicU64,
    parse_nanos: AtomicU64,
    cached_files: AtomicU64,
}

impl ContentMemo {
    /// An empty memo reading contents from `source`, analysing them with `config` and matching
    /// their units against `catalog` (whose fingerprint `config.catalog` names), with no durable
    /// cache.
    pub fn new(source: Arc<dyn ContentSource>, config: AnalysisConfig, catalog: Arc<Catalog>) -> Self {
        ContentMemo {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            source,
            config,
            catalog,
            durable: DurableCache::Off,
            lookups: AtomicU64::new(0),
            parsed_files: AtomicU64::new(0),
            parsed_bytes: AtomicU64::new(0),
            parse_nanos: AtomicU64::new(0),
            cached_files: AtomicU64::new(0),
        }
    }

    /// The memo consulting `durable` before it parses, and writing new analyses to it. The
    /// cache's namespace must be that of this memo's configuration.
    pub fn with_cache(self, durable: DurableCache) -> Self {
        ContentMemo { durable, ..self }
    }

    fn shard(&self, key: &ContentKey) -> &Mutex<HashMap<ContentKey, Arc<ParsedFacts>>> {
        &self.shards[key.id.0[0] as usize % SHARDS]
    }

    fn remembered(&self, key: &ContentKey) -> Option<Arc<ParsedFacts>> {
        self.shard(key).lock().expect("memo shard").get(key).map(Arc::clone)
    }

    fn remember(&self, key: &ContentKey, parsed: ParsedContent) -> Arc<ParsedFacts> {
        let facts = Arc::new(facts_from(parsed));
        Arc::clone(self.shard(key).lock().expect("memo shard").entry(*key).or_insert(facts))
    }

    fn read_cache(&self, key: &ContentKey) -> Option<ParsedContent> {
        let DurableCache::Open(cache) = &self.durable else { return None };
        let parsed = cache.get(key)?;
        self.cached_files.fetch_add(1, Ordering::Relaxed);
        Some(parsed)
    }

    /// The facts of `key`: from memory, else from the durable cache, else analysed from its bytes
    /// read at `path` (an error when they cannot be read there).
    pub fn facts(&self, key: &ContentKey, path: &[u8]) -> Result<Arc<ParsedFacts>, InputError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        if let Some(found) = self.cached_facts(key) {
            return Ok(found);
        }
        let started = Instant::now();
        let bytes = self.source.read(path, key.id)?;
        let parsed = self.catalog.analyze(&bytes, key.lang, &self.config);
        self.parse_nanos.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.parsed_files.fetch_add(1, Ordering::Relaxed);
        self.parsed_bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if let DurableCache::Open(cache) = &self.durable {
            cache.put(key, &parsed);
        }
        Ok(self.remember(key, parsed))
    }

    /// The facts of `key` if they are in memory or in the durable cache, without reading or
    /// parsing anything (a resumed job rebuilds its state from these).
    pub fn cached_facts(&self, key: &ContentKey) -> Option<Arc<ParsedFacts>> {
        self.remembered(key).or_else(|| self.read_cache(key).map(|parsed| self.remember(key, parsed)))
    }

    /// Commits every new analysis to the durable cache now (the cache also does so by itself
    /// every few seconds, and when it is dropped).
    pub fn flush_cache(&self) {
        if let DurableCache::Open(cache) = &self.durable {
            cache.flush();
        }
    }

    /// Contents analysed so far.
    pub fn parsed_files(&self) -> u64 {
        self.parsed_files.load(Ordering::Relaxed)
    }

    /// Analyses asked for so far (memo hits and parses).
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Seconds spent reading and analysing contents, summed over threads.
    pub fn parse_seconds(&self) -> f64 {
        self.parse_nanos.load(Ordering::Relaxed) as f64 / 1e9
    }

    /// Bytes analysed so far.
    pub fn parsed_bytes(&self) -> u64 {
        self.parsed_bytes.load(Ordering::Relaxed)
    }

    /// Contents read from the durable cache so far.
    pub fn cached_files(&self) -> u64 {
        self.cached_files.load(Ordering::Relaxed)
    }

    /// How the contents were analysed so far, and how the durable cache served.
    pub fn counts(&self) -> ContentCounts {
        let cache = match &self.durable {
            DurableCache::Off => CacheState::Off,
            DurableCache::Unusable(why) => CacheState::Unusable(why.clone()),
            DurableCache::Open(cache) => cache.problem().map_or(CacheState::Used, CacheState::Troubled),
        };
        ContentCounts { parsed: self.parsed_files(), from_cache: self.cached_files(), cache }
    }
}
