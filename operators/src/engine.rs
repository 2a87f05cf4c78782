//! The identity of this build's analysis engine: cpt's version, a fingerprint of the analysis
//! code (computed by the build script over `operators/src/`) and a fingerprint of the grammar
//! versions. A parse result is a pure function of (content, language, configuration, engine), so
//! whatever stores results across runs keys them by this identity (ARCHITECTURE §3).

use crate::languages::grammar_versions;
use xxhash_rust::xxh3::xxh3_64;

/// cpt's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A hash of every source file of the analysis code, as built.
pub const ANALYSIS_SOURCE: &str = env!("CPT_ANALYSIS_SOURCE");

/// The engine's identity, e.g. `cpt 0.1.0 (analysis 0123456789abcdef, grammars 0123456789abcdef)`:
/// two builds that may analyse a content differently never share it.
pub fn identity() -> String {
    let grammars: String = grammar_versions().iter().map(|(name, version)| format!("{name} {version}\n")).collect();
    format!("cpt {VERSION} (analysis {ANALYSIS_SOURCE}, grammars {:016x})", xxh3_64(grammars.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::identity;

    #[test]
    fn the_identity_names_the_version_and_both_fingerprints() {
        let id = identity();
        assert!(id.starts_with(&format!("cpt {} (analysis ", super::VERSION)), "{id}");
        assert_eq!(super::ANALYSIS_SOURCE.len(), 16, "{id}");
        assert!(id.contains(", grammars "), "{id}");
    }
}
