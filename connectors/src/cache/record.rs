//! The stored form of one entry. Key: the 20-byte content id and a language byte. Value: the
//! time it was written (seconds since the epoch, for pruning) and the analysis as bincode with
//! variable-length integers, compressed with zstd. Decoding trusts nothing: a value that is not
//! a well-formed record is an error, never a panic or an unbounded allocation.

use bincode::Options;
use cpt_operators::model::{ContentKey, ParsedContent};
use redb::TableDefinition;
use std::time::{SystemTime, UNIX_EPOCH};

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

/// The stored form of an analysis.
pub fn encode(parsed: &ParsedContent) -> Vec<u8> {
    let plain = bincode::options().serialize(parsed).expect("an analysis serialises");
    zstd::bulk::compress(&plain, ZSTD_LEVEL).expect("zstd compresses into memory")
}

/// The analysis of a stored value, or why it is not one.
pub fn decode(stored: &[u8]) -> Result<ParsedContent, String> {
    let size = zstd::bulk::Decompressor::upper_bound(stored)
        .filter(|size| *size <= MAX_DECODED_BYTES)
        .ok_or("not a zstd frame of a known, bounded size")?;
    let plain = zstd::bulk::decompress(stored, size).map_err(|e| format!("zstd: {e}"))?;
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
