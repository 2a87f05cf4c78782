//! The stored form of one entry. Key: the 20-byte content id and a language byte. Value: the
//! time it was written (seconds since the epoch, for pruning) and the analysis as bincode with
//! variable-length integers, compressed with zstd. Decoding trusts nothing: a value that is not
//! a well-formed record is an error, never a panic or an unbounded allocation.

use bincode::Options;
use cpt_operators::model::{ContentKey, ParsedContent};
use redb::TableDefinition;
use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};
use zstd::bulk::{Compressor, Decompressor};

/// A stored key: content id, then the language's index in [`cpt_operators::model::Lang::ALL`].
pub type KeyBytes = [u8; 21];

/// The type of a namespace's table: key → (write time, compressed analysis).
pub type EntryTable<'name> = TableDefinition<'name, &'static KeyBytes, (u64, &'static [u8])>;

/// The zstd level: fast to write, and decompression speed barely depends on it.
const ZSTD_LEVEL: i32 = 3;

/// No stored analysis decodes to more than this (a 1 MiB file yields far less).
const MAX_DECODED_BYTES: usize = 256 << 20;

/// The stored key of `key`.
pub fn key_bytes(key: &ContentKey) -> KeyBytes {
    let mut bytes = [0; 21];
    bytes[..20].copy_from_slice(&key.id.0);
    bytes[20] = key.lang as u8;
    bytes
}

thread_local! {
    /// This thread's zstd contexts, set up once: a restart decodes every content of the tree, and
    /// a context of its own for each was a tenth of the time spent reading the cache.
    static CONTEXTS: RefCell<Option<(Compressor<'static>, Decompressor<'static>)>> = const { RefCell::new(None) };
}

/// `work` with this thread's zstd contexts.
fn with_contexts<T>(work: impl FnOnce(&mut Compressor<'static>, &mut Decompressor<'static>) -> T) -> T {
    CONTEXTS.with_borrow_mut(|contexts| {
        let (compressor, decompressor) = contexts.get_or_insert_with(|| {
            let compressor = Compressor::new(ZSTD_LEVEL).expect("zstd sets up a compression context");
            (compressor, Decompressor::new().expect("zstd sets up a decompression context"))
        });
        work(compressor, decompressor)
    })
}

/// The stored form of an analysis.
pub fn encode(parsed: &ParsedContent) -> Vec<u8> {
    let plain = bincode::options().serialize(parsed).expect("an analysis serialises");
    with_contexts(|compressor, _| compressor.compress(&plain)).expect("zstd compresses into memory")
}

/// The analysis of a stored value, or why it is not one.
pub fn decode(stored: &[u8]) -> Result<ParsedContent, String> {
    let size = Decompressor::upper_bound(stored)
        .filter(|size| *size <= MAX_DECODED_BYTES)
        .ok_or("not a zstd frame of a known, bounded size")?;
    let plain =
        with_contexts(|_, decompressor| decompressor.decompress(stored, size)).map_err(|e| format!("zstd: {e}"))?;
    bincode::options().with_limit(plain.len() as u64).deserialize(&plain).map_err(|e| format!("bincode: {e}"))
}

/// Now, in seconds since the epoch.
pub fn now_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};
    use cpt_operators::analyze::analyze;
    use cpt_operators::model::{AnalysisConfig, Lang};

    #[test]
    fn an_analysis_survives_the_round_trip_and_garbage_is_refused() {
        let source = include_bytes!("record.rs");
        let parsed = analyze(source, Lang::Rust, &AnalysisConfig::default());
        assert!(parsed.units.len() > 3);
        let stored = encode(&parsed);
        assert_eq!(decode(&stored).unwrap(), parsed);
        assert!(decode(b"not a record").is_err());
        assert!(decode(&stored[..stored.len() / 2]).is_err());
        let mut flipped = stored.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0xff;
        assert_ne!(decode(&flipped).ok(), Some(parsed));
    }
}
