//! The in-memory content memo: every distinct (content id, language) is analysed once per
//! process and its facts kept while the job runs, so that a retraction, a second path with the
//! same bytes, or a rename never parses again (ARCHITECTURE §3).
//!
//! Only analyses are memoised, never read failures: a failure to read belongs to a path at a
//! moment (the file vanished or changed), not to the content.

use crate::facts::{facts_from, ParsedFacts};
use cpt_connectors::content::ContentSource;
use cpt_operators::analyze::analyze;
use cpt_operators::model::{AnalysisConfig, ContentKey, InputError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const SHARDS: usize = 64;

/// Parse results by content key, shared by the workers of one process.
pub struct ContentMemo {
    shards: Vec<Mutex<HashMap<ContentKey, Arc<ParsedFacts>>>>,
    source: Arc<dyn ContentSource>,
    config: AnalysisConfig,
    lookups: AtomicU64,
    parsed_files: AtomicU64,
    parsed_bytes: AtomicU64,
    parse_nanos: AtomicU64,
}

impl ContentMemo {
    /// An empty memo reading contents from `source` and analysing them with `config`.
    pub fn new(source: Arc<dyn ContentSource>, config: AnalysisConfig) -> Self {
        ContentMemo {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            source,
            config,
            lookups: AtomicU64::new(0),
            parsed_files: AtomicU64::new(0),
            parsed_bytes: AtomicU64::new(0),
            parse_nanos: AtomicU64::new(0),
        }
    }

    fn shard(&self, key: &ContentKey) -> &Mutex<HashMap<ContentKey, Arc<ParsedFacts>>> {
        &self.shards[key.id.0[0] as usize % SHARDS]
    }

    /// The facts of `key`, reading its bytes from `path` only when it was never analysed; an
    /// error when the bytes cannot be read there.
    pub fn facts(&self, key: &ContentKey, path: &[u8]) -> Result<Arc<ParsedFacts>, InputError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        if let Some(found) = self.shard(key).lock().expect("memo shard").get(key) {
            return Ok(Arc::clone(found));
        }
        let started = Instant::now();
        let bytes = self.source.read(path, key.id)?;
        let facts = Arc::new(facts_from(analyze(&bytes, key.lang, &self.config)));
        self.parse_nanos.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.parsed_files.fetch_add(1, Ordering::Relaxed);
        self.parsed_bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let mut shard = self.shard(key).lock().expect("memo shard");
        Ok(Arc::clone(shard.entry(*key).or_insert(facts)))
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
}
