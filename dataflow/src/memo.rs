//! The in-memory content memo: every distinct (content id, language) is analysed once per
//! process, and the result is kept for as long as the job runs, so that a retraction, a second
//! path with the same bytes, or a rename never parses again (ARCHITECTURE §3).

use cpt_connectors::content::ContentSource;
use cpt_operators::analyze::analyze;
use cpt_operators::model::{AnalysisConfig, ContentKey, ParsedContent};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 64;

/// Parse results by content key, shared by the workers of one process.
pub struct ContentMemo {
    shards: Vec<Mutex<HashMap<ContentKey, Arc<ParsedContent>>>>,
    source: Arc<dyn ContentSource>,
    config: AnalysisConfig,
    parsed_files: AtomicU64,
    parsed_bytes: AtomicU64,
    hits: AtomicU64,
}

impl ContentMemo {
    /// An empty memo reading contents from `source` and analysing them with `config`.
    pub fn new(source: Arc<dyn ContentSource>, config: AnalysisConfig) -> Self {
        ContentMemo {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            source,
            config,
            parsed_files: AtomicU64::new(0),
            parsed_bytes: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }
    }

    fn shard(&self, key: &ContentKey) -> &Mutex<HashMap<ContentKey, Arc<ParsedContent>>> {
        &self.shards[key.id.0[0] as usize % SHARDS]
    }

    /// The analysis of `key`, reading its bytes from `path` only when it was never analysed.
    pub fn get_or_parse(&self, key: &ContentKey, path: &[u8]) -> Arc<ParsedContent> {
        if let Some(found) = self.get(key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return found;
        }
        let parsed = Arc::new(match self.source.read(path, key.id) {
            Ok(bytes) => {
                self.parsed_bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                analyze(&bytes, key.lang, &self.config)
            }
            Err(error) => ParsedContent { file: None, units: Vec::new(), errors: vec![error] },
        });
        self.parsed_files.fetch_add(1, Ordering::Relaxed);
        let mut shard = self.shard(key).lock().expect("memo shard");
        Arc::clone(shard.entry(*key).or_insert(parsed))
    }

    /// The analysis of `key` if it is known.
    pub fn get(&self, key: &ContentKey) -> Option<Arc<ParsedContent>> {
        self.shard(key).lock().expect("memo shard").get(key).cloned()
    }

    /// Contents analysed so far (memo misses).
    pub fn parsed_files(&self) -> u64 {
        self.parsed_files.load(Ordering::Relaxed)
    }

    /// Bytes analysed so far.
    pub fn parsed_bytes(&self) -> u64 {
        self.parsed_bytes.load(Ordering::Relaxed)
    }

    /// Lookups answered without parsing.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}
