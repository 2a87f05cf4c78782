//! Per-record computations of the cpt graph, free of any dataflow machinery: the data model,
//! language tables, tree-sitter unit extraction, fingerprints and metrics.
//!
//! The dataflow crate calls [`analyze::analyze`] once per distinct content; everything here is a
//! pure, deterministic function of its inputs.
//!
//! - [`model`]: the data types every stage shares.
//! - [`policy`]: the checks that reject an input before parsing.
//! - [`languages`]: one table per language (units, names, decision points, nesting).
//! - [`units`]: the iterative walk that extracts units.
//! - [`fingerprint`]: token hashes and the int8 characteristic vector.
//! - [`metrics`]: node counts, cyclomatic complexity, nesting, lines.
//! - [`similarity`]: the exact int8 similarity join of unit vectors (near-miss candidates).
//! - [`analyze`]: the entry point.
//! - [`engine`]: the identity of this build's analysis, for caches of its results.
//! - [`catalog`]: the periodic table's elements, loaded from YAML and matched against units.

pub mod analyze;
pub mod catalog;
pub mod engine;
pub mod fingerprint;
mod kinds;
pub mod languages;
pub mod metrics;
pub mod model;
pub mod policy;
pub mod similarity;
pub mod units;
