//! Matching units against a compiled catalogue, per unit.
//!
//! Queries run once per parsed file ([`Catalog::query_hits`]); each match is located by the node
//! of its locating capture (`@match` by default) and **attributed to the innermost unit whose byte
//! range contains that node** (the file unit when no other does), so a pattern inside a closure
//! inside a method counts for the closure only. A query with a `unit-name` capture counts only
//! where that capture's text is the owning unit's own name (the last part of its qualified name),
//! which is how a recursive call is told from any other call. A pattern of a `patterns: all` query
//! counts only for a node that every pattern of that query located. Exemplars need no tree: a
//! unit's int8 vector is compared with each exemplar vector of its language by the integer cosine
//! test of ARCHITECTURE §4a. [`Catalog::match_unit`] puts both together for one unit, and
//! [`Catalog::analyze`] analyses a content and records the matches of all its units at once.

use crate::analyze::analyze_with;
use crate::catalog::compile::{AllOf, Catalog};
pub use crate::model::RecogniserKind;
use crate::model::{AnalysisConfig, ElementMatch, Lang, ParsedContent, UnitFingerprint};
use crate::similarity::similarity_percent;
use tree_sitter::{QueryCursor, StreamingIterator, Tree};

/// The score of every query match.
pub const QUERY_SCORE: u8 = 100;

/// One element found in one unit.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Match {
    /// Index of the element in [`Catalog::elements`].
    pub element: usize,
    /// How it was found.
    pub kind: RecogniserKind,
    /// [`QUERY_SCORE`] for a query; for an exemplar, the best cosine similarity in whole percent.
    pub score: u8,
}

/// The query matches of one file, each attributed to its unit: `(unit index, element index)`
/// pairs, sorted and without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryHits {
    hits: Vec<(usize, usize)>,
}

impl QueryHits {
    /// The elements whose queries matched in unit `unit`, in catalogue order.
    pub fn of_unit(&self, unit: usize) -> impl Iterator<Item = usize> + '_ {
        let start = self.hits.partition_point(|&(u, _)| u < unit);
        self.hits[start..].iter().take_while(move |&&(u, _)| u == unit).map(|&(_, element)| element)
    }
}

/// For each unit, the index of its enclosing unit (the units come in pre-order, file unit first).
fn enclosing_units(units: &[UnitFingerprint]) -> Vec<Option<usize>> {
    let mut open: Vec<usize> = Vec::new();
    units
        .iter()
        .enumerate()
        .map(|(index, unit)| {
            while open.last().is_some_and(|&outer| units[outer].end_byte < unit.end_byte) {
                open.pop();
            }
            let parent = open.last().copied();
            open.push(index);
            parent
        })
        .collect()
}

/// The innermost unit whose byte range holds `start..end`.
fn owning_unit(units: &[UnitFingerprint], enclosing: &[Option<usize>], start: u32, end: u32) -> Option<usize> {
    let mut candidate = units.partition_point(|unit| unit.start_byte <= start).checked_sub(1);
    while let Some(index) = candidate {
        if units[index].end_byte >= end {
            return Some(index);
        }
        candidate = enclosing[index];
    }
    None
}

/// A match of one pattern of a `patterns: all` query, at one node.
struct PartMatch {
    all_of: AllOf,
    /// The node's id in its tree.
    node: usize,
    unit: usize,
    element: usize,
}

/// The `(unit, element)` hits of the nodes that every pattern of their query matched.
fn nodes_matched_by_all(mut parts: Vec<PartMatch>) -> Vec<(usize, usize)> {
    parts.sort_unstable_by_key(|part| (part.all_of.query, part.node, part.all_of.pattern));
    parts.dedup_by_key(|part| (part.all_of.query, part.node, part.all_of.pattern));
    let groups = parts.chunk_by(|a, b| (a.all_of.query, a.node) == (b.all_of.query, b.node));
    groups
        .filter(|group| group.len() == group[0].all_of.patterns as usize)
        .map(|group| (group[0].unit, group[0].element))
        .collect()
}

impl Catalog {
    /// Runs the queries of `lang` over a parsed file (`tree` of `src`) and attributes each match
    /// to the innermost of `units` (as [`crate::analyze::analyze`] lists them) holding its node.
    pub fn query_hits(&self, lang: Lang, tree: &Tree, src: &[u8], units: &[UnitFingerprint]) -> QueryHits {
        let Some(joined) = &self.queries[lang as usize] else {
            return QueryHits::default();
        };
        let enclosing = enclosing_units(units);
        let mut hits = Vec::new();
        let mut parts = Vec::new();
        let mut cursor = QueryCursor::new();
        let mut matches = cursor.matches(&joined.query, tree.root_node(), src);
        while let Some(found) = matches.next() {
            let owner = joined.owners[found.pattern_index];
            let named = |unit: usize| {
                let own_name = units[unit].id.name.rsplit('.').next().unwrap_or_default();
                owner.unit_name.is_none_or(|capture| {
                    found.nodes_for_capture_index(capture).any(|node| node.utf8_text(src).is_ok_and(|t| t == own_name))
                })
            };
            for node in found.nodes_for_capture_index(owner.capture) {
                let byte = |b: usize| u32::try_from(b).unwrap_or(u32::MAX);
                let (start, end) = (byte(node.start_byte()), byte(node.end_byte()));
                if let Some(unit) = owning_unit(units, &enclosing, start, end).filter(|&unit| named(unit)) {
                    match owner.all_of {
                        None => hits.push((unit, owner.element)),
                        Some(all_of) => parts.push(PartMatch { all_of, node: node.id(), unit, element: owner.element }),
                    }
                }
            }
        }
        hits.extend(nodes_matched_by_all(parts));
        hits.sort_unstable();
        hits.dedup();
        QueryHits { hits }
    }

    /// The elements matched by one unit of language `lang`: the query hits attributed to unit
    /// number `unit` of its file, and the exemplars its `vector` is close enough to; sorted by
    /// element, a query match before an exemplar match of the same element.
    pub fn match_unit(&self, lang: Lang, unit: usize, vector: &[i8], hits: &QueryHits) -> Vec<Match> {
        let mut matches: Vec<Match> = hits
            .of_unit(unit)
            .map(|element| Match { element, kind: RecogniserKind::Query, score: QUERY_SCORE })
            .collect();
        for exemplar in &self.exemplars[lang as usize] {
            let best = exemplar.vectors.iter().map(|v| similarity_percent(vector, v)).max().unwrap_or(0);
            if best >= exemplar.threshold {
                matches.push(Match { element: exemplar.element, kind: RecogniserKind::Exemplar, score: best });
            }
        }
        matches.sort_unstable();
        matches
    }

    /// The matches of every unit of a parsed file, in the order of `units`.
    pub fn match_units(&self, lang: Lang, tree: &Tree, src: &[u8], units: &[UnitFingerprint]) -> Vec<Vec<Match>> {
        let hits = self.query_hits(lang, tree, src, units);
        units.iter().enumerate().map(|(index, unit)| self.match_unit(lang, index, &unit.vector, &hits)).collect()
    }

    /// Analyses a content as [`crate::analyze::analyze`] does and records in
    /// [`ParsedContent::matches`] the elements of this catalogue found in each of its units, from
    /// the same syntax tree. `cfg.catalog` should be this catalogue's [`Catalog::fingerprint`]:
    /// whoever keeps the result keys it by the configuration.
    pub fn analyze(&self, bytes: &[u8], lang: Lang, cfg: &AnalysisConfig) -> ParsedContent {
        let (mut parsed, matches) =
            analyze_with(bytes, lang, cfg, |tree, parsed| self.match_units(lang, tree, bytes, &parsed.units));
        parsed.matches = matches
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .flat_map(|(unit, found)| {
                found.into_iter().map(move |m| ElementMatch {
                    unit: unit as u32,
                    element: m.element as u32,
                    kind: m.kind,
                    score: m.score,
                })
            })
            .collect();
        parsed
    }
}
