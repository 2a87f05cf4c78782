//! Facts: what the parse stage learns about one content (file figures, units, catalogue matches,
//! errors), in the form the graph arranges by content key. Units are shared allocations, so the
//! memo, the arrangement and the rows of the `units` and `matches` tables all point at one copy.

use cpt_operators::model::{FileStats, InputError, ParsedContent, RecogniserKind, UnitFingerprint};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One thing learnt about a content.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub enum Fact {
    /// Figures for the whole file (absent when the content was rejected).
    File(FileStats),
    /// One unit with its fingerprints.
    Unit(Arc<UnitFingerprint>),
    /// One catalogue element found in one unit.
    Match(UnitMatch),
    /// One problem with the content.
    Error(InputError),
}

/// A catalogue element found in a unit of the content.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct UnitMatch {
    /// The element's index in the job's catalogue.
    pub element: u32,
    /// How it was recognised.
    pub kind: RecogniserKind,
    /// 100 for a query, the cosine similarity in percent for an exemplar.
    pub score: u8,
    /// The unit.
    pub unit: Arc<UnitFingerprint>,
}

/// The facts of one content, in order: file figures, units, matches, errors.
pub type ParsedFacts = Vec<Fact>;

/// Turns an analysis into facts, moving each unit into a shared allocation.
pub fn facts_from(parsed: ParsedContent) -> ParsedFacts {
    let units: Vec<Arc<UnitFingerprint>> = parsed.units.into_iter().map(Arc::new).collect();
    let matches = parsed.matches.into_iter().filter_map(|found| {
        let unit = Arc::clone(units.get(found.unit as usize)?);
        Some(Fact::Match(UnitMatch { element: found.element, kind: found.kind, score: found.score, unit }))
    });
    let matches: Vec<Fact> = matches.collect();
    let file = parsed.file.into_iter().map(Fact::File);
    let errors = parsed.errors.into_iter().map(Fact::Error);
    file.chain(units.into_iter().map(Fact::Unit)).chain(matches).chain(errors).collect()
}
