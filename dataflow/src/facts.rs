//! Facts: what the parse stage learns about one content (file figures, units, errors), in the
//! form the graph arranges by content key. Units are shared allocations, so the memo, the
//! arrangement and the rows of the `units` table all point at one copy.

use cpt_operators::model::{FileStats, InputError, ParsedContent, UnitFingerprint};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One thing learnt about a content.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub enum Fact {
    /// Figures for the whole file (absent when the content was rejected).
    File(FileStats),
    /// One unit with its fingerprints.
    Unit(Arc<UnitFingerprint>),
    /// One problem with the content.
    Error(InputError),
}

/// The facts of one content, in order: file figures, units, errors.
pub type ParsedFacts = Vec<Fact>;

/// Turns an analysis into facts, moving each unit into a shared allocation.
pub fn facts_from(parsed: ParsedContent) -> ParsedFacts {
    let file = parsed.file.into_iter().map(Fact::File);
    let units = parsed.units.into_iter().map(|unit| Fact::Unit(Arc::new(unit)));
    let errors = parsed.errors.into_iter().map(Fact::Error);
    file.chain(units).chain(errors).collect()
}
