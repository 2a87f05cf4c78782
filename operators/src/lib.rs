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
//! - [`analyze`]: the entry point.
//! - [`similarity`]: the integer cosine test on int8 vectors.
//! - [`catalog`]: the periodic table's elements, loaded from YAML and matched against units.

pub mod analyze;
pub mod catalog;
pub mod fingerprint;
mod kinds;
pub mod languages;
pub mod metrics;
pub mod model;
pub mod policy;
pub mod similarity;
pub mod units;
