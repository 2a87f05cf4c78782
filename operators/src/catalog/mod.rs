//! The periodic table's catalogue (ARCHITECTURE §5): elements read from YAML files, compiled once
//! (tree-sitter queries joined per language, exemplar snippets fingerprinted), and matched against
//! units one at a time.
//!
//! - [`element`]: the data model (element, family, period, recognisers, examples).
//! - [`diagnostic`]: a mistake and its `FILE:LINE:COL` position.
//! - `yaml`: typed reads over saphyr's marked YAML, each mistake recorded at its node.
//! - [`load`]: catalogue files to elements (the format is documented there).
//! - [`compile`]: elements to a [`Catalog`]: queries and exemplar vectors per language.
//! - [`matching`]: per-unit matching and how a query match is attributed to a unit.
//! - `examples`: runs every positive and negative snippet.
//! - [`builtin`]: the built-in catalogue embedded from `datasets/catalog/`.
//! - [`stage`]: an element's evolution stage and trend from its adoption over time.
//! - [`suspects`]: the corpus rule for elements that match nothing or too much.

pub mod builtin;
pub mod compile;
pub mod diagnostic;
pub mod element;
mod examples;
pub mod load;
pub mod matching;
pub mod stage;
pub mod suspects;
mod yaml;

pub use compile::Catalog;
pub use diagnostic::{Diagnostic, Position};
pub use element::{Element, Examples, Family, Period, Recogniser, SourceText};
pub use load::CatalogSource;
pub use matching::{Match, QueryHits, RecogniserKind};

/// A catalogue as loaded: the elements that compiled, and every mistake found in the files.
#[derive(Debug)]
pub struct Loaded {
    /// The elements free of mistakes, compiled.
    pub catalog: Catalog,
    /// Every mistake, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads and compiles catalogue files together (a symbol must be unique across all of them),
/// collecting every mistake rather than stopping at the first.
pub fn load(sources: &[CatalogSource]) -> Loaded {
    let mut elements = Vec::new();
    let mut diagnostics = Vec::new();
    for source in sources {
        let (read, mistakes) = load::read_source(source);
        elements.extend(read);
        diagnostics.extend(mistakes);
    }
    diagnostics.extend(load::remove_duplicate_symbols(&mut elements));
    let (mut catalog, mistakes) = Catalog::compile(elements);
    catalog.fingerprint = fingerprint(sources);
    diagnostics.extend(mistakes);
    diagnostics.sort();
    diagnostics.dedup();
    Loaded { catalog, diagnostics }
}

/// The fingerprint of catalogue sources: xxh3 over each text and its length, in order.
fn fingerprint(sources: &[CatalogSource]) -> String {
    let mut bytes = Vec::new();
    for source in sources {
        bytes.extend_from_slice(&(source.text.len() as u64).to_le_bytes());
        bytes.extend_from_slice(source.text.as_bytes());
    }
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes))
}
