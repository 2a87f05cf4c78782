//! What a resumed job's near-miss pairs start from (ARCHITECTURE §6): the pairs that passed the
//! token check at the durable time, read back from `clone_pairs` as links for the clone classes,
//! and the number of similar pairs then, for the run's totals. The similarity join neither joins
//! nor checks the state at that time again (see [`crate::similar_pairs`]), so nothing else of it is
//! read.

use cpt_connectors::rows::ClonePairRow;
use cpt_connectors::sink::{clone_links_at, table_size_at, OutputDir, TableRow};
use cpt_operators::similarity::{Pair, UnitKey};

/// The restored state of the near-miss pairs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ResumedJoin {
    /// The pairs in `clone_pairs` at the durable time, by their two keys.
    pub links: Vec<(UnitKey, UnitKey)>,
    /// The rows of `similar_pairs` at that time.
    pub similar: u64,
}

impl ResumedJoin {
    /// The state at `time` of the output `out` (the two tables read side by side).
    pub fn read(out: &OutputDir, time: u64) -> anyhow::Result<ResumedJoin> {
        let (root, manifest) = (out.path(), out.manifest()?);
        let (links, similar) = std::thread::scope(|scope| {
            let similar = scope.spawn(|| table_size_at(root, &manifest, Pair::TABLE, time));
            let links = clone_links_at(root, &manifest, time);
            let similar =
                similar.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a thread reading the output panicked")));
            (links, similar)
        });
        let resumed = ResumedJoin { links: links?, similar: similar? };
        tracing::info!(
            "{} {} rows and {} {} rows restored",
            resumed.similar,
            Pair::TABLE,
            resumed.links.len(),
            ClonePairRow::TABLE
        );
        Ok(resumed)
    }
}
