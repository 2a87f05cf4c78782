//! A stable hash of a configuration: xxh3 of its JSON form, as 16 hex digits. The manifest records
//! one over every setting that shapes the output; the content cache keys its entries by one over
//! the analysis settings, so the two always agree on what "the same configuration" means.

use serde::Serialize;

/// The hash of `config`'s JSON form, as 16 lower-case hex digits.
pub fn config_hash<T: Serialize>(config: &T) -> String {
    let json = serde_json::to_vec(config).expect("a configuration serialises to JSON");
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&json))
}
