//! The entry point: from a content's bytes to its units, fingerprints and errors.

use crate::kinds;
use crate::metrics::line_count;
use crate::model::{
    AnalysisConfig, ErrorReason, FileStats, InputError, Lang, ParsedContent, UnitFingerprint, VECTOR_DIMS,
};
use crate::policy;
use crate::units::{self, Extraction};
use std::cell::RefCell;
use tree_sitter::{Parser, Tree};

thread_local! {
    /// One parser per thread; its language is set on every call.
    static PARSER: RefCell<Parser> = RefCell::new(Parser::new());
}

fn rejected(reason: ErrorReason, detail: String) -> ParsedContent {
    ParsedContent { file: None, errors: vec![InputError { reason, detail }], ..ParsedContent::default() }
}

/// Analyses one content in one language: a pure, deterministic function that never panics.
///
/// Rejected contents (binary, invalid UTF-8, generated, minified, over the node budget) yield
/// `file: None`, no units and exactly one error. Otherwise the units come file unit first, then in
/// source order; syntax errors add one [`ErrorReason::SyntaxError`] without losing the units found
/// in the parts that parse.
pub fn analyze(bytes: &[u8], lang: Lang, cfg: &AnalysisConfig) -> ParsedContent {
    analyze_with(bytes, lang, cfg, |_, _| ()).0
}

/// Analyses like [`analyze`], then hands the syntax tree and the result to `then`, for work that
/// needs the tree (catalogue queries) without parsing twice. `then` runs only for a content that was
/// parsed (not rejected); its result comes back beside the analysis.
pub fn analyze_with<R>(
    bytes: &[u8],
    lang: Lang,
    cfg: &AnalysisConfig,
    then: impl FnOnce(&Tree, &ParsedContent) -> R,
) -> (ParsedContent, Option<R>) {
    let (tree, extraction, lines) = match parse(bytes, lang, cfg) {
        Ok(parsed) => parsed,
        Err(rejected) => return (rejected, None),
    };
    let mut errors = Vec::new();
    if let Some(line) = extraction.first_error_line {
        errors.push(InputError {
            reason: ErrorReason::SyntaxError,
            detail: format!("{} error nodes, first at line {line}", extraction.error_nodes),
        });
    }
    let file = FileStats {
        bytes: bytes.len() as u64,
        lines,
        tokens: extraction.tokens,
        units: u32::try_from(extraction.units.len()).unwrap_or(u32::MAX),
        error_nodes: extraction.error_nodes,
    };
    let parsed = ParsedContent { file: Some(file), units: extraction.units, errors, matches: Vec::new() };
    let extra = then(&tree, &parsed);
    (parsed, Some(extra))
}

/// The units of a content as [`analyze`] finds them, each with its vector before quantisation
/// (see [`crate::fingerprint::FeatureCounts::unquantised`]): what measures the int8 vectors against
/// exact float ones. None for a rejected content.
pub fn analyze_unquantised(
    bytes: &[u8],
    lang: Lang,
    cfg: &AnalysisConfig,
) -> Option<Vec<(UnitFingerprint, [f64; VECTOR_DIMS])>> {
    let (_, extraction, _) = parse(bytes, lang, cfg).ok()?;
    Some(extraction.units.into_iter().zip(extraction.counts.iter().map(|c| c.unquantised())).collect())
}

/// Checks the policy, parses and extracts: the tree, its extraction and the content's lines, or
/// the rejected content's result.
fn parse(bytes: &[u8], lang: Lang, cfg: &AnalysisConfig) -> Result<(Tree, Extraction, u32), ParsedContent> {
    if let Some(error) = policy::check(bytes, cfg) {
        return Err(rejected(error.reason, error.detail));
    }
    let table = kinds::compiled(lang);
    let tree = PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        parser.set_language(&table.language).ok()?;
        parser.parse(bytes, None)
    });
    let Some(tree) = tree else {
        return Err(rejected(ErrorReason::TooComplex, "the parser gave up".to_string()));
    };
    let nodes = tree.root_node().descendant_count() as u64;
    if nodes > cfg.max_nodes {
        let detail = format!("{nodes} syntax nodes, over the budget of {}", cfg.max_nodes);
        return Err(rejected(ErrorReason::TooComplex, detail));
    }
    let lines = line_count(bytes);
    let extraction = units::extract(&tree, bytes, table, lines);
    Ok((tree, extraction, lines))
}
